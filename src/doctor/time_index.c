/* time_index.c: see time_index.h. */
#include "doctor/time_index.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/cancel.h"
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

/* An INVALID index a session is building now is not a leftover: left alone. */
static void
invalid_building(DoctorTimeIndex *ti, const PgIndex *x, const char *name)
{
	char msg[600];

	snprintf(msg, sizeof(msg), "index %s is being built by another session: left alone", name);
	report(ti, DOCTOR_NOTE, "invalid_index", pg_display_name(x->schema, x->name).s, NULL, false,
		   msg);
}

/* A partitioned table's index is INVALID until every partition's index is attached to it. */
static void
invalid_partitioned(DoctorTimeIndex *ti, const PgIndex *x, const char *name)
{
	char msg[700];

	snprintf(msg, sizeof(msg),
			 "index %s of the partitioned table is INVALID: a partition's index is not attached "
			 "to it (ALTER INDEX ... ATTACH PARTITION for each partition's index makes it valid)",
			 name);
	report(ti, DOCTOR_PROBLEM, "invalid_index", pg_display_name(x->schema, x->name).s, NULL, false,
		   msg);
}

/*
 * A failed build's leftover. REINDEX CONCURRENTLY's transient copy (<index>_ccnew, _ccold
 * beside <index>) is dropped; any other INVALID index is rebuilt with REINDEX INDEX
 * CONCURRENTLY, which keeps it (INVALID) if the rebuild fails: a unique index is never lost.
 */
static void
invalid_leftover(DoctorTimeIndex *ti, const PgIndex *x, const char *name, bool *changed)
{
	Buf fix, msg;
	EbbError why;

	buf_init(&fix);
	buf_init(&msg);
	error_init(&why);
	buf_printf(&fix, "%s %s",
			   x->reindex_copy ? "DROP INDEX CONCURRENTLY" : "REINDEX INDEX CONCURRENTLY",
			   x->qualified);
	buf_printf(&msg, "index %s is INVALID (%s): it slows every write and serves no read", name,
			   x->reindex_copy ? "a failed REINDEX CONCURRENTLY left this copy"
							   : "a failed concurrent build left it");
	bool fixed = false;
	if (ti->fix)
	{
		fixed = x->reindex_copy ? doctor_build_drop(ti->build, x->qualified, &why)
								: doctor_build_index(ti->build, buf_cstr(&fix), name, &why);
		*changed = true;
		if (!fixed)
			log_warning("could not %s index %s: %s", x->reindex_copy ? "drop" : "rebuild", name,
						why.message);
	}
	report(ti, DOCTOR_PROBLEM, "invalid_index", pg_display_name(x->schema, x->name).s,
		   buf_cstr(&fix), fixed, buf_cstr(&msg));
	buf_free(&fix);
	buf_free(&msg);
}

/* Every INVALID index of the table. */
static void
check_invalid(DoctorTimeIndex *ti, const PgIndexes *ix, bool *changed)
{
	for (int i = 0; i < ix->n && !cancel_requested; i++)
	{
		const PgIndex *x = &ix->items[i];
		char name[256];
		if (x->valid)
			continue;
		snprintf(name, sizeof(name), "%s", pg_message_name(x->schema, x->name).s);
		if (x->building)
			invalid_building(ti, x, name);
		else if (x->partitioned)
			invalid_partitioned(ti, x, name);
		else
			invalid_leftover(ti, x, name, changed);
	}
}

/* pg_get_indexdef after "CREATE [UNIQUE] INDEX <name> ON ": what the index is (the name may
 * hold " ON " itself). */
static const char *
definition_body(const PgIndex *x)
{
	const char *at = strstr(x->definition, "INDEX ");
	size_t n = strlen(x->quoted_name);

	if (at && strncmp(at + 6, x->quoted_name, n) == 0 && strncmp(at + 6 + n, " ON ", 4) == 0)
		return at + 6 + n;
	return x->definition;
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

/* Has another session built the time index meanwhile? */
static bool
time_index_there(void *arg, bool *yes, bool *pending, EbbError *err)
{
	DoctorTimeIndex *ti = arg;
	PgIndexes ix;

	if (!pg_indexes_of(ti->build->conn, ti->info->oid, ti->info->time_name, &ix, err))
		return false;
	*yes = time_index(&ix) != NULL;
	for (int i = 0; i < ix.n && !*yes; i++)
	{
		const PgIndex *x = &ix.items[i];
		*pending =
			*pending || (x->building && x->leads && !x->partial && strcmp(x->method, "btree") == 0);
	}
	pg_indexes_free(&ix);
	return true;
}

static bool
build_missing(DoctorTimeIndex *ti, const char *create, EbbError *err)
{
	DoctorBuild b = *ti->build;
	char name[256];

	b.satisfied = time_index_there;
	b.satisfied_arg = ti;
	snprintf(name, sizeof(name), "on %s (%s)", pg_message_name(ti->info->schema, ti->info->table).s,
			 ti->info->time_name);
	if (doctor_build_index(&b, create, name, err))
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
	ti->checked_partitioned = x->partitioned;
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
	bool ok = true;
	check_invalid(ti, &ix, &changed);
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
