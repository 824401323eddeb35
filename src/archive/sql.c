/* sql.c: the folder's shared SQL helpers (sql.h). */
#include "archive/sql.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/time.h"
#include "pg/pg.h"

bool
archive_sql_query_int64(PGconn *conn, const char *sql, int n, const char *const *params,
						int64_t *out, bool *isnull, EbbError *err)
{
	PGresult *res;

	if (!pg_query(conn, sql, n, params, &res, err))
		return false;
	*isnull = PQntuples(res) == 0 || PQgetisnull(res, 0, 0);
	*out = *isnull ? 0 : strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return true;
}

void
archive_sql_statement_name(const char *prefix, char *out, size_t outlen)
{
	static int seq;

	snprintf(out, outlen, "%s_%d", prefix, ++seq);
}

void
archive_sql_deallocate(ArchiveTarget *t)
{
	char *names[4] = {t->probe_names[0], t->probe_names[1], t->ledger_stmt, t->digest_stmt};
	char sql[64];
	EbbError ignored;

	for (int i = 0; i < 4; i++)
	{
		if (!names[i][0] || PQstatus(t->conn) != CONNECTION_OK ||
			PQtransactionStatus(t->conn) != PQTRANS_IDLE)
			continue;
		snprintf(sql, sizeof(sql), "DEALLOCATE %s", names[i]);
		pg_exec(t->conn, sql, &ignored);
		names[i][0] = '\0'; /* prepared again on next use */
	}
}

void
archive_sql_rollback(ArchiveTarget *t)
{
	EbbError ignored;

	if (PQstatus(t->conn) == CONNECTION_OK && PQtransactionStatus(t->conn) != PQTRANS_IDLE)
		pg_exec(t->conn, "ROLLBACK", &ignored);
}

void
archive_sql_time_us(const ArchiveTarget *t, const char *expr, Buf *out)
{
	if (!t->info.time_integer)
	{
		pg_epoch_us_sql(expr, out);
		return;
	}
	buf_printf(out, "pg_catalog.floor((%s)::pg_catalog.numeric * %lld / 1000)::int8", expr,
			   (long long) t->policy->time_unit_ns);
}

/* The first value of an integer time column at or after `us`: a window [a, b) of microseconds
 * holds exactly the values from f(a) up to f(b), so that adjacent windows share none, and a
 * value v is in [a, b) exactly when its microseconds, rounded down, are. */
static int64_t
integer_at(int64_t us, int64_t unit_ns)
{
	if (unit_ns == 1)
		return us > INT64_MAX / 1000 ? INT64_MAX : us < INT64_MIN / 1000 ? INT64_MIN : us * 1000;
	int64_t per = unit_ns / 1000, q = us / per;
	return us % per > 0 ? q + 1 : q;
}

void
archive_sql_time_literal(const ArchiveTarget *t, int64_t us, Buf *out)
{
	char text[64];

	if (t->info.time_integer)
	{
		buf_printf(out, "%lld", (long long) integer_at(us, t->policy->time_unit_ns));
		return;
	}
	time_format_sql(us, t->info.time_is_tz, text, sizeof(text));
	buf_append_str(out, text);
}

const char *
archive_sql_time_type(const ArchiveTarget *t)
{
	return t->info.time_integer ? "int8" : t->info.time_is_tz ? "timestamptz" : "timestamp";
}

void
archive_sql_range_condition(const ArchiveTarget *t, TimeRange piece, Buf *out)
{
	Buf lo, hi;
	const char *type = archive_sql_time_type(t);

	if (range_is_neg_infinity(piece))
	{
		buf_printf(out, "%s = '-infinity'::pg_catalog.%s", t->time_col, type);
		return;
	}
	buf_init(&lo);
	buf_init(&hi);
	archive_sql_time_literal(t, piece.start, &lo);
	archive_sql_time_literal(t, piece.end, &hi);
	buf_printf(out, "%s >= '%s'::pg_catalog.%s AND %s < '%s'::pg_catalog.%s", t->time_col,
			   buf_cstr(&lo), type, t->time_col, buf_cstr(&hi), type);
	buf_free(&lo);
	buf_free(&hi);
}

void
archive_sql_column_list(const TableShape *shape, Buf *sql)
{
	/* By name, never "*": a partition (or a DEFAULT) may hold its columns in another order
	 * than the parent whose shape the encoder writes. */
	for (int i = 0; i < shape->ncolumns; i++)
	{
		if (i > 0)
			buf_append_str(sql, ", ");
		pg_quote_ident(sql, shape->columns[i].name);
		if (shape->binary && shape->columns[i].as_text)
			buf_append_str(sql, "::pg_catalog.text");
	}
}
