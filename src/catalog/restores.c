/* restores.c: every statement on ebb.restore_ledger. */
#include "catalog/restores.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pg.h"

bool
catalog_restores_present(PGconn *conn, bool *present, EbbError *err)
{
	PGresult *res;

	if (!pg_query(conn, "SELECT pg_catalog.to_regclass('ebb.restore_ledger') IS NOT NULL", 0, NULL,
				  &res, err))
		return false;
	*present = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return true;
}

bool
catalog_restores_done(PGconn *conn, const char *key, const char *target_schema,
					  const char *target_table, bool *done, EbbError *err)
{
	const char *params[3] = {key, target_schema, target_table};
	PGresult *res;

	if (!pg_query(conn,
				  "SELECT 1 FROM ebb.restore_ledger WHERE object_key = $1"
				  " AND target_schema = $2 AND target_table = $3",
				  3, params, &res, err))
		return false;
	*done = PQntuples(res) > 0;
	PQclear(res);
	return true;
}

bool
catalog_restores_insert(PGconn *conn, const CatalogRestore *r, EbbError *err)
{
	char rows[32];
	PGresult *res;

	snprintf(rows, sizeof(rows), "%" PRIu64, r->rows);
	const char *params[8] = {
		r->run_id,       r->key, r->source_schema, r->source_table, r->target_schema,
		r->target_table, rows,   EBB_VERSION};
	if (!pg_query(conn,
				  "INSERT INTO ebb.restore_ledger (run_id, object_key, source_schema,"
				  " source_table, target_schema, target_table, rows, ebb_version)"
				  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
				  8, params, &res, err))
		return false;
	PQclear(res);
	return true;
}

bool
catalog_restores_summary(PGconn *conn, const char *schema, const char *table, int64_t *objects,
						 int64_t *rows, EbbError *err)
{
	const char *params[2] = {schema, table};
	PGresult *res;

	if (!pg_query(conn,
				  "SELECT pg_catalog.count(*), coalesce(pg_catalog.sum(rows), 0)"
				  " FROM ebb.restore_ledger WHERE source_schema = $1 AND source_table = $2",
				  2, params, &res, err))
		return false;
	*objects = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	*rows = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	return true;
}
