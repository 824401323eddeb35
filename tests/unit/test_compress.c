/*
 * test_compress.c: the compressor stages (src/compress/). Bytes go through a stage into a
 * collecting Sink, and come back with the libraries' own decoders (ZSTD_decompressStream,
 * zlib inflate in gzip mode), which is what `zstd -dc` and `gzip -dc` do. The decompressing
 * stages (what ebb verify reads objects with) are checked against the compressors, and on
 * truncated, corrupt and foreign input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "common/buf.h"
#include "compress/compressor.h"
#include "unit_util.h"

/* ---- a Sink that keeps everything, and can be told to fail ---- */

typedef struct CollectSink
{
	Sink base;
	Buf buf;
	int writes;
	size_t fail_after; /* fail the write that would pass this many bytes (0: never) */
} CollectSink;

static bool
collect_write(Sink *sink, const void *data, size_t len, EbbError *err)
{
	CollectSink *cs = (CollectSink *) sink;

	if (cs->fail_after && cs->buf.len + len > cs->fail_after)
		return error_set(err, EBB_ERR_IO, "could not write to test sink: disk full");
	buf_append(&cs->buf, data, len);
	cs->writes++;
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

/* ---- test data ---- */

/* Text-like rows (compressible) followed by random bytes (not). */
static Buf
make_data(size_t text_bytes, size_t random_bytes)
{
	TestRng rng = {12345};
	Buf b;

	buf_init(&b);
	for (int i = 0; b.len < text_bytes; i++)
		buf_printf(&b, "%d,2026-03-29 01:%02d:00+00,\"event %d\",tenant_%d\n", i, i % 60, i % 97,
				   i % 13);
	b.len = text_bytes;
	buf_reserve(&b, random_bytes);
	for (size_t i = 0; i < random_bytes; i++)
		b.data[b.len++] = (char) (rng_next(&rng) >> 56);
	return b;
}

/* Writes data through the stage in uneven slices, then finishes the stage. */
static void
push_through(Sink *stage, const Buf *data)
{
	static const size_t slices[] = {1, 7, 4096, 65537, 3, 1 << 20, 123457};
	EbbError err;
	size_t off = 0;

	error_init(&err);
	for (int i = 0; off < data->len; i++)
	{
		size_t n = slices[i % 7];
		if (n > data->len - off)
			n = data->len - off;
		if (!sink_write(stage, data->data + off, n, &err))
			fail_msg("write failed: %s", err.message);
		off += n;
	}
	if (!sink_finish(stage, &err))
		fail_msg("finish failed: %s", err.message);
}

/* ---- independent decoders ---- */

static Buf
zstd_decompress_all(const Buf *in)
{
	ZSTD_DStream *ds = ZSTD_createDStream();
	ZSTD_inBuffer ib = {in->data, in->len, 0};
	size_t outcap = ZSTD_DStreamOutSize(), rc = 1;
	void *tmp = malloc(outcap);
	Buf out;

	assert_non_null(ds);
	assert_non_null(tmp);
	buf_init(&out);
	ZSTD_initDStream(ds);
	while (ib.pos < ib.size || rc != 0)
	{
		ZSTD_outBuffer ob = {tmp, outcap, 0};
		size_t before = ib.pos;
		rc = ZSTD_decompressStream(ds, &ob, &ib);
		if (ZSTD_isError(rc))
			fail_msg("zstd: %s", ZSTD_getErrorName(rc));
		buf_append(&out, tmp, ob.pos);
		/* No progress with input left, or input gone mid-frame: truncated. */
		if (ob.pos == 0 && ib.pos == before)
			fail_msg("zstd: truncated frame");
	}
	assert_int_equal(rc, 0); /* the frame is complete */
	ZSTD_freeDStream(ds);
	free(tmp);
	return out;
}

static Buf
gzip_decompress_all(const Buf *in)
{
	z_stream zs;
	unsigned char tmp[65536];
	Buf out;
	int rc;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK); /* 31: gzip wrapper only */
	zs.next_in = (unsigned char *) in->data;
	zs.avail_in = (uInt) in->len;
	buf_init(&out);
	do
	{
		zs.next_out = tmp;
		zs.avail_out = sizeof(tmp);
		rc = inflate(&zs, Z_NO_FLUSH);
		if (rc != Z_OK && rc != Z_STREAM_END)
			fail_msg("inflate: %d %s", rc, zs.msg ? zs.msg : "");
		buf_append(&out, tmp, sizeof(tmp) - zs.avail_out);
	} while (rc != Z_STREAM_END);
	assert_int_equal(zs.avail_in, 0); /* nothing after the gzip member */
	inflateEnd(&zs);
	return out;
}

static void
assert_same_bytes(const Buf *a, const Buf *b)
{
	assert_int_equal(a->len, b->len);
	if (a->len && memcmp(a->data, b->data, a->len) != 0)
		fail_msg("decompressed bytes differ from the input");
}

/* Compresses data with the named method and level; returns the compressed bytes. */
static Buf
compress_with(const char *method, int level, const Buf *data)
{
	const CompressorDriver *drv = compressor_find(method);
	CollectSink cs;
	EbbError err;

	assert_non_null(drv);
	collect_init(&cs);
	error_init(&err);
	Sink *stage = compressor_create(drv, &cs.base, level, &err);
	if (!stage)
		fail_msg("compressor_create(%s, %d): %s", method, level, err.message);
	push_through(stage, data);
	compressor_destroy(drv, stage);
	return cs.buf;
}

/* ---- round trips ---- */

static void
test_zstd_round_trip(void **state)
{
	Buf data = make_data(3 << 20, 1 << 20);
	Buf z = compress_with("zstd", -1, &data);
	const unsigned char *h = (const unsigned char *) z.data;

	/*
	 * One frame (RFC 8878 3.1.1): magic 0xFD2FB528 little-endian, then the frame header
	 * descriptor whose bit 2 is Content_Checksum_flag, so readers detect corruption.
	 */
	assert_true(z.len > 5);
	assert_memory_equal(h, "\x28\xb5\x2f\xfd", 4);
	assert_int_equal(h[4] & 0x04, 0x04);
	assert_int_equal(ZSTD_findFrameCompressedSize(z.data, z.len), z.len);
	Buf back = zstd_decompress_all(&z);
	assert_same_bytes(&back, &data);
	/* 3 MiB of text must shrink a lot; 1 MiB of random bytes cannot. */
	assert_true(z.len < (1 << 20) + (3 << 20) / 5);
	assert_true(z.len > (1 << 20));
	buf_free(&back);
	buf_free(&z);
	buf_free(&data);
}

static void
test_gzip_round_trip(void **state)
{
	Buf data = make_data(3 << 20, 1 << 20);
	Buf z = compress_with("gzip", -1, &data);

	assert_true(z.len > 10);
	assert_int_equal((unsigned char) z.data[0], 0x1f); /* gzip magic (RFC 1952) */
	assert_int_equal((unsigned char) z.data[1], 0x8b);
	assert_int_equal((unsigned char) z.data[2], 8); /* deflate */
	Buf back = gzip_decompress_all(&z);
	assert_same_bytes(&back, &data);
	assert_true(z.len < (1 << 20) + (3 << 20) / 5);
	/* The trailer's ISIZE is the input length mod 2^32, little-endian. */
	const unsigned char *t = (const unsigned char *) z.data + z.len - 4;
	assert_int_equal((uint32_t) t[0] | (uint32_t) t[1] << 8 | (uint32_t) t[2] << 16 |
						 (uint32_t) t[3] << 24,
					 (uint32_t) data.len);
	buf_free(&back);
	buf_free(&z);
	buf_free(&data);
}

static void
test_none_passes_through(void **state)
{
	Buf data = make_data(1 << 20, 1 << 20);
	Buf z = compress_with("none", -1, &data);

	assert_same_bytes(&z, &data);
	buf_free(&z);
	buf_free(&data);
}

static void
test_every_level_round_trips(void **state)
{
	Buf data = make_data(96 << 10, 32 << 10);

	for (int level = 1; level <= 19; level++)
	{
		Buf z = compress_with("zstd", level, &data);
		Buf back = zstd_decompress_all(&z);
		assert_same_bytes(&back, &data);
		buf_free(&back);
		buf_free(&z);
	}
	for (int level = 1; level <= 9; level++)
	{
		Buf z = compress_with("gzip", level, &data);
		Buf back = gzip_decompress_all(&z);
		assert_same_bytes(&back, &data);
		buf_free(&back);
		buf_free(&z);
	}
	buf_free(&data);
}

static void
test_empty_input(void **state)
{
	Buf empty;

	buf_init(&empty);
	/* An object with no rows is still a valid, complete compressed file. */
	Buf z = compress_with("zstd", -1, &empty);
	assert_true(z.len > 0);
	Buf back = zstd_decompress_all(&z);
	assert_int_equal(back.len, 0);
	buf_free(&back);
	buf_free(&z);
	z = compress_with("gzip", -1, &empty);
	assert_true(z.len >= 18); /* 10-byte header, empty deflate block, 8-byte trailer */
	back = gzip_decompress_all(&z);
	assert_int_equal(back.len, 0);
	buf_free(&back);
	buf_free(&z);
	z = compress_with("none", -1, &empty);
	assert_int_equal(z.len, 0);
	buf_free(&z);
}

/* ---- levels and lookup ---- */

static void
check_bad_level(const char *method, int level, const char *message, const char *hint)
{
	const CompressorDriver *drv = compressor_find(method);
	CollectSink cs;
	EbbError err;

	collect_init(&cs);
	error_init(&err);
	assert_null(compressor_create(drv, &cs.base, level, &err));
	assert_string_equal(err.message, message);
	assert_string_equal(err.hint, hint);
	assert_int_equal(err.code, EBB_ERR_USAGE);
	assert_int_equal(cs.buf.len, 0);
}

static void
test_level_validation(void **state)
{
	check_bad_level("zstd", 0, "invalid compression level 0 for \"zstd\"",
					"Use a level from 1 to 19.");
	check_bad_level("zstd", 20, "invalid compression level 20 for \"zstd\"",
					"Use a level from 1 to 19.");
	check_bad_level("gzip", 0, "invalid compression level 0 for \"gzip\"",
					"Use a level from 1 to 9.");
	check_bad_level("gzip", 10, "invalid compression level 10 for \"gzip\"",
					"Use a level from 1 to 9.");
	check_bad_level("none", 1, "invalid compression level 1 for \"none\"",
					"Use a level from 0 to 0.");
}

static void
test_find_and_extensions(void **state)
{
	assert_string_equal(compressor_find("zstd")->extension, "zst");
	assert_string_equal(compressor_find("gzip")->extension, "gz");
	assert_string_equal(compressor_find("none")->extension, "");
	assert_int_equal(compressor_find("zstd")->default_level, 3);
	assert_int_equal(compressor_find("gzip")->default_level, 6);
	assert_null(compressor_find("lz4"));
	assert_null(compressor_find("ZSTD"));
	assert_string_equal(compressor_names(), "zstd, gzip, none");
}

/* ---- a failing next stage ---- */

static void
check_downstream_failure(const char *method)
{
	const CompressorDriver *drv = compressor_find(method);
	Buf data = make_data(0, 2 << 20); /* random: the output is as big as the input */
	CollectSink cs;
	EbbError err;
	bool ok = true;

	collect_init(&cs);
	cs.fail_after = 256 << 10;
	error_init(&err);
	Sink *stage = compressor_create(drv, &cs.base, -1, &err);
	assert_non_null(stage);
	for (size_t off = 0; ok && off < data.len; off += 65536)
		ok = sink_write(stage, data.data + off, 65536, &err);
	if (ok)
		ok = sink_finish(stage, &err);
	/* The next stage's error comes back unchanged. */
	assert_false(ok);
	assert_string_equal(err.message, "could not write to test sink: disk full");
	assert_int_equal(err.code, EBB_ERR_IO);
	compressor_destroy(drv, stage);
	buf_free(&cs.buf);
	buf_free(&data);
}

static void
test_downstream_failure_propagates(void **state)
{
	check_downstream_failure("zstd");
	check_downstream_failure("gzip");
	check_downstream_failure("none");
}

/* ---- decompressing stages ---- */

/* Runs bytes through the named decompressor in uneven slices. Returns whether every write and
 * the finish succeeded; the output so far is in *out, the first error in *err. */
static bool
decompress_with(const char *method, const void *data, size_t len, Buf *out, EbbError *err)
{
	static const size_t slices[] = {1, 5, 3, 65536, 17, 1 << 20, 4099};
	const CompressorDriver *drv = compressor_find(method);
	CollectSink cs;
	size_t off = 0;
	bool ok = true;

	assert_non_null(drv);
	collect_init(&cs);
	error_init(err);
	Sink *stage = decompressor_create(drv, &cs.base, err);
	assert_non_null(stage);
	for (int i = 0; ok && off < len; i++)
	{
		size_t n = slices[i % 7] < len - off ? slices[i % 7] : len - off;
		ok = sink_write(stage, (const char *) data + off, n, err);
		off += n;
	}
	if (ok)
		ok = sink_finish(stage, err);
	decompressor_destroy(drv, stage);
	*out = cs.buf;
	return ok;
}

/* Expects the named decompressor to reject the input with exactly this message. */
static void
check_rejected(const char *method, const void *data, size_t len, const char *message)
{
	EbbError err;
	Buf out;

	if (decompress_with(method, data, len, &out, &err))
		fail_msg("%s accepted %zu bad bytes", method, len);
	assert_string_equal(err.message, message);
	assert_int_equal(err.code, EBB_ERR_VERIFY);
	buf_free(&out);
}

static void
check_decompress_round_trip(const char *method, const Buf *data)
{
	Buf z = compress_with(method, -1, data);
	EbbError err;
	Buf back;

	if (!decompress_with(method, z.data, z.len, &back, &err))
		fail_msg("%s: %s", method, err.message);
	assert_same_bytes(&back, data);
	buf_free(&back);
	buf_free(&z);
}

static void
test_decompress_round_trip(void **state)
{
	Buf data = make_data(3 << 20, 1 << 20);
	Buf empty;

	buf_init(&empty);
	for (int i = 0; i < 3; i++)
	{
		const char *method = (const char *[]){"zstd", "gzip", "none"}[i];
		check_decompress_round_trip(method, &data);
		check_decompress_round_trip(method, &empty); /* an object of a header only is small */
	}
	buf_free(&data);
}

/* Every cut of a stream short of its end is caught: at finish, or earlier when the cut leaves
 * something undecodable. */
static void
test_decompress_truncated(void **state)
{
	Buf data = make_data(200 << 10, 20 << 10);
	static const char *const msgs[] = {"could not decompress with zstd: unexpected end of data",
									   "could not decompress with gzip: unexpected end of data"};

	for (int i = 0; i < 2; i++)
	{
		const char *method = i == 0 ? "zstd" : "gzip";
		Buf z = compress_with(method, -1, &data);
		size_t cuts[] = {0, 1, 4, 9, 12, z.len / 2, z.len - 8, z.len - 4, z.len - 1};
		for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++)
			check_rejected(method, z.data, cuts[c], msgs[i]);
		buf_free(&z);
	}
	buf_free(&data);
}

static void
test_decompress_garbage(void **state)
{
	static const char text[] = "id,triggered_at\n1,2026-03-29 01:00:00\n";
	TestRng rng = {99};
	char noise[4096];

	for (size_t i = 0; i < sizeof(noise); i++)
		noise[i] = (char) (rng_next(&rng) >> 56);
	check_rejected("zstd", text, sizeof(text) - 1,
				   "could not decompress with zstd: Unknown frame descriptor");
	check_rejected("gzip", text, sizeof(text) - 1,
				   "could not decompress with gzip: incorrect header check");
	check_rejected("zstd", noise, sizeof(noise),
				   "could not decompress with zstd: Unknown frame descriptor");
	check_rejected("gzip", noise, sizeof(noise),
				   "could not decompress with gzip: incorrect header check");
}

/* One flipped byte in the middle of the data, or in the checksum trailer, is caught. */
static void
test_decompress_corrupt(void **state)
{
	Buf data = make_data(256 << 10, 0);
	Buf z = compress_with("zstd", -1, &data);

	z.data[z.len - 2] ^= 0x01; /* the frame's content checksum */
	check_rejected("zstd", z.data, z.len,
				   "could not decompress with zstd: Restored data doesn't match checksum");
	buf_free(&z);
	z = compress_with("gzip", -1, &data);
	z.data[z.len - 6] ^= 0x01; /* the member's CRC-32 */
	check_rejected("gzip", z.data, z.len, "could not decompress with gzip: incorrect data check");
	buf_free(&z);
	z = compress_with("gzip", -1, &data);
	z.data[z.len - 2] ^= 0x01; /* the member's ISIZE */
	check_rejected("gzip", z.data, z.len, "could not decompress with gzip: incorrect length check");
	buf_free(&z);

	/* A flip anywhere in the body: some error, never silently different bytes. */
	for (int i = 0; i < 2; i++)
	{
		const char *method = i == 0 ? "zstd" : "gzip";
		z = compress_with(method, -1, &data);
		for (size_t pos = 20; pos < z.len - 8; pos += z.len / 13)
		{
			EbbError err;
			Buf out;
			z.data[pos] ^= 0x40;
			if (decompress_with(method, z.data, z.len, &out, &err))
				fail_msg("%s: a flipped byte at %zu went unnoticed", method, pos);
			assert_int_equal(err.code, EBB_ERR_VERIFY);
			z.data[pos] ^= 0x40;
			buf_free(&out);
		}
		buf_free(&z);
	}
	buf_free(&data);
}

/* Concatenated streams read as one (as zstd -dc and gzip -dc do); bytes after the end that are
 * no stream are an error. */
static void
test_decompress_concatenated_and_trailing(void **state)
{
	Buf data = make_data(64 << 10, 0);

	for (int i = 0; i < 2; i++)
	{
		const char *method = i == 0 ? "zstd" : "gzip";
		Buf z = compress_with(method, -1, &data);
		Buf two, back, want;
		EbbError err;

		buf_init(&two);
		buf_append(&two, z.data, z.len);
		buf_append(&two, z.data, z.len);
		buf_init(&want);
		buf_append(&want, data.data, data.len);
		buf_append(&want, data.data, data.len);
		if (!decompress_with(method, two.data, two.len, &back, &err))
			fail_msg("%s: %s", method, err.message);
		assert_same_bytes(&back, &want);
		buf_free(&back);
		buf_append(&z, "junk", 4);
		check_rejected(method, z.data, z.len,
					   i == 0 ? "could not decompress with zstd: Unknown frame descriptor"
							  : "could not decompress with gzip: incorrect header check");
		buf_free(&want);
		buf_free(&two);
		buf_free(&z);
	}
	buf_free(&data);
}

static void
test_decompress_downstream_failure(void **state)
{
	Buf data = make_data(0, 1 << 20);

	for (int i = 0; i < 3; i++)
	{
		const char *method = (const char *[]){"zstd", "gzip", "none"}[i];
		const CompressorDriver *drv = compressor_find(method);
		Buf z = compress_with(method, -1, &data);
		CollectSink cs;
		EbbError err;

		collect_init(&cs);
		cs.fail_after = 100 << 10;
		error_init(&err);
		Sink *stage = decompressor_create(drv, &cs.base, &err);
		bool ok = sink_write(stage, z.data, z.len, &err) && sink_finish(stage, &err);
		assert_false(ok);
		assert_string_equal(err.message, "could not write to test sink: disk full");
		assert_int_equal(err.code, EBB_ERR_IO);
		decompressor_destroy(drv, stage);
		buf_free(&cs.buf);
		buf_free(&z);
	}
	buf_free(&data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zstd_round_trip),
		cmocka_unit_test(test_gzip_round_trip),
		cmocka_unit_test(test_none_passes_through),
		cmocka_unit_test(test_every_level_round_trips),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_level_validation),
		cmocka_unit_test(test_find_and_extensions),
		cmocka_unit_test(test_downstream_failure_propagates),
		cmocka_unit_test(test_decompress_round_trip),
		cmocka_unit_test(test_decompress_truncated),
		cmocka_unit_test(test_decompress_garbage),
		cmocka_unit_test(test_decompress_corrupt),
		cmocka_unit_test(test_decompress_concatenated_and_trailing),
		cmocka_unit_test(test_decompress_downstream_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
