/*
 * indexes.h: a table's indexes as the catalog and the statistics hold them, for ebb doctor:
 * what each is built on, whether a failed CREATE INDEX CONCURRENTLY left it INVALID, its size
 * and how often it was scanned. Only reads; the caller owns what it gets (pg_indexes_free).
 */
#ifndef EBB_PG_INDEXES_H
#define EBB_PG_INDEXES_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

typedef struct PgIndex
{
	uint32_t oid;
	char *schema, *name; /* unquoted */
	char *qualified;     /* quoted schema.name */
	char *method;        /* btree, brin, hash, gist... */
	char *definition;    /* pg_get_indexdef */
	char *keys;          /* its key columns (and expressions), as pg_get_indexdef shows them */
	bool valid;          /* indisvalid: false after a failed concurrent build */
	bool unique, primary, partial;
	bool leads;        /* its first key is the column asked about (not an expression of it) */
	bool partitioned;  /* the index of a partitioned table (relkind I) */
	bool building;     /* a CREATE INDEX or REINDEX is building it now (any session) */
	bool reindex_copy; /* <name>_ccnew or _ccold of an index <name> of the table: REINDEX
						* CONCURRENTLY's transient copy */
	char *quoted_name; /* quote_ident(name), as pg_get_indexdef writes it */
	bool constraint;   /* a constraint of the table uses it (exclusion, unique, primary key) */
	int64_t bytes;
	int64_t scans; /* pg_stat_user_indexes.idx_scan since the statistics were reset */
} PgIndex;

typedef struct PgIndexes
{
	PgIndex *items; /* by name */
	int n;
} PgIndexes;

/* The indexes of table `oid`; `column` (unquoted) is the one `leads` asks about. */
bool pg_indexes_of(PGconn *conn, uint32_t oid, const char *column, PgIndexes *out, EbbError *err);
void pg_indexes_free(PgIndexes *ix);

/* Is the amcheck extension installed in this database? *schema (caller frees) is where. */
bool pg_indexes_amcheck_schema(PGconn *conn, char **schema, EbbError *err);

#endif
