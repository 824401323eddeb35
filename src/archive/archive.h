/*
 * archive.h: the archive protocol of DESIGN.md for one (database, table): plan windows, then
 * per piece, in one transaction on the session holding the table's advisory lock:
 * COPY (DELETE ... RETURNING *) -> encode -> compress -> hash -> store -> verify -> ledger ->
 * COMMIT -> manifest. ArchiveTarget is owned by archive_table(); the pieces below use it.
 */
#ifndef EBB_ARCHIVE_ARCHIVE_H
#define EBB_ARCHIVE_ARCHIVE_H

#include <libpq-fe.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "archive/plan.h"
#include "common/buf.h"
#include "common/cancel.h"
#include "common/error.h"
#include "compress/compressor.h"
#include "common/testpoint.h"
#include "config/config.h"
#include "encode/encoder.h"
#include "pg/catalog.h"
#include "pg/pg.h"
#include "store/store.h"

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
	int64_t bytes; /* pg_total_relation_size */
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

typedef struct ArchiveTarget
{
	const Settings *settings;
	const Policy *policy;
	const char *dsn;
	const char *dbname;
	const char *run_id;
	const ArchiveReport *report; /* the caller's, or NULL */
	PGconn *conn;                /* holds the advisory lock */
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
} ArchiveTarget;

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
} TableOutcome;

/* Runs one policy in one database on conn (dry-run plans and counts only), telling report
 * (the caller's, may be NULL) what it plans and how far it is. */
void archive_table(PGconn *conn, const char *dsn, const char *dbname, const Settings *settings,
				   const Policy *policy, const char *run_id, bool skip_if_absent,
				   const ArchiveReport *report, TableOutcome *out);

/* The table's advisory lock, held by the session while archive (or verify --gc) works on the
 * table: pg_try_advisory_lock(7373062, the table's oid folded into int4). */
bool archive_lock_table(PGconn *conn, uint32_t oid, bool *locked, EbbError *err);
void archive_unlock_table(PGconn *conn, uint32_t oid);

/* One piece; rows == 0 in *obj means the range was empty and nothing was written. */
bool archive_piece(ArchiveTarget *t, TimeRange piece, TimeRange window, ArchivedObject *obj,
				   EbbError *err);

/* Steps 2-6 for a transaction the caller began: COPY `sql` (whose rows the transaction owns)
 * -> object -> verify -> ledger -> COMMIT. On failure the transaction is rolled back. An empty
 * result stores nothing and rolls back (obj->rows == 0). */
bool archive_in_transaction(ArchiveTarget *t, const char *sql, ArchivedObject *obj, EbbError *err);

/* object.c: an object's key and compressor, calling no other file of the folder. */
/* <database>/<schema>.<table>, with '/', '%', '\\' and control bytes percent-encoded. */
void archive_object_key_prefix(const char *dbname, const char *schema, const char *table, Buf *out);
/* A leaf's name for archive_object_key: <schema>.<name>, each part with its dots encoded, so
 * that "a.b".c and a."b.c" differ (the caller frees it). */
char *archive_object_leaf_name(const char *schema, const char *name);
/* The object key of a piece: <prefix>/dt=YYYY-MM-DD/hour=HH/<start>_<run>[_<name>].<ext> */
void archive_object_key(const ArchiveTarget *t, int64_t start, const char *name, char *out,
						size_t outlen);
/* An empty object record for a piece (name: see archive_object_key; NULL for rows). */
void archive_object_init(const ArchiveTarget *t, TimeRange piece, TimeRange window,
						 const char *name, ArchivedObject *obj);
/* The compressor around an object of this format: --compress, or none for a format that
 * compresses inside (its codec is then the encoder's). NULL for an unknown method. */
const CompressorDriver *archive_object_compressor(const EncoderDriver *enc, const char *compress);

/* ledger.c */
bool archive_ledger_insert(ArchiveTarget *t, const ArchivedObject *obj, EbbError *err);
bool archive_ledger_mark_manifest(PGconn *conn, const char *key, EbbError *err);
bool archive_ledger_mark_manifests(PGconn *conn, const StrList *keys, EbbError *err);
bool archive_ledger_key_committed(PGconn *conn, const char *key, bool *committed, EbbError *err);
/* Older 'running' rows of the table whose lock is free become 'interrupted' (lock held). */
bool archive_ledger_mark_interrupted(ArchiveTarget *t, EbbError *err);
bool archive_ledger_run_start(ArchiveTarget *t, EbbError *err);
void archive_ledger_run_finish(ArchiveTarget *t, const char *status, const char *message);

/* manifest.c (calls ledger.c, never the reverse) */
/* Writes the manifests that a crash between COMMIT and the manifest left missing, and sets
 * their ledger flags. */
bool archive_manifest_repair(ArchiveTarget *t, EbbError *err);
/* Writes the manifest of the last committed object; its ledger flag follows later. */
void archive_manifest_flush(ArchiveTarget *t);
/* At the end of a table's run: the last manifest, and the flags not yet committed. */
void archive_manifest_finish(ArchiveTarget *t);

/* probe.c: the planner's probe over the table's time index. */
void archive_probe_init(ArchiveTarget *t, WindowProbe *probe);

/* sql.c: small SQL helpers, calling no other file of the folder. */
/* The first column of the first row as an integer (*isnull when NULL or no row). */
bool archive_sql_query_int64(PGconn *conn, const char *sql, int n, const char *const *params,
							 int64_t *out, bool *isnull, EbbError *err);
/* A name for a prepared statement, unique in this process (tables share a session). */
void archive_sql_statement_name(const char *prefix, char *out, size_t outlen);
/* Drops the target's prepared statements (best effort). */
void archive_sql_deallocate(ArchiveTarget *t);
/* ROLLBACK when the session is in a transaction (best effort). */
void archive_sql_rollback(ArchiveTarget *t);
/* Formats a time as the SQL literal for the column's type. */
void archive_sql_time_literal(const ArchiveTarget *t, int64_t us, Buf *out);
/* The WHERE condition selecting a piece's rows (time literals are ebb's own integers). */
void archive_sql_range_condition(const ArchiveTarget *t, TimeRange piece, Buf *out);
/* The column list of a COPY of the table's rows, by name, in the table's order, with the
 * casts to text a binary encoder asks for. */
void archive_sql_column_list(const TableShape *shape, Buf *sql);

/* Test hooks: EBB_TEST_CRASH_AT=stage[:n] kills the process with SIGKILL, and
 * EBB_TEST_STOP_AT=stage[:n] stops it with SIGSTOP, the n-th (default first) time it reaches
 * that stage, so that crash and concurrency tests need no timing. Stages: locked (table lock
 * taken), copy (after each row), object-written, before-commit, after-commit. Only a test
 * build (cmake -DEBB_TEST_HOOKS=ON, make build-asan) has them; elsewhere a hook compiles to
 * nothing, as PostgreSQL's injection points do, and the environment is never read. */
#define archive_crash_point(stage) testpoint_reached(stage)

#endif
