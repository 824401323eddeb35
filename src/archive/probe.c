/* probe.c: the planner's index probes, as parameterized queries on the time column. */
#include <stdio.h>
#include <stdlib.h>

#include "archive/archive.h"
#include "common/time.h"

static bool
probe_query(ArchiveTarget *t, const char *select_tail, int64_t from, int64_t to, const char *n,
			bool *found, int64_t *ts, EbbError *err)
{
	Buf sql, lo, hi;
	PGresult *res;

	buf_init(&sql);
	buf_init(&lo);
	buf_init(&hi);
	archive_time_literal(t, from <= TIME_AFTER_NEG_INFINITY ? 0 : from, &lo);
	archive_time_literal(t, to, &hi);
	const char *params[3] = {buf_cstr(&lo), buf_cstr(&hi), n};
	const char *type = t->info.time_is_tz ? "timestamptz" : "timestamp";
	buf_append_str(&sql, "SELECT ");
	archive_epoch_us_sql(select_tail, &sql);
	buf_printf(&sql, " FROM %s WHERE ", t->qualified);
	if (from == TIME_UNBOUNDED)
		buf_printf(&sql, "$1::text IS NOT NULL AND ");
	else if (from == TIME_AFTER_NEG_INFINITY)
		buf_printf(&sql, "%s > '-infinity'::pg_catalog.%s AND $1::text IS NOT NULL AND ",
				   t->time_col, type);
	else
		buf_printf(&sql, "%s >= $1::pg_catalog.%s AND ", t->time_col, type);
	buf_printf(&sql, "%s < $2::pg_catalog.%s", t->time_col, type);
	if (n)
		buf_printf(&sql, " ORDER BY %s OFFSET $3::int8 LIMIT 1", t->time_col);
	bool ok = pg_query(t->conn, buf_cstr(&sql), n ? 3 : 2, params, &res, err);
	if (ok)
	{
		*found = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0);
		if (*found)
			*ts = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
	}
	buf_free(&sql);
	buf_free(&lo);
	buf_free(&hi);
	return ok;
}

static bool
probe_first(void *ctx, int64_t from, int64_t to, bool *found, int64_t *ts, EbbError *err)
{
	ArchiveTarget *t = ctx;
	char expr[300];

	snprintf(expr, sizeof(expr), "pg_catalog.min(%s)", t->time_col);
	return probe_query(t, expr, from, to, NULL, found, ts, err);
}

static bool
probe_nth(void *ctx, int64_t from, int64_t to, int64_t n, bool *found, int64_t *ts, EbbError *err)
{
	ArchiveTarget *t = ctx;
	char nbuf[32];

	snprintf(nbuf, sizeof(nbuf), "%lld", (long long) n);
	return probe_query(t, t->time_col, from, to, nbuf, found, ts, err);
}

void
archive_probe_init(ArchiveTarget *t, WindowProbe *probe)
{
	probe->ctx = t;
	probe->first = probe_first;
	probe->nth = probe_nth;
}
