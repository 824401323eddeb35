/* indexes.c: see indexes.h. */
#include "pg/indexes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "pg/pg.h"

static const char indexes_sql[] =
	"SELECT i.indexrelid, n.nspname, c.relname,"
	" pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname), am.amname,"
	" pg_catalog.pg_get_indexdef(i.indexrelid),"
	" (SELECT pg_catalog.string_agg(pg_catalog.pg_get_indexdef(i.indexrelid, k, true), ', '"
	" ORDER BY k) FROM pg_catalog.generate_series(1, i.indnkeyatts) k),"
	" i.indisvalid, i.indisunique, i.indisprimary, i.indpred IS NOT NULL,"
	" i.indkey[0] <> 0 AND a.attname IS NOT DISTINCT FROM $2,"
	" pg_catalog.pg_relation_size(i.indexrelid), coalesce(s.idx_scan, 0), c.relkind = 'I',"
	" EXISTS (SELECT 1 FROM pg_catalog.pg_stat_progress_create_index p"
	" WHERE p.index_relid = i.indexrelid),"
	" EXISTS (SELECT 1 FROM pg_catalog.pg_index i2"
	" JOIN pg_catalog.pg_class c2 ON c2.oid = i2.indexrelid WHERE i2.indrelid = i.indrelid"
	" AND c2.relname = substring(c.relname FROM '^(.*)_cc(?:new|old)[0-9]*$')),"
	" pg_catalog.quote_ident(c.relname),"
	" EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid"
	" AND k.conrelid = i.indrelid)"
	" FROM pg_catalog.pg_index i"
	" JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
	" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
	" JOIN pg_catalog.pg_am am ON am.oid = c.relam"
	" LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]"
	" LEFT JOIN pg_catalog.pg_stat_all_indexes s ON s.indexrelid = i.indexrelid"
	" WHERE i.indrelid = $1::oid ORDER BY c.relname";

static bool
is_true(const PGresult *res, int row, int col)
{
	return strcmp(PQgetvalue(res, row, col), "t") == 0;
}

static void
read_index(const PGresult *res, int row, PgIndex *ix)
{
	ix->oid = (uint32_t) strtoul(PQgetvalue(res, row, 0), NULL, 10);
	ix->schema = ebb_strdup(PQgetvalue(res, row, 1));
	ix->name = ebb_strdup(PQgetvalue(res, row, 2));
	ix->qualified = ebb_strdup(PQgetvalue(res, row, 3));
	ix->method = ebb_strdup(PQgetvalue(res, row, 4));
	ix->definition = ebb_strdup(PQgetvalue(res, row, 5));
	ix->keys = ebb_strdup(PQgetvalue(res, row, 6));
	ix->valid = is_true(res, row, 7);
	ix->unique = is_true(res, row, 8);
	ix->primary = is_true(res, row, 9);
	ix->partial = is_true(res, row, 10);
	ix->leads = is_true(res, row, 11);
	ix->bytes = strtoll(PQgetvalue(res, row, 12), NULL, 10);
	ix->scans = strtoll(PQgetvalue(res, row, 13), NULL, 10);
	ix->partitioned = is_true(res, row, 14);
	ix->building = is_true(res, row, 15);
	ix->reindex_copy = is_true(res, row, 16);
	ix->quoted_name = ebb_strdup(PQgetvalue(res, row, 17));
	ix->constraint = is_true(res, row, 18);
}

bool
pg_indexes_of(PGconn *conn, uint32_t oid, const char *column, PgIndexes *out, EbbError *err)
{
	char oid_text[16];
	const char *params[2] = {oid_text, column};
	PGresult *res;

	memset(out, 0, sizeof(*out));
	snprintf(oid_text, sizeof(oid_text), "%u", oid);
	if (!pg_query(conn, indexes_sql, 2, params, &res, err))
		return false;
	out->n = PQntuples(res);
	out->items = out->n ? ebb_malloc(sizeof(PgIndex) * (size_t) out->n) : NULL;
	for (int i = 0; i < out->n; i++)
	{
		memset(&out->items[i], 0, sizeof(PgIndex));
		read_index(res, i, &out->items[i]);
	}
	PQclear(res);
	return true;
}

void
pg_indexes_free(PgIndexes *ix)
{
	for (int i = 0; i < ix->n; i++)
	{
		PgIndex *x = &ix->items[i];
		free(x->schema);
		free(x->name);
		free(x->qualified);
		free(x->method);
		free(x->definition);
		free(x->keys);
		free(x->quoted_name);
	}
	free(ix->items);
	memset(ix, 0, sizeof(*ix));
}

bool
pg_indexes_amcheck_schema(PGconn *conn, char **schema, EbbError *err)
{
	PGresult *res;

	*schema = NULL;
	if (!pg_query(conn,
				  "SELECT n.nspname FROM pg_catalog.pg_extension e"
				  " JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace"
				  " WHERE e.extname = 'amcheck'",
				  0, NULL, &res, err))
		return false;
	if (PQntuples(res) == 1)
		*schema = ebb_strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return true;
}
