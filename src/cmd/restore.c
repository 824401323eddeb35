/*
 * restore.c: `ebb restore`, every selected table in every selected database: the objects its
 * ledger names loaded back, each exactly once (src/restore/ does the work; this file prints).
 *
 * Output: a line per object on stdout, then a summary line per table; with --json one object
 * per line (keys are an interface: add, never rename). An object that cannot be restored is an
 * error on stderr; the others go on, and the exit status is 1.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/commands.h"
#include "common/cancel.h"
#include "common/json.h"
#include "common/log.h"
#include "common/text.h"
#include "pg/ident.h"
#include "pg/partition_make.h"
#include "restore/restore.h"

typedef struct RestoreCmd
{
	CmdContext *ctx;
	Policy *policies;
	int npolicies;
	char run_id[48];
} RestoreCmd;

typedef struct PrintContext
{
	const Settings *s;
	const char *db;
	const Policy *p;
	const char *run_id;
	bool tty;   /* a progress line on stderr */
	bool shown; /* it is on the screen */
	uint64_t rows;
	struct timespec last;
} PrintContext;

static const char *const object_events[] = {
	[RESTORE_OBJECT_RESTORED] = "restored",
	[RESTORE_OBJECT_WOULD_RESTORE] = "would_restore",
	[RESTORE_OBJECT_DONE_BEFORE] = "already_restored",
	[RESTORE_OBJECT_HELD] = "partition_not_removed",
	[RESTORE_OBJECT_SUPERSEDED] = "superseded",
	[RESTORE_OBJECT_FAILED] = "failed",
};

static void
print_object_json(const PrintContext *pc, const RestoreObjectEvent *ev)
{
	Buf b;

	buf_init(&b);
	cmd_json_head(&b, "restore_object", pc->db, pc->p);
	json_kv_str(&b, "object", ev->key);
	json_kv_str(&b, "status", object_events[ev->status]);
	json_kv_int(&b, "rows", (int64_t) ev->rows);
	json_kv_int(&b, "bytes", (int64_t) ev->bytes);
	json_kv_int(&b, "inserted", (int64_t) ev->inserted);
	if (ev->conflicts >= 0)
		json_kv_int(&b, "conflicts", ev->conflicts);
	json_kv_str(&b, "error", ev->err ? ev->err->message : NULL);
	buf_append_str(&b, "}\n");
	fputs(buf_cstr(&b), stdout);
	buf_free(&b);
}

/* A one-line progress report on stderr when it is a terminal: at most ten updates a second,
 * erased before any other line and at the end. */
static void
progress_show(PrintContext *pc, const RestoreObjectEvent *ev)
{
	struct timespec now;

	if (!pc->tty)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t ms = (int64_t) (now.tv_sec - pc->last.tv_sec) * 1000 +
				 (now.tv_nsec - pc->last.tv_nsec) / 1000000;
	if (ms < 100 && ev->index < ev->total)
		return;
	pc->last = now;
	pc->shown = true;
	fprintf(stderr, "\r\033[K%s %s: object %d of %d, %" PRIu64 " rows restored", pc->db,
			pg_display_name(pc->p->schema, pc->p->table).s, ev->index, ev->total, pc->rows);
}

static void
progress_clear(PrintContext *pc)
{
	if (pc->shown)
		fprintf(stderr, "\r\033[K");
	pc->shown = false;
}

static void
print_object(void *arg, const RestoreObjectEvent *ev)
{
	PrintContext *pc = arg;
	EscapedText key = text_escape(ev->key);
	char conflicts[64] = "";

	progress_clear(pc);
	if (ev->status == RESTORE_OBJECT_FAILED)
		cmd_print_db_error(pc->db, ev->err, false);
	if (pc->s->json)
	{
		print_object_json(pc, ev);
		return;
	}
	/* Objects restored (or restored before) are the common case: a line each with -v, and a
	 * progress line on a terminal otherwise; what needs a look is always printed. */
	if ((ev->status == RESTORE_OBJECT_RESTORED || ev->status == RESTORE_OBJECT_DONE_BEFORE ||
		 ev->status == RESTORE_OBJECT_SUPERSEDED) &&
		pc->s->verbose == 0)
	{
		pc->rows += ev->inserted;
		progress_show(pc, ev);
		return;
	}
	if (ev->conflicts >= 0)
		snprintf(conflicts, sizeof(conflicts), ", %" PRId64 " with a key the table holds",
				 ev->conflicts);
	printf("%s: %s: ", text_escape(pc->db).s, pg_display_name(pc->p->schema, pc->p->table).s);
	switch (ev->status)
	{
		case RESTORE_OBJECT_RESTORED:
			printf("restored object \"%s\": %" PRIu64 " rows inserted of %" PRIu64 "\n", key.s,
				   ev->inserted, ev->rows);
			break;
		case RESTORE_OBJECT_WOULD_RESTORE:
			printf("would restore object \"%s\": %" PRIu64 " rows, %" PRIu64 " bytes%s\n", key.s,
				   ev->rows, ev->bytes, conflicts);
			break;
		case RESTORE_OBJECT_DONE_BEFORE:
			printf("object \"%s\" was restored before: skipped (--again restores it again)\n",
				   key.s);
			break;
		case RESTORE_OBJECT_FAILED: printf("object \"%s\" not restored\n", key.s); break;
		case RESTORE_OBJECT_SUPERSEDED:
			printf("object \"%s\" skipped: a restore put its rows back into the table and a later "
				   "archive run archived them again\n",
				   key.s);
			break;
		case RESTORE_OBJECT_HELD:
			printf("object \"%s\" skipped: its partition is not removed yet and still holds "
				   "the rows\n",
				   key.s);
			break;
	}
}

static void
print_summary(const PrintContext *pc, const RestoreOutcome *o)
{
	const RestoreCounts *c = &o->counts;
	Buf b;

	char held[192] = "", made[64] = "";

	if (c->held)
		snprintf(held, sizeof(held), ", %" PRIu64 " skipped (their partitions still hold the rows)",
				 c->held);
	if (c->partitions)
		snprintf(made, sizeof(made), "; %" PRIu64 " partitions %s", c->partitions,
				 pc->s->dry_run ? "would be created" : "created");
	if (c->superseded)
		snprintf(held + strlen(held), sizeof(held) - strlen(held),
				 ", %" PRIu64 " superseded (archived again later)", c->superseded);
	if (!pc->s->json)
	{
		printf("%s: %s: %s %" PRIu64 " objects, %" PRIu64 " rows into %s; %" PRIu64
			   " rows met a key the table held, %" PRIu64 " objects restored before, %" PRIu64
			   " failed%s%s\n",
			   text_escape(pc->db).s, pg_display_name(pc->p->schema, pc->p->table).s,
			   pc->s->dry_run ? "would restore" : "restored", c->objects, c->rows,
			   o->target ? o->target : "?", c->conflicts, c->done_before, c->failed, held, made);
		return;
	}
	buf_init(&b);
	cmd_json_head(&b, "restore_table", pc->db, pc->p);
	json_kv_str(&b, "target", o->target);
	json_kv_str(&b, "run_id", pc->run_id);
	json_kv_bool(&b, "dry_run", pc->s->dry_run);
	json_kv_int(&b, "objects", (int64_t) c->objects);
	json_kv_int(&b, "rows", (int64_t) c->rows);
	json_kv_int(&b, "conflicts", (int64_t) c->conflicts);
	json_kv_int(&b, "restored_before", (int64_t) c->done_before);
	json_kv_int(&b, "failed", (int64_t) c->failed);
	json_kv_int(&b, "partitions_not_removed", (int64_t) c->held);
	/* In a dry run: those it would create. */
	json_kv_int(&b, "partitions_created", (int64_t) c->partitions);
	json_kv_int(&b, "superseded", (int64_t) c->superseded);
	buf_append_str(&b, "}\n");
	fputs(buf_cstr(&b), stdout);
	buf_free(&b);
}

static int
outcome_bits(const RestoreOutcome *o)
{
	switch (o->status)
	{
		case RESTORE_OK: return o->counts.failed ? OUTCOME_RUNTIME_FAILED : OUTCOME_OK;
		case RESTORE_SKIPPED: return 0;
		case RESTORE_BUSY: return OUTCOME_BUSY;
		case RESTORE_FAILED: break;
	}
	return cmd_outcome_of(&o->err);
}

static int
restore_database(void *arg, const char *dbname)
{
	RestoreCmd *rc = arg;
	const Settings *s = &rc->ctx->settings;
	int outcomes = 0;
	PGconn *conn = cmd_connect(s, dbname, -1, &outcomes);

	if (!conn)
		return outcomes;
	char *name = ebb_strdup(PQdb(conn));
	for (int i = 0; i < rc->npolicies && !cancel_requested && PQstatus(conn) == CONNECTION_OK; i++)
	{
		PrintContext pc = {.s = s,
						   .db = name,
						   .p = &rc->policies[i],
						   .run_id = rc->run_id,
						   .tty = isatty(STDERR_FILENO) && !s->json && s->verbose == 0};
		RestoreOutcome o;
		restore_table(conn, s, &rc->policies[i], rc->run_id, s->all_databases, print_object, &pc,
					  &o);
		progress_clear(&pc);
		if (o.policy_clash)
		{
			log_warning("rows restored into %s are older than its archive policy keeps (%d "
						"days): the next ebb archive run of the table archives them again",
						pg_message_name(rc->policies[i].schema, rc->policies[i].table).s,
						rc->policies[i].keep_days);
			log_hint("Restore them --into another table to keep them, or raise keep-days first.");
		}
		if (o.status == RESTORE_OK)
			print_summary(&pc, &o);
		else if (o.status != RESTORE_SKIPPED)
			cmd_print_db_error(name, &o.err, false);
		fflush(stdout);
		outcomes |= outcome_bits(&o);
		restore_outcome_free(&o);
	}
	PQfinish(conn);
	free(name);
	return outcomes;
}

static bool
check_conflict_option(const Settings *s, EbbError *err)
{
	const char *mode = s->on_conflict ? s->on_conflict : "error";

	if (strcmp(mode, "error") == 0 || strcmp(mode, "skip") == 0 || strcmp(mode, "update") == 0)
		return true;
	error_set(err, EBB_ERR_USAGE, "invalid value \"%s\" for option --on-conflict", mode);
	error_hint(err, "Use error, skip or update.");
	return false;
}

/* What can be told wrong before connecting: --on-conflict, --interval, and the two switches
 * of partition creation together. */
static bool
check_options(const CmdContext *ctx, EbbError *err)
{
	const Settings *s = &ctx->settings;
	PgPartInterval iv;

	if (!check_conflict_option(s, err) ||
		(s->interval && !pg_partition_interval_parse(s->interval, &iv, err)))
		return false;
	if (!ctx->cli.slot[OPT_NO_CREATE_PARTITIONS].set)
		return true;
	if (ctx->cli.slot[OPT_CREATE_PARTITIONS].set || s->interval)
	{
		error_set(err, EBB_ERR_USAGE, "option --no-create-partitions cannot be used with %s",
				  s->interval ? "--interval" : "--create-partitions");
		return false;
	}
	return true;
}

int
cmd_restore(CmdContext *ctx, EbbError *err)
{
	RestoreCmd rc = {.ctx = ctx};
	StrList dbs = {0};
	int code = CMD_FAILED;

	if (check_options(ctx, err) &&
		policies_resolve(&ctx->cli, ctx->has_cfg ? &ctx->cfg : NULL, CMD_RESTORE, &rc.policies,
						 &rc.npolicies, err) &&
		cmd_target_databases(&ctx->settings, &dbs, err))
	{
		cmd_make_run_id(rc.run_id, sizeof(rc.run_id));
		cmd_install_signal_handlers();
		code = cmd_exit_status(cmd_for_each_database(&dbs, 1, restore_database, &rc));
	}
	policies_free(rc.policies, rc.npolicies);
	strlist_clear(&dbs);
	return code;
}
