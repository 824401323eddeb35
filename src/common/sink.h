/*
 * sink.h: a byte sink, the joint between pipeline stages (encoder -> compressor -> hasher ->
 * store). finish() flushes the stage's own state downstream; it does not finish the next stage:
 * the pipeline's owner finishes each stage in order, so that it can stop at the first failure.
 */
#ifndef EBB_COMMON_SINK_H
#define EBB_COMMON_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/hash.h"

typedef struct Sink Sink;

typedef struct SinkOps
{
	bool (*write)(Sink *sink, const void *data, size_t len, EbbError *err);
	bool (*finish)(Sink *sink, EbbError *err);
} SinkOps;

struct Sink
{
	const SinkOps *ops;
};

static inline bool
sink_write(Sink *sink, const void *data, size_t len, EbbError *err)
{
	return sink->ops->write(sink, data, len, err);
}

static inline bool
sink_finish(Sink *sink, EbbError *err)
{
	return sink->ops->finish ? sink->ops->finish(sink, err) : true;
}

/* A pass-through stage that hashes and counts the bytes it forwards. */
typedef struct HashSink
{
	Sink base;
	Sink *next;
	Sha256 sha;
	uint64_t bytes;
} HashSink;

void hash_sink_init(HashSink *hs, Sink *next);
/* Finalizes the hash into hex (65 bytes). */
void hash_sink_result(HashSink *hs, char hex[65]);

#endif
