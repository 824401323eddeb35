/*
 * status.c: `ebb status`, per database and table: the rows still in the table, how far they
 * lag behind the policy, what the ledger says was archived, and the last run's outcome.
 *
 * It only reads: never creates or migrates ebb's tables (catalog_read). Times travel as
 * microseconds since the epoch (the naive value for timestamp columns, UTC for timestamptz)
 * and are printed as archive prints them. The ledger and run tables may not exist yet (no
 * archive has run in this database): then nothing was archived.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "common/text.h"
#include "cmd/commands.h"
#include "archive/partition.h"
#include "archive/chunk_plan.h"
#include "pg/hypertable.h"
#include "archive/safety.h"
#include "catalog/catalog.h"
#include "catalog/ledger.h"
#include "catalog/restores.h"
#include "catalog/runs.h"
#include "cmd/status.h"
#include "common/time.h"
#include "common/log.h"
#include "pg/catalog.h"
#include "pg/pg.h"
#include "pg/ident.h"

/* The extract() of a time as int8 microseconds; NULL for NULL and for +-infinity. */
#define EPOCH_US(x)                                                                                \
	"CASE WHEN pg_catalog.isfinite(" x ") THEN (extract(epoch FROM " x ") * 1000000)::int8 END"

typedef struct StatusCmd
{
	CmdContext *ctx;
	Policy *policies;
	int npolicies;
	bool first_block; /* the next text block is the first: no blank line before it */
} StatusCmd;

static Stamp
get_stamp(const PGresult *res, int row, int col)
{
	Stamp s = {false, 0};

	if (!PQgetisnull(res, row, col))
	{
		s.set = true;
		s.us = strtoll(PQgetvalue(res, row, col), NULL, 10);
	}
	return s;
}

static int64_t
get_int64(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static char *
get_text(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : ebb_strdup(PQgetvalue(res, row, col));
}

static void
report_free(TableReport *r)
{
	free(r->time_column);
	free(r->refusal);
	free(r->run.run_id);
	free(r->run.status);
	free(r->run.message);
	for (int i = 0; i < r->nexpired; i++)
		free(r->expired[i].name);
	free(r->expired);
}

/* The partitions as the next archive run plans them (archive/archive_partition_plan.c). */
static bool
fetch_partitions(PGconn *conn, PgTableInfo *info, const PgHypertable *ht, TableReport *r,
				 bool ledger, EbbError *err)
{
	PartTable table = {info->oid, r->policy->schema, r->policy->table, r->time_column,
					   info->time_is_tz};
	ChunkTable chunks = {r->policy->schema, r->policy->table, ht, info->time_is_tz,
						 r->policy->time_unit_ns};
	int64_t cutoff = r->cutoff.set ? r->cutoff.us : TIME_NEG_INFINITY;
	PartPlan plan;

	if (info->relkind != 'p' && !ht->is)
		return true;
	r->hypertable = ht->is;
	if (ht->is ? !archive_chunk_plan(conn, &chunks, &plan, err)
			   : !archive_partition_plan(conn, &table, &plan, err))
	{
		/* Partitioned by something else: archive refuses it; status still reports the rest. */
		if (err->code != EBB_ERR_CONFIG)
			return false;
		error_init(err);
		return true;
	}
	r->partitioned = true;
	r->partitions = plan.n;
	r->expired = ebb_malloc(sizeof(PartitionReport) * (size_t) (plan.n ? plan.n : 1));
	for (int i = 0; i < plan.n; i++)
		if (archive_partition_expired(&plan.leaves[i], cutoff))
			r->expired[r->nexpired++] = (PartitionReport){
				ebb_asprintf("%s.%s", plan.leaves[i].schema, plan.leaves[i].name),
				plan.leaves[i].lower, plan.leaves[i].upper,
				(int64_t) (plan.leaves[i].est_rows > 0 ? plan.leaves[i].est_rows : 0),
				plan.leaves[i].bytes};
	archive_partition_plan_free(&plan);
	return !ledger || catalog_ledger_count_unremoved(conn, r->policy->schema, r->policy->table,
													 &r->partitions_unremoved, err);
}

/*
 * The statistics' live tuples, which follow every insert and delete (an archive run shows at
 * once), else reltuples (after a crash or a statistics reset the counters start again at
 * zero); summed over the leaf partitions of a partitioned table, whose parent holds no rows.
 */
static bool
fetch_estimate(PGconn *conn, const PgTableInfo *info, const PgHypertable *ht, TableReport *r,
			   EbbError *err)
{
	/* a hypertable's rows are in its chunks, its inheritance children */
	const char *params[2] = {info->oid_text, ht->is ? "t" : "f"};
	PGresult *res;

	if (!pg_query(
			conn,
			"SELECT coalesce(pg_catalog.sum(CASE WHEN pg_catalog.pg_stat_get_live_tuples(c.oid) > 0"
			" OR pg_catalog.pg_stat_get_dead_tuples(c.oid) > 0"
			" THEN pg_catalog.pg_stat_get_live_tuples(c.oid)"
			" ELSE greatest(c.reltuples, 0)::int8 END), 0)::int8"
			" FROM pg_catalog.pg_class c"
			" WHERE (c.oid = $1::oid AND c.relkind <> 'p') OR c.oid IN (SELECT relid"
			" FROM pg_catalog.pg_partition_tree($1::oid::regclass) WHERE isleaf)"
			" OR ($2 AND c.oid IN (SELECT inhrelid FROM pg_catalog.pg_inherits"
			" WHERE inhparent = $1::oid))",
			2, params, &res, err))
		return false;
	r->estimated_rows = get_int64(res, 0, 0);
	PQclear(res);
	return true;
}

/* The time column as a time: an integer one through --time-unit (without one, its values
 * are shown as seconds; archive refuses the table until it is given). */
static void
time_column_sql(const PgTableInfo *info, const TableReport *r, Buf *out)
{
	if (!info->time_integer)
	{
		pg_quote_ident(out, r->time_column);
		return;
	}
	buf_append_str(out, "pg_catalog.to_timestamp((");
	pg_quote_ident(out, r->time_column);
	buf_printf(out, ")::pg_catalog.numeric / %lld)",
			   (long long) (1000000000 /
							(r->policy->time_unit_ns ? r->policy->time_unit_ns : 1000000000)));
}

/*
 * Oldest and newest through the index (min/max), the policy's cutoff from the database's
 * clock exactly as archive computes it, and the rows older than the cutoff, in one snapshot.
 */
static bool
fetch_times(PGconn *conn, const PgTableInfo *info, const PgHypertable *ht, TableReport *r,
			EbbError *err)
{
	char days[16];
	const char *params[1] = {days};
	PGresult *res;
	Buf tbl, col, sql;

	snprintf(days, sizeof(days), "%d", r->policy->keep_days);
	buf_init(&tbl);
	buf_init(&col);
	buf_init(&sql);
	/* ONLY, as archive reads: never an inheritance child's rows (a hypertable's are its) */
	if (info->relkind != 'p' && !ht->is)
		buf_append_str(&tbl, "ONLY ");
	pg_quote_qualified(&tbl, info->schema, info->table);
	time_column_sql(info, r, &col);
	const char *t = buf_cstr(&tbl), *c = buf_cstr(&col);
	buf_printf(&sql,
			   "SELECT " EPOCH_US("o.v") ", " EPOCH_US("n.v") ", " EPOCH_US(
				   "c.cutoff") ","
							   " (SELECT pg_catalog.count(*) FROM %s t WHERE %s < c.cutoff),"
							   " (SELECT pg_catalog.count(*) FROM %s t WHERE %s IS NULL)"
							   " FROM (SELECT CASE WHEN $1::int4 >= 0 THEN %s"
							   " - pg_catalog.make_interval(days => $1::int4) END AS cutoff) c,"
							   " (SELECT pg_catalog.min(%s) AS v FROM %s) o, (SELECT "
							   "pg_catalog.max(%s) AS v FROM %s) n",
			   t, c, t, c, r->tz ? "pg_catalog.now()" : "LOCALTIMESTAMP", c, t, c, t);
	bool ok = pg_query(conn, buf_cstr(&sql), 1, params, &res, err);
	buf_free(&tbl);
	buf_free(&col);
	buf_free(&sql);
	if (!ok)
		return false;
	r->oldest = get_stamp(res, 0, 0);
	r->newest = get_stamp(res, 0, 1);
	r->cutoff = get_stamp(res, 0, 2);
	r->rows_behind = get_int64(res, 0, 3);
	r->null_times = get_int64(res, 0, 4);
	PQclear(res);
	if (r->cutoff.set && r->oldest.set && r->oldest.us < r->cutoff.us)
		r->lag_us = r->cutoff.us - r->oldest.us;
	return true;
}

/* What the ledger holds for the table; with a --dest, for that destination only. */
static bool
fetch_ledger(PGconn *conn, TableReport *r, EbbError *err)
{
	const Policy *p = r->policy;
	const char *params[3] = {p->schema, p->table, p->dest};
	PGresult *res;

	if (!pg_query(
			conn,
			"SELECT pg_catalog.count(*), coalesce(pg_catalog.sum(rows), 0)::int8,"
			" coalesce(pg_catalog.sum(bytes), 0)::int8,"
			" " EPOCH_US(
				"pg_catalog.min(window_start)") ","
												" " EPOCH_US(
													"pg_catalog.max(window_end)") ","
																				  " coalesce(pg_"
																				  "catalog.bool_"
																				  "and(window_utc),"
																				  " false)"
																				  " FROM "
																				  "ebb.archive_"
																				  "ledger WHERE "
																				  "table_schema = "
																				  "$1 AND "
																				  "table_name = $2"
																				  " AND ($3::text "
																				  "IS NULL OR dest "
																				  "= $3::text)",
			3, params, &res, err))
		return false;
	r->objects = get_int64(res, 0, 0);
	r->archived_rows = get_int64(res, 0, 1);
	r->archived_bytes = get_int64(res, 0, 2);
	r->first_archived = get_stamp(res, 0, 3);
	r->last_archived = get_stamp(res, 0, 4);
	r->windows_utc = strcmp(PQgetvalue(res, 0, 5), "t") == 0;
	PQclear(res);
	return true;
}

/* The newest run; 'running' whose table lock is free is shown as 'interrupted' (the next
 * archive run of the table records it so). */
static bool
fetch_last_run(PGconn *conn, const PgTableInfo *info, int version, TableReport *r, EbbError *err)
{
	PGresult *res;

	bool ok = catalog_runs_latest(conn, version, r->policy->schema, r->policy->table,
								  info->oid_text, &res, err);
	if (!ok)
		return false;
	r->run.found = PQntuples(res) == 1;
	if (r->run.found)
	{
		r->run.run_id = get_text(res, 0, 0);
		r->run.status = get_text(res, 0, 1);
		r->run.started = get_stamp(res, 0, 2);
		r->run.finished = get_stamp(res, 0, 3);
		r->run.rows = get_int64(res, 0, 4);
		r->run.bytes = get_int64(res, 0, 5);
		r->run.objects = get_int64(res, 0, 6);
		r->run.message = get_text(res, 0, 7);
	}
	PQclear(res);
	return true;
}

/* Without --time-column: the one the table's newest ledger row records (archive wrote it). */
static bool
resolve_time_column(PGconn *conn, const CatalogState *cat, TableReport *r, EbbError *err)
{
	return cmd_time_column(conn, cat->ledger, r->policy, &r->time_column,
						   &r->time_column_from_ledger, err);
}

/* Objects of the table's archive that ebb restore brought back (schema version 3 on), and
 * the windows now back in the table itself (version 4 on). */
static bool
fetch_restored(PGconn *conn, const CatalogState *cat, TableReport *r, EbbError *err)
{
	const Policy *p = r->policy;
	bool present;

	if (!catalog_restores_present(conn, &present, err))
		return false;
	if (present && !catalog_restores_summary(conn, p->schema, p->table, &r->restored_objects,
											 &r->restored_rows, err))
		return false;
	return !cat->ledger || cat->version < 4 ||
		   catalog_ledger_restored_summary(conn, p->schema, p->table, &r->restored_windows,
										   &r->restored_window_rows, err);
}

static bool
fetch_report(PGconn *conn, const CatalogState *cat, TableReport *r, EbbError *err)
{
	const Policy *p = r->policy;
	PgTableInfo info;
	PgHypertable ht = {0};
	uint32_t oid;
	bool exists;

	if (!resolve_time_column(conn, cat, r, err) ||
		!pg_table_oid(conn, p->schema, p->table, &exists, &oid, err) ||
		(exists && !pg_hypertable_read(conn, oid, p->schema, p->table, &ht, err)))
		return false;
	if (!pg_table_info_integer(conn, p->schema, p->table, r->time_column, ht.is && ht.integer,
							   &info, err))
	{
		pg_table_info_free(&info);
		pg_hypertable_free(&ht);
		return false;
	}
	r->tz = info.time_is_tz;
	EbbError refusal;
	error_init(&refusal);
	if (!archive_check_dependents(conn, &info, p, &ht, &refusal))
	{
		if (refusal.code != EBB_ERR_CONFIG) /* the catalog could not be read */
		{
			*err = refusal;
			pg_table_info_free(&info);
			pg_hypertable_free(&ht);
			return false;
		}
		r->refusal = ebb_strdup(refusal.message);
	}
	/* An integer dimension without --time-unit has no times ebb could show (archive refuses
	 * the table, and says why) */
	bool timeless = info.time_integer && !p->time_unit_ns;
	if (info.time_integer)
		r->integer_type = ht.time_type[0] == 's'   ? "smallint"
						  : ht.time_type[0] == 'i' ? "integer"
												   : "bigint";
	if (timeless && !r->refusal)
		r->refusal = ebb_asprintf("hypertable %s has an integer time dimension and no "
								  "--time-unit",
								  pg_message_name(p->schema, p->table).s);
	bool ok = fetch_estimate(conn, &info, &ht, r, err) &&
			  (timeless || fetch_times(conn, &info, &ht, r, err)) &&
			  (!cat->ledger || fetch_ledger(conn, r, err)) &&
			  (!cat->runs || fetch_last_run(conn, &info, cat->version, r, err)) &&
			  (timeless || fetch_partitions(conn, &info, &ht, r, cat->ledger, err)) &&
			  fetch_restored(conn, cat, r, err);
	pg_table_info_free(&info);
	pg_hypertable_free(&ht);
	return ok;
}

static void
print_failure(const StatusCmd *st, const char *db, const Policy *p, const EbbError *err)
{
	if (st->ctx->settings.json)
		cmd_status_print_json_other(db, p, "failed", NULL, err);
	cmd_print_db_error(db, err, false);
}

/* One table in one database; returns the outcome bits. Under --all-databases a database
 * without the table is listed as skipped: not every tenant has every table. */
static int
status_table(StatusCmd *st, PGconn *conn, const CatalogState *cat, const char *db, const Policy *p)
{
	const Settings *s = &st->ctx->settings;
	const char *reason = "the table does not exist in this database";
	TableReport r = {.db = db, .policy = p};
	bool exists = true;
	EbbError err;

	error_init(&err);
	if (s->all_databases && !pg_table_exists(conn, p->schema, p->table, &exists, &err))
	{
		print_failure(st, db, p, &err);
		return cmd_outcome_of(&err);
	}
	if (!exists && s->json)
		cmd_status_print_json_other(db, p, "skipped", reason, NULL);
	else if (!exists)
		printf("%s: %s: skipped: %s\n", text_escape(db).s, pg_display_name(p->schema, p->table).s,
			   reason);
	if (!exists)
		return 0;
	bool ok = fetch_report(conn, cat, &r, &err);
	if (ok && s->json)
		cmd_status_print_json(&r);
	else if (ok)
		cmd_status_print_text(&r, &st->first_block);
	else
		print_failure(st, db, p, &err);
	fflush(stdout);
	report_free(&r);
	return ok ? OUTCOME_OK : cmd_outcome_of(&err);
}

/* ebb's tables as they are: a version newer than this ebb's is reported, never touched. */
static bool
read_catalog(StatusCmd *st, PGconn *conn, CatalogState *cat)
{
	const char *db = PQdb(conn);
	EbbError err;

	error_init(&err);
	if (!catalog_read(conn, cat, &err))
	{
		for (int i = 0; i < st->npolicies; i++)
			print_failure(st, db, &st->policies[i], &err);
		return false;
	}
	if (cat->version > CATALOG_VERSION)
		log_warning("database \"%s\": ebb's tables are at schema version %d, newer than this ebb "
					"knows (%d); status reports what it knows of them",
					db, cat->version, CATALOG_VERSION);
	return true;
}

static int
status_database(void *arg, const char *dbname)
{
	StatusCmd *st = arg;
	int outcomes = 0;
	PGconn *conn = cmd_connect(&st->ctx->settings, dbname, -1, &outcomes);
	CatalogState cat;

	if (!conn)
		return outcomes;
	if (!read_catalog(st, conn, &cat))
	{
		PQfinish(conn);
		return OUTCOME_CONFIG_FAILED;
	}
	for (int i = 0; i < st->npolicies && PQstatus(conn) == CONNECTION_OK; i++)
		outcomes |= status_table(st, conn, &cat, PQdb(conn), &st->policies[i]);
	if (PQstatus(conn) != CONNECTION_OK)
		outcomes |= OUTCOME_RUNTIME_FAILED;
	PQfinish(conn);
	return outcomes;
}

int
cmd_status(CmdContext *ctx, EbbError *err)
{
	StatusCmd st = {.ctx = ctx, .first_block = true};
	StrList dbs = {0};
	int code = CMD_FAILED;

	if (policies_resolve(&ctx->cli, ctx->has_cfg ? &ctx->cfg : NULL, CMD_STATUS, &st.policies,
						 &st.npolicies, err) &&
		cmd_target_databases(&ctx->settings, &dbs, err))
	{
		/* One database at a time (status has no -j): the blocks come out in order. */
		code = cmd_exit_status(cmd_for_each_database(&dbs, 1, status_database, &st));
	}
	policies_free(st.policies, st.npolicies);
	strlist_clear(&dbs);
	return code;
}
