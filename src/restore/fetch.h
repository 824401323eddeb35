/*
 * fetch.h: an object from its store into a local file (under TMPDIR, removed by
 * restore_fetch_done), checked against what the ledger says it is: its size and SHA-256. A
 * mismatch fails with EBB_ERR_VERIFY naming what differed; nothing of it is loaded.
 */
#ifndef EBB_RESTORE_FETCH_H
#define EBB_RESTORE_FETCH_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "store/store.h"

typedef struct RestoreFetched
{
	char path[4096];
} RestoreFetched;

bool restore_fetch(Store *store, const char *key, uint64_t bytes, const char *sha256,
				   RestoreFetched *out, EbbError *err);
void restore_fetch_done(RestoreFetched *f);

#endif
