/*
 * store.h: the store interface (drivers: file, s3, azure). Objects are named by keys relative
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

/* Settings of the stores (s3 and azure read them); owned by Settings. */
typedef struct StoreOptions
{
	char *s3_endpoint; /* NULL: AWS_ENDPOINT_URL, else AWS in the region */
	char *s3_region;   /* NULL: AWS_REGION, else us-east-1 */
	int s3_path_style; /* -1 unset (on with a custom endpoint), 0 off, 1 on */
	uint64_t s3_part_size;
	int s3_retries;
	int64_t s3_timeout_ms;
	int64_t s3_stall_timeout_ms;
	char *s3_storage_class;
	char *s3_sse;
	char *s3_ca_file;
	bool s3_insecure;
	char *az_account;  /* NULL: AZURE_STORAGE_ACCOUNT */
	char *az_endpoint; /* NULL: AZURE_STORAGE_BLOB_ENDPOINT, else https://ACCOUNT.blob.core... */
	uint64_t az_block_size;
	int az_retries;
	int64_t az_timeout_ms;
	int64_t az_stall_timeout_ms;
	char *az_ca_file;
	bool az_insecure;
	int verbose; /* >= 1: one line per request; >= 2: redacted HTTP headers */
} StoreOptions;

/* One object found by list; key is relative to the destination. */
typedef struct StoreEntry
{
	const char *key;
	uint64_t bytes;
	int64_t mtime_us; /* last modified, microseconds since the Unix epoch */
	/* NULL for an object; else what is there instead, never followed (file: a symbolic link,
	 * a FIFO...), as a static string such as "a symbolic link" */
	const char *unexpected;
} StoreEntry;

/* One unfinished multipart upload. */
typedef struct StoreUpload
{
	const char *key;
	const char *upload_id;
	int64_t initiated_us;
} StoreUpload;

/* Callbacks of list and uploads; returning false stops the walk with err set. */
typedef bool (*StoreListFn)(void *arg, const StoreEntry *entry, EbbError *err);
typedef bool (*StoreUploadFn)(void *arg, const StoreUpload *upload, EbbError *err);

typedef struct StoreDriver
{
	const char *scheme;
	/* writer_commit checks size and checksum as stored, so no re-read is needed after it. */
	bool commit_verifies;
	bool (*open)(const char *url, const StoreOptions *opts, void **state, EbbError *err);
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
	/* Every object whose key starts with prefix, in no particular order. */
	bool (*list)(void *state, const char *prefix, StoreListFn fn, void *arg, EbbError *err);
	/* Unfinished multipart uploads under prefix; NULL when the store has no such thing. A
	 * server that cannot list them is no failure: *listed is false and err says why. */
	bool (*uploads)(void *state, const char *prefix, StoreUploadFn fn, void *arg, bool *listed,
					EbbError *err);
	bool (*upload_abort)(void *state, const char *key, const char *upload_id, EbbError *err);
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

bool store_open(const char *url, const StoreOptions *opts, Store *store, EbbError *err);
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
bool store_list(Store *store, const char *prefix, StoreListFn fn, void *arg, EbbError *err);
/* A store without multipart uploads lists none; *listed is false (err says why) when the server
 * does not support listing them. */
bool store_uploads(Store *store, const char *prefix, StoreUploadFn fn, void *arg, bool *listed,
				   EbbError *err);
bool store_upload_abort(Store *store, const char *key, const char *upload_id, EbbError *err);
/* True when a committed writer has already checked its object as stored. */
bool store_commit_verifies(const Store *store);
/* The default options (what the option table's defaults give). */
void store_options_default(StoreOptions *opts);
void store_options_free(StoreOptions *opts);

/* Re-reads key and checks that its size and SHA-256 are the expected ones. */
bool store_verify(Store *store, const char *key, uint64_t bytes, const char *sha256_hex,
				  EbbError *err);

#endif
