/* zstd.c: streaming zstd compression (libzstd), one frame per object, with its checksum; and
 * the streaming decompression that reads such objects back. */
#include <stdlib.h>
#include <zstd.h>

#include "common/buf.h"
#include "compress/compressor.h"

typedef struct ZstdSink
{
	Sink base;
	Sink *next;
	ZSTD_CCtx *cctx;
	void *out;
	size_t outcap;
} ZstdSink;

static bool
zstd_pump(ZstdSink *zs, ZSTD_inBuffer *in, ZSTD_EndDirective mode, EbbError *err)
{
	for (;;)
	{
		ZSTD_outBuffer out = {zs->out, zs->outcap, 0};
		size_t rc = ZSTD_compressStream2(zs->cctx, &out, in, mode);

		if (ZSTD_isError(rc))
			return error_set(err, EBB_ERR_INTERNAL, "could not compress with zstd: %s",
							 ZSTD_getErrorName(rc));
		if (out.pos > 0 && !sink_write(zs->next, zs->out, out.pos, err))
			return false;
		bool done = mode == ZSTD_e_continue ? in->pos == in->size : rc == 0;
		if (done)
			return true;
	}
}

static bool
zstd_write(Sink *sink, const void *data, size_t len, EbbError *err)
{
	ZSTD_inBuffer in = {data, len, 0};

	return zstd_pump((ZstdSink *) sink, &in, ZSTD_e_continue, err);
}

static bool
zstd_finish(Sink *sink, EbbError *err)
{
	ZSTD_inBuffer in = {NULL, 0, 0};

	return zstd_pump((ZstdSink *) sink, &in, ZSTD_e_end, err);
}

static const SinkOps zstd_ops = {.write = zstd_write, .finish = zstd_finish};

static Sink *
zstd_create(Sink *next, int level, EbbError *err)
{
	ZstdSink *zs = ebb_malloc(sizeof(*zs));

	zs->base.ops = &zstd_ops;
	zs->next = next;
	zs->cctx = ZSTD_createCCtx();
	zs->outcap = ZSTD_CStreamOutSize();
	zs->out = ebb_malloc(zs->outcap);
	if (!zs->cctx ||
		ZSTD_isError(ZSTD_CCtx_setParameter(zs->cctx, ZSTD_c_compressionLevel, level)) ||
		ZSTD_isError(ZSTD_CCtx_setParameter(zs->cctx, ZSTD_c_checksumFlag, 1)))
	{
		ZSTD_freeCCtx(zs->cctx);
		free(zs->out);
		free(zs);
		error_set(err, EBB_ERR_INTERNAL, "could not initialize zstd compression");
		return NULL;
	}
	return &zs->base;
}

static void
zstd_destroy(Sink *sink)
{
	ZstdSink *zs = (ZstdSink *) sink;

	ZSTD_freeCCtx(zs->cctx);
	free(zs->out);
	free(zs);
}

typedef struct UnzstdSink
{
	Sink base;
	Sink *next;
	ZSTD_DCtx *dctx;
	void *out;
	size_t outcap;
	size_t left; /* the last ZSTD_decompressStream() result: 0 once a frame is complete */
} UnzstdSink;

/* Decompresses in until it is consumed and the context holds no more output. Memory stays
 * bounded: libzstd refuses frames whose window exceeds ZSTD_WINDOWLOG_LIMIT_DEFAULT (128 MiB),
 * and ebb's frames (levels 1-19) use at most 8 MiB. Concatenated frames are read as one
 * stream, as `zstd -dc` does; the frame checksum is checked by libzstd. */
static bool
unzstd_pump(UnzstdSink *us, ZSTD_inBuffer *in, EbbError *err)
{
	for (;;)
	{
		ZSTD_outBuffer out = {us->out, us->outcap, 0};
		size_t before = in->pos;
		size_t rc = ZSTD_decompressStream(us->dctx, &out, in);

		if (ZSTD_isError(rc))
			return error_set(err, EBB_ERR_VERIFY, "could not decompress with zstd: %s",
							 ZSTD_getErrorName(rc));
		/* A call without progress (no input left after a frame's end) says nothing new. */
		if (in->pos > before || out.pos > 0)
			us->left = rc;
		if (out.pos > 0 && !sink_write(us->next, us->out, out.pos, err))
			return false;
		if (in->pos == in->size && out.pos < out.size)
			return true;
	}
}

static bool
unzstd_write(Sink *sink, const void *data, size_t len, EbbError *err)
{
	ZSTD_inBuffer in = {data, len, 0};

	return unzstd_pump((UnzstdSink *) sink, &in, err);
}

static bool
unzstd_finish(Sink *sink, EbbError *err)
{
	UnzstdSink *us = (UnzstdSink *) sink;

	/* Every write drained the context: all that is left is whether the last frame ended. No
	 * input at all is no frame either, and an object always holds one. */
	if (us->left != 0)
		return error_set(err, EBB_ERR_VERIFY,
						 "could not decompress with zstd: unexpected end of data");
	return true;
}

static const SinkOps unzstd_ops = {.write = unzstd_write, .finish = unzstd_finish};

static Sink *
unzstd_create(Sink *next, EbbError *err)
{
	UnzstdSink *us = ebb_malloc(sizeof(*us));

	us->base.ops = &unzstd_ops;
	us->next = next;
	us->left = 1;
	us->dctx = ZSTD_createDCtx();
	us->outcap = ZSTD_DStreamOutSize();
	us->out = ebb_malloc(us->outcap);
	if (!us->dctx)
	{
		free(us->out);
		free(us);
		error_set(err, EBB_ERR_INTERNAL, "could not initialize zstd decompression");
		return NULL;
	}
	return &us->base;
}

static void
unzstd_destroy(Sink *sink)
{
	UnzstdSink *us = (UnzstdSink *) sink;

	ZSTD_freeDCtx(us->dctx);
	free(us->out);
	free(us);
}

const CompressorDriver compress_zstd_driver = {
	.name = "zstd",
	.extension = "zst",
	.default_level = 3,
	.min_level = 1,
	.max_level = 19,
	.create = zstd_create,
	.destroy = zstd_destroy,
	.decompress_create = unzstd_create,
	.decompress_destroy = unzstd_destroy,
};
