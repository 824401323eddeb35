/* small.c: see small.h. */
#include "store/small.h"

/* Collects the object's bytes into the caller's Buf up to the cap. */
typedef struct SmallSink
{
	Sink base;
	Buf *buf;
	size_t max;
	bool too_big;
} SmallSink;

static bool
small_write(Sink *sink, const void *data, size_t len, EbbError *err)
{
	SmallSink *ss = (SmallSink *) sink;

	if (ss->buf->len + len > ss->max)
	{
		/* Failing the write stops the read: nothing past the cap is wanted. */
		ss->too_big = true;
		return error_set(err, EBB_ERR_IO, "larger than %zu bytes", ss->max);
	}
	buf_append(ss->buf, data, len);
	return true;
}

static const SinkOps small_ops = {.write = small_write};

bool
store_small_read(Store *store, const char *key, size_t max, Buf *out, bool *too_big, EbbError *err)
{
	SmallSink ss = {.base.ops = &small_ops, .buf = out, .max = max};
	EbbError rerr;

	error_init(&rerr);
	bool ok = store_read(store, key, &ss.base, &rerr);
	*too_big = ss.too_big;
	if (!ok && !ss.too_big)
	{
		*err = rerr;
		return false;
	}
	return true;
}
