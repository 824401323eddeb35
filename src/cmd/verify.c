/*
 * verify.c: `ebb verify`, every policy in every selected database: committed objects read back
 * and checked against the ledger and their manifests, orphans and unfinished uploads found, and
 * with --gc removed (src/archive/verify.c and gc.c do the work; this file prints).
 *
 * Output: a line per finding as it is made, then a summary line per table, on stdout; with
 * --json one object per line, whose keys are an interface (add keys, never rename). Errors go
 * to stderr. Missing or corrupt objects or manifests make the exit status 1; orphans and
 * unexpected entries (a symbolic link in a file:// destination...) do not.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/verify.h"
#include "common/cancel.h"
#include "common/text.h"
#include "cmd/cmd.h"
#include "cmd/commands.h"
#include "common/json.h"
#include "common/log.h"
#include "common/time.h"
#include "pg/ident.h"

typedef struct VerifyCmd
{
	CmdContext *ctx;
	Policy *policies;
	int npolicies;
} VerifyCmd;

/* Where a finding is printed: the database and table it belongs to. */
typedef struct PrintContext
{
	const Settings *settings;
	const char *db;
	const Policy *policy;
} PrintContext;

static const char *const finding_events[] = {
	[FINDING_MISSING_OBJECT] = "missing_object",
	[FINDING_CORRUPT_OBJECT] = "corrupt_object",
	[FINDING_MISSING_MANIFEST] = "missing_manifest",
	[FINDING_PENDING_MANIFEST] = "pending_manifest",
	[FINDING_CORRUPT_MANIFEST] = "corrupt_manifest",
	[FINDING_ORPHAN] = "orphan",
	[FINDING_UPLOAD] = "unfinished_upload",
	[FINDING_UNEXPECTED] = "unexpected_entry",
};

/* --older-than as the user would write it ("1h", "90s", "250ms"). */
static void
format_older_than(const Settings *s, char *out, size_t outlen)
{
	if (s->older_than_ms % 1000 != 0)
		snprintf(out, outlen, "%" PRId64 "ms", s->older_than_ms);
	else
		time_format_duration(s->older_than_ms * 1000, out, outlen);
}

/* Why --gc kept something, or NULL when it removed it or did not run. */
static const char *
kept_reason(const Settings *s, GcAction action, char *buf, size_t buflen)
{
	char age[32];

	switch (action)
	{
		case GC_NONE:
		case GC_REMOVED: return NULL;
		case GC_KEPT_YOUNG:
			format_older_than(s, age, sizeof(age));
			snprintf(buf, buflen, "not older than %s", age);
			return buf;
		case GC_KEPT_AGE: return "the store gives no time for it";
		case GC_KEPT_MANIFEST: return "a manifest says it was committed";
		case GC_KEPT_LEDGER: return "the ledger names it";
	}
	return NULL;
}

static void
print_finding_text(const PrintContext *pc, const Finding *f)
{
	char why[64], what[2300] = "";
	const char *kept = kept_reason(pc->settings, f->action, why, sizeof(why));
	const char *removed = f->kind == FINDING_UPLOAD ? "aborted" : "removed";

	if (f->field)
		snprintf(what, sizeof(what), ": %s is %s, ledger says %s", f->field, f->found, f->expected);
	else if (f->kind == FINDING_UNEXPECTED)
		snprintf(what, sizeof(what), ": %s, left alone", f->error);
	else if (f->error)
		snprintf(what, sizeof(what), ": %s", f->error);
	else if (kept)
		snprintf(what, sizeof(what), ": kept, %s", kept);
	else if (f->action == GC_REMOVED)
		snprintf(what, sizeof(what), ": %s", removed);
	else if (f->kind == FINDING_PENDING_MANIFEST)
		snprintf(what, sizeof(what), ": not written yet; the next archive run writes it");
	printf("%s: %s: ", text_escape(pc->db).s,
		   pg_display_name(pc->policy->schema, pc->policy->table).s);
	switch (f->kind)
	{
		case FINDING_MISSING_OBJECT:
			printf("missing object \"%s\"%s\n", text_escape(f->key).s, text_escape(what).s);
			break;
		case FINDING_CORRUPT_OBJECT:
			printf("corrupt object \"%s\"%s\n", text_escape(f->key).s, text_escape(what).s);
			break;
		case FINDING_MISSING_MANIFEST:
			printf("missing manifest \"%s\"%s\n", text_escape(f->key).s, text_escape(what).s);
			break;
		case FINDING_PENDING_MANIFEST:
			printf("pending manifest \"%s\"%s\n", text_escape(f->key).s, text_escape(what).s);
			break;
		case FINDING_CORRUPT_MANIFEST:
			printf("corrupt manifest \"%s\"%s\n", text_escape(f->key).s, text_escape(what).s);
			break;
		case FINDING_ORPHAN:
			printf("orphan object \"%s\"%s\n", text_escape(f->key).s, text_escape(what).s);
			break;
		case FINDING_UPLOAD:
			printf("unfinished upload \"%s\" (upload id %s)%s\n", text_escape(f->key).s,
				   text_escape(f->upload_id).s, text_escape(what).s);
			break;
		case FINDING_UNEXPECTED:
			printf("unexpected entry \"%s\"%s\n", text_escape(f->key).s, text_escape(what).s);
			break;
	}
}

static void
json_kv_time(Buf *b, const char *key, int64_t us)
{
	char text[64];

	if (us <= 0)
	{
		json_kv_str(b, key, NULL);
		return;
	}
	time_format_iso(us, true, text, sizeof(text));
	json_kv_str(b, key, text);
}

static void
print_finding_json(const PrintContext *pc, const Finding *f)
{
	char why[64];
	const char *kept = kept_reason(pc->settings, f->action, why, sizeof(why));
	Buf b;

	buf_init(&b);
	cmd_json_head(&b, finding_events[f->kind], pc->db, pc->policy);
	json_kv_str(&b, "dest", f->dest);
	json_kv_str(&b, "key", f->key);
	if (f->kind == FINDING_UNEXPECTED)
		json_kv_str(&b, "what", f->error);
	if (f->kind == FINDING_CORRUPT_OBJECT || f->kind == FINDING_CORRUPT_MANIFEST)
	{
		json_kv_str(&b, "field", f->field);
		json_kv_str(&b, "found", f->found);
		json_kv_str(&b, "expected", f->expected);
		json_kv_str(&b, "error", f->error);
	}
	if (f->kind == FINDING_ORPHAN)
	{
		json_kv_int(&b, "bytes", (int64_t) f->bytes);
		json_kv_time(&b, "modified", f->time_us);
	}
	if (f->kind == FINDING_UPLOAD)
	{
		json_kv_str(&b, "upload_id", f->upload_id);
		json_kv_time(&b, "initiated", f->time_us);
	}
	if (f->kind == FINDING_ORPHAN || f->kind == FINDING_UPLOAD)
	{
		json_kv_str(&b, "action",
					f->action == GC_NONE      ? NULL
					: f->action == GC_REMOVED ? (f->kind == FINDING_UPLOAD ? "aborted" : "removed")
											  : "kept");
		json_kv_str(&b, "reason", kept);
	}
	buf_append_char(&b, '}');
	printf("%s\n", buf_cstr(&b));
	buf_free(&b);
}

static void
print_finding(void *arg, const Finding *f)
{
	const PrintContext *pc = arg;

	if (pc->settings->json)
		print_finding_json(pc, f);
	else
		print_finding_text(pc, f);
}

static uint64_t
problems(const VerifyCounts *c)
{
	return c->missing_objects + c->corrupt_objects + c->missing_manifests + c->corrupt_manifests;
}

static const char *
status_name(const VerifyOutcome *o)
{
	switch (o->status)
	{
		case TABLE_OK: return problems(&o->counts) ? "problems" : "ok";
		case TABLE_SKIPPED: return "skipped";
		case TABLE_BUSY: return "busy";
		case TABLE_FAILED: break;
	}
	return "failed";
}

static void
print_table_json(const PrintContext *pc, const VerifyOutcome *o)
{
	const VerifyCounts *c = &o->counts;
	Buf b;

	buf_init(&b);
	cmd_json_head(&b, "table", pc->db, pc->policy);
	json_kv_str(&b, "status", status_name(o));
	json_kv_int(&b, "objects", (int64_t) c->objects);
	json_kv_int(&b, "rows", (int64_t) c->rows);
	json_kv_int(&b, "bytes", (int64_t) c->bytes);
	json_kv_int(&b, "missing", (int64_t) (c->missing_objects + c->missing_manifests));
	json_kv_int(&b, "corrupt", (int64_t) (c->corrupt_objects + c->corrupt_manifests));
	json_kv_int(&b, "missing_objects", (int64_t) c->missing_objects);
	json_kv_int(&b, "corrupt_objects", (int64_t) c->corrupt_objects);
	json_kv_int(&b, "missing_manifests", (int64_t) c->missing_manifests);
	json_kv_int(&b, "corrupt_manifests", (int64_t) c->corrupt_manifests);
	json_kv_int(&b, "pending_manifests", (int64_t) c->pending_manifests);
	json_kv_int(&b, "orphans", (int64_t) c->orphans);
	json_kv_int(&b, "orphans_removed", (int64_t) c->orphans_removed);
	json_kv_int(&b, "uploads", (int64_t) c->uploads);
	json_kv_int(&b, "uploads_aborted", (int64_t) c->uploads_aborted);
	json_kv_int(&b, "unexpected", (int64_t) c->unexpected);
	if (o->skip_reason)
		json_kv_str(&b, "reason", o->skip_reason);
	if (o->status == TABLE_FAILED || o->status == TABLE_BUSY)
		json_kv_error(&b, &o->err);
	buf_append_char(&b, '}');
	printf("%s\n", buf_cstr(&b));
	buf_free(&b);
}

static void
print_summary_text(const PrintContext *pc, const VerifyCounts *c)
{
	char orphans[64], uploads[64], pending[64] = "", odd[64] = "";

	snprintf(orphans, sizeof(orphans), "%" PRIu64 " orphans", c->orphans);
	snprintf(uploads, sizeof(uploads), "%" PRIu64 " unfinished uploads", c->uploads);
	if (pc->settings->gc)
	{
		snprintf(orphans + strlen(orphans), sizeof(orphans) - strlen(orphans),
				 " (%" PRIu64 " removed)", c->orphans_removed);
		snprintf(uploads + strlen(uploads), sizeof(uploads) - strlen(uploads),
				 " (%" PRIu64 " aborted)", c->uploads_aborted);
	}
	if (c->pending_manifests)
		snprintf(pending, sizeof(pending), ", %" PRIu64 " pending manifests", c->pending_manifests);
	if (c->unexpected)
		snprintf(odd, sizeof(odd), ", %" PRIu64 " unexpected entries", c->unexpected);
	printf("%s: %s: checked %" PRIu64 " objects (%" PRIu64 " rows, %" PRIu64 " bytes): %" PRIu64
		   " missing, %" PRIu64 " corrupt, %s, %s%s%s\n",
		   text_escape(pc->db).s, pg_display_name(pc->policy->schema, pc->policy->table).s,
		   c->objects, c->rows, c->bytes, c->missing_objects + c->missing_manifests,
		   c->corrupt_objects + c->corrupt_manifests, orphans, uploads, pending, odd);
}

static void
print_table_text(const PrintContext *pc, const VerifyOutcome *o)
{
	switch (o->status)
	{
		case TABLE_OK: print_summary_text(pc, &o->counts); break;
		case TABLE_SKIPPED: cmd_print_skipped(pc->db, pc->policy, o->skip_reason); break;
		case TABLE_BUSY: cmd_print_db_error(pc->db, &o->err, true); break;
		case TABLE_FAILED: cmd_print_db_error(pc->db, &o->err, false); break;
	}
}

static int
outcome_bits(const VerifyOutcome *o)
{
	if (o->status == TABLE_OK && problems(&o->counts))
		return OUTCOME_RUNTIME_FAILED;
	return cmd_table_outcome_bits(o->status, &o->err);
}

static int
verify_database(void *arg, const char *dbname)
{
	VerifyCmd *v = arg;
	const Settings *s = &v->ctx->settings;
	int outcomes = 0;
	PGconn *conn = cmd_connect(s, dbname, -1, &outcomes);

	if (!conn)
		return outcomes;
	char *name = ebb_strdup(PQdb(conn));
	for (int i = 0; i < v->npolicies && !cancel_requested; i++)
	{
		PrintContext pc = {s, name, &v->policies[i]};
		VerifyOutcome o;
		if (!cmd_reconnect(s, name, &conn, &outcomes))
			break;
		verify_table(conn, name, s, &v->policies[i], s->all_databases, print_finding, &pc, &o);
		if (s->json)
			print_table_json(&pc, &o);
		if (!s->json || o.status == TABLE_FAILED || o.status == TABLE_BUSY)
			print_table_text(&pc, &o);
		fflush(stdout);
		outcomes |= outcome_bits(&o);
	}
	PQfinish(conn);
	free(name);
	return outcomes;
}

/* --idle-timeout as resolved, and where it came from when the user did not give it. */
static void
format_idle_timeout(const Settings *s, char *out, size_t outlen)
{
	char idle[32], s3[32];

	time_format_duration(s->idle_timeout_ms * 1000, idle, sizeof(idle));
	bool az = s->store.az_timeout_ms > s->store.s3_timeout_ms;
	time_format_duration((az ? s->store.az_timeout_ms : s->store.s3_timeout_ms) * 1000, s3,
						 sizeof(s3));
	if (s->idle_timeout_derived)
		snprintf(out, outlen, "%s, which is 3 x --%s-timeout %s plus 1min", idle, az ? "az" : "s3",
				 s3);
	else
		snprintf(out, outlen, "%s", idle);
}

/* With --gc, --older-than is never below the floor (gc.c): given shorter, it is refused;
 * not given, the default rises to it. */
static bool
check_older_than(Settings *s, EbbError *err)
{
	int64_t floor_ms = verify_gc_floor_ms(s);
	char given[32], floor[32], statement[32], idle[96];

	if (!s->gc || s->older_than_ms >= floor_ms)
		return true;
	if (!s->older_than_set)
	{
		s->older_than_ms = floor_ms;
		return true;
	}
	format_older_than(s, given, sizeof(given));
	time_format_duration(floor_ms * 1000, floor, sizeof(floor));
	time_format_duration(s->statement_timeout_ms * 1000, statement, sizeof(statement));
	format_idle_timeout(s, idle, sizeof(idle));
	error_set(err, EBB_ERR_USAGE, "--older-than %s is shorter than an archive window may stay open",
			  given);
	error_detail(err,
				 "An archive run may write a window's object up to %s before the window commits "
				 "(3 x --statement-timeout %s + 2 x --idle-timeout %s); a younger orphan may "
				 "be an object in flight.",
				 floor, statement, idle);
	error_hint(err,
			   "Use --older-than %s or more, or give verify the --statement-timeout and "
			   "--idle-timeout that the archive runs use (in [defaults] of a shared config file).",
			   floor);
	return false;
}

int
cmd_verify(CmdContext *ctx, EbbError *err)
{
	VerifyCmd v = {.ctx = ctx};
	StrList dbs = {0};
	int code = CMD_FAILED;

	if (check_older_than(&ctx->settings, err) &&
		policies_resolve(&ctx->cli, ctx->has_cfg ? &ctx->cfg : NULL, CMD_VERIFY, &v.policies,
						 &v.npolicies, err) &&
		cmd_check_destinations(v.policies, v.npolicies, &ctx->settings.store, err) &&
		cmd_target_databases(&ctx->settings, &dbs, err))
	{
		cmd_install_signal_handlers();
		code =
			cmd_exit_status(cmd_for_each_database(&dbs, ctx->settings.jobs, verify_database, &v));
	}
	policies_free(v.policies, v.npolicies);
	strlist_clear(&dbs);
	return code;
}
