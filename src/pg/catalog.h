/*
 * catalog.h: what ebb needs to know about a table, read from the catalog. The caller owns the
 * PgTableInfo and frees it with pg_table_info_free().
 */
#ifndef EBB_PG_CATALOG_H
#define EBB_PG_CATALOG_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/row.h"

#define PG_OID_TIMESTAMP   1114
#define PG_OID_TIMESTAMPTZ 1184
#define PG_OID_INT2        21
#define PG_OID_INT4        23
#define PG_OID_INT8        20

/* A stored generated column: left out of archive objects (its value follows from the others,
 * and COPY FROM without a column list expects it absent); the manifest records it. */
typedef struct GeneratedColumn
{
	char *name;
	char *type_name;
	uint32_t type_oid; /* domains resolved to their base type */
	char *expression;  /* pg_get_expr() of its generation expression */
} GeneratedColumn;

typedef struct PgTableInfo
{
	char *schema;
	char *table;
	uint32_t oid;
	char oid_text[16]; /* the oid as a query parameter */
	char relkind;
	TableShape shape; /* the columns archived: every column but stored generated ones */
	GeneratedColumn *generated;
	int ngenerated;
	char *time_name;      /* the time column */
	uint32_t time_type;   /* its type: PG_OID_TIMESTAMP or PG_OID_TIMESTAMPTZ (or an integer) */
	bool time_is_tz;      /* timestamptz (windows in UTC) vs timestamp (naive); integers: true */
	bool time_integer;    /* smallint, integer or bigint (pg_table_info_integer only) */
	bool time_indexed;    /* a valid, non-partial btree index leads with the time column */
	double est_rows;      /* reltuples */
	double est_row_bytes; /* table size / reltuples, for --dry-run estimates */
} PgTableInfo;

/* Fails with EBB_ERR_CONFIG when the table or column is missing or the column is not a
 * timestamp; the message names the table ("schema.table") and column. */
bool pg_table_info(PGconn *conn, const char *schema, const char *table, const char *time_column,
				   PgTableInfo *out, EbbError *err);
/* The same, accepting an integer time column too (a hypertable's integer time dimension). */
bool pg_table_info_integer(PGconn *conn, const char *schema, const char *table,
						   const char *time_column, bool allow_integer, PgTableInfo *out,
						   EbbError *err);
void pg_table_info_free(PgTableInfo *info);

/* True when the table exists (used to skip databases without it under --all-databases). */
bool pg_table_exists(PGconn *conn, const char *schema, const char *table, bool *exists,
					 EbbError *err);
/* The same, with the table's oid when it exists. */
bool pg_table_oid(PGconn *conn, const char *schema, const char *table, bool *exists, uint32_t *oid,
				  EbbError *err);

#endif
