/* ledger.c: ebb.archive_ledger (one row per committed object) and ebb.archive_run. Their
 * schema is src/catalog/'s: a run reads its version (catalog_ensure) before it writes them. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/archive.h"
#include "catalog/catalog.h"
#include "common/log.h"
#include "common/time.h"
#include "pg/ident.h"

static void ledger_text_array(const StrList *keys, Buf *arr);

/* The object's ledger row, and in the same statement the flags of the manifests written since
 * the last window (they commit together). Prepared once per table. */
static const char ledger_insert_sql[] =
	"WITH flagged AS (UPDATE ebb.archive_ledger SET manifest_written = true"
	" WHERE object_key = ANY ($17::text[]))"
	" INSERT INTO ebb.archive_ledger (run_id, table_schema, table_name, time_column,"
	" window_utc, window_start, window_end, dest, object_key, rows, bytes, sha256,"
	" format, compression, columns, ebb_version, partition_oid, partition_name,"
	" partition_bound, partition_state, partition_fingerprint)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,"
	" $18::oid, $19, $20, CASE WHEN $18 IS NOT NULL THEN 'archived' END, $21)";

bool
ledger_insert(ArchiveTarget *t, const ArchivedObject *obj, EbbError *err)
{
	char ws[64], we[64], rows[32], bytes[32], poid[16];
	const Policy *p = t->policy;
	PGresult *res;
	Buf keys;

	if (!t->ledger_stmt[0])
	{
		archive_statement_name("ebb_ledger", t->ledger_stmt, sizeof(t->ledger_stmt));
		if (!pg_prepare(t->conn, t->ledger_stmt, ledger_insert_sql, 21, err))
		{
			t->ledger_stmt[0] = '\0';
			return false;
		}
	}
	time_format_sql(obj->window.start, false, ws, sizeof(ws));
	time_format_sql(obj->window.end, false, we, sizeof(we));
	snprintf(rows, sizeof(rows), "%" PRIu64, obj->rows);
	snprintf(bytes, sizeof(bytes), "%" PRIu64, obj->bytes);
	buf_init(&keys);
	ledger_text_array(&t->manifests_done, &keys);
	snprintf(poid, sizeof(poid), "%u", obj->partition_oid);
	const char *params[21] = {t->run_id,
							  p->schema,
							  p->table,
							  p->time_column,
							  t->info.time_is_tz ? "t" : "f",
							  ws,
							  we,
							  t->store.url,
							  obj->key,
							  rows,
							  bytes,
							  obj->sha256,
							  p->format,
							  p->compress,
							  t->columns_json,
							  EBB_VERSION,
							  buf_cstr(&keys),
							  obj->partition_name ? poid : NULL,
							  obj->partition_name,
							  obj->partition_bound,
							  obj->partition_fingerprint};
	bool ok = pg_query_prepared(t->conn, t->ledger_stmt, 21, params, &res, err);
	buf_free(&keys);
	if (!ok)
	{
		error_prefix(err, "could not record object in the ledger: ");
		return false;
	}
	PQclear(res);
	return true;
}

bool
ledger_mark_manifest(PGconn *conn, const char *key, EbbError *err)
{
	const char *params[1] = {key};
	PGresult *res;

	if (!pg_query(conn,
				  "UPDATE ebb.archive_ledger SET manifest_written = true WHERE object_key = $1", 1,
				  params, &res, err))
		return false;
	PQclear(res);
	return true;
}

/* A text[] literal of the keys, for ANY ($n::text[]). */
static void
ledger_text_array(const StrList *keys, Buf *arr)
{
	buf_append_char(arr, '{');
	for (int i = 0; i < keys->count; i++)
	{
		if (i > 0)
			buf_append_char(arr, ',');
		buf_append_char(arr, '"');
		for (const char *p = keys->items[i]; *p; p++)
		{
			if (*p == '"' || *p == '\\')
				buf_append_char(arr, '\\');
			buf_append_char(arr, *p);
		}
		buf_append_char(arr, '"');
	}
	buf_append_char(arr, '}');
}

/* Flags many keys in one statement. */
bool
ledger_mark_manifests(PGconn *conn, const StrList *keys, EbbError *err)
{
	Buf arr;
	PGresult *res;

	if (keys->count == 0)
		return true;
	buf_init(&arr);
	ledger_text_array(keys, &arr);
	const char *params[1] = {buf_cstr(&arr)};
	bool ok = pg_query(conn,
					   "UPDATE ebb.archive_ledger SET manifest_written = true"
					   " WHERE object_key = ANY ($1::text[])",
					   1, params, &res, err);
	if (ok)
		PQclear(res);
	buf_free(&arr);
	return ok;
}

bool
ledger_key_committed(PGconn *conn, const char *key, bool *committed, EbbError *err)
{
	const char *params[1] = {key};
	PGresult *res;

	if (!pg_query(conn, "SELECT 1 FROM ebb.archive_ledger WHERE object_key = $1", 1, params, &res,
				  err))
		return false;
	*committed = PQntuples(res) > 0;
	PQclear(res);
	return true;
}

/* Writes the manifests that a crash between COMMIT and the manifest left missing. */
bool
ledger_repair_manifests(ArchiveTarget *t, EbbError *err)
{
	const char *params[3] = {t->policy->schema, t->policy->table, t->store.url};
	PGresult *res;

	Buf sql;

	buf_init(&sql);
	buf_append_str(&sql, "SELECT object_key, rows, bytes, sha256, run_id, columns::text, ");
	archive_epoch_us_sql("window_start", &sql);
	buf_append_str(&sql, ", ");
	archive_epoch_us_sql("window_end", &sql);
	buf_append_str(&sql, " FROM ebb.archive_ledger WHERE table_schema = $1 AND table_name = $2"
						 " AND dest = $3 AND NOT manifest_written ORDER BY id");
	bool queried = pg_query(t->conn, buf_cstr(&sql), 3, params, &res, err);
	buf_free(&sql);
	if (!queried)
		return false;
	bool ok = true;
	for (int i = 0; ok && i < PQntuples(res); i++)
	{
		ArchivedObject obj = {0};
		snprintf(obj.key, sizeof(obj.key), "%s", PQgetvalue(res, i, 0));
		obj.rows = strtoull(PQgetvalue(res, i, 1), NULL, 10);
		obj.bytes = strtoull(PQgetvalue(res, i, 2), NULL, 10);
		snprintf(obj.sha256, sizeof(obj.sha256), "%s", PQgetvalue(res, i, 3));
		obj.run_id = PQgetvalue(res, i, 4);
		obj.columns_json = PQgetvalue(res, i, 5);
		obj.window.start = strtoll(PQgetvalue(res, i, 6), NULL, 10);
		obj.window.end = strtoll(PQgetvalue(res, i, 7), NULL, 10);
		obj.piece = obj.window;
		log_info("writing the missing manifest of \"%s\"", obj.key);
		ok = manifest_write(t, &obj, err);
	}
	PQclear(res);
	return ok;
}

/*
 * Runs of this table that still say 'running' although their lock is free (the caller holds
 * it now): killed, or their session lost, before they recorded an outcome. Called once the
 * table's lock is held, before this run's own row exists.
 */
bool
ledger_mark_interrupted(ArchiveTarget *t, EbbError *err)
{
	const char *params[4] = {t->policy->schema, t->policy->table, t->run_id, t->info.oid_text};
	PGresult *res;
	Buf sql;

	buf_init(&sql);
	buf_append_str(&sql, "UPDATE ebb.archive_run r SET status = 'interrupted',"
						 " message = 'ended without recording its outcome; found by run ' || $3"
						 " WHERE r.table_schema = $1 AND r.table_name = $2"
						 " AND r.status = 'running' AND NOT ");
	catalog_run_alive_sql(&sql, CATALOG_VERSION, "r", "$4::oid");
	buf_append_str(&sql, " RETURNING r.run_id");
	bool ok = pg_query(t->conn, buf_cstr(&sql), 4, params, &res, err);
	buf_free(&sql);
	if (!ok)
		return false;
	for (int i = 0; i < PQntuples(res); i++)
		log_info("run %s of table %s ended without recording its outcome: marked "
				 "interrupted",
				 PQgetvalue(res, i, 0), pg_message_name(t->policy->schema, t->policy->table).s);
	PQclear(res);
	return true;
}

/* The table's oid and this session's pid say whose advisory lock the run holds. */
bool
ledger_run_start(ArchiveTarget *t, EbbError *err)
{
	const char *params[4] = {t->run_id, t->policy->schema, t->policy->table, t->info.oid_text};
	PGresult *res;

	if (!pg_query(t->conn,
				  "INSERT INTO ebb.archive_run (run_id, table_schema, table_name, status,"
				  " table_oid, backend_pid)"
				  " VALUES ($1, $2, $3, 'running', $4::oid, pg_catalog.pg_backend_pid())",
				  4, params, &res, err))
		return false;
	PQclear(res);
	return true;
}

/* Best effort: the outcome is also reported on stdout/stderr. */
void
ledger_run_finish(ArchiveTarget *t, const char *status, const char *message)
{
	char rows[32], bytes[32], objects[32];
	const char *params[7] = {t->run_id, t->policy->schema, t->policy->table, status, rows, bytes,
							 objects};
	PGresult *res;
	EbbError ignored;

	if (!t->conn || PQstatus(t->conn) != CONNECTION_OK)
		return;
	snprintf(rows, sizeof(rows), "%" PRIu64, t->rows);
	snprintf(bytes, sizeof(bytes), "%" PRIu64, t->bytes);
	snprintf(objects, sizeof(objects), "%" PRIu64, t->objects);
	const char *all[8] = {params[0], params[1], params[2], params[3],
						  params[4], params[5], params[6], message};
	if (pg_query(t->conn,
				 "UPDATE ebb.archive_run SET status = $4, rows = $5, bytes = $6, objects = $7,"
				 " message = $8, finished_at = pg_catalog.now()"
				 " WHERE run_id = $1 AND table_schema = $2 AND table_name = $3",
				 8, all, &res, &ignored))
		PQclear(res);
}
