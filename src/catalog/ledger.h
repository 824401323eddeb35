/*
 * ledger.h: ebb.archive_ledger, one row per committed object, and every statement on it (the
 * archive writes it, verify, status and restore read it). Its schema belongs to migrations.c;
 * callers check the version first (catalog_ensure or catalog_read).
 *
 * Times are microseconds since the epoch: UTC instants when window_utc (timestamptz time
 * columns), wall-clock values otherwise, as archive keeps them.
 */
#ifndef EBB_CATALOG_LEDGER_H
#define EBB_CATALOG_LEDGER_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

/* A row to insert; the strings are the caller's. */
typedef struct CatalogLedgerInsert
{
	const char *run_id;
	const char *schema;
	const char *table;
	const char *time_column;
	bool window_utc;
	int64_t window_start;
	int64_t window_end;
	const char *dest;
	const char *key;
	uint64_t rows;
	uint64_t bytes;
	const char *sha256;
	const char *format;
	const char *compression;
	const char *columns_json;
	/* A whole partition's object; partition_name NULL for a row range. */
	uint32_t partition_oid;
	const char *partition_name;
	const char *partition_bound;
	const char *partition_fingerprint;
} CatalogLedgerInsert;

/* One row as read; the strings belong to the CatalogLedgerRows that holds it. */
typedef struct CatalogLedgerEntry
{
	const char *run_id;
	const char *schema;
	const char *table;
	const char *time_column;
	const char *dest;
	const char *key;
	const char *sha256;
	const char *format;
	const char *compression;
	const char *columns_json;
	uint64_t rows;
	uint64_t bytes;
	bool window_utc;
	int64_t window_start;
	int64_t window_end;
	bool manifest_written;
	uint32_t partition_oid;            /* 0 for a row range */
	const char *partition_name;        /* "" for a row range */
	const char *partition_bound;       /* "" for a row range */
	const char *partition_fingerprint; /* "" when none */
	const char *partition_state;       /* archived, dropped, kept, released; "" for a range */
	/* A restore put its rows back into the table and a later archive run archived the window
	 * again: the later object holds them (only with CatalogLedgerFilter.superseded). */
	bool superseded;
} CatalogLedgerEntry;

/* Which rows of one table to read (in the order they were written). */
typedef struct CatalogLedgerFilter
{
	const char *schema;
	const char *table;
	const char *dest;        /* NULL: any destination */
	const char *from;        /* NULL, or windows that end after it (a timestamp as text) */
	const char *to;          /* NULL, or windows that start before it */
	bool missing_manifest;   /* only rows whose manifest is not written */
	bool partition_archived; /* only partitions archived and not yet removed */
	bool by_window;          /* ordered by window start, then as written */
	bool superseded;         /* tell superseded rows (schema version 4 on) */
} CatalogLedgerFilter;

typedef struct CatalogLedgerRows
{
	int n;
	CatalogLedgerEntry *rows;
	PGresult *res; /* owns the strings */
} CatalogLedgerRows;

/* The insert is prepared on first use (*stmt is "" until then; the caller deallocates it).
 * In the same statement, the rows of manifests_done get their manifest flag. */
bool catalog_ledger_insert(PGconn *conn, char *stmt, size_t stmt_len,
						   const CatalogLedgerInsert *row, const StrList *manifests_done,
						   EbbError *err);
bool catalog_ledger_mark_manifests(PGconn *conn, const StrList *keys, EbbError *err);
bool catalog_ledger_mark_manifest(PGconn *conn, const char *key, EbbError *err);
/* Does a row name key (or key2, when not NULL)? */
bool catalog_ledger_names(PGconn *conn, const char *key, const char *key2, bool *named,
						  EbbError *err);
bool catalog_ledger_set_partition_state(PGconn *conn, const char *key, const char *state,
										EbbError *err);
bool catalog_ledger_delete(PGconn *conn, const char *key, EbbError *err);
/* The object's rows are back in the table it was archived from (schema version 4 on; the
 * caller's restore transaction). */
bool catalog_ledger_mark_restored(PGconn *conn, const char *key, const char *run_id, EbbError *err);
/* Has a restore put rows of the table back into it (schema version 4 on)? */
bool catalog_ledger_has_restored(PGconn *conn, const char *schema, const char *table, bool *yes,
								 EbbError *err);
/* The objects that the row of `key` supersedes: of the same table and destination, restored
 * into it before that row was archived, over an overlapping window. Added to out. */
bool catalog_ledger_superseded_by(PGconn *conn, const char *key, StrList *out, EbbError *err);
/* Windows of the table whose rows a restore put back and no archive run has taken again
 * since (schema version 4 on): objects and rows. */
bool catalog_ledger_restored_summary(PGconn *conn, const char *schema, const char *table,
									 int64_t *objects, int64_t *rows, EbbError *err);

/* from and to are cast by PostgreSQL: the caller checks them first (a value it cannot read
 * fails the query). */
bool catalog_ledger_select(PGconn *conn, const CatalogLedgerFilter *f, CatalogLedgerRows *out,
						   EbbError *err);
void catalog_ledger_rows_free(CatalogLedgerRows *rows);

/* Calls fn for every key of the table's rows, and for the keys under prefix that any other
 * table's rows name; own says which. */
bool catalog_ledger_keys(PGconn *conn, const char *schema, const char *table, const char *prefix,
						 void (*fn)(void *arg, const char *key, const char *dest, bool own),
						 void *arg, EbbError *err);

/* Partitions of the table archived and not yet removed (a ledger from before partitions has
 * none). */
bool catalog_ledger_count_unremoved(PGconn *conn, const char *schema, const char *table,
									int64_t *count, EbbError *err);
/* The time column of the table's newest row; *column NULL (caller frees) when none. */
bool catalog_ledger_time_column(PGconn *conn, const char *schema, const char *table, char **column,
								EbbError *err);
/* Appends "LEFT JOIN LATERAL (...) alias ON true": the rows, bytes and objects (count) that
 * the run of ebb.archive_run row `run` recorded in the ledger. */
void catalog_ledger_run_totals_sql(Buf *sql, const char *run, const char *alias);

#endif
