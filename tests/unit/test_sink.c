/*
 * test_sink.c: common/sink.c's HashSink and common/hash.c, against the FIPS 180-2 SHA-256
 * test vectors (appendix B) and the digest of the empty message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/sink.h"

typedef struct CollectSink
{
	Sink base;
	Buf buf;
	bool fail;
} CollectSink;

static bool
collect_write(Sink *sink, const void *data, size_t len, EbbError *err)
{
	CollectSink *cs = (CollectSink *) sink;

	if (cs->fail)
		return error_set(err, EBB_ERR_IO, "next stage failed");
	buf_append(&cs->buf, data, len);
	return true;
}

static const SinkOps collect_ops = {.write = collect_write, .finish = NULL};

static void
collect_init(CollectSink *cs)
{
	memset(cs, 0, sizeof(*cs));
	cs->base.ops = &collect_ops;
	buf_init(&cs->buf);
}

static const char sha_abc[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
static const char sha_448[] = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
static const char sha_million_a[] =
	"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
static const char sha_empty[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
static const char msg_448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

static void
test_hash_sink_abc(void **state)
{
	CollectSink cs;
	HashSink hs;
	EbbError err;
	char hex[65];

	collect_init(&cs);
	error_init(&err);
	hash_sink_init(&hs, &cs.base);
	assert_true(sink_write(&hs.base, "abc", 3, &err));
	assert_true(sink_finish(&hs.base, &err));
	hash_sink_result(&hs, hex);
	assert_string_equal(hex, sha_abc);
	assert_true(hs.bytes == 3);
	/* The bytes are forwarded unchanged. */
	assert_int_equal(cs.buf.len, 3);
	assert_memory_equal(cs.buf.data, "abc", 3);
	buf_free(&cs.buf);
}

static void
test_hash_sink_two_block_message_in_pieces(void **state)
{
	CollectSink cs;
	HashSink hs;
	EbbError err;
	char hex[65];
	size_t len = strlen(msg_448);

	collect_init(&cs);
	error_init(&err);
	hash_sink_init(&hs, &cs.base);
	/* Streaming: split at every odd place, the digest is that of the whole. */
	for (size_t off = 0, n = 1; off < len; off += n, n++)
		assert_true(sink_write(&hs.base, msg_448 + off, n < len - off ? n : len - off, &err));
	hash_sink_result(&hs, hex);
	assert_string_equal(hex, sha_448);
	assert_true(hs.bytes == len);
	assert_string_equal(buf_cstr(&cs.buf), msg_448);
	buf_free(&cs.buf);
}

static void
test_hash_sink_million_a(void **state)
{
	CollectSink cs;
	HashSink hs;
	EbbError err;
	char hex[65], chunk[1000];

	collect_init(&cs);
	error_init(&err);
	memset(chunk, 'a', sizeof(chunk));
	hash_sink_init(&hs, &cs.base);
	for (int i = 0; i < 1000; i++)
		assert_true(sink_write(&hs.base, chunk, sizeof(chunk), &err));
	hash_sink_result(&hs, hex);
	assert_string_equal(hex, sha_million_a);
	assert_true(hs.bytes == 1000000);
	assert_int_equal(cs.buf.len, 1000000);
	buf_free(&cs.buf);
}

static void
test_hash_sink_empty(void **state)
{
	CollectSink cs;
	HashSink hs;
	EbbError err;
	char hex[65];

	collect_init(&cs);
	error_init(&err);
	hash_sink_init(&hs, &cs.base);
	assert_true(sink_write(&hs.base, "", 0, &err));
	hash_sink_result(&hs, hex);
	assert_string_equal(hex, sha_empty);
	assert_true(hs.bytes == 0);
	buf_free(&cs.buf);
}

static void
test_hash_sink_next_failure_propagates(void **state)
{
	CollectSink cs;
	HashSink hs;
	EbbError err;
	char hex[65];

	collect_init(&cs);
	cs.fail = true;
	error_init(&err);
	hash_sink_init(&hs, &cs.base);
	assert_false(sink_write(&hs.base, "abc", 3, &err));
	assert_string_equal(err.message, "next stage failed");
	assert_int_equal(err.code, EBB_ERR_IO);
	hash_sink_result(&hs, hex); /* frees the digest context */
	buf_free(&cs.buf);
}

static void
test_sha256_direct(void **state)
{
	Sha256 h;
	char hex[65];

	sha256_init(&h);
	sha256_update(&h, "a", 1);
	sha256_update(&h, "bc", 2);
	sha256_final_hex(&h, hex);
	assert_string_equal(hex, sha_abc);
	assert_null(h.ctx); /* final frees the context */
	sha256_free(&h);    /* and a second free is harmless */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_sink_abc),
		cmocka_unit_test(test_hash_sink_two_block_message_in_pieces),
		cmocka_unit_test(test_hash_sink_million_a),
		cmocka_unit_test(test_hash_sink_empty),
		cmocka_unit_test(test_hash_sink_next_failure_propagates),
		cmocka_unit_test(test_sha256_direct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
