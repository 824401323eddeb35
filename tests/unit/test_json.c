/*
 * test_json.c: common/json.c against RFC 8259: in a string, '"' and '\' are escaped, control
 * characters U+0000..U+001F must be escaped, everything else (UTF-8 included) may be literal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "unit_util.h"

static void
check_string(const char *in, const char *expected)
{
	Buf b;

	buf_init(&b);
	json_append_string(&b, in);
	assert_string_equal(buf_cstr(&b), expected);
	buf_free(&b);
}

static void
test_plain(void **state)
{
	check_string("", "\"\"");
	check_string("events", "\"events\"");
	check_string("a/b", "\"a/b\""); /* '/' may stay literal */
}

static void
test_quote_and_backslash(void **state)
{
	check_string("say \"hi\"", "\"say \\\"hi\\\"\"");
	check_string("C:\\dir\\", "\"C:\\\\dir\\\\\"");
}

static void
test_control_characters(void **state)
{
	check_string("a\nb\rc\td", "\"a\\nb\\rc\\td\"");
	check_string("\x01", "\"\\u0001\"");
	check_string("\x1f|\x08|\x0c", "\"\\u001f|\\u0008|\\u000c\"");
	check_string("\x7f", "\"\x7f\""); /* DEL is not a control character for JSON */
}

static void
test_utf8_kept(void **state)
{
	check_string("gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80",
				 "\"gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

static void
test_object_members(void **state)
{
	Buf b;

	buf_init(&b);
	buf_append_char(&b, '{');
	json_kv_str(&b, "key", "ev\"ents");
	json_kv_int(&b, "rows", -42);
	json_kv_int(&b, "bytes", INT64_MAX);
	json_kv_bool(&b, "ok", true);
	json_kv_bool(&b, "dry", false);
	json_kv_str(&b, "error", NULL);
	json_kv_raw(&b, "list", "[1,2]");
	buf_append_char(&b, '}');
	assert_string_equal(buf_cstr(&b), "{\"key\":\"ev\\\"ents\",\"rows\":-42,"
									  "\"bytes\":9223372036854775807,\"ok\":true,"
									  "\"dry\":false,\"error\":null,\"list\":[1,2]}");
	buf_free(&b);
}

static void
test_nested_object_no_leading_comma(void **state)
{
	Buf b;

	buf_init(&b);
	buf_append_str(&b, "[{");
	json_kv_int(&b, "a", 1);
	buf_append_str(&b, "},{");
	json_kv_int(&b, "b", 2);
	buf_append_str(&b, "}]");
	assert_string_equal(buf_cstr(&b), "[{\"a\":1},{\"b\":2}]");
	buf_free(&b);
}

/* Decodes a JSON string literal (RFC 8259 section 7, \u below U+0080 is enough here). */
static size_t
json_decode_string(const char *s, char *out)
{
	size_t n = 0;

	assert_int_equal(*s++, '"');
	for (; *s != '"'; s++)
	{
		assert_true((unsigned char) *s >= 0x20); /* no raw control characters */
		if (*s != '\\')
		{
			out[n++] = *s;
			continue;
		}
		switch (*++s)
		{
			case '"': out[n++] = '"'; break;
			case '\\': out[n++] = '\\'; break;
			case '/': out[n++] = '/'; break;
			case 'b': out[n++] = '\b'; break;
			case 'f': out[n++] = '\f'; break;
			case 'n': out[n++] = '\n'; break;
			case 'r': out[n++] = '\r'; break;
			case 't': out[n++] = '\t'; break;
			case 'u':
			{
				unsigned v;
				assert_int_equal(sscanf(s + 1, "%4x", &v), 1);
				assert_true(v < 0x80);
				out[n++] = (char) v;
				s += 4;
				break;
			}
			default: fail_msg("invalid escape \\%c", *s);
		}
	}
	assert_int_equal(s[1], '\0');
	return n;
}

static void
test_random_strings_round_trip(void **state)
{
	TestRng rng = {2026};

	for (int i = 0; i < 5000; i++)
	{
		char in[64], out[64];
		size_t len = rng_below(&rng, sizeof(in) - 1);
		Buf b;

		for (size_t k = 0; k < len; k++)
			in[k] = (char) (1 + rng_below(&rng, 255)); /* any byte but NUL */
		in[len] = '\0';
		buf_init(&b);
		json_append_string(&b, in);
		assert_int_equal(json_decode_string(buf_cstr(&b), out), len);
		assert_memory_equal(out, in, len);
		buf_free(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_quote_and_backslash),
		cmocka_unit_test(test_control_characters),
		cmocka_unit_test(test_utf8_kept),
		cmocka_unit_test(test_object_members),
		cmocka_unit_test(test_nested_object_no_leading_comma),
		cmocka_unit_test(test_random_strings_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
