/* ledger.c: every statement on ebb.archive_ledger. */
#include "catalog/ledger.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/time.h"
#include "pg/pg.h"

/* The object's row, and in the same statement the flags of the manifests written since the
 * last window (they commit together). */
static const char insert_sql[] =
	"WITH flagged AS (UPDATE ebb.archive_ledger SET manifest_written = true"
	" WHERE object_key = ANY ($17::text[]))"
	" INSERT INTO ebb.archive_ledger (run_id, table_schema, table_name, time_column,"
	" window_utc, window_start, window_end, dest, object_key, rows, bytes, sha256,"
	" format, compression, columns, ebb_version, partition_oid, partition_name,"
	" partition_bound, partition_state, partition_fingerprint)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,"
	" $18::oid, $19, $20, CASE WHEN $18 IS NOT NULL THEN 'archived' END, $21)";

/* A text[] literal of the keys, for ANY ($n::text[]). */
static void
text_array(const StrList *keys, Buf *arr)
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

static bool
prepare_insert(PGconn *conn, char *stmt, size_t stmt_len, EbbError *err)
{
	static int seq;

	if (stmt[0])
		return true;
	snprintf(stmt, stmt_len, "ebb_ledger_%d", ++seq);
	if (pg_prepare(conn, stmt, insert_sql, 21, err))
		return true;
	stmt[0] = '\0';
	return false;
}

bool
catalog_ledger_insert(PGconn *conn, char *stmt, size_t stmt_len, const CatalogLedgerInsert *row,
					  const StrList *manifests_done, EbbError *err)
{
	char ws[64], we[64], rows[32], bytes[32], poid[16];
	PGresult *res;
	Buf keys;

	if (!prepare_insert(conn, stmt, stmt_len, err))
		return false;
	time_format_sql(row->window_start, false, ws, sizeof(ws));
	time_format_sql(row->window_end, false, we, sizeof(we));
	snprintf(rows, sizeof(rows), "%" PRIu64, row->rows);
	snprintf(bytes, sizeof(bytes), "%" PRIu64, row->bytes);
	snprintf(poid, sizeof(poid), "%u", row->partition_oid);
	buf_init(&keys);
	text_array(manifests_done, &keys);
	const char *params[21] = {row->run_id,
							  row->schema,
							  row->table,
							  row->time_column,
							  row->window_utc ? "t" : "f",
							  ws,
							  we,
							  row->dest,
							  row->key,
							  rows,
							  bytes,
							  row->sha256,
							  row->format,
							  row->compression,
							  row->columns_json,
							  EBB_VERSION,
							  buf_cstr(&keys),
							  row->partition_name ? poid : NULL,
							  row->partition_name,
							  row->partition_bound,
							  row->partition_fingerprint};
	bool ok = pg_query_prepared(conn, stmt, 21, params, &res, err);
	buf_free(&keys);
	if (!ok)
	{
		error_prefix(err, "could not record object in the ledger: ");
		return false;
	}
	PQclear(res);
	return true;
}

static bool
run(PGconn *conn, const char *sql, int n, const char *const *params, EbbError *err)
{
	PGresult *res;

	if (!pg_query(conn, sql, n, params, &res, err))
		return false;
	PQclear(res);
	return true;
}

bool
catalog_ledger_mark_manifest(PGconn *conn, const char *key, EbbError *err)
{
	const char *params[1] = {key};

	return run(conn, "UPDATE ebb.archive_ledger SET manifest_written = true WHERE object_key = $1",
			   1, params, err);
}

bool
catalog_ledger_mark_manifests(PGconn *conn, const StrList *keys, EbbError *err)
{
	Buf arr;

	if (keys->count == 0)
		return true;
	buf_init(&arr);
	text_array(keys, &arr);
	const char *params[1] = {buf_cstr(&arr)};
	bool ok = run(conn,
				  "UPDATE ebb.archive_ledger SET manifest_written = true"
				  " WHERE object_key = ANY ($1::text[])",
				  1, params, err);
	buf_free(&arr);
	return ok;
}

bool
catalog_ledger_names(PGconn *conn, const char *key, const char *key2, bool *named, EbbError *err)
{
	const char *params[2] = {key, key2 ? key2 : key};
	PGresult *res;

	if (!pg_query(conn, "SELECT 1 FROM ebb.archive_ledger WHERE object_key = $1 OR object_key = $2",
				  2, params, &res, err))
		return false;
	*named = PQntuples(res) > 0;
	PQclear(res);
	return true;
}

bool
catalog_ledger_set_partition_state(PGconn *conn, const char *key, const char *state, EbbError *err)
{
	const char *params[2] = {key, state};

	return run(conn, "UPDATE ebb.archive_ledger SET partition_state = $2 WHERE object_key = $1", 2,
			   params, err);
}

bool
catalog_ledger_delete(PGconn *conn, const char *key, EbbError *err)
{
	const char *params[1] = {key};

	return run(conn, "DELETE FROM ebb.archive_ledger WHERE object_key = $1", 1, params, err);
}

bool
catalog_ledger_mark_restored(PGconn *conn, const char *key, const char *run_id, EbbError *err)
{
	const char *params[2] = {key, run_id};

	return run(conn,
			   "UPDATE ebb.archive_ledger SET restored_at = pg_catalog.now(), restored_run = $2"
			   " WHERE object_key = $1",
			   2, params, err);
}

/* ---- reading ---- */

bool
catalog_ledger_has_restored(PGconn *conn, const char *schema, const char *table, bool *yes,
							EbbError *err)
{
	const char *params[2] = {schema, table};
	PGresult *res;

	if (!pg_query(conn,
				  "SELECT EXISTS (SELECT 1 FROM ebb.archive_ledger WHERE table_schema = $1"
				  " AND table_name = $2 AND restored_at IS NOT NULL)",
				  2, params, &res, err))
		return false;
	*yes = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return true;
}

bool
catalog_ledger_superseded_by(PGconn *conn, const char *key, StrList *out, EbbError *err)
{
	const char *params[1] = {key};

	return pg_query_strings(
		conn,
		"SELECT l.object_key FROM ebb.archive_ledger o JOIN ebb.archive_ledger l"
		" ON l.table_schema = o.table_schema AND l.table_name = o.table_name"
		" AND l.dest = o.dest AND l.restored_at IS NOT NULL"
		" AND l.restored_at < o.archived_at"
		" AND l.window_start < o.window_end AND l.window_end > o.window_start"
		" AND l.object_key <> o.object_key WHERE o.object_key = $1"
		" ORDER BY l.id",
		1, params, out, err);
}

/* A marked window stops counting once a later archive run committed an object of the same
 * table overlapping it: its rows went out again. */
bool
catalog_ledger_restored_summary(PGconn *conn, const char *schema, const char *table,
								int64_t *objects, int64_t *rows, EbbError *err)
{
	const char *params[2] = {schema, table};
	PGresult *res;

	if (!pg_query(conn,
				  "SELECT pg_catalog.count(*), coalesce(pg_catalog.sum(l.rows), 0)"
				  " FROM ebb.archive_ledger l WHERE l.table_schema = $1 AND l.table_name = $2"
				  " AND l.restored_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM"
				  " ebb.archive_ledger a WHERE a.table_schema = $1 AND a.table_name = $2"
				  " AND a.archived_at > l.restored_at AND a.window_start < l.window_end"
				  " AND a.window_end > l.window_start)",
				  2, params, &res, err))
		return false;
	*objects = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	*rows = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	return true;
}

/* Microseconds since the epoch of a timestamp expression, infinities as the int8 extremes. */
static void
epoch_us_sql(const char *expr, Buf *out)
{
	buf_printf(out,
			   "CASE WHEN pg_catalog.isfinite(%s) THEN (extract(epoch FROM %s) * 1000000)::int8"
			   " WHEN %s < 'epoch' THEN -9223372036854775808"
			   " WHEN %s > 'epoch' THEN 9223372036854775807 END",
			   expr, expr, expr, expr);
}

/*
 * Windows of timestamptz columns are kept in UTC: --from and --to are read in the session
 * TimeZone and converted; those of timestamp columns are wall-clock values, compared as given.
 */
static void
select_sql(const CatalogLedgerFilter *f, Buf *sql)
{
	buf_append_str(sql, "SELECT run_id, table_schema, table_name, time_column, dest, object_key,"
						" sha256, format, compression, columns::text, rows, bytes, window_utc, ");
	epoch_us_sql("window_start", sql);
	buf_append_str(sql, ", ");
	epoch_us_sql("window_end", sql);
	buf_append_str(sql, ", manifest_written, coalesce(partition_oid, 0),"
						" coalesce(partition_name, ''), coalesce(partition_bound, ''),"
						" coalesce(partition_fingerprint, ''), coalesce(partition_state, '')");
	/* Superseded: a restore put the object's rows back into the table, and a later archive
	 * run took the window out again (restored_at, schema version 4 on). */
	if (f->superseded)
		buf_append_str(sql,
					   ", l.restored_at IS NOT NULL AND EXISTS (SELECT 1 FROM"
					   " ebb.archive_ledger a WHERE a.table_schema = l.table_schema"
					   " AND a.table_name = l.table_name AND a.dest = l.dest"
					   " AND a.archived_at > l.restored_at"
					   " AND a.window_start < l.window_end AND a.window_end > l.window_start)");
	buf_append_str(sql, " FROM ebb.archive_ledger l WHERE table_schema = $1 AND table_name = $2"
						" AND ($3::text IS NULL OR dest = $3)"
						" AND ($4::text IS NULL OR window_end > CASE WHEN window_utc"
						" THEN $4::text::pg_catalog.timestamptz AT TIME ZONE 'UTC'"
						" ELSE $4::text::pg_catalog.timestamp END)"
						" AND ($5::text IS NULL OR window_start < CASE WHEN window_utc"
						" THEN $5::text::pg_catalog.timestamptz AT TIME ZONE 'UTC'"
						" ELSE $5::text::pg_catalog.timestamp END)");
	if (f->missing_manifest)
		buf_append_str(sql, " AND NOT manifest_written");
	if (f->partition_archived)
		buf_append_str(sql, " AND partition_state = 'archived'");
	buf_append_str(sql, f->by_window ? " ORDER BY window_start, id" : " ORDER BY id");
}

static void
entry_read(PGresult *res, int i, bool superseded, CatalogLedgerEntry *e)
{
	const char **text[] = {&e->run_id, &e->schema, &e->table,  &e->time_column, &e->dest,
						   &e->key,    &e->sha256, &e->format, &e->compression, &e->columns_json};
	int n = (int) (sizeof(text) / sizeof(text[0]));

	for (int c = 0; c < n; c++)
		*text[c] = PQgetvalue(res, i, c);
	e->rows = strtoull(PQgetvalue(res, i, n), NULL, 10);
	e->bytes = strtoull(PQgetvalue(res, i, n + 1), NULL, 10);
	e->window_utc = strcmp(PQgetvalue(res, i, n + 2), "t") == 0;
	e->window_start = strtoll(PQgetvalue(res, i, n + 3), NULL, 10);
	e->window_end = strtoll(PQgetvalue(res, i, n + 4), NULL, 10);
	e->manifest_written = strcmp(PQgetvalue(res, i, n + 5), "t") == 0;
	e->partition_oid = (uint32_t) strtoul(PQgetvalue(res, i, n + 6), NULL, 10);
	e->partition_name = PQgetvalue(res, i, n + 7);
	e->partition_bound = PQgetvalue(res, i, n + 8);
	e->partition_fingerprint = PQgetvalue(res, i, n + 9);
	e->partition_state = PQgetvalue(res, i, n + 10);
	e->superseded = superseded && strcmp(PQgetvalue(res, i, n + 11), "t") == 0;
}

bool
catalog_ledger_select(PGconn *conn, const CatalogLedgerFilter *f, CatalogLedgerRows *out,
					  EbbError *err)
{
	const char *params[5] = {f->schema, f->table, f->dest, f->from, f->to};
	Buf sql;

	memset(out, 0, sizeof(*out));
	buf_init(&sql);
	select_sql(f, &sql);
	bool ok = pg_query(conn, buf_cstr(&sql), 5, params, &out->res, err);
	buf_free(&sql);
	if (!ok)
		return false;
	out->n = PQntuples(out->res);
	out->rows = ebb_malloc(sizeof(CatalogLedgerEntry) * (size_t) (out->n ? out->n : 1));
	for (int i = 0; i < out->n; i++)
		entry_read(out->res, i, f->superseded, &out->rows[i]);
	return true;
}

void
catalog_ledger_rows_free(CatalogLedgerRows *rows)
{
	free(rows->rows);
	if (rows->res)
		PQclear(rows->res);
	memset(rows, 0, sizeof(*rows));
}

bool
catalog_ledger_keys(PGconn *conn, const char *schema, const char *table, const char *prefix,
					void (*fn)(void *arg, const char *key, const char *dest, bool own), void *arg,
					EbbError *err)
{
	const char *params[3] = {schema, table, prefix};
	PGresult *res;

	if (!pg_query(conn,
				  "SELECT object_key, dest, table_schema = $1 AND table_name = $2"
				  " FROM ebb.archive_ledger WHERE (table_schema = $1 AND table_name = $2)"
				  " OR pg_catalog.left(object_key, pg_catalog.length($3)) = $3",
				  3, params, &res, err))
		return false;
	for (int i = 0; i < PQntuples(res); i++)
		fn(arg, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
		   strcmp(PQgetvalue(res, i, 2), "t") == 0);
	PQclear(res);
	return true;
}

bool
catalog_ledger_count_unremoved(PGconn *conn, const char *schema, const char *table, int64_t *count,
							   EbbError *err)
{
	const char *params[2] = {schema, table};
	PGresult *res;

	/* to_jsonb: a ledger from before partitions has no such column */
	if (!pg_query(conn,
				  "SELECT pg_catalog.count(*) FROM ebb.archive_ledger l"
				  " WHERE table_schema = $1 AND table_name = $2"
				  " AND pg_catalog.to_jsonb(l) ->> 'partition_state' = 'archived'",
				  2, params, &res, err))
		return false;
	*count = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return true;
}

bool
catalog_ledger_time_column(PGconn *conn, const char *schema, const char *table, char **column,
						   EbbError *err)
{
	const char *params[2] = {schema, table};
	PGresult *res;

	*column = NULL;
	if (!pg_query(conn,
				  "SELECT time_column FROM ebb.archive_ledger"
				  " WHERE table_schema = $1 AND table_name = $2 ORDER BY id DESC LIMIT 1",
				  2, params, &res, err))
		return false;
	if (PQntuples(res) == 1)
		*column = ebb_strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return true;
}

void
catalog_ledger_run_totals_sql(Buf *sql, const char *run, const char *alias)
{
	buf_printf(sql,
			   " LEFT JOIN LATERAL (SELECT coalesce(pg_catalog.sum(g.rows), 0) AS rows,"
			   " coalesce(pg_catalog.sum(g.bytes), 0) AS bytes, pg_catalog.count(*) AS objects"
			   " FROM ebb.archive_ledger g WHERE g.run_id = %s.run_id"
			   " AND g.table_schema = %s.table_schema AND g.table_name = %s.table_name) %s"
			   " ON true",
			   run, run, run, alias);
}
