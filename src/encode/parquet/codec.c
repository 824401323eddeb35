#include "encode/parquet/codec.h"

#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

static const struct
{
	const char *name;
	ParquetCodecId id;
	int min_level, max_level, default_level;
} codecs[] = {
	{"zstd", PQ_CODEC_ZSTD, 1, 19, 3},
	{"snappy", PQ_CODEC_SNAPPY, 0, 0, 0},
	{"gzip", PQ_CODEC_GZIP, 1, 9, 6},
	{"none", PQ_CODEC_NONE, 0, 0, 0},
};

static int
codec_index(const char *name)
{
	for (int i = 0; i < (int) (sizeof(codecs) / sizeof(codecs[0])); i++)
		if (strcmp(codecs[i].name, name) == 0)
			return i;
	return -1;
}

bool
parquet_codec_levels(const char *name, int *min_level, int *max_level)
{
	int i = codec_index(name);

	if (i < 0)
		return false;
	*min_level = codecs[i].min_level;
	*max_level = codecs[i].max_level;
	return true;
}

void
parquet_codec_init(ParquetCodec *c, const char *name, int level)
{
	int i = codec_index(name);

	memset(c, 0, sizeof(*c));
	c->id = codecs[i].id;
	c->level = level >= 0 ? level : codecs[i].default_level;
	buf_init(&c->out);
	if (c->id == PQ_CODEC_ZSTD)
		c->ctx = ZSTD_createCCtx();
}

static bool
compress_gzip(ParquetCodec *c, const void *body, size_t len, EbbError *err)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	/* 15 + 16: a gzip member (RFC 1952), which Parquet's GZIP means, not a raw zlib stream. */
	if (deflateInit2(&z, c->level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return error_set(err, EBB_ERR_INTERNAL, "could not start gzip compression");
	size_t bound = deflateBound(&z, (uLong) len);
	buf_reset(&c->out);
	buf_reserve(&c->out, bound);
	z.next_in = (Bytef *) body;
	z.avail_in = (uInt) len;
	z.next_out = (Bytef *) c->out.data;
	z.avail_out = (uInt) bound;
	int rc = deflate(&z, Z_FINISH);
	c->out.len = z.total_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END || error_set(err, EBB_ERR_INTERNAL, "gzip compression failed");
}

bool
parquet_codec_compress(ParquetCodec *c, const void *body, size_t len, const void **out,
					   size_t *outlen, EbbError *err)
{
	if (c->id == PQ_CODEC_NONE)
	{
		*out = body;
		*outlen = len;
		return true;
	}
	buf_reset(&c->out);
	if (c->id == PQ_CODEC_ZSTD)
	{
		size_t bound = ZSTD_compressBound(len);
		buf_reserve(&c->out, bound);
		size_t n = ZSTD_compressCCtx(c->ctx, c->out.data, bound, body, len, c->level);
		if (ZSTD_isError(n))
			return error_set(err, EBB_ERR_INTERNAL, "zstd compression failed: %s",
							 ZSTD_getErrorName(n));
		c->out.len = n;
	}
	else if (c->id == PQ_CODEC_SNAPPY)
	{
		size_t n = snappy_max_compressed_length(len);
		buf_reserve(&c->out, n);
		if (snappy_compress(body, len, c->out.data, &n) != SNAPPY_OK)
			return error_set(err, EBB_ERR_INTERNAL, "snappy compression failed");
		c->out.len = n;
	}
	else if (!compress_gzip(c, body, len, err))
		return false;
	*out = c->out.data;
	*outlen = c->out.len;
	return true;
}

void
parquet_codec_free(ParquetCodec *c)
{
	if (c->ctx)
		ZSTD_freeCCtx(c->ctx);
	c->ctx = NULL;
	buf_free(&c->out);
}
