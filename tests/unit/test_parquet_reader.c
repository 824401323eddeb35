/*
 * test_parquet_reader.c: encode/parquet/reader.c and its parts. Files written in-process by
 * ebb's own writer, for every type it maps and each codec, come back as the text PostgreSQL
 * prints for the original values (timestamptz in UTC); several row groups and pages, NULLs,
 * dictionary pages; the decoders the writer never uses (DELTA_BINARY_PACKED) from the spec's
 * examples; the text of floats, times, intervals and INT96; exact messages for unreadable
 * files; and a fuzz loop: damaged or truncated files fail cleanly, never crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "encode/parquet/datetime_out.h"
#include "encode/parquet/float_text.h"
#include "encode/parquet/footer_read.h"
#include "encode/parquet/reader.h"
#include "encode/parquet/values_read.h"
#include "encode/parquet/writer.h"
#include "unit_util.h"

static char scratch_dir[256];

static int
setup_dir(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void) state;
	snprintf(scratch_dir, sizeof(scratch_dir), "%s/pqread.XXXXXX", tmp ? tmp : "/tmp");
	return mkdtemp(scratch_dir) ? 0 : -1;
}

static int
teardown_dir(void **state)
{
	char cmd[300];

	(void) state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- PostgreSQL binary send forms from text (what COPY binary would send) ---- */

typedef struct Col
{
	const char *name;
	uint32_t oid;
	int32_t typmod;
	bool as_text; /* sent as text (the server's cast): numeric without typmod, interval ... */
} Col;

#define TYPMOD(p, s) ((int32_t) (((p) << 16) | (s)) + 4)

static void
be(Buf *b, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--)
		buf_append_char(b, (char) (v >> (8 * i)));
}

/* PostgreSQL's date2j: the Julian day of a proleptic Gregorian date (year 0 = 1 BC). */
static int64_t
date2j(int y, int m, int d)
{
	if (m > 2)
	{
		m += 1;
		y += 4800;
	}
	else
	{
		m += 13;
		y += 4799;
	}
	int64_t century = y / 100, julian = (int64_t) y * 365 - 32167;
	julian += y / 4 - century + century / 4;
	return julian + 7834 * m / 256 + d;
}

/* "YYYY-MM-DD[ HH:MM:SS[.f]][+00][ BC]" to days since 2000-01-01 and microseconds of day. */
static void
parse_datetime(const char *s, int64_t *days, int64_t *us)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
	int64_t frac = 0;

	assert_true(sscanf(s, "%d-%d-%d%n", &y, &mo, &d, &n) >= 3);
	s += n;
	if (sscanf(s, " %d:%d:%d%n", &h, &mi, &sec, &n) >= 3)
	{
		s += n;
		if (*s == '.')
		{
			int digits = 0;
			for (s++; *s >= '0' && *s <= '9'; s++, digits++)
				frac = frac * 10 + (*s - '0');
			for (; digits < 6; digits++)
				frac *= 10;
		}
	}
	if (strstr(s, " BC"))
		y = 1 - y;
	*days = date2j(y, mo, d) - 2451545;
	*us = ((int64_t) h * 3600 + mi * 60 + sec) * 1000000 + frac;
}

/* numeric's binary form from its text: base-10000 digits aligned on the decimal point. */
static void
numeric_send(Buf *b, const char *s)
{
	bool neg = *s == '-';
	char ip[128] = "", fp[128] = "", all[260];
	const char *dot;
	int16_t digits[64];
	int n = 0;

	s += neg;
	dot = strchr(s, '.');
	size_t il = dot ? (size_t) (dot - s) : strlen(s);
	int pad = (int) ((4 - il % 4) % 4);
	snprintf(ip, sizeof(ip), "%.*s%.*s", pad, "000", (int) il, s);
	snprintf(fp, sizeof(fp), "%s", dot ? dot + 1 : "");
	int dscale = (int) strlen(fp);
	while (strlen(fp) % 4)
		strcat(fp, "0");
	snprintf(all, sizeof(all), "%s%s", ip, fp);
	int weight = (int) strlen(ip) / 4 - 1;
	for (size_t i = 0; i < strlen(all); i += 4)
		digits[n++] = (int16_t) ((all[i] - '0') * 1000 + (all[i + 1] - '0') * 100 +
								 (all[i + 2] - '0') * 10 + (all[i + 3] - '0'));
	int first = 0;
	while (first < n && digits[first] == 0)
		first++, weight--;
	while (n > first && digits[n - 1] == 0)
		n--;
	if (first == n)
		weight = 0;
	be(b, (uint64_t) (n - first), 2);
	be(b, (uint64_t) (uint16_t) weight, 2);
	be(b, first == n || !neg ? 0 : 0x4000, 2);
	be(b, (uint64_t) dscale, 2);
	for (int i = first; i < n; i++)
		be(b, (uint64_t) digits[i], 2);
}

static void
hex_bytes(Buf *b, const char *s)
{
	for (; *s; s++)
	{
		if (*s == '-' || *s == '\\' || *s == 'x')
			continue;
		buf_append_char(b, (char) (hexdigit(s[0]) << 4 | hexdigit(s[1])));
		s++;
	}
}

static void
send_form(const Col *c, const char *s, Buf *b)
{
	int64_t days, us;
	union
	{
		float f;
		uint32_t u;
	} f4;
	union
	{
		double d;
		uint64_t u;
	} f8;

	buf_reset(b);
	if (c->as_text)
	{
		buf_append_str(b, s);
		return;
	}
	switch (c->oid)
	{
		case 16: buf_append_char(b, s[0] == 't'); break;
		case 21: be(b, (uint64_t) strtoll(s, NULL, 10), 2); break;
		case 23:
		case 26: be(b, (uint64_t) strtoll(s, NULL, 10), 4); break;
		case 20: be(b, (uint64_t) strtoll(s, NULL, 10), 8); break;
		case 700:
			f4.f = strtof(s, NULL);
			be(b, f4.u, 4);
			break;
		case 701:
			f8.d = strtod(s, NULL);
			be(b, f8.u, 8);
			break;
		case 1700: numeric_send(b, s); break;
		case 1082:
			if (strstr(s, "infinity"))
				be(b, (uint64_t) (uint32_t) (s[0] == '-' ? INT32_MIN : INT32_MAX), 4);
			else
			{
				parse_datetime(s, &days, &us);
				be(b, (uint64_t) days, 4);
			}
			break;
		case 1083:
		{
			char full[64];
			snprintf(full, sizeof(full), "2000-01-01 %s", s);
			parse_datetime(full, &days, &us);
			be(b, (uint64_t) us, 8);
		}
		break;
		case 1114:
		case 1184:
			if (strstr(s, "infinity"))
				be(b, s[0] == '-' ? (uint64_t) INT64_MIN : (uint64_t) INT64_MAX, 8);
			else
			{
				parse_datetime(s, &days, &us);
				be(b, (uint64_t) (days * INT64_C(86400000000) + us), 8);
			}
			break;
		case 2950:
		case 17: hex_bytes(b, s); break;
		case 3802:
			buf_append_char(b, 1);
			buf_append_str(b, s);
			break;
		default: buf_append_str(b, s);
	}
}

/* ---- writing with ebb's writer, reading back ---- */

typedef struct FileSink
{
	Sink base;
	FILE *f;
} FileSink;

static bool
file_write(Sink *sink, const void *data, size_t len, EbbError *err)
{
	(void) err;
	return fwrite(data, 1, len, ((FileSink *) sink)->f) == len;
}

static const SinkOps file_ops = {.write = file_write};

typedef struct Table
{
	const Col *cols;
	int ncols;
	const char *const *cells; /* nrows x ncols, NULL for NULL */
	int nrows;
} Table;

static char *
temp_path(const char *name)
{
	char *path = malloc(strlen(scratch_dir) + strlen(name) + 2);

	assert_non_null(path);
	sprintf(path, "%s/%s", scratch_dir, name);
	return path;
}

/* The table through ebb's writer into a file; cell(r, c) gives row r's text of column c. */
static char *
write_table(const char *name, const Table *t, const char *(*cell)(const Table *, int, int),
			const char *codec, uint64_t rg_rows, EncoderInfinity inf)
{
	ColumnDesc *desc = calloc((size_t) t->ncols, sizeof(ColumnDesc));
	RowField *fields = calloc((size_t) t->ncols, sizeof(RowField));
	Buf *bufs = calloc((size_t) t->ncols, sizeof(Buf));
	StrList kv = {0};
	EncoderOptions opts = {.codec = codec,
						   .codec_level = -1,
						   .row_group_rows = rg_rows,
						   .infinity = inf,
						   .metadata = &kv};
	TableShape shape = {t->ncols, desc, true};
	FileSink sink = {{&file_ops}, NULL};
	char *path = temp_path(name);
	ParquetWriter w;
	EbbError err;

	strlist_add(&kv, "ebb.test");
	strlist_add(&kv, "value 1");
	for (int c = 0; c < t->ncols; c++)
	{
		desc[c] = (ColumnDesc){.name = (char *) t->cols[c].name,
							   .type_oid = t->cols[c].oid,
							   .typmod = t->cols[c].typmod,
							   .typtype = 'b',
							   .typcategory = 'X',
							   .type_name = (char *) "t",
							   .as_text = t->cols[c].as_text};
		buf_init(&bufs[c]);
	}
	sink.f = fopen(path, "wb");
	assert_non_null(sink.f);
	error_init(&err);
	parquet_writer_init(&w, &shape, &opts, &sink.base);
	assert_true(parquet_writer_begin(&w, &err));
	for (int r = 0; r < t->nrows; r++)
	{
		for (int c = 0; c < t->ncols; c++)
		{
			const char *s = cell(t, r, c);
			fields[c].isnull = s == NULL;
			if (s)
				send_form(&t->cols[c], s, &bufs[c]);
			fields[c].data = bufs[c].data;
			fields[c].len = s ? bufs[c].len : 0;
		}
		Row row = {t->ncols, fields};
		if (!parquet_writer_row(&w, &row, &err))
			fail_msg("%s", err.message);
	}
	assert_true(parquet_writer_finish(&w, &err));
	parquet_writer_free(&w);
	assert_int_equal(fclose(sink.f), 0);
	for (int c = 0; c < t->ncols; c++)
		buf_free(&bufs[c]);
	strlist_clear(&kv);
	free(bufs);
	free(fields);
	free(desc);
	return path;
}

static const char *
table_cell(const Table *t, int r, int c)
{
	return t->cells[r * t->ncols + c];
}

/* Every row of the file equals cell(r, c) (the expected text), in order. */
static void
assert_reads_back(const char *path, const Table *t, const char *(*expect)(const Table *, int, int),
				  int nrows)
{
	ParquetReader *r;
	EbbError err;
	Row row;
	bool eof;

	error_init(&err);
	if (!parquet_reader_open(path, &r, &err))
		fail_msg("%s", err.message);
	assert_int_equal(parquet_reader_ncolumns(r), t->ncols);
	assert_int_equal(parquet_reader_num_rows(r), nrows);
	for (int c = 0; c < t->ncols; c++)
		assert_string_equal(parquet_reader_column_name(r, c), t->cols[c].name);
	for (int i = 0; i < nrows; i++)
	{
		if (!parquet_reader_next(r, &row, &eof, &err))
			fail_msg("row %d: %s", i, err.message);
		assert_false(eof);
		assert_int_equal(row.nfields, t->ncols);
		for (int c = 0; c < t->ncols; c++)
		{
			const char *want = expect(t, i, c);
			if (!want != row.fields[c].isnull ||
				(want && (strlen(want) != row.fields[c].len ||
						  memcmp(want, row.fields[c].data, row.fields[c].len) != 0)))
				fail_msg("row %d column %s: got %s%.*s, want %s", i, t->cols[c].name,
						 row.fields[c].isnull ? "NULL" : "", (int) row.fields[c].len,
						 row.fields[c].data, want ? want : "NULL");
		}
	}
	assert_true(parquet_reader_next(r, &row, &eof, &err));
	assert_true(eof);
	assert_true(parquet_reader_next(r, &row, &eof, &err));
	assert_true(eof);
	parquet_reader_close(r);
}

/* ---- every type the writer maps ---- */

static const Col ALL_COLS[] = {
	{"b", 16, -1, false},
	{"i2", 21, -1, false},
	{"i4", 23, -1, false},
	{"i8", 20, -1, false},
	{"o", 26, -1, false},
	{"f4", 700, -1, false},
	{"f8", 701, -1, false},
	{"d9", 1700, TYPMOD(9, 2), false},
	{"d18", 1700, TYPMOD(18, 4), false},
	{"d20", 1700, TYPMOD(20, 5), false},
	{"d38", 1700, TYPMOD(38, 10), false},
	{"dt", 1082, -1, false},
	{"tm", 1083, -1, false},
	{"ts", 1114, -1, false},
	{"tz", 1184, -1, false},
	{"u", 2950, -1, false},
	{"j", 114, -1, false},
	{"jb", 3802, -1, false},
	{"by", 17, -1, false},
	{"t", 25, -1, false},
	{"vc", 1043, -1, false},
	{"num", 1700, -1, true},
	{"iv", 1186, -1, true},
	{"arr", 1007, -1, true},
};
#define NALL ((int) (sizeof(ALL_COLS) / sizeof(ALL_COLS[0])))

/* Each value in PostgreSQL's canonical output, so that text in = text out. */
static const char *const ALL_CELLS[] = {
	"t",
	"32767",
	"2147483647",
	"9223372036854775807",
	"4294967295",
	"3.4028235e+38",
	"1.7976931348623157e+308",
	"9999999.99",
	"99999999999999.9999",
	"999999999999999.99999",
	"9999999999999999999999999999.9999999999",
	"2026-01-02",
	"03:04:05.123456",
	"2026-01-02 03:04:05.123456",
	"2026-01-02 03:04:05.123456+00",
	"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
	"{\"a\": 1}",
	"{\"a\": 1, \"b\": [1, 2]}",
	"\\x00ff10",
	"hello",
	"tab\there\nnewline\\back",
	"123.456789012345678901234567890",
	"1 year 2 mons 3 days 04:05:06.007",
	"{1,2,NULL}",
	/* row 1: minimums, BC, negative zero */
	"f",
	"-32768",
	"-2147483648",
	"-9223372036854775808",
	"0",
	"-1.5",
	"-0",
	"-9999999.99",
	"-0.0001",
	"-0.00001",
	"-9999999999999999999999999999.9999999999",
	"0044-03-15 BC",
	"00:00:00",
	"4714-11-24 00:00:00 BC",
	"1969-12-31 23:59:59.999999+00",
	"00000000-0000-0000-0000-000000000000",
	"[]",
	"null",
	"\\x",
	"",
	"ünïcødé 😀",
	"NaN",
	"-1 days",
	"{}",
	/* row 2: every column NULL */
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	/* row 3: zeros, infinities, the last microsecond */
	"t",
	"0",
	"0",
	"0",
	"0",
	"NaN",
	"Infinity",
	"0.00",
	"0.0000",
	"0.00000",
	"0.0000000000",
	"infinity",
	"23:59:59.999999",
	"infinity",
	"-infinity",
	"ffffffff-ffff-ffff-ffff-ffffffffffff",
	"\"x\"",
	"1",
	"\\xdeadbeef",
	" ",
	"x",
	"0",
	"00:00:00",
	NULL,
	/* row 4: the far ends of each range */
	"f",
	"1",
	"-1",
	"1",
	"1",
	"-Infinity",
	"1e+100",
	"0.01",
	"1.0000",
	"0.00001",
	"0.0000000001",
	"5874897-12-31",
	"12:00:00.5",
	"294246-12-31 23:59:59.999999",
	"0001-01-01 00:00:00+00 BC",
	"01234567-89ab-cdef-0123-456789abcdef",
	"{}",
	"{}",
	"\\x01",
	"a",
	"b",
	"-0.5",
	"00:00:00.000001",
	"{a}",
	/* row 5: float formatting around the fixed/exponent thresholds */
	"t",
	"2",
	"3",
	"4",
	"5",
	"0.1",
	"1e-05",
	"1.10",
	"2.2000",
	"3.30000",
	"4.4000000000",
	"-infinity",
	"00:00:00.000001",
	"-infinity",
	"infinity",
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	"f",
	"3",
	"4",
	"5",
	"6",
	"123456",
	"123456789012345",
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	"2000-01-01 00:00:00",
	"2000-01-01 00:00:00+00",
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	"t",
	"4",
	"5",
	"6",
	"7",
	"1.234567e+06",
	"1e+15",
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	"f",
	"5",
	"6",
	"7",
	"8",
	"1e-05",
	"0.0001",
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	"t",
	"6",
	"7",
	"8",
	"9",
	"3.1415927",
	"2.718281828459045",
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
	NULL,
};

static const Table ALL = {ALL_COLS, NALL, ALL_CELLS,
						  (int) (sizeof(ALL_CELLS) / sizeof(ALL_CELLS[0])) / NALL};

static void
test_every_type_every_codec(void **state)
{
	static const char *const codecs[] = {"zstd", "snappy", "gzip", "none"};

	(void) state;
	assert_int_equal(sizeof(ALL_CELLS) / sizeof(ALL_CELLS[0]) % NALL, 0);
	for (int i = 0; i < 4; i++)
	{
		/* one row group, and a row group of 3 rows (several groups, the last short) */
		for (uint64_t rg = 0; rg <= 3; rg += 3)
		{
			char name[64];
			snprintf(name, sizeof(name), "all-%s-%d.parquet", codecs[i], (int) rg);
			char *path = write_table(name, &ALL, table_cell, codecs[i], rg, ENC_INFINITY_SENTINEL);
			assert_reads_back(path, &ALL, table_cell, ALL.nrows);
			free(path);
		}
	}
}

static void
test_column_types_and_kv(void **state)
{
	static const char *const want[] = {"boolean",
									   "integer",
									   "integer",
									   "bigint",
									   "bigint",
									   "real",
									   "double precision",
									   "numeric",
									   "numeric",
									   "numeric",
									   "numeric",
									   "date",
									   "time without time zone",
									   "timestamp without time zone",
									   "timestamp with time zone",
									   "uuid",
									   "text",
									   "text",
									   "bytea",
									   "text",
									   "text",
									   "text",
									   "text",
									   "text"};
	ParquetReader *r;
	EbbError err;
	char *path = write_table("kv.parquet", &ALL, table_cell, "zstd", 0, ENC_INFINITY_SENTINEL);

	(void) state;
	assert_true(parquet_reader_open(path, &r, &err));
	for (int i = 0; i < NALL; i++)
		assert_string_equal(parquet_reader_column_type(r, i), want[i]);
	assert_null(parquet_reader_column_name(r, NALL));
	assert_string_equal(parquet_reader_kv(r, "ebb.test"), "value 1");
	assert_null(parquet_reader_kv(r, "absent"));
	parquet_reader_close(r);
	free(path);
}

/* time 24:00:00 under --parquet-infinity sentinel is stored as 23:59:59.999999, and stays so;
 * a 24:00:00 from another writer (86,400,000,000 us) prints as PostgreSQL's 24:00:00. */
static void
test_time_24(void **state)
{
	static const Col cols[] = {{"tm", 1083, -1, false}};
	static const char *const in[] = {"24:00:00"}, *const out[] = {"23:59:59.999999"};
	Table t = {cols, 1, in, 1}, want = {cols, 1, out, 1};
	Buf b;
	EbbError err;
	char *path = write_table("t24.parquet", &t, table_cell, "none", 0, ENC_INFINITY_SENTINEL);

	(void) state;
	assert_reads_back(path, &want, table_cell, 1);
	free(path);
	buf_init(&b);
	assert_true(parquet_datetime_out_time(INT64_C(86400000000), 2, false, &b, &err));
	assert_string_equal(buf_cstr(&b), "24:00:00");
	buf_free(&b);
}

/* ---- dictionaries, pages, row groups ---- */

static const Col BIG_COLS[] = {
	{"id", 20, -1, false}, {"kind", 25, -1, false}, {"n", 23, -1, false}, {"big", 25, -1, false}};

/* 50,000 rows: an id, a low-cardinality string and int (dictionary-encoded), NULLs every 7th
 * row, and a 300 KiB string every 10,000th row (pages cut by bytes as well as rows). */
static const char *
big_cell(const Table *t, int r, int c)
{
	static char s[64];
	static char *huge;

	(void) t;
	if (!huge)
	{
		huge = malloc(300 * 1024 + 1);
		memset(huge, 'z', 300 * 1024);
		huge[300 * 1024] = '\0';
	}
	switch (c)
	{
		case 0: snprintf(s, sizeof(s), "%d", r); return s;
		case 1: return r % 7 == 0 ? NULL : r % 3 == 0 ? "alpha" : r % 3 == 1 ? "beta" : "gamma";
		case 2: snprintf(s, sizeof(s), "%d", r % 5 - 2); return r % 11 == 0 ? NULL : s;
		default: return r % 10000 == 1 ? huge : r % 2 ? NULL : "short";
	}
}

/* The file's footer as the reader sees it. */
static void
read_meta(const char *path, ParquetFileMeta *m)
{
	FILE *f = fopen(path, "rb");
	long size;
	uint8_t tail[8];
	EbbError err;

	assert_non_null(f);
	assert_int_equal(fseek(f, -8, SEEK_END), 0);
	size = ftell(f) + 8;
	assert_int_equal(fread(tail, 1, 8, f), 8);
	uint32_t flen;
	memcpy(&flen, tail, 4);
	uint8_t *meta = malloc(flen);
	assert_int_equal(fseek(f, size - 8 - (long) flen, SEEK_SET), 0);
	assert_int_equal(fread(meta, 1, flen, f), flen);
	fclose(f);
	if (!parquet_footer_read_parse(meta, flen, (uint64_t) size - 8 - flen, m, &err))
		fail_msg("%s", err.message);
	free(meta);
}

static void
test_dictionary_pages_and_row_groups(void **state)
{
	Table t = {BIG_COLS, 4, NULL, 50000};
	ParquetFileMeta m;

	(void) state;
	char *path = write_table("big.parquet", &t, big_cell, "zstd", 30000, ENC_INFINITY_ERROR);
	read_meta(path, &m);
	assert_int_equal(m.ngroups, 2);
	assert_true(m.groups[0].cols[1].dict_offset > 0);  /* kind */
	assert_true(m.groups[0].cols[2].dict_offset > 0);  /* n */
	assert_true(m.groups[0].cols[0].dict_offset <= 0); /* id: every value distinct */
	parquet_footer_read_free(&m);
	assert_reads_back(path, &t, big_cell, 50000);
	free(path);
}

static void
test_zero_rows(void **state)
{
	Table t = {BIG_COLS, 4, NULL, 0};

	(void) state;
	char *path = write_table("empty.parquet", &t, big_cell, "snappy", 0, ENC_INFINITY_ERROR);
	assert_reads_back(path, &t, big_cell, 0);
	free(path);
}

/* ---- unreadable files: exact messages ---- */

static void
write_bytes(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void
assert_open_fails(const char *path, EbbErrorCode code, const char *message)
{
	ParquetReader *r = (ParquetReader *) 1;
	EbbError err;

	error_init(&err);
	assert_false(parquet_reader_open(path, &r, &err));
	assert_null(r);
	assert_int_equal(err.code, code);
	assert_string_equal(err.message, message);
}

static void
test_open_errors(void **state)
{
	char *path = temp_path("bad.parquet"), want[512];
	uint8_t bytes[64] = "PAR1";

	(void) state;
	assert_open_fails("/nonexistent/x.parquet", EBB_ERR_IO,
					  "could not open file \"/nonexistent/x.parquet\": No such file or directory");
	write_bytes(path, "PAR1PAR1", 8);
	snprintf(want, sizeof(want),
			 "could not read Parquet file \"%s\": not a Parquet file (too short)", path);
	assert_open_fails(path, EBB_ERR_VERIFY, want);
	write_bytes(path, "PAR1xxxxxxxxxxxxPAR0", 20);
	snprintf(want, sizeof(want), "could not read Parquet file \"%s\": no PAR1 magic at both ends",
			 path);
	assert_open_fails(path, EBB_ERR_VERIFY, want);
	memcpy(bytes + 8, "\x40\0\0\0PAR1", 8); /* a 64-byte footer in a 16-byte file */
	write_bytes(path, bytes, 16);
	snprintf(want, sizeof(want), "could not read Parquet file \"%s\": truncated footer", path);
	assert_open_fails(path, EBB_ERR_VERIFY, want);
	memcpy(bytes + 4, "\x15\x02\x19\x4c\x04\0\0\0PAR1", 12); /* version, then a cut list */
	write_bytes(path, bytes, 16);
	assert_open_fails(path, EBB_ERR_VERIFY, want);
	free(path);
}

/* A nested schema (a group under the root) is refused, with the column named. */
static void
test_nested_schema_refused(void **state)
{
	Buf meta;
	ParquetThriftWriter w;
	char *path = temp_path("nested.parquet"), want[512];

	(void) state;
	buf_init(&meta);
	buf_append(&meta, "PAR1", 4);
	size_t at = meta.len;
	parquet_thrift_writer_init(&w, &meta);
	parquet_thrift_struct_begin(&w);
	parquet_thrift_i32(&w, 1, 1);
	parquet_thrift_list_field(&w, 2, TT_STRUCT, 3);
	parquet_thrift_struct_begin(&w);
	parquet_thrift_string(&w, 4, "schema");
	parquet_thrift_i32(&w, 5, 1);
	parquet_thrift_struct_end(&w);
	parquet_thrift_struct_begin(&w);
	parquet_thrift_i32(&w, 3, 1);
	parquet_thrift_string(&w, 4, "tags");
	parquet_thrift_i32(&w, 5, 1);
	parquet_thrift_struct_end(&w);
	parquet_thrift_struct_begin(&w);
	parquet_thrift_i32(&w, 1, 1);
	parquet_thrift_i32(&w, 3, 2);
	parquet_thrift_string(&w, 4, "element");
	parquet_thrift_struct_end(&w);
	parquet_thrift_i64(&w, 3, 0);
	parquet_thrift_list_field(&w, 4, TT_STRUCT, 0);
	parquet_thrift_struct_end(&w);
	uint32_t len = (uint32_t) (meta.len - at);
	buf_append(&meta, &len, 4);
	buf_append(&meta, "PAR1", 4);
	write_bytes(path, meta.data, meta.len);
	snprintf(want, sizeof(want),
			 "could not read Parquet file \"%s\": column \"tags\" is a nested group", path);
	assert_open_fails(path, EBB_ERR_DATA, want);
	buf_free(&meta);
	free(path);
}

/* ---- decoders the writer does not use ---- */

/* Encodings.md's examples: 1..5 (widths 0), and 7,5,3,1,2,3,4,5 (min delta -2, width 2). */
static void
test_delta_binary_packed(void **state)
{
	uint8_t ex1[] = {0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0};
	uint8_t ex2[64] = {0x80, 0x01, 0x04, 0x08, 0x0e, 0x03, 2, 0, 0, 0};
	/* relative deltas 0,0,0,3,3,3,3 at 2 bits, LSB first: 0xC0 0xFF, then padding */
	uint8_t packed[8] = {0xC0, 0xFF, 0, 0, 0, 0, 0, 0};
	ParquetDelta d;
	EbbError err;
	uint64_t v;
	const uint8_t *after;

	(void) state;
	assert_true(parquet_values_read_delta_init(&d, ex1, sizeof(ex1), &err));
	for (uint64_t want = 1; want <= 5; want++)
	{
		assert_true(parquet_values_read_delta_next(&d, &v, &err));
		assert_int_equal(v, want);
	}
	assert_false(parquet_values_read_delta_next(&d, &v, &err));
	assert_int_equal(err.code, EBB_ERR_VERIFY);
	memcpy(ex2 + 10, packed, 8);
	static const int64_t want2[] = {7, 5, 3, 1, 2, 3, 4, 5};
	assert_true(parquet_values_read_delta_init(&d, ex2, 18, &err));
	for (int i = 0; i < 8; i++)
	{
		assert_true(parquet_values_read_delta_next(&d, &v, &err));
		assert_int_equal((int64_t) v, want2[i]);
	}
	assert_true(parquet_values_read_delta_init(&d, ex2, 18, &err));
	assert_true(parquet_values_read_delta_skip(&d, &after, &err));
	assert_ptr_equal(after, ex2 + 18);
	/* cut short: an error, not a read past the end */
	assert_true(parquet_values_read_delta_init(&d, ex2, 11, &err));
	for (int i = 0; i < 8 && parquet_values_read_delta_next(&d, &v, &err); i++)
		;
	assert_int_equal(err.code, EBB_ERR_VERIFY);
}

static void
test_rle_hybrid(void **state)
{
	/* an RLE run of 3 x 5 (bw 3), then a bit-packed group of 0..7 */
	uint8_t data[] = {0x06, 0x05, 0x03, 0x88, 0xC6, 0xFA};
	ParquetRle d;
	EbbError err;
	uint32_t v;

	(void) state;
	parquet_values_read_rle_init(&d, data, sizeof(data), 3);
	for (int i = 0; i < 3; i++)
	{
		assert_true(parquet_values_read_rle_next(&d, &v, &err));
		assert_int_equal(v, 5);
	}
	for (uint32_t i = 0; i < 8; i++)
	{
		assert_true(parquet_values_read_rle_next(&d, &v, &err));
		assert_int_equal(v, i);
	}
	assert_false(parquet_values_read_rle_next(&d, &v, &err));
}

/* ---- text ---- */

static const char *
float_text(double v, bool is_float4)
{
	static Buf b;

	buf_reset(&b);
	parquet_float_text_append(&b, v, is_float4);
	return buf_cstr(&b);
}

/* Shortest round trip: reads back, and no shorter mantissa does. */
static void
test_float_text_property(void **state)
{
	TestRng rng = {0x9E3779B97F4A7C15ull};

	(void) state;
	assert_string_equal(float_text(1e22, false), "1e+22");
	assert_string_equal(float_text(5e-324, false), "5e-324");
	assert_string_equal(float_text(0.3, false), "0.3");
	assert_string_equal(float_text(100, false), "100");
	assert_string_equal(float_text(123456.5, true), "123456.5");
	assert_string_equal(float_text(1.0f / 3, true), "0.33333334");
	assert_string_equal(float_text(2.5e-5, true), "2.5e-05");
	assert_string_equal(float_text(-1e100, false), "-1e+100");
	for (int i = 0; i < 20000; i++)
	{
		uint64_t bits = rng_next(&rng);
		double d;
		float f;
		memcpy(&d, &bits, 8);
		uint32_t fbits = (uint32_t) bits;
		memcpy(&f, &fbits, 4);
		if (isfinite(d))
			assert_true(strtod(float_text(d, false), NULL) == d);
		if (isfinite(f))
			assert_true(strtof(float_text(f, true), NULL) == f);
		/* the shortest: %.{n-1}e with fewer digits never reads back */
		if (isfinite(d) && d != 0)
		{
			const char *s = float_text(d, false);
			int digits = 0;
			for (const char *p = s; *p && *p != 'e'; p++)
				digits += *p >= '1' && *p <= '9' ? 1 : 0;
			char shorter[64];
			if (digits > 1)
			{
				snprintf(shorter, sizeof(shorter), "%.*e", digits - 2, d);
				assert_true(strtod(shorter, NULL) != d);
			}
		}
	}
}

static void
test_datetime_text(void **state)
{
	Buf b;
	EbbError err;
	uint8_t iv[12] = {14, 0, 0,    0,    3,    0,
					  0,  0, 0x57, 0x65, 0xE0, 0x00}; /* 14 mons 3 days 04:05:06.007 */
	uint8_t zero[12] = {0};
	/* INT96 of 2001-02-03 04:05:06.789 (Julian day 2451944) */
	uint64_t nanos = ((4 * 3600 + 5 * 60 + 6) * INT64_C(1000000000)) + 789000000;
	uint8_t i96[12];

	(void) state;
	buf_init(&b);
	assert_true(parquet_datetime_out_timestamp(INT64_C(1767323045123), 1, true, &b, &err));
	assert_string_equal(buf_cstr(&b), "2026-01-02 03:04:05.123+00");
	buf_reset(&b);
	assert_true(parquet_datetime_out_timestamp(INT64_C(1767323045123456789), 3, false, &b, &err));
	assert_string_equal(buf_cstr(&b), "2026-01-02 03:04:05.123456");
	buf_reset(&b);
	assert_true(parquet_datetime_out_time(3723004, 1, true, &b, &err));
	assert_string_equal(buf_cstr(&b), "01:02:03.004+00");
	buf_reset(&b);
	assert_false(parquet_datetime_out_time(-1, 2, false, &b, &err));
	assert_string_equal(err.message, "a time out of PostgreSQL's range");
	assert_false(parquet_datetime_out_date(-2440589, &b, &err));
	assert_string_equal(err.message, "a date out of PostgreSQL's range");
	buf_reset(&b);
	parquet_datetime_out_interval(iv, &b);
	assert_string_equal(buf_cstr(&b), "1 year 2 mons 3 days 04:05:06.007");
	buf_reset(&b);
	parquet_datetime_out_interval(zero, &b);
	assert_string_equal(buf_cstr(&b), "00:00:00");
	for (int i = 0; i < 8; i++)
		i96[i] = (uint8_t) (nanos >> (8 * i));
	for (int i = 0; i < 4; i++)
		i96[8 + i] = (uint8_t) (2451944u >> (8 * i));
	buf_reset(&b);
	assert_true(parquet_datetime_out_int96(i96, &b, &err));
	assert_string_equal(buf_cstr(&b), "2001-02-03 04:05:06.789");
	buf_free(&b);
}

/* ---- fuzz ---- */

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	*len = (size_t) ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc(*len);
	assert_int_equal(fread(data, 1, *len, f), *len);
	fclose(f);
	return data;
}

/* Reads every row; true when the file read through, false with a VERIFY or DATA error. */
static bool
read_all(const char *path)
{
	ParquetReader *r;
	EbbError err;
	Row row;
	bool eof = false, ok;

	error_init(&err);
	if (!parquet_reader_open(path, &r, &err))
	{
		assert_true(err.code == EBB_ERR_VERIFY || err.code == EBB_ERR_DATA);
		return false;
	}
	while ((ok = parquet_reader_next(r, &row, &eof, &err)) && !eof)
		for (int i = 0; i < row.nfields; i++)
			assert_true(row.fields[i].isnull || row.fields[i].data != NULL);
	if (!ok)
	{
		assert_true(err.code == EBB_ERR_VERIFY || err.code == EBB_ERR_DATA);
		assert_non_null(strstr(err.message, "could not read Parquet file"));
	}
	parquet_reader_close(r);
	return ok;
}

/* 2000 damaged copies of ebb-written files (each codec; byte flips, and truncations): each
 * reads through or fails with an error; ASan and UBSan catch any bad access. */
static void
test_fuzz(void **state)
{
	static const char *const codecs[] = {"none", "zstd", "snappy", "gzip"};
	TestRng rng = {0xC0FFEE1234567ull};
	char *fuzzed = temp_path("fuzz.parquet");
	int failed = 0;

	(void) state;
	for (int c = 0; c < 4; c++)
	{
		char name[64];
		size_t len;
		snprintf(name, sizeof(name), "fuzz-src-%s.parquet", codecs[c]);
		char *src = write_table(name, &ALL, table_cell, codecs[c], 4, ENC_INFINITY_SENTINEL);
		uint8_t *orig = slurp(src, &len);
		assert_true(read_all(src));
		for (int i = 0; i < 500; i++)
		{
			uint8_t *copy = malloc(len);
			size_t n = len;
			memcpy(copy, orig, len);
			int mode = (int) rng_below(&rng, 4);
			if (mode == 0)
				n = (size_t) rng_below(&rng, len);
			/* flips: anywhere, or in the footer, where one byte changes the most */
			int flips = 1 + (int) rng_below(&rng, 4);
			for (int k = 0; k < flips && mode != 0; k++)
			{
				size_t at = mode == 1 ? (size_t) rng_below(&rng, len)
									  : len - 1 - (size_t) rng_below(&rng, len < 400 ? len : 400);
				copy[at] ^= (uint8_t) (1 + rng_below(&rng, 255));
			}
			write_bytes(fuzzed, copy, n);
			failed += !read_all(fuzzed);
			free(copy);
		}
		free(orig);
		free(src);
	}
	/* most damage is caught (a flip inside a string value is not damage a reader can see) */
	assert_true(failed > 1000);
	free(fuzzed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_type_every_codec),
		cmocka_unit_test(test_column_types_and_kv),
		cmocka_unit_test(test_time_24),
		cmocka_unit_test(test_dictionary_pages_and_row_groups),
		cmocka_unit_test(test_zero_rows),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_nested_schema_refused),
		cmocka_unit_test(test_delta_binary_packed),
		cmocka_unit_test(test_rle_hybrid),
		cmocka_unit_test(test_float_text_property),
		cmocka_unit_test(test_datetime_text),
		cmocka_unit_test(test_fuzz),
	};
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
