/*
 * unit_util.h: small helpers shared by the unit tests (header-only; every test_*.c is its own
 * executable). A fixed-seed PRNG so that property tests are reproducible, and a scratch
 * directory under $TMPDIR for tests that need files.
 */
#ifndef EBB_TESTS_UNIT_UTIL_H
#define EBB_TESTS_UNIT_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* xorshift64*: deterministic across platforms, good enough to shuffle test inputs. */
typedef struct TestRng
{
	uint64_t s;
} TestRng;

static inline uint64_t
rng_next(TestRng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * UINT64_C(2685821657736338717);
}

/* Uniform enough in [0, n) for test data. */
static inline uint64_t
rng_below(TestRng *r, uint64_t n)
{
	return rng_next(r) % n;
}

/* Writes text to dir/name and returns the path (caller frees). */
static inline char *
write_temp_file(const char *dir, const char *name, const char *text)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *path = malloc(n);
	FILE *fp;

	if (!path)
		abort();
	snprintf(path, n, "%s/%s", dir, name);
	fp = fopen(path, "w");
	if (!fp || fputs(text, fp) < 0 || fclose(fp) != 0)
	{
		perror(path);
		abort();
	}
	return path;
}

#ifdef cmocka_unit_test
/* Hex for byte-exact expectations: "15 00 | 2c" -> bytes (spaces and bars ignored). */
static inline int
hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static inline size_t
unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;

	for (const char *p = hex; *p;)
	{
		if (*p == ' ' || *p == '|')
		{
			p++;
			continue;
		}
		assert_true(hexdigit(p[0]) >= 0 && hexdigit(p[1]) >= 0);
		assert_true(n < cap);
		out[n++] = (uint8_t) (hexdigit(p[0]) << 4 | hexdigit(p[1]));
		p += 2;
	}
	return n;
}

static inline void
tohex(const uint8_t *p, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && o + 4 < cap; i++)
		o += (size_t) snprintf(out + o, cap - o, "%s%02x", i ? " " : "", p[i]);
}

/* The bytes equal the hex; on failure both are shown. */
static inline void
assert_hex(const void *data, size_t len, const char *hex)
{
	uint8_t want[512];
	size_t n = unhex(hex, want, sizeof(want));

	if (len != n || memcmp(data, want, n) != 0)
	{
		char got[2048];
		tohex(data, len, got, sizeof(got));
		fail_msg("got  %s\nwant %s", got, hex);
	}
}
#endif

#endif
