/*
 * page_read.h: one column chunk read row by row: its pages (DATA_PAGE v1 and v2, one
 * DICTIONARY_PAGE first), decompressed one at a time, their definition levels and values.
 * The ParquetColumnReader owns the chunk's bytes (filled by the caller into chunk), the current
 * page and the dictionary; a value handed out stays valid until the next call.
 */
#ifndef EBB_ENCODE_PARQUET_PAGE_READ_H
#define EBB_ENCODE_PARQUET_PAGE_READ_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "encode/parquet/footer_read.h"
#include "encode/parquet/value_cursor.h"

typedef struct ParquetColumnReader
{
	const ParquetLeaf *leaf;
	int codec;
	Buf chunk;  /* the chunk's bytes as stored */
	size_t pos; /* the next page header in chunk */
	bool data_seen;
	Buf dict_page; /* the dictionary page, decompressed */
	ParquetDict dict;
	bool has_dict;
	Buf page;          /* the current page's decompressed bytes */
	int64_t page_left; /* its levels not read yet */
	ParquetRle defs;
	ParquetValues values;
} ParquetColumnReader;

void parquet_page_read_init(ParquetColumnReader *c, const ParquetLeaf *leaf);
/* A new chunk, whose bytes the caller has put in c->chunk. */
void parquet_page_read_start(ParquetColumnReader *c, int codec);
/* The next row's value (PLAIN form, see value_cursor.h) or *isnull. */
bool parquet_page_read_next(ParquetColumnReader *c, const uint8_t **val, size_t *len, bool *isnull,
							EbbError *err);
void parquet_page_read_free(ParquetColumnReader *c);

#endif
