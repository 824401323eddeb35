#include "pg/partitions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "pg/catalog.h"
#include "pg/pg.h"

static char *
text_or_null(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : ebb_strdup(PQgetvalue(res, row, col));
}

static bool
is_true(const PGresult *res, int row, int col)
{
	return strcmp(PQgetvalue(res, row, col), "t") == 0;
}

static void
parent_sql(Buf *sql)
{
	buf_printf(
		sql,
		"SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname),"
		" pg_catalog.quote_ident(a.attname), a.atttypid = %d,"
		" (SELECT pg_catalog.quote_ident(dn.nspname) || '.' || pg_catalog.quote_ident(d.relname)"
		" FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class d ON d.oid = i.inhrelid"
		" JOIN pg_catalog.pg_namespace dn ON dn.oid = d.relnamespace WHERE i.inhparent = c.oid"
		" AND pg_catalog.pg_get_expr(d.relpartbound, d.oid) = 'DEFAULT'),"
		" pt.partstrat = 'r' AND pt.partnatts = 1 AND a.atttypid IN (%d, %d),"
		" (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(ca.attname), ', '"
		" ORDER BY ca.attnum) FROM pg_catalog.pg_attribute ca WHERE ca.attrelid = c.oid"
		" AND ca.attnum > 0 AND NOT ca.attisdropped AND ca.attgenerated = ''),"
		" a.attname, c.oid"
		" FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
		" LEFT JOIN pg_catalog.pg_partitioned_table pt ON pt.partrelid = c.oid"
		" LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid"
		" AND a.attnum = pt.partattrs[0] WHERE n.nspname = $1 AND c.relname = $2",
		PG_OID_TIMESTAMPTZ, PG_OID_TIMESTAMP, PG_OID_TIMESTAMPTZ);
}

bool
pg_partition_parent(PGconn *conn, const char *schema, const char *table, bool *found,
					PgPartitionParent *out, EbbError *err)
{
	const char *params[2] = {schema, table};
	PGresult *res;
	Buf sql;

	memset(out, 0, sizeof(*out));
	buf_init(&sql);
	parent_sql(&sql);
	bool ok = pg_query(conn, buf_cstr(&sql), 2, params, &res, err);
	buf_free(&sql);
	if (!ok)
		return false;
	*found = PQntuples(res) == 1;
	out->range_by_time = *found && is_true(res, 0, 4);
	if (out->range_by_time)
	{
		out->qualified = ebb_strdup(PQgetvalue(res, 0, 0));
		out->key = ebb_strdup(PQgetvalue(res, 0, 1));
		out->key_is_tz = is_true(res, 0, 2);
		out->default_part = text_or_null(res, 0, 3);
		out->columns = ebb_strdup(PQgetvalue(res, 0, 5));
		out->key_name = ebb_strdup(PQgetvalue(res, 0, 6));
		out->oid = (uint32_t) strtoul(PQgetvalue(res, 0, 7), NULL, 10);
	}
	PQclear(res);
	return true;
}

void
pg_partition_parent_free(PgPartitionParent *parent)
{
	free(parent->qualified);
	free(parent->key);
	free(parent->key_name);
	free(parent->default_part);
	free(parent->columns);
	memset(parent, 0, sizeof(*parent));
}

bool
pg_partition_of(PGconn *conn, const char *relation, const char *parent, bool *exists,
				bool *is_partition, EbbError *err)
{
	const char *params[2] = {relation, parent};
	PGresult *res;

	if (!pg_query(conn,
				  "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid"
				  " AND i.inhparent = $2::pg_catalog.regclass) FROM pg_catalog.pg_class c"
				  " WHERE c.oid = pg_catalog.to_regclass($1)",
				  2, params, &res, err))
		return false;
	*exists = PQntuples(res) == 1;
	*is_partition = *exists && is_true(res, 0, 0);
	PQclear(res);
	return true;
}

bool
pg_partitions_partman_managed(PGconn *conn, const char *schema, const char *table, bool *managed,
							  EbbError *err)
{
	PGresult *res;
	Buf sql;
	const char *params[1];
	char name[300];

	*managed = false;
	if (!pg_query(conn,
				  "SELECT pg_catalog.quote_ident(n.nspname) FROM pg_catalog.pg_extension e"
				  " JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace"
				  " WHERE e.extname = 'pg_partman'",
				  0, NULL, &res, err))
		return false;
	buf_init(&sql);
	if (PQntuples(res) == 1)
		buf_printf(&sql, "SELECT 1 FROM %s.part_config WHERE parent_table = $1",
				   PQgetvalue(res, 0, 0));
	PQclear(res);
	snprintf(name, sizeof(name), "%s.%s", schema, table);
	params[0] = name;
	bool ok = !sql.len || pg_query(conn, buf_cstr(&sql), 1, params, &res, err);
	if (sql.len && ok)
	{
		*managed = PQntuples(res) > 0;
		PQclear(res);
	}
	buf_free(&sql);
	return ok;
}

bool
pg_partition_state(PGconn *conn, uint32_t oid, uint32_t root, const char *name,
				   PgPartitionState *out, EbbError *err)
{
	char oid_text[16], root_text[16];
	const char *params[3] = {oid_text, root_text, name};
	PGresult *res;

	memset(out, 0, sizeof(*out));
	snprintf(oid_text, sizeof(oid_text), "%u", oid);
	snprintf(root_text, sizeof(root_text), "%u", root);
	if (!pg_query(conn,
				  "SELECT pg_catalog.quote_ident(n.nspname) || '.' ||"
				  " pg_catalog.quote_ident(c.relname), pg_catalog.quote_ident(pn.nspname) || '.' ||"
				  " pg_catalog.quote_ident(p.relname), i.inhdetachpending,"
				  " EXISTS (SELECT 1 FROM pg_catalog.pg_inherits s JOIN pg_catalog.pg_class sc"
				  " ON sc.oid = s.inhrelid WHERE s.inhparent = i.inhparent"
				  " AND pg_catalog.pg_get_expr(sc.relpartbound, sc.oid) = 'DEFAULT'),"
				  " CASE WHEN i.inhparent IS NULL THEN n.nspname || '.' || c.relname = $3"
				  " ELSE i.inhparent IN (SELECT relid FROM"
				  " pg_catalog.pg_partition_tree($2::pg_catalog.oid::pg_catalog.regclass)) END"
				  " FROM pg_catalog.pg_class c"
				  " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
				  " LEFT JOIN pg_catalog.pg_inherits i ON i.inhrelid = c.oid"
				  " LEFT JOIN pg_catalog.pg_class p ON p.oid = i.inhparent"
				  " LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace"
				  " WHERE c.oid = $1 AND c.relkind = 'r'",
				  3, params, &res, err))
		return false;
	out->found = PQntuples(res) == 1;
	if (out->found)
	{
		out->qualified = ebb_strdup(PQgetvalue(res, 0, 0));
		out->parent = PQgetisnull(res, 0, 2) ? NULL : text_or_null(res, 0, 1);
		out->detach_pending = !PQgetisnull(res, 0, 2) && is_true(res, 0, 2);
		out->parent_has_default = is_true(res, 0, 3);
		out->in_tree = is_true(res, 0, 4);
	}
	PQclear(res);
	return true;
}

void
pg_partition_state_free(PgPartitionState *state)
{
	free(state->qualified);
	free(state->parent);
	memset(state, 0, sizeof(*state));
}

/*
 * The partition tree in level order, each relation with its parent, its bound, whether the
 * parent is range-partitioned on the time column (then the bound limits time), and the bound's
 * FROM and TO values converted to microseconds (NULL for MINVALUE/MAXVALUE or another kind of
 * bound). The bound's text comes from pg_get_expr in this session, so it parses back exactly.
 */
static void
tree_sql(bool time_is_tz, Buf *sql)
{
	const char *type = time_is_tz ? "pg_catalog.timestamptz" : "pg_catalog.timestamp";
	char lo[96], hi[96];

	snprintf(lo, sizeof(lo), "pg_catalog.btrim(r.lo, '''')::%s", type);
	snprintf(hi, sizeof(hi), "pg_catalog.btrim(r.hi, '''')::%s", type);
	buf_append_str(sql, "WITH RECURSIVE tree(oid, parent, level) AS ("
						" SELECT $1::oid, 0::oid, 0 UNION ALL"
						" SELECT i.inhrelid, i.inhparent, t.level + 1 FROM tree t"
						" JOIN pg_catalog.pg_inherits i ON i.inhparent = t.oid) "
						"SELECT t.oid, t.parent, n.nspname, c.relname, c.relkind, b.expr,"
						" coalesce(i.inhdetachpending, false),"
						" coalesce(pt.partstrat = 'r' AND pt.partnatts = 1 AND a.attname = $2,"
						" false), pg_catalog.pg_total_relation_size(c.oid), c.reltuples,"
						" CASE WHEN r.lo IS NOT NULL AND r.lo <> 'MINVALUE' THEN ");
	pg_epoch_us_sql(lo, sql);
	buf_append_str(sql, " END, CASE WHEN r.hi IS NOT NULL AND r.hi <> 'MAXVALUE' THEN ");
	pg_epoch_us_sql(hi, sql);
	/* Pinned: a foreign key references it (the clone of one that references the parent too:
	 * DETACH would fail on a referenced row) or a view reads it (DROP would fail). */
	buf_append_str(sql, " END, EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k"
						" WHERE k.contype = 'f' AND k.confrelid = c.oid)"
						" OR EXISTS (SELECT 1 FROM pg_catalog.pg_depend d"
						" JOIN pg_catalog.pg_rewrite w ON w.oid = d.objid"
						" WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass"
						" AND d.refobjid = c.oid AND w.ev_class <> c.oid)");
	buf_append_str(sql, " FROM tree t JOIN pg_catalog.pg_class c ON c.oid = t.oid"
						" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
						" CROSS JOIN LATERAL (SELECT pg_catalog.pg_get_expr(c.relpartbound, c.oid)"
						" AS expr) b"
						" CROSS JOIN LATERAL (SELECT"
						" substring(b.expr FROM '^FOR VALUES FROM \\((.*)\\) TO \\(') AS lo,"
						" substring(b.expr FROM '\\) TO \\((.*)\\)$') AS hi) r"
						" LEFT JOIN pg_catalog.pg_inherits i ON i.inhrelid = t.oid"
						" AND i.inhparent = t.parent"
						" LEFT JOIN pg_catalog.pg_partitioned_table pt ON pt.partrelid = t.parent"
						" LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = t.parent"
						" AND a.attnum = pt.partattrs[0]"
						" ORDER BY t.level, t.oid");
}

static void
read_node(const PGresult *res, int i, PgPartNode *nd)
{
	nd->oid = (uint32_t) strtoul(PQgetvalue(res, i, 0), NULL, 10);
	nd->parent = (uint32_t) strtoul(PQgetvalue(res, i, 1), NULL, 10);
	nd->schema = ebb_strdup(PQgetvalue(res, i, 2));
	nd->name = ebb_strdup(PQgetvalue(res, i, 3));
	nd->relkind = PQgetvalue(res, i, 4)[0];
	nd->bound = ebb_strdup(PQgetvalue(res, i, 5));
	nd->detach_pending = is_true(res, i, 6);
	nd->time_level = is_true(res, i, 7);
	nd->bytes = strtoll(PQgetvalue(res, i, 8), NULL, 10);
	nd->est_rows = atof(PQgetvalue(res, i, 9));
	nd->has_lower = !PQgetisnull(res, i, 10);
	if (nd->has_lower)
		nd->lower = strtoll(PQgetvalue(res, i, 10), NULL, 10);
	nd->has_upper = !PQgetisnull(res, i, 11);
	if (nd->has_upper)
		nd->upper = strtoll(PQgetvalue(res, i, 11), NULL, 10);
	nd->pinned = is_true(res, i, 12);
}

bool
pg_partitions_tree(PGconn *conn, uint32_t oid, const char *time_column, bool time_is_tz,
				   PgPartTree *out, EbbError *err)
{
	char oid_text[16];
	const char *params[2] = {oid_text, time_column};
	PGresult *res;
	Buf sql;

	memset(out, 0, sizeof(*out));
	snprintf(oid_text, sizeof(oid_text), "%u", oid);
	buf_init(&sql);
	tree_sql(time_is_tz, &sql);
	bool ok = pg_query(conn, buf_cstr(&sql), 2, params, &res, err);
	buf_free(&sql);
	if (!ok)
		return false;
	int n = PQntuples(res);
	out->nodes = ebb_malloc(sizeof(PgPartNode) * (size_t) (n ? n : 1));
	memset(out->nodes, 0, sizeof(PgPartNode) * (size_t) (n ? n : 1));
	for (int i = 0; i < n; i++)
		read_node(res, i, &out->nodes[i]);
	out->n = n;
	PQclear(res);
	return true;
}

void
pg_partitions_tree_free(PgPartTree *tree)
{
	for (int i = 0; i < tree->n; i++)
	{
		free(tree->nodes[i].schema);
		free(tree->nodes[i].name);
		free(tree->nodes[i].bound);
	}
	free(tree->nodes);
	memset(tree, 0, sizeof(*tree));
}
