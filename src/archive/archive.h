/*
 * archive.h: the archive capability as the rest of ebb sees it (src/cmd/, and verify's lock):
 * the archive protocol of DESIGN.md for one (database, table): plan windows, then per piece,
 * in one transaction on the session holding the table's advisory lock:
 * COPY (DELETE ... RETURNING *) -> encode -> compress -> hash -> store -> verify -> ledger ->
 * COMMIT -> manifest. table.c implements it; the folder's own files share target.h and the
 * header of each file they call (piece.h, ledger.h, manifest.h, probe.h, sql.h, object.h, ...).
 * The caller owns the TableOutcome and the ArchiveReport.
 */
#ifndef EBB_ARCHIVE_ARCHIVE_H
#define EBB_ARCHIVE_ARCHIVE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "archive/plan.h"
#include "common/error.h"
#include "config/config.h"

/*
 * What archive_table reports as it goes, for the caller to show (src/archive/ prints nothing on
 * stdout and draws no progress line): each callback may be NULL, and gets `arg`. The events and
 * what they point to live only for the call.
 */
typedef struct ArchiveDryWindow
{
	const char *dbname;
	const Policy *policy;
	bool time_is_tz;
	TimeRange piece;
	int64_t rows;
	int64_t estimated_bytes; /* rows times the table's estimated row width */
} ArchiveDryWindow;

typedef struct ArchiveDryPartition
{
	const char *dbname;
	const Policy *policy;
	bool time_is_tz;
	const char *schema, *name; /* the expired partition (a leaf) */
	const char *bound;         /* pg_get_expr(relpartbound) */
	int64_t lower, upper;      /* its time range */
	int64_t rows;
	int64_t bytes; /* pg_total_relation_size (a chunk: chunks_detailed_size) */
	bool chunk;    /* a TimescaleDB chunk: bound is its time slice */
} ArchiveDryPartition;

typedef struct ArchiveProgress
{
	const char *dbname;
	const Policy *policy;
	bool time_is_tz;
	bool done;      /* the table's pieces are over (or failed): the rest is unset */
	uint64_t rows;  /* archived so far */
	int64_t at;     /* the start of the piece about to be archived */
	double percent; /* how far `at` is from the first piece to the cutoff */
} ArchiveProgress;

typedef struct ArchiveReport
{
	void (*dry_window)(void *arg, const ArchiveDryWindow *w);       /* a dry run's window */
	void (*dry_partition)(void *arg, const ArchiveDryPartition *p); /* a dry run's partition */
	void (*progress)(void *arg, const ArchiveProgress *p); /* before each piece, and at the end */
	void *arg;
} ArchiveReport;

typedef enum TableStatus
{
	TABLE_OK,
	TABLE_SKIPPED, /* keep-days -1, or the table is absent under --all-databases */
	TABLE_BUSY,
	TABLE_FAILED
} TableStatus;

typedef struct TableOutcome
{
	TableStatus status;
	EbbError err;
	uint64_t rows, bytes, objects;
	int64_t null_times; /* rows whose time column is NULL (-1: not counted) */
	int64_t cutoff;
	bool has_cutoff;
	bool time_is_tz;
	const char *skip_reason;
	int64_t paused_us; /* back-pressure's pauses (throttle.h) */
} TableOutcome;

/* Runs one policy in one database on conn (dry-run plans and counts only), telling report
 * (the caller's, may be NULL) what it plans and how far it is. */
void archive_table(PGconn *conn, const char *dsn, const char *dbname, const Settings *settings,
				   const Policy *policy, const char *run_id, bool skip_if_absent,
				   const ArchiveReport *report, TableOutcome *out);

/* The table's advisory lock, held by the session while archive (or verify --gc) works on the
 * table: pg_try_advisory_lock(7373062, the table's oid folded into int4). Here, not in a
 * folder-internal header: verify.c, a capability of its own bound for src/verify/, takes it. */
bool archive_lock_table(PGconn *conn, uint32_t oid, bool *locked, EbbError *err);
void archive_unlock_table(PGconn *conn, uint32_t oid);

#endif
