/*
 * runs.h: ebb.archive_run, one row per run of a table, and every statement on it. A run's row
 * says 'running' from its start until it records its outcome; one whose advisory lock is gone
 * while it still says so ended without recording it (killed, or its session lost).
 */
#ifndef EBB_CATALOG_RUNS_H
#define EBB_CATALOG_RUNS_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

/* Marks 'interrupted' the runs of the table that say 'running' without holding its lock (the
 * caller holds it now); fn is told each run id. Schema version CATALOG_VERSION. */
bool catalog_runs_mark_interrupted(PGconn *conn, const char *schema, const char *table,
								   const char *run_id, const char *oid_text,
								   void (*fn)(void *arg, const char *run_id), void *arg,
								   EbbError *err);
/* The table's oid and this session's pid say whose advisory lock the run holds. */
bool catalog_runs_start(PGconn *conn, const char *run_id, const char *schema, const char *table,
						const char *oid_text, EbbError *err);

typedef struct CatalogRunOutcome
{
	const char *status; /* ok, failed */
	const char *message;
	uint64_t rows;
	uint64_t bytes;
	uint64_t objects;
} CatalogRunOutcome;

/* Best effort (the outcome is also reported on stdout and stderr): no error. */
void catalog_runs_finish(PGconn *conn, const char *run_id, const char *schema, const char *table,
						 const CatalogRunOutcome *outcome);

/*
 * The table's newest run, as one row: run_id, status (interrupted for a running row whose lock
 * is gone), started and finished (microseconds since the epoch or NULL), rows, bytes, objects
 * (for a run that has not finished, what its committed windows recorded in the ledger) and
 * message. Zero rows when the table has no run. version: the schema's version (catalog_read).
 */
bool catalog_runs_latest(PGconn *conn, int version, const char *schema, const char *table,
						 const char *oid_text, PGresult **res, EbbError *err);

#endif
