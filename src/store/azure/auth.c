/*
 * auth.c: Shared Key authorization (the Blob service's "Authorize with Shared Key", version
 * 2009-09-19 and later). The string-to-sign is
 *
 *   VERB \n Content-Encoding \n Content-Language \n Content-Length \n Content-MD5 \n
 *   Content-Type \n Date \n If-Modified-Since \n If-Match \n If-None-Match \n
 *   If-Unmodified-Since \n Range \n CanonicalizedHeaders CanonicalizedResource
 *
 * with Content-Length empty when zero, Date empty (x-ms-date is sent instead), the x-ms-*
 * headers lowercased, sorted and "name:value\n" each, and the resource "/account/path" (the
 * path as sent, percent-encoded) followed by "\nname:value" for each query parameter, names
 * lowercased and sorted, values decoded. HMAC-SHA256 with the decoded account key, base64.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/hash.h"
#include "store/azure/azure.h"

static const char *const standard_headers[] = {"Content-Encoding",
											   "Content-Language",
											   "Content-Length",
											   "Content-MD5",
											   "Content-Type",
											   "Date",
											   "If-Modified-Since",
											   "If-Match",
											   "If-None-Match",
											   "If-Unmodified-Since",
											   "Range"};

/* The value of header `name` in the "Name: value" lines, or "". */
static const char *
header_of(const StrList *headers, const char *name, size_t *len)
{
	size_t n = strlen(name);

	for (int i = 0; i < headers->count; i++)
	{
		const char *h = headers->items[i];
		if (strncasecmp(h, name, n) == 0 && h[n] == ':')
		{
			const char *v = h + n + 1;
			while (*v == ' ')
				v++;
			*len = strlen(v);
			return v;
		}
	}
	*len = 0;
	return "";
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Sorts "name:value" items (names already lowercase) and appends each with sep before it. */
static void
append_sorted(Buf *out, char **items, int count, const char *before, const char *after)
{
	qsort(items, (size_t) count, sizeof(char *), cmp_str);
	for (int i = 0; i < count; i++)
	{
		buf_append_str(out, before);
		buf_append_str(out, items[i]);
		buf_append_str(out, after);
		free(items[i]);
	}
	free(items);
}

/* "name:value" with the name lowercased. */
static char *
lower_pair(const char *name, size_t name_len, const char *value)
{
	char *s = ebb_asprintf("%.*s:%s", (int) name_len, name, value);

	for (size_t i = 0; i < name_len; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char) (s[i] - 'A' + 'a');
	return s;
}

static void
canonical_headers(Buf *out, const StrList *headers)
{
	char **items = ebb_malloc(sizeof(char *) * (size_t) (headers->count + 1));
	int n = 0;

	for (int i = 0; i < headers->count; i++)
	{
		const char *h = headers->items[i];
		const char *colon = strchr(h, ':');
		if (!colon || strncasecmp(h, "x-ms-", 5) != 0)
			continue;
		const char *v = colon + 1;
		while (*v == ' ')
			v++;
		items[n++] = lower_pair(h, (size_t) (colon - h), v);
	}
	append_sorted(out, items, n, "", "\n");
}

static void
canonical_resource(Buf *out, const AzClient *c, const AzRequest *req, const char *path)
{
	char **items = ebb_malloc(sizeof(char *) * (size_t) (req->query.count + 1));

	buf_printf(out, "/%s%s", c->account, path);
	for (int i = 0; i < req->query.count; i++)
	{
		const char *q = req->query.items[i];
		const char *eq = strchr(q, '=');
		items[i] = lower_pair(q, eq ? (size_t) (eq - q) : strlen(q), eq ? eq + 1 : "");
	}
	append_sorted(out, items, req->query.count, "\n", "");
}

void
store_azure_sign(const AzClient *c, const AzRequest *req, const StrList *headers, const char *path,
				 Buf *line)
{
	Buf s;
	unsigned char mac[32];
	char sig[48];

	buf_init(&s);
	buf_printf(&s, "%s\n", req->method);
	for (size_t i = 0; i < sizeof(standard_headers) / sizeof(standard_headers[0]); i++)
	{
		size_t n;
		const char *v = header_of(headers, standard_headers[i], &n);
		if (strcmp(standard_headers[i], "Content-Length") == 0)
		{
			/* curl sends it from the body's size; empty when zero (version 2015-02-21+). */
			if (req->body_len > 0)
				buf_printf(&s, "%zu", req->body_len);
		}
		else
			buf_append(&s, v, n);
		buf_append_char(&s, '\n');
	}
	canonical_headers(&s, headers);
	canonical_resource(&s, c, req, path);
	hash_hmac_sha256(c->key, c->key_len, s.data, s.len, mac);
	hash_base64_encode(mac, sizeof(mac), sig);
	buf_printf(line, "Authorization: SharedKey %s:%s", c->account, sig);
	buf_free(&s);
}
