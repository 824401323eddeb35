/*
 * azure.h: the az:// store's internals, shared by its files (not by the rest of ebb, which sees
 * only store.h). The AzClient owns one curl easy handle (kept for connection reuse), the
 * credential (a Shared Key, or a SAS token) and the resolved endpoint; requests are made one at
 * a time on it.
 *
 * az://container/prefix names blobs <prefix>/<key> in a container of the account's Blob
 * service endpoint (Data Lake Storage Gen2 accounts too: ebb speaks only the Blob API). Shared
 * Key requests are signed here (auth.c), over Azure's canonical string-to-sign; a SAS token is
 * appended to each request's query instead. Neither the key nor the token is ever logged or put
 * in an error.
 */
#ifndef EBB_STORE_AZURE_AZURE_H
#define EBB_STORE_AZURE_AZURE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/sink.h"
#include "store/store.h"

/* The REST API version ebb speaks (x-ms-version); Azurite 3.37 and Azure both serve it. */
#define AZURE_API_VERSION "2021-08-06"

typedef struct AzClient
{
	char *url; /* az://container/prefix, for messages */
	char *container;
	char *prefix;       /* "" or "some/prefix/" (always ends in '/') */
	char *account;      /* the storage account (Shared Key's name, the canonical resource's root) */
	char *base_url;     /* endpoint/container: https://acct.blob.core.windows.net/c, or
						 * http://127.0.0.1:10000/devstoreaccount1/c (Azurite, path-style) */
	char *base_path;    /* the path part of base_url, as signed: "/c" or "/devstoreaccount1/c" */
	unsigned char *key; /* the account key, decoded; NULL with a SAS token */
	size_t key_len;
	char *sas;         /* the SAS token's query ("sv=...&sig=..."), or NULL */
	StoreOptions opts; /* copy; strings owned here */
	void *curl;        /* CURL *, reused across requests */
	unsigned rand_state;
} AzClient;

typedef struct AzRequest
{
	const char *method; /* GET, HEAD, PUT, DELETE */
	const char *key;    /* full blob name (prefix included); NULL: the container */
	StrList query;      /* "name=value" or "name", unencoded */
	StrList headers;    /* extra "Name: value" lines; the standard ones and x-ms-* are signed */
	const void *body;   /* PUT payload in memory (NULL: empty) */
	size_t body_len;
	Sink *into;       /* GET: the body of a 2xx goes here (resumed with Range on retry) */
	bool want_404;    /* a 404 is an answer (HEAD for existence), not an error */
	bool want_exists; /* a 409 or 412 is an answer (If-None-Match: * met a blob), not an error */
	const char *what; /* "upload a block of", for messages: "could not <what> ..." */
} AzRequest;

typedef struct AzResponse
{
	long status;
	Buf body; /* the body, unless it went to AzRequest.into (capped) */
	char etag[130];
	uint64_t content_length;
	bool has_length;
	char content_md5[64]; /* Content-MD5 of a HEAD or GET: the blob's stored MD5 */
	char error_code[128]; /* x-ms-error-code (a HEAD's error has no body) */
	char request_id[128];
} AzResponse;

/* config.c: URL, account, endpoint and credential. */
bool store_azure_config(const char *url, const StoreOptions *opts, AzClient *c, EbbError *err);
void store_azure_config_free(AzClient *c);

/* auth.c: the Authorization header of a Shared Key request whose headers (x-ms-date and
 * x-ms-version included) are final; written into line ("Authorization: SharedKey a:sig"). */
void store_azure_sign(const AzClient *c, const AzRequest *req, const StrList *headers,
					  const char *path, Buf *line);

/* http.c: one request with retries; fills resp (the caller frees it). */
bool store_azure_request(AzClient *c, AzRequest *req, AzResponse *resp, EbbError *err);
void store_azure_request_free(AzRequest *req);
void store_azure_response_free(AzResponse *resp);
/* The full blob name of a store key ("prefix/" + key). */
char *store_azure_full_key(const AzClient *c, const char *key);
/* "az://container/name", for messages; malloc'd. */
char *store_azure_display(const AzClient *c, const char *full_key);
/* Adds Content-MD5 of the body (Azure verifies it and rejects a mismatch). */
void store_azure_content_md5(AzRequest *req);

/* blocks.c: the streaming writer, and the discarding of uncommitted blocks. */
bool store_azure_writer_open(void *state, const char *key, void **wstate, Sink **sink,
							 EbbError *err);
bool store_azure_writer_commit(void *wstate, EbbError *err);
void store_azure_writer_abort(void *wstate);
void store_azure_writer_free(void *wstate);
/* Drops the uncommitted blocks of a blob that has no committed content (full key). */
bool store_azure_discard_blocks(AzClient *c, const char *full_key, EbbError *err);

#endif
