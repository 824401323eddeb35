/* reclaim_print.c: see reclaim_print.h. */
#include "cmd/reclaim_print.h"

#include <inttypes.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "common/json.h"
#include "common/text.h"
#include "pg/ident.h"

static void
print_json(const char *db, const Policy *p, ReclaimMode mode, const ReclaimResult *r, bool ok)
{
	Buf b;

	buf_init(&b);
	cmd_json_head(&b, "reclaim_table", db, p);
	json_kv_str(&b, "method", reclaim_mode_name(mode));
	json_kv_str(&b, "status", !ok ? "failed" : r->skipped ? "skipped" : "ok");
	json_kv_int(&b, "bytes_before", r->bytes_before);
	json_kv_int(&b, "bytes_after", r->bytes_after);
	json_kv_int(&b, "bytes_freed", r->bytes_before - r->bytes_after);
	char seconds[32];
	snprintf(seconds, sizeof(seconds), "%.3f", r->seconds);
	json_kv_raw(&b, "seconds", seconds);
	if (r->skipped)
		json_kv_str(&b, "reason", r->skip_reason);
	if (!ok)
		json_kv_error(&b, &r->err);
	buf_append_str(&b, "}\n");
	fputs(buf_cstr(&b), stdout);
	buf_free(&b);
}

void
cmd_print_reclaim(const char *db, const Policy *p, ReclaimMode mode, const ReclaimResult *r,
				  bool ok, bool json)
{
	char before[32], after[32], freed[32];

	if (json)
		return print_json(db, p, mode, r, ok);
	if (!ok)
	{
		EbbError e = r->err;
		error_prefix(&e, "%s: ", pg_display_name(p->schema, p->table).s);
		return cmd_print_db_error(db, &e, false);
	}
	if (r->skipped)
		return cmd_print_skipped(db, p, r->skip_reason);
	text_bytes(r->bytes_before, before, sizeof(before));
	text_bytes(r->bytes_after, after, sizeof(after));
	text_bytes(r->bytes_before - r->bytes_after, freed, sizeof(freed));
	/* VACUUM may grow a table by its free space and visibility maps: nothing given back. */
	printf("%s: %s: %s: %s -> %s, %s given back in %.1f s\n", text_escape(db).s,
		   pg_display_name(p->schema, p->table).s, reclaim_mode_name(mode), before, after,
		   r->bytes_after < r->bytes_before ? freed : "nothing", r->seconds);
	/* Less than a tenth back from VACUUM: say why, and what gives it back. */
	if (mode == RECLAIM_VACUUM && (r->bytes_before - r->bytes_after) * 10 < r->bytes_before)
		printf("  note: VACUUM made the deleted rows' space reusable by new rows; only empty "
			   "pages at the end of the table go back to the system (--online or --full "
			   "rewrite it)\n");
}

bool
cmd_reclaim_options(const Settings *s, ReclaimMode mode, ReclaimOptions *o, EbbError *err)
{
	o->mode = mode;
	o->pg_repack = s->pg_repack;
	o->lock_timeout_ms = s->lock_timeout_ms;
	o->statement_timeout_ms = s->statement_timeout_ms;
	if (!reclaim_window_parse(s->window_start, s->window_end, &o->window, err))
		return false;
	if (mode == RECLAIM_FULL && !o->window.set)
	{
		error_set(err, EBB_ERR_USAGE, "VACUUM FULL requires a maintenance window");
		error_detail(err, "It holds an ACCESS EXCLUSIVE lock on the table for the whole rewrite.");
		error_hint(err, "Give --window-start and --window-end (window_start and window_end in "
						"the config's [defaults]), such as 01:00 and 05:00.");
		return false;
	}
	return true;
}
