/* gzip.c: streaming gzip (zlib deflate with a gzip header), readable by gzip -dc; and the
 * streaming decompression (zlib inflate) that reads such objects back. */
#include <stdlib.h>
#include <string.h>
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

typedef struct GunzipSink
{
	Sink base;
	Sink *next;
	z_stream zs;
	bool ended; /* the last member is complete (no byte of another one seen yet) */
	unsigned char out[GZIP_OUT_BYTES];
} GunzipSink;

/* Inflates the input slice until zlib has consumed it and has no more output. Concatenated
 * members are one stream, as for `gzip -dc`; anything else after a member is an error. Memory
 * is zlib's 32 KiB window plus the output buffer. */
static bool
gunzip_pump(GunzipSink *gs, EbbError *err)
{
	for (;;)
	{
		if (gs->ended && gs->zs.avail_in > 0)
		{
			inflateReset(&gs->zs);
			gs->ended = false;
		}
		gs->zs.next_out = gs->out;
		gs->zs.avail_out = GZIP_OUT_BYTES;
		int rc = inflate(&gs->zs, Z_NO_FLUSH);
		if (rc == Z_STREAM_END)
			gs->ended = true;
		else if (rc != Z_OK && rc != Z_BUF_ERROR) /* Z_BUF_ERROR: no input left to use */
			return error_set(err, EBB_ERR_VERIFY, "could not decompress with gzip: %s",
							 gs->zs.msg ? gs->zs.msg : "invalid data");
		size_t have = GZIP_OUT_BYTES - gs->zs.avail_out;
		if (have > 0 && !sink_write(gs->next, gs->out, have, err))
			return false;
		if (gs->zs.avail_in == 0 && gs->zs.avail_out != 0)
			return true;
	}
}

static bool
gunzip_write(Sink *sink, const void *data, size_t len, EbbError *err)
{
	GunzipSink *gs = (GunzipSink *) sink;
	const unsigned char *p = data;

	while (len > 0)
	{
		uInt n = len > (1u << 30) ? (1u << 30) : (uInt) len;
		gs->zs.next_in = (unsigned char *) p;
		gs->zs.avail_in = n;
		if (!gunzip_pump(gs, err))
			return false;
		p += n;
		len -= n;
	}
	return true;
}

static bool
gunzip_finish(Sink *sink, EbbError *err)
{
	GunzipSink *gs = (GunzipSink *) sink;

	if (!gs->ended)
		return error_set(err, EBB_ERR_VERIFY,
						 "could not decompress with gzip: unexpected end "
						 "of data");
	return true;
}

static const SinkOps gunzip_ops = {.write = gunzip_write, .finish = gunzip_finish};

static Sink *
gunzip_create(Sink *next, EbbError *err)
{
	GunzipSink *gs = ebb_malloc(sizeof(*gs));

	gs->base.ops = &gunzip_ops;
	gs->next = next;
	gs->ended = false;
	memset(&gs->zs, 0, sizeof(gs->zs));
	/* 15 + 16: a 32 KiB window, gzip wrapper only (a zlib or raw stream is not an object). */
	if (inflateInit2(&gs->zs, 15 + 16) != Z_OK)
	{
		free(gs);
		error_set(err, EBB_ERR_INTERNAL, "could not initialize gzip decompression");
		return NULL;
	}
	return &gs->base;
}

static void
gunzip_destroy(Sink *sink)
{
	GunzipSink *gs = (GunzipSink *) sink;

	inflateEnd(&gs->zs);
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
	.decompress_create = gunzip_create,
	.decompress_destroy = gunzip_destroy,
};
