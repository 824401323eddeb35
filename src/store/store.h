/*
 * store.h: the store interface (drivers: file; s3 later). Objects are named by keys relative
 * to the destination URL. A writer streams an object that becomes visible under its key only
 * at commit, and commit never overwrites an existing object. The caller owns Store and
 * StoreWriter and must close/abort what it opened.
 */
#ifndef EBB_STORE_STORE_H
#define EBB_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/sink.h"

typedef struct StoreDriver
{
	const char *scheme;
	bool (*open)(const char *url, void **state, EbbError *err);
	void (*close)(void *state);
	/* Checks that the destination exists and is writable (creates nothing but a probe). */
	bool (*check)(void *state, EbbError *err);
	bool (*writer_open)(void *state, const char *key, void **wstate, Sink **sink, EbbError *err);
	/* Makes the object durable and visible under its key; fails if the key exists. */
	bool (*writer_commit)(void *wstate, EbbError *err);
	/* Discards an uncommitted object and frees the writer (also after a failed commit). */
	void (*writer_abort)(void *wstate);
	void (*writer_free)(void *wstate);
	bool (*stat)(void *state, const char *key, bool *exists, uint64_t *bytes, EbbError *err);
	/* Streams the stored bytes of key into sink. */
	bool (*read)(void *state, const char *key, Sink *into, EbbError *err);
	/* Writes a small object atomically, replacing one that exists (manifests). */
	bool (*put)(void *state, const char *key, const void *data, size_t len, EbbError *err);
	bool (*remove)(void *state, const char *key, EbbError *err);
} StoreDriver;

typedef struct Store
{
	const StoreDriver *driver;
	void *state;
	char *url;
} Store;

typedef struct StoreWriter
{
	const StoreDriver *driver;
	void *state;
	Sink *sink; /* write the object's bytes here */
} StoreWriter;

bool store_open(const char *url, Store *store, EbbError *err);
void store_close(Store *store);
bool store_check(Store *store, EbbError *err);
bool store_writer_open(Store *store, const char *key, StoreWriter *w, EbbError *err);
bool store_writer_commit(StoreWriter *w, EbbError *err);
void store_writer_abort(StoreWriter *w);
void store_writer_free(StoreWriter *w);
bool store_stat(Store *store, const char *key, bool *exists, uint64_t *bytes, EbbError *err);
bool store_read(Store *store, const char *key, Sink *into, EbbError *err);
bool store_put(Store *store, const char *key, const void *data, size_t len, EbbError *err);
bool store_remove(Store *store, const char *key, EbbError *err);

/* Re-reads key and checks that its size and SHA-256 are the expected ones. */
bool store_verify(Store *store, const char *key, uint64_t bytes, const char *sha256_hex,
				  EbbError *err);

#endif
