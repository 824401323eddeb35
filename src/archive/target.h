/*
 * target.h: the state that the files of src/archive/ share while one policy runs in one
 * database. archive_table() (table.c) owns the ArchiveTarget: it fills it, lends it to the
 * pieces (piece.c, partition.c), their records (ledger.c, manifest.c) and the probes
 * (probe.c), and frees what it points to. An ArchivedObject describes one object of the run;
 * its strings are the target's (or a ledger row's) and live as long as they do.
 * No .c file of its own: types and the test hooks only.
 */
#ifndef EBB_ARCHIVE_TARGET_H
#define EBB_ARCHIVE_TARGET_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "archive/plan.h"
#include "common/buf.h"
#include "common/cancel.h"
#include "common/error.h"
#include "common/testpoint.h"
#include "compress/compressor.h"
#include "config/config.h"
#include "encode/encoder.h"
#include "pg/catalog.h"
#include "pg/hypertable.h"
#include "pg/pg.h"
#include "store/store.h"

/* The caller's report callbacks (archive.h); the target only carries the pointer. */
struct ArchiveReport;

/* cancel_requested (common/cancel.h), set by SIGINT, SIGTERM, SIGHUP and SIGPIPE (cmd.c): the
 * current window rolls back (unless its COMMIT was already sent) and no new one starts. */

typedef struct ArchivedObject
{
	char key[1024];
	TimeRange piece;
	TimeRange window;
	uint64_t rows;
	uint64_t bytes;
	char sha256[65];
	const char *run_id;       /* the run that archived it */
	const char *columns_json; /* the table's columns when it was archived */
	/* A whole partition's object (partition.c); partition_name NULL for a row range. */
	uint32_t partition_oid;
	const char *partition_name;        /* schema.name, unquoted */
	const char *partition_bound;       /* pg_get_expr(relpartbound) */
	const char *partition_fingerprint; /* "rows:hash sum" of its rows when archived */
} ArchivedObject;

/* Back-pressure state (throttle.c), for one table's run. */
typedef struct ArchiveThrottle
{
	bool wal_started;   /* start_lsn and start_s are read */
	char start_lsn[32]; /* pg_current_wal_lsn() when the table's run began */
	double start_s;     /* its monotonic time */
	int waiters;        /* sessions that waited on the last window's locks at its end */
	int waiter_pauses;  /* consecutive pauses for waiters (the backoff's attempt) */
	int64_t paused_us;  /* all pauses of the run */
} ArchiveThrottle;

typedef struct ArchiveTarget
{
	const Settings *settings;
	const Policy *policy;
	const char *dsn;
	const char *dbname;
	const char *run_id;
	const struct ArchiveReport *report; /* the caller's, or NULL */
	PGconn *conn;                       /* holds the advisory lock */
	PgSessionOptions session;
	PgTableInfo info;
	Store store;
	const EncoderDriver *encoder;
	EncoderOptions encoder_options;     /* the policy's; metadata is per object */
	const CompressorDriver *compressor; /* "none" when the encoder compresses inside */
	char *qualified; /* "schema"."table" (or a leaf partition archived row by row) */
	/* What statements read and delete: ONLY "schema"."table" for a table (never a child's
	 * rows, even one that appears during the run), the parent itself for a partitioned one. */
	char *from;
	char *table_rel; /* "schema"."table", the table itself whatever is being archived */
	/* Fingerprints taken when the checks passed (safety.h): of the table and its dependents,
	 * and of its columns alone (what a whole partition's copy must hold). */
	char digest[33];
	char cols_digest[33];
	const char *piece_name; /* NULL, or that leaf's schema.name, in row objects' keys */
	char *time_col;         /* "column" */
	char *key_prefix;       /* <database>/<schema>.<table> */
	char *columns_json;     /* [{"name":..,"type":..},..] */
	char *sysid;            /* server system identifier, or NULL */
	int64_t cutoff;
	uint64_t rows, bytes, objects;
	int64_t null_times; /* rows whose time column is NULL: never archived */
	/* Manifests are written while the next window's COPY starts (after their COMMIT, as the
	 * protocol requires); their ledger flags are committed with the window after that. */
	ArchivedObject pending;
	bool has_pending;
	char probe_names[2][32]; /* prepared probe statements, "" until prepared */
	char ledger_stmt[32];    /* prepared ledger insert, "" until prepared */
	char digest_stmt[32];    /* prepared fingerprint of the table (safety.h), "" until then */
	StrList manifests_done;
	/* A restore put rows back into the table (the ledger says so at the run's start; no
	 * restore runs while the lock is held): each object then names, in its manifest, the
	 * restored objects it supersedes (those of the window being committed, then the pending
	 * object's). */
	bool has_restored;
	StrList supersedes;
	StrList pending_supersedes;
	ArchiveThrottle throttle;
	PgHypertable hypertable; /* TimescaleDB's description, when the table is a hypertable */
	int agains; /* whole relations archived again in this run (whole.c: their keys) */
} ArchiveTarget;

/* Test hooks: EBB_TEST_CRASH_AT=stage[:n] kills the process with SIGKILL, and
 * EBB_TEST_STOP_AT=stage[:n] stops it with SIGSTOP, the n-th (default first) time it reaches
 * that stage, so that crash and concurrency tests need no timing (a comma-separated list
 * names several). Stages: locked (table lock taken), copy (after each row), object-written,
 * before-commit, after-commit; whole relations: partition-archived (T1 committed),
 * partition-detached, chunk-locked (a slice's chunks locked for the drop), archived-again
 * (a replacing object committed). Only a test
 * build (cmake -DEBB_TEST_HOOKS=ON, make build-asan) has them; elsewhere a hook compiles to
 * nothing, as PostgreSQL's injection points do, and the environment is never read. */
#define archive_crash_point(stage) testpoint_reached(stage)

#endif
