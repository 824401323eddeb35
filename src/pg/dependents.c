/* dependents.c: the catalog reads of dependents.h. */
#include "pg/dependents.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pg.h"

/* The table and, when it is partitioned, every relation of its tree (a foreign key may
 * reference one partition; a trigger or rule may be defined on one). */
#define TREE "(SELECT relid FROM ebb_tree)"
/* ... computed once per statement, before the queries that read it */
#define TREE_CTE                                                                                   \
	"WITH ebb_tree(relid) AS (SELECT $1::pg_catalog.oid UNION SELECT relid FROM "                  \
	"pg_catalog.pg_partition_tree($1::pg_catalog.oid::pg_catalog.regclass)) "

/* Each query returns (name, relation, action), without ORDER BY (the caller orders them). */
static const char fk_sql[] =
	/* Every constraint, clones onto partitions included (archiving one partition directly,
	 * the clone of its parent's foreign key is what fires), named once by the referencing
	 * side's root table. */
	"SELECT DISTINCT c.conname, coalesce(pg_catalog.pg_partition_root(c.conrelid), c.conrelid)"
	"::pg_catalog.regclass::pg_catalog.text, c.confdeltype::pg_catalog.text"
	" FROM pg_catalog.pg_constraint c"
	" WHERE c.contype = 'f' AND c.confrelid IN " TREE;

/* tgtype bit 3 (8) is DELETE, bit 0 (1) row level. Each relation's own entry decides: a clone
 * on a partition is enabled or disabled on its own ('O': origin and local, 'A': always; replica
 * and disabled ones do not fire in ebb's session, which runs as origin). A row trigger's entry
 * on a partitioned table never fires itself: its clones on the partitions do. */
static const char trigger_sql[] =
	"SELECT DISTINCT t.tgname, t.tgrelid::pg_catalog.regclass::pg_catalog.text, ' '"
	" FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class r ON r.oid = t.tgrelid"
	" WHERE t.tgrelid IN " TREE " AND NOT t.tgisinternal AND t.tgenabled IN ('O', 'A')"
	" AND (t.tgtype::pg_catalog.int4 & 8) <> 0"
	" AND NOT (r.relkind = 'p' AND (t.tgtype::pg_catalog.int4 & 1) <> 0)";

static const char rule_sql[] =
	"SELECT r.rulename, r.ev_class::pg_catalog.regclass::pg_catalog.text, ' '"
	" FROM pg_catalog.pg_rewrite r"
	" WHERE r.ev_class IN " TREE " AND r.ev_type = '4' AND r.ev_enabled IN ('O', 'A')";

static const char children_sql[] =
	"SELECT c.oid::pg_catalog.regclass::pg_catalog.text, c.oid::pg_catalog.regclass::"
	"pg_catalog.text, ' ' FROM pg_catalog.pg_inherits i"
	" JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid"
	" WHERE i.inhparent = $1::pg_catalog.oid AND NOT c.relispartition";

/* A DELETE through a foreign partition runs on another server, where ebb sees nothing. */
static const char foreign_sql[] =
	"SELECT c.oid::pg_catalog.regclass::pg_catalog.text, c.oid::pg_catalog.regclass::"
	"pg_catalog.text, ' ' FROM pg_catalog.pg_class c"
	" WHERE c.oid IN " TREE " AND c.relkind = 'f'";

/*
 * What the fingerprint covers, through indexed catalog reads only (it runs in every window):
 * every trigger of the tree with its enable state, internal ones included (a foreign key that
 * references a relation puts its RI triggers on that relation, so a new or changed key changes
 * them, without a scan of pg_constraint, which has no index on confrelid), every rule, and
 * the foreign partitions. Not the children, which no statement reads (ONLY).
 */
static const char all_triggers_sql[] =
	"SELECT t.oid::pg_catalog.text, t.tgrelid::pg_catalog.text, t.tgenabled::pg_catalog.text"
	" FROM pg_catalog.pg_trigger t WHERE t.tgrelid IN " TREE;
static const char all_rules_sql[] =
	"SELECT r.oid::pg_catalog.text, r.ev_class::pg_catalog.text, r.ev_enabled::pg_catalog.text"
	" FROM pg_catalog.pg_rewrite r WHERE r.ev_class IN " TREE " AND r.rulename <> '_RETURN'";
static const char *const lists[] = {all_triggers_sql, all_rules_sql, foreign_sql};

static bool
read_list(PGconn *conn, const char *sql, const char *oid, PgDependentList *out, EbbError *err)
{
	const char *params[1] = {oid};
	PGresult *res;
	Buf q;

	buf_init(&q);
	buf_printf(&q, TREE_CTE "%s ORDER BY 2, 1", sql);
	bool ok = pg_query(conn, buf_cstr(&q), 1, params, &res, err);
	buf_free(&q);
	if (!ok)
		return false;
	out->count = PQntuples(res);
	out->items = ebb_malloc(sizeof(PgDependent) * (size_t) (out->count ? out->count : 1));
	for (int i = 0; i < out->count; i++)
		out->items[i] = (PgDependent){ebb_strdup(PQgetvalue(res, i, 0)),
									  ebb_strdup(PQgetvalue(res, i, 1)), PQgetvalue(res, i, 2)[0]};
	PQclear(res);
	return true;
}

bool
pg_dependents(PGconn *conn, uint32_t oid, PgTableDependents *out, EbbError *err)
{
	char text[16];

	memset(out, 0, sizeof(*out));
	snprintf(text, sizeof(text), "%u", oid);
	if (read_list(conn, fk_sql, text, &out->foreign_keys, err) &&
		read_list(conn, trigger_sql, text, &out->triggers, err) &&
		read_list(conn, rule_sql, text, &out->rules, err) &&
		read_list(conn, children_sql, text, &out->children, err) &&
		read_list(conn, foreign_sql, text, &out->foreign_partitions, err))
		return true;
	error_prefix(err, "could not read what depends on the table: ");
	return false;
}

static void
list_free(PgDependentList *l)
{
	for (int i = 0; i < l->count; i++)
	{
		free(l->items[i].name);
		free(l->items[i].relation);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

void
pg_dependents_free(PgTableDependents *d)
{
	list_free(&d->foreign_keys);
	list_free(&d->triggers);
	list_free(&d->rules);
	list_free(&d->children);
	list_free(&d->foreign_partitions);
}

/* sql with every "$1" replaced by the literal oid. */
static void
append_with_oid(Buf *out, const char *sql, const char *oid)
{
	for (const char *p = sql; *p; p++)
	{
		if (p[0] == '$' && p[1] == '1')
		{
			buf_printf(out, "'%s'", oid);
			p++;
		}
		else
			buf_append_char(out, *p);
	}
}

void
pg_digest_sql(const char *rel, uint32_t oid, bool whole, Buf *sql)
{
	char text[16];

	snprintf(text, sizeof(text), "%u", oid);
	/* Columns by name: a partition holds its parent's columns in any order. */
	if (whole)
		append_with_oid(sql, TREE_CTE, text);
	buf_printf(sql,
			   "SELECT pg_catalog.md5(pg_catalog.concat_ws('|', %s, (SELECT pg_catalog.string_agg("
			   "a.attname::pg_catalog.text || ':' || a.atttypid::pg_catalog.text || ':' ||"
			   " a.atttypmod::pg_catalog.text || ':' || a.attgenerated::pg_catalog.text,"
			   " ',' ORDER BY a.attname) FROM pg_catalog.pg_attribute a WHERE a.attrelid = ",
			   whole ? "'relation ' || c.oid::pg_catalog.text" : "''");
	buf_append_str(sql, "c.oid AND a.attnum > 0 AND NOT a.attisdropped)");
	for (size_t i = 0; whole && i < sizeof(lists) / sizeof(lists[0]); i++)
	{
		buf_append_str(sql, ", (SELECT pg_catalog.string_agg(q.n || '/' || q.r || '/' || q.a, ','"
							" ORDER BY q.r, q.n) FROM (");
		append_with_oid(sql, lists[i], text);
		buf_append_str(sql, ") q(n, r, a))");
	}
	buf_append_str(sql, ")) FROM pg_catalog.pg_class c WHERE c.oid = ");
	pg_quote_literal(sql, rel);
	buf_append_str(sql, "::pg_catalog.regclass");
}

const char *
pg_fk_action_name(char action)
{
	switch (action)
	{
		case PG_FK_NO_ACTION: return "NO ACTION";
		case PG_FK_RESTRICT: return "RESTRICT";
		case PG_FK_CASCADE: return "CASCADE";
		case PG_FK_SET_NULL: return "SET NULL";
		case PG_FK_SET_DEFAULT: return "SET DEFAULT";
	}
	return "unknown";
}
