/*
 * reclaim.c: `ebb reclaim`, per database and table of the config (or --table): disk given
 * back after archiving (src/reclaim/), measured before and after. VACUUM (ANALYZE) by default;
 * --online: pg_repack; --full: VACUUM FULL inside the maintenance window. Exit status: 0 when
 * every table was reclaimed (or skipped: outside the window, not in this database), 1 when one
 * failed, 2 usage, 3 busy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/commands.h"
#include "cmd/reclaim_print.h"
#include "common/cancel.h"
#include "common/text.h"
#include "pg/catalog.h"
#include "pg/ident.h"
#include "pg/pg.h"
#include "reclaim/reclaim.h"

typedef struct ReclaimCmd
{
	CmdContext *ctx;
	Policy *policies;
	int npolicies;
	ReclaimOptions options;
} ReclaimCmd;

static int
reclaim_one(ReclaimCmd *rc, PGconn *conn, const char *db, const Policy *p)
{
	const Settings *s = &rc->ctx->settings;
	ReclaimResult r;
	EbbError err;
	bool exists;

	error_init(&err);
	if (s->all_databases)
	{
		if (!pg_table_exists(conn, p->schema, p->table, &exists, &err))
		{
			cmd_print_db_error(db, &err, false);
			return cmd_outcome_of(&err);
		}
		if (!exists)
		{
			memset(&r, 0, sizeof(r));
			r.skipped = true;
			snprintf(r.skip_reason, sizeof(r.skip_reason),
					 "the table does not exist in this database");
			cmd_print_reclaim(db, p, rc->options.mode, &r, true, s->json);
			return OUTCOME_OK;
		}
	}
	bool ok = reclaim_table(conn, &rc->options, p->schema, p->table, &r);
	cmd_print_reclaim(db, p, rc->options.mode, &r, ok, s->json);
	fflush(stdout);
	return ok ? OUTCOME_OK : cmd_outcome_of(&r.err);
}

static int
reclaim_database(void *arg, const char *dbname)
{
	ReclaimCmd *rc = arg;
	const Settings *s = &rc->ctx->settings;
	int outcomes = 0;
	PGconn *conn = cmd_connect(s, dbname, -1, &outcomes);

	if (!conn)
		return outcomes;
	char *db = ebb_strdup(PQdb(conn));
	for (int i = 0; i < rc->npolicies && !cancel_requested; i++)
	{
		if (!cmd_reconnect(s, db, &conn, &outcomes))
			break;
		outcomes |= reclaim_one(rc, conn, db, &rc->policies[i]);
	}
	if (cancel_requested)
		outcomes |= OUTCOME_RUNTIME_FAILED;
	PQfinish(conn);
	free(db);
	return outcomes;
}

int
cmd_reclaim(CmdContext *ctx, EbbError *err)
{
	const Settings *s = &ctx->settings;
	ReclaimCmd rc = {.ctx = ctx};
	StrList dbs = {0};
	int code = CMD_FAILED;
	ReclaimMode mode = s->full ? RECLAIM_FULL : s->online ? RECLAIM_ONLINE : RECLAIM_VACUUM;

	if (cmd_reclaim_options(s, mode, &rc.options, err) &&
		policies_resolve(&ctx->cli, ctx->has_cfg ? &ctx->cfg : NULL, CMD_RECLAIM, &rc.policies,
						 &rc.npolicies, err) &&
		cmd_target_databases(s, &dbs, err))
	{
		cmd_install_signal_handlers();
		code = cmd_exit_status(cmd_for_each_database(&dbs, 1, reclaim_database, &rc));
	}
	policies_free(rc.policies, rc.npolicies);
	strlist_clear(&dbs);
	return code;
}
