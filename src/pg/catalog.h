/*
 * catalog.h: what ebb needs to know about a table, read from the catalog. The caller owns the
 * TableInfo and frees it with pg_table_info_free().
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

typedef struct TableInfo
{
	char *schema;
	char *table;
	uint32_t oid;
	char oid_text[16]; /* the oid as a query parameter */
	char relkind;
	TableShape shape;
	int time_index;       /* position of the time column in shape */
	bool time_is_tz;      /* timestamptz (windows in UTC) vs timestamp (naive) */
	bool time_indexed;    /* a valid, non-partial btree index leads with the time column */
	double est_rows;      /* reltuples */
	double est_row_bytes; /* table size / reltuples, for --dry-run estimates */
} TableInfo;

/* Fails with EBB_ERR_CONFIG when the table or column is missing or the column is not a
 * timestamp; the message names the table ("schema.table") and column. */
bool pg_table_info(PGconn *conn, const char *schema, const char *table, const char *time_column,
				   TableInfo *out, EbbError *err);
void pg_table_info_free(TableInfo *info);

/* True when the table exists (used to skip databases without it under --all-databases). */
bool pg_table_exists(PGconn *conn, const char *schema, const char *table, bool *exists,
					 EbbError *err);
/* The same, with the table's oid when it exists. */
bool pg_table_oid(PGconn *conn, const char *schema, const char *table, bool *exists, uint32_t *oid,
				  EbbError *err);

#endif
