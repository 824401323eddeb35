/*
 * restores.h: ebb.restore_ledger, one row per object restored into a target table, written
 * in the transaction that loads the object (exactly once: a re-run skips what it names), and
 * every statement on it.
 */
#ifndef EBB_CATALOG_RESTORES_H
#define EBB_CATALOG_RESTORES_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

typedef struct CatalogRestore
{
	const char *run_id;
	const char *key;
	const char *source_schema;
	const char *source_table;
	const char *target_schema;
	const char *target_table;
	uint64_t rows;
} CatalogRestore;

/* Does ebb.restore_ledger exist? (Schema version 3 makes it.) */
bool catalog_restores_present(PGconn *conn, bool *present, EbbError *err);
/* Has the object been restored into the target table? */
bool catalog_restores_done(PGconn *conn, const char *key, const char *target_schema,
						   const char *target_table, bool *done, EbbError *err);
/* What was restored from the archive of schema.table (into any table): objects and rows. */
bool catalog_restores_summary(PGconn *conn, const char *schema, const char *table, int64_t *objects,
							  int64_t *rows, EbbError *err);
bool catalog_restores_insert(PGconn *conn, const CatalogRestore *r, EbbError *err);

#endif
