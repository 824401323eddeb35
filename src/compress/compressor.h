/*
 * compressor.h: the compressor interface (drivers: zstd, gzip, none). A compressor is a Sink
 * stage: bytes written to it come out compressed into the next Sink; finish() writes the
 * trailer. The caller owns both sinks and destroys the compressor with compressor_destroy().
 *
 * A decompressor is the reverse stage (ebb verify reads objects back through it): bytes written
 * to it come out decompressed into the next Sink, in bounded memory whatever the object's size.
 * Corrupt input fails the write that carries it; a stream that stops before its end (a
 * truncated object) fails finish(). Both fail with EBB_ERR_VERIFY: the data is bad, not the
 * machine. The caller destroys it with decompressor_destroy().
 */
#ifndef EBB_COMPRESS_COMPRESSOR_H
#define EBB_COMPRESS_COMPRESSOR_H

#include "common/error.h"
#include "common/sink.h"

typedef struct CompressorDriver
{
	const char *name;      /* --compress value */
	const char *extension; /* appended to the object name ("zst", "gz"), or "" */
	int default_level;
	int min_level, max_level;
	Sink *(*create)(Sink *next, int level, EbbError *err);
	void (*destroy)(Sink *sink);
	Sink *(*decompress_create)(Sink *next, EbbError *err);
	void (*decompress_destroy)(Sink *sink);
} CompressorDriver;

const CompressorDriver *compressor_find(const char *name);
const char *compressor_names(void);

/* level < 0 means the driver's default. Returns NULL and fills err on failure. */
Sink *compressor_create(const CompressorDriver *driver, Sink *next, int level, EbbError *err);
void compressor_destroy(const CompressorDriver *driver, Sink *sink);

/* Returns NULL and fills err on failure. */
Sink *decompressor_create(const CompressorDriver *driver, Sink *next, EbbError *err);
void decompressor_destroy(const CompressorDriver *driver, Sink *sink);

#endif
