/* safety.c: the refusals of safety.h. */
#include "archive/safety.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/text.h"
#include "pg/dependents.h"
#include "pg/pg.h"
#include "pg/ident.h"
#include "archive/sql.h"

/* ", and also: a on b, c on d" for the items after the first (detail lines stay readable). */
static void
more_items(const PgDependentList *l, bool with_action, Buf *out)
{
	for (int i = 1; i < l->count; i++)
	{
		buf_append_str(out, i == 1 ? " Also: " : ", ");
		buf_printf(out, "\"%s\" on %s", l->items[i].name, l->items[i].relation);
		if (with_action)
			buf_printf(out, " (ON DELETE %s)", pg_fk_action_name(l->items[i].action));
	}
	if (l->count > 1)
		buf_append_char(out, '.');
}

/* A hypertable is archived through it (chunks whole, then rows): a child that is not one of
 * its chunks would be read and deleted with it, and TimescaleDB's retention job would drop
 * chunks before ebb archives them. */
static bool
check_hypertable(PGconn *conn, const Policy *p, const PgHypertable *ht, EbbError *err)
{
	char *jobs;

	if (ht->stray_children)
	{
		error_set(err, EBB_ERR_CONFIG,
				  "hypertable %s has inheritance children that are not its "
				  "chunks",
				  pg_message_name(p->schema, p->table).s);
		error_detail(err,
					 "Children: %s. Their rows would be read and deleted through the "
					 "hypertable.",
					 ht->stray_children);
		error_hint(err, "Detach them (ALTER TABLE ... NO INHERIT) or archive them on their own.");
		return false;
	}
	if (!pg_hypertable_retention_jobs(conn, p->schema, p->table, &jobs, err))
		return false;
	if (!jobs)
		return true;
	error_set(err, EBB_ERR_CONFIG, "hypertable %s has a TimescaleDB retention policy",
			  pg_message_name(p->schema, p->table).s);
	error_detail(err, "Retention %s drops chunks whether or not ebb archived them.", jobs);
	Buf rel;
	buf_init(&rel);
	pg_quote_qualified(&rel, p->schema, p->table);
	error_hint(err,
			   "Remove it (SELECT remove_retention_policy('%s');): ebb archives and then "
			   "drops the expired chunks itself.",
			   text_escape(buf_cstr(&rel)).s);
	buf_free(&rel);
	free(jobs);
	return false;
}

static bool
refuse_children(const Policy *p, const PgDependentList *children, EbbError *err)
{
	Buf names;

	buf_init(&names);
	for (int i = 0; i < children->count; i++)
		buf_printf(&names, "%s%s", i ? ", " : "", children->items[i].name);
	error_set(err, EBB_ERR_CONFIG, "table %s has inheritance children",
			  pg_message_name(p->schema, p->table).s);
	error_detail(err,
				 "Children: %s. Their rows, with their own columns, are not the table's own "
				 "rows; ebb does not archive a table with inheritance children.",
				 buf_cstr(&names));
	error_hint(err, "Archive each child as its own table (--table %s).", children->items[0].name);
	buf_free(&names);
	return false;
}

/* The foreign keys whose ON DELETE action changes the referencing rows, first in the list. */
static bool
refuse_cascades(const Policy *p, const PgDependentList *fks, EbbError *err)
{
	PgDependentList bad = {ebb_malloc(sizeof(PgDependent) * (size_t) (fks->count + 1)), 0};
	Buf detail;

	for (int i = 0; i < fks->count; i++)
		if (fks->items[i].action != PG_FK_NO_ACTION && fks->items[i].action != PG_FK_RESTRICT)
			bad.items[bad.count++] = fks->items[i];
	if (bad.count == 0)
	{
		free(bad.items);
		return true;
	}
	error_set(err, EBB_ERR_CONFIG,
			  "table %s is referenced by foreign key \"%s\" of table %s with ON DELETE %s",
			  pg_message_name(p->schema, p->table).s, bad.items[0].name, bad.items[0].relation,
			  pg_fk_action_name(bad.items[0].action));
	buf_init(&detail);
	buf_append_str(&detail, "Deleting archived rows would delete or change rows of the "
							"referencing table, which no archive object holds.");
	more_items(&bad, true, &detail);
	error_detail(err, "%s", buf_cstr(&detail));
	error_hint(err, "Archive the referencing table first, or make the constraint ON DELETE NO "
					"ACTION: a window whose rows are still referenced then fails, deleting "
					"nothing.");
	buf_free(&detail);
	free(bad.items);
	return false;
}

static bool
refuse_rules(const Policy *p, const PgDependentList *rules, EbbError *err)
{
	Buf detail;

	error_set(err, EBB_ERR_CONFIG, "table %s has a rule on DELETE (\"%s\" on %s)",
			  pg_message_name(p->schema, p->table).s, rules->items[0].name,
			  rules->items[0].relation);
	buf_init(&detail);
	buf_append_str(&detail, "A rule rewrites ebb's DELETE: the rows it removes, or what else it "
							"changes, would not be the rows archived.");
	more_items(rules, false, &detail);
	error_detail(err, "%s", buf_cstr(&detail));
	error_hint(err, "Drop the rule, or disable it while archiving (ALTER TABLE ... DISABLE RULE).");
	buf_free(&detail);
	return false;
}

static bool
refuse_triggers(const Policy *p, const PgDependentList *triggers, EbbError *err)
{
	Buf detail;

	error_set(err, EBB_ERR_CONFIG, "table %s has a trigger on DELETE (\"%s\" on %s)",
			  pg_message_name(p->schema, p->table).s, triggers->items[0].name,
			  triggers->items[0].relation);
	buf_init(&detail);
	buf_append_str(&detail, "A trigger may delete or write rows elsewhere, which no archive "
							"object would hold.");
	more_items(triggers, false, &detail);
	error_detail(err, "%s", buf_cstr(&detail));
	error_hint(err, "If it is safe to fire for every archived row, pass --allow-delete-triggers.");
	buf_free(&detail);
	return false;
}

static bool
refuse_foreign(const Policy *p, const PgDependentList *foreign, EbbError *err)
{
	error_set(err, EBB_ERR_CONFIG, "table %s has a foreign table as a partition (%s)",
			  pg_message_name(p->schema, p->table).s, foreign->items[0].name);
	error_detail(err, "A DELETE through it runs on another server, where ebb cannot check what "
					  "else it deletes.");
	error_hint(err, "Archive that table's rows on its own server.");
	return false;
}

bool
archive_check_dependents(PGconn *conn, const PgTableInfo *info, const Policy *policy,
						 const PgHypertable *ht, EbbError *err)
{
	PgTableDependents d;

	if (!pg_dependents(conn, info->oid, &d, err))
		return false;
	bool ok =
		(!ht->is || check_hypertable(conn, policy, ht, err)) &&
		(ht->is || d.children.count == 0 || refuse_children(policy, &d.children, err)) &&
		(d.foreign_partitions.count == 0 || refuse_foreign(policy, &d.foreign_partitions, err)) &&
		refuse_cascades(policy, &d.foreign_keys, err) &&
		(d.rules.count == 0 || refuse_rules(policy, &d.rules, err)) &&
		(d.triggers.count == 0 || policy->allow_delete_triggers ||
		 refuse_triggers(policy, &d.triggers, err));
	pg_dependents_free(&d);
	return ok;
}

void
archive_fk_hint(EbbError *err)
{
	if (strcmp(err->sqlstate, "23503") != 0)
		return;
	error_hint(err, "The window was rolled back: nothing was deleted. Archive the rows that "
					"reference it first (the referencing table's own policy, run before this "
					"one), or keep these rows longer.");
}

bool
archive_digest(PGconn *conn, const char *rel, uint32_t oid, bool whole,
			   char out[ARCHIVE_DIGEST_LEN], EbbError *err)
{
	PGresult *res;
	Buf sql;

	buf_init(&sql);
	pg_digest_sql(rel, oid, whole, &sql);
	bool ok = pg_query(conn, buf_cstr(&sql), 0, NULL, &res, err);
	buf_free(&sql);
	if (!ok)
		return false;
	snprintf(out, ARCHIVE_DIGEST_LEN, "%s", PQntuples(res) ? PQgetvalue(res, 0, 0) : "");
	PQclear(res);
	return true;
}

/* Runs sql (ending in the fingerprint's SELECT or EXECUTE) and compares its one value. */
static bool
compare_digest(PGconn *conn, const char *sql, const char *expected, const Policy *table,
			   EbbError *err)
{
	/* PQexec returns the last result, or the first that failed. */
	PGresult *res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		pg_error_from_result(conn, res, "could not check the table", err);
		PQclear(res);
		return false;
	}
	bool same = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), expected) == 0;
	PQclear(res);
	if (same)
		return true;
	error_set(err, EBB_ERR_QUERY, "table %s changed during the run",
			  pg_message_name(table->schema, table->table).s);
	error_detail(err, "Its columns, or the foreign keys, triggers or rules that its DELETE would "
					  "fire, changed after ebb checked them. This window was rolled back: nothing "
					  "of it was deleted.");
	error_hint(err, "Run ebb again: it checks the table anew.");
	return false;
}

bool
archive_check_unchanged(PGconn *conn, const char *begin, const char *rel, uint32_t oid, bool whole,
						const char *expected, const Policy *table, EbbError *err)
{
	Buf sql;

	buf_init(&sql);
	buf_printf(&sql, "%s%s", begin, *begin ? "; " : "");
	pg_digest_sql(rel, oid, whole, &sql);
	bool ok = compare_digest(conn, buf_cstr(&sql), expected, table, err);
	buf_free(&sql);
	return ok;
}

bool
archive_begin_checked(PGconn *conn, const char *lock, char stmt[32], const char *rel, uint32_t oid,
					  const char *expected, const Policy *table, EbbError *err)
{
	Buf sql;

	buf_init(&sql);
	if (!stmt[0])
	{
		/* Prepared once per table (SQL PREPARE, so that EXECUTE can follow BEGIN and the LOCK
		 * in one round trip): parsing and planning the catalog queries for every window cost
		 * more than running them. */
		archive_sql_statement_name("ebb_digest", stmt, 32);
		buf_printf(&sql, "PREPARE %s AS ", stmt);
		pg_digest_sql(rel, oid, true, &sql);
		bool ok = pg_exec(conn, buf_cstr(&sql), err);
		buf_reset(&sql);
		if (!ok)
		{
			stmt[0] = '\0';
			buf_free(&sql);
			return false;
		}
	}
	buf_printf(&sql, "BEGIN; %s; EXECUTE %s", lock, stmt);
	bool ok = compare_digest(conn, buf_cstr(&sql), expected, table, err);
	buf_free(&sql);
	return ok;
}

bool
archive_check_session(PGconn *conn, EbbError *err)
{
	PGresult *res;

	if (!pg_query(conn, "SELECT pg_catalog.current_setting('session_replication_role')", 0, NULL,
				  &res, err))
		return false;
	bool origin = strcmp(PQgetvalue(res, 0, 0), "origin") == 0;
	char role[32];
	snprintf(role, sizeof(role), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	EbbError ignored;
	if (origin || pg_exec(conn, "SET session_replication_role = origin", &ignored))
		return true;
	error_set(err, EBB_ERR_CONFIG, "ebb's session has session_replication_role \"%s\"", role);
	error_detail(err, "Triggers and foreign key checks do not fire in it as they do for the "
					  "application, and ebb's role may not set it back to \"origin\".");
	error_hint(err, "Remove the setting for ebb's role and database (ALTER ROLE ... RESET "
					"session_replication_role) or from PGOPTIONS.");
	return false;
}
