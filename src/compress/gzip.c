/* gzip.c: streaming gzip (zlib deflate with a gzip header), readable by gzip -dc. */
#include <stdlib.h>
#include <zlib.h>

#include "common/buf.h"
#include "compress/compressor.h"

#define GZIP_OUT_BYTES (128 * 1024)

typedef struct GzipSink
{
	Sink base;
	Sink *next;
	z_stream zs;
	unsigned char out[GZIP_OUT_BYTES];
} GzipSink;

static bool
gzip_pump(GzipSink *gs, int flush, EbbError *err)
{
	for (;;)
	{
		gs->zs.next_out = gs->out;
		gs->zs.avail_out = GZIP_OUT_BYTES;
		int rc = deflate(&gs->zs, flush);
		if (rc == Z_STREAM_ERROR)
			return error_set(err, EBB_ERR_INTERNAL, "could not compress with gzip");
		size_t have = GZIP_OUT_BYTES - gs->zs.avail_out;
		if (have > 0 && !sink_write(gs->next, gs->out, have, err))
			return false;
		if (flush == Z_FINISH ? rc == Z_STREAM_END : gs->zs.avail_out != 0)
			return true;
	}
}

static bool
gzip_write(Sink *sink, const void *data, size_t len, EbbError *err)
{
	GzipSink *gs = (GzipSink *) sink;
	const unsigned char *p = data;

	/* avail_in is a uInt: feed very large writes in slices. */
	while (len > 0)
	{
		uInt n = len > (1u << 30) ? (1u << 30) : (uInt) len;
		gs->zs.next_in = (unsigned char *) p;
		gs->zs.avail_in = n;
		if (!gzip_pump(gs, Z_NO_FLUSH, err))
			return false;
		p += n;
		len -= n;
	}
	return true;
}

static bool
gzip_finish(Sink *sink, EbbError *err)
{
	GzipSink *gs = (GzipSink *) sink;

	gs->zs.next_in = NULL;
	gs->zs.avail_in = 0;
	return gzip_pump(gs, Z_FINISH, err);
}

static const SinkOps gzip_ops = {.write = gzip_write, .finish = gzip_finish};

static Sink *
gzip_create(Sink *next, int level, EbbError *err)
{
	GzipSink *gs = ebb_malloc(sizeof(*gs));

	gs->base.ops = &gzip_ops;
	gs->next = next;
	gs->zs.zalloc = Z_NULL;
	gs->zs.zfree = Z_NULL;
	gs->zs.opaque = Z_NULL;
	/* 15 + 16: a 32 KiB window with a gzip header and trailer instead of zlib's. */
	if (deflateInit2(&gs->zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
	{
		free(gs);
		error_set(err, EBB_ERR_INTERNAL, "could not initialize gzip compression");
		return NULL;
	}
	return &gs->base;
}

static void
gzip_destroy(Sink *sink)
{
	GzipSink *gs = (GzipSink *) sink;

	deflateEnd(&gs->zs);
	free(gs);
}

const CompressorDriver compress_gzip_driver = {
	.name = "gzip",
	.extension = "gz",
	.default_level = 6,
	.min_level = 1,
	.max_level = 9,
	.create = gzip_create,
	.destroy = gzip_destroy,
};
