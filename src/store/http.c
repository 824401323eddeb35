/* http.c: see http.h. */
#include "store/http.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <inttypes.h>

#include "common/cancel.h"
#include "common/log.h"
#include "common/retry.h"
#include "common/time.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void
curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void
store_http_global_init(void)
{
	pthread_once(&curl_once, curl_init_once);
}

int64_t
store_http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
store_http_uri_encode(Buf *out, const char *s, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
	{
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			*p == '-' || *p == '.' || *p == '_' || *p == '~' || (keep_slash && *p == '/'))
			buf_append_char(out, (char) *p);
		else
		{
			buf_append_char(out, '%');
			buf_append_char(out, hex[*p >> 4]);
			buf_append_char(out, hex[*p & 15]);
		}
	}
}

void
store_http_header_value(char *dst, size_t size, const char *v, size_t n)
{
	while (n > 0 && (*v == ' ' || *v == '\t'))
		v++, n--;
	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
		n--;
	snprintf(dst, size, "%.*s", (int) n, v);
}

bool
store_http_curl_transient(CURLcode rc)
{
	switch (rc)
	{
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_CONNECT:
		case CURLE_OPERATION_TIMEDOUT:
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_PARTIAL_FILE:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_HTTP2:
		case CURLE_HTTP2_STREAM:
		case CURLE_WEIRD_SERVER_REPLY: return true;
		default: return false;
	}
}

bool
store_http_status_transient(long status)
{
	return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 ||
		   status == 504;
}

/* -vv: the HTTP conversation's headers, with the credentials blanked out. */
static void
trace_line(char dir, const char *line, size_t n)
{
	static const char *const secret_headers[] = {
		"authorization:", "x-amz-security-token:", "proxy-authorization:"};

	while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == '\n'))
		n--;
	if (n == 0)
		return;
	for (size_t i = 0; i < sizeof(secret_headers) / sizeof(secret_headers[0]); i++)
	{
		size_t hl = strlen(secret_headers[i]);
		if (n >= hl && strncasecmp(line, secret_headers[i], hl) == 0)
		{
			log_debug("http %c %.*s [redacted]", dir, (int) hl, line);
			return;
		}
	}
	/* A request line carries the query: an Azure SAS token's signature is a credential. */
	const char *sig = memmem(line, n, "sig=", 4);
	if (sig && (sig == line || sig[-1] == '?' || sig[-1] == '&'))
	{
		log_debug("http %c %.*s[redacted]", dir, (int) (sig + 4 - line), line);
		return;
	}
	log_debug("http %c %.*s", dir, (int) n, line);
}

static int
on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	(void) h;
	(void) arg;
	if (type != CURLINFO_HEADER_OUT && type != CURLINFO_HEADER_IN && type != CURLINFO_TEXT)
		return 0; /* bodies are never traced */
	char dir = type == CURLINFO_HEADER_OUT ? '>' : type == CURLINFO_HEADER_IN ? '<' : '*';
	for (size_t i = 0; i < size;)
	{
		const char *nl = memchr(data + i, '\n', size - i);
		size_t n = nl ? (size_t) (nl - (data + i)) + 1 : size - i;
		trace_line(dir, data + i, n);
		i += n;
	}
	return 0;
}

/* curl asks often while it transfers (or waits): a signal's stop ends the request at once,
 * instead of after a stall or the deadline. */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	return cancel_requested ? 1 : 0;
}

void
store_http_common_options(CURL *h, int verbose, int64_t stall_ms, int64_t remaining_ms,
						  const char *ca_file, bool insecure)
{
	long stall_s = (long) ((stall_ms + 999) / 1000);

	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long) stall_ms);
	/* A stalled attempt (no byte either way) is abandoned and retried. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, stall_s);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long) (remaining_ms > 0 ? remaining_ms : 1));
	curl_easy_setopt(h, CURLOPT_USERAGENT, "ebb/" EBB_VERSION);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	if (ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, ca_file);
	if (insecure)
	{
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (verbose >= 2)
	{
		curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
		curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
	}
}

/* "2026-11-22T10:00:00.000Z" (XML listings) or "Sun, 22 Nov 2026 10:00:00 GMT" (headers). */
bool
store_http_parse_time(const char *text, int64_t *us)
{
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
										 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	int y, mo = 0, d, h, mi, s;
	char mon[4];

	if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6)
	{
		if (sscanf(text, "%*3s, %2d %3s %4d %2d:%2d:%2d", &d, mon, &y, &h, &mi, &s) != 6)
			return false;
		for (int i = 0; i < 12; i++)
			if (strcmp(mon, months[i]) == 0)
				mo = i + 1;
		if (mo == 0)
			return false;
	}
	CivilTime c = {y, mo, d, h, mi, s, 0};
	*us = time_from_civil(&c);
	return true;
}

#define BACKOFF_BASE_MS 100
#define BACKOFF_CAP_MS  10000

/* Full jitter (common/retry.h), never past the deadline. */
static int64_t
backoff_ms(int n, int64_t deadline, unsigned *rand_state)
{
	int64_t wait = retry_backoff_ms(n, BACKOFF_BASE_MS, BACKOFF_CAP_MS, rand_state);
	int64_t left = deadline - store_http_now_ms();
	return wait < left ? wait : (left > 0 ? left : 0);
}

bool
store_http_retry(StoreHttpAttemptFn attempt, void *arg, int retries, int64_t timeout_ms,
				 unsigned *rand_state, EbbError *err)
{
	int64_t deadline = store_http_now_ms() + timeout_ms;

	for (int n = 0;; n++)
	{
		StoreHttpAttempt r = attempt(arg, deadline, err);
		if (r == STORE_HTTP_OK)
			return true;
		if (r == STORE_HTTP_FAIL || cancel_requested)
			return false;
		if (n >= retries || store_http_now_ms() >= deadline)
		{
			char detail[sizeof(err->detail)];
			snprintf(detail, sizeof(detail), "%s", err->detail);
			error_detail(err, "%s%sGave up after %d attempt%s.", detail, detail[0] ? " " : "",
						 n + 1, n == 0 ? "" : "s");
			return false;
		}
		int64_t wait = backoff_ms(n, deadline, rand_state);
		log_info("retrying in %" PRId64 " ms (attempt %d of %d): %s", wait, n + 2, retries + 1,
				 err->message);
		retry_sleep_ms(wait);
	}
}
