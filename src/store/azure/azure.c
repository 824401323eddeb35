/*
 * azure.c: the az:// store driver (Azure Blob Storage, and Data Lake Storage Gen2 accounts
 * through their Blob endpoint). Blobs are named <prefix>/<key> in the container of
 * az://container/prefix. The writer is in blocks.c, the HTTP and retry logic in http.c, the
 * signing in auth.c, the account, endpoint and credential in config.c.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/hash.h"
#include "store/azure/azure.h"
#include "store/http.h"
#include "store/xml.h"

static void
azure_close(void *state)
{
	AzClient *c = state;

	if (c->curl)
		curl_easy_cleanup(c->curl);
	store_azure_config_free(c);
	free(c);
}

static bool
azure_open(const char *url, const StoreOptions *opts, void **state, EbbError *err)
{
	AzClient *c = ebb_malloc(sizeof(*c));

	store_http_global_init();
	if (!store_azure_config(url, opts, c, err))
	{
		azure_close(c);
		return false;
	}
	c->curl = curl_easy_init();
	if (!c->curl)
	{
		azure_close(c);
		return error_set(err, EBB_ERR_INTERNAL, "could not initialize libcurl");
	}
	c->rand_state = (unsigned) time(NULL) ^ (unsigned) getpid();
	*state = c;
	return true;
}

/* Runs a request that needs nothing back but success. */
static bool
simple(AzClient *c, AzRequest *req, EbbError *err)
{
	AzResponse resp;
	bool ok = store_azure_request(c, req, &resp, err);

	store_azure_request_free(req);
	store_azure_response_free(&resp);
	return ok;
}

static void
list_query(AzRequest *req, const char *prefix)
{
	char *p = ebb_asprintf("prefix=%s", prefix);

	strlist_add(&req->query, "restype=container");
	strlist_add(&req->query, "comp=list");
	strlist_add(&req->query, p);
	free(p);
}

/* Lists one blob under the prefix: proves endpoint, container and credential work. */
static bool
azure_check(void *state, EbbError *err)
{
	AzClient *c = state;
	AzRequest req = {.method = "GET", .what = "list"};

	list_query(&req, c->prefix);
	strlist_add(&req.query, "maxresults=1");
	return simple(c, &req, err);
}

static bool
azure_stat(void *state, const char *key, bool *exists, uint64_t *bytes, EbbError *err)
{
	AzClient *c = state;
	char *full = store_azure_full_key(c, key);
	AzRequest req = {.method = "HEAD", .key = full, .want_404 = true, .what = "look up"};
	AzResponse resp;
	bool ok = store_azure_request(c, &req, &resp, err);

	*exists = ok && resp.status != 404;
	*bytes = *exists ? resp.content_length : 0;
	store_azure_request_free(&req);
	store_azure_response_free(&resp);
	free(full);
	return ok;
}

static bool
azure_read(void *state, const char *key, Sink *into, EbbError *err)
{
	AzClient *c = state;
	char *full = store_azure_full_key(c, key);
	AzRequest req = {.method = "GET", .key = full, .into = into, .what = "read"};
	bool ok = simple(c, &req, err);

	free(full);
	return ok;
}

/* A manifest: one Put Blob that replaces what is there. */
static bool
azure_put(void *state, const char *key, const void *data, size_t len, EbbError *err)
{
	AzClient *c = state;
	char *full = store_azure_full_key(c, key);
	AzRequest req = {.method = "PUT", .key = full, .body = data, .body_len = len, .what = "write"};

	strlist_add(&req.headers, "Content-Type: application/json");
	strlist_add(&req.headers, "x-ms-blob-type: BlockBlob");
	store_azure_content_md5(&req);
	bool ok = simple(c, &req, err);
	free(full);
	return ok;
}

static bool
azure_remove(void *state, const char *key, EbbError *err)
{
	AzClient *c = state;
	char *full = store_azure_full_key(c, key);
	AzRequest req = {.method = "DELETE", .key = full, .want_404 = true, .what = "remove"};
	bool ok = simple(c, &req, err);

	free(full);
	return ok;
}

/* One page of List Blobs after marker (NULL: the first); *next is the next page's marker, or
 * NULL at the end. */
static bool
list_page(AzClient *c, const char *prefix, const char *marker, bool uncommitted, StoreXmlItemFn fn,
		  void *arg, char **next, EbbError *err)
{
	AzRequest req = {.method = "GET", .what = "list"};
	AzResponse resp;

	list_query(&req, prefix);
	/* Pages of 1000, as S3's: a page of Azure's default 5000 can outgrow the reply cap */
	strlist_add(&req.query, "maxresults=1000");
	if (uncommitted)
		strlist_add(&req.query, "include=uncommittedblobs");
	if (marker)
	{
		char *m = ebb_asprintf("marker=%s", marker);
		strlist_add(&req.query, m);
		free(m);
	}
	bool ok = store_azure_request(c, &req, &resp, err) &&
			  store_xml_each_under(resp.body.data, resp.body.len, "Blobs", "Blob", "Name",
								   "Content-Length", "Last-Modified", fn, arg, err);
	if (!ok && err->code == EBB_ERR_IO)
		error_prefix(err, "could not list the blobs under \"%s\": ", prefix);
	*next = ok ? store_xml_text(resp.body.data, resp.body.len, "NextMarker") : NULL;
	if (*next && !(*next)[0])
	{
		free(*next);
		*next = NULL;
	}
	store_azure_request_free(&req);
	store_azure_response_free(&resp);
	return ok;
}

static bool
list_all(AzClient *c, const char *prefix, bool uncommitted, StoreXmlItemFn fn, void *arg,
		 EbbError *err)
{
	char *full = store_azure_full_key(c, prefix);
	char *marker = NULL;
	bool ok;

	do
	{
		char *next;
		ok = list_page(c, full, marker, uncommitted, fn, arg, &next, err);
		free(marker);
		marker = next;
	} while (ok && marker);
	free(full);
	return ok;
}

typedef struct ListWalk
{
	AzClient *c;
	StoreListFn fn;
	void *arg;
} ListWalk;

static bool
list_item(void *arg, const char *key, const char *size, const char *modified, EbbError *err)
{
	ListWalk *lw = arg;
	StoreEntry e = {.key = key + strlen(lw->c->prefix), .bytes = strtoull(size, NULL, 10)};

	if (strncmp(key, lw->c->prefix, strlen(lw->c->prefix)) != 0)
		return true;
	if (!store_http_parse_time(modified, &e.mtime_us))
		e.mtime_us = 0;
	return lw->fn(lw->arg, &e, err);
}

static bool
azure_list(void *state, const char *prefix, StoreListFn fn, void *arg, EbbError *err)
{
	ListWalk lw = {state, fn, arg};

	return list_all(state, prefix, false, list_item, &lw, err);
}

/* ------------------------------------------------------------------------------------------
 * uncommitted blobs: Azure's unfinished uploads
 * ------------------------------------------------------------------------------------------ */

typedef struct Pending
{
	AzClient *c;
	StrList committed; /* sorted names, from the plain listing */
	StrList names;     /* blobs listed only with include=uncommittedblobs */
	StrList times;
} Pending;

static bool
add_committed(void *arg, const char *key, const char *size, const char *modified, EbbError *err)
{
	strlist_add(&((Pending *) arg)->committed, key);
	return true;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool
add_uncommitted(void *arg, const char *key, const char *size, const char *modified, EbbError *err)
{
	Pending *p = arg;

	if (p->committed.count > 0 &&
		bsearch(&key, p->committed.items, (size_t) p->committed.count, sizeof(char *), cmp_str))
		return true;
	strlist_add(&p->names, key);
	strlist_add(&p->times, modified);
	return true;
}

/* The upload's id: the writer's nonce from its first uncommitted block id
 * ("ebb-<nonce>-<number>"), or "-" for blocks ebb did not write. */
static bool
upload_id(AzClient *c, const char *full_key, char *out, size_t size, EbbError *err)
{
	AzRequest req = {.method = "GET",
					 .key = full_key,
					 .want_404 = true,
					 .what = "list the "
							 "blocks of"};
	AzResponse resp;
	unsigned char raw[64];
	size_t n;

	strlist_add(&req.query, "comp=blocklist");
	strlist_add(&req.query, "blocklisttype=uncommitted");
	bool ok = store_azure_request(c, &req, &resp, err);
	char *name = ok ? store_xml_text(resp.body.data, resp.body.len, "Name") : NULL;
	snprintf(out, size, "-");
	if (name && strlen(name) < 80 && hash_base64_decode(name, raw, &n) && n > 12 &&
		memcmp(raw, "ebb-", 4) == 0 && raw[12] == '-')
		snprintf(out, size, "%.8s", (const char *) raw + 4);
	free(name);
	store_azure_request_free(&req);
	store_azure_response_free(&resp);
	return ok;
}

static bool
report_pending(Pending *p, StoreUploadFn fn, void *arg, EbbError *err)
{
	bool ok = true;

	for (int i = 0; ok && i < p->names.count; i++)
	{
		const char *key = p->names.items[i];
		char id[16];
		StoreUpload u = {.key = key + strlen(p->c->prefix), .upload_id = id};
		if (strncmp(key, p->c->prefix, strlen(p->c->prefix)) != 0)
			continue;
		if (!store_http_parse_time(p->times.items[i], &u.initiated_us))
			u.initiated_us = 0;
		ok = upload_id(p->c, key, id, sizeof(id), err) && fn(arg, &u, err);
	}
	return ok;
}

/* Blobs with uncommitted blocks and no committed content: those in the listing with
 * include=uncommittedblobs that the plain listing lacks. */
static bool
azure_uploads(void *state, const char *prefix, StoreUploadFn fn, void *arg, bool *listed,
			  EbbError *err)
{
	Pending p = {.c = state};

	bool ok = list_all(state, prefix, false, add_committed, &p, err);
	if (ok && p.committed.count > 0)
		qsort(p.committed.items, (size_t) p.committed.count, sizeof(char *), cmp_str);
	ok = ok && list_all(state, prefix, true, add_uncommitted, &p, err) &&
		 report_pending(&p, fn, arg, err);
	strlist_clear(&p.committed);
	strlist_clear(&p.names);
	strlist_clear(&p.times);
	return ok;
}

static bool
azure_upload_abort(void *state, const char *key, const char *upload_id_, EbbError *err)
{
	char *full = store_azure_full_key(state, key);
	bool ok = store_azure_discard_blocks(state, full, err);

	free(full);
	return ok;
}

const StoreDriver store_azure_driver = {
	.scheme = "az",
	.commit_verifies = true,
	.open = azure_open,
	.close = azure_close,
	.check = azure_check,
	.writer_open = store_azure_writer_open,
	.writer_commit = store_azure_writer_commit,
	.writer_abort = store_azure_writer_abort,
	.writer_free = store_azure_writer_free,
	.stat = azure_stat,
	.read = azure_read,
	.put = azure_put,
	.remove = azure_remove,
	.list = azure_list,
	.uploads = azure_uploads,
	.upload_abort = azure_upload_abort,
};
