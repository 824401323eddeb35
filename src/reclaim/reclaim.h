/*
 * reclaim.h: ebb reclaim for one table of one database: disk given back after archiving's
 * deletes, measured (pg_total_relation_size of the table and its partitions, before and
 * after). Three methods, chosen by the operator:
 *   vacuum  VACUUM (ANALYZE): the deleted rows' space becomes reusable; only the empty pages
 *           at the end of the table go back to the operating system (as the table's
 *           vacuum_truncate allows). Locks nothing the workload needs.
 *   online  pg_repack (the client program, driven by ebb; the extension in the database):
 *           rewrites the table beside the workload, with short exclusive locks at the start
 *           and the end that give up (--no-kill-backend) after the lock timeout.
 *   full    VACUUM FULL, only inside the maintenance window: an ACCESS EXCLUSIVE lock for the
 *           whole rewrite, asked for under lock_timeout so that it gives up rather than queue
 *           the workload behind it.
 * src/reclaim/ prints nothing: the caller reads the ReclaimResult.
 */
#ifndef EBB_RECLAIM_RECLAIM_H
#define EBB_RECLAIM_RECLAIM_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "reclaim/window.h"

typedef enum ReclaimMode
{
	RECLAIM_NONE, /* a policy's after-archive default: nothing */
	RECLAIM_VACUUM,
	RECLAIM_ONLINE,
	RECLAIM_FULL,
} ReclaimMode;

typedef struct ReclaimOptions
{
	ReclaimMode mode;
	ReclaimWindow window;         /* full: the maintenance window (required) */
	const char *pg_repack;        /* online: the client program; NULL: found (PATH, then the
								   * server's version's Debian directory) */
	int64_t lock_timeout_ms;      /* online: pg_repack's --wait-timeout (the session has it too) */
	int64_t statement_timeout_ms; /* online: the whole pg_repack run's deadline; 0: none */
} ReclaimOptions;

typedef struct ReclaimResult
{
	int64_t bytes_before, bytes_after; /* pg_total_relation_size, partitions summed */
	double seconds;                    /* of the method's own work */
	bool skipped;                      /* not run: skip_reason says why */
	char skip_reason[160];
	EbbError err; /* when reclaim_table returned false */
} ReclaimResult;

/* The name of a mode ("vacuum", "online", "full", "none") and back. */
const char *reclaim_mode_name(ReclaimMode mode);
bool reclaim_mode_parse(const char *text, ReclaimMode *mode);

/* Reclaims one table (a partitioned table: every partition). False: r->err says why; the
 * sizes read before the failure are kept. */
bool reclaim_table(PGconn *conn, const ReclaimOptions *o, const char *schema, const char *table,
				   ReclaimResult *r);

#endif
