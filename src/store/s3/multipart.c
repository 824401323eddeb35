/*
 * multipart.c: the s3:// writer. Bytes collect in one part buffer (at most --s3-part-size);
 * an object that fits in one part is sent with a single PUT, a bigger one as a multipart
 * upload, one part at a time, so memory stays at one part whatever the object's size. Every
 * body carries Content-MD5 and its SHA-256 (signed), which the server checks. Commit ends with
 * a HEAD: the stored size and ETag (the server's MD5, or MD5 of part MD5s) must be the ones
 * computed here before the caller's transaction may commit.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/hash.h"
#include "common/log.h"
#include "store/s3/s3.h"
#include "store/xml.h"

#define S3_MAX_PARTS 10000

/* S3's limit, or in a test build a lower one from EBB_TEST_S3_MAX_PARTS: the tests reach the
 * check with a few parts instead of 50 GB (a test hook, like EBB_TEST_CRASH_AT; see
 * archive/target.h and the README). */
static int
max_parts(void)
{
#ifdef EBB_TEST_HOOKS
	const char *v = getenv("EBB_TEST_S3_MAX_PARTS");
	int n = v ? atoi(v) : 0;

	return n > 0 && n < S3_MAX_PARTS ? n : S3_MAX_PARTS;
#else
	return S3_MAX_PARTS;
#endif
}

typedef struct S3Writer
{
	Sink base;
	S3Client *c;
	char *key;       /* full key */
	Buf part;        /* the part being filled */
	char *upload_id; /* NULL until the first part leaves */
	StrList etags;   /* ETag of each uploaded part */
	Buf md5s;        /* binary MD5 of each part, in order: the multipart ETag's input */
	Md5 whole;       /* MD5 of every byte: some servers' multipart ETag (s3rver's) */
	uint64_t total;
	bool stored; /* the object exists: aborting must delete it */
} S3Writer;

void
store_s3_object_headers(const S3Client *c, S3Request *req)
{
	char line[160];

	if (c->opts.s3_storage_class)
	{
		snprintf(line, sizeof(line), "x-amz-storage-class: %s", c->opts.s3_storage_class);
		strlist_add(&req->headers, line);
	}
	if (c->opts.s3_sse)
	{
		snprintf(line, sizeof(line), "x-amz-server-side-encryption: %s", c->opts.s3_sse);
		strlist_add(&req->headers, line);
	}
}

void
store_s3_content_md5(S3Request *req, unsigned char md5[16])
{
	char b64[25];
	char line[64];

	md5_of(req->body ? req->body : "", req->body_len, md5);
	md5_base64(md5, b64);
	snprintf(line, sizeof(line), "Content-MD5: %s", b64);
	strlist_add(&req->headers, line);
}

static bool
create_upload(S3Writer *w, EbbError *err)
{
	S3Request req = {.method = "POST", .key = w->key, .what = "start a multipart upload of"};
	S3Response resp;

	strlist_add(&req.query, "uploads");
	strlist_add(&req.headers, "Content-Type: application/octet-stream");
	store_s3_object_headers(w->c, &req);
	bool ok = store_s3_request(w->c, &req, &resp, err);
	if (ok)
	{
		w->upload_id = store_xml_text(resp.body.data, resp.body.len, "UploadId");
		if (!w->upload_id || !w->upload_id[0])
			ok = error_set(err, EBB_ERR_IO,
						   "could not start a multipart upload of \"s3://%s/%s\": no UploadId in "
						   "the reply",
						   w->c->bucket, w->key);
	}
	store_s3_request_free(&req);
	store_s3_response_free(&resp);
	return ok;
}

static bool
upload_part(S3Writer *w, EbbError *err)
{
	int number = w->etags.count + 1;
	char q[64];
	unsigned char md5[16];
	S3Request req = {.method = "PUT",
					 .key = w->key,
					 .body = w->part.data,
					 .body_len = w->part.len,
					 .what = "upload a part of"};
	S3Response resp;

	if (number > max_parts())
	{
		/* Checked before the part leaves: S3 would refuse part 10001 only at the very end. */
		error_set(err, EBB_ERR_IO, "could not upload \"s3://%s/%s\": more than %d parts",
				  w->c->bucket, w->key, max_parts());
		error_detail(err,
					 "An S3 object has at most %d parts: %" PRIu64 " bytes with parts of %" PRIu64
					 " bytes. This window's object is larger.",
					 max_parts(), (uint64_t) max_parts() * w->c->opts.s3_part_size,
					 w->c->opts.s3_part_size);
		error_hint(err, "Raise --s3-part-size, or lower --max-rows-per-txn or --window.");
		return false;
	}
	if (!w->upload_id && !create_upload(w, err))
		return false;
	snprintf(q, sizeof(q), "partNumber=%d", number);
	strlist_add(&req.query, q);
	char *id = ebb_asprintf("uploadId=%s", w->upload_id);
	strlist_add(&req.query, id);
	free(id);
	store_s3_content_md5(&req, md5);
	bool ok = store_s3_request(w->c, &req, &resp, err);
	if (ok)
	{
		strlist_add(&w->etags, resp.etag);
		buf_append(&w->md5s, md5, sizeof(md5));
		buf_reset(&w->part);
	}
	store_s3_request_free(&req);
	store_s3_response_free(&resp);
	return ok;
}

static bool
writer_write(Sink *sink, const void *data, size_t len, EbbError *err)
{
	S3Writer *w = (S3Writer *) sink;
	const char *p = data;
	size_t cap = (size_t) w->c->opts.s3_part_size;

	/* One part's memory, allocated once: doubling growth would hold twice the part size. */
	buf_reserve_exact(&w->part, cap);
	while (len > 0)
	{
		/* A full part leaves only once more bytes come: the last part is sent by commit. */
		if (w->part.len == cap && !upload_part(w, err))
			return false;
		size_t n = len < cap - w->part.len ? len : cap - w->part.len;
		buf_append(&w->part, p, n);
		md5_update(&w->whole, p, n);
		w->total += n;
		p += n;
		len -= n;
	}
	return true;
}

static const SinkOps writer_ops = {.write = writer_write};

bool
store_s3_writer_open(void *state, const char *key, void **wstate, Sink **sink, EbbError *err)
{
	S3Client *c = state;
	S3Writer *w = ebb_malloc(sizeof(*w));

	(void) err;
	memset(w, 0, sizeof(*w));
	w->base.ops = &writer_ops;
	w->c = c;
	w->key = store_s3_full_key(c, key);
	buf_init(&w->part);
	buf_init(&w->md5s);
	md5_init(&w->whole);
	*wstate = w;
	*sink = &w->base;
	return true;
}

static bool
put_single(S3Writer *w, EbbError *err)
{
	unsigned char md5[16];
	S3Request req = {.method = "PUT",
					 .key = w->key,
					 .body = w->part.data,
					 .body_len = w->part.len,
					 .what = "upload"};
	S3Response resp;

	strlist_add(&req.headers, "Content-Type: application/octet-stream");
	/* Never replace an object (keys are unique per run; this makes it a rule where the server
	 * supports conditional writes). */
	strlist_add(&req.headers, "If-None-Match: *");
	store_s3_object_headers(w->c, &req);
	store_s3_content_md5(&req, md5);
	bool ok = store_s3_request(w->c, &req, &resp, err);
	/* 412: the key exists. Keys are unique per run, so it is this PUT's own earlier attempt
	 * whose reply was lost; check_stored() proves it by size and MD5, or fails. */
	if (!ok && resp.status == 412)
		ok = true;
	store_s3_request_free(&req);
	store_s3_response_free(&resp);
	return ok;
}

static bool
complete_upload(S3Writer *w, EbbError *err)
{
	unsigned char md5[16];
	Buf body;
	S3Response resp;

	buf_init(&body);
	buf_append_str(&body, "<CompleteMultipartUpload>");
	for (int i = 0; i < w->etags.count; i++)
		buf_printf(&body, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i + 1,
				   w->etags.items[i]);
	buf_append_str(&body, "</CompleteMultipartUpload>");
	S3Request req = {.method = "POST",
					 .key = w->key,
					 .body = body.data,
					 .body_len = body.len,
					 .what = "complete the multipart upload of"};
	char *id = ebb_asprintf("uploadId=%s", w->upload_id);
	strlist_add(&req.query, id);
	free(id);
	strlist_add(&req.headers, "Content-Type: application/xml");
	strlist_add(&req.headers, "If-None-Match: *");
	store_s3_content_md5(&req, md5);
	/* The request layer also reads the body of a 200: Complete can fail inside one. A 412 or
	 * NoSuchUpload after a retry is this upload completed by an attempt whose reply was lost;
	 * check_stored() proves it by size and ETag, or fails. */
	bool ok = store_s3_request(w->c, &req, &resp, err);
	if (!ok && (resp.status == 412 || resp.status == 404))
		ok = true;
	store_s3_request_free(&req);
	store_s3_response_free(&resp);
	buf_free(&body);
	return ok;
}

/* The ETags that prove the server stored what was sent: the MD5 of the object, or (S3's
 * multipart ETag) the MD5 of the parts' MD5s and "-<parts>". S3, MinIO and Ceph give the
 * second form for a multipart object; s3rver gives the first. Either is a checksum computed by
 * the server over the bytes it stored. */
static void
expected_etags(S3Writer *w, char *whole, char *multi, size_t size)
{
	unsigned char md5[16];
	char hex[33];

	md5_final(&w->whole, md5);
	md5_hex(md5, hex);
	snprintf(whole, size, "%s", hex);
	multi[0] = '\0';
	if (!w->upload_id)
		return;
	md5_of(w->md5s.data, w->md5s.len, md5);
	md5_hex(md5, hex);
	snprintf(multi, size, "%s-%d", hex, w->etags.count);
}

static bool
etag_equal(const char *got, const char *want)
{
	size_t n = strlen(got);

	if (n >= 2 && got[0] == '"' && got[n - 1] == '"')
		got++, n -= 2;
	return n == strlen(want) && strncasecmp(got, want, n) == 0;
}

/* HEAD the new object: size and ETag as stored must be what was sent. */
static bool
check_stored(S3Writer *w, EbbError *err)
{
	S3Request req = {.method = "HEAD", .key = w->key, .what = "check"};
	S3Response resp;
	char want[64], want_multi[64];
	bool ok = store_s3_request(w->c, &req, &resp, err);

	expected_etags(w, want, want_multi, sizeof(want));
	if (ok && (!resp.has_length || resp.content_length != w->total))
		ok = error_set(err, EBB_ERR_VERIFY, "archive object \"s3://%s/%s\" has the wrong size",
					   w->c->bucket, w->key);
	/* With SSE-KMS the ETag is not an MD5: the parts' Content-MD5 checks stand alone then. */
	else if (ok && !(w->c->opts.s3_sse && strcmp(w->c->opts.s3_sse, "aws:kms") == 0) &&
			 !etag_equal(resp.etag, want) && !etag_equal(resp.etag, want_multi))
		ok = error_set(err, EBB_ERR_VERIFY,
					   "archive object \"s3://%s/%s\" does not match what was written",
					   w->c->bucket, w->key);
	if (!ok && err->code == EBB_ERR_VERIFY)
		error_detail(err,
					 "Sent %" PRIu64 " bytes with ETag %s; the server has %" PRIu64
					 " bytes with ETag %s.",
					 w->total, want, resp.content_length, resp.etag);
	store_s3_request_free(&req);
	store_s3_response_free(&resp);
	return ok;
}

bool
store_s3_writer_commit(void *wstate, EbbError *err)
{
	S3Writer *w = wstate;

	if (!w->upload_id)
	{
		if (!put_single(w, err))
			return false;
	}
	else if ((w->part.len > 0 && !upload_part(w, err)) || !complete_upload(w, err))
		return false;
	w->stored = true;
	return check_stored(w, err);
}

bool
store_s3_upload_abort(void *state, const char *key, const char *upload_id, EbbError *err)
{
	S3Client *c = state;
	S3Request req = {.method = "DELETE", .key = key, .what = "abort the multipart upload of"};
	S3Response resp;

	char *id = ebb_asprintf("uploadId=%s", upload_id);
	strlist_add(&req.query, id);
	free(id);
	bool ok = store_s3_request(c, &req, &resp, err);
	store_s3_request_free(&req);
	store_s3_response_free(&resp);
	return ok;
}

void
store_s3_writer_free(void *wstate)
{
	S3Writer *w = wstate;

	free(w->key);
	free(w->upload_id);
	buf_free(&w->part);
	buf_free(&w->md5s);
	md5_free(&w->whole);
	strlist_clear(&w->etags);
	free(w);
}

/* Leaves nothing behind that a later run must clean: the upload is aborted, a stored object
 * deleted. What cannot be undone now is an orphan for `ebb verify --gc`. */
void
store_s3_writer_abort(void *wstate)
{
	S3Writer *w = wstate;
	EbbError err;

	error_init(&err);
	if (w->stored)
	{
		S3Request req = {.method = "DELETE", .key = w->key, .what = "remove"};
		S3Response resp;
		if (!store_s3_request(w->c, &req, &resp, &err))
			log_warning("%s (ebb verify --gc removes it later)", err.message);
		store_s3_request_free(&req);
		store_s3_response_free(&resp);
	}
	else if (w->upload_id && !store_s3_upload_abort(w->c, w->key, w->upload_id, &err))
		log_warning("%s (ebb verify --gc aborts it later)", err.message);
	store_s3_writer_free(w);
}
