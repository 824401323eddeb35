/* ledger.c: what an archive run records in ebb's tables (see ledger.h). */
#include "archive/ledger.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/ledger.h"
#include "catalog/runs.h"
#include "common/log.h"
#include "pg/ident.h"

bool
archive_ledger_insert(ArchiveTarget *t, const ArchivedObject *obj, EbbError *err)
{
	const Policy *p = t->policy;
	CatalogLedgerInsert row = {.run_id = t->run_id,
							   .schema = p->schema,
							   .table = p->table,
							   .time_column = p->time_column,
							   .window_utc = t->info.time_is_tz,
							   .window_start = obj->window.start,
							   .window_end = obj->window.end,
							   .dest = t->store.url,
							   .key = obj->key,
							   .rows = obj->rows,
							   .bytes = obj->bytes,
							   .sha256 = obj->sha256,
							   .format = p->format,
							   .compression = p->compress,
							   .columns_json = t->columns_json,
							   .partition_oid = obj->partition_oid,
							   .partition_name = obj->partition_name,
							   .partition_bound = obj->partition_bound,
							   .partition_fingerprint = obj->partition_fingerprint};

	return catalog_ledger_insert(t->conn, t->ledger_stmt, sizeof(t->ledger_stmt), &row,
								 &t->manifests_done, err);
}

bool
archive_ledger_read_restored(ArchiveTarget *t, EbbError *err)
{
	return catalog_ledger_has_restored(t->conn, t->policy->schema, t->policy->table,
									   &t->has_restored, err);
}

bool
archive_ledger_supersedes(ArchiveTarget *t, const ArchivedObject *obj, EbbError *err)
{
	strlist_clear(&t->supersedes);
	return !t->has_restored || catalog_ledger_superseded_by(t->conn, obj->key, &t->supersedes, err);
}

bool
archive_ledger_mark_manifest(PGconn *conn, const char *key, EbbError *err)
{
	return catalog_ledger_mark_manifest(conn, key, err);
}

bool
archive_ledger_mark_manifests(PGconn *conn, const StrList *keys, EbbError *err)
{
	return catalog_ledger_mark_manifests(conn, keys, err);
}

bool
archive_ledger_key_committed(PGconn *conn, const char *key, bool *committed, EbbError *err)
{
	return catalog_ledger_names(conn, key, NULL, committed, err);
}

static void
log_interrupted(void *arg, const char *run_id)
{
	const ArchiveTarget *t = arg;

	log_info("run %s of table %s ended without recording its outcome: marked interrupted", run_id,
			 pg_message_name(t->policy->schema, t->policy->table).s);
}

/* Runs of this table that still say 'running' although their lock is free (the caller holds
 * it now), before this run's own row exists. */
bool
archive_ledger_mark_interrupted(ArchiveTarget *t, EbbError *err)
{
	return catalog_runs_mark_interrupted(t->conn, t->policy->schema, t->policy->table, t->run_id,
										 t->info.oid_text, log_interrupted, t, err);
}

bool
archive_ledger_run_start(ArchiveTarget *t, EbbError *err)
{
	return catalog_runs_start(t->conn, t->run_id, t->policy->schema, t->policy->table,
							  t->info.oid_text, err);
}

void
archive_ledger_run_finish(ArchiveTarget *t, const char *status, const char *message)
{
	CatalogRunOutcome o = {.status = status,
						   .message = message,
						   .rows = t->rows,
						   .bytes = t->bytes,
						   .objects = t->objects};

	catalog_runs_finish(t->conn, t->run_id, t->policy->schema, t->policy->table, &o);
}
