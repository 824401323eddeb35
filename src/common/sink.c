#include "common/sink.h"

static bool
hash_sink_write(Sink *sink, const void *data, size_t len, EbbError *err)
{
	HashSink *hs = (HashSink *) sink;

	sha256_update(&hs->sha, data, len);
	hs->bytes += len;
	return sink_write(hs->next, data, len, err);
}

static const SinkOps hash_sink_ops = {.write = hash_sink_write, .finish = NULL};

void
hash_sink_init(HashSink *hs, Sink *next)
{
	hs->base.ops = &hash_sink_ops;
	hs->next = next;
	hs->bytes = 0;
	sha256_init(&hs->sha);
}

void
hash_sink_result(HashSink *hs, char hex[65])
{
	sha256_final_hex(&hs->sha, hex);
}
