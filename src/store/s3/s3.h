/*
 * s3.h: the s3:// store's internals, shared by its files (not by the rest of ebb, which sees
 * only store.h). The S3Client owns one curl easy handle (kept for connection reuse), the
 * credentials and the resolved endpoint; requests are made one at a time on it.
 *
 * Signing is libcurl's own (CURLOPT_AWS_SIGV4). libcurl 7.88 signs what it is given exactly as
 * written, so this code builds the canonical forms itself: every key segment and query value
 * percent-encoded with uppercase hex, query keys sorted, valueless keys written "uploads=",
 * x-amz-content-sha256 always sent, no X-Amz-Date and no header-removal entries.
 */
#ifndef EBB_STORE_S3_S3_H
#define EBB_STORE_S3_S3_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/sink.h"
#include "store/store.h"

typedef struct S3Client
{
	char *url; /* s3://bucket/prefix, for messages */
	char *bucket;
	char *prefix; /* "" or "some/prefix/" (always ends in '/') */
	char *region;
	char *base_url;   /* scheme://host[:port] with the bucket in the host (virtual-host), or
					   * scheme://host[:port]/bucket (path-style) */
	char *access_key; /* the secret parts are never logged and never in an error */
	char *secret_key;
	char *session_token;
	StoreOptions opts; /* copy; strings owned here */
	void *curl;        /* CURL *, reused across requests */
	char sigv4[128];   /* "aws:amz:<region>:s3" */
	unsigned rand_state;
} S3Client;

typedef struct S3Request
{
	const char *method; /* GET, HEAD, PUT, POST, DELETE */
	const char *key;    /* full key in the bucket (prefix included); NULL: the bucket */
	StrList query;      /* "name=value" or "name", unencoded; the request encodes and sorts */
	StrList headers;    /* extra "Name: value" lines; all are signed */
	const void *body;   /* PUT/POST payload in memory (NULL: empty) */
	size_t body_len;
	Sink *into;       /* GET: the body of a 2xx goes here (resumed with Range on retry) */
	bool want_404;    /* a 404 is an answer (HEAD for existence), not an error */
	const char *what; /* "upload part 3 of", for messages: "could not <what> object ..." */
} S3Request;

typedef struct S3Response
{
	long status;
	Buf body; /* the body, unless it went to S3Request.into (capped) */
	char etag[130];
	uint64_t content_length;
	bool has_length;
	char last_modified[64];
	char request_id[128];
} S3Response;

/* config.c: URL, endpoint, region and credentials. */
bool store_s3_config(const char *url, const StoreOptions *opts, S3Client *c, EbbError *err);
void store_s3_config_free(S3Client *c);

/* http.c: one request with retries; fills resp (the caller frees it with s3_response_free). */
bool store_s3_request(S3Client *c, S3Request *req, S3Response *resp, EbbError *err);
void store_s3_request_free(S3Request *req);
void store_s3_response_free(S3Response *resp);
/* "?a=1&b=" from {"b", "a=1"}: names and values encoded, sorted, "name=" when valueless. */
void store_s3_canonical_query(Buf *out, const StrList *query);
/* The full key of a store key ("prefix/" + key). */
char *store_s3_full_key(const S3Client *c, const char *key);

/* multipart.c: the streaming writer. */
bool store_s3_writer_open(void *state, const char *key, void **wstate, Sink **sink, EbbError *err);
bool store_s3_writer_commit(void *wstate, EbbError *err);
void store_s3_writer_abort(void *wstate);
void store_s3_writer_free(void *wstate);
bool store_s3_upload_abort(void *state, const char *key, const char *upload_id, EbbError *err);
/* Headers every new object gets (storage class, encryption). */
void store_s3_object_headers(const S3Client *c, S3Request *req);
/* Adds Content-MD5 of the body (S3 verifies it and rejects a mismatch). */
void store_s3_content_md5(S3Request *req, unsigned char md5[16]);

#endif
