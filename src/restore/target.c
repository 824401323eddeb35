/* target.c: see target.h. */
#include "restore/target.h"

#include <stdlib.h>
#include <string.h>

#include "pg/catalog.h"
#include "pg/ident.h"
#include "pg/pg.h"

static bool
load_columns(PGconn *conn, RestoreTarget *t, EbbError *err)
{
	char oid[16];
	const char *params[1] = {oid};
	PGresult *res;

	snprintf(oid, sizeof(oid), "%u", t->oid);
	if (!pg_query(conn,
				  "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),"
				  " a.attgenerated <> '', a.attidentity = 'a', coalesce(a.attnum = ANY"
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
		c->key = strcmp(PQgetvalue(res, i, 4), "t") == 0;
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
	return load_columns(conn, t, err) && (!key || apply_key(t, key, err));
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
	}
	free(t->columns);
	free(t->schema);
	free(t->table);
	buf_free(&t->qualified);
	memset(t, 0, sizeof(*t));
}
