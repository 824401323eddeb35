/*
 * fetch.h: an object from its store into a local file (store/spool.h), checked against what
 * the ledger says it is: its size and SHA-256. A mismatch fails with EBB_ERR_VERIFY naming
 * what differed, and removes the file: nothing of it is loaded.
 */
#ifndef EBB_RESTORE_FETCH_H
#define EBB_RESTORE_FETCH_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "store/spool.h"

bool restore_fetch(Store *store, const char *key, uint64_t bytes, const char *sha256,
				   StoreSpool *out, EbbError *err);

#endif
