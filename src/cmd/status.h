/*
 * status.h: what `ebb status` learns about one table in one database (status.c fills a
 * TableReport from the catalog, the table and the ledger; status_print.c prints it). The
 * report owns its time_column and the strings of its LastRun.
 */
#ifndef EBB_CMD_STATUS_H
#define EBB_CMD_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "config/config.h"

/* A time that may be absent (no rows, no archive, no run). */
typedef struct Stamp
{
	bool set;
	int64_t us;
} Stamp;

typedef struct LastRun
{
	bool found;
	char *run_id;
	char *status;
	char *message; /* NULL when none */
	Stamp started;
	Stamp finished;
	int64_t rows, bytes, objects;
} LastRun;

/* A partition the next archive run takes whole (its upper bound is at or before the cutoff). */
typedef struct PartitionReport
{
	char *name; /* schema.name */
	int64_t lower, upper;
	int64_t estimated_rows, bytes;
} PartitionReport;

typedef struct TableReport
{
	const char *db;
	const Policy *policy;
	char *time_column; /* the policy's, or the ledger's when it gives none */
	bool time_column_from_ledger;
	bool tz; /* timestamptz column: its times are UTC */
	const char *integer_type; /* an integer time dimension's type (its times UTC), or NULL */
	int64_t estimated_rows;
	Stamp oldest, newest;
	Stamp cutoff;             /* unset with keep-days -1 */
	int64_t rows_behind;      /* rows older than the cutoff */
	int64_t null_times;       /* rows whose time column is NULL: in no window */
	char *refusal;            /* why archive would refuse the table (safety.h), or NULL */
	int64_t restored_objects; /* objects of its archive restored by ebb restore (any target) */
	int64_t restored_rows;
	/* Windows whose rows a restore put back into this table and no archive run has taken
	 * again since (marked in the ledger, schema version 4 on). */
	int64_t restored_windows;
	int64_t restored_window_rows;
	int64_t lag_us; /* cutoff - oldest when the oldest row is older, else 0 */
	int64_t objects, archived_rows, archived_bytes; /* from the ledger */
	bool windows_utc;                               /* the ledger's windows are UTC */
	Stamp first_archived, last_archived;            /* first window start, last window end */
	LastRun run;
	bool partitioned;         /* or a hypertable */
	bool hypertable;          /* the partitions are TimescaleDB chunks */
	int partitions;           /* leaf partitions (chunks) */
	PartitionReport *expired; /* those the next run archives and drops */
	int nexpired;
	int64_t partitions_unremoved; /* archived by a run that could not drop them yet */
} TableReport;

/* One line of JSON: the table's report. */
void cmd_status_print_json(const TableReport *r);
/* One line of JSON for a table that was skipped (reason) or failed (err). */
void cmd_status_print_json_other(const char *db, const Policy *p, const char *status,
								 const char *reason, const EbbError *err);
/* A block of text; *first says whether a blank line must separate it from the last one. */
void cmd_status_print_text(const TableReport *r, bool *first);

#endif
