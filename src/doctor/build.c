/* build.c: see build.h. */
#include "doctor/build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/cancel.h"
#include "common/log.h"
#include "common/retry.h"
#include "pg/pg.h"

/* A second session reads the build's progress (its backend pid) for the report. */
static void
report_progress(const DoctorBuild *b, PGconn *watch, const char *pid, const char *name)
{
	const char *params[1] = {pid};
	PGresult *res;
	EbbError ignored;

	if (!watch || !b->report->progress ||
		!pg_query(watch,
				  "SELECT phase, CASE WHEN blocks_total > 0 THEN blocks_done ELSE tuples_done END,"
				  " CASE WHEN blocks_total > 0 THEN blocks_total ELSE tuples_total END"
				  " FROM pg_catalog.pg_stat_progress_create_index WHERE pid = $1::int4",
				  1, params, &res, &ignored))
		return;
	if (PQntuples(res) == 1)
	{
		DoctorProgress p = {name, PQgetvalue(res, 0, 0), strtoll(PQgetvalue(res, 0, 1), NULL, 10),
							strtoll(PQgetvalue(res, 0, 2), NULL, 10)};
		b->report->progress(b->report->arg, &p);
	}
	PQclear(res);
}

/* Waits for the statement sent on b->conn, reporting progress about once a second. */
static bool
wait_result(const DoctorBuild *b, PGconn *watch, const char *name, char sqlstate[6], EbbError *err)
{
	char pid[16];
	int sock = PQsocket(b->conn);

	snprintf(pid, sizeof(pid), "%d", PQbackendPID(b->conn));
	while (PQisBusy(b->conn))
	{
		fd_set fds;
		struct timeval tv = {1, 0};
		FD_ZERO(&fds);
		FD_SET(sock, &fds);
		if (select(sock + 1, &fds, NULL, NULL, &tv) == 0)
			report_progress(b, watch, pid, name);
		if (!PQconsumeInput(b->conn))
			break;
	}
	bool ok = true;
	PGresult *res;
	sqlstate[0] = '\0';
	while ((res = PQgetResult(b->conn)) != NULL)
	{
		if (ok && PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
			snprintf(sqlstate, 6, "%s", state ? state : "");
			ok = pg_error_from_result(b->conn, res, "query failed", err);
		}
		PQclear(res);
	}
	if (ok && PQstatus(b->conn) != CONNECTION_OK)
		ok = pg_error_from_result(b->conn, NULL, "query failed", err);
	return ok;
}

static PGconn *
open_watch(const DoctorBuild *b)
{
	PgSessionOptions opts = {b->timezone, 0, 0, 0};
	PGconn *watch = NULL;
	EbbError ignored;

	if (!b->report->progress || !pg_connect(b->dsn, b->dbname, &opts, &watch, &ignored))
		return NULL;
	return watch;
}

/* The indexes of the table that are INVALID now, as a list of oids (text). */
static bool
invalid_indexes(const DoctorBuild *b, StrList *out, EbbError *err)
{
	char oid[16];
	const char *params[1] = {oid};
	snprintf(oid, sizeof(oid), "%u", b->table_oid);
	return pg_query_strings(
		b->conn,
		"SELECT pg_catalog.quote_ident(n.nspname) || '.' ||"
		" pg_catalog.quote_ident(c.relname) FROM pg_catalog.pg_index i"
		" JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
		" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
		" WHERE i.indrelid = $1::oid AND NOT i.indisvalid AND NOT EXISTS (SELECT 1"
		" FROM pg_catalog.pg_stat_progress_create_index p"
		" WHERE p.index_relid = i.indexrelid)",
		1, params, out, err);
}

/* What failed attempts left INVALID (and was not before the first): dropped CONCURRENTLY,
 * which waits for older transactions too, so it may itself time out (sqlstate). */
static bool
drop_leftovers(const DoctorBuild *b, const StrList *before, char sqlstate[6], EbbError *err)
{
	StrList now = {0};
	bool ok = invalid_indexes(b, &now, err);

	sqlstate[0] = '\0';
	for (int i = 0; ok && i < now.count; i++)
	{
		bool old = false;
		for (int k = 0; k < before->count && !old; k++)
			old = strcmp(before->items[k], now.items[i]) == 0;
		if (old)
			continue;
		log_info("dropping %s, which a failed build left INVALID", now.items[i]);
		Buf sql;
		buf_init(&sql);
		buf_printf(&sql, "DROP INDEX CONCURRENTLY IF EXISTS %s", now.items[i]);
		ok = pg_exec_state(b->conn, buf_cstr(&sql), sqlstate, err);
		buf_free(&sql);
	}
	strlist_clear(&now);
	return ok;
}

/* One attempt: the leftovers of the earlier ones dropped, then the build. */
static bool
attempt(const DoctorBuild *b, PGconn *watch, const StrList *before, const char *create,
		const char *name, char sqlstate[6], EbbError *err)
{
	if (!drop_leftovers(b, before, sqlstate, err))
		return false;
	log_info("building index %s: %s", name, create);
	if (!PQsendQuery(b->conn, create))
		return pg_error_from_result(b->conn, NULL, "query failed", err);
	return wait_result(b, watch, name, sqlstate, err);
}

/*
 * 55P03 is a lock timeout: the build (or the DROP of an earlier attempt's leftover) waited
 * for an older transaction longer than lock_timeout. Another attempt follows, after a backoff,
 * up to b->retries; whatever the last one left INVALID is dropped if it can be.
 */
/* After the last attempt: its leftover dropped if it can be, else named in err. */
static void
last_leftovers(const DoctorBuild *b, const StrList *before, EbbError *err)
{
	StrList now = {0};
	char sqlstate[6];
	EbbError why;

	error_init(&why);
	if (PQstatus(b->conn) == CONNECTION_OK && !cancel_requested &&
		drop_leftovers(b, before, sqlstate, &why))
		return;
	if (PQstatus(b->conn) != CONNECTION_OK || !invalid_indexes(b, &now, &why))
		return;
	for (int i = 0; i < now.count; i++)
	{
		bool old = false;
		for (int k = 0; k < before->count && !old; k++)
			old = strcmp(before->items[k], now.items[i]) == 0;
		if (!old)
			error_detail(err,
						 "The build left index %s INVALID; the next ebb doctor --fix drops it.",
						 now.items[i]);
	}
	strlist_clear(&now);
}

/* Another attempt after a lock timeout, while attempts are left. */
static bool
retry_wanted(const DoctorBuild *b, int n, const char *sqlstate)
{
	return strcmp(sqlstate, "55P03") == 0 && n < b->retries && !cancel_requested;
}

/* Before an attempt: done (another session built it), or wait (it is building it). */
static bool
ask_satisfied(const DoctorBuild *b, bool *yes, bool *pending)
{
	EbbError check;

	*yes = *pending = false;
	error_init(&check);
	return !b->satisfied || b->satisfied(b->satisfied_arg, yes, pending, &check);
}

bool
doctor_build_index(const DoctorBuild *b, const char *create, const char *name, EbbError *err)
{
	StrList before = {0};
	PGconn *watch = open_watch(b);
	unsigned seed = (unsigned) time(NULL) ^ (unsigned) getpid();
	char sqlstate[6] = "";
	bool ok = invalid_indexes(b, &before, err), done = false, satisfied = false, pending;

	for (int n = 0; ok && !done; n++)
	{
		ask_satisfied(b, &satisfied, &pending);
		if (satisfied)
			break;
		if (pending)
			error_set(err, EBB_ERR_QUERY, "another session is building such an index");
		else
			done = attempt(b, watch, &before, create, name, sqlstate, err);
		if (done || !(pending ? n < b->retries && !cancel_requested : retry_wanted(b, n, sqlstate)))
			break;
		int64_t ms = retry_backoff_ms(n, 200, 10000, &seed);
		log_info("index %s: %s; trying again in %lld ms (attempt %d of %d)", name, err->message,
				 (long long) ms, n + 2, b->retries + 1);
		error_init(err);
		retry_sleep_ms(ms);
	}
	if (satisfied)
	{
		log_info("index %s: another session built it meanwhile", name);
		error_init(err);
	}
	if (ok && !done)
		last_leftovers(b, &before, err);
	if (watch)
		PQfinish(watch);
	strlist_clear(&before);
	return ok && (done || satisfied);
}

bool
doctor_build_drop(const DoctorBuild *b, const char *qualified, EbbError *err)
{
	Buf sql;

	buf_init(&sql);
	buf_printf(&sql, "DROP INDEX CONCURRENTLY IF EXISTS %s", qualified);
	bool ok = pg_exec(b->conn, buf_cstr(&sql), err);
	buf_free(&sql);
	return ok;
}
