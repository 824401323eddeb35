/* fetch.c: see fetch.h. */
#include "restore/fetch.h"

#include <inttypes.h>
#include <string.h>

bool
restore_fetch(Store *store, const char *key, uint64_t bytes, const char *sha256, StoreSpool *out,
			  EbbError *err)
{
	if (!store_spool(store, key, out, err))
		return false;
	if (out->bytes != bytes)
	{
		error_set(err, EBB_ERR_VERIFY, "object \"%s\" is not what the ledger recorded", key);
		error_detail(err, "It has %" PRIu64 " bytes; the ledger says %" PRIu64 ".", out->bytes,
					 bytes);
	}
	else if (strcmp(out->sha256, sha256) != 0)
	{
		error_set(err, EBB_ERR_VERIFY, "object \"%s\" is not what the ledger recorded", key);
		error_detail(err, "Its SHA-256 is %s; the ledger says %s.", out->sha256, sha256);
	}
	else
		return true;
	store_spool_remove(out);
	return false;
}
