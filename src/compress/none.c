/* none.c: no compression, a pass-through stage. */
#include <stdlib.h>

#include "common/buf.h"
#include "compress/compressor.h"

typedef struct NoneSink
{
	Sink base;
	Sink *next;
} NoneSink;

static bool
none_write(Sink *sink, const void *data, size_t len, EbbError *err)
{
	return sink_write(((NoneSink *) sink)->next, data, len, err);
}

static const SinkOps none_ops = {.write = none_write, .finish = NULL};

static Sink *
none_create(Sink *next, int level, EbbError *err)
{
	NoneSink *ns = ebb_malloc(sizeof(*ns));

	ns->base.ops = &none_ops;
	ns->next = next;
	return &ns->base;
}

static void
none_destroy(Sink *sink)
{
	free(sink);
}

/* Reading back is passing through too: nothing can be truncated or corrupt at this stage. */
static Sink *
none_decompress_create(Sink *next, EbbError *err)
{
	return none_create(next, 0, err);
}

const CompressorDriver compress_none_driver = {
	.name = "none",
	.extension = "",
	.default_level = 0,
	.min_level = 0,
	.max_level = 0,
	.create = none_create,
	.destroy = none_destroy,
	.decompress_create = none_decompress_create,
	.decompress_destroy = none_destroy,
};
