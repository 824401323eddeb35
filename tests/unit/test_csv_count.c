/*
 * test_csv_count.c: encode/csv_count.c, the csv driver's row counter. It must count records as
 * PostgreSQL's COPY FROM (FORMAT csv, HEADER) reads them: quoted line ends are data, the header
 * is not a row, LF, CRLF and CR end records. The property test encodes random rows with the
 * encoder and counts them back, fed in random slices.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "encode/csv.h"
#include "encode/encoder.h"
#include "unit_util.h"

/* Counts text fed in slices of `slice` bytes (0: one write); returns whether finish passed. */
static bool
count_sliced(const char *text, size_t len, size_t slice, uint64_t *rows, EbbError *err)
{
	const EncoderDriver *csv = encoder_find("csv");
	Sink *counter = encoder_counter_create(csv);
	bool ok = true;

	error_init(err);
	for (size_t off = 0; ok && off < len;)
	{
		size_t n = slice == 0 || slice > len - off ? len - off : slice;
		ok = sink_write(counter, text + off, n, err);
		off += n;
	}
	ok = ok && sink_finish(counter, err);
	*rows = encoder_counter_rows(csv, counter);
	encoder_counter_destroy(csv, counter);
	return ok;
}

/* The text has `expected` rows, whether it is written at once or byte by byte. */
static void
check_rows(const char *text, uint64_t expected)
{
	static const size_t slices[] = {0, 1, 2, 3, 7};
	size_t len = strlen(text);

	for (size_t i = 0; i < sizeof(slices) / sizeof(slices[0]); i++)
	{
		EbbError err;
		uint64_t rows;
		if (!count_sliced(text, len, slices[i], &rows, &err))
			fail_msg("%s in %s", err.message, text);
		if (rows != expected)
			fail_msg("%llu rows instead of %llu (slices of %zu) in: %s", (unsigned long long) rows,
					 (unsigned long long) expected, slices[i], text);
	}
}

static void
test_header_is_not_a_row(void **state)
{
	check_rows("", 0);
	check_rows("id,name\n", 0);
	check_rows("id,name", 0);
	check_rows("id,name\n1,a\n", 1);
	check_rows("id,name\n1,a\n2,b\n3,c\n", 3);
}

static void
test_last_record_without_line_end(void **state)
{
	check_rows("id,name\n1,a\n2,b", 2);
	check_rows("id\n1\n\"x\"", 2);
}

static void
test_quoted_line_ends_are_data(void **state)
{
	check_rows("id,s\n1,\"line\nnext\"\n2,\"a\r\nb\"\n", 2);
	check_rows("id,s\n1,\"\n\n\n\"\n", 1);
	check_rows("\"i\nd\",s\n1,x\n", 1); /* a quoted line end in the header too */
	check_rows("id,s\n1,\"a,b\"\n", 1);
}

static void
test_doubled_quotes(void **state)
{
	check_rows("id,s\n1,\"say \"\"hi\"\"\"\n2,\"\"\"\"\n3,\"\"\n", 3);
	/* a doubled quote followed by a line end still inside the field */
	check_rows("id,s\n1,\"a\"\"\nb\"\n", 1);
	/* COPY toggles quoting at every quote, also in the middle of a field */
	check_rows("id,s\n1,a\"b\nc\"d\n", 1);
}

static void
test_crlf_and_cr(void **state)
{
	check_rows("id,name\r\n1,a\r\n2,b\r\n", 2);
	check_rows("id,name\r1,a\r2,b\r", 2);
	check_rows("id,name\r\n1,a\r\n2,b", 2);
	/* a CRLF split between two writes is one line end: the byte-by-byte slices check it */
	check_rows("id\r\n1\r\n\r\n", 2); /* an empty line is a record (one NULL column) */
}

static void
test_empty_lines_are_records(void **state)
{
	/* A table of one column writes NULL as an empty line: it is a row. */
	check_rows("v\n\n\n1\n", 3);
}

static void
test_unterminated_quote_fails(void **state)
{
	static const char *const bad[] = {"id,s\n1,\"open\n", "\"", "id,s\n1,\"a\"\"\n"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		EbbError err;
		uint64_t rows;
		assert_false(count_sliced(bad[i], strlen(bad[i]), 0, &rows, &err));
		assert_string_equal(err.message, "CSV data ends inside a quoted field");
		assert_int_equal(err.code, EBB_ERR_VERIFY);
	}
}

/* Random rows of nasty fields, encoded by the encoder, are counted exactly. */
static void
test_counts_what_the_encoder_writes(void **state)
{
	static const char *const pieces[] = {"a", ",", "\"", "\n", "\r", "\r\n", "\\.", "", "x y"};
	TestRng rng = {4242};
	RowField fields[4];
	char texts[4][64];
	Buf out;

	for (int round = 0; round < 50; round++)
	{
		uint64_t nrows = rng_below(&rng, 40);
		buf_init(&out);
		buf_append_str(&out, "a,\"b\nc\",d,e\n");
		for (uint64_t r = 0; r < nrows; r++)
		{
			for (int f = 0; f < 4; f++)
			{
				texts[f][0] = '\0';
				for (uint64_t k = rng_below(&rng, 5); k > 0; k--)
					strcat(texts[f], pieces[rng_below(&rng, 9)]);
				fields[f] = (RowField){texts[f], strlen(texts[f]), rng_below(&rng, 6) == 0};
			}
			Row row = {.nfields = 4, .fields = fields};
			encode_csv_row(&out, &row);
		}
		EbbError err;
		uint64_t rows;
		for (size_t slice = 0; slice < 4; slice++)
		{
			assert_true(count_sliced(out.data, out.len, slice, &rows, &err));
			assert_int_equal(rows, nrows);
		}
		buf_free(&out);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_is_not_a_row),
		cmocka_unit_test(test_last_record_without_line_end),
		cmocka_unit_test(test_quoted_line_ends_are_data),
		cmocka_unit_test(test_doubled_quotes),
		cmocka_unit_test(test_crlf_and_cr),
		cmocka_unit_test(test_empty_lines_are_records),
		cmocka_unit_test(test_unterminated_quote_fails),
		cmocka_unit_test(test_counts_what_the_encoder_writes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
