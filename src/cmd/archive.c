/* archive.c: `ebb archive`, every policy in every selected database. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive/archive.h"
#include "common/cancel.h"
#include "common/text.h"
#include "cmd/cmd.h"
#include "cmd/commands.h"
#include "cmd/reclaim_print.h"
#include "common/json.h"
#include "common/log.h"
#include "common/time.h"
#include "pg/ident.h"

typedef struct ArchiveCmd
{
	CmdContext *ctx;
	Policy *policies;
	int npolicies;
	char run_id[48];
} ArchiveCmd;

static const char *
status_name(TableStatus s)
{
	static const char *names[] = {"ok", "skipped", "busy", "failed"};
	return names[s];
}

static void
print_json_outcome(const char *db, const Policy *p, const TableOutcome *o, bool dry)
{
	Buf b;
	char cutoff[64];

	buf_init(&b);
	cmd_json_head(&b, dry ? "dry_run_table" : "table", db, p);
	json_kv_str(&b, "status", status_name(o->status));
	json_kv_int(&b, "rows", (int64_t) o->rows);
	json_kv_int(&b, "objects", (int64_t) o->objects);
	json_kv_int(&b, dry ? "estimated_bytes" : "bytes", (int64_t) o->bytes);
	if (o->has_cutoff)
	{
		time_format_iso(o->cutoff, o->time_is_tz, cutoff, sizeof(cutoff));
		json_kv_str(&b, "cutoff", cutoff);
	}
	if (o->null_times >= 0)
		json_kv_int(&b, "null_time_rows", o->null_times);
	if (o->skip_reason)
		json_kv_str(&b, "reason", o->skip_reason);
	if (!dry)
	{
		char paused[32];
		snprintf(paused, sizeof(paused), "%.3f", (double) o->paused_us / 1e6);
		json_kv_raw(&b, "paused_seconds", paused);
	}
	if (o->status == TABLE_FAILED || o->status == TABLE_BUSY)
		json_kv_error(&b, &o->err);
	buf_append_str(&b, "}");
	printf("%s\n", buf_cstr(&b));
	buf_free(&b);
}

static void
print_text_outcome(const char *db, const Policy *p, const TableOutcome *o, bool dry)
{
	char cutoff[64] = "", nulls[96] = "", paused[64] = "";

	if (o->has_cutoff)
		time_format_sql(o->cutoff, o->time_is_tz, cutoff, sizeof(cutoff));
	if (o->null_times > 0)
		snprintf(nulls, sizeof(nulls), "; %" PRId64 " rows with a NULL %s stay", o->null_times,
				 p->time_column);
	if (o->paused_us > 0)
		snprintf(paused, sizeof(paused), "; paused %.1f s (back-pressure)",
				 (double) o->paused_us / 1e6);
	switch (o->status)
	{
		case TABLE_OK:
			if (dry)
				printf("%s: %s: would archive %" PRIu64 " rows in %" PRIu64
					   " objects (about %" PRIu64 " bytes before compression); cutoff %s%s\n",
					   text_escape(db).s, pg_display_name(p->schema, p->table).s, o->rows,
					   o->objects, o->bytes, cutoff, nulls);
			else
				printf("%s: %s: archived %" PRIu64 " rows in %" PRIu64 " objects (%" PRIu64
					   " bytes); cutoff %s%s%s\n",
					   text_escape(db).s, pg_display_name(p->schema, p->table).s, o->rows,
					   o->objects, o->bytes, cutoff, nulls, paused);
			break;
		case TABLE_SKIPPED: cmd_print_skipped(db, p, o->skip_reason); break;
		case TABLE_BUSY: cmd_print_db_error(db, &o->err, true); break;
		case TABLE_FAILED:
			if (o->rows > 0)
				printf("%s: %s: archived %" PRIu64 " rows in %" PRIu64 " objects before failing\n",
					   text_escape(db).s, pg_display_name(p->schema, p->table).s, o->rows,
					   o->objects);
			cmd_print_db_error(db, &o->err, false);
			break;
	}
}

/* A dry run's window, as archive_table plans it (ArchiveReport.dry_window). */
static void
print_dry_window(void *arg, const ArchiveDryWindow *w)
{
	const ArchiveCmd *a = arg;
	char s[64], e[64];

	if (a->ctx->settings.json)
	{
		Buf b;
		time_format_iso(w->piece.start, w->time_is_tz, s, sizeof(s));
		time_format_iso(w->piece.end, w->time_is_tz, e, sizeof(e));
		buf_init(&b);
		buf_append_char(&b, '{');
		json_kv_str(&b, "event", "dry_run_window");
		json_kv_str(&b, "database", w->dbname);
		json_kv_str(&b, "schema", w->policy->schema);
		json_kv_str(&b, "table", w->policy->table);
		json_kv_str(&b, "start", s);
		json_kv_str(&b, "end", e);
		json_kv_int(&b, "rows", w->rows);
		json_kv_int(&b, "estimated_bytes", w->estimated_bytes);
		buf_append_char(&b, '}');
		printf("%s\n", buf_cstr(&b));
		buf_free(&b);
		return;
	}
	time_format_sql(w->piece.start, w->time_is_tz, s, sizeof(s));
	time_format_sql(w->piece.end, w->time_is_tz, e, sizeof(e));
	printf("%s\t%s\t[%s, %s)\t%" PRId64 " rows\t~%" PRId64 " bytes\n", text_escape(w->dbname).s,
		   pg_display_name(w->policy->schema, w->policy->table).s, s, e, w->rows,
		   w->estimated_bytes);
}

/* A dry run's expired partition, archived whole by a real run (ArchiveReport.dry_partition). */
static void
print_dry_partition(void *arg, const ArchiveDryPartition *p)
{
	const ArchiveCmd *a = arg;
	char s[64], e[64];
	const char *action = p->chunk                   ? "archive, drop_chunks"
						 : p->policy->keep_detached ? "archive, detach, keep"
													: "archive, drop";
	const char *kind = p->chunk ? "chunk" : "partition";

	time_format_sql(p->lower, p->time_is_tz, s, sizeof(s));
	time_format_sql(p->upper, p->time_is_tz, e, sizeof(e));
	if (a->ctx->settings.json)
	{
		Buf b;
		buf_init(&b);
		buf_append_char(&b, '{');
		json_kv_str(&b, "event", p->chunk ? "dry_run_chunk" : "dry_run_partition");
		json_kv_str(&b, "database", p->dbname);
		json_kv_str(&b, "schema", p->policy->schema);
		json_kv_str(&b, "table", p->policy->table);
		json_kv_str(&b, p->chunk ? "chunk_schema" : "partition_schema", p->schema);
		json_kv_str(&b, kind, p->name);
		json_kv_str(&b, "bound", p->bound);
		json_kv_int(&b, "rows", p->rows);
		json_kv_int(&b, "bytes", p->bytes);
		json_kv_str(&b, "action", action);
		buf_append_char(&b, '}');
		printf("%s\n", buf_cstr(&b));
		buf_free(&b);
		return;
	}
	printf("%s\t%s\t%s %s\t[%s, %s)\t%" PRId64 " rows\t%" PRId64 " bytes\t%s\n",
		   text_escape(p->dbname).s, pg_display_name(p->policy->schema, p->policy->table).s, kind,
		   pg_display_name(p->schema, p->name).s, s, e, p->rows, p->bytes, action);
}

/* A one-line progress report on a terminal: rows so far and how far through the time range
 * (ArchiveReport.progress). */
static void
print_progress(void *arg, const ArchiveProgress *p)
{
	const ArchiveCmd *a = arg;
	static int tty = -1;
	static struct timespec last;
	struct timespec now;
	char when[64];

	if (tty < 0)
		tty = isatty(STDERR_FILENO) && !a->ctx->settings.json && a->ctx->settings.verbose == 0;
	if (!tty)
		return;
	if (p->done)
	{
		fprintf(stderr, "\r\033[K");
		return;
	}
	/* At most ten updates a second: a terminal is slow, and nobody reads faster. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((now.tv_sec - last.tv_sec) * 1000 + (now.tv_nsec - last.tv_nsec) / 1000000 < 100)
		return;
	last = now;
	time_format_sql(p->at, p->time_is_tz, when, sizeof(when));
	fprintf(stderr, "\r\033[K%s %s: %" PRIu64 " rows, at %s (%.0f%%)", p->dbname,
			pg_display_name(p->policy->schema, p->policy->table).s, p->rows, when, p->percent);
}

/* The policy's after-archive method, once the run deleted rows of the table: the rows are
 * archived whatever it does; its failure fails the run (exit 1), so that it is seen. */
static int
reclaim_after(const ArchiveCmd *a, PGconn *conn, const char *db, const Policy *p)
{
	const Settings *s = &a->ctx->settings;
	ReclaimOptions o;
	ReclaimResult r;
	ReclaimMode mode = RECLAIM_NONE;
	EbbError err;

	error_init(&err);
	reclaim_mode_parse(p->after_archive, &mode);
	if (mode == RECLAIM_NONE || cancel_requested)
		return 0;
	if (!cmd_reclaim_options(s, mode, &o, &err)) /* checked before the run: cannot fail here */
		return cmd_outcome_of(&err);
	bool ok = reclaim_table(conn, &o, p->schema, p->table, &r);
	cmd_print_reclaim(db, p, mode, &r, ok, s->json);
	fflush(stdout);
	return ok ? 0 : cmd_outcome_of(&r.err);
}

static int
archive_database(void *arg, const char *dbname)
{
	ArchiveCmd *a = arg;
	const Settings *s = &a->ctx->settings;
	int outcomes = 0;
	PGconn *conn = cmd_connect(s, dbname, -1, &outcomes);

	if (!conn)
		return outcomes;
	char *name = ebb_strdup(PQdb(conn));
	const ArchiveReport report = {print_dry_window, print_dry_partition, print_progress, a};
	for (int i = 0; i < a->npolicies && !cancel_requested; i++)
	{
		TableOutcome o;
		if (!cmd_reconnect(s, name, &conn, &outcomes))
			break;
		archive_table(conn, s->dsn, name, s, &a->policies[i], a->run_id, s->all_databases, &report,
					  &o);
		if (s->json)
			print_json_outcome(name, &a->policies[i], &o, s->dry_run);
		else
			print_text_outcome(name, &a->policies[i], &o, s->dry_run);
		fflush(stdout);
		outcomes |= cmd_table_outcome_bits(o.status, &o.err);
		if (o.status == TABLE_OK && o.rows > 0 && !s->dry_run && PQstatus(conn) == CONNECTION_OK)
			outcomes |= reclaim_after(a, conn, name, &a->policies[i]);
	}
	PQfinish(conn);
	free(name);
	return outcomes;
}

/* A policy's after-archive full needs the maintenance window: a usage error before any
 * database is touched. */
static bool
check_after_archive(const Settings *s, const Policy *p, int n, EbbError *err)
{
	for (int i = 0; i < n; i++)
	{
		ReclaimMode mode = RECLAIM_NONE;
		ReclaimOptions o;
		reclaim_mode_parse(p[i].after_archive, &mode);
		if (mode != RECLAIM_NONE && !cmd_reclaim_options(s, mode, &o, err))
		{
			error_prefix(err,
						 "after-archive of table %s: ", pg_display_name(p[i].schema, p[i].table).s);
			return false;
		}
	}
	return true;
}

int
cmd_archive(CmdContext *ctx, EbbError *err)
{
	ArchiveCmd a = {.ctx = ctx};
	StrList dbs = {0};
	int code = CMD_FAILED;

	if (policies_resolve(&ctx->cli, ctx->has_cfg ? &ctx->cfg : NULL, CMD_ARCHIVE, &a.policies,
						 &a.npolicies, err) &&
		cmd_check_destinations(a.policies, a.npolicies, &ctx->settings.store, err) &&
		check_after_archive(&ctx->settings, a.policies, a.npolicies, err) &&
		cmd_target_databases(&ctx->settings, &dbs, err))
	{
		cmd_make_run_id(a.run_id, sizeof(a.run_id));
		cmd_install_signal_handlers();
		log_info("run %s: %d table(s) in %d database(s)", a.run_id, a.npolicies, dbs.count);
		code =
			cmd_exit_status(cmd_for_each_database(&dbs, ctx->settings.jobs, archive_database, &a));
	}
	policies_free(a.policies, a.npolicies);
	strlist_clear(&dbs);
	return code;
}
