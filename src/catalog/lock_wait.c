/*
 * lock_wait.c: who held the lock a migration waited for.
 *
 * pg_blocking_pids() answers only while the wait lasts, and only to another session; once
 * lock_timeout has ended the wait, the same sessions are found in pg_locks: every session
 * holding a lock of any mode on one of ebb's tables (a migration's ACCESS EXCLUSIVE conflicts
 * with all of them), or another ebb's migration lock. pg_stat_activity says what each is doing
 * (its state is visible to members of the same role and of pg_read_all_stats only).
 */
#include "catalog/lock_wait.h"

#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "pg/pg.h"

static const char holders_sql[] =
	"SELECT l.pid, a.application_name, a.state,"
	" pg_catalog.date_trunc('second', pg_catalog.clock_timestamp() - a.state_change)::text,"
	" pg_catalog.string_agg(DISTINCT CASE WHEN l.locktype = 'advisory'"
	" THEN 'ebb''s migration lock'"
	" ELSE 'a lock on ' || l.relation::pg_catalog.regclass::text END, ', ')"
	" FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid"
	" WHERE l.granted AND (l.pid IS NULL OR l.pid <> pg_catalog.pg_backend_pid())"
	" AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d"
	" WHERE d.datname = pg_catalog.current_database())"
	" AND ((l.locktype = 'relation' AND l.relation IN (SELECT c.oid FROM pg_catalog.pg_class c"
	" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
	" WHERE n.nspname = 'ebb' AND c.relkind = 'r'))"
	" OR (l.locktype = 'advisory' AND l.classid = 7373061 AND l.objid = 0 AND l.objsubid = 2))"
	" GROUP BY l.pid, a.application_name, a.state, a.state_change ORDER BY l.pid";

/* One sentence per holder. */
static void
describe_holder(const PGresult *res, int i, Buf *out)
{
	const char *what = PQgetvalue(res, i, 4);

	if (PQgetisnull(res, i, 0))
	{
		buf_printf(out, " A prepared transaction holds %s (see pg_prepared_xacts).", what);
		return;
	}
	buf_printf(out, " pid %s (application_name \"%s\") holds %s", PQgetvalue(res, i, 0),
			   PQgetvalue(res, i, 1), what);
	if (PQgetisnull(res, i, 2))
		buf_append_str(out, "; its state is not visible to this role.");
	else if (PQgetisnull(res, i, 3))
		buf_printf(out, " and is %s.", PQgetvalue(res, i, 2));
	else
		buf_printf(out, " and has been %s for %s.", PQgetvalue(res, i, 2), PQgetvalue(res, i, 3));
}

bool
catalog_lock_wait_error(PGconn *conn, int version, EbbError *err)
{
	PGresult *res, *timeout;
	EbbError ignored;
	Buf detail;

	bool have_timeout = pg_query(conn, "SELECT pg_catalog.current_setting('lock_timeout')", 0, NULL,
								 &timeout, &ignored);
	error_set(err, EBB_ERR_QUERY,
			  "could not migrate ebb's tables to version %d: the migration waited for a lock "
			  "longer than lock_timeout (%s)",
			  version, have_timeout ? PQgetvalue(timeout, 0, 0) : "?");
	if (have_timeout)
		PQclear(timeout);
	buf_init(&detail);
	buf_append_str(&detail, "It needs an exclusive lock on ebb's tables, once.");
	if (pg_query(conn, holders_sql, 0, NULL, &res, &ignored))
	{
		for (int i = 0; i < PQntuples(res); i++)
			describe_holder(res, i, &detail);
		if (PQntuples(res) == 0)
			buf_append_str(&detail, " The sessions that held locks on them have ended since.");
		PQclear(res);
	}
	error_detail(err, "%s", buf_cstr(&detail));
	buf_free(&detail);
	error_hint(err, "End the transaction that holds the lock (or its session, with "
					"pg_terminate_backend()), or raise --lock-timeout, then run ebb again. Later "
					"runs only read the schema version: a reader of the ledger does not block "
					"them.");
	return false;
}
