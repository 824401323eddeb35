/*
 * thrift.h: the Thrift compact protocol, as much as Parquet's metadata needs: a writer that
 * appends to a Buf the caller owns, and a reader over bytes the caller owns (ebb verify reads
 * the footer's row count with it; the unit tests read back what the writer wrote).
 *
 * The writer keeps the last field id of each open struct (the compact protocol writes ids as
 * deltas). Field types must match the IDL exactly: strict readers (DuckDB, Arrow) skip a field
 * whose wire type differs, and then miss it if it is required.
 */
#ifndef EBB_ENCODE_PARQUET_THRIFT_H
#define EBB_ENCODE_PARQUET_THRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* Compact type ids (a field header's low nibble). */
enum
{
	TT_STOP = 0,
	TT_TRUE = 1,
	TT_FALSE = 2,
	TT_I8 = 3,
	TT_I16 = 4,
	TT_I32 = 5,
	TT_I64 = 6,
	TT_DOUBLE = 7,
	TT_BINARY = 8,
	TT_LIST = 9,
	TT_SET = 10,
	TT_MAP = 11,
	TT_STRUCT = 12
};

#define THRIFT_MAX_DEPTH 16

typedef struct ParquetThriftWriter
{
	Buf *out;
	int16_t last[THRIFT_MAX_DEPTH];
	int depth;
} ParquetThriftWriter;

void parquet_thrift_writer_init(ParquetThriftWriter *w, Buf *out);
void parquet_thrift_varint(Buf *out, uint64_t v);
void parquet_thrift_struct_begin(ParquetThriftWriter *w);
void parquet_thrift_struct_end(ParquetThriftWriter *w); /* writes STOP */
void parquet_thrift_field(ParquetThriftWriter *w, int16_t id, uint8_t type);
void parquet_thrift_i8(ParquetThriftWriter *w, int16_t id, int8_t v);
void parquet_thrift_i16(ParquetThriftWriter *w, int16_t id, int16_t v);
void parquet_thrift_i32(ParquetThriftWriter *w, int16_t id, int32_t v);
void parquet_thrift_i64(ParquetThriftWriter *w, int16_t id, int64_t v);
void parquet_thrift_bool(ParquetThriftWriter *w, int16_t id, bool v);
void parquet_thrift_binary(ParquetThriftWriter *w, int16_t id, const void *data, size_t len);
void parquet_thrift_string(ParquetThriftWriter *w, int16_t id, const char *s);
/* A field holding a struct: begins it (end it with parquet_thrift_struct_end). */
void parquet_thrift_struct_field(ParquetThriftWriter *w, int16_t id);
/* A field holding an empty struct (a union member such as StringType). */
void parquet_thrift_empty_struct(ParquetThriftWriter *w, int16_t id);
/* A list field's header; the n elements follow with no field headers. */
void parquet_thrift_list_field(ParquetThriftWriter *w, int16_t id, uint8_t elem_type, uint32_t n);
void parquet_thrift_list_i32(ParquetThriftWriter *w, int32_t v); /* an element of a list<i32> */
void parquet_thrift_list_binary(ParquetThriftWriter *w,
								const char *s); /* an element of a list<binary> */

/* The reader: each call returns false on malformed or truncated input. */
typedef struct ParquetThriftReader
{
	const uint8_t *p, *end;
	int16_t last[THRIFT_MAX_DEPTH];
	int depth;
} ParquetThriftReader;

void parquet_thrift_reader_init(ParquetThriftReader *r, const void *data, size_t len);
bool parquet_thrift_read_varint(ParquetThriftReader *r, uint64_t *v);
bool parquet_thrift_read_struct_begin(ParquetThriftReader *r);
/* The next field of the current struct; *type == TT_STOP at its end (which pops it). */
bool parquet_thrift_read_field(ParquetThriftReader *r, int16_t *id, uint8_t *type);
bool parquet_thrift_read_int(ParquetThriftReader *r, uint8_t type,
							 int64_t *v); /* i8, i16, i32, i64 */
bool parquet_thrift_read_binary(ParquetThriftReader *r, const uint8_t **data, size_t *len);
bool parquet_thrift_read_list(ParquetThriftReader *r, uint8_t *elem_type, uint32_t *n);
/* Skips a value of this type (structs and lists whole). */
bool parquet_thrift_skip(ParquetThriftReader *r, uint8_t type);

#endif
