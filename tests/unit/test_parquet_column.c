/*
 * test_parquet_column.c: encode/parquet/column.c, one column's buffered row group: definition
 * levels, the dictionary (entries, indices, the fallback to PLAIN past PQ_DICT_LIMIT or when
 * it does not pay), PLAIN values, and the statistics (../shared/parquet.md section 4.2: signed
 * order for integers and floats, NaN never a bound but counted, strings bytewise unsigned,
 * false < true, exact null_count), plus how footer.c serializes those statistics.
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

#include "common/buf.h"
#include "encode/parquet/column.h"
#include "encode/parquet/thrift.h"
#include "encode/parquet/writer.h"
#include "unit_util.h"

enum
{
	OID_BOOL = 16,
	OID_INT8 = 20,
	OID_INT4 = 23,
	OID_TEXT = 25,
	OID_FLOAT4 = 700,
	OID_FLOAT8 = 701
};

static ColumnDesc
desc(uint32_t oid)
{
	ColumnDesc d = {.name = (char *) "c",
					.type_oid = oid,
					.typmod = -1,
					.typtype = 'b',
					.typcategory = 'X',
					.type_name = (char *) "t"};
	return d;
}

/* ---- adding values ---- */

static void
add_str(ParquetColumn *c, const char *s)
{
	parquet_column_add(c, s, strlen(s));
}

static void
add_i32(ParquetColumn *c, int32_t v)
{
	parquet_column_add(c, &v, 4); /* PLAIN: little-endian, as on the (little-endian) host */
}

static void
add_i64(ParquetColumn *c, int64_t v)
{
	parquet_column_add(c, &v, 8);
}

static void
add_f64(ParquetColumn *c, double v)
{
	parquet_column_add(c, &v, 8);
}

static void
add_f32(ParquetColumn *c, float v)
{
	parquet_column_add(c, &v, 4);
}

static void
add_bool(ParquetColumn *c, bool v)
{
	uint8_t b = v;
	parquet_column_add(c, &b, 1);
}

static uint32_t
index_at(const ParquetColumn *c, size_t i)
{
	uint32_t v;

	assert_true((i + 1) * 4 <= c->indices.len);
	memcpy(&v, c->indices.data + i * 4, 4);
	return v;
}

static int32_t
stat_i32(const uint8_t *p)
{
	int32_t v;
	memcpy(&v, p, 4);
	return v;
}

static int64_t
stat_i64(const uint8_t *p)
{
	int64_t v;
	memcpy(&v, p, 8);
	return v;
}

static double
stat_f64(const uint8_t *p)
{
	double v;
	memcpy(&v, p, 8);
	return v;
}

/* A PLAIN BYTE_ARRAY stream (u32 LE length + bytes), checked entry by entry. */
typedef struct PlainReader
{
	const char *p, *end;
} PlainReader;

static void
expect_plain(PlainReader *r, const void *want, size_t len)
{
	uint32_t n;

	assert_true(r->end - r->p >= 4);
	memcpy(&n, r->p, 4);
	r->p += 4;
	assert_int_equal(n, len);
	assert_true((size_t) (r->end - r->p) >= len);
	assert_memory_equal(r->p, want, len);
	r->p += len;
}

static void
assert_defs(const ParquetColumn *c, const char *want)
{
	size_t n = strlen(want);

	assert_int_equal(c->defs.len, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(c->defs.data[i], want[i] - '0');
}

/* ---- init and dictionary ---- */

static void
test_init_text(void **state)
{
	ColumnDesc d = desc(OID_TEXT);
	ParquetColumn c;

	parquet_column_init(&c, &d);
	assert_ptr_equal(c.desc, &d);
	assert_int_equal(c.type.kind, PQK_TEXT);
	assert_int_equal(c.type.physical, PQ_BYTE_ARRAY);
	assert_int_equal(c.width, 0);
	assert_true(c.dict_on);
	assert_int_equal(c.defs.len, 0);
	assert_int_equal(c.values.len, 0);
	assert_int_equal(c.indices.len, 0);
	assert_int_equal(c.nentries, 0);
	assert_int_equal(c.nulls, 0);
	assert_int_equal(c.values_n, 0);
	assert_false(c.stats.has);
	parquet_column_free(&c);

	/* fixed widths */
	ColumnDesc i4 = desc(OID_INT4), i8 = desc(OID_INT8), f8 = desc(OID_FLOAT8), b = desc(OID_BOOL);
	parquet_column_init(&c, &i4);
	assert_int_equal(c.width, 4);
	assert_true(c.dict_on);
	parquet_column_free(&c);
	parquet_column_init(&c, &i8);
	assert_int_equal(c.width, 8);
	parquet_column_free(&c);
	parquet_column_init(&c, &f8);
	assert_int_equal(c.width, 8);
	parquet_column_free(&c);
	parquet_column_init(&c, &b);
	assert_int_equal(c.width, 1);
	assert_false(c.dict_on); /* booleans are never dictionary-encoded */
	parquet_column_free(&c);
}

static void
test_repeated_values_stay_in_dictionary(void **state)
{
	ColumnDesc d = desc(OID_TEXT);
	ParquetColumn c;

	parquet_column_init(&c, &d);
	add_str(&c, "a");
	add_str(&c, "bb");
	add_str(&c, "a");
	parquet_column_add_null(&c);
	add_str(&c, "");
	add_str(&c, "a");
	add_str(&c, "bb");
	assert_true(c.dict_on);
	assert_int_equal(c.nentries, 3);
	assert_int_equal(c.values_n, 6);
	assert_int_equal(c.nulls, 1);
	assert_defs(&c, "1110111");
	assert_int_equal(c.indices.len, 6 * 4);
	const uint32_t want[] = {0, 1, 0, 2, 0, 1};
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(index_at(&c, i), want[i]);
	assert_int_equal(c.values.len, 0);
	/* the dictionary page body: the entries, PLAIN */
	PlainReader r = {c.dict.data, c.dict.data + c.dict.len};
	expect_plain(&r, "a", 1);
	expect_plain(&r, "bb", 2);
	expect_plain(&r, "", 0);
	assert_ptr_equal(r.p, r.end);
	assert_int_equal(c.plain_bytes, 4 * 6 + 1 + 2 + 1 + 0 + 1 + 2);
	/* 3 entries (11 bytes + prefixes) for 6 values: the dictionary pays */
	assert_true(parquet_column_use_dictionary(&c));
	assert_true(c.dict_on);
	assert_int_equal(c.nentries, 3);
	parquet_column_free(&c);
}

static void
test_int_dictionary_many_entries(void **state)
{
	/* Past the initial hash table (1024 slots) and entry arrays: indices stay right. */
	ColumnDesc d = desc(OID_INT4);
	ParquetColumn c;

	parquet_column_init(&c, &d);
	for (int round = 0; round < 3; round++)
		for (int32_t v = 0; v < 5000; v++)
			add_i32(&c, v * 7919 - 100000);
	assert_true(c.dict_on);
	assert_int_equal(c.nentries, 5000);
	for (size_t i = 0; i < 15000; i++)
		assert_int_equal(index_at(&c, i), i % 5000);
	for (uint32_t e = 0; e < 5000; e++)
		assert_int_equal(stat_i32((const uint8_t *) c.dict.data + e * 4),
						 (int32_t) e * 7919 - 100000);
	assert_true(parquet_column_use_dictionary(&c));
	parquet_column_free(&c);
}

/* The i-th distinct string of the fallback test: 1000 bytes, unique per i. */
static void
make_value(char *v, size_t len, int i)
{
	memset(v, 'a' + i % 26, len);
	snprintf(v, len, "%08d", i);
	v[8] = '|';
}

static void
test_dictionary_falls_back_past_limit(void **state)
{
	ColumnDesc d = desc(OID_TEXT);
	ParquetColumn c;
	enum
	{
		VLEN = 1000,
		N = 1300
	};
	static char v[VLEN];
	int *order = malloc(sizeof(int) * N);

	assert_non_null(order);
	parquet_column_init(&c, &d);
	/* Distinct values with repeats of earlier ones in between, and NULLs. */
	int next = 0;
	bool flipped_at_limit = false;
	for (int i = 0; i < N; i++)
	{
		bool was_on = c.dict_on;
		uint32_t before = c.nentries;
		size_t dict_before = c.dict.len;
		int k = i % 7 == 3 ? next / 2 : next++;
		order[i] = k;
		if (i % 11 == 5)
			parquet_column_add_null(&c);
		make_value(v, VLEN, k);
		parquet_column_add(&c, v, VLEN);
		if (was_on && !c.dict_on)
		{
			/* The flip happens exactly when the dictionary passes the limit. */
			assert_true(dict_before <= PQ_DICT_LIMIT);
			assert_true(dict_before + 4 + VLEN > PQ_DICT_LIMIT);
			assert_int_equal(dict_before, (size_t) before * (4 + VLEN));
			flipped_at_limit = true;
		}
	}
	assert_true(flipped_at_limit);
	assert_false(c.dict_on);
	assert_int_equal(c.nentries, 0);
	assert_int_equal(c.indices.len, 0);
	assert_int_equal(c.dict.len, 0);
	assert_int_equal(c.values_n, N);
	assert_int_equal(c.nulls, (N + 5) / 11);
	/* Every value, in order, nothing lost. */
	PlainReader r = {c.values.data, c.values.data + c.values.len};
	for (int i = 0; i < N; i++)
	{
		make_value(v, VLEN, order[i]);
		expect_plain(&r, v, VLEN);
	}
	assert_ptr_equal(r.p, r.end);
	assert_int_equal(c.plain_bytes, (uint64_t) N * (4 + VLEN));
	/* Statistics over all values: "00000000|aaa..." to the largest number. */
	make_value(v, VLEN, 0);
	assert_int_equal(c.stats.minb.len, VLEN);
	assert_memory_equal(c.stats.minb.data, v, VLEN);
	make_value(v, VLEN, next - 1);
	assert_memory_equal(c.stats.maxb.data, v, VLEN);
	assert_false(parquet_column_use_dictionary(&c));
	assert_int_equal(c.values.len, (size_t) N * (4 + VLEN)); /* unchanged */
	parquet_column_free(&c);
	free(order);
}

static void
test_int_dictionary_falls_back_past_limit(void **state)
{
	ColumnDesc d = desc(OID_INT4);
	ParquetColumn c;
	const int32_t n = PQ_DICT_LIMIT / 4 + 1000;

	parquet_column_init(&c, &d);
	for (int32_t i = 0; i < n; i++)
	{
		add_i32(&c, n - 2 * i);
		if (i == PQ_DICT_LIMIT / 4 - 1)
			assert_true(c.dict_on); /* exactly at the limit: still on */
		if (i == PQ_DICT_LIMIT / 4)
			assert_false(c.dict_on);
	}
	assert_false(c.dict_on);
	assert_int_equal(c.values.len, (size_t) n * 4);
	for (int32_t i = 0; i < n; i++)
		assert_int_equal(stat_i32((const uint8_t *) c.values.data + (size_t) i * 4), n - 2 * i);
	assert_true(c.stats.has);
	assert_int_equal(stat_i32(c.stats.max), n);
	assert_int_equal(stat_i32(c.stats.min), n - 2 * (n - 1));
	parquet_column_free(&c);
}

static void
test_dictionary_that_does_not_pay(void **state)
{
	ColumnDesc d = desc(OID_TEXT);
	ParquetColumn c;

	parquet_column_init(&c, &d);
	add_str(&c, "x");
	parquet_column_add_null(&c);
	add_str(&c, "yy");
	add_str(&c, "z");
	assert_true(c.dict_on);
	assert_int_equal(c.nentries, 3);
	/* all distinct: the dictionary is the PLAIN data plus the indices */
	assert_false(parquet_column_use_dictionary(&c));
	assert_false(c.dict_on);
	assert_int_equal(c.nentries, 0);
	assert_int_equal(c.indices.len, 0);
	PlainReader r = {c.values.data, c.values.data + c.values.len};
	expect_plain(&r, "x", 1);
	expect_plain(&r, "yy", 2);
	expect_plain(&r, "z", 1);
	assert_ptr_equal(r.p, r.end);
	assert_defs(&c, "1011");
	/* asked again: still PLAIN, nothing duplicated */
	assert_false(parquet_column_use_dictionary(&c));
	assert_int_equal(c.values.len, 4 * 3 + 4);
	/* values added after the decision go to PLAIN */
	add_str(&c, "x");
	assert_int_equal(c.values.len, 4 * 4 + 5);
	parquet_column_free(&c);

	/* int32, all distinct */
	ColumnDesc i4 = desc(OID_INT4);
	parquet_column_init(&c, &i4);
	add_i32(&c, 10);
	add_i32(&c, -20);
	add_i32(&c, 30);
	assert_false(parquet_column_use_dictionary(&c));
	assert_int_equal(c.values.len, 12);
	assert_int_equal(stat_i32((const uint8_t *) c.values.data), 10);
	assert_int_equal(stat_i32((const uint8_t *) c.values.data + 4), -20);
	assert_int_equal(stat_i32((const uint8_t *) c.values.data + 8), 30);
	parquet_column_free(&c);

	/* only NULLs: no dictionary, no values */
	parquet_column_init(&c, &d);
	parquet_column_add_null(&c);
	parquet_column_add_null(&c);
	assert_false(parquet_column_use_dictionary(&c));
	assert_int_equal(c.values.len, 0);
	assert_int_equal(c.nulls, 2);
	assert_false(c.stats.has);
	parquet_column_free(&c);
}

static void
test_property_dictionary_or_plain_keeps_values(void **state)
{
	/* Random int64 columns: whatever the dictionary decides, the values read back. */
	TestRng rng = {UINT64_C(0xD1B54A32D192ED03)};
	ColumnDesc d = desc(OID_INT8);
	ParquetColumn c;
	int64_t *want = malloc(sizeof(int64_t) * 4000);

	assert_non_null(want);
	parquet_column_init(&c, &d);
	for (int iter = 0; iter < 60; iter++)
	{
		size_t n = rng_below(&rng, 4000);
		uint64_t card = 1 + rng_below(&rng, iter % 2 ? 5 : 5000);
		size_t nv = 0;
		uint64_t nulls = 0;
		parquet_column_reset(&c);
		for (size_t i = 0; i < n; i++)
		{
			if (rng_below(&rng, 10) == 0)
			{
				parquet_column_add_null(&c);
				nulls++;
				continue;
			}
			int64_t v = (int64_t) (rng_below(&rng, card) * UINT64_C(0x9E3779B97F4A7C15));
			want[nv++] = v;
			add_i64(&c, v);
		}
		assert_int_equal(c.nulls, nulls);
		assert_int_equal(c.values_n, nv);
		assert_int_equal(c.defs.len, n);
		if (parquet_column_use_dictionary(&c))
		{
			assert_int_equal(c.indices.len, nv * 4);
			for (size_t i = 0; i < nv; i++)
			{
				uint32_t e = index_at(&c, i);
				assert_true(e < c.nentries);
				assert_true(stat_i64((const uint8_t *) c.dict.data + (size_t) e * 8) == want[i]);
			}
		}
		else
		{
			assert_int_equal(c.values.len, nv * 8);
			for (size_t i = 0; i < nv; i++)
				assert_true(stat_i64((const uint8_t *) c.values.data + i * 8) == want[i]);
		}
		/* statistics: the true min and max */
		if (nv)
		{
			int64_t lo = want[0], hi = want[0];
			for (size_t i = 1; i < nv; i++)
			{
				lo = want[i] < lo ? want[i] : lo;
				hi = want[i] > hi ? want[i] : hi;
			}
			assert_true(c.stats.has);
			assert_true(stat_i64(c.stats.min) == lo);
			assert_true(stat_i64(c.stats.max) == hi);
		}
		else
			assert_false(c.stats.has);
	}
	parquet_column_free(&c);
	free(want);
}

/* ---- statistics ---- */

static void
test_stats_int32(void **state)
{
	ColumnDesc d = desc(OID_INT4);
	ParquetColumn c;

	parquet_column_init(&c, &d);
	add_i32(&c, -5);
	add_i32(&c, 3);
	parquet_column_add_null(&c);
	assert_int_equal(stat_i32(c.stats.min), -5);
	assert_int_equal(stat_i32(c.stats.max), 3);
	add_i32(&c, INT32_MAX);
	add_i32(&c, 0);
	add_i32(&c, INT32_MIN);
	add_i32(&c, 3);
	parquet_column_add_null(&c);
	assert_true(c.stats.has);
	assert_int_equal(stat_i32(c.stats.min), INT32_MIN); /* signed, not bytewise */
	assert_int_equal(stat_i32(c.stats.max), INT32_MAX);
	assert_int_equal(c.nulls, 2);
	assert_int_equal(c.values_n, 6);
	parquet_column_free(&c);

	/* -1 (ff ff ff ff) is less than 1 (01 00 00 00) */
	parquet_column_init(&c, &d);
	add_i32(&c, 1);
	add_i32(&c, -1);
	add_i32(&c, 256);
	assert_int_equal(stat_i32(c.stats.min), -1);
	assert_int_equal(stat_i32(c.stats.max), 256);
	parquet_column_free(&c);
}

static void
test_stats_after_fallback(void **state)
{
	ColumnDesc d = desc(OID_INT4);
	ParquetColumn c;

	parquet_column_init(&c, &d);
	add_i32(&c, 5);
	add_i32(&c, 6);
	assert_false(parquet_column_use_dictionary(&c)); /* all distinct: PLAIN */
	add_i32(&c, -7);
	add_i32(&c, 70);
	assert_int_equal(stat_i32(c.stats.min), -7);
	assert_int_equal(stat_i32(c.stats.max), 70);
	parquet_column_free(&c);
}

static void
test_stats_int64(void **state)
{
	ColumnDesc d = desc(OID_INT8);
	ParquetColumn c;

	parquet_column_init(&c, &d);
	parquet_column_add_null(&c);
	assert_false(c.stats.has);
	add_i64(&c, 0);
	add_i64(&c, INT64_MAX);
	add_i64(&c, -1);
	add_i64(&c, INT64_MIN);
	add_i64(&c, (int64_t) 1 << 40);
	assert_true(stat_i64(c.stats.min) == INT64_MIN);
	assert_true(stat_i64(c.stats.max) == INT64_MAX);
	assert_int_equal(c.nulls, 1);
	parquet_column_free(&c);

	parquet_column_init(&c, &d);
	add_i64(&c, -300);
	add_i64(&c, -2);
	assert_true(stat_i64(c.stats.min) == -300);
	assert_true(stat_i64(c.stats.max) == -2);
	parquet_column_free(&c);
}

static void
test_stats_double_nan(void **state)
{
	ColumnDesc d = desc(OID_FLOAT8);
	ParquetColumn c;

	parquet_column_init(&c, &d);
	add_f64(&c, NAN); /* first: must not become the min or the max */
	add_f64(&c, 1.5);
	add_f64(&c, -2.25);
	add_f64(&c, NAN);
	parquet_column_add_null(&c);
	add_f64(&c, 0.0);
	add_f64(&c, -NAN);
	assert_true(c.stats.has);
	assert_int_equal(c.stats.nan_count, 3);
	assert_true(stat_f64(c.stats.min) == -2.25);
	assert_true(stat_f64(c.stats.max) == 1.5);
	assert_int_equal(c.nulls, 1);
	assert_int_equal(c.values_n, 6);
	parquet_column_free(&c);

	/* infinities are ordinary bounds */
	parquet_column_init(&c, &d);
	add_f64(&c, 1.0);
	add_f64(&c, -INFINITY);
	add_f64(&c, INFINITY);
	add_f64(&c, NAN);
	assert_true(isinf(stat_f64(c.stats.min)) && stat_f64(c.stats.min) < 0);
	assert_true(isinf(stat_f64(c.stats.max)) && stat_f64(c.stats.max) > 0);
	assert_int_equal(c.stats.nan_count, 1);
	parquet_column_free(&c);

	/* only NaN: no bounds at all */
	parquet_column_init(&c, &d);
	add_f64(&c, NAN);
	add_f64(&c, NAN);
	parquet_column_add_null(&c);
	assert_false(c.stats.has);
	assert_int_equal(c.stats.nan_count, 2);
	parquet_column_free(&c);

	/* NaN counted in PLAIN mode too */
	parquet_column_init(&c, &d);
	add_f64(&c, 2.0);
	assert_false(parquet_column_use_dictionary(&c));
	add_f64(&c, NAN);
	add_f64(&c, 3.0);
	assert_int_equal(c.stats.nan_count, 1);
	assert_true(stat_f64(c.stats.max) == 3.0);
	assert_true(stat_f64(c.stats.min) == 2.0);
	parquet_column_free(&c);
}

static void
test_stats_float(void **state)
{
	ColumnDesc d = desc(OID_FLOAT4);
	ParquetColumn c;
	float f;

	parquet_column_init(&c, &d);
	assert_int_equal(c.width, 4);
	add_f32(&c, NAN);
	add_f32(&c, -1.0f);
	add_f32(&c, 1e30f);
	assert_int_equal(c.stats.nan_count, 1);
	memcpy(&f, c.stats.min, 4);
	assert_true(f == -1.0f);
	memcpy(&f, c.stats.max, 4);
	assert_true(f == 1e30f);
	parquet_column_free(&c);
}

static void
test_stats_strings_unsigned(void **state)
{
	ColumnDesc d = desc(OID_TEXT);
	ParquetColumn c;

	parquet_column_init(&c, &d);
	add_str(&c, "b");
	add_str(&c, "\xc3\xa9"); /* é: above every ASCII byte when compared unsigned */
	add_str(&c, "ab");
	add_str(&c, "a");
	add_str(&c, "b");
	parquet_column_add_null(&c);
	assert_true(c.stats.has);
	assert_int_equal(c.stats.minb.len, 1);
	assert_memory_equal(c.stats.minb.data, "a", 1); /* a prefix sorts first */
	assert_int_equal(c.stats.maxb.len, 2);
	assert_memory_equal(c.stats.maxb.data, "\xc3\xa9", 2);
	add_str(&c, "");
	assert_int_equal(c.stats.minb.len, 0);
	add_str(&c, "\xff");
	assert_memory_equal(c.stats.maxb.data, "\xff", 1);
	assert_int_equal(c.nulls, 1);
	parquet_column_free(&c);

	/* embedded NUL bytes compare as bytes */
	parquet_column_init(&c, &d);
	parquet_column_add(&c, "a\0a", 3);
	parquet_column_add(&c, "a\0b", 3);
	parquet_column_add(&c, "a", 1);
	assert_int_equal(c.stats.minb.len, 1);
	assert_int_equal(c.stats.maxb.len, 3);
	assert_memory_equal(c.stats.maxb.data, "a\0b", 3);
	/* the dictionary keeps them apart too */
	assert_int_equal(c.nentries, 3);
	parquet_column_free(&c);
}

static void
test_stats_bool(void **state)
{
	ColumnDesc d = desc(OID_BOOL);
	ParquetColumn c;

	parquet_column_init(&c, &d);
	add_bool(&c, true);
	add_bool(&c, true);
	assert_true(c.stats.has);
	assert_int_equal(c.stats.min[0], 1);
	assert_int_equal(c.stats.max[0], 1);
	parquet_column_add_null(&c);
	add_bool(&c, false);
	assert_int_equal(c.stats.min[0], 0);
	assert_int_equal(c.stats.max[0], 1);
	/* PLAIN at once, one byte per value (the page writer packs the bits) */
	assert_false(c.dict_on);
	assert_int_equal(c.values.len, 3);
	assert_memory_equal(c.values.data, "\1\1\0", 3);
	assert_int_equal(c.nulls, 1);
	assert_defs(&c, "1101");
	assert_false(parquet_column_use_dictionary(&c));
	assert_int_equal(c.values.len, 3);
	parquet_column_free(&c);
}

static void
test_reset_clears_everything(void **state)
{
	ColumnDesc d = desc(OID_TEXT);
	ParquetColumn c;
	static char v[2000];

	parquet_column_init(&c, &d);
	/* fill past the limit so that the column is in PLAIN mode */
	for (int i = 0; i < 600; i++)
	{
		memset(v, 'a' + i % 26, sizeof(v));
		snprintf(v, 16, "%06d", i);
		parquet_column_add(&c, v, sizeof(v));
		parquet_column_add_null(&c);
	}
	assert_false(c.dict_on);
	assert_true(c.stats.has);
	parquet_column_reset(&c);
	assert_true(c.dict_on); /* the next row group starts with a dictionary again */
	assert_int_equal(c.defs.len, 0);
	assert_int_equal(c.values.len, 0);
	assert_int_equal(c.dict.len, 0);
	assert_int_equal(c.indices.len, 0);
	assert_int_equal(c.nentries, 0);
	assert_int_equal(c.nulls, 0);
	assert_int_equal(c.values_n, 0);
	assert_int_equal(c.plain_bytes, 0);
	assert_false(c.stats.has);
	assert_int_equal(c.stats.minb.len, 0);
	assert_int_equal(c.stats.maxb.len, 0);
	assert_int_equal(c.stats.nan_count, 0);
	assert_int_equal(parquet_column_buffered(&c), 0);
	/* and works from scratch: old entries are gone */
	add_str(&c, "q");
	add_str(&c, "q");
	add_str(&c, "000001");
	assert_int_equal(c.nentries, 2);
	assert_int_equal(index_at(&c, 0), 0);
	assert_int_equal(index_at(&c, 1), 0);
	assert_int_equal(index_at(&c, 2), 1);
	assert_int_equal(c.stats.minb.len, 6);
	assert_memory_equal(c.stats.maxb.data, "q", 1);
	parquet_column_free(&c);

	/* a double column's NaN count */
	ColumnDesc f8 = desc(OID_FLOAT8);
	parquet_column_init(&c, &f8);
	add_f64(&c, NAN);
	add_f64(&c, 1.0);
	parquet_column_reset(&c);
	assert_int_equal(c.stats.nan_count, 0);
	assert_false(c.stats.has);
	add_f64(&c, 7.0);
	assert_true(stat_f64(c.stats.min) == 7.0);
	assert_true(stat_f64(c.stats.max) == 7.0);
	parquet_column_free(&c);

	/* a boolean column stays without a dictionary */
	ColumnDesc b = desc(OID_BOOL);
	parquet_column_init(&c, &b);
	add_bool(&c, true);
	parquet_column_reset(&c);
	assert_false(c.dict_on);
	assert_int_equal(c.values.len, 0);
	parquet_column_free(&c);
}

static void
test_buffered_grows(void **state)
{
	ColumnDesc d = desc(OID_TEXT);
	ParquetColumn c;

	parquet_column_init(&c, &d);
	uint64_t before = parquet_column_buffered(&c);
	for (int i = 0; i < 100; i++)
		add_str(&c, "some text value");
	assert_true(parquet_column_buffered(&c) > before + 100);
	parquet_column_free(&c);
}

/* ---- the Statistics struct footer.c writes ---- */

typedef struct StatFields
{
	bool has[16];
	int64_t i[16];
	uint8_t bin[16][300];
	size_t binlen[16];
} StatFields;

/* Serializes the column's Statistics (field 12 of ColumnMetaData) and reads it back. */
static void
read_stats(const ParquetColumn *c, StatFields *f)
{
	Buf b;
	ParquetThriftWriter w;
	ParquetThriftReader r;
	int16_t id;
	uint8_t type;

	memset(f, 0, sizeof(*f));
	buf_init(&b);
	parquet_thrift_writer_init(&w, &b);
	parquet_thrift_struct_begin(&w);
	parquet_thrift_i64(&w, 11, 0); /* so that 12 is a delta of 1, as after dictionary_page_offset */
	parquet_write_statistics(&w, c);
	parquet_thrift_struct_end(&w);
	assert_int_equal(w.depth, 0);
	parquet_thrift_reader_init(&r, b.data, b.len);
	assert_true(parquet_thrift_read_struct_begin(&r));
	assert_true(parquet_thrift_read_field(&r, &id, &type));
	assert_true(parquet_thrift_skip(&r, type));
	assert_true(parquet_thrift_read_field(&r, &id, &type));
	assert_int_equal(id, 12);
	assert_int_equal(type, TT_STRUCT);
	assert_true(parquet_thrift_read_struct_begin(&r));
	int16_t last = 0;
	for (;;)
	{
		assert_true(parquet_thrift_read_field(&r, &id, &type));
		if (type == TT_STOP)
			break;
		assert_true(id > 0 && id < 16);
		assert_false(f->has[id]);
		f->has[id] = true;
		/* fields in ascending id order */
		assert_true(id > last);
		last = id;
		switch (type)
		{
			case TT_I64: assert_true(parquet_thrift_read_int(&r, type, &f->i[id])); break;
			case TT_TRUE:
			case TT_FALSE: f->i[id] = type == TT_TRUE; break;
			case TT_BINARY:
			{
				const uint8_t *d;
				size_t len;
				assert_true(parquet_thrift_read_binary(&r, &d, &len));
				assert_true(len <= sizeof(f->bin[id]));
				memcpy(f->bin[id], d, len);
				f->binlen[id] = len;
				break;
			}
			default: fail_msg("statistics field %d of unexpected type %d", id, type);
		}
	}
	/* the enclosing struct's STOP follows */
	assert_true(parquet_thrift_read_field(&r, &id, &type));
	assert_int_equal(type, TT_STOP);
	assert_ptr_equal(r.p, r.end);
	buf_free(&b);
}

static void
test_statistics_struct_int64(void **state)
{
	ColumnDesc d = desc(OID_INT8);
	ParquetColumn c;
	StatFields f;

	parquet_column_init(&c, &d);
	for (int64_t v = 5; v >= 1; v--)
		add_i64(&c, v);
	parquet_column_add_null(&c);
	read_stats(&c, &f);
	/* legacy max/min (signed order), null_count, max_value/min_value: 8 bytes each */
	assert_true(f.has[1] && f.has[2] && f.has[3] && f.has[5] && f.has[6]);
	assert_int_equal(f.binlen[1], 8);
	assert_int_equal(f.binlen[2], 8);
	assert_int_equal(f.binlen[5], 8);
	assert_int_equal(f.binlen[6], 8);
	assert_true(stat_i64(f.bin[1]) == 5 && stat_i64(f.bin[5]) == 5);
	assert_true(stat_i64(f.bin[2]) == 1 && stat_i64(f.bin[6]) == 1);
	assert_int_equal(f.i[3], 1);
	assert_false(f.has[4]);
	/* exact flags, if written, say true */
	assert_true(!f.has[7] || f.i[7] == 1);
	assert_true(!f.has[8] || f.i[8] == 1);
	parquet_column_free(&c);
}

static void
test_statistics_struct_strings_and_nulls(void **state)
{
	ColumnDesc d = desc(OID_TEXT);
	ParquetColumn c;
	StatFields f;

	parquet_column_init(&c, &d);
	add_str(&c, "b");
	add_str(&c, "\xc3\xa9");
	parquet_column_add_null(&c);
	read_stats(&c, &f);
	/* unsigned order: no legacy min/max */
	assert_false(f.has[1]);
	assert_false(f.has[2]);
	assert_int_equal(f.i[3], 1);
	assert_int_equal(f.binlen[5], 2);
	assert_memory_equal(f.bin[5], "\xc3\xa9", 2);
	assert_int_equal(f.binlen[6], 1);
	assert_memory_equal(f.bin[6], "b", 1);
	parquet_column_free(&c);

	/* only NULLs: null_count (always written) and no bounds */
	parquet_column_init(&c, &d);
	parquet_column_add_null(&c);
	parquet_column_add_null(&c);
	read_stats(&c, &f);
	assert_true(f.has[3]);
	assert_int_equal(f.i[3], 2);
	assert_false(f.has[1] || f.has[2] || f.has[5] || f.has[6]);
	parquet_column_free(&c);

	/* no NULLs: null_count 0 is still written */
	parquet_column_init(&c, &d);
	add_str(&c, "x");
	read_stats(&c, &f);
	assert_true(f.has[3]);
	assert_int_equal(f.i[3], 0);
	parquet_column_free(&c);

	/* a string longer than PQ_STAT_MAX is left out, not truncated */
	static char big[PQ_STAT_MAX + 1];
	memset(big, 'z', sizeof(big));
	parquet_column_init(&c, &d);
	add_str(&c, "a");
	parquet_column_add(&c, big, sizeof(big));
	read_stats(&c, &f);
	assert_false(f.has[5]);
	assert_true(f.has[6]);
	assert_int_equal(f.binlen[6], 1);
	parquet_column_free(&c);
}

static void
test_statistics_struct_float_zero(void **state)
{
	ColumnDesc d = desc(OID_FLOAT8);
	ParquetColumn c;
	StatFields f;
	double v;

	/* only +0.0: the minimum is written as -0.0, the maximum as +0.0 */
	parquet_column_init(&c, &d);
	add_f64(&c, 0.0);
	read_stats(&c, &f);
	assert_int_equal(f.binlen[6], 8);
	memcpy(&v, f.bin[6], 8);
	assert_true(v == 0.0 && signbit(v));
	memcpy(&v, f.bin[5], 8);
	assert_true(v == 0.0 && !signbit(v));
	memcpy(&v, f.bin[2], 8);
	assert_true(v == 0.0 && signbit(v));
	parquet_column_free(&c);

	/* only -0.0: the same */
	parquet_column_init(&c, &d);
	add_f64(&c, -0.0);
	read_stats(&c, &f);
	memcpy(&v, f.bin[5], 8);
	assert_true(v == 0.0 && !signbit(v));
	memcpy(&v, f.bin[6], 8);
	assert_true(v == 0.0 && signbit(v));
	parquet_column_free(&c);

	/* only NaN: no bounds */
	parquet_column_init(&c, &d);
	add_f64(&c, NAN);
	read_stats(&c, &f);
	assert_false(f.has[1] || f.has[2] || f.has[5] || f.has[6]);
	parquet_column_free(&c);
}

static void
test_statistics_struct_nan_count(void **state)
{
	/*
	 * Regression (found by this test): footer.c parquet_write_statistics() never writes
	 * Statistics.nan_count (field 9, i64) although column.c counts NaNs (stats.nan_count).
	 * parquet.md sections 0, 4.2 and pitfall 6 ask for it: without it DuckDB assumes NaN may
	 * be present. Input: a float8 column {NaN, 1.0, NaN}; expected field 9 = 2; got no field 9.
	 */
	ColumnDesc d = desc(OID_FLOAT8);
	ParquetColumn c;
	StatFields f;

	parquet_column_init(&c, &d);
	add_f64(&c, NAN);
	add_f64(&c, 1.0);
	add_f64(&c, NAN);
	read_stats(&c, &f);
	assert_true(f.has[9]);
	assert_int_equal(f.i[9], 2);
	parquet_column_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_text),
		cmocka_unit_test(test_repeated_values_stay_in_dictionary),
		cmocka_unit_test(test_int_dictionary_many_entries),
		cmocka_unit_test(test_dictionary_falls_back_past_limit),
		cmocka_unit_test(test_int_dictionary_falls_back_past_limit),
		cmocka_unit_test(test_dictionary_that_does_not_pay),
		cmocka_unit_test(test_property_dictionary_or_plain_keeps_values),
		cmocka_unit_test(test_stats_int32),
		cmocka_unit_test(test_stats_after_fallback),
		cmocka_unit_test(test_stats_int64),
		cmocka_unit_test(test_stats_double_nan),
		cmocka_unit_test(test_stats_float),
		cmocka_unit_test(test_stats_strings_unsigned),
		cmocka_unit_test(test_stats_bool),
		cmocka_unit_test(test_reset_clears_everything),
		cmocka_unit_test(test_buffered_grows),
		cmocka_unit_test(test_statistics_struct_int64),
		cmocka_unit_test(test_statistics_struct_strings_and_nulls),
		cmocka_unit_test(test_statistics_struct_float_zero),
		cmocka_unit_test(test_statistics_struct_nan_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
