/* target.c: see target.h. */
#include "restore/target.h"

#include <stdlib.h>
#include <string.h>

#include "pg/catalog.h"
#include "pg/ident.h"
#include "pg/pg.h"

/* Rows go into tables, partitioned tables, views and foreign tables (PostgreSQL says what
 * a view or foreign table can take); anything else is refused by name. */
static bool
check_relkind(PGconn *conn, RestoreTarget *t, EbbError *err)
{
	char oid[16];
	const char *params[1] = {oid};
	PGresult *res;

	snprintf(oid, sizeof(oid), "%u", t->oid);
	if (!pg_query(conn, "SELECT relkind FROM pg_catalog.pg_class WHERE oid = $1::oid", 1, params,
				  &res, err))
		return false;
	t->relkind = PQntuples(res) ? PQgetvalue(res, 0, 0)[0] : '?';
	PQclear(res);
	if (strchr("rpvf", t->relkind))
		return true;
	const char *what = t->relkind == 'S'                        ? "a sequence"
					   : t->relkind == 'm'                      ? "a materialized view"
					   : t->relkind == 'i' || t->relkind == 'I' ? "an index"
					   : t->relkind == 'c'                      ? "a composite type"
																: "not a table";
	error_set(err, EBB_ERR_CONFIG, "%s is %s: rows cannot be restored into it",
			  pg_message_name(t->schema, t->table).s, what);
	error_hint(err, "Name a table with --into.");
	return false;
}

static bool
load_columns(PGconn *conn, RestoreTarget *t, EbbError *err)
{
	char oid[16];
	const char *params[1] = {oid};
	PGresult *res;

	snprintf(oid, sizeof(oid), "%u", t->oid);
	if (!pg_query(conn,
				  "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),"
				  " a.attgenerated <> '', a.attidentity = 'a',"
				  " pg_catalog.pg_get_serial_sequence(a.attrelid::regclass::text, a.attname),"
				  " coalesce(a.attnum = ANY"
				  " ((SELECT i.indkey FROM pg_catalog.pg_index i WHERE i.indrelid = a.attrelid"
				  " AND i.indisprimary)::int2[]), false)"
				  " FROM pg_catalog.pg_attribute a WHERE a.attrelid = $1::oid AND a.attnum > 0"
				  " AND NOT a.attisdropped ORDER BY a.attnum",
				  1, params, &res, err))
		return false;
	t->ncolumns = PQntuples(res);
	t->columns = ebb_malloc(sizeof(RestoreColumn) * (size_t) (t->ncolumns ? t->ncolumns : 1));
	for (int i = 0; i < t->ncolumns; i++)
	{
		RestoreColumn *c = &t->columns[i];
		c->name = ebb_strdup(PQgetvalue(res, i, 0));
		c->type = ebb_strdup(PQgetvalue(res, i, 1));
		c->generated = strcmp(PQgetvalue(res, i, 2), "t") == 0;
		c->identity_always = strcmp(PQgetvalue(res, i, 3), "t") == 0;
		c->sequence = PQgetisnull(res, i, 4) ? NULL : ebb_strdup(PQgetvalue(res, i, 4));
		c->key = strcmp(PQgetvalue(res, i, 5), "t") == 0;
		t->nkey += c->key;
	}
	PQclear(res);
	return true;
}

/* --key replaces the primary key; each name must be a column. */
static bool
apply_key(RestoreTarget *t, const char *key, EbbError *err)
{
	char *copy = ebb_strdup(key), *save = NULL;
	bool ok = true;

	for (int i = 0; i < t->ncolumns; i++)
		t->columns[i].key = false;
	t->nkey = 0;
	for (char *name = strtok_r(copy, ",", &save); ok && name; name = strtok_r(NULL, ",", &save))
	{
		while (*name == ' ')
			name++;
		RestoreColumn *c = (RestoreColumn *) restore_target_column(t, name);
		if (!c)
		{
			error_set(err, EBB_ERR_CONFIG, "column \"%s\" of --key does not exist in table %s",
					  name, pg_message_name(t->schema, t->table).s);
			ok = false;
		}
		else if (!c->key)
		{
			c->key = true;
			t->nkey++;
		}
	}
	free(copy);
	return ok;
}

bool
restore_target_load(PGconn *conn, const char *schema, const char *table, const char *key,
					RestoreTarget *t, EbbError *err)
{
	bool exists;

	memset(t, 0, sizeof(*t));
	t->schema = ebb_strdup(schema);
	t->table = ebb_strdup(table);
	buf_init(&t->qualified);
	pg_quote_qualified(&t->qualified, schema, table);
	if (!pg_table_oid(conn, schema, table, &exists, &t->oid, err))
		return false;
	if (!exists)
	{
		error_set(err, EBB_ERR_CONFIG, "table %s does not exist", pg_message_name(schema, table).s);
		error_hint(err, "Create it (with the archived table's columns), or name another with "
						"--into.");
		return false;
	}
	return check_relkind(conn, t, err) && load_columns(conn, t, err) &&
		   (!key || apply_key(t, key, err));
}

bool
restore_target_key_unique(PGconn *conn, const RestoreTarget *t, bool *unique, EbbError *err)
{
	char oid[16];
	Buf keys;
	PGresult *res;
	int n = 0;

	*unique = true;
	if (t->relkind == 'v' || t->relkind == 'f')
		return true; /* no index of its own: PostgreSQL says what it can do */
	snprintf(oid, sizeof(oid), "%u", t->oid);
	buf_init(&keys);
	buf_append_char(&keys, '{');
	for (int i = 0; i < t->ncolumns; i++)
		if (t->columns[i].key)
		{
			buf_append_str(&keys, n++ ? ",\"" : "\"");
			for (const char *p = t->columns[i].name; *p; p++)
			{
				if (*p == '"' || *p == '\\')
					buf_append_char(&keys, '\\');
				buf_append_char(&keys, *p);
			}
			buf_append_char(&keys, '"');
		}
	buf_append_char(&keys, '}');
	const char *params[2] = {oid, buf_cstr(&keys)};
	bool ok = pg_query(conn,
					   "SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = $1::oid"
					   " AND i.indisunique AND i.indimmediate AND i.indpred IS NULL"
					   " AND i.indexprs IS NULL AND (SELECT pg_catalog.array_agg(a.attname::text"
					   " ORDER BY a.attname::text) FROM pg_catalog.unnest(i.indkey) k"
					   " JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid"
					   " AND a.attnum = k) = (SELECT pg_catalog.array_agg(x ORDER BY x)"
					   " FROM pg_catalog.unnest($2::text[]) x)",
					   2, params, &res, err);
	buf_free(&keys);
	if (!ok)
		return false;
	*unique = PQntuples(res) > 0;
	PQclear(res);
	return true;
}

bool
restore_target_sync_sequences(PGconn *conn, const RestoreTarget *t, EbbError *err)
{
	bool ok = true;

	for (int i = 0; ok && i < t->ncolumns; i++)
	{
		const RestoreColumn *c = &t->columns[i];
		Buf sql;
		if (!c->sequence)
			continue;
		buf_init(&sql);
		buf_printf(&sql, "SELECT pg_catalog.setval(s.oid, x.m) FROM (SELECT pg_catalog.max(");
		pg_quote_ident(&sql, c->name);
		buf_printf(&sql, ")::int8 AS m FROM %s) x, (SELECT ", buf_cstr((Buf *) &t->qualified));
		pg_quote_literal(&sql, c->sequence);
		buf_printf(&sql,
				   "::regclass::oid AS oid) s, %s q WHERE x.m > q.last_value"
				   " OR (x.m = q.last_value AND NOT q.is_called)",
				   c->sequence);
		ok = pg_exec(conn, buf_cstr(&sql), err);
		buf_free(&sql);
	}
	return ok;
}

const RestoreColumn *
restore_target_column(const RestoreTarget *t, const char *name)
{
	for (int i = 0; i < t->ncolumns; i++)
		if (strcmp(t->columns[i].name, name) == 0)
			return &t->columns[i];
	return NULL;
}

void
restore_target_free(RestoreTarget *t)
{
	for (int i = 0; i < t->ncolumns; i++)
	{
		free(t->columns[i].name);
		free(t->columns[i].type);
		free(t->columns[i].sequence);
	}
	free(t->columns);
	free(t->schema);
	free(t->table);
	buf_free(&t->qualified);
	memset(t, 0, sizeof(*t));
}
