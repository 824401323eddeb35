/* time_index.c: see time_index.h. */
#include "doctor/time_index.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "pg/ident.h"
#include "pg/indexes.h"
#include "pg/pg.h"

static void
report(DoctorTimeIndex *ti, DoctorSeverity sev, const char *check, const char *subject,
	   const char *fix, bool fixed, const char *message)
{
	DoctorFinding f = {sev, check, subject, message, fix, fixed};

	if (sev == DOCTOR_PROBLEM && !fixed)
		ti->out->problems++;
	ti->build->report->finding(ti->build->report->arg, &f);
}

/* The definition with CONCURRENTLY after CREATE [UNIQUE] INDEX. */
static void
concurrent_definition(const char *def, Buf *out)
{
	const char *at = strstr(def, "INDEX ");

	if (!at)
	{
		buf_append_str(out, def);
		return;
	}
	buf_append(out, def, (size_t) (at - def) + 6);
	buf_append_str(out, "CONCURRENTLY ");
	buf_append_str(out, at + 6);
}

/* REINDEX CONCURRENTLY's transient copies: dropped, never built again (the index they copy is
 * still there). */
static bool
reindex_leftover(const char *name)
{
	const char *p = strstr(name, "_ccnew");

	if (!p)
		p = strstr(name, "_ccold");
	if (!p)
		return false;
	for (p += 6; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

static bool
fix_invalid(DoctorTimeIndex *ti, const PgIndex *x, const char *create, const char *name,
			EbbError *err)
{
	return doctor_build_drop(ti->build, x->qualified, err) &&
		   (create[0] == '\0' || doctor_build_index(ti->build, create, name, err));
}

/* Every INVALID index of the table: a problem; --fix drops it and builds it again. */
static bool
check_invalid(DoctorTimeIndex *ti, const PgIndexes *ix, bool *changed)
{
	bool ok = true;

	for (int i = 0; ok && i < ix->n; i++)
	{
		const PgIndex *x = &ix->items[i];
		if (x->valid)
			continue;
		char name[256];
		snprintf(name, sizeof(name), "%s", pg_message_name(x->schema, x->name).s);
		bool leftover = reindex_leftover(x->name);
		Buf create, fix, msg;
		buf_init(&create);
		buf_init(&fix);
		buf_init(&msg);
		if (!leftover)
			concurrent_definition(x->definition, &create);
		buf_printf(&fix, "DROP INDEX CONCURRENTLY %s;%s%s", x->qualified, leftover ? "" : " ",
				   buf_cstr(&create));
		buf_printf(&msg,
				   "index %s is INVALID (a failed concurrent build left it): it slows "
				   "every write and serves no read",
				   name);
		bool fixed = false;
		if (ti->fix)
		{
			ok = fix_invalid(ti, x, buf_cstr(&create), name, &ti->out->err);
			fixed = ok;
			*changed = true;
			if (!ok)
				error_prefix(&ti->out->err, "could not rebuild index %s: ", name);
		}
		report(ti, DOCTOR_PROBLEM, "invalid_index", pg_display_name(x->schema, x->name).s,
			   buf_cstr(&fix), fixed, buf_cstr(&msg));
		buf_free(&create);
		buf_free(&fix);
		buf_free(&msg);
	}
	return ok;
}

/* pg_get_indexdef without "CREATE [UNIQUE] INDEX name": what the index is. */
static const char *
definition_body(const PgIndex *x)
{
	const char *on = strstr(x->definition, " ON ");

	return on ? on : x->definition;
}

/* Valid indexes of the same kind on the same keys: the later one is named, not dropped. */
static void
check_duplicates(DoctorTimeIndex *ti, const PgIndexes *ix)
{
	for (int i = 0; i < ix->n; i++)
		for (int k = 0; k < i; k++)
		{
			const PgIndex *a = &ix->items[k], *b = &ix->items[i];
			if (!a->valid || !b->valid || a->unique != b->unique ||
				strcmp(definition_body(a), definition_body(b)) != 0)
				continue;
			const PgIndex *extra = b->primary ? a : b, *kept = b->primary ? b : a;
			char name[256], msg[1024], fix[600];
			snprintf(name, sizeof(name), "%s", pg_message_name(extra->schema, extra->name).s);
			snprintf(
				msg, sizeof(msg),
				"index %s duplicates %s (the same definition): one is enough; it takes %" PRId64
				" bytes and slows every write",
				name, pg_message_name(kept->schema, kept->name).s, extra->bytes);
			snprintf(fix, sizeof(fix), "DROP INDEX CONCURRENTLY %s", extra->qualified);
			report(ti, DOCTOR_NOTE, "duplicate_index",
				   pg_display_name(extra->schema, extra->name).s, fix, false, msg);
			break;
		}
}

/* The valid, whole btree index that leads with the time column, or NULL. */
static const PgIndex *
time_index(const PgIndexes *ix)
{
	for (int i = 0; i < ix->n; i++)
	{
		const PgIndex *x = &ix->items[i];
		if (x->valid && x->leads && !x->partial && strcmp(x->method, "btree") == 0)
			return x;
	}
	return NULL;
}

static bool
build_missing(DoctorTimeIndex *ti, const char *create, EbbError *err)
{
	char name[256];

	snprintf(name, sizeof(name), "on %s (%s)", pg_message_name(ti->info->schema, ti->info->table).s,
			 ti->info->time_name);
	if (doctor_build_index(ti->build, create, name, err))
		return true;
	error_prefix(err, "could not build the index %s: ", name);
	return false;
}

/* No time index: a problem; --fix builds one CONCURRENTLY (not on a partitioned table, where
 * PostgreSQL cannot: there, each partition first, then the parent). */
static bool
check_missing(DoctorTimeIndex *ti)
{
	bool parent = ti->info->relkind == 'p';
	Buf create, msg;

	buf_init(&create);
	buf_init(&msg);
	buf_printf(&create, "CREATE INDEX %sON ", parent ? "" : "CONCURRENTLY ");
	pg_quote_qualified(&create, ti->info->schema, ti->info->table);
	buf_append_str(&create, " (");
	pg_quote_ident(&create, ti->info->time_name);
	buf_append_str(&create, ")");
	buf_printf(&msg,
			   "no valid btree index leads with column \"%s\": every archive window is a "
			   "sequential scan of the table%s",
			   ti->info->time_name,
			   parent ? " (--fix does not build it on a partitioned table: CREATE INDEX "
						"CONCURRENTLY cannot; index each partition CONCURRENTLY, then the parent)"
					  : "");
	bool ok = true, fixed = false;
	if (ti->fix && !parent)
		fixed = ok = build_missing(ti, buf_cstr(&create), &ti->out->err);
	report(ti, DOCTOR_PROBLEM, "time_index", NULL, buf_cstr(&create), fixed, buf_cstr(&msg));
	buf_free(&create);
	buf_free(&msg);
	return ok;
}

/* The index amcheck checks next. */
static void
remember(DoctorTimeIndex *ti, const PgIndex *x)
{
	ti->checked_index = ebb_strdup(x->qualified);
	ti->checked_name = ebb_strdup(pg_message_name(x->schema, x->name).s);
	ti->checked_subject = ebb_strdup(pg_display_name(x->schema, x->name).s);
}

static void
found_index(DoctorTimeIndex *ti, const PgIndex *x)
{
	char msg[600];

	snprintf(msg, sizeof(msg), "index %s leads with column \"%s\" (btree, %" PRId64 " bytes)",
			 pg_message_name(x->schema, x->name).s, ti->info->time_name, x->bytes);
	report(ti, DOCTOR_OK, "time_index", pg_display_name(x->schema, x->name).s, NULL, false, msg);
	remember(ti, x);
}

bool
doctor_time_index(DoctorTimeIndex *ti)
{
	PgIndexes ix;
	bool changed = false;
	PGconn *conn = ti->build->conn;

	if (!pg_indexes_of(conn, ti->info->oid, ti->info->time_name, &ix, &ti->out->err))
		return false;
	bool ok = check_invalid(ti, &ix, &changed);
	check_duplicates(ti, &ix);
	if (ok && changed)
	{
		pg_indexes_free(&ix);
		ok = pg_indexes_of(conn, ti->info->oid, ti->info->time_name, &ix, &ti->out->err);
	}
	const PgIndex *x = ok ? time_index(&ix) : NULL;
	if (ok && x)
		found_index(ti, x);
	else if (ok && (ok = check_missing(ti)) && ti->fix && ti->info->relkind != 'p')
	{
		pg_indexes_free(&ix);
		ok = pg_indexes_of(conn, ti->info->oid, ti->info->time_name, &ix, &ti->out->err);
		if (ok && (x = time_index(&ix)) != NULL)
			remember(ti, x);
	}
	pg_indexes_free(&ix);
	return ok;
}
