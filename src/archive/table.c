/* table.c: one policy in one database (archive.h): checks, lock, ledger, then piece by piece. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/archive.h"
#include "archive/chunk.h"
#include "archive/chunk_plan.h"
#include "archive/ledger.h"
#include "archive/manifest.h"
#include "archive/object.h"
#include "archive/partition.h"
#include "archive/partition_plan.h"
#include "archive/piece.h"
#include "archive/plan.h"
#include "archive/probe.h"
#include "archive/safety.h"
#include "archive/throttle.h"
#include "archive/sql.h"
#include "archive/target.h"
#include "catalog/catalog.h"
#include "catalog/table_lock.h"
#include "common/json.h"
#include "common/log.h"
#include "common/time.h"
#include "pg/ident.h"

/* The database's now() minus N days; for timestamp columns in the session TimeZone. */
static bool
fetch_cutoff(ArchiveTarget *t, EbbError *err)
{
	char days[16];
	const char *params[1] = {days};
	const char *sql = t->info.time_is_tz
						  ? "SELECT (extract(epoch FROM pg_catalog.now() - "
							"pg_catalog.make_interval(days => $1::int4)) * 1000000)::int8"
						  : "SELECT (extract(epoch FROM LOCALTIMESTAMP - "
							"pg_catalog.make_interval(days => $1::int4)) * 1000000)::int8";
	bool isnull;

	snprintf(days, sizeof(days), "%d", t->policy->keep_days);
	return archive_sql_query_int64(t->conn, sql, 1, params, &t->cutoff, &isnull, err);
}

static void
fetch_sysid(ArchiveTarget *t)
{
	PGresult *res;
	EbbError ignored;

	/* Readable by superusers and pg_monitor members only: the manifest says null otherwise. */
	if (pg_query(t->conn, "SELECT system_identifier::text FROM pg_catalog.pg_control_system()", 0,
				 NULL, &res, &ignored))
	{
		t->sysid = ebb_strdup(PQgetvalue(res, 0, 0));
		PQclear(res);
	}
}

static char *
columns_json(const TableShape *shape)
{
	Buf b;

	buf_init(&b);
	buf_append_char(&b, '[');
	for (int i = 0; i < shape->ncolumns; i++)
	{
		if (i > 0)
			buf_append_char(&b, ',');
		buf_append_char(&b, '{');
		json_kv_str(&b, "name", shape->columns[i].name);
		json_kv_str(&b, "type", shape->columns[i].type_name);
		buf_append_char(&b, '}');
	}
	buf_append_char(&b, ']');
	buf_cstr(&b);
	return b.data;
}

static bool
require_index(const ArchiveTarget *t, EbbError *err)
{
	Buf stmt;

	if (t->info.time_indexed || t->policy->allow_seqscan)
		return true;
	buf_init(&stmt);
	buf_printf(&stmt, "CREATE INDEX CONCURRENTLY ON %s (%s);", t->qualified, t->time_col);
	error_set(err, EBB_ERR_CONFIG, "table %s has no index on column \"%s\"",
			  pg_message_name(t->policy->schema, t->policy->table).s, t->policy->time_column);
	error_detail(err, "Without one, finding each window scans the whole table.");
	error_hint(err, "Create one with: %s Or pass --allow-seqscan.", buf_cstr(&stmt));
	buf_free(&stmt);
	return false;
}

/* The encoder, and what it reads: a binary stream with some columns as text, or all text. */
static void
choose_encoding(ArchiveTarget *t)
{
	const Policy *p = t->policy;
	TableShape *shape = &t->info.shape;

	t->encoder = encoder_find(p->format);
	t->compressor = archive_object_compressor(t->encoder, p->compress);
	t->encoder_options = (EncoderOptions){.codec = p->compress,
										  .codec_level = p->compress_level,
										  .row_group_rows = p->row_group_rows,
										  .row_group_bytes = p->row_group_bytes,
										  .infinity = (EncoderInfinity) p->parquet_infinity};
	shape->binary = t->encoder->binary_rows;
	for (int i = 0; i < shape->ncolumns; i++)
		shape->columns[i].as_text =
			shape->binary && !encoder_column_binary(t->encoder, &shape->columns[i]);
}

/* Rows without a time are in no window: they are counted and reported, never archived. */
static bool
count_null_times(ArchiveTarget *t, EbbError *err)
{
	Buf sql;
	bool isnull;

	buf_init(&sql);
	buf_printf(&sql, "SELECT pg_catalog.count(*) FROM %s WHERE %s IS NULL", t->from, t->time_col);
	bool ok =
		archive_sql_query_int64(t->conn, buf_cstr(&sql), 0, NULL, &t->null_times, &isnull, err);
	buf_free(&sql);
	if (ok && t->null_times > 0)
		log_warning("table %s has %" PRId64 " rows whose \"%s\" is NULL: they are never "
					"archived",
					pg_message_name(t->policy->schema, t->policy->table).s, t->null_times,
					t->policy->time_column);
	return ok;
}

/* A hypertable is aged by its time dimension (the chunks' slices are of it); an integer one
 * needs --time-unit, which means nothing for other columns. */
static bool
check_time_dimension(const ArchiveTarget *t, EbbError *err)
{
	const Policy *p = t->policy;

	if (t->hypertable.is && strcmp(t->hypertable.time_column, p->time_column) != 0)
	{
		error_set(err, EBB_ERR_CONFIG, "column \"%s\" is not the time dimension of hypertable %s",
				  p->time_column, pg_message_name(p->schema, p->table).s);
		error_detail(err, "Its chunks are sliced by column \"%s\".", t->hypertable.time_column);
		error_hint(err, "Pass --time-column %s.", t->hypertable.time_column);
		return false;
	}
	if (p->time_unit_ns && !t->info.time_integer)
	{
		error_set(err, EBB_ERR_USAGE,
				  "option --time-unit applies only to an integer time "
				  "dimension of a hypertable");
		error_detail(err, "Column \"%s\" of table %s is of type timestamp%s.", p->time_column,
					 pg_message_name(p->schema, p->table).s,
					 t->info.time_is_tz ? " with time zone" : "");
		return false;
	}
	return true;
}

/*
 * The table's shape and its checks, bracketed by two fingerprints (safety.h): equal, nothing
 * changed while ebb looked, and each later transaction compares its own with them.
 */
static bool
load_checked(ArchiveTarget *t, EbbError *err)
{
	const Policy *p = t->policy;
	char before[ARCHIVE_DIGEST_LEN] = "", after[ARCHIVE_DIGEST_LEN];
	uint32_t oid = 0;
	bool exists;

	if (!pg_table_oid(t->conn, p->schema, p->table, &exists, &oid, err) ||
		(exists && !archive_digest(t->conn, t->table_rel, oid, true, before, err)) ||
		(exists && !pg_hypertable_read(t->conn, oid, p->schema, p->table, &t->hypertable, err)) ||
		!pg_table_info_integer(t->conn, p->schema, p->table, p->time_column,
							   t->hypertable.is && t->hypertable.integer, &t->info, err) ||
		!check_time_dimension(t, err) || !archive_check_session(t->conn, err) ||
		!archive_check_dependents(t->conn, &t->info, p, &t->hypertable, err) ||
		!archive_digest(t->conn, t->table_rel, oid, false, t->cols_digest, err) ||
		!archive_digest(t->conn, t->table_rel, oid, true, after, err))
		return false;
	snprintf(t->digest, sizeof(t->digest), "%s", after);
	if (t->info.oid == oid && strcmp(before, after) == 0)
		return true;
	error_set(err, EBB_ERR_QUERY, "table %s changed while ebb checked it",
			  pg_message_name(p->schema, p->table).s);
	error_hint(err, "Run ebb again.");
	return false;
}

static bool
target_prepare(ArchiveTarget *t, EbbError *err)
{
	const Policy *p = t->policy;
	Buf b;

	buf_init(&b);
	pg_quote_qualified(&b, p->schema, p->table);
	t->table_rel = ebb_strdup(buf_cstr(&b));
	buf_free(&b);
	if (!load_checked(t, err))
		return false;
	buf_init(&b);
	pg_quote_qualified(&b, p->schema, p->table);
	t->qualified = ebb_strdup(buf_cstr(&b));
	/* A hypertable's rows are its chunks': read and deleted through it (TimescaleDB routes
	 * DELETE ... RETURNING to the chunks). */
	t->from = t->info.relkind == 'p' || t->hypertable.is ? ebb_strdup(t->qualified)
														 : ebb_asprintf("ONLY %s", t->qualified);
	buf_reset(&b);
	pg_quote_ident(&b, p->time_column);
	t->time_col = ebb_strdup(buf_cstr(&b));
	buf_reset(&b);
	archive_object_key_prefix(t->dbname, p->schema, p->table, &b);
	t->key_prefix = ebb_strdup(buf_cstr(&b));
	buf_free(&b);
	choose_encoding(t);
	t->columns_json = columns_json(&t->info.shape);
	if (!require_index(t, err) || !store_open(p->dest, &t->settings->store, &t->store, err))
		return false;
	if (!t->settings->dry_run && !store_check(&t->store, err))
		return false;
	fetch_sysid(t);
	return fetch_cutoff(t, err) && count_null_times(t, err);
}

static void
target_free(ArchiveTarget *t)
{
	if (t->conn)
		archive_sql_deallocate(t);
	pg_table_info_free(&t->info);
	pg_hypertable_free(&t->hypertable);
	store_close(&t->store);
	free(t->qualified);
	free(t->table_rel);
	free(t->from);
	free(t->time_col);
	free(t->key_prefix);
	free(t->columns_json);
	free(t->sysid);
	strlist_clear(&t->supersedes);
	strlist_clear(&t->pending_supersedes);
}

bool
archive_lock_table(PGconn *conn, uint32_t oid, bool *locked, EbbError *err)
{
	return catalog_table_lock_try(conn, oid, locked, err);
}

void
archive_unlock_table(PGconn *conn, uint32_t oid)
{
	catalog_table_unlock(conn, oid);
}

/* The rows of a piece, less those of expired partitions (a dry run's partitions are listed on
 * their own: a real run takes them whole before the pieces). */
static bool
count_range(ArchiveTarget *t, TimeRange r, const PartPlan *plan, int64_t *rows, EbbError *err)
{
	Buf sql;
	bool isnull, ok;

	buf_init(&sql);
	buf_printf(&sql, "SELECT pg_catalog.count(*) FROM %s WHERE ", t->from);
	archive_sql_range_condition(t, r, &sql);
	for (int i = 0; plan && i < plan->n; i++)
	{
		const PartLeaf *l = &plan->leaves[i];
		if (!archive_partition_expired(l, t->cutoff) || l->upper <= r.start || l->lower >= r.end)
			continue;
		buf_printf(&sql, " AND NOT (%s < '", t->time_col);
		archive_sql_time_literal(t, l->upper, &sql);
		buf_append_char(&sql, '\'');
		if (l->lower != TIME_NEG_INFINITY)
		{
			buf_printf(&sql, " AND %s >= '", t->time_col);
			archive_sql_time_literal(t, l->lower, &sql);
			buf_append_char(&sql, '\'');
		}
		buf_append_char(&sql, ')');
	}
	ok = archive_sql_query_int64(t->conn, buf_cstr(&sql), 0, NULL, rows, &isnull, err);
	buf_free(&sql);
	return ok;
}

static void
report_dry_piece(const ArchiveTarget *t, TimeRange piece, int64_t rows)
{
	if (!t->report || !t->report->dry_window)
		return;
	ArchiveDryWindow w = {.dbname = t->dbname,
						  .policy = t->policy,
						  .time_is_tz = t->info.time_is_tz,
						  .piece = piece,
						  .rows = rows,
						  .estimated_bytes = (int64_t) ((double) rows * t->info.est_row_bytes)};
	t->report->dry_window(t->report->arg, &w);
}

static void
report_dry_partition(const ArchiveTarget *t, const PartLeaf *leaf, int64_t rows)
{
	if (!t->report || !t->report->dry_partition)
		return;
	ArchiveDryPartition p = {.dbname = t->dbname,
							 .policy = t->policy,
							 .time_is_tz = t->info.time_is_tz,
							 .schema = leaf->schema,
							 .name = leaf->name,
							 .bound = leaf->bound,
							 .lower = leaf->lower,
							 .upper = leaf->upper,
							 .rows = rows,
							 .bytes = leaf->bytes,
							 .chunk = t->hypertable.is};
	t->report->dry_partition(t->report->arg, &p);
}

/* The plan of what is archived whole: a hypertable's chunks, a partitioned table's leaves,
 * nothing for a plain table. */
static bool
load_plan(ArchiveTarget *t, PartPlan *plan, EbbError *err)
{
	memset(plan, 0, sizeof(*plan));
	if (t->hypertable.is && t->hypertable.referenced_by)
	{
		/* drop_chunks would fail on it (or, with CASCADE, drop the foreign key): its rows
		 * go row by row, each DELETE checked by the foreign key, as a referenced
		 * partition's do */
		log_warning("hypertable %s is referenced by foreign key %s: its chunks are not dropped "
					"whole; its old rows are archived %s",
					pg_message_name(t->policy->schema, t->policy->table).s,
					t->hypertable.referenced_by,
					t->policy->whole_partitions_only ? "only without --whole-partitions-only"
													 : "row by row");
		return true;
	}
	if (t->hypertable.is)
	{
		ChunkTable table = {t->policy->schema, t->policy->table, &t->hypertable, t->info.time_is_tz,
							t->policy->time_unit_ns};
		return archive_chunk_plan(t->conn, &table, plan, err);
	}
	if (t->info.relkind != 'p')
		return true;
	PartTable table = archive_partition_table_of(t);
	return archive_partition_plan(t->conn, &table, plan, err);
}

/* The old rows left after the whole relations go by the row protocol. */
static bool
rows_by_rows(const ArchiveTarget *t)
{
	return !t->policy->whole_partitions_only;
}

/* The expired partitions of a dry run: listed, counted; *plan keeps them for the row plan. */
static bool
dry_run_partitions(ArchiveTarget *t, PartPlan *plan, EbbError *err)
{
	if (!load_plan(t, plan, err))
		return false;
	for (int i = 0; i < plan->n; i++)
	{
		const PartLeaf *leaf = &plan->leaves[i];
		int64_t rows;
		bool isnull;
		Buf sql;
		if (!archive_partition_expired(leaf, t->cutoff))
			continue;
		buf_init(&sql);
		buf_printf(&sql, "SELECT pg_catalog.count(*) FROM ONLY %s", leaf->qualified);
		bool ok = archive_sql_query_int64(t->conn, buf_cstr(&sql), 0, NULL, &rows, &isnull, err);
		buf_free(&sql);
		if (!ok)
			return false;
		report_dry_partition(t, leaf, rows);
		t->rows += (uint64_t) rows;
		t->bytes += (uint64_t) leaf->bytes;
		t->objects += rows > 0;
	}
	return true;
}

/* A piece inside an expired partition's range is archived with the partition. */
static bool
in_expired_partition(const ArchiveTarget *t, const PartPlan *plan, TimeRange piece)
{
	for (int i = 0; i < plan->n; i++)
		if (archive_partition_expired(&plan->leaves[i], t->cutoff) &&
			piece.start >= plan->leaves[i].lower && piece.end <= plan->leaves[i].upper)
			return true;
	return false;
}

/* Walks the same plan as a real run and counts; changes nothing. */
static bool
dry_run(ArchiveTarget *t, EbbError *err)
{
	WindowProbe probe;
	WindowPlanner pl;
	TimeRange piece, window;
	bool done, oversize;
	PartPlan plan = {0};

	if (!dry_run_partitions(t, &plan, err))
		return false;
	if (!rows_by_rows(t) && (t->hypertable.is || t->info.relkind != 'p'))
	{
		archive_partition_plan_free(&plan);
		return true;
	}
	archive_probe_init(t, &probe);
	archive_planner_init(&pl, &probe, t->policy->window_us, t->cutoff, t->policy->max_rows_per_txn);
	while (archive_planner_next(&pl, &done, &piece, &window, &oversize, err))
	{
		int64_t rows;
		if (done)
			break;
		if (in_expired_partition(t, &plan, piece))
			continue;
		if (!count_range(t, piece, &plan, &rows, err))
			break;
		if (rows == 0)
			continue;
		report_dry_piece(t, piece, rows);
		t->rows += (uint64_t) rows;
		t->bytes += (uint64_t) ((double) rows * t->info.est_row_bytes);
		t->objects += rows > 0;
	}
	archive_partition_plan_free(&plan);
	return done;
}

/* Rows so far and how far through the time range (first: the first piece's start), or done. */
static void
progress(const ArchiveTarget *t, int64_t first, TimeRange piece, bool done)
{
	if (!t->report || !t->report->progress)
		return;
	ArchiveProgress p = {
		.dbname = t->dbname, .policy = t->policy, .time_is_tz = t->info.time_is_tz, .done = done};
	if (!done)
	{
		p.rows = t->rows;
		p.at = piece.start;
		/* In doubles: first may be -infinity's INT64_MIN, and the difference would overflow. */
		p.percent = t->cutoff > first ? 100.0 * ((double) piece.end - (double) first) /
											((double) t->cutoff - (double) first)
									  : 100;
	}
	t->report->progress(t->report->arg, &p);
}

static bool
archive_all_pieces(ArchiveTarget *t, EbbError *err)
{
	WindowProbe probe;
	WindowPlanner pl;
	TimeRange piece, window;
	ArchivedObject obj;
	bool done, oversize;
	int64_t first = TIME_UNBOUNDED;
	uint64_t last_rows = 0; /* the window before's */

	archive_probe_init(t, &probe);
	archive_planner_init(&pl, &probe, t->policy->window_us, t->cutoff, t->policy->max_rows_per_txn);
	while (!cancel_requested)
	{
		if (!archive_planner_next(&pl, &done, &piece, &window, &oversize, err) || done)
		{
			progress(t, 0, piece, true);
			return done;
		}
		/* Back-pressure before each window (none after the last). */
		if (!archive_throttle_wait(t, last_rows, err))
		{
			progress(t, 0, piece, true);
			return false;
		}
		if (first == TIME_UNBOUNDED)
			first = piece.start;
		progress(t, first, piece, false);
		if (oversize)
			log_warning("more than %" PRId64 " rows of table %s share one timestamp; "
						"archiving them in one transaction",
						t->policy->max_rows_per_txn,
						pg_message_name(t->policy->schema, t->policy->table).s);
		if (!archive_piece(t, piece, window, &obj, err))
		{
			progress(t, 0, piece, true);
			return false;
		}
		if (obj.rows > 0)
			log_info("archived %" PRIu64 " rows to \"%s\"", obj.rows, obj.key);
		last_rows = obj.rows;
	}
	return error_set(err, EBB_ERR_CANCELED, "canceled by a signal");
}

/* A partitioned table: expired partitions whole, then the old rows left (the partition that
 * straddles the cutoff, the DEFAULT's) row by row; with --whole-partitions-only only the
 * DEFAULT's. */
static bool
archive_table_rows(ArchiveTarget *t, EbbError *err)
{
	PartPlan plan;

	if (t->info.relkind != 'p' && !t->hypertable.is)
		return archive_all_pieces(t, err);
	if (!load_plan(t, &plan, err))
		return false;
	bool ok =
		t->hypertable.is ? archive_chunk_all(t, &plan, err) : archive_partition_all(t, &plan, err);
	if (ok && rows_by_rows(t))
		ok = archive_all_pieces(t, err);

	/* Only the DEFAULT's leaves (a sub-partitioned DEFAULT has several), one at a time. */
	for (int i = 0; ok && t->policy->whole_partitions_only && i < plan.n; i++)
	{
		char *parent = t->qualified, *parent_from = t->from;
		if (!plan.leaves[i].is_default)
			continue;
		char *name = archive_object_leaf_name(plan.leaves[i].schema, plan.leaves[i].name);
		archive_sql_deallocate(t); /* the probes were prepared for another relation */
		t->qualified = plan.leaves[i].qualified;
		t->from = ebb_asprintf("ONLY %s", t->qualified);
		t->piece_name = name; /* two leaves' pieces of one window must not share a key */
		ok = archive_all_pieces(t, err);
		archive_sql_deallocate(t);
		free(t->from);
		t->qualified = parent;
		t->from = parent_from;
		t->piece_name = NULL;
		free(name);
	}
	archive_partition_plan_free(&plan);
	return ok;
}

/* A statement that a signal canceled (PQcancel) failed with the server's "canceling statement
 * due to user request": say what happened, with that in the detail. */
static void
archive_canceled(EbbError *err)
{
	if (!cancel_requested || err->code == EBB_ERR_CANCELED)
		return;
	char was[sizeof(err->message)];
	snprintf(was, sizeof(was), "%s", err->message);
	error_set(err, EBB_ERR_CANCELED, "canceled by a signal");
	error_detail(err, "%s", was);
}

static void
run_locked(ArchiveTarget *t, TableOutcome *out)
{
	bool locked;

	if (!catalog_ensure(t->conn, &out->err) ||
		!archive_lock_table(t->conn, t->info.oid, &locked, &out->err))
	{
		out->status = TABLE_FAILED;
		return;
	}
	if (!locked)
	{
		out->status = TABLE_BUSY;
		error_set(&out->err, EBB_ERR_BUSY, "table %s is being archived by another ebb",
				  pg_message_name(t->policy->schema, t->policy->table).s);
		error_detail(&out->err, "Its advisory lock is held by another session (an archive run, a "
								"restore, or ebb verify --gc); skipped.");
		return;
	}
	archive_crash_point("locked");
	bool ok = archive_ledger_mark_interrupted(t, &out->err) &&
			  archive_ledger_read_restored(t, &out->err) && archive_manifest_repair(t, &out->err) &&
			  archive_ledger_run_start(t, &out->err) && archive_throttle_begin(t, &out->err);
	if (ok)
	{
		ok = archive_table_rows(t, &out->err);
		archive_canceled(&out->err);
		archive_manifest_finish(t);
		archive_ledger_run_finish(t, ok ? "ok" : "failed", ok ? NULL : out->err.message);
	}
	archive_unlock_table(t->conn, t->info.oid);
	out->status = ok ? TABLE_OK : TABLE_FAILED;
}

void
archive_table(PGconn *conn, const char *dsn, const char *dbname, const Settings *settings,
			  const Policy *policy, const char *run_id, bool skip_if_absent,
			  const ArchiveReport *report, TableOutcome *out)
{
	ArchiveTarget t;
	bool exists = true;

	memset(out, 0, sizeof(*out));
	error_init(&out->err);
	out->null_times = -1;
	memset(&t, 0, sizeof(t));
	t.settings = settings;
	t.policy = policy;
	t.dsn = dsn;
	t.dbname = dbname;
	t.run_id = run_id;
	t.report = report;
	t.conn = conn;
	t.null_times = -1;
	t.session = (PgSessionOptions){settings->timezone, settings->lock_timeout_ms,
								   settings->statement_timeout_ms, settings->idle_timeout_ms};
	if (policy->keep_days < 0)
	{
		out->status = TABLE_SKIPPED;
		out->skip_reason = "keep-days is -1: everything is kept";
		return;
	}
	if (skip_if_absent &&
		(!pg_table_exists(conn, policy->schema, policy->table, &exists, &out->err) || !exists))
	{
		out->status = exists ? TABLE_FAILED : TABLE_SKIPPED;
		out->skip_reason = "the table does not exist in this database";
		return;
	}
	if (!target_prepare(&t, &out->err))
		out->status = TABLE_FAILED;
	else if (settings->dry_run)
		out->status = dry_run(&t, &out->err) ? TABLE_OK : TABLE_FAILED;
	else
		run_locked(&t, out);
	if (out->status == TABLE_FAILED)
		archive_canceled(&out->err);
	out->rows = t.rows;
	out->bytes = t.bytes;
	out->objects = t.objects;
	out->null_times = t.null_times;
	out->paused_us = t.throttle.paused_us;
	out->cutoff = t.cutoff;
	out->has_cutoff = t.cutoff != 0 || out->status == TABLE_OK;
	out->time_is_tz = t.info.time_is_tz;
	target_free(&t);
}
