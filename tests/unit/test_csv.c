/*
 * test_csv.c: encode/csv.c against RFC 4180 and PostgreSQL's COPY ... (FORMAT csv) rules:
 * a field is quoted when it holds a comma, quote, CR or LF, is empty, or is exactly "\.";
 * quotes inside are doubled; NULL is an empty unquoted field. The round-trip test parses the
 * output with an independent RFC 4180 reader written here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "encode/csv.h"
#include "unit_util.h"

static RowField
text_field(const char *s)
{
	return (RowField){.data = s, .len = strlen(s), .isnull = false};
}

static RowField
null_field(void)
{
	return (RowField){.data = NULL, .len = 0, .isnull = true};
}

/* Encodes one field into a fresh buffer and compares with the expected bytes. */
static void
check_field(RowField f, const char *expected)
{
	Buf b;

	buf_init(&b);
	encode_csv_field(&b, &f);
	assert_int_equal(b.len, strlen(expected));
	if (b.len > 0)
		assert_memory_equal(b.data, expected, b.len);
	buf_free(&b);
}

static void
test_plain_field_unquoted(void **state)
{
	check_field(text_field("hello"), "hello");
	check_field(text_field("42"), "42");
	/* A backslash alone, or one not forming exactly "\.", needs no quoting in CSV. */
	check_field(text_field("a\\b"), "a\\b");
	check_field(text_field("\\.x"), "\\.x");
}

static void
test_quote_doubled_and_field_quoted(void **state)
{
	check_field(text_field("say \"hi\""), "\"say \"\"hi\"\"\"");
	check_field(text_field("\""), "\"\"\"\"");
	check_field(text_field("\"\""), "\"\"\"\"\"\"");
}

static void
test_comma_cr_lf_crlf_quoted(void **state)
{
	check_field(text_field("a,b"), "\"a,b\"");
	check_field(text_field(","), "\",\"");
	check_field(text_field("line1\nline2"), "\"line1\nline2\"");
	check_field(text_field("a\rb"), "\"a\rb\"");
	check_field(text_field("a\r\nb"), "\"a\r\nb\"");
	check_field(text_field("\n"), "\"\n\"");
}

static void
test_null_vs_empty(void **state)
{
	/* NULL: nothing at all; empty string: a quoted empty field, so a reader can tell them apart. */
	check_field(null_field(), "");
	check_field(text_field(""), "\"\"");
}

static void
test_end_of_data_marker_quoted(void **state)
{
	/* COPY FROM would take an unquoted \. line as end of data. */
	check_field(text_field("\\."), "\"\\.\"");
}

static void
test_utf8_untouched(void **state)
{
	const char *s = "gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80 \xe6\x97\xa5\xe6\x9c\xac";

	check_field(text_field(s), s);
	/* Multibyte text inside a quoted field is copied byte for byte too. */
	check_field(text_field("\xc3\xa9,\xe2\x82\xac"), "\"\xc3\xa9,\xe2\x82\xac\"");
}

static void
test_spaces_kept(void **state)
{
	/* RFC 4180: spaces are part of a field and shall not be ignored. */
	check_field(text_field("  padded  "), "  padded  ");
	check_field(text_field(" "), " ");
	check_field(text_field(" a, b "), "\" a, b \"");
}

static void
test_field_with_len_not_nul_terminated(void **state)
{
	/* Fields are (data, len), not C strings: only len bytes count. */
	RowField f = {.data = "abc,def", .len = 3, .isnull = false};

	check_field(f, "abc");
}

static void
test_appends_after_existing_bytes(void **state)
{
	Buf b;
	RowField f = text_field("x\"y");

	buf_init(&b);
	buf_append_str(&b, "prefix|");
	encode_csv_field(&b, &f);
	assert_string_equal(buf_cstr(&b), "prefix|\"x\"\"y\"");
	buf_free(&b);
}

static void
test_long_field_of_quotes(void **state)
{
	/* Worst case growth: every byte doubled, plus the two enclosing quotes. */
	size_t n = 100000;
	char *s = malloc(n);
	Buf b;

	assert_non_null(s);
	memset(s, '"', n);
	RowField f = {.data = s, .len = n, .isnull = false};
	buf_init(&b);
	encode_csv_field(&b, &f);
	assert_int_equal(b.len, 2 * n + 2);
	for (size_t i = 0; i < b.len; i++)
		assert_int_equal(b.data[i], '"');
	buf_free(&b);
	free(s);
}

static void
test_row_mixed_fields(void **state)
{
	RowField f[] = {null_field(),       text_field(""),    text_field("plain"),
					text_field("a,b"),  text_field("q\""), text_field("two\nlines"),
					text_field(" sp "), text_field("\\."), null_field()};
	Row row = {.nfields = 9, .fields = f};
	Buf b;

	buf_init(&b);
	encode_csv_row(&b, &row);
	assert_string_equal(buf_cstr(&b),
						",\"\",plain,\"a,b\",\"q\"\"\",\"two\nlines\", sp ,\"\\.\",\n");
	buf_free(&b);
}

static void
test_row_single_null_and_single_empty(void **state)
{
	RowField n = null_field(), e = text_field("");
	Row rn = {.nfields = 1, .fields = &n}, re = {.nfields = 1, .fields = &e};
	Buf b;

	buf_init(&b);
	encode_csv_row(&b, &rn);
	encode_csv_row(&b, &re);
	assert_string_equal(buf_cstr(&b), "\n\"\"\n");
	buf_free(&b);
}

/* ---- round trip through an independent RFC 4180 reader ---- */

#define RT_ROWS       2000
#define RT_MAX_FIELDS 8
#define RT_MAX_LEN    12

typedef struct ParsedField
{
	char *data;
	size_t len;
	bool isnull;
} ParsedField;

/*
 * Reads one field at *p. Quoted: up to the closing quote, "" is one quote. Unquoted: up to
 * ',' or '\n', and must not contain a quote or CR (RFC 4180 2.5/2.6). Unquoted empty = NULL.
 */
static void
parse_field(const char **p, ParsedField *out)
{
	const char *s = *p;
	Buf b;

	buf_init(&b);
	if (*s == '"')
	{
		for (s++;; s++)
		{
			assert_true(*s != '\0'); /* an unterminated quoted field */
			if (*s == '"' && s[1] == '"')
				buf_append_char(&b, *s++);
			else if (*s == '"')
				break;
			else
				buf_append_char(&b, *s);
		}
		s++;
		assert_true(*s == ',' || *s == '\n');
		out->isnull = false;
	}
	else
	{
		for (; *s != ',' && *s != '\n'; s++)
		{
			assert_true(*s != '\0' && *s != '"' && *s != '\r');
			buf_append_char(&b, *s);
		}
		out->isnull = b.len == 0;
	}
	out->len = b.len;
	out->data = malloc(b.len + 1);
	assert_non_null(out->data);
	if (b.len)
		memcpy(out->data, b.data, b.len);
	buf_free(&b);
	*p = s;
}

/* Parses one row (terminated by '\n'); returns the number of fields. */
static int
parse_row(const char **p, ParsedField *fields, int max)
{
	int n = 0;

	for (;;)
	{
		assert_true(n < max);
		parse_field(p, &fields[n++]);
		if (**p == '\n')
		{
			(*p)++;
			return n;
		}
		(*p)++; /* the comma */
	}
}

/* Random bytes from an alphabet heavy in the characters that matter to CSV. */
static void
random_field(TestRng *rng, char *buf, RowField *f)
{
	static const char *const pieces[] = {"a",
										 "Z",
										 "0",
										 ",",
										 "\"",
										 "\r",
										 "\n",
										 " ",
										 "\\",
										 ".",
										 "\\.",
										 "\t",
										 "\xc3\xa9",
										 "\xe2\x82\xac",
										 "\xf0\x9f\x98\x80"};
	size_t n = rng_below(rng, RT_MAX_LEN + 1), len = 0;

	for (size_t i = 0; i < n; i++)
	{
		const char *piece = pieces[rng_below(rng, sizeof(pieces) / sizeof(pieces[0]))];
		memcpy(buf + len, piece, strlen(piece));
		len += strlen(piece);
	}
	f->data = buf;
	f->len = len;
	f->isnull = rng_below(rng, 6) == 0;
}

typedef struct RtRow
{
	int n;
	RowField f[RT_MAX_FIELDS];
	char text[RT_MAX_FIELDS][RT_MAX_LEN * 4];
} RtRow;

static void
check_parsed_row(const RtRow *row, const char **p)
{
	ParsedField got[RT_MAX_FIELDS + 1];
	int n = parse_row(p, got, RT_MAX_FIELDS + 1);

	/* A single NULL field encodes as an empty line, which parses as one NULL field too. */
	assert_int_equal(n, row->n);
	for (int k = 0; k < n; k++)
	{
		assert_int_equal(got[k].isnull, row->f[k].isnull);
		if (!row->f[k].isnull)
		{
			assert_int_equal(got[k].len, row->f[k].len);
			assert_memory_equal(got[k].data, row->f[k].data, got[k].len);
		}
		free(got[k].data);
	}
}

static void
test_round_trip_random_rows(void **state)
{
	TestRng rng = {UINT64_C(0x9e3779b97f4a7c15)};
	RtRow *rows = calloc(RT_ROWS, sizeof(RtRow));
	Buf out;
	int nulls = 0, empties = 0;

	assert_non_null(rows);
	buf_init(&out);
	for (int i = 0; i < RT_ROWS; i++)
	{
		rows[i].n = 1 + (int) rng_below(&rng, RT_MAX_FIELDS);
		for (int k = 0; k < rows[i].n; k++)
		{
			random_field(&rng, rows[i].text[k], &rows[i].f[k]);
			nulls += rows[i].f[k].isnull;
			empties += !rows[i].f[k].isnull && rows[i].f[k].len == 0;
		}
		encode_csv_row(&out, &(Row){.nfields = rows[i].n, .fields = rows[i].f});
	}
	/* The generator must really exercise both kinds of "nothing". */
	assert_true(nulls > 100 && empties > 100);
	const char *p = buf_cstr(&out);
	for (int i = 0; i < RT_ROWS; i++)
		check_parsed_row(&rows[i], &p);
	assert_int_equal(*p, '\0');
	buf_free(&out);
	free(rows);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_field_unquoted),
		cmocka_unit_test(test_quote_doubled_and_field_quoted),
		cmocka_unit_test(test_comma_cr_lf_crlf_quoted),
		cmocka_unit_test(test_null_vs_empty),
		cmocka_unit_test(test_end_of_data_marker_quoted),
		cmocka_unit_test(test_utf8_untouched),
		cmocka_unit_test(test_spaces_kept),
		cmocka_unit_test(test_field_with_len_not_nul_terminated),
		cmocka_unit_test(test_appends_after_existing_bytes),
		cmocka_unit_test(test_long_field_of_quotes),
		cmocka_unit_test(test_row_mixed_fields),
		cmocka_unit_test(test_row_single_null_and_single_empty),
		cmocka_unit_test(test_round_trip_random_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
