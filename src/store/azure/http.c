/*
 * http.c: one Blob service request over libcurl, signed with the Shared Key (auth.c) or
 * carrying the SAS token, with retries.
 *
 * Retries happen only where a second attempt can help: network errors (a reset connection,
 * a stall of --az-stall-timeout), 408, 429, 500, 502, 503 (ServerBusy) and 504. Each waits a
 * full-jitter exponential backoff; a request gives up after --az-retries retries or at its
 * --az-timeout deadline, whichever comes first. Each attempt is signed anew (a fresh
 * x-ms-date). Anything else (400, 403, 404...) fails at once with the service's error code and
 * the first line of its message in the DETAIL. A GET cut mid-body resumes where it stopped
 * (Range + If-Match), so the sink never sees a byte twice.
 */
#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/cancel.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/retry.h"
#include "store/azure/azure.h"
#include "store/http.h"
#include "store/xml.h"

#define BODY_CAP (1024 * 1024) /* the service's own replies are small */

/* The state of one request over its attempts, shared with libcurl's callbacks. */
typedef struct Transfer
{
	AzClient *c;
	AzRequest *req;
	AzResponse *resp;
	uint64_t delivered; /* body bytes given to req->into over all attempts */
	char first_etag[130];
	bool resumed; /* this attempt asked for the rest of the body (Range) */
	bool sink_failed;
	EbbError sink_err;
	const char *up; /* request body still to send */
	size_t up_left;
} Transfer;

char *
store_azure_full_key(const AzClient *c, const char *key)
{
	return ebb_asprintf("%s%s", c->prefix, key);
}

char *
store_azure_display(const AzClient *c, const char *full_key)
{
	return ebb_asprintf("az://%s/%s", c->container, full_key ? full_key : c->prefix);
}

void
store_azure_content_md5(AzRequest *req)
{
	unsigned char md5[16];
	char b64[25], line[64];

	md5_of(req->body ? req->body : "", req->body_len, md5);
	md5_base64(md5, b64);
	snprintf(line, sizeof(line), "Content-MD5: %s", b64);
	strlist_add(&req->headers, line);
}

/* The path as sent and signed: base path, then the blob name encoded ('/' kept). */
static char *
request_path(const AzClient *c, const AzRequest *req)
{
	Buf path;

	buf_init(&path);
	buf_append_str(&path, c->base_path);
	if (req->key)
	{
		buf_append_char(&path, '/');
		store_http_uri_encode(&path, req->key, true);
	}
	buf_cstr(&path);
	return path.data;
}

static char *
request_url(const AzClient *c, const AzRequest *req, const char *path)
{
	Buf url;
	const char *sep = "?";

	buf_init(&url);
	buf_append_str(&url, c->base_url);
	buf_append_str(&url, path + strlen(c->base_path));
	for (int i = 0; i < req->query.count; i++, sep = "&")
	{
		const char *q = req->query.items[i];
		const char *eq = strchr(q, '=');
		char *name = ebb_asprintf("%.*s", (int) (eq ? (size_t) (eq - q) : strlen(q)), q);
		buf_append_str(&url, sep);
		store_http_uri_encode(&url, name, false);
		buf_append_char(&url, '=');
		store_http_uri_encode(&url, eq ? eq + 1 : "", false);
		free(name);
	}
	if (c->sas)
	{
		buf_append_str(&url, sep);
		buf_append_str(&url, c->sas); /* already encoded, as the SAS was issued */
	}
	buf_cstr(&url);
	return url.data;
}

/* ------------------------------------------------------------------------------------------
 * libcurl callbacks
 * ------------------------------------------------------------------------------------------ */

static bool
header_is(const char *data, size_t name_len, const char *name)
{
	return name_len == strlen(name) && strncasecmp(data, name, name_len) == 0;
}

static size_t
on_header(char *data, size_t size, size_t nitems, void *arg)
{
	Transfer *t = arg;
	AzResponse *r = t->resp;
	size_t n = size * nitems;
	const char *colon = memchr(data, ':', n);
	char tmp[64];

	if (n > 5 && strncmp(data, "HTTP/", 5) == 0)
	{
		/* A new status line (after a 100 Continue, too): headers start over. */
		const char *sp = memchr(data, ' ', n);
		r->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		r->etag[0] = r->content_md5[0] = r->error_code[0] = r->request_id[0] = '\0';
		r->has_length = false;
		return n;
	}
	if (!colon)
		return n;
	size_t nl = (size_t) (colon - data);
	const char *v = colon + 1;
	size_t vlen = n - nl - 1;
	if (header_is(data, nl, "etag"))
		store_http_header_value(r->etag, sizeof(r->etag), v, vlen);
	else if (header_is(data, nl, "content-md5"))
		store_http_header_value(r->content_md5, sizeof(r->content_md5), v, vlen);
	else if (header_is(data, nl, "x-ms-error-code"))
		store_http_header_value(r->error_code, sizeof(r->error_code), v, vlen);
	else if (header_is(data, nl, "x-ms-request-id"))
		store_http_header_value(r->request_id, sizeof(r->request_id), v, vlen);
	else if (header_is(data, nl, "content-length"))
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
		if (t->delivered == 0)
			snprintf(t->first_etag, sizeof(t->first_etag), "%s", t->resp->etag);
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

/* x-ms-date as RFC 1123 in GMT, for this attempt. */
static void
add_date(StrList *headers)
{
	char line[80];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(line, sizeof(line), "x-ms-date: %a, %d %b %Y %H:%M:%S GMT", &tm);
	strlist_add(headers, line);
}

/* Every header of this attempt, signed: the caller's, date and version, a resume's Range. */
static struct curl_slist *
attempt_headers(const AzClient *c, const AzRequest *req, Transfer *t, const char *path)
{
	StrList all = {0};
	struct curl_slist *h = NULL;
	char line[256];

	t->resumed = req->into && t->delivered > 0;
	add_date(&all);
	strlist_add(&all, "x-ms-version: " AZURE_API_VERSION);
	if (t->resumed)
	{
		/* Resume after a cut: the rest of the same blob version only. */
		snprintf(line, sizeof(line), "Range: bytes=%" PRIu64 "-", t->delivered);
		strlist_add(&all, line);
		snprintf(line, sizeof(line), "If-Match: %s", t->first_etag);
		strlist_add(&all, line);
	}
	for (int i = 0; i < req->headers.count; i++)
		strlist_add(&all, req->headers.items[i]);
	if (c->key)
	{
		Buf auth;
		buf_init(&auth);
		store_azure_sign(c, req, &all, path, &auth);
		strlist_add(&all, buf_cstr(&auth));
		buf_free(&auth);
	}
	for (int i = 0; i < all.count; i++)
		h = curl_slist_append(h, all.items[i]);
	strlist_clear(&all);
	return h;
}

static void
attempt_method(CURL *h, const AzRequest *req, Transfer *t)
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
	else if (strcmp(req->method, "GET") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
}

static void
attempt_options(AzClient *c, CURL *h, Transfer *t, int64_t remaining_ms)
{
	const StoreOptions *o = &c->opts;

	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
	store_http_common_options(h, o->verbose, o->az_stall_timeout_ms, remaining_ms, o->az_ca_file,
							  o->az_insecure);
}

/* The error code and the first line of the message (Azure adds RequestId and Time lines). */
static bool
service_error(const AzResponse *resp, char *code, size_t code_size, char *message,
			  size_t message_size)
{
	bool xml =
		store_xml_error(resp->body.data, resp->body.len, code, code_size, message, message_size);

	if (!xml)
		message[0] = '\0';
	if (message[0])
		message[strcspn(message, "\r\n")] = '\0';
	if (!xml && resp->error_code[0])
		snprintf(code, code_size, "%s", resp->error_code);
	return xml || resp->error_code[0];
}

static void
error_hint_for(const AzClient *c, const char *code, EbbError *err)
{
	if (strcmp(code, "AuthenticationFailed") == 0 || strcmp(code, "AuthorizationFailure") == 0)
		error_hint(err, "Check AZURE_STORAGE_KEY (or AZURE_STORAGE_SAS_TOKEN: its permissions "
						"and expiry), the account (--az-account or AZURE_STORAGE_ACCOUNT), and "
						"this machine's clock.");
	else if (strncmp(code, "AuthorizationPermission", 23) == 0)
		error_hint(err, "The credential may not do this: a SAS token needs the permissions "
						"racwdl on the container.");
	else if (strcmp(code, "ContainerNotFound") == 0)
		error_hint(err, "Create container \"%s\" or correct the destination.", c->container);
}

/* Fills err with what went wrong in this attempt (the last one's error is the one reported). */
static void
attempt_error(AzClient *c, AzRequest *req, AzResponse *resp, CURLcode rc, const char *curl_msg,
			  EbbError *err)
{
	char code[128] = "", message[512] = "";
	char *what = store_azure_display(c, req->key);

	if (rc != CURLE_OK)
	{
		error_set(err, EBB_ERR_IO, "could not %s \"%s\": %s", req->what, what,
				  curl_msg[0] ? curl_msg : curl_easy_strerror(rc));
		free(what);
		return;
	}
	bool known = service_error(resp, code, sizeof(code), message, sizeof(message));
	error_set(err, EBB_ERR_IO, "could not %s \"%s\": server replied %ld%s%s", req->what, what,
			  resp->status, known ? " " : "", known ? code : "");
	/* The service's words quoted, so that they are not read as ebb's. */
	if (message[0] && resp->request_id[0])
		error_detail(err, "The server said: \"%s: %s\" (request ID %s).", code, message,
					 resp->request_id);
	else if (message[0])
		error_detail(err, "The server said: \"%s: %s\".", code, message);
	error_hint_for(c, code, err);
	free(what);
}

static bool
answered(const AzRequest *req, long status)
{
	return (status >= 200 && status < 300) || (status == 404 && req->want_404) ||
		   ((status == 409 || status == 412) && req->want_exists);
}

static StoreHttpAttempt
attempt(AzClient *c, AzRequest *req, AzResponse *resp, Transfer *t, int64_t deadline, EbbError *err)
{
	CURL *h = c->curl;
	char curl_msg[CURL_ERROR_SIZE] = "";
	char *path = request_path(c, req);
	char *url = request_url(c, req, path);
	struct curl_slist *headers = attempt_headers(c, req, t, path);

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
	free(path);
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
	if (answered(req, resp->status))
		return STORE_HTTP_OK;
	attempt_error(c, req, resp, CURLE_OK, "", err);
	return store_http_status_transient(resp->status) ? STORE_HTTP_RETRY : STORE_HTTP_FAIL;
}

/* One attempt, logged (common/log.h debug) with the status it got. */
static StoreHttpAttempt
attempt_logged(void *arg, int64_t deadline, EbbError *err)
{
	Transfer *t = arg;
	StoreHttpAttempt r = attempt(t->c, t->req, t->resp, t, deadline, err);

	log_debug("azure %s %s: %ld", t->req->method, t->req->key ? t->req->key : "/", t->resp->status);
	return r;
}

bool
store_azure_request(AzClient *c, AzRequest *req, AzResponse *resp, EbbError *err)
{
	Transfer t = {.c = c, .req = req, .resp = resp};

	memset(resp, 0, sizeof(*resp));
	buf_init(&resp->body);
	return store_http_retry(attempt_logged, &t, c->opts.az_retries, c->opts.az_timeout_ms,
							&c->rand_state, err);
}

void
store_azure_request_free(AzRequest *req)
{
	strlist_clear(&req->query);
	strlist_clear(&req->headers);
}

void
store_azure_response_free(AzResponse *resp)
{
	buf_free(&resp->body);
}
