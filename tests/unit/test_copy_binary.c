/*
 * test_copy_binary.c: pg/copy.c's binary COPY decoding against the format PostgreSQL documents
 * (sql-copy.html, "Binary Format"): an 11-byte signature "PGCOPY\n\377\r\n\0", a 32-bit flags
 * field (bits 16-31 critical: a reader must stop on one it does not know), a 32-bit header
 * extension length and that many bytes; then tuples of an int16 field count and, per field,
 * an int32 length (-1 for NULL) and the bytes; then the trailer, an int16 -1. All integers
 * are big-endian. The streaming reader feeds the decoders whatever bytes it has, so an
 * incomplete item must come back as "true, used 0", never as an error or a partial item.
 * Every input sits in a heap buffer of exactly its length (ASan catches a read past it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "pg/copy.h"
#include "unit_util.h"

#define SIGNATURE     "PGCOPY\n\377\r\n\0"
#define SIGNATURE_LEN 11

static void
put16(Buf *b, uint16_t v)
{
	char p[2] = {(char) (v >> 8), (char) v};
	buf_append(b, p, 2);
}

static void
put32(Buf *b, uint32_t v)
{
	char p[4] = {(char) (v >> 24), (char) (v >> 16), (char) (v >> 8), (char) v};
	buf_append(b, p, 4);
}

static void
header(Buf *b, uint32_t flags, uint32_t ext)
{
	buf_append(b, SIGNATURE, SIGNATURE_LEN);
	put32(b, flags);
	put32(b, ext);
	for (uint32_t i = 0; i < ext; i++)
		buf_append_char(b, (char) ('a' + i % 26));
}

/* A field: NULL when data is NULL. */
static void
field(Buf *b, const char *data, size_t len)
{
	if (!data)
	{
		put32(b, UINT32_MAX);
		return;
	}
	put32(b, (uint32_t) len);
	buf_append(b, data, len);
}

/* An exact heap copy of data[0..len). */
static char *
exact(const void *data, size_t len)
{
	char *p = malloc(len ? len : 1);

	assert_non_null(p);
	if (len)
		memcpy(p, data, len);
	return p;
}

typedef struct Decoded
{
	bool ok;
	size_t used;
	bool trailer;
	RowField f[8];
	EbbError err;
} Decoded;

static Decoded
decode(const void *data, size_t len, int ncols)
{
	Decoded d;
	char *p = exact(data, len);

	memset(&d, 0, sizeof(d));
	error_init(&d.err);
	d.ok = pg_copy_decode_binary(p, len, d.f, ncols, &d.used, &d.trailer, &d.err);
	/* fields point into the copy: translate them to the caller's bytes */
	for (int i = 0; i < ncols && i < 8; i++)
		if (d.f[i].data)
			d.f[i].data = (const char *) data + (d.f[i].data - p);
	free(p);
	return d;
}

typedef struct Header
{
	bool ok;
	size_t used;
	EbbError err;
} Header;

static Header
decode_header(const void *data, size_t len)
{
	Header h;
	char *p = exact(data, len);

	memset(&h, 0, sizeof(h));
	error_init(&h.err);
	h.ok = pg_copy_binary_header(p, len, &h.used, &h.err);
	free(p);
	return h;
}

/* ---- the header ---- */

static void
test_header(void **state)
{
	Buf b;

	buf_init(&b);
	header(&b, 0, 0);
	assert_int_equal(b.len, 19);
	Header h = decode_header(b.data, b.len);
	assert_true(h.ok);
	assert_int_equal(h.used, 19);
	/* with the first tuple behind it: still 19 */
	put16(&b, 1);
	field(&b, "x", 1);
	h = decode_header(b.data, b.len);
	assert_true(h.ok);
	assert_int_equal(h.used, 19);
	buf_free(&b);
}

static void
test_header_prefixes_incomplete(void **state)
{
	Buf b;

	buf_init(&b);
	header(&b, 0, 0);
	for (size_t len = 0; len < b.len; len++)
	{
		Header h = decode_header(b.data, len);
		assert_true(h.ok);
		assert_int_equal(h.used, 0);
	}
	buf_free(&b);
}

static void
test_header_bad_signature(void **state)
{
	Buf b;

	buf_init(&b);
	header(&b, 0, 0);
	/* any wrong byte of the signature, seen whole or as a prefix */
	for (size_t i = 0; i < SIGNATURE_LEN; i++)
	{
		b.data[i] ^= 0x20;
		Header h = decode_header(b.data, b.len);
		assert_false(h.ok);
		assert_int_equal(h.err.code, EBB_ERR_QUERY);
		h = decode_header(b.data, i + 1);
		assert_false(h.ok);
		b.data[i] ^= 0x20;
	}
	/* text COPY data is not a binary header */
	Header h = decode_header("1\tabc\n", 6);
	assert_false(h.ok);
	h = decode_header("1\tabc\tdef\tghijklmnop\n", 21);
	assert_false(h.ok);
	buf_free(&b);
}

static void
test_header_flags(void **state)
{
	Buf b;

	buf_init(&b);
	/* bits 0-15 are not critical: ignored */
	header(&b, 0x0000FFFFu, 0);
	Header h = decode_header(b.data, b.len);
	assert_true(h.ok);
	assert_int_equal(h.used, 19);
	/* any of bits 16-31 (bit 16: OIDs in the data) is */
	for (int bit = 16; bit < 32; bit++)
	{
		buf_reset(&b);
		header(&b, 1u << bit, 0);
		h = decode_header(b.data, b.len);
		assert_false(h.ok);
		assert_int_equal(h.err.code, EBB_ERR_QUERY);
	}
	buf_free(&b);
}

static void
test_header_extension_skipped(void **state)
{
	Buf b;

	buf_init(&b);
	header(&b, 0, 10);
	assert_int_equal(b.len, 29);
	/* whole: the extension is skipped */
	Header h = decode_header(b.data, b.len);
	assert_true(h.ok);
	assert_int_equal(h.used, 29);
	/* the fixed part there, the extension not yet: incomplete */
	for (size_t len = 19; len < 29; len++)
	{
		h = decode_header(b.data, len);
		assert_true(h.ok);
		assert_int_equal(h.used, 0);
	}
	/* the first tuple right after the extension decodes from there */
	put16(&b, 1);
	field(&b, "abc", 3);
	h = decode_header(b.data, b.len);
	assert_int_equal(h.used, 29);
	Decoded d = decode(b.data + h.used, b.len - h.used, 1);
	assert_true(d.ok);
	assert_int_equal(d.used, 2 + 4 + 3);
	assert_int_equal(d.f[0].len, 3);
	assert_memory_equal(d.f[0].data, "abc", 3);
	/* an absurd extension length is an error, not a wait for gigabytes */
	buf_reset(&b);
	header(&b, 0, 0);
	memcpy(b.data + 15, "\xff\xff\xff\xff", 4);
	h = decode_header(b.data, b.len);
	assert_false(h.ok);
	buf_free(&b);
}

/* ---- tuples ---- */

static void
test_tuple_null_and_empty(void **state)
{
	Buf b;

	buf_init(&b);
	put16(&b, 4);
	field(&b, "\x00\x00\x00\x2a", 4);
	field(&b, NULL, 0);
	field(&b, "", 0);
	field(&b, "caf\xc3\xa9", 5);
	size_t tuple = b.len;
	put16(&b, 0xFFFF); /* the trailer follows */
	Decoded d = decode(b.data, b.len, 4);
	assert_true(d.ok);
	assert_false(d.trailer);
	assert_int_equal(d.used, tuple);
	assert_int_equal(tuple, 2 + 4 * 4 + 4 + 0 + 0 + 5);
	assert_false(d.f[0].isnull);
	assert_int_equal(d.f[0].len, 4);
	assert_memory_equal(d.f[0].data, "\x00\x00\x00\x2a", 4);
	assert_ptr_equal(d.f[0].data, b.data + 6); /* pointing into the data, not copied */
	assert_true(d.f[1].isnull);
	assert_int_equal(d.f[1].len, 0);
	assert_false(d.f[2].isnull); /* empty is not NULL */
	assert_int_equal(d.f[2].len, 0);
	assert_false(d.f[3].isnull);
	assert_int_equal(d.f[3].len, 5);
	assert_memory_equal(d.f[3].data, "caf\xc3\xa9", 5);
	/* then the trailer */
	d = decode(b.data + tuple, b.len - tuple, 4);
	assert_true(d.ok);
	assert_true(d.trailer);
	assert_int_equal(d.used, 2);
	buf_free(&b);
}

static void
test_trailer(void **state)
{
	Decoded d = decode("\xff\xff", 2, 3);

	assert_true(d.ok);
	assert_true(d.trailer);
	assert_int_equal(d.used, 2);
	/* only its first byte: incomplete */
	d = decode("\xff", 1, 3);
	assert_true(d.ok);
	assert_false(d.trailer);
	assert_int_equal(d.used, 0);
	d = decode("", 0, 3);
	assert_true(d.ok);
	assert_int_equal(d.used, 0);
	/* bytes after the trailer are the caller's business: used stays 2 */
	d = decode("\xff\xff\x00\x01", 4, 3);
	assert_true(d.trailer);
	assert_int_equal(d.used, 2);
}

static void
test_field_count_mismatch(void **state)
{
	Buf b;

	buf_init(&b);
	put16(&b, 2);
	field(&b, "a", 1);
	field(&b, "b", 1);
	Decoded d = decode(b.data, b.len, 3);
	assert_false(d.ok);
	assert_int_equal(d.err.code, EBB_ERR_QUERY);
	d = decode(b.data, b.len, 1);
	assert_false(d.ok);
	/* known from the count alone, before the fields arrive */
	d = decode(b.data, 2, 3);
	assert_false(d.ok);
	d = decode(b.data, b.len, 2);
	assert_true(d.ok);
	assert_int_equal(d.used, b.len);
	/* another negative count is not the trailer */
	d = decode("\xff\xfe", 2, 2);
	assert_false(d.ok);
	buf_free(&b);
}

static void
test_zero_columns(void **state)
{
	Decoded d = decode("\x00\x00", 2, 0);

	assert_true(d.ok);
	assert_false(d.trailer);
	assert_int_equal(d.used, 2);
}

static void
test_every_prefix_incomplete(void **state)
{
	Buf b;

	buf_init(&b);
	put16(&b, 5);
	field(&b, "hello", 5);
	field(&b, NULL, 0);
	field(&b, "", 0);
	field(&b, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	field(&b, "z", 1);
	for (size_t len = 0; len < b.len; len++)
	{
		Decoded d = decode(b.data, len, 5);
		if (!d.ok || d.used != 0 || d.trailer)
			fail_msg("prefix of %zu of %zu bytes: ok %d, used %zu", len, b.len, d.ok, d.used);
	}
	Decoded d = decode(b.data, b.len, 5);
	assert_true(d.ok);
	assert_int_equal(d.used, b.len);
	assert_memory_equal(d.f[0].data, "hello", 5);
	assert_true(d.f[1].isnull);
	assert_int_equal(d.f[4].len, 1);
	buf_free(&b);
}

static void
test_negative_lengths_rejected(void **state)
{
	const uint32_t bad[] = {(uint32_t) -2, (uint32_t) -100, (uint32_t) INT32_MIN};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		Buf b;
		buf_init(&b);
		put16(&b, 2);
		field(&b, "a", 1);
		put32(&b, bad[i]);
		buf_append(&b, "xyz", 3);
		Decoded d = decode(b.data, b.len, 2);
		assert_false(d.ok);
		assert_int_equal(d.err.code, EBB_ERR_QUERY);
		/* even with nothing after the length */
		d = decode(b.data, 2 + 5 + 4, 2);
		assert_false(d.ok);
		buf_free(&b);
	}
}

static void
test_long_field_waits(void **state)
{
	/* a length larger than the bytes at hand (up to 2^31 - 1): incomplete, not an error */
	Buf b;

	buf_init(&b);
	put16(&b, 1);
	put32(&b, INT32_MAX);
	buf_append(&b, "abc", 3);
	Decoded d = decode(b.data, b.len, 1);
	assert_true(d.ok);
	assert_int_equal(d.used, 0);
	buf_free(&b);
}

static void
test_stream_of_tuples(void **state)
{
	/* random tuples back to back, decoded one after the other, then the trailer */
	TestRng rng = {UINT64_C(0x853C49E6748FEA9B)};
	Buf b;
	enum
	{
		NCOLS = 6,
		NTUPLES = 300
	};
	static char payload[NTUPLES][NCOLS][40];
	static int lens[NTUPLES][NCOLS];

	buf_init(&b);
	header(&b, 0, (uint32_t) rng_below(&rng, 8));
	for (int t = 0; t < NTUPLES; t++)
	{
		put16(&b, NCOLS);
		for (int c = 0; c < NCOLS; c++)
		{
			int len = (int) rng_below(&rng, 41) - 1; /* -1: NULL */
			lens[t][c] = len;
			for (int k = 0; k < len; k++)
				payload[t][c][k] = (char) rng_next(&rng);
			field(&b, len < 0 ? NULL : payload[t][c], len < 0 ? 0 : (size_t) len);
		}
	}
	put16(&b, 0xFFFF);

	Header h = decode_header(b.data, b.len);
	assert_true(h.ok);
	size_t pos = h.used;
	for (int t = 0; t < NTUPLES; t++)
	{
		/* each tuple is incomplete until its last byte */
		Decoded d = decode(b.data + pos, b.len - pos, NCOLS);
		assert_true(d.ok);
		assert_false(d.trailer);
		assert_true(d.used > 0);
		Decoded cut = decode(b.data + pos, d.used - 1, NCOLS);
		assert_true(cut.ok);
		assert_int_equal(cut.used, 0);
		for (int c = 0; c < NCOLS; c++)
		{
			assert_int_equal(d.f[c].isnull, lens[t][c] < 0);
			if (lens[t][c] >= 0)
			{
				assert_int_equal(d.f[c].len, (size_t) lens[t][c]);
				if (lens[t][c])
					assert_memory_equal(d.f[c].data, payload[t][c], (size_t) lens[t][c]);
			}
		}
		pos += d.used;
	}
	Decoded d = decode(b.data + pos, b.len - pos, NCOLS);
	assert_true(d.ok);
	assert_true(d.trailer);
	assert_int_equal(pos + d.used, b.len);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_header_prefixes_incomplete),
		cmocka_unit_test(test_header_bad_signature),
		cmocka_unit_test(test_header_flags),
		cmocka_unit_test(test_header_extension_skipped),
		cmocka_unit_test(test_tuple_null_and_empty),
		cmocka_unit_test(test_trailer),
		cmocka_unit_test(test_field_count_mismatch),
		cmocka_unit_test(test_zero_columns),
		cmocka_unit_test(test_every_prefix_incomplete),
		cmocka_unit_test(test_negative_lengths_rejected),
		cmocka_unit_test(test_long_field_waits),
		cmocka_unit_test(test_stream_of_tuples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
