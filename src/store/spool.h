/*
 * spool.h: an object copied from its store into a local temporary file (under TMPDIR), hashed
 * on the way: what restore loads and verify --deep decodes, read once from the store. The
 * caller removes the file with store_spool_remove.
 */
#ifndef EBB_STORE_SPOOL_H
#define EBB_STORE_SPOOL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "store/store.h"

typedef struct StoreSpool
{
	char path[4096]; /* "" when there is no file */
	uint64_t bytes;
	char sha256[65];
} StoreSpool;

bool store_spool(Store *store, const char *key, StoreSpool *out, EbbError *err);
void store_spool_remove(StoreSpool *s);

#endif
