/*
 * doctor.c: `ebb doctor`, per database and table of the config (or --table): what archiving
 * the table needs from the database (src/doctor/), a line per finding on stdout (with the
 * statement that fixes it), or one JSON object per line with --json (keys are an interface:
 * add, never rename). Exit status, as pg_amcheck's: 0 when nothing is wrong (or all that was
 * found is fixed), 1 when a problem remains or a check could not run, 2 usage, 3 busy.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "cmd/cmd.h"
#include "cmd/commands.h"
#include "common/cancel.h"
#include "common/json.h"
#include "common/log.h"
#include "common/text.h"
#include "doctor/doctor.h"
#include "pg/catalog.h"
#include "pg/ident.h"

typedef struct DoctorCmd
{
	CmdContext *ctx;
	Policy *policies;
	int npolicies;
} DoctorCmd;

typedef struct PrintContext
{
	const Settings *s;
	const char *db;
	const Policy *p;
	bool tty;   /* a progress line on stderr */
	bool shown; /* it is on the screen */
	char phase[64];
} PrintContext;

static const char *const severity_names[] = {
	[DOCTOR_OK] = "ok", [DOCTOR_NOTE] = "note", [DOCTOR_PROBLEM] = "problem"};

static void
progress_clear(PrintContext *pc)
{
	if (pc->shown)
		fputs("\r\033[K", stderr);
	pc->shown = false;
}

static void
print_finding(void *arg, const DoctorFinding *f)
{
	PrintContext *pc = arg;

	progress_clear(pc);
	if (pc->s->json)
	{
		Buf b;
		buf_init(&b);
		cmd_json_head(&b, "doctor_finding", pc->db, pc->p);
		json_kv_str(&b, "check", f->check);
		json_kv_str(&b, "severity", severity_names[f->severity]);
		json_kv_str(&b, "subject", f->subject);
		json_kv_str(&b, "message", f->message);
		json_kv_str(&b, "fix", f->fix);
		json_kv_bool(&b, "fixed", f->fixed);
		buf_append_str(&b, "}\n");
		fputs(buf_cstr(&b), stdout);
		buf_free(&b);
	}
	else
	{
		printf("%s: %s: %s: %s\n", text_escape(pc->db).s,
			   pg_display_name(pc->p->schema, pc->p->table).s,
			   f->fixed ? "fixed" : severity_names[f->severity], text_escape(f->message).s);
		if (f->fix && f->severity != DOCTOR_OK)
			printf("  %s: %s\n", f->fixed ? "done" : "fix", text_escape(f->fix).s);
	}
	fflush(stdout);
}

static void
print_progress(void *arg, const DoctorProgress *p)
{
	PrintContext *pc = arg;

	if (strcmp(pc->phase, p->phase) != 0)
	{
		snprintf(pc->phase, sizeof(pc->phase), "%s", p->phase);
		progress_clear(pc);
		log_info("index %s: %s", p->index, p->phase);
	}
	if (!pc->tty)
		return;
	fprintf(stderr, "\r\033[K%s index %s: %s", pc->db, p->index, p->phase);
	if (p->total > 0)
		fprintf(stderr, " %" PRId64 "/%" PRId64 " (%.0f%%)", p->done, p->total,
				100.0 * (double) p->done / (double) p->total);
	pc->shown = true;
}

static void
print_summary(const PrintContext *pc, const DoctorOutcome *o)
{
	if (!pc->s->json && o->failed)
		return;
	if (!pc->s->json)
	{
		if (o->problems)
			printf("%s: %s: %d problem%s remain%s\n", text_escape(pc->db).s,
				   pg_display_name(pc->p->schema, pc->p->table).s, o->problems,
				   o->problems == 1 ? "" : "s", o->problems == 1 ? "s" : "");
		else
			printf("%s: %s: no problem found\n", text_escape(pc->db).s,
				   pg_display_name(pc->p->schema, pc->p->table).s);
		return;
	}
	Buf b;
	buf_init(&b);
	cmd_json_head(&b, "doctor_table", pc->db, pc->p);
	json_kv_int(&b, "problems", o->problems);
	json_kv_bool(&b, "fix", pc->s->fix);
	json_kv_str(&b, "error", o->failed ? o->err.message : NULL);
	buf_append_str(&b, "}\n");
	fputs(buf_cstr(&b), stdout);
	buf_free(&b);
}

/* Under --all-databases not every tenant has every table, as archive says too. */
static bool
table_here(PGconn *conn, const char *db, const Policy *p, DoctorOutcome *o)
{
	bool exists;

	if (!pg_table_exists(conn, p->schema, p->table, &exists, &o->err))
	{
		o->failed = true;
		cmd_print_db_error(db, &o->err, false);
		return false;
	}
	if (!exists)
		printf("%s: %s: skipped: the table does not exist in this database\n", text_escape(db).s,
			   pg_display_name(p->schema, p->table).s);
	return exists;
}

static int
doctor_one(DoctorCmd *dc, PGconn *conn, bool ledger, const char *db, const Policy *p)
{
	const Settings *s = &dc->ctx->settings;
	PrintContext pc = {.s = s, .db = db, .p = p, .tty = isatty(STDERR_FILENO) && !s->json};
	DoctorReport report = {print_finding, print_progress, &pc};
	DoctorOutcome o = {0};
	char *column = NULL;
	bool from_ledger;

	error_init(&o.err);
	if (s->all_databases && !table_here(conn, db, p, &o))
		return o.failed ? cmd_outcome_of(&o.err) : OUTCOME_OK;
	if (cmd_time_column(conn, ledger, p, &column, &from_ledger, &o.err))
		doctor_table(conn, s, p, column, ledger, &report, &o);
	else
		o.failed = true;
	progress_clear(&pc);
	free(column);
	if (o.failed)
		cmd_print_db_error(db, &o.err, false);
	print_summary(&pc, &o);
	fflush(stdout);
	if (o.failed)
		return cmd_outcome_of(&o.err);
	return o.problems ? OUTCOME_RUNTIME_FAILED : OUTCOME_OK;
}

static int
doctor_database(void *arg, const char *dbname)
{
	DoctorCmd *dc = arg;
	int outcomes = 0;
	PGconn *conn = cmd_connect(&dc->ctx->settings, dbname, -1, &outcomes);
	CatalogState cat;
	EbbError err;

	if (!conn)
		return outcomes;
	char *db = ebb_strdup(PQdb(conn));
	error_init(&err);
	if (!catalog_read(conn, &cat, &err))
	{
		cmd_print_db_error(db, &err, false);
		outcomes |= cmd_outcome_of(&err);
	}
	/* Every table, whatever the one before found; only a lost session or a signal stops. */
	bool read = outcomes == 0;
	for (int i = 0;
		 read && i < dc->npolicies && !cancel_requested && PQstatus(conn) == CONNECTION_OK; i++)
		outcomes |= doctor_one(dc, conn, cat.ledger, db, &dc->policies[i]);
	if (PQstatus(conn) != CONNECTION_OK || cancel_requested)
		outcomes |= OUTCOME_RUNTIME_FAILED;
	PQfinish(conn);
	free(db);
	return outcomes;
}

int
cmd_doctor(CmdContext *ctx, EbbError *err)
{
	DoctorCmd dc = {.ctx = ctx};
	StrList dbs = {0};
	int code = CMD_FAILED;

	if (policies_resolve(&ctx->cli, ctx->has_cfg ? &ctx->cfg : NULL, CMD_DOCTOR, &dc.policies,
						 &dc.npolicies, err) &&
		cmd_target_databases(&ctx->settings, &dbs, err))
	{
		/* A signal cancels the build on the server (pg_cancel_on_signal), then ebb stops. */
		cmd_install_signal_handlers();
		code = cmd_exit_status(cmd_for_each_database(&dbs, 1, doctor_database, &dc));
	}
	policies_free(dc.policies, dc.npolicies);
	strlist_clear(&dbs);
	return code;
}
