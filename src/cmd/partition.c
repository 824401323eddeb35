/*
 * partition.c: `ebb partition`, per database: the partitions of the current --interval and of
 * the next --premake intervals of a table range-partitioned by a timestamp column, created
 * ahead of time as <table>_p<start> (YYYYMMDD, YYYYMMDDHH or YYYYMM), with the parent's
 * indexes (PostgreSQL creates them). Idempotent: a partition of that name is left alone, and a
 * range that another partition already covers is reported and skipped. Rows of the new range
 * that sit in the DEFAULT partition are moved into the new partition in the same transaction
 * (PostgreSQL would refuse the partition otherwise). A table pg_partman manages is left to
 * pg_partman: ebb only archives and drops its old partitions.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/commands.h"
#include "common/text.h"
#include "pg/pg.h"
#include "pg/ident.h"
#include "pg/partition_make.h"
#include "pg/partitions.h"

typedef struct PartitionCmd
{
	CmdContext *ctx;
	char *schema, *table;
	PgPartInterval iv;
	long long premake;
} PartitionCmd;

/* The parent: range-partitioned by one timestamp column; its key, type and DEFAULT. */
typedef struct Parent
{
	PgPartitionParent pg;
	bool missing; /* no such table in this database */
} Parent;

static bool
load_parent(PGconn *conn, const PartitionCmd *p, Parent *out, EbbError *err)
{
	bool found;

	memset(out, 0, sizeof(*out));
	if (!pg_partition_parent(conn, p->schema, p->table, &found, &out->pg, err))
		return false;
	out->missing = !found;
	if (!found)
		return error_set(err, EBB_ERR_CONFIG, "table %s does not exist",
						 pg_message_name(p->schema, p->table).s);
	if (!out->pg.range_by_time)
	{
		error_set(err, EBB_ERR_CONFIG, "table %s is not range-partitioned by a timestamp column",
				  pg_message_name(p->schema, p->table).s);
		error_hint(err, "ebb partition creates time ranges: PARTITION BY RANGE (a timestamp or "
						"timestamp with time zone column).");
	}
	return out->pg.range_by_time;
}

/* name, lower and upper bound (as literals of the key's type) of each range to have. The series
 * runs on UTC wall-clock timestamps for a timestamptz key: adding '1 month' or '1 day' to a
 * timestamptz would follow the session's TimeZone (DST, month ends) and shift the bounds. */
static bool
ranges(PGconn *conn, const PartitionCmd *p, const Parent *par, PGresult **res, EbbError *err)
{
	char premake[24];
	const char *params[4] = {p->iv.unit, p->iv.format, premake, p->table};
	const char *now = par->pg.key_is_tz
						  ? "pg_catalog.date_trunc($1, pg_catalog.now() AT TIME ZONE 'UTC')"
						  : "pg_catalog.date_trunc($1, LOCALTIMESTAMP)";
	Buf sql, bounds;

	snprintf(premake, sizeof(premake), "%lld", p->premake);
	buf_init(&sql);
	buf_init(&bounds);
	pg_partition_bounds_sql(par->pg.key_is_tz, "g", "$1", &bounds);
	buf_printf(&sql,
			   "SELECT $4 || '_p' || pg_catalog.to_char(g, $2), b.lo::text, b.hi::text"
			   " FROM pg_catalog.generate_series(%s, %s + $3::int * ('1 ' || $1)::interval,"
			   " ('1 ' || $1)::interval) g CROSS JOIN LATERAL (SELECT %s) b(lo, hi)",
			   now, now, buf_cstr(&bounds));
	bool ok = pg_query(conn, buf_cstr(&sql), 4, params, res, err);
	buf_free(&bounds);
	buf_free(&sql);
	return ok;
}

/* Moves the DEFAULT's rows of the range into a new table, then attaches it: one transaction,
 * the DEFAULT locked so that no row of the range lands there meanwhile. */
static bool
create_moving(PGconn *conn, const Parent *par, const char *name, const char *lo, const char *hi,
			  char sqlstate[6], EbbError *err)
{
	Buf sql;

	buf_init(&sql);
	buf_printf(&sql, "BEGIN; LOCK TABLE %s IN ACCESS EXCLUSIVE MODE;", par->pg.default_part);
	buf_printf(
		&sql,
		"CREATE TABLE %s (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED);",
		name, par->pg.qualified);
	/* Columns by name: the DEFAULT may have been attached with another column order. */
	buf_printf(&sql,
			   "WITH moved AS (DELETE FROM %s WHERE %s >= '%s' AND %s < '%s' RETURNING %s)"
			   " INSERT INTO %s (%s) SELECT %s FROM moved;",
			   par->pg.default_part, par->pg.key, lo, par->pg.key, hi, par->pg.columns, name,
			   par->pg.columns, par->pg.columns);
	buf_printf(&sql, "ALTER TABLE %s ATTACH PARTITION %s FOR VALUES FROM ('%s') TO ('%s');",
			   par->pg.qualified, name, lo, hi);
	buf_append_str(&sql, "COMMIT");
	bool ok = pg_exec_state(conn, buf_cstr(&sql), sqlstate, err);
	if (!ok)
		pg_exec(conn, "ROLLBACK", &(EbbError){0});
	buf_free(&sql);
	return ok;
}

static int64_t
default_rows(PGconn *conn, const Parent *par, const char *lo, const char *hi, EbbError *err)
{
	PGresult *res;
	Buf sql;
	int64_t n = -1;

	if (!par->pg.default_part)
		return 0;
	buf_init(&sql);
	buf_printf(&sql, "SELECT pg_catalog.count(*) FROM %s WHERE %s >= '%s' AND %s < '%s'",
			   par->pg.default_part, par->pg.key, lo, par->pg.key, hi);
	if (pg_query(conn, buf_cstr(&sql), 0, NULL, &res, err))
	{
		n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
	}
	buf_free(&sql);
	return n;
}

static void
report_created(const PartitionCmd *p, const char *db, const char *rel, const char *lo,
			   const char *hi, int64_t moved)
{
	printf("%s: %s: created partition %s for [%s, %s)", text_escape(db).s,
		   pg_display_name(p->schema, p->table).s, pg_display_name(p->schema, rel).s, lo, hi);
	if (moved > 0)
		printf(", moving %" PRId64 " rows out of the DEFAULT partition", moved);
	printf("\n");
}

/* One range: created, moved into, or left alone (its partition exists; another relation has
 * the name; another partition covers the range: the last two are reported). */
static bool
make_one(PGconn *conn, const PartitionCmd *p, const Parent *par, const char *db, const char *rel,
		 const char *lo, const char *hi, int *created, EbbError *err)
{
	Buf name;
	bool exists, ours, ok;
	char sqlstate[6];
	int64_t moved = 0;

	buf_init(&name);
	pg_quote_qualified(&name, p->schema, rel);
	ok = pg_partition_of(conn, buf_cstr(&name), par->pg.qualified, &exists, &ours, err) &&
		 (exists || (moved = default_rows(conn, par, lo, hi, err)) >= 0);
	if (ok && exists && !ours)
		printf("%s: %s: skipped [%s, %s): relation %s exists and is not its partition\n",
			   text_escape(db).s, pg_display_name(p->schema, p->table).s, lo, hi, buf_cstr(&name));
	if (!ok || exists)
		goto done;
	ok = moved > 0
			 ? create_moving(conn, par, buf_cstr(&name), lo, hi, sqlstate, err)
			 : pg_partition_create(conn, par->pg.qualified, p->schema, rel, lo, hi, sqlstate, err);
	if (!ok && strcmp(sqlstate, "42P17") == 0)
	{
		/* 42P17: another partition covers (part of) the range. Reported, not fatal. */
		printf("%s: %s: skipped [%s, %s): %s\n", text_escape(db).s,
			   pg_display_name(p->schema, p->table).s, lo, hi, err->message);
		error_init(err);
		ok = true;
	}
	else if (ok)
	{
		(*created)++;
		report_created(p, db, rel, lo, hi, moved);
	}
done:
	buf_free(&name);
	return ok;
}

static int
partition_database(void *arg, const char *dbname)
{
	PartitionCmd *p = arg;
	int outcomes = 0, created = 0;
	PGconn *conn = cmd_connect(&p->ctx->settings, dbname, -1, &outcomes);
	Parent par = {0};
	PGresult *res = NULL;
	bool managed;
	EbbError err;

	if (!conn)
		return outcomes;
	error_init(&err);
	const char *db = PQdb(conn);
	bool ok = load_parent(conn, p, &par, &err) &&
			  pg_partitions_partman_managed(conn, p->schema, p->table, &managed, &err);
	if (!ok && par.missing && p->ctx->settings.all_databases)
	{
		/* Under --all-databases not every tenant has every table, as archive says too. */
		printf("%s: %s: skipped: the table does not exist in this database\n", text_escape(db).s,
			   pg_display_name(p->schema, p->table).s);
		PQfinish(conn);
		return OUTCOME_OK;
	}
	if (ok && managed)
		printf("%s: %s: managed by pg_partman; its maintenance creates the partitions\n",
			   text_escape(db).s, pg_display_name(p->schema, p->table).s);
	else if (ok && (ok = ranges(conn, p, &par, &res, &err)))
	{
		for (int i = 0; ok && i < PQntuples(res); i++)
			ok = make_one(conn, p, &par, db, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
						  PQgetvalue(res, i, 2), &created, &err);
		PQclear(res);
		if (ok)
			printf("%s: %s: %d partitions created, %lld ahead wanted\n", text_escape(db).s,
				   pg_display_name(p->schema, p->table).s, created, p->premake);
	}
	if (!ok)
	{
		cmd_print_db_error(db, &err, false);
		outcomes |= cmd_outcome_of(&err);
	}
	else
		outcomes |= OUTCOME_OK;
	pg_partition_parent_free(&par.pg);
	PQfinish(conn);
	return outcomes;
}

/* A flag's slot, or NULL (its default) when not given. */
static const OptSlot *
cli_slot(const CmdContext *ctx, OptId id)
{
	return ctx->cli.slot[id].set ? &ctx->cli.slot[id] : NULL;
}

int
cmd_partition(CmdContext *ctx, EbbError *err)
{
	PartitionCmd p = {.ctx = ctx};
	StrList dbs = {0};
	int code = CMD_FAILED;
	const char *table = opt_get_string(OPT_TABLE, cli_slot(ctx, OPT_TABLE));

	if (!table)
	{
		error_set(err, EBB_ERR_USAGE, "no table given");
		error_hint(err, "Use --table schema.name.");
	}
	else if (config_parse_qualified_name(table, &p.schema, &p.table, err) &&
			 pg_partition_interval_parse(opt_get_string(OPT_INTERVAL, cli_slot(ctx, OPT_INTERVAL)),
										 &p.iv, err) &&
			 pg_partition_name_fits(p.table, &p.iv, err) &&
			 opt_get_int(OPT_PREMAKE, cli_slot(ctx, OPT_PREMAKE), 0, 1000, &p.premake, err) &&
			 cmd_target_databases(&ctx->settings, &dbs, err))
		code = cmd_exit_status(
			cmd_for_each_database(&dbs, ctx->settings.jobs, partition_database, &p));
	free(p.schema);
	free(p.table);
	strlist_clear(&dbs);
	return code;
}
