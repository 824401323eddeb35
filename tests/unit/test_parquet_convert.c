/*
 * test_parquet_convert.c: encode/parquet/types.c and convert.c, PostgreSQL's binary send forms
 * (big-endian, as COPY (FORMAT binary) sends them) to Parquet PLAIN values, and the type
 * mapping (../shared/parquet.md section 5): integers and floats byte-swapped, date and
 * timestamps moved from PostgreSQL's 2000-01-01 epoch to Unix's, +-infinity under the
 * --parquet-infinity policy, numeric(p,s) to DECIMAL (INT32 / INT64 / FLBA(n) two's
 * complement), jsonb without its version byte. The numeric inputs are built the way
 * numeric_send lays them out: int16 ndigits, int16 weight, uint16 sign, int16 dscale, then
 * base-10000 digits, leading and trailing zero digits stripped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode/parquet/types.h"
#include "unit_util.h"

enum
{
	OID_BOOL = 16,
	OID_BYTEA = 17,
	OID_NAME = 19,
	OID_INT8 = 20,
	OID_INT2 = 21,
	OID_INT4 = 23,
	OID_TEXT = 25,
	OID_OID = 26,
	OID_JSON = 114,
	OID_FLOAT4 = 700,
	OID_FLOAT8 = 701,
	OID_BPCHAR = 1042,
	OID_VARCHAR = 1043,
	OID_DATE = 1082,
	OID_TIME = 1083,
	OID_TIMESTAMP = 1114,
	OID_TIMESTAMPTZ = 1184,
	OID_INTERVAL = 1186,
	OID_NUMERIC = 1700,
	OID_UUID = 2950,
	OID_JSONB = 3802
};

#define PG_EPOCH_US INT64_C(946684800000000)

/* numeric's typmod: ((precision << 16) | scale) + VARHDRSZ */
static int32_t
typmod(int p, int s)
{
	return (int32_t) (((uint32_t) p << 16) | ((uint32_t) s & 0x7FF)) + 4;
}

static ColumnDesc
column(const char *name, uint32_t oid, int32_t mod)
{
	ColumnDesc d = {.name = (char *) name,
					.type_oid = oid,
					.typmod = mod,
					.typtype = 'b',
					.typcategory = 'X',
					.type_name = (char *) "some_type"};
	return d;
}

/* The result of one parquet_convert. */
typedef struct Conv
{
	bool ok;
	bool isnull;
	uint8_t out[16];
	const char *data;
	size_t len;
	EbbError err;
} Conv;

static Conv
convert(const ColumnDesc *col, EncoderInfinity policy, const void *in, size_t inlen)
{
	Conv c;
	ParquetColumnType t;
	/* an exact heap copy: a read past the value is caught by ASan */
	char *copy = malloc(inlen ? inlen : 1);

	assert_non_null(copy);
	memcpy(copy, in, inlen);
	memset(&c, 0, sizeof(c));
	memset(c.out, 0xAA, sizeof(c.out));
	error_init(&c.err);
	parquet_column_type(col, &t);
	c.ok = parquet_convert(&t, col, policy, copy, inlen, c.out, &c.data, &c.len, &c.isnull, &c.err);
	/* pointers into the copy are checked by the caller before it is gone: keep offsets */
	if (c.ok && c.data)
		c.data = (const char *) in + (c.data - copy);
	free(copy);
	return c;
}

static void
assert_error_names_column(const Conv *c, const char *name)
{
	char quoted[64];

	assert_false(c->ok);
	assert_int_equal(c->err.code, EBB_ERR_DATA);
	snprintf(quoted, sizeof(quoted), "\"%s\"", name);
	if (!strstr(c->err.message, quoted))
		fail_msg("message does not name the column %s: %s", quoted, c->err.message);
}

static void
be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t) (v >> 8);
	p[1] = (uint8_t) v;
}

static void
be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t) (v >> (24 - 8 * i));
}

static void
be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t) (v >> (56 - 8 * i));
}

static int32_t
le_i32(const uint8_t *p)
{
	return (int32_t) ((uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 |
					  (uint32_t) p[3] << 24);
}

static int64_t
le_i64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t) p[i] << (8 * i);
	return (int64_t) v;
}

/* ---- numeric_send's layout from a decimal string ---- */

/*
 * "-123.45" -> ndigits, weight, sign, dscale (= digits after the point) and base-10000 digits,
 * with zero digits stripped at both ends as PostgreSQL does. Returns the length.
 */
static size_t
numeric_bin(uint8_t *out, const char *text)
{
	bool neg = text[0] == '-';
	const char *p = neg ? text + 1 : text;
	const char *dot = strchr(p, '.');
	size_t ilen = dot ? (size_t) (dot - p) : strlen(p);
	size_t flen = dot ? strlen(dot + 1) : 0;
	char digits[200];
	size_t ipad = (4 - ilen % 4) % 4, fpad = (4 - flen % 4) % 4, n = 0;

	for (size_t i = 0; i < ipad; i++)
		digits[n++] = '0';
	memcpy(digits + n, p, ilen);
	n += ilen;
	if (flen)
		memcpy(digits + n, dot + 1, flen);
	n += flen;
	for (size_t i = 0; i < fpad; i++)
		digits[n++] = '0';
	assert_true(n % 4 == 0 && n < sizeof(digits));
	int ngroups = (int) (n / 4), weight = (int) ((ilen + ipad) / 4) - 1;
	int groups[50];
	for (int g = 0; g < ngroups; g++)
		groups[g] = (digits[4 * g] - '0') * 1000 + (digits[4 * g + 1] - '0') * 100 +
					(digits[4 * g + 2] - '0') * 10 + (digits[4 * g + 3] - '0');
	int first = 0, last = ngroups;
	while (first < last && groups[first] == 0)
	{
		first++;
		weight--;
	}
	while (last > first && groups[last - 1] == 0)
		last--;
	int nd = last - first;
	if (nd == 0)
	{
		weight = 0;
		neg = false;
	}
	be16(out, (uint16_t) nd);
	be16(out + 2, (uint16_t) (int16_t) weight);
	be16(out + 4, neg ? 0x4000 : 0x0000);
	be16(out + 6, (uint16_t) flen);
	for (int g = 0; g < nd; g++)
		be16(out + 8 + 2 * g, (uint16_t) groups[first + g]);
	return 8 + 2 * (size_t) nd;
}

static Conv
convert_numeric(int p, int s, EncoderInfinity policy, const char *text)
{
	ColumnDesc col = column("amount", OID_NUMERIC, typmod(p, s));
	uint8_t in[120];
	size_t n = numeric_bin(in, text);

	return convert(&col, policy, in, n);
}

static void
test_numeric_layout_helper(void **state)
{
	/* the helper against numeric_send's bytes for 123.45 and 0.5 (parquet.md 5.4) */
	uint8_t in[64];
	size_t n = numeric_bin(in, "123.45");
	const uint8_t want[] = {0, 2, 0, 0, 0, 0, 0, 2, 0, 123, 0x11, 0x94};

	assert_int_equal(n, sizeof(want));
	assert_memory_equal(in, want, n);
	n = numeric_bin(in, "0.5");
	const uint8_t want2[] = {0, 1, 0xFF, 0xFF, 0, 0, 0, 1, 0x13, 0x88};
	assert_int_equal(n, sizeof(want2));
	assert_memory_equal(in, want2, n);
	n = numeric_bin(in, "0");
	const uint8_t want3[] = {0, 0, 0, 0, 0, 0, 0, 0};
	assert_int_equal(n, sizeof(want3));
	assert_memory_equal(in, want3, n);
}

/* ---- the type mapping ---- */

static void
assert_type(uint32_t oid, int32_t mod, ParquetKind kind, ParquetPhysical physical, int type_length,
			bool binary)
{
	ColumnDesc col = column("c", oid, mod);
	ParquetColumnType t;

	parquet_column_type(&col, &t);
	assert_int_equal(t.kind, kind);
	assert_int_equal(t.physical, physical);
	assert_int_equal(t.type_length, type_length);
	assert_int_equal(parquet_column_binary(&col), binary);
}

static void
test_column_types(void **state)
{
	assert_type(OID_BOOL, -1, PQK_BOOL, PQ_BOOLEAN, 0, true);
	assert_type(OID_INT2, -1, PQK_INT16, PQ_INT32, 0, true);
	assert_type(OID_INT4, -1, PQK_INT32, PQ_INT32, 0, true);
	assert_type(OID_INT8, -1, PQK_INT64, PQ_INT64, 0, true);
	assert_type(OID_OID, -1, PQK_OID, PQ_INT64, 0, true);
	assert_type(OID_FLOAT4, -1, PQK_FLOAT4, PQ_FLOAT, 0, true);
	assert_type(OID_FLOAT8, -1, PQK_FLOAT8, PQ_DOUBLE, 0, true);
	assert_type(OID_DATE, -1, PQK_DATE, PQ_INT32, 0, true);
	assert_type(OID_TIME, -1, PQK_TIME, PQ_INT64, 0, true);
	assert_type(OID_TIMESTAMP, -1, PQK_TIMESTAMP, PQ_INT64, 0, true);
	assert_type(OID_TIMESTAMPTZ, -1, PQK_TIMESTAMPTZ, PQ_INT64, 0, true);
	assert_type(OID_UUID, -1, PQK_UUID, PQ_FLBA, 16, true);
	assert_type(OID_JSON, -1, PQK_JSON, PQ_BYTE_ARRAY, 0, true);
	assert_type(OID_JSONB, -1, PQK_JSONB, PQ_BYTE_ARRAY, 0, true);
	assert_type(OID_BYTEA, -1, PQK_BYTEA, PQ_BYTE_ARRAY, 0, true);
	/* strings: their binary form is their text */
	assert_type(OID_TEXT, -1, PQK_TEXT, PQ_BYTE_ARRAY, 0, true);
	assert_type(OID_VARCHAR, 14, PQK_TEXT, PQ_BYTE_ARRAY, 0, true);
	assert_type(OID_BPCHAR, 14, PQK_TEXT, PQ_BYTE_ARRAY, 0, true);
	assert_type(OID_NAME, -1, PQK_TEXT, PQ_BYTE_ARRAY, 0, true);
	/* anything else is cast to text by the server */
	assert_type(OID_INTERVAL, -1, PQK_TEXT, PQ_BYTE_ARRAY, 0, false);
	assert_type(OID_NUMERIC, -1, PQK_TEXT, PQ_BYTE_ARRAY, 0, false);

	/* an enum, a composite, an array of int4: text */
	ColumnDesc col = column("c", 99999, -1);
	col.typtype = 'e';
	ParquetColumnType t;
	parquet_column_type(&col, &t);
	assert_int_equal(t.kind, PQK_TEXT);
	assert_false(parquet_column_binary(&col));
	col = column("c", OID_INT4, -1);
	col.typtype = 'c';
	parquet_column_type(&col, &t);
	assert_int_equal(t.kind, PQK_TEXT);
	/* a column the shape marks as text comes as text */
	col = column("c", OID_INT4, -1);
	col.as_text = true;
	parquet_column_type(&col, &t);
	assert_int_equal(t.kind, PQK_TEXT);
	assert_int_equal(t.physical, PQ_BYTE_ARRAY);
}

static void
test_value_widths(void **state)
{
	ParquetColumnType t = {.physical = PQ_INT32};

	assert_int_equal(parquet_value_width(&t), 4);
	t.physical = PQ_FLOAT;
	assert_int_equal(parquet_value_width(&t), 4);
	t.physical = PQ_INT64;
	assert_int_equal(parquet_value_width(&t), 8);
	t.physical = PQ_DOUBLE;
	assert_int_equal(parquet_value_width(&t), 8);
	t.physical = PQ_BOOLEAN;
	assert_int_equal(parquet_value_width(&t), 1);
	t.physical = PQ_BYTE_ARRAY;
	assert_int_equal(parquet_value_width(&t), 0);
	t.physical = PQ_FLBA;
	t.type_length = 9;
	assert_int_equal(parquet_value_width(&t), 9);
}

/* Bytes of a FLBA holding a DECIMAL(p): the least n with 10^p - 1 < 2^(8n - 1). */
static int
flba_bytes(int p)
{
	unsigned __int128 max = 1;

	for (int i = 0; i < p; i++)
		max *= 10;
	max -= 1;
	for (int n = 1; n <= 16; n++)
		if (max < ((unsigned __int128) 1 << (8 * n - 1)))
			return n;
	return -1;
}

static void
test_numeric_typmods(void **state)
{
	for (int p = 1; p <= 38; p++)
		for (int s = 0; s <= p; s += (p > 4 ? p / 4 : 1))
		{
			ColumnDesc col = column("n", OID_NUMERIC, typmod(p, s));
			ParquetColumnType t;
			parquet_column_type(&col, &t);
			assert_int_equal(t.kind, PQK_DECIMAL);
			assert_int_equal(t.precision, p);
			assert_int_equal(t.scale, s);
			assert_true(parquet_column_binary(&col));
			if (p <= 9)
				assert_int_equal(t.physical, PQ_INT32);
			else if (p <= 18)
				assert_int_equal(t.physical, PQ_INT64);
			else
			{
				assert_int_equal(t.physical, PQ_FLBA);
				assert_int_equal(t.type_length, flba_bytes(p));
				assert_int_equal(parquet_value_width(&t), flba_bytes(p));
			}
		}
	/* the brief's table at its edges */
	const int edges[][2] = {{19, 9},  {21, 9},  {22, 10}, {23, 10}, {24, 11}, {26, 11},
							{27, 12}, {28, 12}, {29, 13}, {31, 13}, {32, 14}, {33, 14},
							{34, 15}, {35, 15}, {36, 16}, {38, 16}};
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		assert_int_equal(flba_bytes(edges[i][0]), edges[i][1]);
	/* not a DECIMAL: p > 38, no typmod, negative scale (PostgreSQL 15), scale > p */
	assert_type(OID_NUMERIC, typmod(39, 0), PQK_TEXT, PQ_BYTE_ARRAY, 0, false);
	assert_type(OID_NUMERIC, typmod(1000, 2), PQK_TEXT, PQ_BYTE_ARRAY, 0, false);
	assert_type(OID_NUMERIC, -1, PQK_TEXT, PQ_BYTE_ARRAY, 0, false);
	assert_type(OID_NUMERIC, typmod(5, -2), PQK_TEXT, PQ_BYTE_ARRAY, 0, false);
	assert_type(OID_NUMERIC, typmod(2, 5), PQK_TEXT, PQ_BYTE_ARRAY, 0, false);
	assert_type(OID_NUMERIC, typmod(1, 0), PQK_DECIMAL, PQ_INT32, 0, true);
	assert_type(OID_NUMERIC, typmod(38, 38), PQK_DECIMAL, PQ_FLBA, 16, true);
}

/* ---- integers, floats, bool, uuid ---- */

static void
test_integers(void **state)
{
	ColumnDesc i2 = column("i2", OID_INT2, -1), i4 = column("i4", OID_INT4, -1),
			   i8 = column("i8", OID_INT8, -1), oid = column("o", OID_OID, -1);
	uint8_t in[8];
	Conv c;

	/* int2: big-endian 16 bits -> INT32 little-endian (negatives: test_int2_negative) */
	be16(in, 0x7FFF);
	c = convert(&i2, ENC_INFINITY_ERROR, in, 2);
	assert_true(c.ok);
	assert_false(c.isnull);
	assert_int_equal(le_i32(c.out), 32767);
	be16(in, 0x0102);
	c = convert(&i2, ENC_INFINITY_ERROR, in, 2);
	assert_memory_equal(c.out, "\x02\x01\x00\x00", 4);
	/* int4 */
	be32(in, 0x01020304);
	c = convert(&i4, ENC_INFINITY_ERROR, in, 4);
	assert_true(c.ok);
	assert_memory_equal(c.out, "\x04\x03\x02\x01", 4);
	be32(in, (uint32_t) INT32_MIN);
	c = convert(&i4, ENC_INFINITY_ERROR, in, 4);
	assert_int_equal(le_i32(c.out), INT32_MIN);
	be32(in, (uint32_t) -2);
	c = convert(&i4, ENC_INFINITY_ERROR, in, 4);
	assert_int_equal(le_i32(c.out), -2);
	/* int8 */
	be64(in, UINT64_C(0x0102030405060708));
	c = convert(&i8, ENC_INFINITY_ERROR, in, 8);
	assert_true(c.ok);
	assert_memory_equal(c.out, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
	be64(in, (uint64_t) INT64_MIN);
	c = convert(&i8, ENC_INFINITY_ERROR, in, 8);
	assert_true(le_i64(c.out) == INT64_MIN);
	be64(in, (uint64_t) -3);
	c = convert(&i8, ENC_INFINITY_ERROR, in, 8);
	assert_true(le_i64(c.out) == -3);
	/* oid: unsigned 32 bits -> INT64 */
	be32(in, UINT32_MAX);
	c = convert(&oid, ENC_INFINITY_ERROR, in, 4);
	assert_true(c.ok);
	assert_true(le_i64(c.out) == (int64_t) UINT32_MAX);
}

static void
test_int2_negative(void **state)
{
	/* Sign-extended, not zero-extended: (int32_t) (int16_t), a regression seen once
	 * (convert.c stored -2 as 65534). */
	ColumnDesc i2 = column("i2", OID_INT2, -1);
	uint8_t in[2];
	Conv c;

	be16(in, (uint16_t) -2);
	c = convert(&i2, ENC_INFINITY_ERROR, in, 2);
	assert_true(c.ok);
	assert_memory_equal(c.out, "\xfe\xff\xff\xff", 4);
	be16(in, 0x8000);
	c = convert(&i2, ENC_INFINITY_ERROR, in, 2);
	assert_int_equal(le_i32(c.out), -32768);
	be16(in, 0xFFFF);
	c = convert(&i2, ENC_INFINITY_ERROR, in, 2);
	assert_int_equal(le_i32(c.out), -1);
}

static void
test_wrong_lengths_rejected(void **state)
{
	uint8_t in[32] = {0};
	const struct
	{
		uint32_t oid;
		size_t good;
	} cases[] = {{OID_BOOL, 1}, {OID_INT2, 2},      {OID_INT4, 4},        {OID_INT8, 8},
				 {OID_OID, 4},  {OID_FLOAT4, 4},    {OID_FLOAT8, 8},      {OID_DATE, 4},
				 {OID_TIME, 8}, {OID_TIMESTAMP, 8}, {OID_TIMESTAMPTZ, 8}, {OID_UUID, 16}};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		ColumnDesc col = column("w", cases[i].oid, -1);
		Conv c = convert(&col, ENC_INFINITY_ERROR, in, cases[i].good);
		assert_true(c.ok);
		c = convert(&col, ENC_INFINITY_ERROR, in, cases[i].good - 1);
		assert_error_names_column(&c, "w");
		c = convert(&col, ENC_INFINITY_ERROR, in, cases[i].good + 1);
		assert_error_names_column(&c, "w");
		c = convert(&col, ENC_INFINITY_ERROR, in, 0);
		assert_error_names_column(&c, "w");
	}
}

static void
test_floats(void **state)
{
	ColumnDesc f4 = column("f4", OID_FLOAT4, -1), f8 = column("f8", OID_FLOAT8, -1);
	uint8_t in[8];
	Conv c;
	float f = 1.5f, gf;
	double d = -2.5e-300, gd;
	uint32_t fb;
	uint64_t db;

	memcpy(&fb, &f, 4);
	be32(in, fb);
	assert_memory_equal(in, "\x3f\xc0\x00\x00", 4);
	c = convert(&f4, ENC_INFINITY_ERROR, in, 4);
	assert_true(c.ok);
	memcpy(&gf, c.out, 4);
	assert_true(gf == 1.5f);
	memcpy(&db, &d, 8);
	be64(in, db);
	c = convert(&f8, ENC_INFINITY_ERROR, in, 8);
	assert_true(c.ok);
	memcpy(&gd, c.out, 8);
	assert_true(gd == d);
	/* bit patterns pass unchanged: NaN, -0.0, infinity */
	const uint64_t patterns[] = {UINT64_C(0x7FF8000000000001), UINT64_C(0x8000000000000000),
								 UINT64_C(0xFFF0000000000000)};
	for (size_t i = 0; i < 3; i++)
	{
		be64(in, patterns[i]);
		c = convert(&f8, ENC_INFINITY_ERROR, in, 8);
		assert_true(c.ok);
		assert_false(c.isnull); /* the infinity policy is for dates and timestamps */
		assert_true((uint64_t) le_i64(c.out) == patterns[i]);
	}
	be32(in, 0xFF800000u); /* float4 -infinity */
	c = convert(&f4, ENC_INFINITY_ERROR, in, 4);
	assert_true(c.ok);
	assert_true((uint32_t) le_i32(c.out) == 0xFF800000u);
}

static void
test_bool_uuid_time(void **state)
{
	ColumnDesc b = column("b", OID_BOOL, -1), u = column("u", OID_UUID, -1),
			   t = column("t", OID_TIME, -1);
	const uint8_t id[16] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
							0x0f, 0xed, 0xcb, 0xa9, 0x87, 0x65, 0x43, 0x21};
	uint8_t in[8];
	Conv c;

	c = convert(&b, ENC_INFINITY_ERROR, "\x01", 1);
	assert_true(c.ok);
	assert_int_equal(c.out[0], 1);
	c = convert(&b, ENC_INFINITY_ERROR, "\x00", 1);
	assert_int_equal(c.out[0], 0);
	/* uuid: the 16 bytes as they are (FLBA, big-endian like the text form) */
	c = convert(&u, ENC_INFINITY_ERROR, id, 16);
	assert_true(c.ok);
	assert_memory_equal(c.out, id, 16);
	/* time: microseconds since midnight, INT64 */
	be64(in, UINT64_C(86399999999));
	c = convert(&t, ENC_INFINITY_ERROR, in, 8);
	assert_true(c.ok);
	assert_true(le_i64(c.out) == INT64_C(86399999999));
}

/* ---- date ---- */

static Conv
convert_date(EncoderInfinity policy, int32_t days)
{
	ColumnDesc col = column("born", OID_DATE, -1);
	uint8_t in[4];

	be32(in, (uint32_t) days);
	return convert(&col, policy, in, 4);
}

static void
test_date(void **state)
{
	Conv c = convert_date(ENC_INFINITY_ERROR, 0); /* 2000-01-01 */

	assert_true(c.ok);
	assert_false(c.isnull);
	assert_int_equal(le_i32(c.out), 10957);
	c = convert_date(ENC_INFINITY_ERROR, -10957); /* 1970-01-01 */
	assert_int_equal(le_i32(c.out), 0);
	c = convert_date(ENC_INFINITY_ERROR, -10958);
	assert_int_equal(le_i32(c.out), -1);
	/* PostgreSQL's first and last dates (4713 BC, 5874897 AD) fit */
	c = convert_date(ENC_INFINITY_ERROR, -2451545);
	assert_true(c.ok);
	assert_int_equal(le_i32(c.out), -2451545 + 10957);
	c = convert_date(ENC_INFINITY_ERROR, 2145031948);
	assert_true(c.ok);
	assert_int_equal(le_i32(c.out), 2145031948 + 10957);
}

static void
test_date_infinity(void **state)
{
	/* by default an error naming the column */
	Conv c = convert_date(ENC_INFINITY_ERROR, INT32_MAX);

	assert_error_names_column(&c, "born");
	assert_non_null(strstr(c.err.message, "infinity"));
	c = convert_date(ENC_INFINITY_ERROR, INT32_MIN);
	assert_error_names_column(&c, "born");
	assert_non_null(strstr(c.err.message, "-infinity"));
	/* NULL */
	c = convert_date(ENC_INFINITY_NULL, INT32_MAX);
	assert_true(c.ok);
	assert_true(c.isnull);
	c = convert_date(ENC_INFINITY_NULL, INT32_MIN);
	assert_true(c.ok);
	assert_true(c.isnull);
	/* the sentinels: INT32_MAX and -INT32_MAX */
	c = convert_date(ENC_INFINITY_SENTINEL, INT32_MAX);
	assert_true(c.ok);
	assert_false(c.isnull);
	assert_int_equal(le_i32(c.out), INT32_MAX);
	c = convert_date(ENC_INFINITY_SENTINEL, INT32_MIN);
	assert_true(c.ok);
	assert_false(c.isnull);
	assert_int_equal(le_i32(c.out), -INT32_MAX);
	/* the policy does not touch finite dates */
	c = convert_date(ENC_INFINITY_NULL, 1);
	assert_true(c.ok);
	assert_false(c.isnull);
	assert_int_equal(le_i32(c.out), 10958);
}

/* ---- timestamps ---- */

static Conv
convert_ts(uint32_t oid, EncoderInfinity policy, int64_t us)
{
	ColumnDesc col = column("seen_at", oid, -1);
	uint8_t in[8];

	be64(in, (uint64_t) us);
	return convert(&col, policy, in, 8);
}

static void
test_timestamp(void **state)
{
	const uint32_t oids[] = {OID_TIMESTAMP, OID_TIMESTAMPTZ};

	for (int k = 0; k < 2; k++)
	{
		Conv c = convert_ts(oids[k], ENC_INFINITY_ERROR, 0);
		assert_true(c.ok);
		assert_false(c.isnull);
		assert_true(le_i64(c.out) == PG_EPOCH_US);
		c = convert_ts(oids[k], ENC_INFINITY_ERROR, -PG_EPOCH_US);
		assert_true(le_i64(c.out) == 0);
		c = convert_ts(oids[k], ENC_INFINITY_ERROR, -PG_EPOCH_US - 1);
		assert_true(le_i64(c.out) == -1);
		/* PostgreSQL's MIN_TIMESTAMP (4714-11-24 BC) */
		c = convert_ts(oids[k], ENC_INFINITY_ERROR, INT64_C(-211813488000000000));
		assert_true(c.ok);
		assert_true(le_i64(c.out) == INT64_C(-211813488000000000) + PG_EPOCH_US);
		/* the largest that fits Unix microseconds (below the INT64_MAX sentinel) */
		c = convert_ts(oids[k], ENC_INFINITY_ERROR, INT64_MAX - PG_EPOCH_US - 1);
		assert_true(c.ok);
		assert_true(le_i64(c.out) == INT64_MAX - 1);
	}
}

static void
test_timestamp_overflow(void **state)
{
	/* one more would be the sentinel */
	Conv c = convert_ts(OID_TIMESTAMPTZ, ENC_INFINITY_ERROR, INT64_MAX - PG_EPOCH_US);

	assert_error_names_column(&c, "seen_at");
	/* PostgreSQL's largest timestamp (END_TIMESTAMP - 1, 294276 AD): no Unix equivalent */
	c = convert_ts(OID_TIMESTAMPTZ, ENC_INFINITY_ERROR, INT64_C(9223371331200000000) - 1);
	assert_error_names_column(&c, "seen_at");
	c = convert_ts(OID_TIMESTAMP, ENC_INFINITY_ERROR, INT64_MAX - 1);
	assert_error_names_column(&c, "seen_at");
	/* the infinity policy does not turn an overflow into NULL */
	c = convert_ts(OID_TIMESTAMP, ENC_INFINITY_NULL, INT64_MAX - 1);
	assert_false(c.ok);
	c = convert_ts(OID_TIMESTAMP, ENC_INFINITY_SENTINEL, INT64_MAX - 1);
	assert_false(c.ok);
	/* the low end cannot overflow: INT64_MIN is -infinity, anything above it fits */
	c = convert_ts(OID_TIMESTAMP, ENC_INFINITY_ERROR, INT64_MIN + 1);
	assert_true(c.ok);
	assert_true(le_i64(c.out) == INT64_MIN + 1 + PG_EPOCH_US);
}

static void
test_timestamp_infinity(void **state)
{
	const uint32_t oids[] = {OID_TIMESTAMP, OID_TIMESTAMPTZ};

	for (int k = 0; k < 2; k++)
	{
		Conv c = convert_ts(oids[k], ENC_INFINITY_ERROR, INT64_MAX);
		assert_error_names_column(&c, "seen_at");
		assert_non_null(strstr(c.err.message, "infinity"));
		c = convert_ts(oids[k], ENC_INFINITY_ERROR, INT64_MIN);
		assert_error_names_column(&c, "seen_at");
		assert_non_null(strstr(c.err.message, "-infinity"));
		c = convert_ts(oids[k], ENC_INFINITY_NULL, INT64_MAX);
		assert_true(c.ok);
		assert_true(c.isnull);
		c = convert_ts(oids[k], ENC_INFINITY_NULL, INT64_MIN);
		assert_true(c.ok);
		assert_true(c.isnull);
		c = convert_ts(oids[k], ENC_INFINITY_SENTINEL, INT64_MAX);
		assert_true(c.ok);
		assert_false(c.isnull);
		assert_true(le_i64(c.out) == INT64_MAX);
		c = convert_ts(oids[k], ENC_INFINITY_SENTINEL, INT64_MIN);
		assert_true(c.ok);
		assert_false(c.isnull);
		assert_true(le_i64(c.out) == -INT64_MAX);
	}
}

/* ---- numeric -> DECIMAL ---- */

static void
test_numeric_small(void **state)
{
	Conv c = convert_numeric(5, 2, ENC_INFINITY_ERROR, "123.45");

	assert_true(c.ok);
	assert_false(c.isnull);
	assert_int_equal(le_i32(c.out), 12345);
	c = convert_numeric(3, 1, ENC_INFINITY_ERROR, "0.5");
	assert_true(c.ok);
	assert_int_equal(le_i32(c.out), 5);
	c = convert_numeric(10, 0, ENC_INFINITY_ERROR, "-1");
	assert_true(c.ok);
	assert_true(le_i64(c.out) == -1);
	c = convert_numeric(5, 2, ENC_INFINITY_ERROR, "0");
	assert_true(c.ok);
	assert_int_equal(le_i32(c.out), 0);
	c = convert_numeric(18, 6, ENC_INFINITY_ERROR, "0");
	assert_true(le_i64(c.out) == 0);
	/* fewer decimals than the scale (dscale 1 at scale 3) */
	c = convert_numeric(5, 3, ENC_INFINITY_ERROR, "1.5");
	assert_int_equal(le_i32(c.out), 1500);
	/* trailing zero digits stripped: 10000 is one digit of weight 1 */
	c = convert_numeric(10, 0, ENC_INFINITY_ERROR, "10000");
	assert_true(le_i64(c.out) == 10000);
	c = convert_numeric(18, 0, ENC_INFINITY_ERROR, "100000000");
	assert_true(le_i64(c.out) == 100000000);
	/* leading zero digits stripped: negative weights */
	c = convert_numeric(5, 4, ENC_INFINITY_ERROR, "0.0001");
	assert_int_equal(le_i32(c.out), 1);
	c = convert_numeric(10, 8, ENC_INFINITY_ERROR, "0.00001234");
	assert_true(le_i64(c.out) == 1234);
	c = convert_numeric(9, 9, ENC_INFINITY_ERROR, "-0.000000001");
	assert_int_equal(le_i32(c.out), -1);
	/* the edges of INT32 and INT64 precisions */
	c = convert_numeric(9, 0, ENC_INFINITY_ERROR, "999999999");
	assert_int_equal(le_i32(c.out), 999999999);
	c = convert_numeric(9, 2, ENC_INFINITY_ERROR, "-9999999.99");
	assert_int_equal(le_i32(c.out), -999999999);
	c = convert_numeric(18, 0, ENC_INFINITY_ERROR, "999999999999999999");
	assert_true(le_i64(c.out) == INT64_C(999999999999999999));
	c = convert_numeric(18, 4, ENC_INFINITY_ERROR, "-99999999999999.9999");
	assert_true(le_i64(c.out) == INT64_C(-999999999999999999));
}

static void
test_numeric_flba(void **state)
{
	/* p = 38: +-(10^38 - 1) as 16 bytes, big-endian two's complement */
	char nines[40];
	memset(nines, '9', 38);
	nines[38] = '\0';
	Conv c = convert_numeric(38, 0, ENC_INFINITY_ERROR, nines);
	assert_true(c.ok);
	assert_memory_equal(c.out, "\x4b\x3b\x4c\xa8\x5a\x86\xc4\x7a\x09\x8a\x22\x3f\xff\xff\xff\xff",
						16);
	char neg[41] = "-";
	strcat(neg, nines);
	c = convert_numeric(38, 0, ENC_INFINITY_ERROR, neg);
	assert_true(c.ok);
	assert_memory_equal(c.out, "\xb4\xc4\xb3\x57\xa5\x79\x3b\x85\xf6\x75\xdd\xc0\x00\x00\x00\x01",
						16);
	/* the same digits at scale 38 */
	char frac[42] = "0.";
	strcat(frac, nines);
	c = convert_numeric(38, 38, ENC_INFINITY_ERROR, frac);
	assert_true(c.ok);
	assert_memory_equal(c.out, "\x4b\x3b\x4c\xa8\x5a\x86\xc4\x7a\x09\x8a\x22\x3f\xff\xff\xff\xff",
						16);
	/* small values sign-extended to the full width */
	c = convert_numeric(38, 2, ENC_INFINITY_ERROR, "-0.01");
	assert_memory_equal(c.out, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
						16);
	c = convert_numeric(38, 2, ENC_INFINITY_ERROR, "1.00");
	assert_memory_equal(c.out, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x64", 16);
	/* p = 20: 9 bytes */
	c = convert_numeric(20, 0, ENC_INFINITY_ERROR, "99999999999999999999");
	assert_true(c.ok);
	assert_memory_equal(c.out, "\x05\x6b\xc7\x5e\x2d\x63\x0f\xff\xff", 9);
	assert_int_equal(c.out[9], 0xAA); /* nothing written past the width */
	c = convert_numeric(20, 0, ENC_INFINITY_ERROR, "-99999999999999999999");
	assert_memory_equal(c.out, "\xfa\x94\x38\xa1\xd2\x9c\xf0\x00\x01", 9);
	c = convert_numeric(20, 2, ENC_INFINITY_ERROR, "-0.01");
	assert_memory_equal(c.out, "\xff\xff\xff\xff\xff\xff\xff\xff\xff", 9);
	assert_int_equal(c.out[9], 0xAA);
}

/* An unscaled value of up to p digits, random. */
static __int128
random_unscaled(TestRng *rng, int p)
{
	int digits = 1 + (int) rng_below(rng, (uint64_t) p);
	__int128 v = 0;

	for (int i = 0; i < digits; i++)
		v = v * 10 + (int) rng_below(rng, 10);
	/* runs of zeros and nines, where base-10000 digits get stripped or carry */
	if (rng_below(rng, 4) == 0)
		for (int i = digits; i < p && rng_below(rng, 3); i++)
			v *= 10;
	return rng_below(rng, 2) ? -v : v;
}

/* The decimal text of unscaled v at scale s ("-0.05"). */
static void
decimal_text(__int128 v, int s, char *out)
{
	char digits[60];
	int n = 0;
	bool neg = v < 0;
	unsigned __int128 u = neg ? (unsigned __int128) (-v) : (unsigned __int128) v;

	do
	{
		digits[n++] = (char) ('0' + (int) (u % 10));
		u /= 10;
	} while (u);
	while (n <= s)
		digits[n++] = '0';
	char *o = out;
	if (neg)
		*o++ = '-';
	for (int i = n - 1; i >= 0; i--)
	{
		*o++ = digits[i];
		if (i == s && s > 0)
			*o++ = '.';
	}
	*o = '\0';
}

static void
test_numeric_property(void **state)
{
	TestRng rng = {UINT64_C(0xA0761D6478BD642F)};

	for (int iter = 0; iter < 20000; iter++)
	{
		int p = 1 + (int) rng_below(&rng, 38);
		int s = (int) rng_below(&rng, (uint64_t) p + 1);
		__int128 v = random_unscaled(&rng, p);
		char text[64];
		decimal_text(v, s, text);
		ColumnDesc col = column("amount", OID_NUMERIC, typmod(p, s));
		ParquetColumnType t;
		parquet_column_type(&col, &t);
		uint8_t in[120];
		size_t n = numeric_bin(in, text);
		Conv c = convert(&col, ENC_INFINITY_ERROR, in, n);
		if (!c.ok)
			fail_msg("numeric(%d,%d) %s: %s", p, s, text, c.err.message);
		assert_false(c.isnull);
		if (t.physical == PQ_INT32)
			assert_true(le_i32(c.out) == (int32_t) v);
		else if (t.physical == PQ_INT64)
			assert_true(le_i64(c.out) == (int64_t) v);
		else
		{
			uint8_t want[16];
			for (int i = 0; i < t.type_length; i++)
				want[t.type_length - 1 - i] = (uint8_t) (v >> (8 * i));
			if (memcmp(c.out, want, (size_t) t.type_length) != 0)
				fail_msg("numeric(%d,%d) %s: FLBA(%d) differs", p, s, text, t.type_length);
		}
	}
}

static void
test_numeric_nan(void **state)
{
	ColumnDesc col = column("amount", OID_NUMERIC, typmod(10, 2));
	const uint8_t nan_bin[8] = {0, 0, 0, 0, 0xC0, 0x00, 0, 0};

	Conv c = convert(&col, ENC_INFINITY_ERROR, nan_bin, 8);
	assert_error_names_column(&c, "amount");
	assert_non_null(strstr(c.err.message, "NaN"));
	c = convert(&col, ENC_INFINITY_NULL, nan_bin, 8);
	assert_true(c.ok);
	assert_true(c.isnull);
	/* there is no DECIMAL sentinel for NaN: NULL under that policy too */
	c = convert(&col, ENC_INFINITY_SENTINEL, nan_bin, 8);
	assert_true(c.ok);
	assert_true(c.isnull);
	/* also at FLBA widths */
	ColumnDesc wide = column("amount", OID_NUMERIC, typmod(30, 2));
	c = convert(&wide, ENC_INFINITY_ERROR, nan_bin, 8);
	assert_error_names_column(&c, "amount");
	c = convert(&wide, ENC_INFINITY_NULL, nan_bin, 8);
	assert_true(c.ok);
	assert_true(c.isnull);
}

static void
test_numeric_malformed(void **state)
{
	ColumnDesc col = column("amount", OID_NUMERIC, typmod(10, 2));
	uint8_t in[16];
	size_t n = numeric_bin(in, "12.5");
	Conv c;

	/* shorter than the header */
	c = convert(&col, ENC_INFINITY_ERROR, in, 7);
	assert_error_names_column(&c, "amount");
	/* ndigits says more digits than there are, or fewer */
	c = convert(&col, ENC_INFINITY_ERROR, in, n - 1);
	assert_error_names_column(&c, "amount");
	c = convert(&col, ENC_INFINITY_ERROR, in, n + 2);
	assert_error_names_column(&c, "amount");
	/* a negative ndigits */
	be16(in, 0xFFFF);
	c = convert(&col, ENC_INFINITY_ERROR, in, 8);
	assert_error_names_column(&c, "amount");
}

static void
test_numeric_wider_than_typmod(void **state)
{
	/*
	 * Regression (found by this test): convert.c numeric_unscaled() checks the unscaled value only
	 * against 10^38
	 * ("if (acc >= POW10_38)", line 157 at the time of writing), not against 10^p as its
	 * message ("wider than numeric(p,s)") says; convert_decimal() then narrows it with
	 * (int32_t) / (int64_t) casts, so a value wider than the column's precision is stored
	 * silently wrong. PostgreSQL's typmod normally prevents such values, but this guard exists
	 * for input that disagrees with the typmod. Input: 10^12 at numeric(9,0); expected
	 * EBB_ERR_DATA naming the column; got ok with INT32 -727379968.
	 */
	Conv c = convert_numeric(9, 0, ENC_INFINITY_ERROR, "1000000000000");
	assert_error_names_column(&c, "amount");
	c = convert_numeric(18, 2, ENC_INFINITY_ERROR, "100000000000000000");
	assert_error_names_column(&c, "amount");
}

static void
test_numeric_39_digits_no_overflow(void **state)
{
	/*
	 * Regression (found by this test): convert.c numeric_unscaled(), "acc = acc * 10 + d" (line
	 * 156): acc is checked against 10^38 only after the multiplication, and 10^38 * 10 exceeds
	 * __int128's maximum (1.7 * 10^38), so a 39th digit on a 38-digit accumulator of 1.7 * 10^37 or
	 * more is a signed overflow (undefined behaviour). Input: 2 * 10^38 at numeric(38,0). Expected
	 * EBB_ERR_DATA; got: plain build ok (garbage), ASan/UBSan build aborts with "runtime
	 * error: signed integer overflow: 0x0f0bdc21abb48db201e86d4000000000 * 10 cannot be
	 * represented in type '__int128'". Checking acc >= POW10_38 / 10 before multiplying (or
	 * against 10^p) fixes both bugs.
	 */
	Conv c = convert_numeric(38, 0, ENC_INFINITY_ERROR, "200000000000000000000000000000000000000");
	assert_error_names_column(&c, "amount");
}

/* ---- variable-length values ---- */

static void
test_jsonb_version(void **state)
{
	ColumnDesc col = column("doc", OID_JSONB, -1);
	const char in[] = "\x01{\"a\": 1}";
	Conv c = convert(&col, ENC_INFINITY_ERROR, in, sizeof(in) - 1);

	assert_true(c.ok);
	assert_ptr_equal(c.data, in + 1);
	assert_int_equal(c.len, sizeof(in) - 2);
	/* an empty document after the version byte */
	c = convert(&col, ENC_INFINITY_ERROR, "\x01", 1);
	assert_true(c.ok);
	assert_int_equal(c.len, 0);
	/* another version, or nothing at all */
	c = convert(&col, ENC_INFINITY_ERROR, "\x02{}", 3);
	assert_error_names_column(&c, "doc");
	c = convert(&col, ENC_INFINITY_ERROR, "{}", 2);
	assert_error_names_column(&c, "doc");
	c = convert(&col, ENC_INFINITY_ERROR, "", 0);
	assert_error_names_column(&c, "doc");
}

static void
test_byte_arrays_pass_through(void **state)
{
	const uint32_t oids[] = {OID_TEXT, OID_VARCHAR, OID_BPCHAR, OID_NAME, OID_JSON, OID_BYTEA};
	const char in[] = "caf\xc3\xa9 \0 x";

	for (size_t i = 0; i < sizeof(oids) / sizeof(oids[0]); i++)
	{
		ColumnDesc col = column("s", oids[i], -1);
		Conv c = convert(&col, ENC_INFINITY_ERROR, in, sizeof(in) - 1);
		assert_true(c.ok);
		assert_false(c.isnull);
		assert_ptr_equal(c.data, in);
		assert_int_equal(c.len, sizeof(in) - 1);
		c = convert(&col, ENC_INFINITY_ERROR, in, 0);
		assert_true(c.ok);
		assert_int_equal(c.len, 0);
	}
	/* a column sent as text (numeric without typmod) */
	ColumnDesc num = column("n", OID_NUMERIC, -1);
	Conv c = convert(&num, ENC_INFINITY_ERROR, "3.14", 4);
	assert_true(c.ok);
	assert_int_equal(c.len, 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numeric_layout_helper),
		cmocka_unit_test(test_column_types),
		cmocka_unit_test(test_value_widths),
		cmocka_unit_test(test_numeric_typmods),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_int2_negative),
		cmocka_unit_test(test_wrong_lengths_rejected),
		cmocka_unit_test(test_floats),
		cmocka_unit_test(test_bool_uuid_time),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_date_infinity),
		cmocka_unit_test(test_timestamp),
		cmocka_unit_test(test_timestamp_overflow),
		cmocka_unit_test(test_timestamp_infinity),
		cmocka_unit_test(test_numeric_small),
		cmocka_unit_test(test_numeric_flba),
		cmocka_unit_test(test_numeric_property),
		cmocka_unit_test(test_numeric_nan),
		cmocka_unit_test(test_numeric_malformed),
		cmocka_unit_test(test_numeric_wider_than_typmod),
		cmocka_unit_test(test_numeric_39_digits_no_overflow),
		cmocka_unit_test(test_jsonb_version),
		cmocka_unit_test(test_byte_arrays_pass_through),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
