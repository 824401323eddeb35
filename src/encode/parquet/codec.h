/*
 * codec.h: Parquet's page compression (Compression.md): each page body is compressed on its
 * own, with no framing of ebb's: a zstd frame, a raw snappy block, or a gzip member.
 * The ParquetCodec owns its compression context and output buffer.
 */
#ifndef EBB_ENCODE_PARQUET_CODEC_H
#define EBB_ENCODE_PARQUET_CODEC_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"

typedef enum ParquetCodecId
{
	PQ_CODEC_NONE = 0, /* parquet.thrift CompressionCodec values */
	PQ_CODEC_SNAPPY = 1,
	PQ_CODEC_GZIP = 2,
	PQ_CODEC_ZSTD = 6
} ParquetCodecId;

typedef struct ParquetCodec
{
	ParquetCodecId id;
	int level;
	void *ctx; /* ZSTD_CCtx */
	Buf out;
} ParquetCodec;

#define PQ_CODEC_NAMES "zstd, snappy, gzip, none"

/* A known codec? Then the levels it takes (0 to 0 when it takes none). */
bool parquet_codec_levels(const char *name, int *min_level, int *max_level);
void parquet_codec_init(ParquetCodec *c, const char *name, int level);
/* Compresses body into c->out (for "none", a copy is avoided: *out points at body). */
bool parquet_codec_compress(ParquetCodec *c, const void *body, size_t len, const void **out,
							size_t *outlen, EbbError *err);
void parquet_codec_free(ParquetCodec *c);

#endif
