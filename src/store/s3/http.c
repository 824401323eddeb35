/*
 * http.c: one S3 request over libcurl, signed by libcurl's SigV4, with retries.
 *
 * Retries happen only where a second attempt can help: network errors, 408, 429, 500, 502,
 * 503 (SlowDown) and 504, and an <Error> inside a 200 where the caller says one may come. Each
 * waits a full-jitter exponential backoff; a request gives up after --s3-retries retries or at
 * its --s3-timeout deadline, whichever comes first. Anything else (400, 403, 404...) fails at
 * once with the server's code and message in the DETAIL. A GET cut mid-body resumes where it
 * stopped (Range + If-Match), so the sink never sees a byte twice.
 */
#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/hash.h"
#include "common/cancel.h"
#include "common/log.h"
#include "common/retry.h"
#include "store/http.h"
#include "store/s3/s3.h"
#include "store/xml.h"

#define BODY_CAP (1024 * 1024) /* S3's own replies are small; keep at most this much */

static const char empty_sha256[] =
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/* The state of one attempt, shared with libcurl's callbacks (which must not longjmp). */
typedef struct Transfer
{
	S3Client *c;
	S3Request *req;
	S3Response *resp;
	uint64_t delivered; /* body bytes given to req->into over all attempts */
	bool resumed;       /* this attempt asked for the rest of the body (Range) */
	bool sink_failed;
	EbbError sink_err;
	const char *up; /* request body still to send */
	size_t up_left;
} Transfer;

char *
store_s3_full_key(const S3Client *c, const char *key)
{
	return ebb_asprintf("%s%s", c->prefix, key);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The canonical query: each name and value encoded, sorted, "name=" for a valueless name. */
void
store_s3_canonical_query(Buf *out, const StrList *query)
{
	char **items = ebb_malloc(sizeof(char *) * (size_t) (query->count + 1));

	for (int i = 0; i < query->count; i++)
	{
		Buf one;
		buf_init(&one);
		const char *eq = strchr(query->items[i], '=');
		char *name = ebb_asprintf(
			"%.*s", (int) (eq ? (size_t) (eq - query->items[i]) : strlen(query->items[i])),
			query->items[i]);
		store_http_uri_encode(&one, name, false);
		buf_append_char(&one, '=');
		store_http_uri_encode(&one, eq ? eq + 1 : "", false);
		items[i] = ebb_strdup(buf_cstr(&one));
		free(name);
		buf_free(&one);
	}
	qsort(items, (size_t) query->count, sizeof(char *), cmp_str);
	for (int i = 0; i < query->count; i++)
	{
		buf_append_str(out, i == 0 ? "?" : "&");
		buf_append_str(out, items[i]);
		free(items[i]);
	}
	free(items);
}

static char *
request_url(const S3Client *c, const S3Request *req)
{
	Buf url;

	buf_init(&url);
	buf_append_str(&url, c->base_url);
	buf_append_char(&url, '/');
	if (req->key)
		store_http_uri_encode(&url, req->key, true);
	store_s3_canonical_query(&url, &req->query);
	buf_cstr(&url);
	return url.data; /* the caller owns the buffer's bytes */
}

/* ------------------------------------------------------------------------------------------
 * libcurl callbacks
 * ------------------------------------------------------------------------------------------ */

static size_t
on_header(char *data, size_t size, size_t nitems, void *arg)
{
	Transfer *t = arg;
	S3Response *r = t->resp;
	size_t n = size * nitems;
	const char *colon = memchr(data, ':', n);
	char tmp[64];

	if (n > 5 && strncmp(data, "HTTP/", 5) == 0)
	{
		/* A new status line (after a 100 Continue, too): headers start over. */
		const char *sp = memchr(data, ' ', n);
		r->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		r->etag[0] = r->last_modified[0] = r->request_id[0] = '\0';
		r->has_length = false;
		return n;
	}
	if (!colon)
		return n;
	size_t name_len = (size_t) (colon - data);
	const char *v = colon + 1;
	size_t vlen = n - name_len - 1;
	if (name_len == 4 && strncasecmp(data, "etag", 4) == 0)
		store_http_header_value(r->etag, sizeof(r->etag), v, vlen);
	else if (name_len == 13 && strncasecmp(data, "last-modified", 13) == 0)
		store_http_header_value(r->last_modified, sizeof(r->last_modified), v, vlen);
	else if (name_len == 16 && strncasecmp(data, "x-amz-request-id", 16) == 0)
		store_http_header_value(r->request_id, sizeof(r->request_id), v, vlen);
	else if (name_len == 14 && strncasecmp(data, "content-length", 14) == 0)
	{
		store_http_header_value(tmp, sizeof(tmp), v, vlen);
		r->content_length = strtoull(tmp, NULL, 10);
		r->has_length = true;
	}
	return n;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	Transfer *t = arg;
	size_t n = size * nmemb;

	if (t->req->into && t->resp->status >= 200 && t->resp->status < 300)
	{
		if (t->resumed && t->resp->status != 206)
		{
			/* A server that ignored Range would hand the sink the start again. */
			error_set(&t->sink_err, EBB_ERR_IO, "could not resume reading \"%s\"", t->req->key);
			error_detail(&t->sink_err, "The server answered a ranged GET with status %ld.",
						 t->resp->status);
			t->sink_failed = true;
			return 0;
		}
		if (!sink_write(t->req->into, data, n, &t->sink_err))
		{
			t->sink_failed = true;
			return 0; /* makes curl stop with CURLE_WRITE_ERROR */
		}
		t->delivered += n;
		return n;
	}
	if (t->resp->body.len < BODY_CAP)
		buf_append(&t->resp->body, data,
				   n < BODY_CAP - t->resp->body.len ? n : BODY_CAP - t->resp->body.len);
	return n;
}

static size_t
on_read(char *buffer, size_t size, size_t nitems, void *arg)
{
	Transfer *t = arg;
	size_t n = size * nitems < t->up_left ? size * nitems : t->up_left;

	memcpy(buffer, t->up, n);
	t->up += n;
	t->up_left -= n;
	return n;
}

/* ------------------------------------------------------------------------------------------
 * one attempt
 * ------------------------------------------------------------------------------------------ */

static struct curl_slist *
attempt_headers(const S3Client *c, const S3Request *req, Transfer *t)
{
	struct curl_slist *h = NULL;
	char line[256];
	char sha[65];

	t->resumed = req->into && t->delivered > 0;
	/* libcurl 7.88 does not add this header, and would sign an empty body's hash without it. */
	if (req->body_len > 0)
		sha256_hex_of(req->body, req->body_len, sha);
	snprintf(line, sizeof(line), "x-amz-content-sha256: %s",
			 req->body_len > 0 ? sha : empty_sha256);
	h = curl_slist_append(h, line);
	if (c->session_token)
	{
		char *tok = ebb_asprintf("x-amz-security-token: %s", c->session_token);
		h = curl_slist_append(h, tok);
		free(tok);
	}
	if (req->into && t->resumed)
	{
		/* Resume after a cut: the rest of the same object version only. */
		snprintf(line, sizeof(line), "Range: bytes=%" PRIu64 "-", t->delivered);
		h = curl_slist_append(h, line);
		snprintf(line, sizeof(line), "If-Match: %s", t->resp->etag);
		h = curl_slist_append(h, line);
	}
	for (int i = 0; i < req->headers.count; i++)
		h = curl_slist_append(h, req->headers.items[i]);
	return h;
}

static void
attempt_method(CURL *h, const S3Request *req, Transfer *t)
{
	if (strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (strcmp(req->method, "PUT") == 0)
	{
		t->up = req->body;
		t->up_left = req->body_len;
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, t);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t) req->body_len);
	}
	else if (strcmp(req->method, "POST") == 0)
	{
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) req->body_len);
	}
	else if (strcmp(req->method, "GET") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
}

static void
attempt_options(S3Client *c, CURL *h, Transfer *t, int64_t remaining_ms)
{
	const StoreOptions *o = &c->opts;

	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, c->sigv4);
	curl_easy_setopt(h, CURLOPT_USERNAME, c->access_key);
	curl_easy_setopt(h, CURLOPT_PASSWORD, c->secret_key);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
	store_http_common_options(h, o->verbose, o->s3_stall_timeout_ms, remaining_ms, o->s3_ca_file,
							  o->s3_insecure);
}

/* Fills err with what went wrong in this attempt (the last one's error is the one reported). */
static void
attempt_error(S3Client *c, S3Request *req, S3Response *resp, CURLcode rc, const char *curl_msg,
			  EbbError *err)
{
	char code[128] = "", message[512] = "";
	char *what = req->key ? ebb_asprintf("s3://%s/%s", c->bucket, req->key)
						  : ebb_asprintf("s3://%s/%s", c->bucket, c->prefix);

	if (rc != CURLE_OK)
	{
		error_set(err, EBB_ERR_IO, "could not %s \"%s\": %s", req->what, what,
				  curl_msg[0] ? curl_msg : curl_easy_strerror(rc));
		free(what);
		return;
	}
	bool xml = store_xml_error(resp->body.data, resp->body.len, code, sizeof(code), message,
							   sizeof(message));
	error_set(err, EBB_ERR_IO, "could not %s \"%s\": server replied %ld%s%s", req->what, what,
			  resp->status, xml ? " " : "", xml ? code : "");
	/* The server's words quoted, so that they are not read as ebb's. */
	if (xml && resp->request_id[0])
		error_detail(err, "The server said: \"%s: %s\" (request ID %s).", code, message,
					 resp->request_id);
	else if (xml)
		error_detail(err, "The server said: \"%s: %s\".", code, message);
	if (strcmp(code, "SignatureDoesNotMatch") == 0 || strcmp(code, "InvalidAccessKeyId") == 0)
		error_hint(err, "Check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the credentials "
						"file), --s3-region, and this machine's clock.");
	else if (strcmp(code, "NoSuchBucket") == 0)
		error_hint(err, "Create bucket \"%s\" or correct the destination.", c->bucket);
	free(what);
}

static StoreHttpAttempt
attempt(S3Client *c, S3Request *req, S3Response *resp, Transfer *t, int64_t deadline, EbbError *err)
{
	CURL *h = c->curl;
	char curl_msg[CURL_ERROR_SIZE] = "";
	char *url = request_url(c, req);
	struct curl_slist *headers = attempt_headers(c, req, t);

	curl_easy_reset(h);
	attempt_options(c, h, t, deadline - store_http_now_ms());
	attempt_method(h, req, t);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_msg);
	buf_reset(&resp->body);
	resp->status = 0;
	CURLcode rc = curl_easy_perform(h);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(headers);
	free(url);
	if (t->sink_failed)
	{
		*err = t->sink_err;
		return STORE_HTTP_FAIL;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK && cancel_requested)
	{
		error_set(err, EBB_ERR_CANCELED, "canceled by a signal");
		return STORE_HTTP_FAIL;
	}
	if (rc != CURLE_OK)
	{
		attempt_error(c, req, resp, rc, curl_msg, err);
		return store_http_curl_transient(rc) ? STORE_HTTP_RETRY : STORE_HTTP_FAIL;
	}
	if ((resp->status >= 200 && resp->status < 300) || (resp->status == 404 && req->want_404))
	{
		char code[128], message[512];
		/* CompleteMultipartUpload and CopyObject can fail inside a 200: S3 says to retry. */
		if (resp->status == 200 && strcmp(req->method, "POST") == 0 &&
			store_xml_error(resp->body.data, resp->body.len, code, sizeof(code), message,
							sizeof(message)))
		{
			attempt_error(c, req, resp, CURLE_OK, "", err);
			return STORE_HTTP_RETRY;
		}
		return STORE_HTTP_OK;
	}
	attempt_error(c, req, resp, CURLE_OK, "", err);
	return store_http_status_transient(resp->status) ? STORE_HTTP_RETRY : STORE_HTTP_FAIL;
}

/* One attempt, logged (common/log.h debug) with the status it got. */
static StoreHttpAttempt
attempt_logged(void *arg, int64_t deadline, EbbError *err)
{
	Transfer *t = arg;
	StoreHttpAttempt r = attempt(t->c, t->req, t->resp, t, deadline, err);

	log_debug("s3 %s %s: %ld", t->req->method, t->req->key ? t->req->key : "/", t->resp->status);
	return r;
}

bool
store_s3_request(S3Client *c, S3Request *req, S3Response *resp, EbbError *err)
{
	Transfer t = {.c = c, .req = req, .resp = resp};

	memset(resp, 0, sizeof(*resp));
	buf_init(&resp->body);
	return store_http_retry(attempt_logged, &t, c->opts.s3_retries, c->opts.s3_timeout_ms,
							&c->rand_state, err);
}

void
store_s3_request_free(S3Request *req)
{
	strlist_clear(&req->query);
	strlist_clear(&req->headers);
}

void
store_s3_response_free(S3Response *resp)
{
	buf_free(&resp->body);
}
