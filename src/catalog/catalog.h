/*
 * catalog.h: ebb's own tables in a tenant database (schema ebb): the ledger
 * (ebb.archive_ledger), the runs (ebb.archive_run) and the version of their schema
 * (ebb.schema_version, one row per migration applied). The schema changes only through the
 * numbered migrations of migrations.c.
 *
 * Every archive run reads the version with plain SELECTs (no DDL, no lock stronger than a
 * reader's), so that a session reading the ledger (a dashboard, pg_dump) never blocks a run.
 * Only a run that finds the version behind this ebb's migrates, once, in one transaction that
 * takes exclusive locks on the tables. status and verify only read (catalog_read).
 */
#ifndef EBB_CATALOG_CATALOG_H
#define EBB_CATALOG_CATALOG_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "common/buf.h"
#include "common/error.h"

/* The newest schema version this ebb knows (the last migration's number). */
#define CATALOG_VERSION 4

typedef struct CatalogState
{
	int version;          /* 0: no version recorded (no ebb tables, or made by an older ebb) */
	bool ledger;          /* ebb.archive_ledger exists */
	bool runs;            /* ebb.archive_run exists */
	char migrated_by[32]; /* the ebb version that applied the newest migration, or "" */
} CatalogState;

/* What ebb's tables are, read without DDL. Fails (EBB_ERR_CONFIG) when one of the names is
 * taken by a view, foreign table or any relation that is not an ordinary table. */
bool catalog_read(PGconn *conn, CatalogState *st, EbbError *err);

/* For archive: reads the version, and migrates when it is behind this ebb's (serialized
 * between concurrent ebbs). Fails when the tables are newer than this ebb knows, or when the
 * migration waits for a lock longer than lock_timeout (the message names the sessions that
 * hold it). The session is out of any transaction on return. */
bool catalog_ensure(PGconn *conn, EbbError *err);

/* The error for tables of a version newer than this ebb knows (archive refuses to write them). */
bool catalog_newer_error(const CatalogState *st, EbbError *err);

/*
 * Appends an SQL condition that is true while the run of ebb.archive_run row `alias` still
 * holds its table's advisory lock (archive_lock_table: class 7373062, the table's oid). The
 * row's table_oid and backend_pid (schema version 2) say whose lock; a row from before them
 * uses `oid_sql` (the table's oid now) and any session. The caller's own session never counts:
 * a run that holds the lock itself may judge the older rows of its table.
 */
void catalog_run_alive_sql(Buf *out, int version, const char *alias, const char *oid_sql);

#endif
