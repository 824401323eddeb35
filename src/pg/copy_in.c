/* copy_in.c: see copy_in.h. */
#include "pg/copy_in.h"

#include <stdlib.h>

#include "pg/pg.h"

bool
pg_copy_in_begin(PGconn *conn, const char *sql, EbbError *err)
{
	PGresult *res = PQexec(conn, sql);

	if (PQresultStatus(res) == PGRES_COPY_IN)
	{
		PQclear(res);
		return true;
	}
	pg_error_from_result(conn, res, "COPY FROM STDIN failed", err);
	PQclear(res);
	return false;
}

bool
pg_copy_in_put(PGconn *conn, const char *data, size_t len, EbbError *err)
{
	/* PQputCopyData takes an int length: large buffers go in slices. */
	while (len > 0)
	{
		int n = len > (1u << 30) ? (1 << 30) : (int) len;
		if (PQputCopyData(conn, data, n) != 1)
			return error_set(err, EBB_ERR_QUERY, "could not send COPY data: %s",
							 PQerrorMessage(conn));
		data += n;
		len -= (size_t) n;
	}
	return true;
}

/* Reads the COPY's result, then drains libpq until it has no more. */
static bool
copy_in_result(PGconn *conn, uint64_t *rows, EbbError *err)
{
	PGresult *res;
	bool ok = true;

	while ((res = PQgetResult(conn)) != NULL)
	{
		if (ok && PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			/* The context names the column and line of a value the server could not read. */
			const char *context = PQresultErrorField(res, PG_DIAG_CONTEXT);
			ok = pg_error_from_result(conn, res, "COPY FROM STDIN failed", err);
			if (context && !err->detail[0])
				error_detail(err, "While loading: %s.", context);
		}
		else if (ok && rows)
			*rows = strtoull(PQcmdTuples(res), NULL, 10);
		PQclear(res);
	}
	return ok;
}

bool
pg_copy_in_end(PGconn *conn, uint64_t *rows, EbbError *err)
{
	if (PQputCopyEnd(conn, NULL) != 1)
		return error_set(err, EBB_ERR_QUERY, "could not end COPY: %s", PQerrorMessage(conn));
	return copy_in_result(conn, rows, err);
}

void
pg_copy_in_abort(PGconn *conn, const char *why)
{
	EbbError ignored;

	if (PQputCopyEnd(conn, why) == 1)
		copy_in_result(conn, NULL, &ignored);
}
