/*
 * restore.h: ebb restore, the archive protocol backwards. For one table of one database: the
 * objects its ledger names (committed objects only, never an orphan), each fetched and checked
 * (bytes, SHA-256) before a row of it is loaded, then loaded in one transaction that also
 * writes its row in ebb.restore_ledger: each object is restored once, whatever kills the run.
 *
 * What happens is reported through callbacks (cmd/restore.c prints); the caller owns them.
 */
#ifndef EBB_RESTORE_RESTORE_H
#define EBB_RESTORE_RESTORE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "config/config.h"

typedef enum RestoreObjectStatus
{
	RESTORE_OBJECT_RESTORED,
	RESTORE_OBJECT_WOULD_RESTORE, /* --dry-run */
	RESTORE_OBJECT_DONE_BEFORE,   /* in ebb.restore_ledger already (see --again) */
	RESTORE_OBJECT_HELD,          /* a whole partition's, whose rows a partition still holds */
	RESTORE_OBJECT_SUPERSEDED,    /* restored into its table, then archived again in a later one */
	RESTORE_OBJECT_FAILED
} RestoreObjectStatus;

typedef struct RestoreObjectEvent
{
	const char *key;
	RestoreObjectStatus status;
	uint64_t rows; /* the ledger's */
	uint64_t bytes;
	uint64_t inserted;   /* rows inserted (or updated, with --on-conflict update) */
	int64_t conflicts;   /* rows whose key the target held; -1 when not counted */
	const EbbError *err; /* FAILED: why */
	int index;           /* 1-based position among the table's objects */
	int total;
} RestoreObjectEvent;

typedef struct RestoreCounts
{
	uint64_t objects;   /* restored (or, dry run, that would be) */
	uint64_t rows;      /* rows inserted or updated */
	uint64_t conflicts; /* rows skipped or updated because of their key */
	uint64_t done_before;
	uint64_t held; /* objects of partitions not removed: their rows are still there */
	uint64_t failed;
	uint64_t partitions; /* created with restored objects (committed) */
	uint64_t superseded; /* objects whose rows a later object of the archive holds */
} RestoreCounts;

typedef enum RestoreStatus
{
	RESTORE_OK,
	RESTORE_SKIPPED, /* --all-databases: the table or the ledger is not in this database */
	RESTORE_BUSY,
	RESTORE_FAILED
} RestoreStatus;

typedef struct RestoreOutcome
{
	RestoreStatus status;
	RestoreCounts counts;
	char *target; /* display name of the target table */
	/* Rows restored into the archived table itself are older than its policy keeps: the next
	 * archive run takes them again (the caller warns). */
	bool policy_clash;
	EbbError err; /* FAILED, BUSY */
} RestoreOutcome;

typedef void (*RestoreReportFn)(void *arg, const RestoreObjectEvent *event);

void restore_table(PGconn *conn, const Settings *s, const Policy *p, const char *run_id,
				   bool skip_missing, RestoreReportFn report, void *arg, RestoreOutcome *out);
void restore_outcome_free(RestoreOutcome *out);

#endif
