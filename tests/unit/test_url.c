/*
 * test_url.c: common/url.c, percent-decoding of destination URLs (file:// paths, s3://
 * prefixes). A directory named "pct%20dir" was made for file:///a/pct%20dir.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/url.h"

static void
check(const char *part, const char *expected)
{
	EbbError err;
	char *out = NULL;

	error_init(&err);
	if (!url_decode_part("file:///x", part, &out, &err))
		fail_msg("\"%s\" refused: %s", part, err.message);
	assert_string_equal(out, expected);
	free(out);
}

static void
test_decodes(void **state)
{
	check("/a/pct%20dir", "/a/pct dir");
	check("/plain/path", "/plain/path");
	check("/%25", "/%");     /* a percent sign itself */
	check("/%2525", "/%25"); /* decoded once, not twice */
	check("/caf%C3%A9", "/caf\xc3\xa9");
	check("/caf%c3%a9", "/caf\xc3\xa9"); /* either case of hex */
	check("/a%2Fb", "/a/b");
	check("", "");
}

static void
check_bad(const char *url, const char *part, const char *detail)
{
	EbbError err;
	char *out = NULL;
	char message[256];

	error_init(&err);
	assert_false(url_decode_part(url, part, &out, &err));
	assert_null(out);
	snprintf(message, sizeof(message), "invalid destination \"%s\"", url);
	assert_string_equal(err.message, message);
	assert_string_equal(err.detail, detail);
	assert_string_equal(err.hint,
						"Write a byte as % and two hex digits, a percent sign itself as %25.");
	assert_int_equal(error_exit_status(err.code), 2);
}

static void
test_invalid_escapes_refused(void **state)
{
	check_bad("file:///a/%zz", "/a/%zz", "\"%zz\" is not a percent-encoded byte.");
	check_bad("file:///a/%2", "/a/%2", "\"%2\" is not a percent-encoded byte.");
	check_bad("file:///a/%", "/a/%", "\"%\" is not a percent-encoded byte.");
	check_bad("file:///a/%g0", "/a/%g0", "\"%g0\" is not a percent-encoded byte.");
	check_bad("file:///a/%00b", "/a/%00b", "%00 would put a NUL byte in the path.");
	check_bad("s3://bkt/p%0", "/p%0", "\"%0\" is not a percent-encoded byte.");
}

/* A control byte in the URL is escaped in the message; decoding one (%1b) is allowed. */
static void
test_message_escapes_url(void **state)
{
	EbbError err;
	char *out = NULL;

	error_init(&err);
	assert_false(url_decode_part("file:///\x1b%x", "/\x1b%x", &out, &err));
	assert_string_equal(err.message, "invalid destination \"file:///\\x1b%x\"");
	check("/a%1bb", "/a\x1b"
					"b");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decodes),
		cmocka_unit_test(test_invalid_escapes_refused),
		cmocka_unit_test(test_message_escapes_url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
