/*
 * http.h: what the HTTP store drivers (s3, azure) share over libcurl: percent-encoding, which
 * failures a new attempt may cure, the -vv trace with credentials blanked out, the cancel check,
 * and dates as servers write them. Each driver keeps its own request, signing and messages.
 */
#ifndef EBB_STORE_HTTP_H
#define EBB_STORE_HTTP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

/* curl_global_init once per process (any thread). */
void store_http_global_init(void);
int64_t store_http_now_ms(void);
/* Percent-encoding with uppercase hex of all but A-Za-z0-9-._~ (and '/' when keep_slash). */
void store_http_uri_encode(Buf *out, const char *s, bool keep_slash);
/* "2026-11-22T10:00:00.000Z" (XML listings) or "Sun, 22 Nov 2026 10:00:00 GMT" (headers) to
 * microseconds since the epoch. */
bool store_http_parse_time(const char *text, int64_t *us);
/* A header's value (n bytes at v) trimmed into dst. */
void store_http_header_value(char *dst, size_t size, const char *v, size_t n);
/* Network errors that a new attempt may not meet again. */
bool store_http_curl_transient(CURLcode rc);
/* 408, 429, 500, 502, 503 and 504: the server or a gateway may answer the next attempt; 501,
 * 505 and the other 5xx say the same each time. */
bool store_http_status_transient(long status);
/* Sets the options every request of a driver shares: the -vv trace (headers only, with
 * Authorization and the token headers redacted), the cancel check (a signal's stop ends the
 * request at once), the stall and overall timeouts, and TLS (ca_file, insecure). */
void store_http_common_options(CURL *h, int verbose, int64_t stall_ms, int64_t remaining_ms,
							   const char *ca_file, bool insecure);

/* One attempt of a request: done, worth another attempt, or failed for good (err set). */
typedef enum StoreHttpAttempt
{
	STORE_HTTP_OK,
	STORE_HTTP_RETRY,
	STORE_HTTP_FAIL
} StoreHttpAttempt;

typedef StoreHttpAttempt (*StoreHttpAttemptFn)(void *arg, int64_t deadline_ms, EbbError *err);

/* Runs attempt until it is done or fails for good, a signal asks to stop, or `retries` more
 * attempts or `timeout_ms` are spent, sleeping a full-jitter backoff (100 ms to 10 s, never
 * past the deadline) between attempts. The last attempt's error is the one reported, with the
 * number of attempts in its DETAIL. */
bool store_http_retry(StoreHttpAttemptFn attempt, void *arg, int retries, int64_t timeout_ms,
					  unsigned *rand_state, EbbError *err);

#endif
