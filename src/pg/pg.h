/*
 * pg.h: connections with a secure search_path and fixed output settings, queries that fill an
 * EbbError, identifier quoting. The caller owns every PGconn and PGresult it gets from here.
 */
#ifndef EBB_PG_PG_H
#define EBB_PG_PG_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

typedef struct PgSessionOptions
{
	const char *timezone;         /* NULL: the server's default */
	int64_t lock_timeout_ms;      /* 0: not set */
	int64_t statement_timeout_ms; /* 0: not set */
	int64_t idle_timeout_ms;      /* 0: not set */
} PgSessionOptions;

/* Rejects a DSN that does not parse or that carries a password (it would be visible in ps). */
bool pg_check_dsn(const char *dsn, EbbError *err);

/* Connects to dbname (NULL: the DSN's or PGDATABASE) and prepares the session. */
bool pg_connect(const char *dsn, const char *dbname, const PgSessionOptions *opts, PGconn **out,
				EbbError *err);

/* A signal (common/cancel.h) cancels what this session is running (a lock wait, a long
 * query), so that a stop asked for is not held up until a timeout. NULL: none. */
void pg_cancel_on_signal(PGconn *conn);

/* Runs a statement with no result rows (or ignores them). */
bool pg_exec(PGconn *conn, const char *sql, EbbError *err);
/* The same, with the error's SQLSTATE ("" on success or without one), e.g. "55P03" for a lock
 * timeout. */
bool pg_exec_state(PGconn *conn, const char *sql, char sqlstate[6], EbbError *err);
/* Runs a parameterized query (text parameters); *res is the caller's to PQclear. */
bool pg_query(PGconn *conn, const char *sql, int nparams, const char *const *params, PGresult **res,
			  EbbError *err);
/* The same, the first column of every row added to out. */
bool pg_query_strings(PGconn *conn, const char *sql, int nparams, const char *const *params,
					  StrList *out, EbbError *err);
/* The first column of the first row as a boolean: true only for a row whose value is true. */
bool pg_query_bool(PGconn *conn, const char *sql, int nparams, const char *const *params, bool *out,
				   EbbError *err);
/* A statement prepared once and run many times (no parse and plan per window). */
bool pg_prepare(PGconn *conn, const char *name, const char *sql, int nparams, EbbError *err);
bool pg_query_prepared(PGconn *conn, const char *name, int nparams, const char *const *params,
					   PGresult **res, EbbError *err);
/* Fills err from a failed result or connection, message prefixed with `what`. */
bool pg_error_from_result(PGconn *conn, const PGresult *res, const char *what, EbbError *err);

void pg_quote_ident(Buf *out, const char *name);
void pg_quote_literal(Buf *out, const char *value);
/* "schema"."table" */
void pg_quote_qualified(Buf *out, const char *schema, const char *table);
/* SQL turning a time expression into int8 microseconds, infinities into INT64_MIN/MAX. */
void pg_epoch_us_sql(const char *expr, Buf *out);

/* Databases that allow connections, not templates, sorted by name. */
bool pg_list_databases(PGconn *conn, StrList *out, EbbError *err);

#endif
