/*
 * probe.c: the planner's index probes on the time column. The common, bounded forms run as
 * statements prepared once per table (two per window otherwise cost a parse and a plan each);
 * the rare first probes from -infinity run as one-off queries.
 */
#include <stdio.h>
#include <stdlib.h>

#include "archive/probe.h"
#include "archive/sql.h"
#include "common/time.h"

typedef enum ProbeKind
{
	PROBE_FIRST,
	PROBE_NTH
} ProbeKind;

/* SELECT <epoch us of expr> FROM t WHERE <lower bound> AND col < $2 [ORDER BY col OFFSET $3 LIMIT
 * 1] */
static void
probe_sql(const ArchiveTarget *t, ProbeKind kind, int64_t from, Buf *sql)
{
	const char *type = archive_sql_time_type(t);
	Buf expr;

	buf_init(&expr);
	if (kind == PROBE_FIRST)
		buf_printf(&expr, "pg_catalog.min(%s)", t->time_col);
	else
		buf_append_str(&expr, t->time_col);
	buf_append_str(sql, "SELECT ");
	archive_sql_time_us(t, buf_cstr(&expr), sql);
	buf_printf(sql, " FROM %s WHERE ", t->from);
	if (from == TIME_UNBOUNDED)
		buf_append_str(sql, "$1::text IS NOT NULL AND ");
	else if (from == TIME_AFTER_NEG_INFINITY && t->info.time_integer)
		buf_append_str(sql, "$1::text IS NOT NULL AND ");
	else if (from == TIME_AFTER_NEG_INFINITY)
		buf_printf(sql, "%s > '-infinity'::pg_catalog.%s AND $1::text IS NOT NULL AND ",
				   t->time_col, type);
	else
		buf_printf(sql, "%s >= $1::pg_catalog.%s AND ", t->time_col, type);
	buf_printf(sql, "%s < $2::pg_catalog.%s", t->time_col, type);
	if (kind == PROBE_NTH)
		buf_printf(sql, " ORDER BY %s OFFSET $3::int8 LIMIT 1", t->time_col);
	buf_free(&expr);
}

/* Prepares the bounded forms on first use; names are unique within the process. */
static bool
probe_prepare(ArchiveTarget *t, EbbError *err)
{
	Buf first, nth;

	if (t->probe_names[0][0])
		return true;
	archive_sql_statement_name("ebb_first", t->probe_names[0], sizeof(t->probe_names[0]));
	archive_sql_statement_name("ebb_nth", t->probe_names[1], sizeof(t->probe_names[1]));
	buf_init(&first);
	buf_init(&nth);
	probe_sql(t, PROBE_FIRST, 0, &first);
	probe_sql(t, PROBE_NTH, 0, &nth);
	bool ok = pg_prepare(t->conn, t->probe_names[0], buf_cstr(&first), 2, err) &&
			  pg_prepare(t->conn, t->probe_names[1], buf_cstr(&nth), 3, err);
	buf_free(&first);
	buf_free(&nth);
	if (!ok)
		t->probe_names[0][0] = t->probe_names[1][0] = '\0';
	return ok;
}

static bool
probe_query(ArchiveTarget *t, ProbeKind kind, int64_t from, int64_t to, const char *n, bool *found,
			int64_t *ts, EbbError *err)
{
	Buf lo, hi;
	PGresult *res;
	bool ok;

	buf_init(&lo);
	buf_init(&hi);
	archive_sql_time_literal(t, from <= TIME_AFTER_NEG_INFINITY ? 0 : from, &lo);
	archive_sql_time_literal(t, to, &hi);
	const char *params[3] = {buf_cstr(&lo), buf_cstr(&hi), n};
	int nparams = kind == PROBE_NTH ? 3 : 2;
	if (from <= TIME_AFTER_NEG_INFINITY)
	{
		Buf sql;
		buf_init(&sql);
		probe_sql(t, kind, from, &sql);
		ok = pg_query(t->conn, buf_cstr(&sql), nparams, params, &res, err);
		buf_free(&sql);
	}
	else
		ok = probe_prepare(t, err) &&
			 pg_query_prepared(t->conn, t->probe_names[kind], nparams, params, &res, err);
	if (ok)
	{
		*found = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0);
		if (*found)
			*ts = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
	}
	buf_free(&lo);
	buf_free(&hi);
	return ok;
}

static bool
probe_first(void *ctx, int64_t from, int64_t to, bool *found, int64_t *ts, EbbError *err)
{
	return probe_query(ctx, PROBE_FIRST, from, to, NULL, found, ts, err);
}

static bool
probe_nth(void *ctx, int64_t from, int64_t to, int64_t n, bool *found, int64_t *ts, EbbError *err)
{
	char nbuf[32];

	snprintf(nbuf, sizeof(nbuf), "%lld", (long long) n);
	return probe_query(ctx, PROBE_NTH, from, to, nbuf, found, ts, err);
}

void
archive_probe_init(ArchiveTarget *t, WindowProbe *probe)
{
	probe->ctx = t;
	probe->first = probe_first;
	probe->nth = probe_nth;
}
