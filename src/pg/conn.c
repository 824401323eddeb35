#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cancel.h"
#include "common/log.h"
#include "common/text.h"
#include "pg/conninfo.h"
#include "pg/pg.h"

static bool
password_refused(EbbError *err)
{
	error_set(err, EBB_ERR_USAGE,
			  "the connection string given on the command line holds a password");
	error_detail(err, "Other users of this machine can read command lines.");
	error_hint(err, "Use PGPASSWORD, a password file (~/.pgpass or PGPASSFILE), or the dsn "
					"parameter of the config file.");
	return false;
}

/*
 * The password check comes before libpq parses the string: libpq keeps only the last of
 * repeated keys and may quote a value in its syntax errors. libpq's own reading is checked too,
 * in case the scanner and libpq ever disagree.
 */
bool
pg_check_dsn(const char *dsn, EbbError *err)
{
	char *msg = NULL;
	PQconninfoOption *opts;

	if (!dsn)
		return true;
	if (pg_conninfo_has_password(dsn))
		return password_refused(err);
	opts = PQconninfoParse(dsn, &msg);
	if (!opts)
	{
		error_set(err, EBB_ERR_USAGE, "invalid connection string: %s",
				  msg ? text_escape(strtok(msg, "\n")).s : "out of memory");
		error_hint(err, "Use a libpq key=value string or a postgresql:// URI.");
		PQfreemem(msg);
		return false;
	}
	bool password = false;
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if ((strcmp(o->keyword, "password") == 0 || strcmp(o->keyword, "sslpassword") == 0) &&
			o->val && o->val[0])
			password = true;
	PQconninfoFree(opts);
	return !password || password_refused(err);
}

/* libpq's messages end in newlines and may span lines: first line message, rest detail. */
static void
error_from_text(EbbError *err, EbbErrorCode code, const char *prefix, const char *text)
{
	char *copy = ebb_strdup(text ? text : "");
	size_t n = strlen(copy);

	while (n > 0 && (copy[n - 1] == '\n' || copy[n - 1] == ' '))
		copy[--n] = '\0';
	char *nl = strchr(copy, '\n');
	if (nl)
		*nl = '\0';
	error_set(err, code, "%s%s", prefix, copy);
	if (nl)
		error_detail(err, "%s", nl + 1 + strspn(nl + 1, " \t"));
	free(copy);
}

/* Server notices go through ebb's log (as warnings only when they are warnings). */
static void
pg_notice_processor(void *arg, const char *message)
{
	size_t n = strlen(message);

	while (n > 0 && message[n - 1] == '\n')
		n--;
	if (strncmp(message, "WARNING", 7) == 0)
		log_warning("server: %.*s", (int) n, message);
	else
		log_debug("server: %.*s", (int) n, message);
}

static bool
pg_session_setup(PGconn *conn, const PgSessionOptions *o, EbbError *err)
{
	char sql[512];

	PQsetNoticeProcessor(conn, pg_notice_processor, NULL);
	/* As PostgreSQL's own client programs do: nothing user-writable on the search path, so
	 * that no object in the tenant's database can hijack an unqualified name (CVE-2018-1058).
	 * Output settings are fixed so that archived text is the same whatever the role's defaults.
	 * row_security = off, as pg_dump does: a query that a row-level security policy would
	 * filter fails instead, so that ebb never takes the rows it sees for all the rows. */
	if (!pg_exec(conn, "SELECT pg_catalog.set_config('search_path', '', false)", err) ||
		!pg_exec(conn,
				 "SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres';"
				 "SET extra_float_digits = 1; SET bytea_output = 'hex';"
				 "SET standard_conforming_strings = on; SET row_security = off",
				 err))
		return false;
	if (PQsetClientEncoding(conn, "UTF8") != 0)
		return error_set(err, EBB_ERR_CONNECT, "could not set client encoding to UTF8");
	snprintf(sql, sizeof(sql),
			 "SET lock_timeout = %lld; SET statement_timeout = %lld;"
			 "SET idle_in_transaction_session_timeout = %lld",
			 (long long) o->lock_timeout_ms, (long long) o->statement_timeout_ms,
			 (long long) o->idle_timeout_ms);
	if (!pg_exec(conn, sql, err))
		return false;
	if (o->timezone)
	{
		const char *params[1] = {o->timezone};
		PGresult *res;
		if (!pg_query(conn, "SELECT pg_catalog.set_config('TimeZone', $1, false)", 1, params, &res,
					  err))
		{
			char server[sizeof(err->message)];
			snprintf(server, sizeof(server), "%s", err->message);
			error_set(err, EBB_ERR_USAGE, "invalid value \"%s\" for option --timezone",
					  o->timezone);
			error_detail(err, "The server said: %s", server + strlen("query failed: "));
			error_hint(err,
					   "Use a name from pg_timezone_names, such as \"Europe/Berlin\" or \"UTC\".");
			return false;
		}
		PQclear(res);
	}
	return true;
}

/* The session a signal cancels (PQcancel is async-signal-safe; its object outlives the
 * connection harmlessly: a cancel for a backend that is gone does nothing). */
static PGcancel *volatile signal_cancel;

static void
cancel_hook(void)
{
	char errbuf[256];
	PGcancel *c = signal_cancel;

	if (c)
		PQcancel(c, errbuf, sizeof(errbuf));
}

void
pg_cancel_on_signal(PGconn *conn)
{
	PGcancel *old = signal_cancel;

	cancel_set_hook(NULL);
	signal_cancel = conn ? PQgetCancel(conn) : NULL;
	if (old)
		PQfreeCancel(old);
	if (signal_cancel)
		cancel_set_hook(cancel_hook);
}

bool
pg_connect(const char *dsn, const char *dbname, const PgSessionOptions *opts, PGconn **out,
		   EbbError *err)
{
	/* A later "dbname" overrides what the first, expanded one set (as pg_dumpall does). */
	const char *keys[] = {"dbname", "dbname", "fallback_application_name", NULL};
	const char *vals[] = {dsn ? dsn : "", dbname, "ebb", NULL};
	PGconn *conn;

	if (!dbname)
	{
		keys[1] = "fallback_application_name";
		vals[1] = "ebb";
		keys[2] = NULL;
	}
	conn = PQconnectdbParams(keys, vals, 1);
	if (!conn || PQstatus(conn) != CONNECTION_OK)
	{
		error_from_text(err, EBB_ERR_CONNECT, "", conn ? PQerrorMessage(conn) : "out of memory");
		if (dbname)
			error_prefix(err, "could not connect to database \"%s\": ", dbname);
		else
			error_prefix(err, "could not connect: ");
		PQfinish(conn);
		return false;
	}
	if (!pg_session_setup(conn, opts, err))
	{
		PQfinish(conn);
		return false;
	}
	*out = conn;
	return true;
}

/*
 * The server ended the session for idling in its transaction (SQLSTATE 25P03; when libpq has
 * only the text of the FATAL that came before the connection closed, its words): ebb was
 * waiting for the store, usually the last requests of an upload, each up to --s3-timeout.
 */
static void
hint_idle_timeout(const PGresult *res, const char *text, EbbError *err)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if ((state && strcmp(state, "25P03") == 0) ||
		(text && strstr(text, "idle-in-transaction timeout")))
		error_hint(err, "The session was idle in its transaction longer than --idle-timeout while "
						"ebb waited for the object store: up to three requests of --s3-timeout "
						"each follow a window's COPY. Make --idle-timeout longer than 3 x "
						"--s3-timeout, or leave it unset (it is then that plus 1min).");
}

bool
pg_error_from_result(PGconn *conn, const PGresult *res, const char *what, EbbError *err)
{
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char prefix[512];

	snprintf(prefix, sizeof(prefix), "%s: ", what);
	if (!primary)
	{
		error_from_text(err, EBB_ERR_QUERY, prefix, PQerrorMessage(conn));
		hint_idle_timeout(res, PQerrorMessage(conn), err);
		return false;
	}
	error_set(err, EBB_ERR_QUERY, "%s%s", prefix, primary);
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", state ? state : "");
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	if (detail)
		error_detail(err, "%s", detail);
	if (hint)
		error_hint(err, "%s", hint);
	else
		hint_idle_timeout(res, primary, err);
	return false;
}

bool
pg_exec(PGconn *conn, const char *sql, EbbError *err)
{
	char sqlstate[6];

	return pg_exec_state(conn, sql, sqlstate, err);
}

bool
pg_exec_state(PGconn *conn, const char *sql, char sqlstate[6], EbbError *err)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	const char *state = ok ? NULL : PQresultErrorField(res, PG_DIAG_SQLSTATE);

	snprintf(sqlstate, 6, "%s", state ? state : "");
	if (!ok)
		pg_error_from_result(conn, res, "query failed", err);
	PQclear(res);
	return ok;
}

bool
pg_query(PGconn *conn, const char *sql, int nparams, const char *const *params, PGresult **res,
		 EbbError *err)
{
	*res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(*res);

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return true;
	pg_error_from_result(conn, *res, "query failed", err);
	PQclear(*res);
	*res = NULL;
	return false;
}

bool
pg_query_strings(PGconn *conn, const char *sql, int nparams, const char *const *params,
				 StrList *out, EbbError *err)
{
	PGresult *res;

	if (!pg_query(conn, sql, nparams, params, &res, err))
		return false;
	for (int i = 0; i < PQntuples(res); i++)
		strlist_add(out, PQgetvalue(res, i, 0));
	PQclear(res);
	return true;
}

bool
pg_query_bool(PGconn *conn, const char *sql, int nparams, const char *const *params, bool *out,
			  EbbError *err)
{
	PGresult *res;

	if (!pg_query(conn, sql, nparams, params, &res, err))
		return false;
	*out = PQntuples(res) > 0 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return true;
}

bool
pg_prepare(PGconn *conn, const char *name, const char *sql, int nparams, EbbError *err)
{
	PGresult *res = PQprepare(conn, name, sql, nparams, NULL);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		pg_error_from_result(conn, res, "could not prepare a statement", err);
	PQclear(res);
	return ok;
}

bool
pg_query_prepared(PGconn *conn, const char *name, int nparams, const char *const *params,
				  PGresult **res, EbbError *err)
{
	*res = PQexecPrepared(conn, name, nparams, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(*res);

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return true;
	pg_error_from_result(conn, *res, "query failed", err);
	PQclear(*res);
	*res = NULL;
	return false;
}

/* Wraps value in quote characters, doubling any inside: identifiers and literals alike. */
static void
append_quoted(Buf *out, const char *value, char quote)
{
	buf_append_char(out, quote);
	for (const char *p = value; *p; p++)
	{
		if (*p == quote)
			buf_append_char(out, quote);
		buf_append_char(out, *p);
	}
	buf_append_char(out, quote);
}

void
pg_quote_ident(Buf *out, const char *name)
{
	append_quoted(out, name, '"');
}

/* standard_conforming_strings is on in ebb's sessions: only quotes need doubling. */
void
pg_quote_literal(Buf *out, const char *value)
{
	append_quoted(out, value, '\'');
}

void
pg_quote_qualified(Buf *out, const char *schema, const char *table)
{
	pg_quote_ident(out, schema);
	buf_append_char(out, '.');
	pg_quote_ident(out, table);
}

bool
pg_list_databases(PGconn *conn, StrList *out, EbbError *err)
{
	PGresult *res;

	if (!pg_query(conn,
				  "SELECT datname FROM pg_catalog.pg_database "
				  "WHERE datallowconn AND NOT datistemplate ORDER BY datname COLLATE \"C\"",
				  0, NULL, &res, err))
		return false;
	for (int i = 0; i < PQntuples(res); i++)
		strlist_add(out, PQgetvalue(res, i, 0));
	PQclear(res);
	return true;
}

void
pg_epoch_us_sql(const char *expr, Buf *out)
{
	buf_printf(out,
			   "CASE WHEN pg_catalog.isfinite(%s) THEN (extract(epoch FROM %s) * 1000000)::int8"
			   " WHEN %s < 'epoch' THEN -9223372036854775808"
			   " WHEN %s > 'epoch' THEN 9223372036854775807 END",
			   expr, expr, expr, expr);
}
