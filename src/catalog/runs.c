/* runs.c: every statement on ebb.archive_run. */
#include "catalog/runs.h"

#include <inttypes.h>
#include <stdio.h>

#include "catalog/catalog.h"
#include "catalog/ledger.h"
#include "common/buf.h"
#include "pg/pg.h"

bool
catalog_runs_mark_interrupted(PGconn *conn, const char *schema, const char *table,
							  const char *run_id, const char *oid_text,
							  void (*fn)(void *arg, const char *run_id), void *arg, EbbError *err)
{
	const char *params[4] = {schema, table, run_id, oid_text};
	PGresult *res;
	Buf sql;

	buf_init(&sql);
	buf_append_str(&sql, "UPDATE ebb.archive_run r SET status = 'interrupted',"
						 " message = 'ended without recording its outcome; found by run ' || $3"
						 " WHERE r.table_schema = $1 AND r.table_name = $2"
						 " AND r.status = 'running' AND NOT ");
	catalog_run_alive_sql(&sql, CATALOG_VERSION, "r", "$4::oid");
	buf_append_str(&sql, " RETURNING r.run_id");
	bool ok = pg_query(conn, buf_cstr(&sql), 4, params, &res, err);
	buf_free(&sql);
	if (!ok)
		return false;
	for (int i = 0; i < PQntuples(res); i++)
		fn(arg, PQgetvalue(res, i, 0));
	PQclear(res);
	return true;
}

bool
catalog_runs_start(PGconn *conn, const char *run_id, const char *schema, const char *table,
				   const char *oid_text, EbbError *err)
{
	const char *params[4] = {run_id, schema, table, oid_text};
	PGresult *res;

	if (!pg_query(conn,
				  "INSERT INTO ebb.archive_run (run_id, table_schema, table_name, status,"
				  " table_oid, backend_pid)"
				  " VALUES ($1, $2, $3, 'running', $4::oid, pg_catalog.pg_backend_pid())",
				  4, params, &res, err))
		return false;
	PQclear(res);
	return true;
}

void
catalog_runs_finish(PGconn *conn, const char *run_id, const char *schema, const char *table,
					const CatalogRunOutcome *o)
{
	char rows[32], bytes[32], objects[32];
	PGresult *res;
	EbbError ignored;

	if (!conn || PQstatus(conn) != CONNECTION_OK)
		return;
	snprintf(rows, sizeof(rows), "%" PRIu64, o->rows);
	snprintf(bytes, sizeof(bytes), "%" PRIu64, o->bytes);
	snprintf(objects, sizeof(objects), "%" PRIu64, o->objects);
	const char *params[8] = {run_id, schema, table, o->status, rows, bytes, objects, o->message};
	if (pg_query(conn,
				 "UPDATE ebb.archive_run SET status = $4, rows = $5, bytes = $6, objects = $7,"
				 " message = $8, finished_at = pg_catalog.now()"
				 " WHERE run_id = $1 AND table_schema = $2 AND table_name = $3",
				 8, params, &res, &ignored))
		PQclear(res);
}

#define EPOCH_US(x)                                                                                \
	"CASE WHEN pg_catalog.isfinite(" x ") THEN (extract(epoch FROM " x ") * 1000000)::int8 END"

bool
catalog_runs_latest(PGconn *conn, int version, const char *schema, const char *table,
					const char *oid_text, PGresult **res, EbbError *err)
{
	const char *params[3] = {schema, table, oid_text};
	Buf sql;

	buf_init(&sql);
	buf_append_str(&sql, "SELECT run_id, CASE WHEN status = 'running' AND NOT ");
	catalog_run_alive_sql(&sql, version, "r", "$3::oid");
	buf_append_str(&sql, " THEN 'interrupted' ELSE status END, ");
	buf_append_str(&sql, EPOCH_US("started_at") ", " EPOCH_US("finished_at"));
	/* A run that has not finished (running, or killed) counts what its committed windows put
	 * in the ledger: its own row is written only at its end. */
	buf_append_str(&sql, ", CASE WHEN r.status = 'running' THEN l.rows ELSE r.rows END,"
						 " CASE WHEN r.status = 'running' THEN l.bytes ELSE r.bytes END,"
						 " CASE WHEN r.status = 'running' THEN l.objects ELSE r.objects END,"
						 " r.message FROM ebb.archive_run r");
	catalog_ledger_run_totals_sql(&sql, "r", "l");
	buf_append_str(&sql, " WHERE r.table_schema = $1 AND r.table_name = $2"
						 " ORDER BY r.started_at DESC, r.run_id DESC LIMIT 1");
	bool ok = pg_query(conn, buf_cstr(&sql), 3, params, res, err);
	buf_free(&sql);
	return ok;
}
