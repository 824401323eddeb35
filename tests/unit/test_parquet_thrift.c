/*
 * test_parquet_thrift.c: encode/parquet/thrift.c, the Thrift compact protocol (apache/thrift
 * doc/specs/thrift-compact-protocol.md) as Parquet's metadata uses it. The writer is checked
 * byte for byte against the worked encodings of ../shared/parquet.md section 2.4 (verified
 * against hyparquet), including the SchemaElements types.c writes for ebb's columns; the reader
 * against what the writer wrote, and against truncated and hostile input (run under ASan: each
 * input sits in a buffer of exactly its length, so a read past the end is caught).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "encode/parquet/thrift.h"
#include "encode/parquet/types.h"
#include "unit_util.h"

/* ---- hex helpers (unhex, tohex, assert_hex: unit_util.h) ---- */

static void
assert_buf_hex(const Buf *b, const char *hex)
{
	assert_hex(b->data, b->len, hex);
}

/* ---- the writer: parquet.md 2.4 ---- */

static void
test_zigzag_varints(void **state)
{
	Buf b;

	buf_init(&b);
	ParquetThriftWriter w;
	parquet_thrift_writer_init(&w, &b);
	/* parquet_thrift_list_i32 writes a bare zigzag varint (a list element). */
	parquet_thrift_list_i32(&w, 0);
	assert_buf_hex(&b, "00");
	buf_reset(&b);
	parquet_thrift_list_i32(&w, -1);
	assert_buf_hex(&b, "01");
	buf_reset(&b);
	parquet_thrift_list_i32(&w, 1);
	assert_buf_hex(&b, "02");
	buf_reset(&b);
	parquet_thrift_list_i32(&w, 300);
	assert_buf_hex(&b, "d8 04");
	buf_reset(&b);
	parquet_thrift_list_i32(&w, INT32_MIN);
	assert_buf_hex(&b, "ff ff ff ff 0f");
	buf_reset(&b);
	parquet_thrift_list_i32(&w, INT32_MAX);
	assert_buf_hex(&b, "fe ff ff ff 0f");
	buf_reset(&b);
	buf_free(&b);
}

static void
test_unsigned_varints(void **state)
{
	Buf b;

	buf_init(&b);
	parquet_thrift_varint(&b, 0);
	parquet_thrift_varint(&b, 127);
	parquet_thrift_varint(&b, 128);
	parquet_thrift_varint(&b, 2000);
	assert_buf_hex(&b, "00 7f 80 01 d0 0f");
	buf_reset(&b);
	parquet_thrift_varint(&b, UINT64_MAX);
	assert_buf_hex(&b, "ff ff ff ff ff ff ff ff ff 01");
	buf_free(&b);
}

static void
test_i64_extremes_zigzag(void **state)
{
	Buf b;
	ParquetThriftWriter w;

	buf_init(&b);
	parquet_thrift_writer_init(&w, &b);
	parquet_thrift_struct_begin(&w);
	parquet_thrift_i64(&w, 1, INT64_MIN);
	parquet_thrift_i64(&w, 2, INT64_MAX);
	parquet_thrift_struct_end(&w);
	assert_buf_hex(&b, "16 ff ff ff ff ff ff ff ff ff 01 16 fe ff ff ff ff ff ff ff ff 01 00");
	buf_free(&b);
}

static void
test_page_header_data_page(void **state)
{
	Buf b;
	ParquetThriftWriter w;

	buf_init(&b);
	parquet_thrift_writer_init(&w, &b);
	parquet_thrift_struct_begin(&w);
	parquet_thrift_i32(&w, 1, 0);  /* DATA_PAGE */
	parquet_thrift_i32(&w, 2, 25); /* uncompressed_page_size */
	parquet_thrift_i32(&w, 3, 25); /* compressed_page_size */
	parquet_thrift_struct_field(&w, 5);
	parquet_thrift_i32(&w, 1, 5); /* num_values */
	parquet_thrift_i32(&w, 2, 0); /* PLAIN */
	parquet_thrift_i32(&w, 3, 3); /* RLE */
	parquet_thrift_i32(&w, 4, 3); /* RLE */
	parquet_thrift_struct_end(&w);
	parquet_thrift_struct_end(&w);
	assert_buf_hex(&b, "15 00 15 32 15 32 2c 15 0a 15 00 15 06 15 06 00 00");
	assert_int_equal(w.depth, 0);
	buf_free(&b);
}

static void
test_page_header_dictionary_page(void **state)
{
	Buf b;
	ParquetThriftWriter w;

	buf_init(&b);
	parquet_thrift_writer_init(&w, &b);
	parquet_thrift_struct_begin(&w);
	parquet_thrift_i32(&w, 1, 2); /* DICTIONARY_PAGE */
	parquet_thrift_i32(&w, 2, 13);
	parquet_thrift_i32(&w, 3, 13);
	parquet_thrift_struct_field(&w, 7); /* delta 4 from field 3 */
	parquet_thrift_i32(&w, 1, 3);
	parquet_thrift_i32(&w, 2, 0);
	parquet_thrift_struct_end(&w);
	parquet_thrift_struct_end(&w);
	assert_buf_hex(&b, "15 04 15 1a 15 1a 4c 15 06 15 00 00 00");
	assert_int_equal(w.depth, 0);
	buf_free(&b);
}

static void
test_schema_root(void **state)
{
	Buf b;
	ParquetThriftWriter w;

	buf_init(&b);
	parquet_thrift_writer_init(&w, &b);
	parquet_thrift_struct_begin(&w);
	parquet_thrift_string(&w, 4, "schema");
	parquet_thrift_i32(&w, 5, 3);
	parquet_thrift_struct_end(&w);
	assert_buf_hex(&b, "48 06 73 63 68 65 6d 61 15 06 00");
	buf_free(&b);
}

/* The SchemaElement parquet_write_schema_leaf writes for a base-type column. */
static void
leaf_bytes(Buf *b, const char *name, uint32_t oid, int32_t typmod)
{
	ColumnDesc col = {.name = (char *) name,
					  .type_oid = oid,
					  .typmod = typmod,
					  .typtype = 'b',
					  .typcategory = 'X',
					  .type_name = (char *) "t"};
	ParquetColumnType t;
	ParquetThriftWriter w;

	parquet_column_type(&col, &t);
	buf_reset(b);
	parquet_thrift_writer_init(&w, b);
	parquet_write_schema_leaf(&w, &col, &t);
	assert_int_equal(w.depth, 0);
}

static void
test_schema_leaf_string(void **state)
{
	Buf b;

	buf_init(&b);
	/* optional BYTE_ARRAY "name", ConvertedType UTF8, LogicalType STRING */
	leaf_bytes(&b, "name", 25, -1);
	assert_buf_hex(&b, "15 0c 25 02 18 04 6e 61 6d 65 25 00 4c 1c 00 00 00");
	/* varchar(n), bpchar and name are strings too */
	leaf_bytes(&b, "name", 1043, 36);
	assert_buf_hex(&b, "15 0c 25 02 18 04 6e 61 6d 65 25 00 4c 1c 00 00 00");
	leaf_bytes(&b, "name", 1042, 14);
	assert_buf_hex(&b, "15 0c 25 02 18 04 6e 61 6d 65 25 00 4c 1c 00 00 00");
	buf_free(&b);
}

static void
test_schema_leaf_timestamp(void **state)
{
	Buf b;

	buf_init(&b);
	/* timestamptz: TIMESTAMP_MICROS + TIMESTAMP(isAdjustedToUTC=true, MICROS) */
	leaf_bytes(&b, "ts", 1184, -1);
	assert_buf_hex(&b, "15 04 25 02 18 02 74 73 25 14 4c 8c 11 1c 2c 00 00 00 00 00");
	/* timestamp without time zone: isAdjustedToUTC=false */
	leaf_bytes(&b, "ts", 1114, -1);
	assert_buf_hex(&b, "15 04 25 02 18 02 74 73 25 14 4c 8c 12 1c 2c 00 00 00 00 00");
	/* time: INT64 TIME_MICROS (8) + TIME(false, MICROS), LogicalType member 7 */
	leaf_bytes(&b, "ts", 1083, -1);
	assert_buf_hex(&b, "15 04 25 02 18 02 74 73 25 10 4c 7c 12 1c 2c 00 00 00 00 00");
	buf_free(&b);
}

static void
test_schema_leaf_int16(void **state)
{
	Buf b;

	buf_init(&b);
	/*
	 * parquet.md's example is a *required* column (25 00); ebb writes every column OPTIONAL
	 * (25 02). The rest: INT32, INT_16 (20), INTEGER(bitWidth=16 as an i8: 13 10, signed: 11).
	 */
	leaf_bytes(&b, "i2", 21, -1);
	assert_buf_hex(&b, "15 02 25 02 18 02 69 32 25 20 4c ac 13 10 11 00 00 00");
	buf_free(&b);
}

static void
test_schema_leaf_uuid(void **state)
{
	Buf b;

	buf_init(&b);
	/* optional FLBA(16) "u", LogicalType UUID, no ConvertedType (LogicalType delta 6). */
	leaf_bytes(&b, "u", 2950, -1);
	assert_buf_hex(&b, "15 0e 15 20 15 02 18 01 75 6c ec 00 00 00");
	buf_free(&b);
}

static void
test_schema_leaf_decimal(void **state)
{
	Buf b;

	buf_init(&b);
	/* numeric(18,4): INT64, converted_type DECIMAL, scale 4, precision 18, LogicalType DECIMAL */
	leaf_bytes(&b, "d", 1700, ((18 << 16) | 4) + 4);
	assert_buf_hex(&b, "15 04 25 02 18 01 64 25 0a 15 08 15 24 2c 5c 15 08 15 24 00 00 00");
	/* numeric(38,2): FLBA(16) */
	leaf_bytes(&b, "d", 1700, ((38 << 16) | 2) + 4);
	assert_buf_hex(&b, "15 0e 15 20 15 02 18 01 64 25 0a 15 04 15 4c 2c 5c 15 04 15 4c 00 00 00");
	/* numeric(5,2): INT32 */
	leaf_bytes(&b, "d", 1700, ((5 << 16) | 2) + 4);
	assert_buf_hex(&b, "15 02 25 02 18 01 64 25 0a 15 04 15 0a 2c 5c 15 04 15 0a 00 00 00");
	/* unconstrained numeric: a STRING */
	leaf_bytes(&b, "d", 1700, -1);
	assert_buf_hex(&b, "15 0c 25 02 18 01 64 25 00 4c 1c 00 00 00");
	buf_free(&b);
}

static void
test_schema_leaf_date_json_plain(void **state)
{
	Buf b;

	buf_init(&b);
	/* date: INT32, DATE (6), LogicalType DATE "6c 00 00" */
	leaf_bytes(&b, "dt", 1082, -1);
	assert_buf_hex(&b, "15 02 25 02 18 02 64 74 25 0c 4c 6c 00 00 00");
	/* json and jsonb: BYTE_ARRAY, JSON (19), LogicalType JSON "cc 00 00" */
	leaf_bytes(&b, "j", 114, -1);
	assert_buf_hex(&b, "15 0c 25 02 18 01 6a 25 26 4c cc 00 00 00");
	leaf_bytes(&b, "j", 3802, -1);
	assert_buf_hex(&b, "15 0c 25 02 18 01 6a 25 26 4c cc 00 00 00");
	/* int4, int8, float8, bool, bytea: physical type only, no annotations */
	leaf_bytes(&b, "x", 23, -1);
	assert_buf_hex(&b, "15 02 25 02 18 01 78 00");
	leaf_bytes(&b, "x", 20, -1);
	assert_buf_hex(&b, "15 04 25 02 18 01 78 00");
	leaf_bytes(&b, "x", 701, -1);
	assert_buf_hex(&b, "15 0a 25 02 18 01 78 00");
	leaf_bytes(&b, "x", 700, -1);
	assert_buf_hex(&b, "15 08 25 02 18 01 78 00");
	leaf_bytes(&b, "x", 16, -1);
	assert_buf_hex(&b, "15 00 25 02 18 01 78 00");
	leaf_bytes(&b, "x", 17, -1);
	assert_buf_hex(&b, "15 0c 25 02 18 01 78 00");
	buf_free(&b);
}

static void
test_column_order_and_logical_unions(void **state)
{
	Buf b;
	ParquetThriftWriter w;

	buf_init(&b);
	parquet_thrift_writer_init(&w, &b);
	/* ColumnOrder TYPE_ORDER: {1: TypeDefinedOrder{}} */
	parquet_thrift_struct_begin(&w);
	parquet_thrift_empty_struct(&w, 1);
	parquet_thrift_struct_end(&w);
	assert_buf_hex(&b, "1c 00 00");
	buf_reset(&b);
	/* LogicalType JSON, DATE, ENUM */
	parquet_thrift_struct_begin(&w);
	parquet_thrift_empty_struct(&w, 12);
	parquet_thrift_struct_end(&w);
	parquet_thrift_struct_begin(&w);
	parquet_thrift_empty_struct(&w, 6);
	parquet_thrift_struct_end(&w);
	parquet_thrift_struct_begin(&w);
	parquet_thrift_empty_struct(&w, 4);
	parquet_thrift_struct_end(&w);
	assert_buf_hex(&b, "cc 00 00 6c 00 00 4c 00 00");
	assert_int_equal(w.depth, 0);
	buf_free(&b);
}

static void
test_statistics_int64(void **state)
{
	Buf b;
	ParquetThriftWriter w;
	int64_t five = 5, one = 1;

	buf_init(&b);
	parquet_thrift_writer_init(&w, &b);
	parquet_thrift_struct_begin(&w);
	parquet_thrift_binary(&w, 1, &five, 8);
	parquet_thrift_binary(&w, 2, &one, 8);
	parquet_thrift_i64(&w, 3, 0);
	parquet_thrift_binary(&w, 5, &five, 8);
	parquet_thrift_binary(&w, 6, &one, 8);
	parquet_thrift_struct_end(&w);
	assert_buf_hex(&b, "18 08 05 00 00 00 00 00 00 00 18 08 01 00 00 00 00 00 00 00 16 00"
					   " 28 08 05 00 00 00 00 00 00 00 18 08 01 00 00 00 00 00 00 00 00");
	buf_free(&b);
}

static void
test_bool_i8_i16_fields(void **state)
{
	Buf b;
	ParquetThriftWriter w;

	buf_init(&b);
	parquet_thrift_writer_init(&w, &b);
	parquet_thrift_struct_begin(&w);
	parquet_thrift_bool(&w, 1, true);  /* type nibble 1, no payload */
	parquet_thrift_bool(&w, 2, false); /* type nibble 2 */
	parquet_thrift_i8(&w, 3, -1);      /* type 3, one raw byte (not zigzag) */
	parquet_thrift_i8(&w, 4, 16);
	parquet_thrift_i16(&w, 5, -2); /* type 4, zigzag */
	parquet_thrift_i16(&w, 6, INT16_MAX);
	parquet_thrift_struct_end(&w);
	assert_buf_hex(&b, "11 12 13 ff 13 10 14 03 14 fe ff 03 00");
	buf_free(&b);
}

static void
test_list_headers(void **state)
{
	Buf b;
	ParquetThriftWriter w;

	buf_init(&b);
	parquet_thrift_writer_init(&w, &b);
	parquet_thrift_struct_begin(&w);
	/* list<i32>[0,3,8] */
	parquet_thrift_list_field(&w, 1, TT_I32, 3);
	parquet_thrift_list_i32(&w, 0);
	parquet_thrift_list_i32(&w, 3);
	parquet_thrift_list_i32(&w, 8);
	/* list<binary>["name"] */
	parquet_thrift_list_field(&w, 2, TT_BINARY, 1);
	parquet_thrift_list_binary(&w, "name");
	/* 14 elements is the last short form; 15 and 20 the long one. */
	parquet_thrift_list_field(&w, 3, TT_STRUCT, 14);
	parquet_thrift_list_field(&w, 4, TT_I32, 15);
	parquet_thrift_list_field(&w, 5, TT_I32, 20);
	parquet_thrift_list_field(&w, 6, TT_I64, 0);
	parquet_thrift_list_field(&w, 7, TT_I32, 300);
	parquet_thrift_struct_end(&w);
	assert_buf_hex(&b, "19 35 00 06 10 | 19 18 04 6e 61 6d 65 | 19 ec | 19 f5 0f | 19 f5 14 |"
					   " 19 06 | 19 f5 ac 02 | 00");
	buf_free(&b);
}

static void
test_long_form_field_headers(void **state)
{
	Buf b;
	ParquetThriftWriter w;

	buf_init(&b);
	parquet_thrift_writer_init(&w, &b);
	/* Field 16 of type I64 in a fresh struct: delta 16 > 15, long form "06 20". */
	parquet_thrift_struct_begin(&w);
	parquet_thrift_i64(&w, 16, 1);
	parquet_thrift_struct_end(&w);
	assert_buf_hex(&b, "06 20 02 00");
	buf_reset(&b);
	/* Delta 15 is still short; a decreasing id and a repeated id are long. */
	parquet_thrift_struct_begin(&w);
	parquet_thrift_i32(&w, 15, 1);
	parquet_thrift_i32(&w, 5, 1);
	parquet_thrift_i32(&w, 5, 2);
	parquet_thrift_i32(&w, 6, 3);
	parquet_thrift_struct_end(&w);
	assert_buf_hex(&b, "f5 02 | 05 0a 02 | 05 0a 04 | 15 06 | 00");
	buf_reset(&b);
	/* A large id (zigzag i16) */
	parquet_thrift_struct_begin(&w);
	parquet_thrift_i32(&w, 1000, 0);
	parquet_thrift_i32(&w, INT16_MAX, 0);
	parquet_thrift_struct_end(&w);
	assert_buf_hex(&b, "05 d0 0f 00 | 05 fe ff 03 00 | 00");
	buf_free(&b);
}

static void
test_nested_structs_keep_their_own_last_id(void **state)
{
	Buf b;
	ParquetThriftWriter w;

	buf_init(&b);
	parquet_thrift_writer_init(&w, &b);
	parquet_thrift_struct_begin(&w);
	parquet_thrift_i32(&w, 1, 1);
	parquet_thrift_struct_field(&w, 2);
	parquet_thrift_i32(&w, 10, 1); /* delta 10 from the inner struct's 0 */
	parquet_thrift_struct_field(&w, 11);
	parquet_thrift_i32(&w, 1, 1);
	parquet_thrift_struct_end(&w);
	parquet_thrift_struct_end(&w);
	parquet_thrift_i32(&w, 3, 1); /* delta 1 from the outer struct's 2 */
	parquet_thrift_struct_end(&w);
	assert_buf_hex(&b, "15 02 1c a5 02 1c 15 02 00 00 15 02 00");
	assert_int_equal(w.depth, 0);
	buf_free(&b);
}

static void
test_binary_lengths(void **state)
{
	Buf b;
	ParquetThriftWriter w;
	char big[200];

	memset(big, 'x', sizeof(big));
	buf_init(&b);
	parquet_thrift_writer_init(&w, &b);
	parquet_thrift_struct_begin(&w);
	parquet_thrift_binary(&w, 1, "", 0);
	parquet_thrift_binary(&w, 2, big, sizeof(big));
	parquet_thrift_struct_end(&w);
	assert_int_equal(b.len, 2 + 3 + 200 + 1);
	assert_hex(b.data, 5, "18 00 18 c8 01");
	assert_memory_equal(b.data + 5, big, 200);
	buf_free(&b);
}

/* ---- the reader ---- */

/* A message with every kind of field the reader handles. */
static void
write_sample(Buf *b)
{
	ParquetThriftWriter w;
	char big[300];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char) i;
	parquet_thrift_writer_init(&w, b);
	parquet_thrift_struct_begin(&w);
	parquet_thrift_i8(&w, 1, -128);
	parquet_thrift_i16(&w, 2, INT16_MIN);
	parquet_thrift_i32(&w, 3, INT32_MIN);
	parquet_thrift_i64(&w, 4, INT64_MIN);
	parquet_thrift_bool(&w, 5, true);
	parquet_thrift_bool(&w, 6, false);
	parquet_thrift_binary(&w, 7, "", 0);
	parquet_thrift_binary(&w, 8, big, sizeof(big));
	parquet_thrift_struct_field(&w, 9);
	parquet_thrift_i32(&w, 1, 7);
	parquet_thrift_i64(&w, 20, INT64_MAX);
	parquet_thrift_i32(&w, 3, -3);
	parquet_thrift_empty_struct(&w, 4);
	parquet_thrift_struct_end(&w);
	parquet_thrift_list_field(&w, 10, TT_I32, 20);
	for (int i = 0; i < 20; i++)
		parquet_thrift_list_i32(&w, i * 1000 - 7000);
	parquet_thrift_list_field(&w, 11, TT_BINARY, 2);
	parquet_thrift_list_binary(&w, "a");
	parquet_thrift_list_binary(&w, "bc");
	parquet_thrift_list_field(&w, 12, TT_STRUCT, 2);
	for (int i = 1; i <= 2; i++)
	{
		parquet_thrift_struct_begin(&w);
		parquet_thrift_i32(&w, 1, i);
		parquet_thrift_string(&w, 2, "row group");
		parquet_thrift_struct_end(&w);
	}
	parquet_thrift_i64(&w, 40, 42);
	parquet_thrift_i32(&w, 30000, 1);
	parquet_thrift_i32(&w, 2, 5); /* decreasing at the top level */
	parquet_thrift_struct_end(&w);
	assert_int_equal(w.depth, 0);
}

/* The reader over a heap copy of exactly len bytes (ASan catches any read past it). */
typedef struct Exact
{
	uint8_t *p;
	size_t len;
} Exact;

static Exact
exact_copy(const void *data, size_t len)
{
	Exact e = {malloc(len ? len : 1), len};

	assert_non_null(e.p);
	if (len)
		memcpy(e.p, data, len);
	return e;
}

static void
expect_field(ParquetThriftReader *r, int16_t want_id, uint8_t want_type)
{
	int16_t id = -1;
	uint8_t type = 0xFF;

	assert_true(parquet_thrift_read_field(r, &id, &type));
	assert_int_equal(type, want_type);
	if (want_type != TT_STOP)
		assert_int_equal(id, want_id);
}

static int64_t
expect_int(ParquetThriftReader *r, int16_t id, uint8_t type)
{
	int64_t v = 0;

	expect_field(r, id, type);
	assert_true(parquet_thrift_read_int(r, type, &v));
	return v;
}

static void
test_reader_reads_what_the_writer_wrote(void **state)
{
	Buf b;
	ParquetThriftReader r;
	const uint8_t *d;
	size_t len;
	uint8_t et;
	uint32_t n;

	buf_init(&b);
	write_sample(&b);
	Exact e = exact_copy(b.data, b.len);
	parquet_thrift_reader_init(&r, e.p, e.len);
	assert_true(parquet_thrift_read_struct_begin(&r));
	assert_int_equal(expect_int(&r, 1, TT_I8), -128);
	assert_int_equal(expect_int(&r, 2, TT_I16), INT16_MIN);
	assert_int_equal(expect_int(&r, 3, TT_I32), INT32_MIN);
	assert_true(expect_int(&r, 4, TT_I64) == INT64_MIN);
	expect_field(&r, 5, TT_TRUE);
	expect_field(&r, 6, TT_FALSE);
	expect_field(&r, 7, TT_BINARY);
	assert_true(parquet_thrift_read_binary(&r, &d, &len));
	assert_int_equal(len, 0);
	expect_field(&r, 8, TT_BINARY);
	assert_true(parquet_thrift_read_binary(&r, &d, &len));
	assert_int_equal(len, 300);
	for (size_t i = 0; i < 300; i++)
		assert_int_equal(d[i], (uint8_t) i);
	/* the nested struct, read field by field */
	expect_field(&r, 9, TT_STRUCT);
	assert_true(parquet_thrift_read_struct_begin(&r));
	assert_int_equal(expect_int(&r, 1, TT_I32), 7);
	assert_true(expect_int(&r, 20, TT_I64) == INT64_MAX);
	assert_int_equal(expect_int(&r, 3, TT_I32), -3);
	expect_field(&r, 4, TT_STRUCT);
	assert_true(parquet_thrift_read_struct_begin(&r));
	expect_field(&r, 0, TT_STOP);
	expect_field(&r, 0, TT_STOP);
	/* list<i32> of 20 (long-form header) */
	expect_field(&r, 10, TT_LIST);
	assert_true(parquet_thrift_read_list(&r, &et, &n));
	assert_int_equal(et, TT_I32);
	assert_int_equal(n, 20);
	for (int i = 0; i < 20; i++)
	{
		int64_t v;
		assert_true(parquet_thrift_read_int(&r, TT_I32, &v));
		assert_int_equal(v, i * 1000 - 7000);
	}
	expect_field(&r, 11, TT_LIST);
	assert_true(parquet_thrift_read_list(&r, &et, &n));
	assert_int_equal(et, TT_BINARY);
	assert_int_equal(n, 2);
	assert_true(parquet_thrift_read_binary(&r, &d, &len));
	assert_int_equal(len, 1);
	assert_memory_equal(d, "a", 1);
	assert_true(parquet_thrift_read_binary(&r, &d, &len));
	assert_int_equal(len, 2);
	assert_memory_equal(d, "bc", 2);
	/* a list of structs, skipped whole: the outer last id must survive the skip */
	expect_field(&r, 12, TT_LIST);
	assert_true(parquet_thrift_skip(&r, TT_LIST));
	assert_int_equal(expect_int(&r, 40, TT_I64), 42);
	assert_int_equal(expect_int(&r, 30000, TT_I32), 1);
	assert_int_equal(expect_int(&r, 2, TT_I32), 5);
	expect_field(&r, 0, TT_STOP);
	assert_int_equal(r.depth, 0);
	assert_ptr_equal(r.p, r.end);
	free(e.p);
	buf_free(&b);
}

static void
test_skip_nested_struct_restores_outer_ids(void **state)
{
	Buf b;
	ParquetThriftReader r;

	buf_init(&b);
	write_sample(&b);
	parquet_thrift_reader_init(&r, b.data, b.len);
	assert_true(parquet_thrift_read_struct_begin(&r));
	for (int id = 1; id <= 8; id++)
	{
		int16_t got;
		uint8_t type;
		assert_true(parquet_thrift_read_field(&r, &got, &type));
		assert_int_equal(got, id);
		assert_true(parquet_thrift_skip(&r, type));
	}
	/* field 9 is a struct with a long-form id inside and a nested empty struct */
	expect_field(&r, 9, TT_STRUCT);
	assert_true(parquet_thrift_skip(&r, TT_STRUCT));
	assert_int_equal(r.depth, 1);
	/* field 10 follows with a short-form delta of 1: right only if the stack popped */
	expect_field(&r, 10, TT_LIST);
	assert_true(parquet_thrift_skip(&r, TT_LIST));
	expect_field(&r, 11, TT_LIST);
	assert_true(parquet_thrift_skip(&r, TT_LIST));
	expect_field(&r, 12, TT_LIST);
	assert_true(parquet_thrift_skip(&r, TT_LIST));
	expect_field(&r, 40, TT_I64);
	buf_free(&b);
}

static void
test_reader_on_the_brief_bytes(void **state)
{
	uint8_t bytes[64];
	size_t n = unhex("15 00 15 32 15 32 2c 15 0a 15 00 15 06 15 06 00 00", bytes, sizeof(bytes));
	ParquetThriftReader r;

	parquet_thrift_reader_init(&r, bytes, n);
	assert_true(parquet_thrift_read_struct_begin(&r));
	assert_int_equal(expect_int(&r, 1, TT_I32), 0);
	assert_int_equal(expect_int(&r, 2, TT_I32), 25);
	assert_int_equal(expect_int(&r, 3, TT_I32), 25);
	expect_field(&r, 5, TT_STRUCT);
	assert_true(parquet_thrift_read_struct_begin(&r));
	assert_int_equal(expect_int(&r, 1, TT_I32), 5);
	assert_int_equal(expect_int(&r, 2, TT_I32), 0);
	assert_int_equal(expect_int(&r, 3, TT_I32), 3);
	assert_int_equal(expect_int(&r, 4, TT_I32), 3);
	expect_field(&r, 0, TT_STOP);
	expect_field(&r, 0, TT_STOP);
	assert_ptr_equal(r.p, r.end);

	/* the long form "06 20": field 16, I64 */
	n = unhex("06 20 02 00", bytes, sizeof(bytes));
	parquet_thrift_reader_init(&r, bytes, n);
	assert_true(parquet_thrift_read_struct_begin(&r));
	assert_int_equal(expect_int(&r, 16, TT_I64), 1);
	expect_field(&r, 0, TT_STOP);
}

static void
test_skip_double_and_bool_lists(void **state)
{
	uint8_t bytes[64];
	/* {1: double, 2: list<bool>[true,false], 3: i32 1} (ColumnIndex.null_pages style) */
	size_t n = unhex("17 00 00 00 00 00 00 f0 3f | 19 21 01 02 | 15 02 | 00", bytes, sizeof(bytes));
	ParquetThriftReader r;
	int16_t id;
	uint8_t type;

	parquet_thrift_reader_init(&r, bytes, n);
	assert_true(parquet_thrift_read_struct_begin(&r));
	for (;;)
	{
		assert_true(parquet_thrift_read_field(&r, &id, &type));
		if (type == TT_STOP)
			break;
		if (id == 3)
		{
			int64_t v;
			assert_true(parquet_thrift_read_int(&r, type, &v));
			assert_int_equal(v, 1);
		}
		else
			assert_true(parquet_thrift_skip(&r, type));
	}
	assert_ptr_equal(r.p, r.end);
	assert_int_equal(r.depth, 0);
}

/* Reads a whole struct generically (as ebb verify does): false on any failure. */
static bool
walk(const uint8_t *p, size_t len)
{
	ParquetThriftReader r;
	int16_t id;
	uint8_t type;

	parquet_thrift_reader_init(&r, p, len);
	if (!parquet_thrift_read_struct_begin(&r))
		return false;
	for (;;)
	{
		if (!parquet_thrift_read_field(&r, &id, &type))
			return false;
		if (type == TT_STOP)
			return r.depth == 0 && r.p <= r.end;
		if (!parquet_thrift_skip(&r, type))
			return false;
	}
}

static void
test_truncated_input_rejected(void **state)
{
	Buf b;

	buf_init(&b);
	write_sample(&b);
	assert_true(walk((const uint8_t *) b.data, b.len));
	/* Every proper prefix fails, and reads nothing past its end (ASan). */
	for (size_t len = 0; len < b.len; len++)
	{
		Exact e = exact_copy(b.data, len);
		assert_false(walk(e.p, e.len));
		free(e.p);
	}
	buf_free(&b);
}

static void
test_truncated_primitives_rejected(void **state)
{
	ParquetThriftReader r;
	uint64_t u;
	int64_t v;
	const uint8_t *d;
	size_t len;
	uint8_t et;
	uint32_t n;
	int16_t id;
	uint8_t type;

	/* a varint whose continuation bit runs off the end */
	Exact e = exact_copy("\x80\x80", 2);
	parquet_thrift_reader_init(&r, e.p, e.len);
	assert_false(parquet_thrift_read_varint(&r, &u));
	free(e.p);
	/* an i8 with no byte */
	parquet_thrift_reader_init(&r, "", 0);
	assert_false(parquet_thrift_read_int(&r, TT_I8, &v));
	/* a binary longer than what is left, and one with an absurd length */
	e = exact_copy("\x05"
				   "abcd",
				   5);
	parquet_thrift_reader_init(&r, e.p, e.len);
	assert_false(parquet_thrift_read_binary(&r, &d, &len));
	free(e.p);
	e = exact_copy("\xff\xff\xff\xff\xff\xff\xff\xff\x7f"
				   "a",
				   10);
	parquet_thrift_reader_init(&r, e.p, e.len);
	assert_false(parquet_thrift_read_binary(&r, &d, &len));
	free(e.p);
	/* a long-form list size cut short */
	e = exact_copy("\xf5\x80", 2);
	parquet_thrift_reader_init(&r, e.p, e.len);
	assert_false(parquet_thrift_read_list(&r, &et, &n));
	free(e.p);
	/* a long-form field header without its id */
	e = exact_copy("\x05", 1);
	parquet_thrift_reader_init(&r, e.p, e.len);
	assert_true(parquet_thrift_read_struct_begin(&r));
	assert_false(parquet_thrift_read_field(&r, &id, &type));
	free(e.p);
	/* a double with 7 bytes */
	e = exact_copy("\x00\x00\x00\x00\x00\x00\x00", 7);
	parquet_thrift_reader_init(&r, e.p, e.len);
	assert_false(parquet_thrift_skip(&r, TT_DOUBLE));
	free(e.p);
	/* a list of bools cut short */
	e = exact_copy("\x31\x01\x02", 3);
	parquet_thrift_reader_init(&r, e.p, e.len);
	assert_false(parquet_thrift_skip(&r, TT_LIST));
	free(e.p);
	/* nothing at all */
	parquet_thrift_reader_init(&r, "", 0);
	assert_true(parquet_thrift_read_struct_begin(&r));
	assert_false(parquet_thrift_read_field(&r, &id, &type));
}

static void
test_malformed_input_rejected(void **state)
{
	ParquetThriftReader r;
	uint64_t u;
	int16_t id;
	uint8_t type, et;
	uint32_t n;

	/* an 11-byte varint: more than 64 bits */
	Exact e = exact_copy("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 11);
	parquet_thrift_reader_init(&r, e.p, e.len);
	assert_false(parquet_thrift_read_varint(&r, &u));
	free(e.p);
	/* a long-form field id outside i16 (zigzag 40000 = 80000 = 80 f1 04) */
	e = exact_copy("\x05\x80\xf1\x04\x00", 5);
	parquet_thrift_reader_init(&r, e.p, e.len);
	assert_true(parquet_thrift_read_struct_begin(&r));
	assert_false(parquet_thrift_read_field(&r, &id, &type));
	free(e.p);
	/* a list size beyond uint32 */
	e = exact_copy("\xf5\x80\x80\x80\x80\x10", 6);
	parquet_thrift_reader_init(&r, e.p, e.len);
	assert_false(parquet_thrift_read_list(&r, &et, &n));
	free(e.p);
	/* a map (not in Parquet) and unknown type ids are not skipped */
	e = exact_copy("\x1b\x00\x00", 3);
	assert_false(walk(e.p, e.len));
	free(e.p);
	e = exact_copy("\x1d\x00\x00", 3);
	assert_false(walk(e.p, e.len));
	free(e.p);
	/* a list whose elements are STOP */
	e = exact_copy("\x19\x30\x00", 3);
	assert_false(walk(e.p, e.len));
	free(e.p);
	/* a huge list of i32 with few bytes: fails at the end of the input */
	e = exact_copy("\x19\xf5\xff\xff\xff\xff\x0f\x02\x02", 9);
	assert_false(walk(e.p, e.len));
	free(e.p);
	/* parquet_thrift_read_int of a non-integer type */
	e = exact_copy("\x02", 1);
	parquet_thrift_reader_init(&r, e.p, e.len);
	int64_t v;
	assert_false(parquet_thrift_read_int(&r, TT_BINARY, &v));
	free(e.p);
}

static void
test_deep_struct_nesting_rejected(void **state)
{
	/* 100 nested struct fields (field 1, type STRUCT), then the STOPs: beyond the depth. */
	uint8_t bytes[300];
	size_t n = 0;

	for (int i = 0; i < 100; i++)
		bytes[n++] = 0x1c;
	for (int i = 0; i < 101; i++)
		bytes[n++] = 0x00;
	Exact e = exact_copy(bytes, n);
	assert_false(walk(e.p, e.len));
	free(e.p);
	/* The limit exactly: the top struct and 14 nested ones fill last[1..15] of
	 * THRIFT_MAX_DEPTH (16); one more would index past the array. */
	for (int nested = 0; nested <= 15; nested++)
	{
		n = 0;
		for (int i = 0; i < nested; i++)
			bytes[n++] = 0x1c;
		for (int i = 0; i <= nested; i++)
			bytes[n++] = 0x00;
		e = exact_copy(bytes, n);
		assert_int_equal(walk(e.p, e.len), nested < THRIFT_MAX_DEPTH - 1);
		free(e.p);
	}
}

static void
test_stray_stop_rejected(void **state)
{
	/* A STOP with no struct open is malformed. */
	Exact e = exact_copy("\x00\x00", 2);
	ParquetThriftReader r;
	int16_t id;
	uint8_t type;

	parquet_thrift_reader_init(&r, e.p, e.len);
	assert_true(parquet_thrift_read_struct_begin(&r));
	assert_true(parquet_thrift_read_field(&r, &id, &type));
	assert_int_equal(type, TT_STOP);
	assert_int_equal(r.depth, 0);
	assert_false(parquet_thrift_read_field(&r, &id, &type));
	free(e.p);
}

static void
test_nested_lists_shallow(void **state)
{
	/* {1: list<list<list<i32>>> [[[1]]]} */
	Exact e = exact_copy("\x19\x19\x19\x15\x02\x00", 6);

	assert_true(walk(e.p, e.len));
	free(e.p);
	/* 1000 nested one-element lists, truncated: rejected */
	uint8_t *p = malloc(1000);
	assert_non_null(p);
	memset(p, 0x19, 1000);
	assert_false(walk(p, 1000));
	free(p);
}

static void
test_deep_list_nesting_rejected(void **state)
{
	/*
	 * Regression (found by this test): thrift.c parquet_thrift_skip() recurses once per nested list
	 * (case TT_LIST/TT_SET calls parquet_thrift_skip(r, et) for each element) with no depth limit;
	 * only structs are bounded by THRIFT_MAX_DEPTH. One megabyte of 0x19 bytes (a list of one list
	 * of one list
	 * ...) after a list field header overflows the stack: SIGSEGV instead of false. ebb verify
	 * reaches this through parquet.c read_footer() -> parquet_thrift_skip() on any footer of up to
	 * PQ_TAIL_MAX (8 MiB), so a corrupt file crashes verify instead of being reported.
	 */
	size_t n = 4 * 1024 * 1024;
	uint8_t *p = malloc(n);

	assert_non_null(p);
	memset(p, 0x19, n);
	assert_false(walk(p, n));
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zigzag_varints),
		cmocka_unit_test(test_unsigned_varints),
		cmocka_unit_test(test_i64_extremes_zigzag),
		cmocka_unit_test(test_page_header_data_page),
		cmocka_unit_test(test_page_header_dictionary_page),
		cmocka_unit_test(test_schema_root),
		cmocka_unit_test(test_schema_leaf_string),
		cmocka_unit_test(test_schema_leaf_timestamp),
		cmocka_unit_test(test_schema_leaf_int16),
		cmocka_unit_test(test_schema_leaf_uuid),
		cmocka_unit_test(test_schema_leaf_decimal),
		cmocka_unit_test(test_schema_leaf_date_json_plain),
		cmocka_unit_test(test_column_order_and_logical_unions),
		cmocka_unit_test(test_statistics_int64),
		cmocka_unit_test(test_bool_i8_i16_fields),
		cmocka_unit_test(test_list_headers),
		cmocka_unit_test(test_long_form_field_headers),
		cmocka_unit_test(test_nested_structs_keep_their_own_last_id),
		cmocka_unit_test(test_binary_lengths),
		cmocka_unit_test(test_reader_reads_what_the_writer_wrote),
		cmocka_unit_test(test_skip_nested_struct_restores_outer_ids),
		cmocka_unit_test(test_reader_on_the_brief_bytes),
		cmocka_unit_test(test_skip_double_and_bool_lists),
		cmocka_unit_test(test_truncated_input_rejected),
		cmocka_unit_test(test_truncated_primitives_rejected),
		cmocka_unit_test(test_malformed_input_rejected),
		cmocka_unit_test(test_deep_struct_nesting_rejected),
		cmocka_unit_test(test_stray_stop_rejected),
		cmocka_unit_test(test_nested_lists_shallow),
		cmocka_unit_test(test_deep_list_nesting_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
