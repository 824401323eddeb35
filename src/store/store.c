#include "store/store.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/text.h"

extern const StoreDriver store_file_driver;
extern const StoreDriver store_s3_driver;
extern const StoreDriver store_azure_driver;

static const StoreDriver *const store_drivers[] = {&store_file_driver, &store_s3_driver,
												   &store_azure_driver};

bool
store_open(const char *url, const StoreOptions *opts, Store *store, EbbError *err)
{
	const char *colon = strstr(url, "://");
	size_t n = colon ? (size_t) (colon - url) : 0;

	memset(store, 0, sizeof(*store));
	for (size_t i = 0; colon && i < sizeof(store_drivers) / sizeof(store_drivers[0]); i++)
	{
		if (strlen(store_drivers[i]->scheme) == n && strncmp(url, store_drivers[i]->scheme, n) == 0)
		{
			store->driver = store_drivers[i];
			store->url = ebb_strdup(url);
			return store->driver->open(url, opts, &store->state, err);
		}
	}
	error_set(err, EBB_ERR_USAGE, "unsupported destination \"%s\"", text_escape(url).s);
	error_hint(err, "Use a URL such as file:///var/lib/ebb/archive, s3://bucket/prefix or "
					"az://container/prefix.");
	return false;
}

void
store_close(Store *store)
{
	if (store->driver && store->state)
		store->driver->close(store->state);
	free(store->url);
	memset(store, 0, sizeof(*store));
}

bool
store_check(Store *store, EbbError *err)
{
	return store->driver->check(store->state, err);
}

bool
store_writer_open(Store *store, const char *key, StoreWriter *w, EbbError *err)
{
	memset(w, 0, sizeof(*w));
	w->driver = store->driver;
	return store->driver->writer_open(store->state, key, &w->state, &w->sink, err);
}

bool
store_writer_commit(StoreWriter *w, EbbError *err)
{
	return w->driver->writer_commit(w->state, err);
}

void
store_writer_abort(StoreWriter *w)
{
	if (w->state)
		w->driver->writer_abort(w->state);
	w->state = NULL;
}

void
store_writer_free(StoreWriter *w)
{
	if (w->state)
		w->driver->writer_free(w->state);
	w->state = NULL;
}

bool
store_stat(Store *store, const char *key, bool *exists, uint64_t *bytes, EbbError *err)
{
	return store->driver->stat(store->state, key, exists, bytes, err);
}

bool
store_read(Store *store, const char *key, Sink *into, EbbError *err)
{
	return store->driver->read(store->state, key, into, err);
}

bool
store_put(Store *store, const char *key, const void *data, size_t len, EbbError *err)
{
	return store->driver->put(store->state, key, data, len, err);
}

bool
store_remove(Store *store, const char *key, EbbError *err)
{
	return store->driver->remove(store->state, key, err);
}

bool
store_list(Store *store, const char *prefix, StoreListFn fn, void *arg, EbbError *err)
{
	return store->driver->list(store->state, prefix, fn, arg, err);
}

bool
store_uploads(Store *store, const char *prefix, StoreUploadFn fn, void *arg, bool *listed,
			  EbbError *err)
{
	*listed = true;
	return store->driver->uploads
			   ? store->driver->uploads(store->state, prefix, fn, arg, listed, err)
			   : true;
}

bool
store_upload_abort(Store *store, const char *key, const char *upload_id, EbbError *err)
{
	if (!store->driver->upload_abort)
		return error_set(err, EBB_ERR_INTERNAL, "store \"%s\" has no multipart uploads",
						 store->driver->scheme);
	return store->driver->upload_abort(store->state, key, upload_id, err);
}

bool
store_commit_verifies(const Store *store)
{
	return store->driver->commit_verifies;
}

void
store_options_default(StoreOptions *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->s3_path_style = -1;
	opts->s3_part_size = 16 * 1024 * 1024;
	opts->s3_retries = 5;
	opts->s3_timeout_ms = 10 * 60 * 1000;
	opts->s3_stall_timeout_ms = 30 * 1000;
	opts->az_block_size = 8 * 1024 * 1024;
	opts->az_retries = 5;
	opts->az_timeout_ms = 10 * 60 * 1000;
	opts->az_stall_timeout_ms = 30 * 1000;
}

void
store_options_free(StoreOptions *opts)
{
	free(opts->s3_endpoint);
	free(opts->s3_region);
	free(opts->s3_storage_class);
	free(opts->s3_sse);
	free(opts->s3_ca_file);
	free(opts->az_account);
	free(opts->az_endpoint);
	free(opts->az_ca_file);
	memset(opts, 0, sizeof(*opts));
}

static bool
null_write(Sink *sink, const void *data, size_t len, EbbError *err)
{
	return true;
}

static const SinkOps null_ops = {.write = null_write};

bool
store_verify(Store *store, const char *key, uint64_t bytes, const char *sha256_hex, EbbError *err)
{
	Sink null_sink = {&null_ops};
	HashSink hs;
	char got[65];

	hash_sink_init(&hs, &null_sink);
	if (!store_read(store, key, &hs.base, err))
	{
		sha256_free(&hs.sha);
		return false;
	}
	hash_sink_result(&hs, got);
	if (hs.bytes != bytes || strcmp(got, sha256_hex) != 0)
	{
		error_set(err, EBB_ERR_VERIFY, "archive object \"%s\" does not match what was written",
				  key);
		error_detail(err,
					 "Expected %" PRIu64 " bytes with SHA-256 %s, read %" PRIu64
					 " bytes with SHA-256 %s.",
					 bytes, sha256_hex, hs.bytes, got);
		return false;
	}
	return true;
}
