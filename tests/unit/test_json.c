/*
 * test_json.c: common/json.c against RFC 8259: in a string, '"' and '\' are escaped, control
 * characters U+0000..U+001F must be escaped, everything else (UTF-8 included) may be literal.
 * And common/json_read.c: members found at the top level of a valid object only, escapes
 * decoded, anything not RFC 8259 (truncated, trailing text, bad escapes) refused.
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
	check_string("\x7f", "\"\\u007f\""); /* DEL: legal raw, escaped so a terminal shows it */
}

/* JSON is UTF-8: a byte outside a valid sequence is written as the code point of the same
 * number (Latin-1), so the text stays valid and a reader gets a defined character. */
static void
test_invalid_utf8_escaped(void **state)
{
	check_string("caf\xe9", "\"caf\\u00e9\"");
	check_string("\xc3(", "\"\\u00c3(\"");                     /* truncated sequence */
	check_string("\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\""); /* surrogate */
	check_string("\xc3\xa9\xff", "\"\xc3\xa9\\u00ff\"");       /* valid kept */
	check_string("\xc2\x9b", "\"\\u009b\"");                   /* C1 control */
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

static size_t utf8_sequence_len(const unsigned char *p);

/* Code point cp (below U+0800) as UTF-8 at out; returns its length. */
static size_t
put_utf8(char *out, unsigned cp)
{
	if (cp < 0x80)
	{
		out[0] = (char) cp;
		return 1;
	}
	out[0] = (char) (0xc0 | (cp >> 6));
	out[1] = (char) (0x80 | (cp & 0x3f));
	return 2;
}

/* What the writer should make of any bytes: valid UTF-8 kept, any other byte read as the
 * Latin-1 character of its number. */
static size_t
expected_utf8(const char *in, size_t len, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len;)
	{
		const unsigned char *p = (const unsigned char *) in + i;
		size_t k = *p < 0x80 ? 1 : utf8_sequence_len(p);
		if (k == 0)
		{
			n += put_utf8(out + n, *p);
			i++;
			continue;
		}
		memcpy(out + n, p, k);
		n += k;
		i += k;
	}
	return n;
}

/* Decodes a JSON string literal (RFC 8259 section 7; the writer escapes below U+0100 only).
 * Raw bytes must form valid UTF-8. */
/* Length of the valid UTF-8 sequence at p (RFC 3629: no overlongs, no surrogates), or 0. */
static size_t
utf8_sequence_len(const unsigned char *p)
{
	size_t len = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
	unsigned cp;

	if (len == 0 || p[0] > 0xf4)
		return 0;
	cp = p[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++)
	{
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		(cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static size_t
json_decode_string(const char *s, char *out)
{
	size_t n = 0;

	assert_int_equal(*s++, '"');
	for (; *s != '"'; s++)
	{
		assert_true((unsigned char) *s >= 0x20 && *s != 0x7f); /* no raw control characters */
		if ((unsigned char) *s >= 0x80)
		{
			size_t len = utf8_sequence_len((const unsigned char *) s);
			assert_true(len > 0);
			memcpy(out + n, s, len);
			n += len;
			s += len - 1;
			continue;
		}
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
				assert_true(v < 0x100);
				n += put_utf8(out + n, v);
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
		char in[64], out[128], expected[128];
		size_t len = rng_below(&rng, sizeof(in) - 1);
		Buf b;

		for (size_t k = 0; k < len; k++)
			in[k] = (char) (1 + rng_below(&rng, 255)); /* any byte but NUL */
		in[len] = '\0';
		buf_init(&b);
		json_append_string(&b, in);
		size_t want = expected_utf8(in, len, expected);
		assert_int_equal(json_decode_string(buf_cstr(&b), out), want);
		assert_memory_equal(out, expected, want);
		buf_free(&b);
	}
}

/* ---- reading ---- */

static const char manifest_text[] =
	"{\"ebb_version\":\"0.1.0\",\"run_id\":\"r1\",\"system_identifier\":null,"
	"\"object\":\"db/analytics.events/dt=2026-01-01/hour=00/x_r1.csv.zst\","
	"\"columns\":[{\"name\":\"rows\",\"type\":\"int4\"},{\"name\":\"x\",\"type\":\"text\"}],"
	"\"nested\":{\"rows\":7},\"rows\":5,\"bytes\":1234,\"sha256\":\"ab\\u0063d\",\"ok\":true,"
	"\"neg\":-12,\"float\":1.5,\"big\":92233720368547758070}\n";

static JsonValue
find_ok(const char *text, const char *key)
{
	JsonValue v;
	EbbError err;

	error_init(&err);
	if (!json_find_member(text, strlen(text), key, &v, &err))
		fail_msg("%s: %s", text, err.message);
	return v;
}

/* json_value_strings: an array of strings (a manifest's "supersedes"), and what is not one. */
static void
test_read_string_arrays(void **state)
{
	static const char text[] = "{\"a\": [\"x\", \"y\\\"z\" ,\"\\u00e9\"], \"empty\":[ ],"
							   " \"mixed\": [\"x\", 1], \"str\": \"x\"}";
	StrList l = {0};
	JsonValue v;

	(void) state;
	v = find_ok(text, "a");
	assert_true(json_value_strings(&v, &l));
	assert_int_equal(l.count, 3);
	assert_string_equal(l.items[0], "x");
	assert_string_equal(l.items[1], "y\"z");
	assert_string_equal(l.items[2], "\xc3\xa9");
	strlist_clear(&l);
	v = find_ok(text, "empty");
	assert_true(json_value_strings(&v, &l));
	assert_int_equal(l.count, 0);
	v = find_ok(text, "mixed");
	assert_false(json_value_strings(&v, &l));
	strlist_clear(&l);
	v = find_ok(text, "str");
	assert_false(json_value_strings(&v, &l));
	v = find_ok(text, "absent");
	assert_false(json_value_strings(&v, &l));
	strlist_clear(&l);
}

static void
test_read_members(void **state)
{
	JsonValue v;
	int64_t n;
	Buf b;

	buf_init(&b);
	v = find_ok(manifest_text, "object");
	assert_true(json_value_string(&v, &b));
	assert_string_equal(buf_cstr(&b), "db/analytics.events/dt=2026-01-01/hour=00/x_r1.csv.zst");
	buf_reset(&b);
	v = find_ok(manifest_text, "sha256");
	assert_true(json_value_string(&v, &b));
	assert_string_equal(buf_cstr(&b), "abcd");
	/* the top level's "rows", not the ones inside "columns" or "nested" */
	v = find_ok(manifest_text, "rows");
	assert_true(json_value_int(&v, &n));
	assert_int_equal(n, 5);
	v = find_ok(manifest_text, "neg");
	assert_true(json_value_int(&v, &n));
	assert_int_equal(n, -12);
	/* wrong types are not values of the asked kind */
	v = find_ok(manifest_text, "bytes");
	assert_false(json_value_string(&v, &b));
	v = find_ok(manifest_text, "run_id");
	assert_false(json_value_int(&v, &n));
	v = find_ok(manifest_text, "float");
	assert_false(json_value_int(&v, &n));
	v = find_ok(manifest_text, "big");
	assert_false(json_value_int(&v, &n));
	v = find_ok(manifest_text, "system_identifier");
	assert_true(v.found);
	assert_false(json_value_string(&v, &b));
	v = find_ok(manifest_text, "absent");
	assert_false(v.found);
	assert_false(json_value_int(&v, &n));
	v = find_ok(manifest_text, "name"); /* only inside "columns" */
	assert_false(v.found);
	buf_free(&b);
}

static void
test_read_escapes(void **state)
{
	JsonValue v;
	Buf b;

	buf_init(&b);
	v = find_ok("{\"k\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\u20ac\\ud83d\\ude00\"}", "k");
	assert_true(json_value_string(&v, &b));
	assert_string_equal(buf_cstr(&b), "a\"b\\c/d\b\f\n\r\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	buf_reset(&b);
	/* an escaped key matches its unescaped name; the first of two equal keys counts */
	v = find_ok(" { \"r\\u006fws\" : 1 , \"rows\" : 2 } ", "rows");
	assert_int_equal(v.len, 1);
	assert_memory_equal(v.text, "1", 1);
	v = find_ok("{}", "rows");
	assert_false(v.found);
	buf_free(&b);
}

static void
check_invalid(const char *text, const char *message)
{
	JsonValue v;
	EbbError err;

	error_init(&err);
	assert_false(json_find_member(text, strlen(text), "rows", &v, &err));
	assert_string_equal(err.message, message);
	assert_int_equal(err.code, EBB_ERR_VERIFY);
}

static void
test_read_invalid(void **state)
{
	check_invalid("", "invalid JSON: object expected at the end of the text");
	check_invalid("[1]", "invalid JSON: object expected at byte 0");
	check_invalid("{\"rows\":5", "invalid JSON: \",\" or \"}\" expected at the end of the text");
	check_invalid("{\"rows\":5,\"sha256\":\"ab", "invalid JSON: unterminated string at the end "
												 "of the text");
	check_invalid("{\"rows\":5} x", "invalid JSON: text after the object at byte 11");
	check_invalid("{\"rows\" 5}", "invalid JSON: \":\" expected at byte 8");
	check_invalid("{\"rows\":05}", "invalid JSON: \",\" or \"}\" expected at byte 9");
	check_invalid("{\"rows\":-}", "invalid JSON: digit expected at byte 9");
	check_invalid("{\"rows\":tru}", "invalid JSON: unexpected character at byte 8");
	check_invalid("{\"a\":\"\\x\"}", "invalid JSON: invalid escape at byte 7");
	check_invalid("{\"a\":\"\\ud800\"}", "invalid JSON: lone surrogate in \\u escape at byte 12");
	check_invalid("{\"a\":\"x\ny\"}", "invalid JSON: control character in string at byte 7");
	check_invalid("{\"a\":[1,2}", "invalid JSON: \",\" or \"]\" expected at byte 9");
	check_invalid("{rows:1}", "invalid JSON: string expected at byte 1");
	check_invalid("{\"a\":1,}", "invalid JSON: string expected at byte 7");
}

static void
test_read_depth_limit(void **state)
{
	Buf b;

	buf_init(&b);
	buf_append_str(&b, "{\"a\":");
	for (int i = 0; i < 100; i++)
		buf_append_char(&b, '[');
	for (int i = 0; i < 100; i++)
		buf_append_char(&b, ']');
	buf_append_char(&b, '}');
	check_invalid(buf_cstr(&b), "invalid JSON: nesting too deep at byte 69");
	buf_free(&b);
}

/* Fills in with valid UTF-8 (any code point but NUL and surrogates) of at most max bytes;
 * returns its length. */
static size_t
random_utf8(TestRng *rng, char *in, size_t max)
{
	size_t n = 0;

	for (;;)
	{
		unsigned bound[] = {0x80, 0x800, 0x10000, 0x110000};
		size_t len = 1 + rng_below(rng, 4);
		unsigned cp = (unsigned) rng_below(rng, bound[len - 1]);
		unsigned char *o = (unsigned char *) in + n;

		if (cp < (len == 1 ? 1 : bound[len - 2]) || (cp >= 0xd800 && cp <= 0xdfff))
			continue;
		if (n + len > max)
			break;
		if (len == 1)
			o[0] = (unsigned char) cp;
		else
		{
			o[0] = (unsigned char) ((0xf00 >> len) | (cp >> (6 * (len - 1))));
			for (size_t i = 1; i < len; i++)
				o[i] = (unsigned char) (0x80 | ((cp >> (6 * (len - 1 - i))) & 0x3f));
		}
		n += len;
	}
	in[n] = '\0';
	return n;
}

/* A byte that is not UTF-8 reads back as the Latin-1 character of that number. */
static void
test_read_invalid_utf8_as_latin1(void **state)
{
	Buf b, s;

	buf_init(&b);
	buf_init(&s);
	buf_append_char(&b, '{');
	json_kv_str(&b, "s", "caf\xe9\xc3\xa9");
	buf_append_char(&b, '}');
	JsonValue v = find_ok(buf_cstr(&b), "s");
	assert_true(json_value_string(&v, &s));
	assert_int_equal(s.len, 7);
	assert_memory_equal(s.data, "caf\xc3\xa9\xc3\xa9", 7);
	buf_free(&s);
	buf_free(&b);
}

/* What the writer writes, the reader reads back. */
static void
test_read_what_is_written(void **state)
{
	TestRng rng = {7};

	for (int i = 0; i < 2000; i++)
	{
		char in[48];
		size_t len = rng_below(&rng, sizeof(in) - 1);
		int64_t n = (int64_t) rng_next(&rng), got;
		Buf b, s;

		len = random_utf8(&rng, in, len);
		buf_init(&b);
		buf_init(&s);
		buf_append_char(&b, '{');
		json_kv_str(&b, "s", in);
		json_kv_int(&b, "n", n);
		buf_append_char(&b, '}');
		JsonValue v = find_ok(buf_cstr(&b), "s");
		assert_true(json_value_string(&v, &s));
		assert_int_equal(s.len, len);
		assert_memory_equal(s.data, in, len);
		v = find_ok(buf_cstr(&b), "n");
		assert_true(json_value_int(&v, &got));
		assert_int_equal(got, n);
		buf_free(&s);
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
		cmocka_unit_test(test_invalid_utf8_escaped),
		cmocka_unit_test(test_utf8_kept),
		cmocka_unit_test(test_object_members),
		cmocka_unit_test(test_nested_object_no_leading_comma),
		cmocka_unit_test(test_random_strings_round_trip),
		cmocka_unit_test(test_read_members),
		cmocka_unit_test(test_read_string_arrays),
		cmocka_unit_test(test_read_escapes),
		cmocka_unit_test(test_read_invalid),
		cmocka_unit_test(test_read_depth_limit),
		cmocka_unit_test(test_read_what_is_written),
		cmocka_unit_test(test_read_invalid_utf8_as_latin1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
