/*
 * test_copy_decode.c: pg/copy.c's pg_copy_decode_text against the COPY text format as
 * PostgreSQL documents it (sql-copy.html, "Text Format"): fields separated by tabs, one row
 * per line, \N for NULL, backslash escapes \b \f \n \r \t \v \\, \digits (1-3 octal digits),
 * \xdigits (1-2 hex digits), and any other backslashed character stands for itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "pg/copy.h"

#define MAX_COLS 8

typedef struct Decoded
{
	char line[256];
	RowField f[MAX_COLS];
	EbbError err;
	bool ok;
} Decoded;

/* Decodes a copy of `line` (the decoder works in place). */
static void
decode(Decoded *d, const char *line, size_t len, int ncols)
{
	assert_true(len < sizeof(d->line));
	memcpy(d->line, line, len);
	d->line[len] = '\0';
	error_init(&d->err);
	d->ok = pg_copy_decode_text(d->line, len, d->f, ncols, &d->err);
}

static void
decode_str(Decoded *d, const char *line, int ncols)
{
	decode(d, line, strlen(line), ncols);
}

static void
assert_field(const RowField *f, const char *expected, size_t len)
{
	assert_false(f->isnull);
	assert_int_equal(f->len, len);
	if (len)
		assert_memory_equal(f->data, expected, len);
}

static void
assert_text(const RowField *f, const char *expected)
{
	assert_field(f, expected, strlen(expected));
}

static void
test_tabs_split_fields(void **state)
{
	Decoded d;

	decode_str(&d, "1\tabc\t2026-03-29 01:00:00+00\n", 3);
	assert_true(d.ok);
	assert_text(&d.f[0], "1");
	assert_text(&d.f[1], "abc");
	assert_text(&d.f[2], "2026-03-29 01:00:00+00");
}

static void
test_empty_fields_are_empty_strings(void **state)
{
	Decoded d;

	decode_str(&d, "\t\t\n", 3);
	assert_true(d.ok);
	for (int i = 0; i < 3; i++)
		assert_text(&d.f[i], "");
}

static void
test_backslash_n_is_null(void **state)
{
	Decoded d;

	decode_str(&d, "\\N\tx\t\\N\n", 3);
	assert_true(d.ok);
	assert_true(d.f[0].isnull);
	assert_text(&d.f[1], "x");
	assert_true(d.f[2].isnull);
}

static void
test_escaped_backslash_then_n_is_not_null(void **state)
{
	Decoded d;

	/* The line holds \\N: an escaped backslash followed by N, i.e. the text "\N". */
	decode_str(&d, "\\\\N\n", 1);
	assert_true(d.ok);
	assert_text(&d.f[0], "\\N");
	/* \N only means NULL as the whole field. */
	decode_str(&d, "x\\N\t\\Nx\n", 2);
	assert_true(d.ok);
	assert_text(&d.f[0], "xN");
	assert_text(&d.f[1], "Nx");
}

static void
test_simple_escapes(void **state)
{
	Decoded d;

	decode_str(&d, "\\b\\f\\n\\r\\t\\v\\\\\n", 1);
	assert_true(d.ok);
	assert_text(&d.f[0], "\b\f\n\r\t\v\\");
}

static void
test_escaped_tab_does_not_split(void **state)
{
	Decoded d;

	decode_str(&d, "a\\tb\tc\\nd\n", 2);
	assert_true(d.ok);
	assert_text(&d.f[0], "a\tb");
	assert_text(&d.f[1], "c\nd");
}

static void
test_octal_escapes(void **state)
{
	Decoded d;

	decode_str(&d, "\\101\t\\7\t\\60x\t\\1012\t\\08\n", 5);
	assert_true(d.ok);
	assert_text(&d.f[0], "A");  /* three digits */
	assert_text(&d.f[1], "\a"); /* one digit */
	assert_text(&d.f[2], "0x"); /* two digits, then a plain x */
	assert_text(&d.f[3], "A2"); /* at most three digits */
	assert_field(&d.f[4],
				 "\0"
				 "8",
				 2); /* 8 is not octal */
}

static void
test_hex_escapes(void **state)
{
	Decoded d;

	decode_str(&d, "\\x41\t\\x4\t\\x4g\t\\x414\t\\xg\t\\xE2\\x82\\xAC\n", 6);
	assert_true(d.ok);
	assert_text(&d.f[0], "A");            /* two digits */
	assert_text(&d.f[1], "\x04");         /* one digit at the end */
	assert_text(&d.f[2], "\x04g");        /* one digit, then a non-digit */
	assert_text(&d.f[3], "A4");           /* at most two digits */
	assert_text(&d.f[4], "xg");           /* no digit: x stands for itself */
	assert_text(&d.f[5], "\xe2\x82\xac"); /* UTF-8 bytes built from hex */
}

static void
test_other_backslashed_char_is_itself(void **state)
{
	Decoded d;

	decode_str(&d, "\\q\\.\\,\\\"\n", 1);
	assert_true(d.ok);
	assert_text(&d.f[0], "q.,\"");
}

static void
test_utf8_passes_through(void **state)
{
	Decoded d;

	decode_str(&d, "gr\xc3\xbc\xc3\x9f\t\xf0\x9f\x98\x80\n", 2);
	assert_true(d.ok);
	assert_text(&d.f[0], "gr\xc3\xbc\xc3\x9f");
	assert_text(&d.f[1], "\xf0\x9f\x98\x80");
}

static void
test_trailing_newline_removed(void **state)
{
	Decoded d;

	decode_str(&d, "abc\n", 1);
	assert_true(d.ok);
	assert_text(&d.f[0], "abc");
	/* Without the newline the whole line is the field. */
	decode_str(&d, "abc", 1);
	assert_true(d.ok);
	assert_text(&d.f[0], "abc");
	/* Only one newline is the terminator; an escaped one is data. */
	decode_str(&d, "abc\\n\n", 1);
	assert_true(d.ok);
	assert_text(&d.f[0], "abc\n");
	/* An empty line for one column is the empty string, not NULL. */
	decode_str(&d, "\n", 1);
	assert_true(d.ok);
	assert_text(&d.f[0], "");
}

static void
test_too_few_fields_rejected(void **state)
{
	Decoded d;

	decode_str(&d, "a\tb\n", 3);
	assert_false(d.ok);
	assert_int_equal(d.err.code, EBB_ERR_QUERY);
	assert_string_equal(d.err.message, "unexpected COPY data: a row does not have 3 fields");
	decode_str(&d, "\n", 2);
	assert_false(d.ok);
	assert_string_equal(d.err.message, "unexpected COPY data: a row does not have 2 fields");
}

static void
test_too_many_fields_rejected(void **state)
{
	Decoded d;

	decode_str(&d, "a\tb\tc\n", 2);
	assert_false(d.ok);
	assert_int_equal(d.err.code, EBB_ERR_QUERY);
	assert_string_equal(d.err.message, "unexpected COPY data: a row does not have 2 fields");
	decode_str(&d, "a\t\n", 1);
	assert_false(d.ok);
	assert_string_equal(d.err.message, "unexpected COPY data: a row does not have 1 fields");
}

static void
test_zero_column_rows(void **state)
{
	Decoded d;

	/* A table without columns: every row is an empty line. */
	decode_str(&d, "\n", 0);
	assert_true(d.ok);
	decode_str(&d, "", 0);
	assert_true(d.ok);
	decode_str(&d, "x\n", 0);
	assert_false(d.ok);
	assert_int_equal(d.err.code, EBB_ERR_QUERY);
	assert_string_equal(d.err.message, "unexpected COPY data: a row has fields");
}

static void
test_fields_point_into_the_line(void **state)
{
	Decoded d;

	/* Decoding is in place: no allocation, the Row borrows the line buffer. */
	decode_str(&d, "ab\t\\x41\n", 2);
	assert_true(d.ok);
	assert_ptr_equal(d.f[0].data, d.line);
	assert_ptr_equal(d.f[1].data, d.line + 3);
	assert_text(&d.f[1], "A");
}

static void
test_trailing_lone_backslash_kept(void **state)
{
	Decoded d;

	/* PostgreSQL never sends this, but the decoder must not read past the field. */
	decode_str(&d, "ab\\\tc\n", 2);
	assert_true(d.ok);
	assert_text(&d.f[0], "ab\\");
	assert_text(&d.f[1], "c");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tabs_split_fields),
		cmocka_unit_test(test_empty_fields_are_empty_strings),
		cmocka_unit_test(test_backslash_n_is_null),
		cmocka_unit_test(test_escaped_backslash_then_n_is_not_null),
		cmocka_unit_test(test_simple_escapes),
		cmocka_unit_test(test_escaped_tab_does_not_split),
		cmocka_unit_test(test_octal_escapes),
		cmocka_unit_test(test_hex_escapes),
		cmocka_unit_test(test_other_backslashed_char_is_itself),
		cmocka_unit_test(test_utf8_passes_through),
		cmocka_unit_test(test_trailing_newline_removed),
		cmocka_unit_test(test_too_few_fields_rejected),
		cmocka_unit_test(test_too_many_fields_rejected),
		cmocka_unit_test(test_zero_column_rows),
		cmocka_unit_test(test_fields_point_into_the_line),
		cmocka_unit_test(test_trailing_lone_backslash_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
