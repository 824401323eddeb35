/* dependents.c: the catalog reads of dependents.h. */
#include "pg/dependents.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg/pg.h"

/* The table and, when it is partitioned, every relation of its tree (a foreign key may
 * reference one partition; a trigger or rule may be defined on one). */
#define TREE                                                                                       \
	"(SELECT $1::pg_catalog.oid UNION SELECT relid FROM "                                          \
	"pg_catalog.pg_partition_tree($1::pg_catalog.oid::pg_catalog.regclass))"

/* Each query returns (name, relation, action). */
static const char fk_sql[] =
	/* conparentid = 0: a constraint cloned onto partitions (of either side) once */
	"SELECT c.conname, c.conrelid::pg_catalog.regclass::pg_catalog.text, c.confdeltype"
	" FROM pg_catalog.pg_constraint c"
	" WHERE c.contype = 'f' AND c.conparentid = 0 AND c.confrelid IN " TREE " ORDER BY 2, 1";

/* tgtype bit 3 (8) is DELETE, row or statement level. Enabled means it fires in ebb's session
 * ('O': origin and local, 'A': always); replica-only and disabled ones do not. */
static const char trigger_sql[] =
	"SELECT t.tgname, t.tgrelid::pg_catalog.regclass::pg_catalog.text, ' '"
	" FROM pg_catalog.pg_trigger t"
	" WHERE t.tgrelid IN " TREE " AND NOT t.tgisinternal AND t.tgparentid = 0"
	" AND t.tgenabled IN ('O', 'A') AND (t.tgtype::pg_catalog.int4 & 8) <> 0 ORDER BY 2, 1";

static const char rule_sql[] =
	"SELECT r.rulename, r.ev_class::pg_catalog.regclass::pg_catalog.text, ' '"
	" FROM pg_catalog.pg_rewrite r"
	" WHERE r.ev_class IN " TREE " AND r.ev_type = '4' AND r.ev_enabled IN ('O', 'A')"
	" ORDER BY 2, 1";

static const char children_sql[] =
	"SELECT c.oid::pg_catalog.regclass::pg_catalog.text, c.oid::pg_catalog.regclass::"
	"pg_catalog.text, ' ' FROM pg_catalog.pg_inherits i"
	" JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid"
	" WHERE i.inhparent = $1::pg_catalog.oid AND NOT c.relispartition ORDER BY 1";

static bool
read_list(PGconn *conn, const char *sql, const char *oid, PgDependentList *out, EbbError *err)
{
	const char *params[1] = {oid};
	PGresult *res;

	if (!pg_query(conn, sql, 1, params, &res, err))
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
pg_dependents(PGconn *conn, uint32_t oid, TableDependents *out, EbbError *err)
{
	char text[16];

	memset(out, 0, sizeof(*out));
	snprintf(text, sizeof(text), "%u", oid);
	if (read_list(conn, fk_sql, text, &out->foreign_keys, err) &&
		read_list(conn, trigger_sql, text, &out->triggers, err) &&
		read_list(conn, rule_sql, text, &out->rules, err) &&
		read_list(conn, children_sql, text, &out->children, err))
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
pg_dependents_free(TableDependents *d)
{
	list_free(&d->foreign_keys);
	list_free(&d->triggers);
	list_free(&d->rules);
	list_free(&d->children);
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
