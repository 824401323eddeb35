/* archive.c: `ebb archive`, every policy in every selected database. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive/archive.h"
#include "common/text.h"
#include "cmd/cmd.h"
#include "cmd/commands.h"
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
	buf_append_char(&b, '{');
	json_kv_str(&b, "event", dry ? "dry_run_table" : "table");
	json_kv_str(&b, "database", db);
	json_kv_str(&b, "schema", p->schema);
	json_kv_str(&b, "table", p->table);
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
	if (o->status == TABLE_FAILED || o->status == TABLE_BUSY)
		json_kv_error(&b, &o->err);
	buf_append_str(&b, "}");
	printf("%s\n", buf_cstr(&b));
	buf_free(&b);
}

static void
print_text_outcome(const char *db, const Policy *p, const TableOutcome *o, bool dry)
{
	char cutoff[64] = "", nulls[96] = "";

	if (o->has_cutoff)
		time_format_sql(o->cutoff, o->time_is_tz, cutoff, sizeof(cutoff));
	if (o->null_times > 0)
		snprintf(nulls, sizeof(nulls), "; %" PRId64 " rows with a NULL %s stay", o->null_times,
				 p->time_column);
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
					   " bytes); cutoff %s%s\n",
					   text_escape(db).s, pg_display_name(p->schema, p->table).s, o->rows,
					   o->objects, o->bytes, cutoff, nulls);
			break;
		case TABLE_SKIPPED:
			printf("%s: %s: skipped: %s\n", text_escape(db).s,
				   pg_display_name(p->schema, p->table).s, o->skip_reason);
			break;
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

static int
outcome_bits(const TableOutcome *o)
{
	switch (o->status)
	{
		case TABLE_OK: return OUTCOME_OK;
		case TABLE_SKIPPED: return 0;
		case TABLE_BUSY: return OUTCOME_BUSY;
		case TABLE_FAILED: break;
	}
	return cmd_outcome_of(&o->err);
}

/* Destinations are checked once, before any database is touched: a bad URL is a usage error. */
static bool
check_destinations(const Policy *p, int n, const StoreOptions *opts, EbbError *err)
{
	for (int i = 0; i < n; i++)
	{
		Store store;
		bool ok = store_open(p[i].dest, opts, &store, err);
		store_close(&store);
		if (!ok)
			return false;
	}
	return true;
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
	for (int i = 0; i < a->npolicies && !cancel_requested; i++)
	{
		TableOutcome o;
		/* A session lost in one table's run is replaced for the next table. */
		if (PQstatus(conn) != CONNECTION_OK)
		{
			int bits;
			PQfinish(conn);
			if (!(conn = cmd_connect(s, name, -1, &bits)))
			{
				outcomes |= bits;
				break;
			}
		}
		archive_table(conn, s->dsn, name, s, &a->policies[i], a->run_id, s->all_databases, &o);
		if (s->json)
			print_json_outcome(name, &a->policies[i], &o, s->dry_run);
		else
			print_text_outcome(name, &a->policies[i], &o, s->dry_run);
		fflush(stdout);
		outcomes |= outcome_bits(&o);
	}
	PQfinish(conn);
	free(name);
	return outcomes;
}

int
cmd_archive(int argc, char **argv)
{
	CmdContext ctx;
	ArchiveCmd a = {.ctx = &ctx};
	StrList dbs = {0};
	EbbError err;
	int code;

	error_init(&err);
	if (!cmd_context_init(&ctx, CMD_ARCHIVE, "archive",
						  "move rows older than N days to an archive, then delete them", argc, argv,
						  &code, &err))
		goto fail;
	if (code >= 0)
	{
		cmd_context_free(&ctx);
		return code;
	}
	if (!policies_resolve(&ctx.cli, ctx.has_cfg ? &ctx.cfg : NULL, CMD_ARCHIVE, &a.policies,
						  &a.npolicies, &err) ||
		!check_destinations(a.policies, a.npolicies, &ctx.settings.store, &err) ||
		!cmd_target_databases(&ctx.settings, &dbs, &err))
		goto fail;
	cmd_make_run_id(a.run_id, sizeof(a.run_id));
	cmd_install_signal_handlers();
	log_info("run %s: %d table(s) in %d database(s)", a.run_id, a.npolicies, dbs.count);
	code = cmd_exit_status(cmd_for_each_database(&dbs, ctx.settings.jobs, archive_database, &a));
	policies_free(a.policies, a.npolicies);
	strlist_clear(&dbs);
	cmd_context_free(&ctx);
	return code;
fail:
	error_print(&err);
	policies_free(a.policies, a.npolicies);
	strlist_clear(&dbs);
	cmd_context_free(&ctx);
	return error_exit_status(err.code);
}
