/* hypertable.c: see hypertable.h. */
#include "pg/hypertable.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pg.h"

static char *
nullable(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : ebb_strdup(PQgetvalue(res, row, col));
}

/* Dimension 1 is the time dimension ("Time", or an integer one, also "Time"). The children
 * that are not chunks would be read and deleted through the hypertable: archive refuses
 * them as it refuses inheritance children. */
static const char hypertable_sql[] =
	"SELECT d.column_name, d.column_type::pg_catalog.text,"
	" d.column_type IN ('smallint'::pg_catalog.regtype, 'integer'::pg_catalog.regtype,"
	" 'bigint'::pg_catalog.regtype),"
	" (SELECT pg_catalog.count(*) FROM timescaledb_information.dimensions d2"
	" WHERE d2.hypertable_schema = h.hypertable_schema"
	" AND d2.hypertable_name = h.hypertable_name),"
	" h.compression_enabled,"
	" (SELECT pg_catalog.string_agg(i.inhrelid::pg_catalog.regclass::pg_catalog.text, ', '"
	" ORDER BY 1) FROM pg_catalog.pg_inherits i WHERE i.inhparent = $3::pg_catalog.oid"
	" AND NOT EXISTS (SELECT 1 FROM timescaledb_information.chunks c"
	" WHERE c.hypertable_schema = h.hypertable_schema AND c.hypertable_name = h.hypertable_name"
	" AND pg_catalog.to_regclass(pg_catalog.format('%I.%I', c.chunk_schema, c.chunk_name))"
	" = i.inhrelid)),"
	" (SELECT pg_catalog.format('\"%s\" on %s', k.conname, k.conrelid::pg_catalog.regclass)"
	" FROM pg_catalog.pg_constraint k WHERE k.contype = 'f' AND k.confrelid = $3::pg_catalog.oid"
	" ORDER BY k.conname LIMIT 1),"
	" (SELECT pg_catalog.quote_ident(n.nspname) FROM pg_catalog.pg_extension e"
	" JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'timescaledb')"
	" FROM timescaledb_information.hypertables h"
	" JOIN timescaledb_information.dimensions d ON d.hypertable_schema = h.hypertable_schema"
	" AND d.hypertable_name = h.hypertable_name AND d.dimension_number = 1"
	" WHERE h.hypertable_schema = $1 AND h.hypertable_name = $2";

bool
pg_hypertable_read(PGconn *conn, uint32_t oid, const char *schema, const char *table,
				   PgHypertable *out, EbbError *err)
{
	char oid_text[16];
	const char *params[] = {schema, table, oid_text};
	bool installed;
	PGresult *res;

	memset(out, 0, sizeof(*out));
	snprintf(oid_text, sizeof(oid_text), "%u", oid);
	if (!pg_query_bool(conn,
					   "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension"
					   " WHERE extname = 'timescaledb')",
					   0, NULL, &installed, err))
		return false;
	if (!installed)
		return true;
	if (!pg_query(conn, hypertable_sql, 3, params, &res, err))
		return false;
	out->is = PQntuples(res) == 1;
	if (out->is)
	{
		out->time_column = ebb_strdup(PQgetvalue(res, 0, 0));
		out->time_type = ebb_strdup(PQgetvalue(res, 0, 1));
		out->integer = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
		out->dimensions = atoi(PQgetvalue(res, 0, 3));
		out->compression = strcmp(PQgetvalue(res, 0, 4), "t") == 0;
		out->stray_children = nullable(res, 0, 5);
		out->referenced_by = nullable(res, 0, 6);
		out->ext_schema = ebb_strdup(PQgetvalue(res, 0, 7));
	}
	PQclear(res);
	return true;
}

void
pg_hypertable_free(PgHypertable *ht)
{
	free(ht->time_column);
	free(ht->time_type);
	free(ht->stray_children);
	free(ht->ext_schema);
	free(ht->referenced_by);
	memset(ht, 0, sizeof(*ht));
}

static void
chunks_sql(const PgHypertable *ht, Buf *sql)
{
	const char *lower = ht->integer ? "c.range_start_integer" : NULL;
	const char *upper = ht->integer ? "c.range_end_integer" : NULL;

	buf_append_str(sql, "SELECT r.oid, c.chunk_schema, c.chunk_name,"
						" pg_catalog.format('%I.%I', c.chunk_schema, c.chunk_name), ");
	if (lower)
		buf_printf(sql, "%s, %s", lower, upper);
	else
	{
		pg_epoch_us_sql("c.range_start", sql);
		buf_append_str(sql, ", ");
		pg_epoch_us_sql("c.range_end", sql);
	}
	buf_printf(sql,
			   ", c.is_compressed, coalesce(s.total_bytes, 0), coalesce(r.reltuples, 0)"
			   " FROM timescaledb_information.chunks c"
			   " CROSS JOIN LATERAL (SELECT pg_catalog.to_regclass(pg_catalog.format('%%I.%%I',"
			   " c.chunk_schema, c.chunk_name))::pg_catalog.oid AS oid) o"
			   " LEFT JOIN pg_catalog.pg_class r ON r.oid = o.oid"
			   " LEFT JOIN %s.chunks_detailed_size(pg_catalog.format('%%I.%%I', $1::text,"
			   " $2::text)::pg_catalog.regclass) s"
			   " ON s.chunk_schema = c.chunk_schema AND s.chunk_name = c.chunk_name"
			   " WHERE c.hypertable_schema = $1 AND c.hypertable_name = $2"
			   " AND r.oid IS NOT NULL ORDER BY 5, 3",
			   ht->ext_schema);
}

bool
pg_hypertable_chunks(PGconn *conn, const PgHypertable *ht, const char *schema, const char *table,
					 PgChunkList *out, EbbError *err)
{
	const char *params[] = {schema, table};
	PGresult *res;
	Buf sql;

	memset(out, 0, sizeof(*out));
	buf_init(&sql);
	chunks_sql(ht, &sql);
	bool ok = pg_query(conn, buf_cstr(&sql), 2, params, &res, err);
	buf_free(&sql);
	if (!ok)
	{
		error_prefix(err, "could not list the chunks of hypertable %s.%s: ", schema, table);
		return false;
	}
	out->n = PQntuples(res);
	out->items = ebb_malloc(sizeof(PgChunk) * (size_t) (out->n ? out->n : 1));
	for (int i = 0; i < out->n; i++)
	{
		PgChunk *c = &out->items[i];
		c->oid = (uint32_t) strtoul(PQgetvalue(res, i, 0), NULL, 10);
		c->schema = ebb_strdup(PQgetvalue(res, i, 1));
		c->name = ebb_strdup(PQgetvalue(res, i, 2));
		c->qualified = ebb_strdup(PQgetvalue(res, i, 3));
		c->lower = strtoll(PQgetvalue(res, i, 4), NULL, 10);
		c->upper = strtoll(PQgetvalue(res, i, 5), NULL, 10);
		c->compressed = strcmp(PQgetvalue(res, i, 6), "t") == 0;
		c->bytes = strtoll(PQgetvalue(res, i, 7), NULL, 10);
		c->est_rows = strtod(PQgetvalue(res, i, 8), NULL);
	}
	PQclear(res);
	return true;
}

void
pg_chunk_list_free(PgChunkList *list)
{
	for (int i = 0; i < list->n; i++)
	{
		free(list->items[i].schema);
		free(list->items[i].name);
		free(list->items[i].qualified);
	}
	free(list->items);
	memset(list, 0, sizeof(*list));
}

bool
pg_hypertable_retention_jobs(PGconn *conn, const char *schema, const char *table, char **jobs,
							 EbbError *err)
{
	const char *params[] = {schema, table};
	PGresult *res;

	*jobs = NULL;
	if (!pg_query(conn,
				  "SELECT pg_catalog.string_agg(pg_catalog.format('job %s (drop_after %s)',"
				  " j.job_id, coalesce(j.config->>'drop_after', '?')), ', ' ORDER BY j.job_id)"
				  " FROM timescaledb_information.jobs j WHERE j.proc_name = 'policy_retention'"
				  " AND j.hypertable_schema = $1 AND j.hypertable_name = $2",
				  2, params, &res, err))
		return false;
	*jobs = nullable(res, 0, 0);
	PQclear(res);
	return true;
}

bool
pg_hypertable_chunk_state(PGconn *conn, const PgHypertable *ht, const char *schema,
						  const char *table, uint32_t oid, PgChunkState *out, EbbError *err)
{
	char oid_text[16];
	const char *params[] = {schema, table, oid_text};
	PGresult *res;
	Buf sql;

	memset(out, 0, sizeof(*out));
	snprintf(oid_text, sizeof(oid_text), "%u", oid);
	buf_init(&sql);
	buf_append_str(&sql, "SELECT pg_catalog.format('%I.%I', c.chunk_schema, c.chunk_name),"
						 " c.chunk_schema OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||)"
						 " c.chunk_name, ");
	if (ht->integer)
		buf_append_str(&sql, "c.range_start_integer::pg_catalog.text,"
							 " c.range_end_integer::pg_catalog.text");
	else if (strcmp(ht->time_type, "timestamp without time zone") == 0)
		/* The view shows a timestamp dimension's slice as that timestamp in UTC. */
		buf_append_str(&sql, "(c.range_start AT TIME ZONE 'UTC')::pg_catalog.text,"
							 " (c.range_end AT TIME ZONE 'UTC')::pg_catalog.text");
	else
		buf_append_str(&sql, "c.range_start::pg_catalog.text, c.range_end::pg_catalog.text");
	buf_append_str(&sql, " FROM timescaledb_information.chunks c WHERE c.hypertable_schema = $1"
						 " AND c.hypertable_name = $2 AND pg_catalog.to_regclass("
						 "pg_catalog.format('%I.%I', c.chunk_schema, c.chunk_name))"
						 " = $3::pg_catalog.oid");
	bool ok = pg_query(conn, buf_cstr(&sql), 3, params, &res, err);
	buf_free(&sql);
	if (!ok)
		return false;
	out->found = PQntuples(res) == 1;
	if (out->found)
	{
		out->qualified = ebb_strdup(PQgetvalue(res, 0, 0));
		out->name = ebb_strdup(PQgetvalue(res, 0, 1));
		out->lower = ebb_strdup(PQgetvalue(res, 0, 2));
		out->upper = ebb_strdup(PQgetvalue(res, 0, 3));
	}
	PQclear(res);
	return true;
}

void
pg_chunk_state_free(PgChunkState *st)
{
	free(st->qualified);
	free(st->name);
	free(st->lower);
	free(st->upper);
	memset(st, 0, sizeof(*st));
}
