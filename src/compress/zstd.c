/* zstd.c: streaming zstd compression (libzstd), one frame per object, with its checksum. */
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

const CompressorDriver compress_zstd_driver = {
	.name = "zstd",
	.extension = "zst",
	.default_level = 3,
	.min_level = 1,
	.max_level = 19,
	.create = zstd_create,
	.destroy = zstd_destroy,
};
