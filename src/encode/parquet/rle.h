/*
 * rle.h: Parquet's RLE / bit-packing hybrid (Encodings.md): runs of 8 or more equal values as
 * RLE runs, the rest bit-packed in groups of 8, least significant bit first. The caller owns
 * the output Buf; the encoder appends to it (no length prefix: the caller adds one where the
 * format wants it, before definition levels of a v1 page).
 */
#ifndef EBB_ENCODE_PARQUET_RLE_H
#define EBB_ENCODE_PARQUET_RLE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* Bits needed for values up to max (at least 1, as readers expect of dictionary indices). */
int parquet_rle_bit_width(uint32_t max);

/* Appends the hybrid encoding of values[0..n) at this bit width (1..32). */
void parquet_rle_encode(Buf *out, const uint32_t *values, size_t n, int bit_width);

/* Decodes n values (for tests and checks); false when the bytes end first. */
bool parquet_rle_decode(const uint8_t *data, size_t len, int bit_width, uint32_t *values, size_t n);

#endif
