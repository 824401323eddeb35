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

#endif
