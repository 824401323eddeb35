#include "pg/catalog.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "pg/pg.h"
#include "pg/ident.h"

static bool
lookup_relation(PGconn *conn, PgTableInfo *info, bool *found, EbbError *err)
{
	const char *params[2] = {info->schema, info->table};
	PGresult *res;

	if (!pg_query(
			conn,
			"SELECT c.oid, c.relkind, c.reltuples, "
			"pg_catalog.pg_table_size(c.oid) "
			"FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
			"WHERE n.nspname = $1 AND c.relname = $2",
			2, params, &res, err))
		return false;
	*found = PQntuples(res) == 1;
	if (*found)
	{
		info->oid = (uint32_t) strtoul(PQgetvalue(res, 0, 0), NULL, 10);
		snprintf(info->oid_text, sizeof(info->oid_text), "%u", info->oid);
		info->relkind = PQgetvalue(res, 0, 1)[0];
		info->est_rows = atof(PQgetvalue(res, 0, 2));
		double bytes = atof(PQgetvalue(res, 0, 3));
		info->est_row_bytes = info->est_rows > 0 ? bytes / info->est_rows : 0;
	}
	PQclear(res);
	return true;
}

/* Without statistics (never analyzed: reltuples is -1), sample the width of some rows. */
static void
estimate_row_bytes(PGconn *conn, PgTableInfo *info)
{
	Buf sql;
	PGresult *res;
	EbbError ignored;

	if (info->est_row_bytes > 0)
		return;
	buf_init(&sql);
	buf_append_str(&sql,
				   "SELECT pg_catalog.avg(pg_catalog.pg_column_size(s.*)) FROM (SELECT * FROM ");
	if (info->relkind != 'p')
		buf_append_str(&sql, "ONLY ");
	pg_quote_qualified(&sql, info->schema, info->table);
	buf_append_str(&sql, " LIMIT 1000) s");
	if (pg_query(conn, buf_cstr(&sql), 0, NULL, &res, &ignored))
	{
		if (!PQgetisnull(res, 0, 0))
			info->est_row_bytes = atof(PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	buf_free(&sql);
}

static bool
load_columns(PGconn *conn, PgTableInfo *info, EbbError *err)
{
	const char *params[1] = {info->oid_text};
	PGresult *res;

	/* Domains (over domains too) resolve to their base type and its typmod: the encoder types
	 * values by what they really are, as COPY's binary form sends them. */
	if (!pg_query(conn,
				  "WITH RECURSIVE b(attnum, typid, typmod, depth) AS ("
				  " SELECT a.attnum, a.atttypid, a.atttypmod, 0 FROM pg_catalog.pg_attribute a"
				  " WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped"
				  " UNION ALL SELECT b.attnum, t.typbasetype,"
				  " CASE WHEN b.typmod >= 0 THEN b.typmod ELSE t.typtypmod END, b.depth + 1"
				  " FROM b JOIN pg_catalog.pg_type t ON t.oid = b.typid WHERE t.typtype = 'd') "
				  "SELECT a.attname, b.typid, b.typmod, t.typtype, t.typcategory, "
				  "pg_catalog.format_type(a.atttypid, a.atttypmod), a.attgenerated = 's', "
				  "pg_catalog.pg_get_expr(d.adbin, d.adrelid) "
				  "FROM pg_catalog.pg_attribute a "
				  "JOIN b ON b.attnum = a.attnum "
				  "JOIN pg_catalog.pg_type t ON t.oid = b.typid AND t.typtype <> 'd' "
				  "LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = "
				  "a.attnum WHERE a.attrelid = $1 ORDER BY a.attnum",
				  1, params, &res, err))
		return false;
	int n = PQntuples(res);
	info->shape.columns = ebb_malloc(sizeof(ColumnDesc) * (size_t) (n ? n : 1));
	memset(info->shape.columns, 0, sizeof(ColumnDesc) * (size_t) (n ? n : 1));
	info->generated = ebb_malloc(sizeof(GeneratedColumn) * (size_t) (n ? n : 1));
	for (int i = 0; i < n; i++)
	{
		if (strcmp(PQgetvalue(res, i, 6), "t") == 0)
		{
			info->generated[info->ngenerated++] = (GeneratedColumn){
				ebb_strdup(PQgetvalue(res, i, 0)), ebb_strdup(PQgetvalue(res, i, 5)),
				(uint32_t) strtoul(PQgetvalue(res, i, 1), NULL, 10),
				ebb_strdup(PQgetvalue(res, i, 7))};
			continue;
		}
		ColumnDesc *c = &info->shape.columns[info->shape.ncolumns++];
		c->name = ebb_strdup(PQgetvalue(res, i, 0));
		c->type_oid = (uint32_t) strtoul(PQgetvalue(res, i, 1), NULL, 10);
		c->typmod = (int32_t) strtol(PQgetvalue(res, i, 2), NULL, 10);
		c->typtype = PQgetvalue(res, i, 3)[0];
		c->typcategory = PQgetvalue(res, i, 4)[0];
		c->type_name = ebb_strdup(PQgetvalue(res, i, 5));
	}
	PQclear(res);
	return true;
}

static bool
check_time_index(PGconn *conn, PgTableInfo *info, EbbError *err)
{
	const char *params[2] = {info->oid_text, info->time_name};
	PGresult *res;

	if (!pg_query(
			conn,
			"SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_index i "
			"JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
			"JOIN pg_catalog.pg_am am ON am.oid = ic.relam "
			"JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
			"WHERE i.indrelid = $1 AND a.attname = $2 AND am.amname = 'btree' "
			"AND i.indisvalid AND i.indpred IS NULL)",
			2, params, &res, err))
		return false;
	info->time_indexed = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return true;
}

static bool
find_time_column(PgTableInfo *info, const char *time_column, bool allow_integer, EbbError *err)
{
	const char *type_name = NULL;

	for (int i = 0; i < info->shape.ncolumns; i++)
		if (strcmp(info->shape.columns[i].name, time_column) == 0)
		{
			info->time_type = info->shape.columns[i].type_oid;
			type_name = info->shape.columns[i].type_name;
		}
	/* A generated time column is not in the objects, but it still ages the rows. */
	for (int i = 0; i < info->ngenerated; i++)
		if (strcmp(info->generated[i].name, time_column) == 0)
		{
			type_name = info->generated[i].type_name;
			info->time_type = info->generated[i].type_oid;
		}
	if (!type_name)
		return error_set(err, EBB_ERR_CONFIG, "column \"%s\" of table %s does not exist",
						 time_column, pg_message_name(info->schema, info->table).s);
	info->time_integer =
		allow_integer && (info->time_type == PG_OID_INT2 || info->time_type == PG_OID_INT4 ||
						  info->time_type == PG_OID_INT8);
	if (info->time_type != PG_OID_TIMESTAMP && info->time_type != PG_OID_TIMESTAMPTZ &&
		!info->time_integer)
	{
		error_set(err, EBB_ERR_CONFIG, "column \"%s\" of table %s is not a timestamp column",
				  time_column, pg_message_name(info->schema, info->table).s);
		error_detail(err, "Its type is %s.", type_name);
		error_hint(err, "ebb ages rows by a column of type timestamp or timestamp with time zone.");
		return false;
	}
	info->time_name = ebb_strdup(time_column);
	info->time_is_tz = info->time_type != PG_OID_TIMESTAMP; /* integers count UTC time */
	return true;
}

bool
pg_table_info(PGconn *conn, const char *schema, const char *table, const char *time_column,
			  PgTableInfo *out, EbbError *err)
{
	return pg_table_info_integer(conn, schema, table, time_column, false, out, err);
}

bool
pg_table_info_integer(PGconn *conn, const char *schema, const char *table, const char *time_column,
					  bool allow_integer, PgTableInfo *out, EbbError *err)
{
	bool found;

	memset(out, 0, sizeof(*out));
	out->schema = ebb_strdup(schema);
	out->table = ebb_strdup(table);
	if (!lookup_relation(conn, out, &found, err))
		return false;
	if (!found)
		return error_set(err, EBB_ERR_CONFIG, "table %s does not exist",
						 pg_message_name(schema, table).s);
	if (out->relkind != 'r' && out->relkind != 'p')
	{
		error_set(err, EBB_ERR_CONFIG, "%s is not a table", pg_message_name(schema, table).s);
		error_hint(err, "ebb archives rows of ordinary and partitioned tables only.");
		return false;
	}
	if (!load_columns(conn, out, err) || !find_time_column(out, time_column, allow_integer, err) ||
		!check_time_index(conn, out, err))
		return false;
	estimate_row_bytes(conn, out);
	return true;
}

void
pg_table_info_free(PgTableInfo *info)
{
	free(info->schema);
	free(info->table);
	free(info->time_name);
	for (int i = 0; i < info->ngenerated; i++)
	{
		free(info->generated[i].name);
		free(info->generated[i].type_name);
		free(info->generated[i].expression);
	}
	free(info->generated);
	row_table_shape_free(&info->shape);
	memset(info, 0, sizeof(*info));
}

bool
pg_table_exists(PGconn *conn, const char *schema, const char *table, bool *exists, EbbError *err)
{
	PgTableInfo info = {.schema = (char *) schema, .table = (char *) table};

	return lookup_relation(conn, &info, exists, err);
}

bool
pg_table_oid(PGconn *conn, const char *schema, const char *table, bool *exists, uint32_t *oid,
			 EbbError *err)
{
	PgTableInfo info = {.schema = (char *) schema, .table = (char *) table};

	if (!lookup_relation(conn, &info, exists, err))
		return false;
	*oid = info.oid;
	return true;
}
