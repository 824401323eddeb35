/*
 * s3.c: the s3:// store driver (any S3-compatible server, AWS SigV4 by libcurl). Objects are
 * named <prefix>/<key> in the bucket of s3://bucket/prefix. The writer is in multipart.c, the
 * HTTP and retry logic in http.c, the endpoint and credentials in config.c.
 */
#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/http.h"
#include "store/s3/s3.h"
#include "store/xml.h"

static void
s3_close(void *state)
{
	S3Client *c = state;

	if (c->curl)
		curl_easy_cleanup(c->curl);
	store_s3_config_free(c);
	free(c);
}

static bool
s3_open(const char *url, const StoreOptions *opts, void **state, EbbError *err)
{
	S3Client *c = ebb_malloc(sizeof(*c));

	store_http_global_init();
	if (!store_s3_config(url, opts, c, err))
	{
		s3_close(c);
		return false;
	}
	c->curl = curl_easy_init();
	if (!c->curl)
	{
		s3_close(c);
		return error_set(err, EBB_ERR_INTERNAL, "could not initialize libcurl");
	}
	c->rand_state = (unsigned) time(NULL) ^ (unsigned) getpid();
	*state = c;
	return true;
}

/* Runs a request that needs nothing back but success. */
static bool
simple(S3Client *c, S3Request *req, EbbError *err)
{
	S3Response resp;
	bool ok = store_s3_request(c, req, &resp, err);

	store_s3_request_free(req);
	store_s3_response_free(&resp);
	return ok;
}

/* Lists one key under the prefix: proves endpoint, bucket, credentials and signing work. */
static bool
s3_check(void *state, EbbError *err)
{
	S3Client *c = state;
	S3Request req = {.method = "GET", .what = "list"};

	strlist_add(&req.query, "list-type=2");
	strlist_add(&req.query, "max-keys=1");
	char *p = ebb_asprintf("prefix=%s", c->prefix);
	strlist_add(&req.query, p);
	free(p);
	return simple(c, &req, err);
}

static bool
s3_stat(void *state, const char *key, bool *exists, uint64_t *bytes, EbbError *err)
{
	S3Client *c = state;
	char *full = store_s3_full_key(c, key);
	S3Request req = {.method = "HEAD", .key = full, .want_404 = true, .what = "look up"};
	S3Response resp;
	bool ok = store_s3_request(c, &req, &resp, err);

	*exists = ok && resp.status != 404;
	*bytes = *exists ? resp.content_length : 0;
	store_s3_request_free(&req);
	store_s3_response_free(&resp);
	free(full);
	return ok;
}

static bool
s3_read(void *state, const char *key, Sink *into, EbbError *err)
{
	S3Client *c = state;
	char *full = store_s3_full_key(c, key);
	S3Request req = {.method = "GET", .key = full, .into = into, .what = "read"};
	bool ok = simple(c, &req, err);

	free(full);
	return ok;
}

static bool
s3_put(void *state, const char *key, const void *data, size_t len, EbbError *err)
{
	S3Client *c = state;
	char *full = store_s3_full_key(c, key);
	unsigned char md5[16];
	S3Request req = {.method = "PUT", .key = full, .body = data, .body_len = len, .what = "write"};

	strlist_add(&req.headers, "Content-Type: application/json");
	store_s3_object_headers(c, &req);
	store_s3_content_md5(&req, md5);
	bool ok = simple(c, &req, err);
	free(full);
	return ok;
}

static bool
s3_remove(void *state, const char *key, EbbError *err)
{
	S3Client *c = state;
	char *full = store_s3_full_key(c, key);
	S3Request req = {.method = "DELETE", .key = full, .want_404 = true, .what = "remove"};
	bool ok = simple(c, &req, err);

	free(full);
	return ok;
}

typedef struct ListWalk
{
	S3Client *c;
	StoreListFn fn;
	StoreUploadFn ufn;
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

/* One page of a listing; *next is the token or marker of the next page, NULL at the end. */
static bool
list_page(S3Client *c, S3Request *req, const char *item, const char *a, const char *b,
		  StoreXmlItemFn fn, ListWalk *lw, S3Response *resp, EbbError *err)
{
	bool ok = store_s3_request(c, req, resp, err) &&
			  store_xml_each(resp->body.data, resp->body.len, item, "Key", a, b, fn, lw, err);

	store_s3_request_free(req);
	return ok;
}

static bool
page_truncated(S3Response *resp)
{
	char *t = store_xml_text(resp->body.data, resp->body.len, "IsTruncated");
	bool truncated = t && strcmp(t, "true") == 0;

	free(t);
	return truncated;
}

static bool
s3_list(void *state, const char *prefix, StoreListFn fn, void *arg, EbbError *err)
{
	S3Client *c = state;
	ListWalk lw = {c, fn, NULL, arg};
	char *token = NULL;
	bool ok = true;

	do
	{
		S3Request req = {.method = "GET", .what = "list"};
		S3Response resp;
		char *q = ebb_asprintf("prefix=%s%s", c->prefix, prefix);
		strlist_add(&req.query, "list-type=2");
		strlist_add(&req.query, q);
		free(q);
		if (token)
		{
			q = ebb_asprintf("continuation-token=%s", token);
			strlist_add(&req.query, q);
			free(q);
		}
		free(token);
		token = NULL;
		ok = list_page(c, &req, "Contents", "Size", "LastModified", list_item, &lw, &resp, err);
		if (ok && page_truncated(&resp))
		{
			token = store_xml_text(resp.body.data, resp.body.len, "NextContinuationToken");
			if (!token || !token[0])
				ok = error_set(err, EBB_ERR_IO,
							   "could not list \"%s\": a truncated page without "
							   "a continuation token",
							   c->url);
		}
		store_s3_response_free(&resp);
	} while (ok && token);
	free(token);
	return ok;
}

static bool
upload_item(void *arg, const char *key, const char *upload_id, const char *initiated, EbbError *err)
{
	ListWalk *lw = arg;
	StoreUpload u = {.key = key + strlen(lw->c->prefix), .upload_id = upload_id};

	if (strncmp(key, lw->c->prefix, strlen(lw->c->prefix)) != 0)
		return true;
	if (!store_http_parse_time(initiated, &u.initiated_us))
		u.initiated_us = 0;
	return lw->ufn(lw->arg, &u, err);
}

static void
upload_markers(S3Request *req, S3Response *resp)
{
	char *k = store_xml_text(resp->body.data, resp->body.len, "NextKeyMarker");
	char *u = store_xml_text(resp->body.data, resp->body.len, "NextUploadIdMarker");
	char *q = ebb_asprintf("key-marker=%s", k ? k : "");

	strlist_add(&req->query, q);
	free(q);
	q = ebb_asprintf("upload-id-marker=%s", u ? u : "");
	strlist_add(&req->query, q);
	free(q);
	free(k);
	free(u);
}

/* 501 NotImplemented: some S3-compatible servers have no ListMultipartUploads. */
static bool
not_implemented(const S3Response *resp)
{
	char code[128], message[512];

	return resp->status == 501 || (store_xml_error(resp->body.data, resp->body.len, code,
												   sizeof(code), message, sizeof(message)) &&
								   strcmp(code, "NotImplemented") == 0);
}

static bool
s3_uploads(void *state, const char *prefix, StoreUploadFn fn, void *arg, bool *listed,
		   EbbError *err)
{
	S3Client *c = state;
	ListWalk lw = {c, NULL, fn, arg};
	S3Response last = {0};
	bool ok = true, more = true;

	buf_init(&last.body);
	while (ok && more)
	{
		S3Request req = {.method = "GET", .what = "list the multipart uploads of"};
		S3Response resp;
		char *q = ebb_asprintf("prefix=%s%s", c->prefix, prefix);
		strlist_add(&req.query, "uploads");
		strlist_add(&req.query, q);
		free(q);
		if (last.body.len > 0)
			upload_markers(&req, &last);
		ok = list_page(c, &req, "Upload", "UploadId", "Initiated", upload_item, &lw, &resp, err);
		if (!ok && last.body.len == 0 && not_implemented(&resp))
		{
			*listed = false;
			ok = true;
			more = false;
		}
		else
			more = ok && page_truncated(&resp);
		store_s3_response_free(&last);
		last = resp;
	}
	store_s3_response_free(&last);
	return ok;
}

static bool
s3_upload_abort_relative(void *state, const char *key, const char *upload_id, EbbError *err)
{
	char *full = store_s3_full_key(state, key);
	bool ok = store_s3_upload_abort(state, full, upload_id, err);

	free(full);
	return ok;
}

const StoreDriver store_s3_driver = {
	.scheme = "s3",
	.commit_verifies = true,
	.open = s3_open,
	.close = s3_close,
	.check = s3_check,
	.writer_open = store_s3_writer_open,
	.writer_commit = store_s3_writer_commit,
	.writer_abort = store_s3_writer_abort,
	.writer_free = store_s3_writer_free,
	.stat = s3_stat,
	.read = s3_read,
	.put = s3_put,
	.remove = s3_remove,
	.list = s3_list,
	.uploads = s3_uploads,
	.upload_abort = s3_upload_abort_relative,
};
