/*
 * retry.h: waits between attempts that may succeed later (S3 requests, DETACH under a lock
 * timeout): capped exponential backoff with full jitter, so that clients retrying together
 * spread out. The caller owns the random state (seed it once, e.g. time ^ pid).
 */
#ifndef EBB_COMMON_RETRY_H
#define EBB_COMMON_RETRY_H

#include <stdint.h>

/* A uniform wait in [0, min(cap_ms, base_ms * 2^attempt)] milliseconds. */
int64_t retry_backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms, unsigned *rand_state);
void retry_sleep_ms(int64_t ms);

#endif
