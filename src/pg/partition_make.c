/* partition_make.c: see partition_make.h. */
#include "pg/partition_make.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "pg/pg.h"

static const struct
{
	const char *names[4];
	PgPartInterval iv;
} intervals[] = {{{"1h", "hour", "1 hour", "hourly"}, {"hour", "YYYYMMDDHH24"}},
				 {{"1d", "day", "1 day", "daily"}, {"day", "YYYYMMDD"}},
				 {{"1w", "week", "1 week", "weekly"}, {"week", "YYYYMMDD"}},
				 {{"1mon", "month", "1 month", "monthly"}, {"month", "YYYYMM"}}};

#define N_INTERVALS (sizeof(intervals) / sizeof(intervals[0]))

bool
pg_partition_interval_parse(const char *text, PgPartInterval *out, EbbError *err)
{
	for (size_t i = 0; i < N_INTERVALS; i++)
		for (int k = 0; k < 4; k++)
			if (strcmp(text, intervals[i].names[k]) == 0)
			{
				*out = intervals[i].iv;
				return true;
			}
	error_set(err, EBB_ERR_USAGE, "invalid value \"%s\" for option --interval",
			  text_escape(text).s);
	error_hint(err, "Use \"1h\", \"1d\", \"1w\" or \"1mon\" (or hour, day, week, month).");
	return false;
}

/* The unit that a partition's name and bound agree on, read in wall-clock time (UTC for
 * timestamptz): a suffix of 10 digits an hour, of 8 a day or a week, of 6 a month, each
 * spelling the bound's start. The bound's text is pg_get_expr's, so it casts back exactly;
 * MINVALUE and MAXVALUE are no start. */
static void
infer_sql(bool key_is_tz, Buf *sql)
{
	const char *type = key_is_tz ? "pg_catalog.timestamptz" : "pg_catalog.timestamp";
	const char *utc = key_is_tz ? " AT TIME ZONE 'UTC'" : "";

	buf_printf(sql,
			   "SELECT CASE WHEN pg_catalog.length(s.suffix) = 10"
			   " AND s.hi = s.lo + interval '1 hour' THEN 'hour'"
			   " WHEN pg_catalog.length(s.suffix) = 8 AND s.hi = s.lo + interval '1 day'"
			   " THEN 'day' WHEN pg_catalog.length(s.suffix) = 8"
			   " AND s.hi = s.lo + interval '7 days' THEN 'week'"
			   " WHEN pg_catalog.length(s.suffix) = 6 AND s.hi = s.lo + interval '1 month'"
			   " THEN 'month' END"
			   " FROM (SELECT pg_catalog.substr(c.relname, pg_catalog.length($2) + 3) AS suffix,"
			   " (CASE WHEN r.lo LIKE '''%%' THEN pg_catalog.btrim(r.lo, '''')::%s END)%s AS lo,"
			   " (CASE WHEN r.hi LIKE '''%%' THEN pg_catalog.btrim(r.hi, '''')::%s END)%s AS hi"
			   " FROM pg_catalog.pg_class p"
			   " JOIN pg_catalog.pg_namespace n ON n.oid = p.relnamespace"
			   " JOIN pg_catalog.pg_inherits i ON i.inhparent = p.oid"
			   " JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid"
			   " CROSS JOIN LATERAL (SELECT pg_catalog.pg_get_expr(c.relpartbound, c.oid) AS e) b"
			   " CROSS JOIN LATERAL (SELECT"
			   " substring(b.e FROM '^FOR VALUES FROM \\((.*)\\) TO \\(') AS lo,"
			   " substring(b.e FROM '\\) TO \\((.*)\\)$') AS hi) r"
			   " WHERE n.nspname = $1 AND p.relname = $2"
			   " AND pg_catalog.left(c.relname, pg_catalog.length($2) + 2) = $2 || '_p') s"
			   " WHERE s.suffix ~ '^([0-9]{6}|[0-9]{8}|[0-9]{10})$' AND pg_catalog.to_char(s.lo,"
			   " CASE pg_catalog.length(s.suffix) WHEN 6 THEN 'YYYYMM' WHEN 8 THEN 'YYYYMMDD'"
			   " ELSE 'YYYYMMDDHH24' END) = s.suffix"
			   " ORDER BY s.lo DESC LIMIT 1",
			   type, utc, type, utc);
}

bool
pg_partition_interval_infer(PGconn *conn, const char *schema, const char *table, bool key_is_tz,
							bool *found, PgPartInterval *out, EbbError *err)
{
	const char *params[2] = {schema, table};
	PGresult *res;
	Buf sql;

	*found = false;
	buf_init(&sql);
	infer_sql(key_is_tz, &sql);
	bool ok = pg_query(conn, buf_cstr(&sql), 2, params, &res, err);
	buf_free(&sql);
	if (!ok)
		return false;
	const char *unit = PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "";
	for (size_t i = 0; i < N_INTERVALS && !*found; i++)
		if (strcmp(unit, intervals[i].iv.unit) == 0)
		{
			*out = intervals[i].iv;
			*found = true;
		}
	PQclear(res);
	return true;
}

bool
pg_partition_name_fits(const char *table, const PgPartInterval *iv, EbbError *err)
{
	size_t suffix = strcmp(iv->unit, "hour") == 0 ? 10 : strcmp(iv->unit, "month") == 0 ? 6 : 8;

	if (strlen(table) + 2 + suffix <= 63)
		return true;
	error_set(err, EBB_ERR_CONFIG, "partition names of table \"%s\" would be longer than 63 bytes",
			  text_escape(table).s);
	error_detail(err, "They are the table's name, \"_p\" and %zu characters of the start.", suffix);
	error_hint(err, "PostgreSQL would truncate them into one name; create them another way.");
	return false;
}

void
pg_partition_bounds_sql(bool key_is_tz, const char *g, const char *unit, Buf *sql)
{
	if (key_is_tz)
		buf_printf(sql,
				   "(%s AT TIME ZONE 'UTC'), ((%s + ('1 ' || %s)::interval) AT TIME ZONE 'UTC')", g,
				   g, unit);
	else
		buf_printf(sql, "%s, (%s + ('1 ' || %s)::interval)", g, g, unit);
}

bool
pg_partition_create(PGconn *conn, const char *parent, const char *schema, const char *name,
					const char *lo, const char *hi, char sqlstate[6], EbbError *err)
{
	Buf sql;

	buf_init(&sql);
	buf_append_str(&sql, "CREATE TABLE ");
	pg_quote_qualified(&sql, schema, name);
	buf_printf(&sql, " PARTITION OF %s FOR VALUES FROM (", parent);
	pg_quote_literal(&sql, lo);
	buf_append_str(&sql, ") TO (");
	pg_quote_literal(&sql, hi);
	buf_append_str(&sql, ")");
	bool ok = pg_exec_state(conn, buf_cstr(&sql), sqlstate, err);
	buf_free(&sql);
	return ok;
}
