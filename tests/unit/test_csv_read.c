/*
 * test_csv_read.c: encode/csv_read.c, the reader of the csv driver's objects, and
 * pg/copy_text.c, the COPY text form the rows go back to PostgreSQL in. The reader must give
 * back exactly what the csv encoder wrote (random nasty fields, NULL apart from '', every byte
 * 1..255), whatever the split of its input between writes, and reject malformed objects with
 * the line named. The COPY text form must decode back (pg/copy.c's decoder, PostgreSQL's
 * rules) to the same values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "encode/csv.h"
#include "encode/csv_read.h"
#include "encode/encoder.h"
#include "pg/copy.h"
#include "pg/copy_text.h"
#include "unit_util.h"

/* What the callbacks saw, serialized: "H" names..., then per row "R" and per field
 * N (NULL) or V<len>:<bytes>; so that two runs compare with one memcmp. */
typedef struct Seen
{
	Buf out;
	int fail_at_row; /* 0: never; n: the row callback fails on row n */
	int rows;
} Seen;

static void
seen_field(Buf *out, const char *data, size_t len, bool isnull)
{
	if (isnull)
	{
		buf_append_char(out, 'N');
		return;
	}
	buf_printf(out, "V%zu:", len);
	buf_append(out, data, len);
}

static bool
seen_header(void *arg, int ncolumns, const char *const *names, EbbError *err)
{
	Seen *s = arg;

	buf_printf(&s->out, "H%d", ncolumns);
	for (int i = 0; i < ncolumns; i++)
		seen_field(&s->out, names[i], strlen(names[i]), false);
	assert_null(names[ncolumns]);
	return true;
}

static bool
seen_row(void *arg, const Row *row, EbbError *err)
{
	Seen *s = arg;

	if (++s->rows == s->fail_at_row)
		return error_set(err, EBB_ERR_IO, "the callback failed");
	buf_append_char(&s->out, 'R');
	for (int i = 0; i < row->nfields; i++)
		seen_field(&s->out, row->fields[i].data, row->fields[i].len, row->fields[i].isnull);
	return true;
}

/* Reads text in slices: slice 0 is one write, SIZE_MAX random sizes from rng. */
static bool
read_sliced(const char *text, size_t len, size_t slice, TestRng *rng, Seen *seen, EbbError *err)
{
	CsvReadCallbacks cb = {seen_header, seen_row, seen};
	Sink *reader = encode_csv_read_create(&cb);
	bool ok = true;

	error_init(err);
	buf_init(&seen->out);
	buf_reserve(&seen->out, 1);
	seen->rows = 0;
	for (size_t off = 0; ok && off < len;)
	{
		size_t n = slice == SIZE_MAX ? 1 + rng_below(rng, 64) : slice;
		if (n == 0 || n > len - off)
			n = len - off;
		ok = sink_write(reader, text + off, n, err);
		off += n;
	}
	ok = ok && sink_finish(reader, err);
	if (ok)
		assert_int_equal(encode_csv_read_rows(reader),
						 seen->fail_at_row ? 0 : (uint64_t) seen->rows);
	encode_csv_read_destroy(reader);
	return ok;
}

/* The text reads as `expected` (a Seen serialization) in every slicing. */
static void
check_reads(const char *text, size_t len, const Buf *expected)
{
	static const size_t slices[] = {0, 1, 2, 3, 7, 100000, SIZE_MAX, SIZE_MAX};
	TestRng rng = {99};

	for (size_t i = 0; i < sizeof(slices) / sizeof(slices[0]); i++)
	{
		Seen seen = {0};
		EbbError err;
		if (!read_sliced(text, len, slices[i], &rng, &seen, &err))
			fail_msg("%s (slices of %zu)", err.message, slices[i]);
		if (seen.out.len != expected->len || memcmp(seen.out.data, expected->data, seen.out.len))
			fail_msg("slices of %zu read differently:\n%.*s\ninstead of:\n%.*s", slices[i],
					 (int) seen.out.len, seen.out.data, (int) expected->len, expected->data);
		buf_free(&seen.out);
	}
	/* every split into two writes */
	for (size_t cut = 0; len < 4096 && cut <= len; cut++)
	{
		CsvReadCallbacks cb = {seen_header, seen_row, NULL};
		Seen seen = {0};
		EbbError err;
		cb.arg = &seen;
		buf_init(&seen.out);
		buf_reserve(&seen.out, 1);
		Sink *reader = encode_csv_read_create(&cb);
		assert_true(sink_write(reader, text, cut, &err));
		assert_true(sink_write(reader, text + cut, len - cut, &err));
		assert_true(sink_finish(reader, &err));
		assert_int_equal(seen.out.len, expected->len);
		assert_memory_equal(seen.out.data, expected->data, expected->len);
		encode_csv_read_destroy(reader);
		buf_free(&seen.out);
	}
}

/* The expected serialization from a compact spec: '|' separates records, ';' fields, '~'
 * is NULL, '^' is the empty string; the first record is the header. */
static void
expect(Buf *out, const char *spec)
{
	bool header = true;

	buf_init(out);
	buf_reserve(out, 1);
	while (true)
	{
		const char *rec_end = strchr(spec, '|');
		size_t rlen = rec_end ? (size_t) (rec_end - spec) : strlen(spec);
		int n = 1;
		for (size_t i = 0; i < rlen; i++)
			n += spec[i] == ';';
		if (header)
			buf_printf(out, "H%d", rlen == 0 ? 0 : n);
		else
			buf_append_char(out, 'R');
		for (const char *f = spec; rlen > 0 && f <= spec + rlen;)
		{
			const char *fe = memchr(f, ';', (size_t) (spec + rlen - f));
			size_t flen = fe ? (size_t) (fe - f) : (size_t) (spec + rlen - f);
			bool isnull = flen == 1 && f[0] == '~', empty = flen == 1 && f[0] == '^';
			seen_field(out, f, empty ? 0 : flen, isnull);
			f += flen + 1;
		}
		header = false;
		if (!rec_end)
			break;
		spec = rec_end + 1;
	}
}

static void
check_spec(const char *text, const char *spec)
{
	Buf expected;

	expect(&expected, spec);
	check_reads(text, strlen(text), &expected);
	buf_free(&expected);
}

static void
test_reads_fields_null_and_empty(void **state)
{
	check_spec("id,name\n1,a\n2,\"\"\n3,\n", "id;name|1;a|2;^|3;~");
	check_spec("a,b,c\n,,\n\"\",\"\",\"\"\n", "a;b;c|~;~;~|^;^;^");
	check_spec("id,s\n1,\"x,y\"\n2,\"say \"\"hi\"\"\"\n3,\"\"\"\"\n",
			   "id;s|1;x,y|2;say \"hi\"|3;\"");
	check_spec("id\n", "id");
	check_spec("id", "id");
	check_spec("\"i,d\",s\n", "i,d;s");
}

static void
test_line_ends(void **state)
{
	check_spec("id,name\r\n1,a\r\n2,b\r\n", "id;name|1;a|2;b");
	check_spec("id,name\r1,a\r2,b\r", "id;name|1;a|2;b");
	check_spec("id,name\n1,a\r\n2,b", "id;name|1;a|2;b");
	check_spec("id,name\n1,a\n2,", "id;name|1;a|2;~");
	/* an empty line in a table of one column is a row with NULL */
	check_spec("v\n\n\r\n1\n\n", "v|~|~|1|~");
	check_spec("id,s\n1,\"a\nb\"\n2,\"c\r\nd\"\n3,\"\r\"\n", "id;s|1;a\nb|2;c\r\nd|3;\r");
	check_spec("id,s\n1,\"\\.\"\n2,\"x\n\\.\ny\"\n", "id;s|1;\\.|2;x\n\\.\ny");
}

static void
test_table_of_no_columns(void **state)
{
	Buf expected;

	buf_init(&expected);
	buf_append_str(&expected, "H0RRR");
	check_reads("\n\n\n\n", 4, &expected);
	buf_free(&expected);
}

/* The header of nasty names comes back unescaped and NUL-terminated. */
static void
test_header_names(void **state)
{
	check_spec("id,\"Mixed Case, \"\"quoted\"\" col\",\"a\nb\",\"\\.\",é\n1,2,3,4,5\n",
			   "id;Mixed Case, \"quoted\" col;a\nb;\\.;é|1;2;3;4;5");
}

/* Reads text in one write and expects failure with message, also at finish and after. */
static void
check_error(const char *text, const char *message)
{
	static const size_t slices[] = {0, 1, 5};

	for (size_t i = 0; i < sizeof(slices) / sizeof(slices[0]); i++)
	{
		Seen seen = {0};
		EbbError err;
		assert_false(read_sliced(text, strlen(text), slices[i], NULL, &seen, &err));
		assert_string_equal(err.message, message);
		assert_int_equal(err.code, EBB_ERR_VERIFY);
		buf_free(&seen.out);
	}
}

static void
test_wrong_field_counts(void **state)
{
	check_error("a,b,c,d\n1,2,3,4\n1,2,3\n",
				"could not parse CSV object: line 3 has 3 fields, expected 4");
	check_error("a,b\n1,2,3\n", "could not parse CSV object: line 2 has 3 fields, expected 2");
	check_error("a,b\n1,2\n\n", "could not parse CSV object: line 3 has 1 field, expected 2");
	check_error("a,b\n1,2\n3", "could not parse CSV object: line 3 has 1 field, expected 2");
	/* lines count as an editor counts them: quoted line ends too, CRLF once */
	check_error("a,b\r\n1,\"x\r\ny\nz\"\r\n1,\"\n\"\r\n5\r\n",
				"could not parse CSV object: line 7 has 1 field, expected 2");
	check_error("\n\n1\n", "could not parse CSV object: line 3 has 1 field, expected 0");
}

static void
test_malformed_quotes(void **state)
{
	check_error("a,b\n1,\"open\n", "could not parse CSV object: the quoted field that starts on "
								   "line 2 is not terminated");
	check_error("a,b\n1,\"x\ny\"\n2,\"a\"\"\n",
				"could not parse CSV object: the quoted field that starts on line 4 is not "
				"terminated");
	check_error("\"", "could not parse CSV object: the quoted field that starts on line 1 is not "
					  "terminated");
	check_error("a\n\"a\"b\n",
				"could not parse CSV object: line 2 has a character after the closing quote of a "
				"field");
	check_error("a\n\"a\nb\" \n",
				"could not parse CSV object: line 3 has a character after the closing quote of a "
				"field");
	check_error("a\nx\"y\n", "could not parse CSV object: line 2 has a quote inside an unquoted "
							 "field");
	check_error("a,\"b\"\"c\n", "could not parse CSV object: the quoted field that starts on "
								"line 1 is not terminated");
}

static void
test_header_errors(void **state)
{
	check_error("", "could not parse CSV object: no header line");
	check_error("a,,b\n", "could not parse CSV object: line 1 has an empty column name (column 2)");
}

/* After an error every write and the finish fail the same way; a callback's error stops it. */
static void
test_errors_stick(void **state)
{
	Seen seen = {.fail_at_row = 2};
	CsvReadCallbacks cb = {seen_header, seen_row, &seen};
	Sink *reader = encode_csv_read_create(&cb);
	EbbError err;

	buf_init(&seen.out);
	assert_true(sink_write(reader, "a\n1\n", 4, &err));
	assert_false(sink_write(reader, "2\n3\n", 4, &err));
	assert_string_equal(err.message, "the callback failed");
	assert_int_equal(err.code, EBB_ERR_IO);
	error_init(&err);
	assert_false(sink_write(reader, "4\n", 2, &err));
	assert_string_equal(err.message, "the callback failed");
	error_init(&err);
	assert_false(sink_finish(reader, &err));
	assert_string_equal(err.message, "the callback failed");
	assert_int_equal(encode_csv_read_rows(reader), 2);
	encode_csv_read_destroy(reader);
	buf_free(&seen.out);

	reader = encode_csv_read_create(&(CsvReadCallbacks){NULL, NULL, NULL});
	assert_false(sink_write(reader, "a,b\n1\n2,3\n", 10, &err));
	error_init(&err);
	assert_false(sink_write(reader, "2,3\n", 4, &err));
	assert_string_equal(err.message, "could not parse CSV object: line 2 has 1 field, expected 2");
	encode_csv_read_destroy(reader);
}

/* A random field from pieces that break naive readers, or random bytes 1..255. */
static void
random_field(TestRng *rng, Buf *text, RowField *f)
{
	static const char *const pieces[] = {"a",  ",",     "\"",    "\n",   "\r",  "\r\n", "\\.",
										 "\\", "\\.\n", "\n\\.", "",     "x y", "\t",   "\\N",
										 "é",  "日本",  "😀",     "\"\"", ",\"", "NULL"};
	size_t start = text->len;

	if (rng_below(rng, 8) == 0)
		for (uint64_t k = rng_below(rng, 12); k > 0; k--)
			buf_append_char(text, (char) (1 + rng_below(rng, 255)));
	else
		for (uint64_t k = rng_below(rng, 5); k > 0; k--)
			buf_append_str(text, pieces[rng_below(rng, sizeof(pieces) / sizeof(pieces[0]))]);
	/* data pointers are fixed up by the caller: the buffer moves */
	*f = (RowField){(const char *) (uintptr_t) start, text->len - start, rng_below(rng, 6) == 0};
}

static bool buf_sink_write(Sink *sink, const void *data, size_t len, EbbError *err);

typedef struct BufSink
{
	Sink base;
	Buf buf;
} BufSink;

static const SinkOps buf_sink_ops = {.write = buf_sink_write};

static bool
buf_sink_write(Sink *sink, const void *data, size_t len, EbbError *err)
{
	buf_append(&((BufSink *) sink)->buf, data, len);
	return true;
}

/* Encodes nrows random rows of ncols with the csv encoder; expected gets their serialization. */
static void
encode_random(TestRng *rng, int ncols, int nrows, BufSink *out, Buf *expected)
{
	static const char *const names[] = {"id", "Mixed Case, \"quoted\" col", "a\nb", "\\.", "é"};
	ColumnDesc cols[5] = {0};
	TableShape shape = {.ncolumns = ncols, .columns = cols};
	EncoderOptions opts = {.codec_level = -1};
	Encoder enc;
	EbbError err;

	buf_printf(expected, "H%d", ncols);
	for (int c = 0; c < ncols; c++)
	{
		cols[c].name = (char *) names[c];
		seen_field(expected, names[c], strlen(names[c]), false);
	}
	encoder_open(&enc, encoder_find("csv"), &shape, &opts, &out->base);
	assert_true(encoder_begin(&enc, &err));
	for (int r = 0; r < nrows; r++)
	{
		RowField fields[5];
		Buf text;
		buf_init(&text);
		buf_reserve(&text, 1);
		for (int c = 0; c < ncols; c++)
			random_field(rng, &text, &fields[c]);
		buf_append_char(expected, 'R');
		for (int c = 0; c < ncols; c++)
		{
			fields[c].data = text.data + (uintptr_t) fields[c].data;
			seen_field(expected, fields[c].data, fields[c].len, fields[c].isnull);
		}
		assert_true(encoder_row(&enc, &(Row){.nfields = ncols, .fields = fields}, &err));
		buf_free(&text);
	}
	assert_true(encoder_finish(&enc, &err));
	encoder_close(&enc);
}

/* What the encoder writes, the reader reads back exactly, in every slicing. */
static void
test_round_trip_with_the_encoder(void **state)
{
	TestRng rng = {20240611};

	for (int round = 0; round < 60; round++)
	{
		BufSink out = {.base.ops = &buf_sink_ops};
		Buf expected;
		buf_init(&out.buf);
		buf_reserve(&out.buf, 1);
		buf_init(&expected);
		encode_random(&rng, 1 + (int) rng_below(&rng, 5), (int) rng_below(&rng, 30), &out,
					  &expected);
		check_reads(out.buf.data, out.buf.len, &expected);
		buf_free(&out.buf);
		buf_free(&expected);
	}
}

/* An object larger than the reader's slice of a write (64 kB), in one write and in pieces. */
static void
test_large_object(void **state)
{
	TestRng rng = {31337};
	BufSink out = {.base.ops = &buf_sink_ops};
	Buf expected;

	buf_init(&out.buf);
	buf_init(&expected);
	encode_random(&rng, 5, 20000, &out, &expected);
	assert_true(out.buf.len > 4 * 64 * 1024);
	check_reads(out.buf.data, out.buf.len, &expected);
	buf_free(&out.buf);
	buf_free(&expected);
}

/* Every byte 1..255, alone in a field and all in one field. */
static void
test_every_byte(void **state)
{
	BufSink out = {.base.ops = &buf_sink_ops};
	Buf expected, all;
	RowField fields[2];
	Encoder enc;
	EbbError err;
	ColumnDesc cols[2] = {{.name = "n"}, {.name = "v"}};
	TableShape shape = {.ncolumns = 2, .columns = cols};
	EncoderOptions opts = {.codec_level = -1};
	char num[8];

	buf_init(&out.buf);
	buf_init(&all);
	expect(&expected, "n;v");
	encoder_open(&enc, encoder_find("csv"), &shape, &opts, &out.base);
	assert_true(encoder_begin(&enc, &err));
	for (int b = 1; b <= 256; b++)
	{
		char byte = (char) b;
		snprintf(num, sizeof(num), "%d", b);
		fields[0] = (RowField){num, strlen(num), false};
		fields[1] = b < 256 ? (RowField){&byte, 1, false} : (RowField){all.data, all.len, false};
		assert_true(encoder_row(&enc, &(Row){.nfields = 2, .fields = fields}, &err));
		buf_append_char(&expected, 'R');
		seen_field(&expected, fields[0].data, fields[0].len, false);
		seen_field(&expected, fields[1].data, fields[1].len, false);
		if (b < 256)
			buf_append_char(&all, byte);
	}
	assert_true(encoder_finish(&enc, &err));
	encoder_close(&enc);
	check_reads(out.buf.data, out.buf.len, &expected);
	buf_free(&out.buf);
	buf_free(&expected);
	buf_free(&all);
}

static void
check_copy_text(RowField f, const char *expected)
{
	Buf b;

	buf_init(&b);
	buf_append_str(&b, "<");
	pg_copy_text_append_field(&b, &f);
	assert_int_equal(b.len, strlen(expected) + 1);
	assert_memory_equal(b.data + 1, expected, strlen(expected));
	buf_free(&b);
}

static RowField
field_of(const char *s)
{
	return (RowField){s, strlen(s), false};
}

static void
test_copy_text_escaping(void **state)
{
	check_copy_text((RowField){NULL, 0, true}, "\\N");
	check_copy_text(field_of(""), "");
	check_copy_text(field_of("plain, \"quoted\" é"), "plain, \"quoted\" é");
	check_copy_text(field_of("\\N"), "\\\\N");
	check_copy_text(field_of("\\."), "\\\\.");
	check_copy_text(field_of("a\tb\nc\rd\\e"), "a\\tb\\nc\\rd\\\\e");
	check_copy_text(field_of("\r\n\\.\r\n"), "\\r\\n\\\\.\\r\\n");
	check_copy_text(field_of("\b\f\v\x01"), "\b\f\v\x01");

	RowField fields[3] = {field_of("1"), {NULL, 0, true}, field_of("x\ty")};
	Buf b;
	buf_init(&b);
	pg_copy_text_append_row(&b, &(Row){.nfields = 3, .fields = fields});
	assert_int_equal(b.len, strlen("1\t\\N\tx\\ty\n"));
	assert_memory_equal(b.data, "1\t\\N\tx\\ty\n", b.len);
	buf_reset(&b);
	pg_copy_text_append_row(&b, &(Row){.nfields = 0, .fields = fields});
	assert_int_equal(b.len, 1);
	buf_free(&b);
}

/* What pg_copy_text writes, COPY text's decoder (pg/copy.c, PostgreSQL's rules) reads back. */
static void
test_copy_text_decodes_back(void **state)
{
	TestRng rng = {7};

	for (int round = 0; round < 500; round++)
	{
		Buf text, line;
		RowField in[3], out[3];
		buf_init(&text);
		buf_reserve(&text, 1);
		buf_init(&line);
		for (int c = 0; c < 3; c++)
			random_field(&rng, &text, &in[c]);
		for (int c = 0; c < 3; c++)
			in[c].data = text.data + (uintptr_t) in[c].data;
		pg_copy_text_append_row(&line, &(Row){.nfields = 3, .fields = in});
		EbbError err;
		assert_true(pg_copy_decode_text(line.data, line.len, out, 3, &err));
		for (int c = 0; c < 3; c++)
		{
			assert_int_equal(out[c].isnull, in[c].isnull);
			if (in[c].isnull)
				continue;
			assert_int_equal(out[c].len, in[c].len);
			assert_memory_equal(out[c].data, in[c].data, in[c].len);
		}
		buf_free(&text);
		buf_free(&line);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_fields_null_and_empty),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_table_of_no_columns),
		cmocka_unit_test(test_header_names),
		cmocka_unit_test(test_wrong_field_counts),
		cmocka_unit_test(test_malformed_quotes),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_errors_stick),
		cmocka_unit_test(test_round_trip_with_the_encoder),
		cmocka_unit_test(test_large_object),
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_copy_text_escaping),
		cmocka_unit_test(test_copy_text_decodes_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
