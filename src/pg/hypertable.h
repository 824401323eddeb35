/*
 * hypertable.h: a TimescaleDB hypertable as TimescaleDB's own catalog (its
 * timescaledb_information views) describes it: its time dimension, its chunks with their time
 * slices, and the jobs that would drop them. Never from chunk names. Only reads; what to
 * archive or drop is archive's. The caller owns what it gets and frees it with the matching
 * _free().
 */
#ifndef EBB_PG_HYPERTABLE_H
#define EBB_PG_HYPERTABLE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

typedef struct PgHypertable
{
	bool is;              /* a hypertable (false: the rest is unset) */
	char *time_column;    /* the time dimension's column, unquoted */
	char *time_type;      /* its type, as the view names it */
	bool integer;         /* an integer time dimension (smallint, integer, bigint) */
	int dimensions;       /* the time dimension and the space ones */
	bool compression;     /* compression is enabled on it */
	char *ext_schema;     /* TimescaleDB's functions' schema, quoted (show_chunks, drop_chunks) */
	char *stray_children; /* inheritance children that are not its chunks, ", "-joined, or NULL */
	char *referenced_by; /* a foreign key that references it ("name on table"), or NULL */
} PgHypertable;

/* Is relation `oid` (schema.table) a hypertable? Needs no TimescaleDB in the database. */
bool pg_hypertable_read(PGconn *conn, uint32_t oid, const char *schema, const char *table,
						PgHypertable *out, EbbError *err);
void pg_hypertable_free(PgHypertable *ht);

/* One chunk with its time slice: microseconds since the epoch for timestamp dimensions (a
 * timestamp's as if in UTC, as ebb's windows are), the dimension's own values for integer
 * ones. */
typedef struct PgChunk
{
	uint32_t oid;
	char *schema, *name;
	char *qualified; /* quote_ident(schema).quote_ident(name) */
	int64_t lower, upper;
	bool compressed;
	int64_t bytes; /* chunks_detailed_size: heap, indexes and TOAST */
	double est_rows;
} PgChunk;

typedef struct PgChunkList
{
	PgChunk *items; /* by lower bound, then name */
	int n;
} PgChunkList;

bool pg_hypertable_chunks(PGconn *conn, const PgHypertable *ht, const char *schema,
						  const char *table, PgChunkList *out, EbbError *err);
void pg_chunk_list_free(PgChunkList *list);

/* TimescaleDB's retention jobs (policy_retention) on the hypertable: "job 1000 (drop_after
 * 7 days)", ", "-joined into *jobs (NULL when none). */
bool pg_hypertable_retention_jobs(PGconn *conn, const char *schema, const char *table, char **jobs,
								  EbbError *err);

/* Chunk `oid` of hypertable schema.table now: *found, its name quoted and qualified, its name
 * "schema.name" unquoted, and its slice's bounds as text in the dimension's type (what
 * show_chunks and drop_chunks take as $n::time_type). The strings are the caller's. */
typedef struct PgChunkState
{
	bool found;
	char *qualified, *name;
	char *lower, *upper;
} PgChunkState;

bool pg_hypertable_chunk_state(PGconn *conn, const PgHypertable *ht, const char *schema,
							   const char *table, uint32_t oid, PgChunkState *out, EbbError *err);
void pg_chunk_state_free(PgChunkState *st);

#endif
