/* safety.c: the refusals of safety.h. */
#include "archive/safety.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "pg/dependents.h"

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

static bool
refuse_children(const Policy *p, const PgDependentList *children, EbbError *err)
{
	Buf names;

	buf_init(&names);
	for (int i = 0; i < children->count; i++)
		buf_printf(&names, "%s%s", i ? ", " : "", children->items[i].name);
	error_set(err, EBB_ERR_CONFIG, "table \"%s.%s\" has inheritance children", p->schema, p->table);
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
			  "table \"%s.%s\" is referenced by foreign key \"%s\" of table %s with ON DELETE %s",
			  p->schema, p->table, bad.items[0].name, bad.items[0].relation,
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

	error_set(err, EBB_ERR_CONFIG, "table \"%s.%s\" has a rule on DELETE (\"%s\" on %s)", p->schema,
			  p->table, rules->items[0].name, rules->items[0].relation);
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

	error_set(err, EBB_ERR_CONFIG, "table \"%s.%s\" has a trigger on DELETE (\"%s\" on %s)",
			  p->schema, p->table, triggers->items[0].name, triggers->items[0].relation);
	buf_init(&detail);
	buf_append_str(&detail, "A trigger may delete or write rows elsewhere, which no archive "
							"object would hold.");
	more_items(triggers, false, &detail);
	error_detail(err, "%s", buf_cstr(&detail));
	error_hint(err, "If it is safe to fire for every archived row, pass --allow-delete-triggers.");
	buf_free(&detail);
	return false;
}

bool
archive_check_dependents(PGconn *conn, const TableInfo *info, const Policy *policy, EbbError *err)
{
	TableDependents d;

	if (!pg_dependents(conn, info->oid, &d, err))
		return false;
	bool ok = (d.children.count == 0 || refuse_children(policy, &d.children, err)) &&
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
