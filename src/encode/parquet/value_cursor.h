/*
 * value_cursor.h: one page's values of one column, one at a time, in any encoding ebb reads
 * (PLAIN, dictionary indices, RLE booleans, the DELTA encodings, BYTE_STREAM_SPLIT), handed
 * out in PLAIN form. The cursor points into the page and dictionary bytes the caller owns and
 * keeps; it owns only a small buffer (DELTA_BYTE_ARRAY's previous value).
 */
#ifndef EBB_ENCODE_PARQUET_VALUE_CURSOR_H
#define EBB_ENCODE_PARQUET_VALUE_CURSOR_H

#include "encode/parquet/values_read.h"

/* One page's values of one column. */
typedef struct ParquetValues
{
	int physical, type_length, encoding;
	const uint8_t *p, *end; /* PLAIN; DLBA/DBA: the concatenated bytes */
	const uint8_t *start;   /* BYTE_STREAM_SPLIT: the first stream */
	uint64_t nsplit, k;     /* BYTE_STREAM_SPLIT: values per stream, values read */
	uint32_t bool_bit;
	ParquetRle rle; /* dictionary indices; RLE booleans */
	const ParquetDict *dict;
	ParquetDelta delta, lengths; /* DELTA_*: values or prefix lengths; suffix lengths */
	Buf prev;                    /* DELTA_BYTE_ARRAY: the previous value (owned) */
	uint8_t scratch[16];
} ParquetValues;

void parquet_value_cursor_init(ParquetValues *v, int physical, int type_length);
/* Starts a page's values: bytes [p, p+len) in this encoding (dict for dictionary pages). */
bool parquet_value_cursor_start(ParquetValues *v, int encoding, const uint8_t *p, size_t len,
								const ParquetDict *dict, EbbError *err);
/* The next value in PLAIN form (BOOLEAN: one byte 0/1; BYTE_ARRAY without its length). */
bool parquet_value_cursor_next(ParquetValues *v, const uint8_t **val, size_t *len, EbbError *err);
void parquet_value_cursor_free(ParquetValues *v);

#endif
