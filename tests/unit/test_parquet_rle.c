/*
 * test_parquet_rle.c: encode/parquet/rle.c, Parquet's RLE / bit-packing hybrid (Encodings.md):
 *   rle-run        := varint(count << 1)       value in ceil(bit_width / 8) bytes, LE
 *   bit-packed-run := varint(groups << 1 | 1)  groups * 8 values, LSB first
 * An encoder may choose any valid mix of runs; the tests assert what the spec requires
 * (decodability; only the last bit-packed run padded) and the exact bytes only where ebb's
 * greedy encoder (RLE for 8 or more equal values, the rest bit-packed) has one answer: the
 * examples of ../shared/parquet.md section 4.1 and the spec's own bit-packing example. The
 * decoder is checked against hand-made streams, since the writer's checks rely on it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "encode/parquet/rle.h"
#include "unit_util.h"

/* ---- hex helpers (unhex, assert_hex: unit_util.h) ---- */

static void
assert_buf_hex(const Buf *b, const char *hex)
{
	assert_hex(b->data, b->len, hex);
}

static void
encode(Buf *b, const uint32_t *v, size_t n, int bw)
{
	buf_reset(b);
	parquet_rle_encode(b, v, n, bw);
}

/* Decodes into a heap array of exactly n values (ASan catches a write past it). */
static void
assert_decodes_to(const Buf *b, int bw, const uint32_t *want, size_t n)
{
	uint32_t *got = malloc(n ? n * sizeof(uint32_t) : 1);
	uint8_t *in = malloc(b->len ? b->len : 1);

	assert_non_null(got);
	assert_non_null(in);
	if (b->len)
		memcpy(in, b->data, b->len);
	assert_true(parquet_rle_decode(in, b->len, bw, got, n));
	for (size_t i = 0; i < n; i++)
		if (got[i] != want[i])
			fail_msg("value %zu of %zu (bit width %d): got %u, want %u", i, n, bw, got[i], want[i]);
	free(got);
	free(in);
}

/* ---- parquet_rle_bit_width ---- */

static void
test_bit_width(void **state)
{
	assert_int_equal(parquet_rle_bit_width(0), 1); /* never 0: readers expect at least 1 */
	assert_int_equal(parquet_rle_bit_width(1), 1);
	assert_int_equal(parquet_rle_bit_width(2), 2);
	assert_int_equal(parquet_rle_bit_width(3), 2);
	assert_int_equal(parquet_rle_bit_width(4), 3);
	assert_int_equal(parquet_rle_bit_width(7), 3);
	assert_int_equal(parquet_rle_bit_width(8), 4);
	assert_int_equal(parquet_rle_bit_width(255), 8);
	assert_int_equal(parquet_rle_bit_width(256), 9);
	assert_int_equal(parquet_rle_bit_width(65535), 16);
	assert_int_equal(parquet_rle_bit_width(65536), 17);
	assert_int_equal(parquet_rle_bit_width(UINT32_MAX / 2), 31);
	assert_int_equal(parquet_rle_bit_width(UINT32_MAX / 2 + 1), 32);
	assert_int_equal(parquet_rle_bit_width(UINT32_MAX), 32);
	for (int w = 1; w < 32; w++)
	{
		assert_int_equal(parquet_rle_bit_width((1u << w) - 1), w);
		assert_int_equal(parquet_rle_bit_width(1u << w), w + 1);
	}
}

/* ---- the brief's examples ---- */

static void
test_thousand_non_null_defs(void **state)
{
	uint32_t v[1000];
	Buf b;

	for (int i = 0; i < 1000; i++)
		v[i] = 1;
	buf_init(&b);
	encode(&b, v, 1000, 1);
	assert_buf_hex(&b, "d0 0f 01"); /* (the v1 page's 4-byte length is the caller's) */
	assert_decodes_to(&b, 1, v, 1000);
	buf_free(&b);
}

static void
test_dictionary_indices(void **state)
{
	const uint32_t v[] = {0, 1, 0, 2};
	Buf b;

	buf_init(&b);
	encode(&b, v, 4, 2);
	/* one bit-packed group, padded with zeros (the bit-width byte is the caller's) */
	assert_buf_hex(&b, "03 84 00");
	assert_decodes_to(&b, 2, v, 4);
	buf_free(&b);
}

static void
test_short_def_levels(void **state)
{
	const uint32_t v[] = {1, 1, 0, 1, 1};
	const uint32_t packed[] = {1, 0, 1, 1, 0, 0, 1, 0};
	Buf b;
	uint8_t rle_only[16];
	uint32_t got[8];

	buf_init(&b);
	/* Any valid form will do; ebb's is a single bit-packed group, no longer than RLE-only. */
	encode(&b, v, 5, 1);
	assert_decodes_to(&b, 1, v, 5);
	assert_true(b.len <= 6);
	assert_buf_hex(&b, "03 1b");
	/* The brief's RLE-only form decodes to the same values. */
	size_t n = unhex("04 01 02 00 04 01", rle_only, sizeof(rle_only));
	assert_true(parquet_rle_decode(rle_only, n, 1, got, 5));
	assert_memory_equal(got, v, sizeof(v));
	/* 8 defs 1,0,1,1,0,0,1,0 bit-packed: 03 4d */
	encode(&b, packed, 8, 1);
	assert_buf_hex(&b, "03 4d");
	assert_decodes_to(&b, 1, packed, 8);
	buf_free(&b);
}

static void
test_spec_bit_packing_example(void **state)
{
	/* Encodings.md: 0..7 at bit width 3 -> 10001000 11000110 11111010 */
	const uint32_t v[] = {0, 1, 2, 3, 4, 5, 6, 7};
	Buf b;

	buf_init(&b);
	encode(&b, v, 8, 3);
	assert_buf_hex(&b, "03 88 c6 fa");
	assert_decodes_to(&b, 3, v, 8);
	buf_free(&b);
}

static void
test_literals_then_run(void **state)
{
	uint32_t v[23] = {1, 2, 3};
	Buf b;

	for (int i = 3; i < 23; i++)
		v[i] = 7;
	buf_init(&b);
	/* The bit-packed group is topped up to 8 with the run's first values; 15 remain for RLE. */
	encode(&b, v, 23, 3);
	assert_buf_hex(&b, "03 d1 fe ff | 1e 07");
	assert_decodes_to(&b, 3, v, 23);
	/* A run of 8 after a whole group: group, then RLE 8 */
	uint32_t w[16] = {0, 1, 2, 3, 4, 5, 6, 7, 5, 5, 5, 5, 5, 5, 5, 5};
	encode(&b, w, 16, 3);
	assert_buf_hex(&b, "03 88 c6 fa | 10 05");
	assert_decodes_to(&b, 3, w, 16);
	/* A run of 7 is not worth an RLE run: all bit-packed. */
	uint32_t x[8] = {1, 0, 0, 0, 0, 0, 0, 0};
	encode(&b, x, 8, 1);
	assert_buf_hex(&b, "03 01");
	buf_free(&b);
}

static void
test_rle_value_widths(void **state)
{
	uint32_t v[10];
	Buf b;

	buf_init(&b);
	/* The RLE value takes ceil(bit_width / 8) bytes, little-endian. */
	for (int i = 0; i < 10; i++)
		v[i] = 0x1FF;
	encode(&b, v, 10, 9);
	assert_buf_hex(&b, "14 ff 01");
	assert_decodes_to(&b, 9, v, 10);
	for (int i = 0; i < 10; i++)
		v[i] = 0xABCDEF;
	encode(&b, v, 10, 24);
	assert_buf_hex(&b, "14 ef cd ab");
	assert_decodes_to(&b, 24, v, 10);
	for (int i = 0; i < 10; i++)
		v[i] = UINT32_MAX;
	encode(&b, v, 10, 32);
	assert_buf_hex(&b, "14 ff ff ff ff");
	assert_decodes_to(&b, 32, v, 10);
	/* 32-bit values bit-packed */
	uint32_t w[3] = {UINT32_MAX, 0x80000000u, 1};
	encode(&b, w, 3, 32);
	assert_int_equal(b.len, 1 + 32);
	assert_decodes_to(&b, 32, w, 3);
	buf_free(&b);
}

static void
test_empty_input(void **state)
{
	Buf b;

	buf_init(&b);
	encode(&b, NULL, 0, 1);
	assert_int_equal(b.len, 0);
	assert_true(parquet_rle_decode((const uint8_t *) "", 0, 1, NULL, 0));
	buf_free(&b);
}

static void
test_decoder_rejects_short_input(void **state)
{
	uint32_t v[100], got[100];
	Buf b;

	/* noise, a run, noise: the last run is a padded bit-packed one */
	for (int i = 0; i < 100; i++)
		v[i] = i < 40 || i >= 90 ? (uint32_t) (i % 5) : 3;
	buf_init(&b);
	encode(&b, v, 100, 3);
	assert_decodes_to(&b, 3, v, 100);
	/* Every proper prefix ends before 100 values: false, no read past its end (ASan). */
	for (size_t len = 0; len < b.len; len++)
	{
		uint8_t *in = malloc(len ? len : 1);
		assert_non_null(in);
		memcpy(in, b.data, len);
		assert_false(parquet_rle_decode(in, len, 3, got, 100));
		free(in);
	}
	/* A bit-packed header promising more groups than there are bytes. */
	uint8_t bad[] = {0x05, 0xFF, 0xFF, 0xFF}; /* 2 groups at bit width 3 need 6 bytes */
	assert_false(parquet_rle_decode(bad, sizeof(bad), 3, got, 16));
	/* An RLE header without its value. */
	uint8_t bad2[] = {0x10};
	assert_false(parquet_rle_decode(bad2, sizeof(bad2), 9, got, 8));
	buf_free(&b);
}

/* ---- property test ---- */

typedef struct RunShape
{
	size_t total; /* values the runs hold (bit-packed groups count 8 each) */
	int runs;     /* runs in all */
	bool last_bitpacked;
} RunShape;

/*
 * Walks the runs of an encoding of n values at bit width bw and checks what the spec and
 * ebb's encoder promise: the bytes are exactly a sequence of whole runs; RLE runs hold 1 or
 * more values whose value fits bw; only the last run may pass n (and then by less than 8
 * values, in a bit-packed run); ebb never writes two bit-packed runs in a row (they would
 * be one), an RLE run shorter than 8, or two RLE runs of the same value in a row.
 */
static RunShape
check_runs(const uint8_t *p, size_t len, size_t n, int bw)
{
	RunShape s = {0, 0, false};
	size_t pos = 0;
	int prev = -1; /* 0 RLE, 1 bit-packed */
	uint64_t prev_value = UINT64_MAX;
	int vbytes = (bw + 7) / 8;

	while (pos < len)
	{
		uint64_t h = 0;
		int shift = 0;
		for (;;)
		{
			assert_true(pos < len);
			assert_true(shift < 64);
			uint8_t byte = p[pos++];
			h |= (uint64_t) (byte & 0x7F) << shift;
			shift += 7;
			if (!(byte & 0x80))
				break;
		}
		/* Only the last run may reach past the n values. */
		assert_true(s.total < n);
		s.runs++;
		if (h & 1)
		{
			uint64_t groups = h >> 1;
			assert_true(groups >= 1);
			assert_true(prev != 1);
			assert_true(len - pos >= groups * (uint64_t) bw);
			pos += groups * (size_t) bw;
			s.total += groups * 8;
			prev = 1;
			s.last_bitpacked = true;
		}
		else
		{
			uint64_t count = h >> 1, value = 0;
			assert_true(count >= 8);
			assert_true(len - pos >= (size_t) vbytes);
			for (int k = 0; k < vbytes; k++)
				value |= (uint64_t) p[pos++] << (8 * k);
			assert_true(bw == 32 || value < (UINT64_C(1) << bw));
			if (prev == 0)
				assert_true(value != prev_value);
			prev_value = value;
			s.total += count;
			prev = 0;
			s.last_bitpacked = false;
		}
		/* Every run but the last stays within the values: whole groups, no padding. */
		if (pos < len)
			assert_true(s.total <= n);
	}
	assert_int_equal(pos, len);
	assert_true(s.total >= n);
	if (s.total > n)
	{
		assert_true(s.last_bitpacked);
		assert_true(s.total - n < 8);
	}
	return s;
}

static void
random_sequence(TestRng *rng, uint32_t *v, size_t n, int bw)
{
	uint32_t mask = bw == 32 ? UINT32_MAX : (1u << bw) - 1;
	size_t i = 0;
	int style = (int) rng_below(rng, 4);

	while (i < n)
	{
		size_t len;
		uint32_t x = (uint32_t) rng_next(rng) & mask;
		switch (style == 3 ? (int) rng_below(rng, 3) : style)
		{
			case 0: /* a long run */
				len = 1 + rng_below(rng, 300);
				for (size_t k = 0; k < len && i < n; k++)
					v[i++] = x;
				break;
			case 1: /* a run near the 8-value threshold */
				len = 5 + rng_below(rng, 12);
				for (size_t k = 0; k < len && i < n; k++)
					v[i++] = x;
				break;
			default: /* noise, small values so equal neighbours happen too */
				len = 1 + rng_below(rng, 40);
				for (size_t k = 0; k < len && i < n; k++)
					v[i++] = (uint32_t) rng_below(rng, 3) == 0
								 ? (uint32_t) rng_next(rng) & mask
								 : (uint32_t) rng_below(rng, 3) & mask;
				break;
		}
	}
}

static void
test_property_round_trip(void **state)
{
	TestRng rng = {UINT64_C(0x2545F4914F6CDD1D)};
	uint32_t *v = malloc(5000 * sizeof(uint32_t));
	Buf b;

	assert_non_null(v);
	buf_init(&b);
	for (int iter = 0; iter < 1500; iter++)
	{
		int bw = 1 + (int) rng_below(&rng, 32);
		size_t n = iter < 64 ? (size_t) iter : (size_t) rng_below(&rng, 5001);
		random_sequence(&rng, v, n, bw);
		encode(&b, v, n, bw);
		check_runs((const uint8_t *) b.data, b.len, n, bw);
		assert_decodes_to(&b, bw, v, n);
		/* Never much worse than bit-packing everything: an RLE run (8 or more values) costs
		 * at most 2 header bytes more than the bytes it replaces, a bit-packed run's header
		 * at most 2, and runs alternate. */
		size_t packed = ((n + 7) / 8) * (size_t) bw;
		assert_true(b.len <= packed + 4 * (n / 8 + 2));
	}
	buf_free(&b);
	free(v);
}

static void
test_property_appends(void **state)
{
	/* parquet_rle_encode appends: a second encoding after the first decodes from its offset. */
	TestRng rng = {UINT64_C(0x9E3779B97F4A7C15)};
	uint32_t v[300], w[300];
	Buf b;

	buf_init(&b);
	for (int iter = 0; iter < 200; iter++)
	{
		int bw = 1 + (int) rng_below(&rng, 32);
		size_t n = 1 + rng_below(&rng, 300), m = 1 + rng_below(&rng, 300);
		random_sequence(&rng, v, n, bw);
		random_sequence(&rng, w, m, bw);
		buf_reset(&b);
		buf_append(&b, "X", 1);
		parquet_rle_encode(&b, v, n, bw);
		size_t mid = b.len;
		parquet_rle_encode(&b, w, m, bw);
		assert_int_equal(b.data[0], 'X');
		Buf first = {b.data + 1, mid - 1, 0}, second = {b.data + mid, b.len - mid, 0};
		assert_decodes_to(&first, bw, v, n);
		assert_decodes_to(&second, bw, w, m);
	}
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bit_width),
		cmocka_unit_test(test_thousand_non_null_defs),
		cmocka_unit_test(test_dictionary_indices),
		cmocka_unit_test(test_short_def_levels),
		cmocka_unit_test(test_spec_bit_packing_example),
		cmocka_unit_test(test_literals_then_run),
		cmocka_unit_test(test_rle_value_widths),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_decoder_rejects_short_input),
		cmocka_unit_test(test_property_round_trip),
		cmocka_unit_test(test_property_appends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
