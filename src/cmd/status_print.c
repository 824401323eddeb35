/*
 * status_print.c: `ebb status` output. --json is one object per line whose keys are an
 * interface (scripts and dashboards read them: add keys, never rename); text is a block per
 * table for people. Times are printed as archive prints them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmd/status.h"
#include "common/text.h"
#include "common/json.h"
#include "common/time.h"
#include "pg/ident.h"

static void
json_kv_stamp(Buf *b, const char *key, Stamp s, bool utc)
{
	char text[64];

	if (!s.set)
	{
		json_kv_str(b, key, NULL);
		return;
	}
	time_format_iso(s.us, utc, text, sizeof(text));
	json_kv_str(b, key, text);
}

static void
json_last_run(Buf *b, const LastRun *run)
{
	if (!run->found)
	{
		json_kv_raw(b, "last_run", "null");
		return;
	}
	json_kv_raw(b, "last_run", "{");
	json_kv_str(b, "run_id", run->run_id);
	json_kv_str(b, "status", run->status);
	json_kv_stamp(b, "started_at", run->started, true);
	json_kv_stamp(b, "finished_at", run->finished, true);
	json_kv_int(b, "rows", run->rows);
	json_kv_int(b, "bytes", run->bytes);
	json_kv_int(b, "objects", run->objects);
	json_kv_str(b, "message", run->message);
	buf_append_char(b, '}');
}

/* "partitions": null for a plain table; else the count, the expired ones, the unremoved. */
static void
json_partitions(Buf *b, const TableReport *r)
{
	if (!r->partitioned)
	{
		json_kv_raw(b, "partitions", "null");
		return;
	}
	json_kv_raw(b, "hypertable", r->hypertable ? "true" : "false");
	json_kv_int(b, "partitions", r->partitions);
	json_kv_int(b, "partitions_unremoved", r->partitions_unremoved);
	json_kv_raw(b, "expired_partitions", "[");
	for (int i = 0; i < r->nexpired; i++)
	{
		const PartitionReport *e = &r->expired[i];
		if (i > 0)
			buf_append_char(b, ',');
		buf_append_char(b, '{');
		json_kv_str(b, "partition", e->name);
		json_kv_stamp(b, "lower", (Stamp){e->lower != INT64_MIN, e->lower}, r->tz);
		json_kv_stamp(b, "upper", (Stamp){true, e->upper}, r->tz);
		json_kv_int(b, "estimated_rows", e->estimated_rows);
		json_kv_int(b, "bytes", e->bytes);
		buf_append_char(b, '}');
	}
	buf_append_char(b, ']');
}

void
cmd_status_print_json(const TableReport *r)
{
	const Policy *p = r->policy;
	Buf b;

	buf_init(&b);
	buf_append_char(&b, '{');
	json_kv_str(&b, "database", r->db);
	json_kv_str(&b, "schema", p->schema);
	json_kv_str(&b, "table", p->table);
	json_kv_str(&b, "status", "ok");
	json_kv_str(&b, "time_column", r->time_column);
	json_kv_int(&b, "keep_days", p->keep_days);
	json_kv_str(&b, "dest", p->dest);
	json_kv_int(&b, "estimated_rows", r->estimated_rows);
	json_kv_stamp(&b, "oldest", r->oldest, r->tz);
	json_kv_stamp(&b, "newest", r->newest, r->tz);
	json_kv_stamp(&b, "cutoff", r->cutoff, r->tz);
	json_kv_int(&b, "rows_behind", r->rows_behind);
	json_kv_int(&b, "null_time_rows", r->null_times);
	json_kv_str(&b, "refused", r->refusal);
	json_kv_int(&b, "restored_objects", r->restored_objects);
	json_kv_int(&b, "restored_rows", r->restored_rows);
	json_kv_int(&b, "restored_windows", r->restored_windows);
	json_kv_int(&b, "restored_window_rows", r->restored_window_rows);
	json_kv_int(&b, "lag_seconds", r->lag_us / USECS_PER_SEC);
	json_kv_int(&b, "archived_objects", r->objects);
	json_kv_int(&b, "archived_rows", r->archived_rows);
	json_kv_int(&b, "archived_bytes", r->archived_bytes);
	json_kv_stamp(&b, "first_archived", r->first_archived, r->windows_utc);
	json_kv_stamp(&b, "last_archived", r->last_archived, r->windows_utc);
	json_last_run(&b, &r->run);
	json_partitions(&b, r);
	buf_append_char(&b, '}');
	printf("%s\n", buf_cstr(&b));
	buf_free(&b);
}

void
cmd_status_print_json_other(const char *db, const Policy *p, const char *status, const char *reason,
							const EbbError *err)
{
	Buf b;

	buf_init(&b);
	buf_append_char(&b, '{');
	json_kv_str(&b, "database", db);
	json_kv_str(&b, "schema", p->schema);
	json_kv_str(&b, "table", p->table);
	json_kv_str(&b, "status", status);
	if (reason)
		json_kv_str(&b, "reason", reason);
	if (err)
	{
		json_kv_str(&b, "error", err->message);
		json_kv_str(&b, "detail", err->detail[0] ? err->detail : NULL);
		json_kv_str(&b, "hint", err->hint[0] ? err->hint : NULL);
	}
	buf_append_char(&b, '}');
	printf("%s\n", buf_cstr(&b));
	buf_free(&b);
}

/* "none" or the time as archive prints it; out must hold 64 bytes. */
static const char *
stamp_text(Stamp s, bool utc, char *out, const char *none)
{
	if (!s.set)
		return none;
	time_format_sql(s.us, utc, out, 64);
	return out;
}

/* An age as PostgreSQL prints an interval: "27 days 23:55:33", "1 day 00:30:00", "00:30:00". */
static void
format_lag(int64_t us, char *out, size_t outlen)
{
	int64_t secs = us / USECS_PER_SEC;
	int64_t days = secs / 86400;
	char clock[16];

	snprintf(clock, sizeof(clock), "%02d:%02d:%02d", (int) (secs % 86400 / 3600),
			 (int) (secs % 3600 / 60), (int) (secs % 60));
	if (days == 0)
		snprintf(out, outlen, "%s", clock);
	else
		snprintf(out, outlen, "%" PRId64 " day%s %s", days, days == 1 ? "" : "s", clock);
}

static void
print_text_policy(const TableReport *r)
{
	char t[64], lag[64];

	if (r->policy->keep_days < 0)
	{
		printf("  policy:           keep-days -1: everything is kept\n");
		return;
	}
	printf("  policy:           keep %d days, cutoff %s\n", r->policy->keep_days,
		   stamp_text(r->cutoff, r->tz, t, "none"));
	if (r->refusal)
		printf("  refused:          %s\n", r->refusal);
	if (r->null_times > 0)
		printf("  null times:       %" PRId64 " rows (never archived)\n", r->null_times);
	if (r->rows_behind == 0 && r->lag_us == 0)
	{
		printf("  behind policy:    nothing\n");
		return;
	}
	format_lag(r->lag_us, lag, sizeof(lag));
	printf("  behind policy:    %" PRId64 " rows older than the cutoff, lag %s\n", r->rows_behind,
		   lag);
}

static void
print_text_archive(const TableReport *r)
{
	char a[64], b[64], size[32];
	const LastRun *run = &r->run;

	if (r->objects == 0)
		printf("  archived:         nothing%s\n", r->policy->dest ? " at this destination" : "");
	else
	{
		text_bytes(r->archived_bytes, size, sizeof(size));
		printf("  archived:         %" PRId64 " rows in %" PRId64 " objects, %" PRId64
			   " bytes (%s)\n",
			   r->archived_rows, r->objects, r->archived_bytes, size);
		printf("  archived windows: %s to %s\n",
			   stamp_text(r->first_archived, r->windows_utc, a, "?"),
			   stamp_text(r->last_archived, r->windows_utc, b, "?"));
	}
	if (r->restored_objects > 0)
		printf("  restored:         %" PRId64 " rows in %" PRId64 " objects (ebb restore; "
			   "ebb.restore_ledger says where)\n",
			   r->restored_rows, r->restored_objects);
	if (r->restored_windows > 0)
		printf("  restored windows: %" PRId64 " rows in %" PRId64 " windows back in the table "
			   "(marked in the ledger; the next archive run takes those older than the cutoff "
			   "again)\n",
			   r->restored_window_rows, r->restored_windows);
	if (!run->found)
	{
		printf("  last run:         none\n");
		return;
	}
	printf("  last run:         %s: %s, started %s, finished %s, %" PRId64 " rows in %" PRId64
		   " objects\n",
		   run->run_id, run->status, stamp_text(run->started, true, a, "?"),
		   stamp_text(run->finished, true, b,
					  strcmp(run->status, "running") == 0 ? "not yet" : "unknown"),
		   run->rows, run->objects);
	if (run->message)
		printf("  last run message: %s\n", run->message);
}

static void
print_text_partitions(const TableReport *r)
{
	char a[64], b[64];

	if (!r->partitioned)
		return;
	if (r->hypertable)
		printf("  chunks:           %d (%d of slices wholly before the cutoff: the next run "
			   "archives them and drops them with drop_chunks)\n",
			   r->partitions, r->nexpired);
	else
		printf("  partitions:       %d (%d wholly before the cutoff: the next run archives and "
			   "drops them)\n",
			   r->partitions, r->nexpired);
	for (int i = 0; i < r->nexpired; i++)
	{
		const PartitionReport *e = &r->expired[i];
		printf("    %s  [%s, %s)  ~%" PRId64 " rows  %" PRId64 " bytes\n", e->name,
			   stamp_text((Stamp){e->lower != INT64_MIN, e->lower}, r->tz, a, "MINVALUE"),
			   stamp_text((Stamp){true, e->upper}, r->tz, b, ""), e->estimated_rows, e->bytes);
	}
	if (r->partitions_unremoved > 0)
		printf("  archived %s not yet dropped: %" PRId64 " (the next run finishes them)\n",
			   r->hypertable ? "chunks" : "partitions", r->partitions_unremoved);
}

void
cmd_status_print_text(const TableReport *r, bool *first)
{
	char a[64], b[64];

	if (!*first)
		printf("\n");
	*first = false;
	printf("%s: %s\n", text_escape(r->db).s,
		   pg_display_name(r->policy->schema, r->policy->table).s);
	printf("  time column:      %s (%s%s%s)\n", r->time_column,
		   r->integer_type ? r->integer_type
		   : r->tz         ? "timestamp with time zone"
						   : "timestamp",
		   r->integer_type ? ", the hypertable's integer time dimension" : "",
		   r->time_column_from_ledger ? ", from the ledger" : "");
	printf("  estimated rows:   %" PRId64 "\n", r->estimated_rows);
	printf("  oldest:           %s\n", stamp_text(r->oldest, r->tz, a, "none (no rows)"));
	printf("  newest:           %s\n", stamp_text(r->newest, r->tz, b, "none (no rows)"));
	print_text_policy(r);
	print_text_archive(r);
	print_text_partitions(r);
}
