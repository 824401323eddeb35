/*
 * manifests.h: restore --from-manifests, when the database that held the ledger is gone: the
 * store's manifests (catalog/manifest.h) say which objects were committed, of which table,
 * with their size, SHA-256 and rows. An object without a manifest may be one whose window
 * never committed (an orphan): it is never restored, only reported.
 */
#ifndef EBB_RESTORE_MANIFESTS_H
#define EBB_RESTORE_MANIFESTS_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "catalog/ledger.h"
#include "common/buf.h"
#include "common/error.h"
#include "store/store.h"

typedef struct RestoreManifests
{
	int n;
	CatalogLedgerEntry *rows; /* as the ledger would say, in window order */
	StrList strings;          /* owns the rows' strings */
	StrList unmanifested;     /* objects of the table's folders without a manifest */
	StrList superseded;       /* objects that a later object's manifest says it supersedes */
} RestoreManifests;

/* The manifests of database.schema.table in the store at url, whose window overlaps
 * [from, to) (each NULL: unbounded; compared by PostgreSQL on conn). */
bool restore_manifests_read(PGconn *conn, Store *store, const char *url, const char *database,
							const char *schema, const char *table, const char *from, const char *to,
							RestoreManifests *out, EbbError *err);
void restore_manifests_free(RestoreManifests *m);

#endif
