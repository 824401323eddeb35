/*
 * decompress.h: a page body decompressed by its chunk's codec (UNCOMPRESSED, SNAPPY, GZIP,
 * ZSTD) to exactly the size its header promises. The size is checked against what the
 * compressed bytes can hold before anything is allocated, so a damaged header cannot make the
 * reader allocate more than the data justifies.
 */
#ifndef EBB_ENCODE_PARQUET_DECOMPRESS_H
#define EBB_ENCODE_PARQUET_DECOMPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

/* *out points at src (UNCOMPRESSED) or into scratch, which the caller owns. */
bool parquet_decompress_page(int codec, const uint8_t *src, size_t slen, size_t ulen, Buf *scratch,
							 const uint8_t **out, EbbError *err);

#endif
