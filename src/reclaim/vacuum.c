/* vacuum.c: see vacuum.h. */
#include "reclaim/vacuum.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "pg/pg.h"

static bool
vacuum_ready(PGconn *conn, const ReclaimOptions *o, const ReclaimTarget *t, ReclaimResult *r)
{
	(void) conn, (void) o, (void) t, (void) r;
	return true;
}

/* VACUUM cannot run in a transaction block: each statement is its own (autocommit). */
static bool
vacuum_exec(PGconn *conn, const char *options, const ReclaimTarget *t, ReclaimResult *r)
{
	char *sql = ebb_asprintf("VACUUM (%s) %s", options, t->quoted);
	char state[6];
	bool ok = pg_exec_state(conn, sql, state, &r->err);

	free(sql);
	if (!ok && strcmp(state, "55P03") == 0)
		error_hint(&r->err, "The workload held a lock on the table longer than the lock timeout; "
							"nothing was rewritten. Run again in a quieter moment, or raise "
							"--lock-timeout.");
	return ok;
}

static bool
vacuum_run(PGconn *conn, const ReclaimOptions *o, const ReclaimTarget *t, ReclaimResult *r)
{
	(void) o;
	return vacuum_exec(conn, "ANALYZE", t, r);
}

/* Outside the window VACUUM FULL is not started; inside it, it is started however little of
 * the window remains (ebb cannot know how long the rewrite takes). */
static bool
full_ready(PGconn *conn, const ReclaimOptions *o, const ReclaimTarget *t, ReclaimResult *r)
{
	int now;
	char clock[6];

	(void) t;
	if (!reclaim_window_now(conn, &now, clock, &r->err))
		return false;
	if (!reclaim_window_contains(&o->window, now))
	{
		r->skipped = true;
		snprintf(r->skip_reason, sizeof(r->skip_reason),
				 "outside the maintenance window %s (it is %s)", o->window.text, clock);
	}
	return true;
}

static bool
full_run(PGconn *conn, const ReclaimOptions *o, const ReclaimTarget *t, ReclaimResult *r)
{
	(void) o;
	return vacuum_exec(conn, "FULL, ANALYZE", t, r);
}

const ReclaimMethod reclaim_vacuum_method = {RECLAIM_VACUUM, vacuum_ready, vacuum_run};
const ReclaimMethod reclaim_full_method = {RECLAIM_FULL, full_ready, full_run};
