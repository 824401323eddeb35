/*
 * test_text.c: common/text.c, the one escape for user text quoted in messages. What passes
 * (printable ASCII, valid UTF-8) must stay readable; what does not (controls, broken UTF-8)
 * must never reach a terminal raw.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "common/text.h"
#include "unit_util.h"

static void
check(const char *in, const char *expected)
{
	assert_string_equal(text_escape(in).s, expected);
}

static void
test_printable_text_unchanged(void **state)
{
	check("", "");
	check("keep-days = 7", "keep-days = 7");
	check("a \"quoted\" \\ back slash ~", "a \"quoted\" \\ back slash ~");
	check("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x98", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x98");
	check("\xc2\xa0", "\xc2\xa0"); /* U+00A0, the first after the C1 controls */
	check("\xef\xbf\xbd", "\xef\xbf\xbd");
	check("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"); /* U+10FFFF */
}

static void
test_controls_escaped(void **state)
{
	check("\x1b[2J", "\\x1b[2J");
	check("a\nb\rc\td", "a\\x0ab\\x0dc\\x09d");
	check("\x7f", "\\x7f");
	check("\x01", "\\x01");
	check("\xc2\x9b"
		  "31m",
		  "\\xc2\\x9b31m"); /* C1 CSI, an escape sequence in one character */
	check("\xc2\x80", "\\xc2\\x80");
}

static void
test_invalid_utf8_escaped(void **state)
{
	check("\xff", "\\xff");
	check("a\xc3", "a\\xc3");        /* truncated at the end */
	check("\xc3(", "\\xc3(");        /* bad continuation */
	check("\xc0\xaf", "\\xc0\\xaf"); /* overlong '/' */
	check("\xe0\x80\xaf", "\\xe0\\x80\\xaf");
	check("\xed\xa0\x80", "\\xed\\xa0\\x80");          /* a surrogate */
	check("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* above U+10FFFF */
	check("\xe2\x82", "\\xe2\\x82");
	check("\x80", "\\x80");
}

/* Long text is cut with "...", never mid-escape and never past the buffer. */
static void
test_long_text_cut(void **state)
{
	char in[4096];
	EscapedText out;

	memset(in, 'a', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	out = text_escape(in);
	assert_true(strlen(out.s) < sizeof(out.s));
	assert_string_equal(out.s + strlen(out.s) - 3, "...");
	memset(in, '\x1b', sizeof(in) - 1);
	out = text_escape(in);
	size_t len = strlen(out.s);
	assert_true(len < sizeof(out.s));
	assert_string_equal(out.s + len - 3, "...");
	assert_int_equal((len - 3) % 4, 0); /* whole \xNN units only */
	check(NULL, "");
}

/* Random bytes: the output is printable ASCII or valid UTF-8 only, whatever the input. */
static void
test_random_bytes_never_leak(void **state)
{
	TestRng rng = {0x9e3779b97f4a7c15ull};

	for (int round = 0; round < 2000; round++)
	{
		unsigned char in[64];
		size_t n = 1 + rng_below(&rng, sizeof(in) - 1);
		for (size_t i = 0; i < n - 1; i++)
			in[i] = (unsigned char) (1 + rng_below(&rng, 255));
		in[n - 1] = '\0';
		EscapedText out = text_escape((const char *) in);
		for (const unsigned char *p = (const unsigned char *) out.s; *p;)
		{
			size_t len = text_printable_len(p);
			if (len == 0)
				fail_msg("byte 0x%02x left raw in round %d", *p, round);
			p += len;
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_printable_text_unchanged), cmocka_unit_test(test_controls_escaped),
		cmocka_unit_test(test_invalid_utf8_escaped),     cmocka_unit_test(test_long_text_cut),
		cmocka_unit_test(test_random_bytes_never_leak),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
