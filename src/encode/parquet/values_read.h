/*
 * values_read.h: decoders for the value and level encodings of Parquet pages (Encodings.md),
 * all streaming: a decoder walks bytes the caller owns (a decompressed page or a dictionary)
 * and hands out one value at a time, so that memory never grows with a page's value count,
 * which a corrupted header may claim to be anything. Every read is bounds-checked; a failure
 * fills err with EBB_ERR_VERIFY (damaged bytes) or EBB_ERR_DATA (an encoding ebb does not read)
 * and a message without the file name (the reader prefixes it).
 */
#ifndef EBB_ENCODE_PARQUET_VALUES_READ_H
#define EBB_ENCODE_PARQUET_VALUES_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

/* Encoding ids (parquet.thrift Encoding). */
enum
{
	PQE_PLAIN = 0,
	PQE_PLAIN_DICTIONARY = 2,
	PQE_RLE = 3,
	PQE_BIT_PACKED = 4,
	PQE_DELTA_BINARY_PACKED = 5,
	PQE_DELTA_LENGTH_BYTE_ARRAY = 6,
	PQE_DELTA_BYTE_ARRAY = 7,
	PQE_RLE_DICTIONARY = 8,
	PQE_BYTE_STREAM_SPLIT = 9
};

/* The RLE / bit-packing hybrid (no length prefix: the caller strips one where there is). */
typedef struct ParquetRle
{
	const uint8_t *p, *end;
	int bw;
	uint64_t run_left;   /* values left in the current run */
	bool packed;         /* the current run is bit-packed */
	uint32_t value;      /* an RLE run's value */
	const uint8_t *bits; /* a bit-packed run's first byte */
	uint64_t bit;        /* the next value's bit offset from bits */
} ParquetRle;

void parquet_values_read_rle_init(ParquetRle *d, const uint8_t *p, size_t len, int bw);
bool parquet_values_read_rle_next(ParquetRle *d, uint32_t *v, EbbError *err);

/* DELTA_BINARY_PACKED: values as uint64 (an INT32 column keeps the low 32 bits). */
typedef struct ParquetDelta
{
	const uint8_t *pos, *end; /* pos: the next unread block or miniblock */
	uint64_t per_mini, minis;
	uint64_t total, given;
	uint64_t last, min_delta;
	const uint8_t *widths; /* the current block's miniblock bit widths */
	uint64_t mini;         /* the current miniblock (minis: none started) */
	uint64_t in_mini;      /* values read from it */
	const uint8_t *mini_p;
	int bw;
} ParquetDelta;

bool parquet_values_read_delta_init(ParquetDelta *d, const uint8_t *p, size_t len, EbbError *err);
bool parquet_values_read_delta_next(ParquetDelta *d, uint64_t *v, EbbError *err);
/* Reads the stream to its end: where the bytes after it begin. */
bool parquet_values_read_delta_skip(ParquetDelta *d, const uint8_t **after, EbbError *err);

/* A dictionary page's entries, pointing into its decompressed body (owned by the caller). */
typedef struct ParquetDict
{
	uint32_t n;
	const uint8_t **ptr;
	uint32_t *len;
} ParquetDict;

bool parquet_values_read_dict(ParquetDict *d, int physical, int type_length, const uint8_t *p,
							  size_t len, uint32_t n, EbbError *err);
void parquet_values_read_dict_free(ParquetDict *d);

#endif
