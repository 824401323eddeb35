/*
 * generate.c: `ebb generate`, reproducible events in every selected database.
 *
 * Without --rows: one small row per hour for the last --days days, the set that operators use
 * to check an archiver by hand. With --rows N: N realistic rows (~1.4 kB, mostly jsonb) spread
 * evenly over the last --days days. Either way one transaction per database: the table (and
 * its schema and index) when missing, then one INSERT ... SELECT that the server runs alone.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/commands.h"
#include "common/text.h"
#include "cmd/generate_sql.h"
#include "pg/catalog.h"
#include "pg/pg.h"
#include "pg/ident.h"

typedef struct GenerateCmd
{
	CmdContext *ctx;
	char *schema;
	char *table;
	char *qualified; /* "schema"."table" */
	bool realistic;  /* --rows given */
	char rows[24];   /* $2: the number of rows */
	char days[16];   /* $3 */
	char seed[24];   /* $4, realistic set only */
	const char *end; /* --end, or NULL for now() */
} GenerateCmd;

/* What one database got, for the summary line. */
typedef struct GenerateResult
{
	char end[64];
	char first[64];
	char last[64];
	char rows[32];
} GenerateResult;

static bool
parse_options(CmdContext *ctx, GenerateCmd *g, EbbError *err)
{
	const OptLayer *cli = &ctx->cli;
	const char *name = cli->slot[OPT_TABLE].set ? cli->slot[OPT_TABLE].value : "analytics.events";
	long long rows = 0, days, seed;
	Buf b;

	if (!config_parse_qualified_name(name, &g->schema, &g->table, err) ||
		!opt_get_int(OPT_DAYS, cli->slot[OPT_DAYS].set ? &cli->slot[OPT_DAYS] : NULL, 1, 36500,
					 &days, err) ||
		!opt_get_int(OPT_SEED, cli->slot[OPT_SEED].set ? &cli->slot[OPT_SEED] : NULL, LLONG_MIN,
					 LLONG_MAX, &seed, err))
		return false;
	g->realistic = cli->slot[OPT_ROWS].set;
	if (g->realistic && !opt_get_int(OPT_ROWS, &cli->slot[OPT_ROWS], 1, 1000000000, &rows, err))
		return false;
	if (!g->realistic)
		rows = days * 24;
	snprintf(g->rows, sizeof(g->rows), "%lld", rows);
	snprintf(g->days, sizeof(g->days), "%lld", days);
	snprintf(g->seed, sizeof(g->seed), "%lld", seed);
	g->end = cli->slot[OPT_END].set ? cli->slot[OPT_END].value : NULL;
	buf_init(&b);
	pg_quote_qualified(&b, g->schema, g->table);
	g->qualified = ebb_strdup(buf_cstr(&b));
	buf_free(&b);
	return true;
}

static void
generate_cmd_free(GenerateCmd *g)
{
	free(g->schema);
	free(g->table);
	free(g->qualified);
}

/* libpq's messages come as "query failed: <the server's message>"; a detail wants the latter. */
static const char *
server_message(const EbbError *err)
{
	const char *prefix = "query failed: ";

	return strncmp(err->message, prefix, strlen(prefix)) == 0 ? err->message + strlen(prefix)
															  : err->message;
}

static bool
query_text(PGconn *conn, const char *sql, int n, const char *const *params, char *out,
		   size_t outlen, char *out2, size_t outlen2, EbbError *err)
{
	PGresult *res;

	if (!pg_query(conn, sql, n, params, &res, err))
		return false;
	snprintf(out, outlen, "%s", PQgetvalue(res, 0, 0));
	if (out2)
		snprintf(out2, outlen2, "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	return true;
}

/*
 * The newest time (--end, or now() to the second) and the oldest and newest rows' times, as
 * the server prints them. A bad --end fails here, before anything changes: a usage error.
 */
static bool
resolve_range(PGconn *conn, const GenerateCmd *g, GenerateResult *out, EbbError *err)
{
	const char *end_param[1] = {g->end};
	const char *params[3] = {out->end, g->rows, g->days};

	if (!query_text(conn, "SELECT coalesce($1::timestamp, date_trunc('second', LOCALTIMESTAMP))", 1,
					end_param, out->end, sizeof(out->end), NULL, 0, err))
	{
		if (g->end && PQstatus(conn) == CONNECTION_OK)
		{
			char cause[sizeof(err->message)];
			snprintf(cause, sizeof(cause), "%s", server_message(err));
			error_set(err, EBB_ERR_USAGE, "invalid value \"%s\" for option --end",
					  text_escape(g->end).s);
			error_detail(err, "PostgreSQL could not read it: %s.", cause);
			error_hint(err, "Use a timestamp such as \"2026-11-22 04:00:00\".");
		}
		return false;
	}
	return query_text(conn, "SELECT " GENERATE_TIME_AT("0") ", " GENERATE_TIME_AT("$2::int8 - 1"),
					  3, params, out->first, sizeof(out->first), out->last, sizeof(out->last), err);
}

/* Creates the schema only when it is missing: CREATE SCHEMA IF NOT EXISTS needs the CREATE
 * privilege on the database even when the schema exists. */
static bool
ensure_schema(PGconn *conn, const GenerateCmd *g, EbbError *err)
{
	const char *params[1] = {g->schema};
	char exists[8];
	Buf sql;

	if (!query_text(conn,
					"SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1)", 1,
					params, exists, sizeof(exists), NULL, 0, err))
		return false;
	if (strcmp(exists, "t") == 0)
		return true;
	buf_init(&sql);
	buf_append_str(&sql, "CREATE SCHEMA ");
	pg_quote_ident(&sql, g->schema);
	bool ok = pg_exec(conn, buf_cstr(&sql), err);
	buf_free(&sql);
	if (!ok)
		error_prefix(err, "could not create schema \"%s\": ", g->schema);
	return ok;
}

/* The table's columns as "name type, ..." (empty when it has none), and whether it is a table. */
static bool
table_shape(PGconn *conn, const GenerateCmd *g, Buf *shape, bool *is_table, EbbError *err)
{
	const char *params[2] = {g->schema, g->table};
	PGresult *res;

	if (!pg_query(conn,
				  "SELECT c.relkind IN ('r', 'p'), coalesce((SELECT pg_catalog.string_agg("
				  "a.attname || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod), ', '"
				  " ORDER BY a.attnum) FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid"
				  " AND a.attnum > 0 AND NOT a.attisdropped), '')"
				  " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
				  " ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
				  2, params, &res, err))
		return false;
	*is_table = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	buf_append_str(shape, PQgetvalue(res, 0, 1));
	PQclear(res);
	return true;
}

/* The table must have exactly the shape that the INSERT writes; an existing table of another
 * shape belongs to someone else, so it is refused rather than altered. */
static bool
ensure_table(PGconn *conn, const GenerateCmd *g, EbbError *err)
{
	bool exists, is_table = false;
	Buf shape;

	if (!pg_table_exists(conn, g->schema, g->table, &exists, err))
		return false;
	if (!exists)
	{
		buf_init(&shape);
		buf_printf(&shape, "CREATE TABLE %s%s", g->qualified, cmd_generate_table_body);
		bool ok = pg_exec(conn, buf_cstr(&shape), err);
		buf_free(&shape);
		if (!ok)
			error_prefix(err,
						 "could not create table %s: ", pg_message_name(g->schema, g->table).s);
		return ok;
	}
	buf_init(&shape);
	bool ok = table_shape(conn, g, &shape, &is_table, err);
	if (ok && !is_table)
	{
		ok = error_set(err, EBB_ERR_CONFIG, "%s is not a table",
					   pg_message_name(g->schema, g->table).s);
		error_hint(err, "Use --table to name another table.");
	}
	else if (ok && strcmp(buf_cstr(&shape), cmd_generate_expected_shape) != 0)
	{
		ok = error_set(err, EBB_ERR_CONFIG,
					   "table %s exists with columns other than those ebb generates",
					   pg_message_name(g->schema, g->table).s);
		error_detail(err, "Its columns are: %s. ebb generates: %s.", buf_cstr(&shape),
					 cmd_generate_expected_shape);
		error_hint(err, "Use --table to generate into another table.");
	}
	buf_free(&shape);
	return ok;
}

/* Any valid btree index that leads with triggered_at will do, whatever its name. */
static bool
ensure_index(PGconn *conn, const GenerateCmd *g, EbbError *err)
{
	const char *params[2] = {g->schema, g->table};
	char exists[8];
	Buf sql;

	if (!query_text(
			conn,
			"SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_index i"
			" JOIN pg_catalog.pg_class c ON c.oid = i.indrelid"
			" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
			" JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid"
			" JOIN pg_catalog.pg_am am ON am.oid = ic.relam"
			" JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]"
			" WHERE n.nspname = $1 AND c.relname = $2 AND a.attname = 'triggered_at'"
			" AND am.amname = 'btree' AND i.indisvalid AND i.indpred IS NULL)",
			2, params, exists, sizeof(exists), NULL, 0, err))
		return false;
	if (strcmp(exists, "t") == 0)
		return true;
	buf_init(&sql);
	buf_printf(&sql, "CREATE INDEX ON %s (triggered_at)", g->qualified);
	bool ok = pg_exec(conn, buf_cstr(&sql), err);
	buf_free(&sql);
	if (!ok)
		error_prefix(
			err, "could not create an index on table %s: ", pg_message_name(g->schema, g->table).s);
	return ok;
}

static bool
insert_rows(PGconn *conn, const GenerateCmd *g, GenerateResult *out, EbbError *err)
{
	const char *params[4] = {out->end, g->rows, g->days, g->seed};
	PGresult *res;
	Buf sql;

	buf_init(&sql);
	buf_printf(&sql, "INSERT INTO %s", g->qualified);
	buf_append_str(&sql, g->realistic ? cmd_generate_realistic_select : cmd_generate_hourly_select);
	bool ok = pg_query(conn, buf_cstr(&sql), g->realistic ? 4 : 3, params, &res, err);
	buf_free(&sql);
	if (!ok)
	{
		error_prefix(err,
					 "could not insert into table %s: ", pg_message_name(g->schema, g->table).s);
		return false;
	}
	snprintf(out->rows, sizeof(out->rows), "%s", PQcmdTuples(res));
	PQclear(res);
	return true;
}

/*
 * One transaction: a second ebb generate on the same database waits for this one (the
 * advisory lock) instead of racing it to create the same objects; any failure rolls back.
 */
static bool
generate_in(PGconn *conn, const GenerateCmd *g, GenerateResult *out, EbbError *err)
{
	if (!resolve_range(conn, g, out, err))
		return false;
	if (!pg_exec(conn, "BEGIN", err))
		return false;
	bool ok = pg_exec(conn, "SELECT pg_catalog.pg_advisory_xact_lock(7373061, 1)", err) &&
			  ensure_schema(conn, g, err) && ensure_table(conn, g, err) &&
			  ensure_index(conn, g, err) && insert_rows(conn, g, out, err) &&
			  pg_exec(conn, "COMMIT", err);
	if (!ok && PQstatus(conn) == CONNECTION_OK)
		pg_exec(conn, "ROLLBACK", &(EbbError){0});
	return ok;
}

static int
generate_database(void *arg, const char *dbname)
{
	GenerateCmd *g = arg;
	GenerateResult out = {0};
	EbbError err;
	int outcome;
	/* No statement_timeout: the one INSERT is the whole job, however many rows were asked. */
	PGconn *conn = cmd_connect(&g->ctx->settings, dbname, 0, &outcome);

	if (!conn)
		return outcome;
	error_init(&err);
	bool ok = generate_in(conn, g, &out, &err);
	if (ok)
		printf("%s: %s: generated %s rows from %s to %s\n", text_escape(PQdb(conn)).s,
			   pg_display_name(g->schema, g->table).s, out.rows, out.first, out.last);
	else
		cmd_print_db_error(PQdb(conn), &err, false);
	fflush(stdout);
	PQfinish(conn);
	return ok ? OUTCOME_OK : cmd_outcome_of(&err);
}

int
cmd_generate(CmdContext *ctx, EbbError *err)
{
	GenerateCmd g = {.ctx = ctx};
	StrList dbs = {0};
	int code = CMD_FAILED;

	/* No signal handlers: an interrupted INSERT is rolled back by the server when we go. */
	if (parse_options(ctx, &g, err) && cmd_target_databases(&ctx->settings, &dbs, err))
		code =
			cmd_exit_status(cmd_for_each_database(&dbs, ctx->settings.jobs, generate_database, &g));
	generate_cmd_free(&g);
	strlist_clear(&dbs);
	return code;
}
