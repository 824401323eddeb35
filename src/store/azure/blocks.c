/*
 * blocks.c: the az:// writer. Bytes collect in one block buffer (at most --az-block-size); an
 * object that fits in one block is sent with a single Put Blob, a bigger one as Put Block
 * requests, one block at a time, then Put Block List, so memory stays at one block whatever
 * the object's size. Every body carries Content-MD5, which the service checks; the final Put
 * Blob or Put Block List carries If-None-Match: * (never replace a blob) and, for a block list,
 * x-ms-blob-content-md5: the MD5 of the whole object computed here while streaming. Commit
 * ends with Get Blob Properties (HEAD): the stored size and Content-MD5 must be the ones
 * computed here before the caller's transaction may commit.
 *
 * Azure has no upload to abort: uncommitted blocks stay until a commit of the blob, or for 7
 * days. A failed writer discards them (store_azure_discard_blocks: an empty block list
 * committed with If-None-Match: *, which drops every uncommitted block, then the empty blob
 * deleted); what a killed run leaves, `ebb verify` lists as unfinished uploads and --gc
 * discards the same way.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/log.h"
#include "store/azure/azure.h"

#define AZURE_MAX_BLOCKS 50000

typedef struct AzWriter
{
	Sink base;
	AzClient *c;
	char *key;         /* full blob name */
	Buf block;         /* the block being filled */
	char nonce[9];     /* 8 hex digits: this writer's block ids, "ebb-<nonce>-<number>" */
	StrList block_ids; /* base64 id of each uploaded block, in order */
	Md5 whole;         /* MD5 of every byte: the blob's x-ms-blob-content-md5 */
	char whole_b64[25];
	uint64_t total;
	bool stored;  /* the blob exists: aborting must delete it */
	bool existed; /* the final request met a blob of that name (409 or 412) */
} AzWriter;

/* Block ids: equal length within a blob (Azure's rule), base64 of "ebb-<nonce>-<6 digits>". */
static void
block_id(const AzWriter *w, int number, char *out)
{
	char raw[32];

	snprintf(raw, sizeof(raw), "ebb-%s-%06d", w->nonce, number);
	hash_base64_encode(raw, strlen(raw), out);
}

static bool
put_block(AzWriter *w, EbbError *err)
{
	int number = w->block_ids.count + 1;
	char id[48];
	AzRequest req = {.method = "PUT",
					 .key = w->key,
					 .body = w->block.data,
					 .body_len = w->block.len,
					 .what = "upload a block of"};
	AzResponse resp;

	if (number > AZURE_MAX_BLOCKS)
	{
		char *what = store_azure_display(w->c, w->key);
		error_set(err, EBB_ERR_IO, "could not upload \"%s\": more than %d blocks", what,
				  AZURE_MAX_BLOCKS);
		error_hint(err, "Raise --az-block-size, or lower --max-rows-per-txn or --window.");
		free(what);
		return false;
	}
	block_id(w, number, id);
	strlist_add(&req.query, "comp=block");
	char *q = ebb_asprintf("blockid=%s", id);
	strlist_add(&req.query, q);
	free(q);
	store_azure_content_md5(&req);
	bool ok = store_azure_request(w->c, &req, &resp, err);
	if (ok)
	{
		strlist_add(&w->block_ids, id);
		buf_reset(&w->block);
	}
	store_azure_request_free(&req);
	store_azure_response_free(&resp);
	return ok;
}

static bool
writer_write(Sink *sink, const void *data, size_t len, EbbError *err)
{
	AzWriter *w = (AzWriter *) sink;
	const char *p = data;
	size_t cap = (size_t) w->c->opts.az_block_size;

	/* One block's memory, allocated once: doubling growth would hold twice the block size. */
	buf_reserve_exact(&w->block, cap);
	while (len > 0)
	{
		/* A full block leaves only once more bytes come: the last one is sent by commit. */
		if (w->block.len == cap && !put_block(w, err))
			return false;
		size_t n = len < cap - w->block.len ? len : cap - w->block.len;
		buf_append(&w->block, p, n);
		md5_update(&w->whole, p, n);
		w->total += n;
		p += n;
		len -= n;
	}
	return true;
}

static const SinkOps writer_ops = {.write = writer_write};

bool
store_azure_writer_open(void *state, const char *key, void **wstate, Sink **sink, EbbError *err)
{
	AzClient *c = state;
	AzWriter *w = ebb_malloc(sizeof(*w));

	(void) err;
	memset(w, 0, sizeof(*w));
	w->base.ops = &writer_ops;
	w->c = c;
	w->key = store_azure_full_key(c, key);
	snprintf(w->nonce, sizeof(w->nonce), "%08x",
			 (unsigned) rand_r(&c->rand_state) ^ (unsigned) time(NULL));
	buf_init(&w->block);
	md5_init(&w->whole);
	*wstate = w;
	*sink = &w->base;
	return true;
}

/* 409 or 412 to a final request: a blob of that name exists. Keys are unique per run, so it is
 * this request's own earlier attempt whose reply was lost, or someone else's blob; the check
 * that follows (size and MD5) tells which. */
static bool
final_request(AzWriter *w, AzRequest *req, EbbError *err)
{
	AzResponse resp;

	req->want_exists = true;
	strlist_add(&req->headers, "If-None-Match: *");
	store_azure_content_md5(req);
	bool ok = store_azure_request(w->c, req, &resp, err);
	w->existed = ok && (resp.status == 409 || resp.status == 412);
	if (w->existed)
		log_debug("azure: \"%s\" exists (%ld): checking whether it is this upload's", w->key,
				  resp.status);
	store_azure_request_free(req);
	store_azure_response_free(&resp);
	return ok;
}

static bool
put_single(AzWriter *w, EbbError *err)
{
	AzRequest req = {.method = "PUT",
					 .key = w->key,
					 .body = w->block.data,
					 .body_len = w->block.len,
					 .what = "upload"};

	strlist_add(&req.headers, "Content-Type: application/octet-stream");
	strlist_add(&req.headers, "x-ms-blob-type: BlockBlob");
	return final_request(w, &req, err);
}

static bool
put_block_list(AzWriter *w, EbbError *err)
{
	Buf body;
	char line[96];

	buf_init(&body);
	buf_append_str(&body, "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>");
	for (int i = 0; i < w->block_ids.count; i++)
		buf_printf(&body, "<Latest>%s</Latest>", w->block_ids.items[i]);
	buf_append_str(&body, "</BlockList>");
	AzRequest req = {.method = "PUT",
					 .key = w->key,
					 .body = body.data,
					 .body_len = body.len,
					 .what = "commit the blocks of"};
	strlist_add(&req.query, "comp=blocklist");
	strlist_add(&req.headers, "Content-Type: application/xml");
	strlist_add(&req.headers, "x-ms-blob-content-type: application/octet-stream");
	snprintf(line, sizeof(line), "x-ms-blob-content-md5: %s", w->whole_b64);
	strlist_add(&req.headers, line);
	bool ok = final_request(w, &req, err);
	buf_free(&body);
	return ok;
}

/* HEAD the new blob: size and Content-MD5 as stored must be what was sent. */
static bool
check_stored(AzWriter *w, EbbError *err)
{
	AzRequest req = {.method = "HEAD", .key = w->key, .what = "check"};
	AzResponse resp;
	bool ok = store_azure_request(w->c, &req, &resp, err);
	char *what = store_azure_display(w->c, w->key);

	if (ok && (!resp.has_length || resp.content_length != w->total ||
			   strcmp(resp.content_md5, w->whole_b64) != 0))
	{
		/* Met at commit, another blob under a run-unique key: never ours to remove. */
		w->stored = !w->existed;
		if (w->existed)
			ok = error_set(err, EBB_ERR_VERIFY,
						   "could not upload \"%s\": the object already exists", what);
		else
			ok = error_set(err, EBB_ERR_VERIFY,
						   "archive object \"%s\" does not match what was written", what);
		error_detail(err,
					 "Sent %" PRIu64 " bytes with MD5 %s; the server has %" PRIu64
					 " bytes with MD5 %s.",
					 w->total, w->whole_b64, resp.content_length,
					 resp.content_md5[0] ? resp.content_md5 : "(none)");
	}
	free(what);
	store_azure_request_free(&req);
	store_azure_response_free(&resp);
	return ok;
}

bool
store_azure_writer_commit(void *wstate, EbbError *err)
{
	AzWriter *w = wstate;
	unsigned char md5[16];

	if (!w->whole_b64[0])
	{
		md5_final(&w->whole, md5);
		md5_base64(md5, w->whole_b64);
	}
	if (w->block_ids.count == 0)
	{
		if (!put_single(w, err))
			return false;
	}
	else if ((w->block.len > 0 && !put_block(w, err)) || !put_block_list(w, err))
		return false;
	w->stored = true;
	return check_stored(w, err);
}

bool
store_azure_discard_blocks(AzClient *c, const char *full_key, EbbError *err)
{
	static const char empty[] = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList></BlockList>";
	AzRequest req = {.method = "PUT",
					 .key = full_key,
					 .body = empty,
					 .body_len = strlen(empty),
					 .want_exists = true,
					 .what = "discard the uncommitted blocks of"};
	AzResponse resp;

	strlist_add(&req.query, "comp=blocklist");
	strlist_add(&req.headers, "Content-Type: application/xml");
	strlist_add(&req.headers, "If-None-Match: *");
	store_azure_content_md5(&req);
	bool ok = store_azure_request(c, &req, &resp, err);
	/* 409/412: a committed blob has that name now; it is an object, not ours to delete. */
	bool created = ok && resp.status >= 200 && resp.status < 300;
	store_azure_request_free(&req);
	store_azure_response_free(&resp);
	if (!created)
		return ok;
	AzRequest del = {.method = "DELETE", .key = full_key, .want_404 = true, .what = "remove"};
	ok = store_azure_request(c, &del, &resp, err);
	store_azure_request_free(&del);
	store_azure_response_free(&resp);
	return ok;
}

void
store_azure_writer_free(void *wstate)
{
	AzWriter *w = wstate;

	free(w->key);
	buf_free(&w->block);
	md5_free(&w->whole);
	strlist_clear(&w->block_ids);
	free(w);
}

/* Leaves nothing behind that a later run must clean: a stored blob is deleted, uncommitted
 * blocks discarded. What cannot be undone now is for `ebb verify --gc`. */
void
store_azure_writer_abort(void *wstate)
{
	AzWriter *w = wstate;
	EbbError err;

	error_init(&err);
	if (w->stored)
	{
		AzRequest req = {.method = "DELETE", .key = w->key, .want_404 = true, .what = "remove"};
		AzResponse resp;
		if (!store_azure_request(w->c, &req, &resp, &err))
			log_warning("%s (ebb verify --gc removes it later)", err.message);
		store_azure_request_free(&req);
		store_azure_response_free(&resp);
	}
	else if (w->block_ids.count > 0 && !store_azure_discard_blocks(w->c, w->key, &err))
		log_warning("%s (ebb verify --gc discards them later)", err.message);
	store_azure_writer_free(w);
}
