/* time_range.c: see time_range.h. */
#include "pg/time_range.h"

#include <stdio.h>
#include <string.h>

#include "pg/pg.h"

/* --from and --to are read by PostgreSQL, as --end of generate is: a bad one is a usage error. */
static bool
check_time_option(PGconn *conn, const char *option, const char *value, EbbError *err)
{
	const char *params[1] = {value};
	PGresult *res;

	if (!value)
		return true;
	if (pg_query(conn, "SELECT $1::text::pg_catalog.timestamptz, $1::text::pg_catalog.timestamp", 1,
				 params, &res, err))
	{
		PQclear(res);
		return true;
	}
	if (PQstatus(conn) != CONNECTION_OK)
		return false;
	const char *prefix = "query failed: ";
	char cause[sizeof(err->message)];
	snprintf(cause, sizeof(cause), "%s",
			 strncmp(err->message, prefix, strlen(prefix)) == 0 ? err->message + strlen(prefix)
																: err->message);
	error_set(err, EBB_ERR_USAGE, "invalid value \"%s\" for option --%s", value, option);
	error_detail(err, "PostgreSQL could not read it: %s.", cause);
	error_hint(err, "Use a timestamp such as \"2026-11-22 04:00:00\".");
	return false;
}

bool
pg_check_time_range(PGconn *conn, const char *from, const char *to, EbbError *err)
{
	const char *params[2] = {from, to};
	PGresult *res;

	if (!check_time_option(conn, "from", from, err) || !check_time_option(conn, "to", to, err))
		return false;
	if (!from || !to)
		return true;
	if (!pg_query(conn,
				  "SELECT $2::text::pg_catalog.timestamptz <= $1::text::pg_catalog.timestamptz", 2,
				  params, &res, err))
		return false;
	bool empty = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!empty)
		return true;
	error_set(err, EBB_ERR_USAGE, "--to %s is not after --from %s", to, from);
	error_hint(err,
			   "--from and --to select the windows that end after --from and start before --to.");
	return false;
}
