/* chunk.c: the chunk protocol of chunk.h. */
#include "archive/chunk.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "archive/chunk_plan.h"
#include "archive/sql.h"
#include "archive/throttle.h"
#include "archive/whole.h"
#include "catalog/ledger.h"
#include "common/log.h"
#include "pg/hypertable.h"
#include "pg/ident.h"

/* The archived chunks of one slice, and where each stands now. */
typedef struct Slice
{
	ArchivePending *items;
	PgChunkState *now;
	int n;
} Slice;

static bool
read_states(ArchiveTarget *t, Slice *s, int *found, EbbError *err)
{
	*found = 0;
	for (int i = 0; i < s->n; i++)
	{
		pg_chunk_state_free(&s->now[i]);
		if (!pg_hypertable_chunk_state(t->conn, &t->hypertable, t->policy->schema, t->policy->table,
									   s->items[i].oid, &s->now[i], err))
			return false;
		*found += s->now[i].found;
	}
	return true;
}

/* One statement, so that the chunks are locked together or not at all. */
static bool
lock_chunks(ArchiveTarget *t, const Slice *s, char sqlstate[6], EbbError *err)
{
	Buf sql;
	bool first = true;

	buf_init(&sql);
	buf_printf(&sql, "SET LOCAL lock_timeout = '%" PRId64 "ms'; LOCK TABLE ",
			   t->policy->detach_timeout_ms);
	for (int i = 0; i < s->n; i++)
		if (s->now[i].found)
		{
			buf_printf(&sql, "%s%s", first ? "" : ", ", s->now[i].qualified);
			first = false;
		}
	buf_append_str(&sql, " IN ACCESS EXCLUSIVE MODE");
	bool ok = pg_exec_state(t->conn, buf_cstr(&sql), sqlstate, err);
	buf_free(&sql);
	return ok;
}

/* *changed: the first chunk whose rows are not the archived ones, or -1. */
static bool
check_prints(ArchiveTarget *t, const Slice *s, int *changed, EbbError *err)
{
	char print[160];

	*changed = -1;
	for (int i = 0; i < s->n && *changed < 0; i++)
	{
		const ArchivePending *p = &s->items[i];
		if (!s->now[i].found)
			continue;
		if (!archive_whole_fingerprint(t, s->now[i].qualified, p->via_parent, p->window, print,
									   sizeof(print), err))
			return false;
		if (strtoull(print, NULL, 10) != p->rows ||
			(p->fingerprint[0] && strcmp(print, p->fingerprint) != 0))
			*changed = i;
	}
	return true;
}

/* "{oid,oid}", sorted, of the chunks still there. */
static void
oid_array(const Slice *s, Buf *out)
{
	uint32_t *oids = ebb_malloc(sizeof(uint32_t) * (size_t) s->n);
	int n = 0;

	for (int i = 0; i < s->n; i++)
		if (s->now[i].found)
			oids[n++] = s->items[i].oid;
	for (int i = 1; i < n; i++)
		for (int k = i; k > 0 && oids[k - 1] > oids[k]; k--)
		{
			uint32_t x = oids[k];
			oids[k] = oids[k - 1];
			oids[k - 1] = x;
		}
	buf_append_char(out, '{');
	for (int i = 0; i < n; i++)
		buf_printf(out, "%s%u", i ? "," : "", oids[i]);
	buf_append_char(out, '}');
	free(oids);
}

/* The slice's bounds as TimescaleDB's functions take them, from a chunk of it still there. */
static const PgChunkState *
slice_bounds(const Slice *s)
{
	for (int i = 0; i < s->n; i++)
		if (s->now[i].found)
			return &s->now[i];
	return NULL;
}

/* The slice's start is TimescaleDB's lowest value (the bottom slice of an open dimension): it
 * may not fit the column's type (-2^63 in a smallint), and no slice is below it anyway. */
static bool
open_below(const char *lower)
{
	return strcmp(lower, "-9223372036854775808") == 0 || strcmp(lower, "-infinity") == 0;
}

/* fn(hypertable $1, older_than $2[, newer_than $3]); *nparams: 2 when the slice is open below. */
static void
slice_call(const ArchiveTarget *t, const char *fn, const char *lower, int *nparams, Buf *sql)
{
	buf_printf(sql, "%s.%s($1::pg_catalog.regclass, older_than => $2::%s", t->hypertable.ext_schema,
			   fn, t->hypertable.time_type);
	*nparams = open_below(lower) ? 2 : 3;
	if (*nparams == 3)
		buf_printf(sql, ", newer_than => $3::%s", t->hypertable.time_type);
	buf_append_char(sql, ')');
}

/*
 * Drops the slice's archived chunks and no other. drop_chunks when show_chunks, under the
 * locks, names exactly them (it then drops what it names: checked by the count it returns);
 * else a chunk nobody archived is in the slice (a late row's, made after T1), and only the
 * archived ones are dropped, by name, which TimescaleDB's catalog follows as well.
 */
static bool
drop_slice(ArchiveTarget *t, const Slice *s, int found, EbbError *err)
{
	const PgChunkState *b = slice_bounds(s);
	Buf sql, ours;
	StrList names = {0};

	if (!b)
		return true; /* none left to drop */
	const char *params[] = {t->table_rel, b->upper, b->lower};
	int nparams;

	buf_init(&sql);
	buf_init(&ours);
	oid_array(s, &ours);
	buf_append_str(&sql, "SELECT coalesce(pg_catalog.array_agg(c::pg_catalog.oid ORDER BY"
						 " c::pg_catalog.oid), '{}')::pg_catalog.text FROM ");
	slice_call(t, "show_chunks", b->lower, &nparams, &sql);
	buf_append_str(&sql, " c");
	bool ok = pg_query_strings(t->conn, buf_cstr(&sql), nparams, params, &names, err);
	buf_reset(&sql);
	bool exact = ok && names.count == 1 && strcmp(names.items[0], buf_cstr(&ours)) == 0;
	strlist_clear(&names);
	if (ok && exact)
	{
		int64_t dropped;
		bool isnull;
		buf_append_str(&sql, "SELECT pg_catalog.count(*) FROM ");
		slice_call(t, "drop_chunks", b->lower, &nparams, &sql);
		ok = archive_sql_query_int64(t->conn, buf_cstr(&sql), nparams, params, &dropped, &isnull,
									 err);
		if (ok && dropped != found)
			ok = error_set(err, EBB_ERR_QUERY,
						   "drop_chunks dropped %" PRId64 " chunks of %s, not the %d archived",
						   dropped, b->name, found);
	}
	else if (ok)
	{
		log_info("the slice of chunk %s holds chunks not archived yet: dropping only the %d "
				 "archived",
				 b->name, found);
		buf_append_str(&sql, "DROP TABLE ");
		for (int i = 0, k = 0; i < s->n; i++)
			if (s->now[i].found)
				buf_printf(&sql, "%s%s", k++ ? ", " : "", s->now[i].qualified);
		ok = pg_exec(t->conn, buf_cstr(&sql), err);
	}
	buf_free(&sql);
	buf_free(&ours);
	return ok;
}

static bool
set_dropped(ArchiveTarget *t, const Slice *s, EbbError *err)
{
	for (int i = 0; i < s->n; i++)
		if (s->items[i].key[0] &&
			!catalog_ledger_set_partition_state(t->conn, s->items[i].key, "dropped", err))
			return false;
	return true;
}

/* One T2 attempt. *changed: a chunk to archive again first (the transaction rolled back). */
static bool
drop_once(ArchiveTarget *t, Slice *s, int *changed, char sqlstate[6], EbbError *err)
{
	int found;

	*changed = -1;
	sqlstate[0] = '\0';
	if (!pg_exec(t->conn, "BEGIN", err) || !read_states(t, s, &found, err))
		goto fail;
	if (found == 0)
		return set_dropped(t, s, err) && pg_exec(t->conn, "COMMIT", err);
	if (!lock_chunks(t, s, sqlstate, err))
		goto fail;
	archive_crash_point("chunk-locked");
	/* Locked, each is still the chunk it was (a chunk dropped meanwhile made LOCK fail) */
	if (!read_states(t, s, &found, err) || !check_prints(t, s, changed, err))
		goto fail;
	if (*changed >= 0)
	{
		archive_sql_rollback(t);
		return true;
	}
	if (drop_slice(t, s, found, err) && set_dropped(t, s, err) && pg_exec(t->conn, "COMMIT", err))
		return true;
fail:
	archive_sql_rollback(t);
	return false;
}

/* Writes into an expired chunk that never stop: each copy is outdated before its drop. */
static bool
keeps_changing(const ArchiveTarget *t, const Slice *s, int changed, EbbError *err)
{
	error_set(err, EBB_ERR_QUERY, "chunk %s kept changing after it was archived",
			  s->now[changed].name);
	error_detail(err,
				 "It was archived again %d times in this run; every copy was outdated "
				 "before the drop. It stays, archived; nothing was lost.",
				 t->policy->detach_retries + 1);
	error_hint(err, "Find what still writes rows older than the cutoff into it.");
	return false;
}

/* T2, from wherever the slice stands, until its chunks are dropped or the locks did not come. */
static bool
finish_slice(ArchiveTarget *t, Slice *s, EbbError *err)
{
	char sqlstate[6];
	int changed, agains = 0;

	for (int attempt = 0;;)
	{
		if (drop_once(t, s, &changed, sqlstate, err))
		{
			if (changed < 0)
				return true;
			if (agains++ > t->policy->detach_retries)
				return keeps_changing(t, s, changed, err);
			log_warning("chunk %s changed after it was archived (%" PRIu64 " rows were); "
						"archiving it again",
						s->now[changed].name, s->items[changed].rows);
			if (!archive_whole_again(t, &s->items[changed], s->now[changed].qualified, err))
				return false;
			continue;
		}
		/* A chunk dropped (by someone else) between the look and the LOCK: look again */
		if (strcmp(sqlstate, "42P01") == 0 && attempt < t->policy->detach_retries)
		{
			attempt++;
			continue;
		}
		if (strcmp(sqlstate, "55P03") != 0 || attempt >= t->policy->detach_retries)
		{
			const PgChunkState *b = slice_bounds(s);
			error_prefix(err, "could not drop chunk %s: ", b ? b->name : s->items[0].name);
			if (strcmp(sqlstate, "55P03") == 0)
				error_hint(err, "Another transaction holds a lock on it (a long query on the "
								"hypertable?). The chunk is archived; the next run drops it.");
			return false;
		}
		log_warning("chunk %s: the drop waited for a lock (attempt %d of %d); retrying",
					s->items[0].name, attempt + 1, t->policy->detach_retries + 1);
		archive_whole_backoff(attempt++);
	}
}

static void
slice_free(Slice *s)
{
	for (int i = 0; i < s->n; i++)
		pg_chunk_state_free(&s->now[i]);
	free(s->now);
	free(s->items);
	memset(s, 0, sizeof(*s));
}

static void
slice_add(Slice *s, const ArchivePending *p)
{
	s->items = ebb_realloc(s->items, sizeof(ArchivePending) * (size_t) (s->n + 1));
	s->now = ebb_realloc(s->now, sizeof(PgChunkState) * (size_t) (s->n + 1));
	s->items[s->n] = *p;
	memset(&s->now[s->n], 0, sizeof(PgChunkState));
	s->n++;
}

/* Compressed chunks keep their rows in TimescaleDB's internal storage, which ebb never reads. */
static bool
refuse_compressed(const ArchiveTarget *t, const PartLeaf *leaf, bool shared, EbbError *err)
{
	error_set(err, EBB_ERR_CONFIG, "chunk %s of hypertable %s is compressed",
			  pg_display_name(leaf->schema, leaf->name).s,
			  pg_message_name(t->policy->schema, t->policy->table).s);
	if (t->info.time_integer && t->policy->time_unit_ns < 1000)
		error_detail(err, "Its rows are in TimescaleDB's compressed storage; ebb reads a "
						  "compressed chunk only through the hypertable by its slice in whole "
						  "microseconds, which in nanoseconds may take in a neighbour's rows.");
	else if (shared)
		error_detail(err, "Its rows are in TimescaleDB's compressed storage and its slice has "
						  "other chunks (space partitions): ebb reads a compressed chunk only "
						  "through the hypertable, by its slice, which would read theirs too.");
	else
		error_detail(err, "Its rows are in TimescaleDB's compressed storage; ebb reads them only "
						  "through the hypertable with --allow-compressed-chunks (untested "
						  "against real compression). Nothing was archived or dropped from it.");
	error_hint(err, "Decompress it first: SELECT decompress_chunk('%s');", leaf->qualified);
	return false;
}

static int
find_pending(const ArchivePending *pending, int n, uint32_t oid)
{
	for (int k = 0; k < n; k++)
		if (pending[k].oid == oid)
			return k;
	return -1;
}

/*
 * The slice of leaves [first, end): its chunks archived by an earlier run join the slice as
 * they are; when the slice is expired, its other chunks are archived (T1) first. Then T2.
 */
static bool
run_slice(ArchiveTarget *t, const PartPlan *plan, int first, int end, ArchivePending *pending,
		  int npending, uint64_t *last_rows, EbbError *err)
{
	bool expired = archive_partition_expired(&plan->leaves[first], t->cutoff);
	Slice s = {0};
	bool ok = true;

	for (int i = first; ok && i < end && !cancel_requested; i++)
	{
		const PartLeaf *leaf = &plan->leaves[i];
		int k = find_pending(pending, npending, leaf->oid);
		ArchivePending p;
		bool skip;
		if (k >= 0)
		{
			slice_add(&s, &pending[k]);
			pending[k].oid = 0; /* taken */
			continue;
		}
		if (!expired)
			continue;
		if (leaf->compressed && (!t->policy->allow_compressed_chunks || end - first > 1 ||
								 (t->info.time_integer && t->policy->time_unit_ns < 1000)))
			ok = refuse_compressed(t, leaf, end - first > 1, err);
		else if ((ok = archive_throttle_wait(t, *last_rows, err) &&
					   archive_whole_leaf(t, leaf, &p, &skip, err)) &&
				 !skip)
		{
			*last_rows = p.rows ? p.rows : 1;
			slice_add(&s, &p);
		}
	}
	if (ok && s.n > 0 && !cancel_requested)
		ok = finish_slice(t, &s, err);
	for (int i = 0; ok && i < s.n; i++)
		log_info("chunk %s: dropped", s.items[i].name);
	slice_free(&s);
	return ok;
}

/* A chunk archived by an earlier run that is no longer in the plan: gone (dropped by that
 * run after its COMMIT was lost, or by someone else), its rows are in its object. */
static bool
finish_gone(ArchiveTarget *t, ArchivePending *p, EbbError *err)
{
	Slice s = {0};

	slice_add(&s, p);
	log_info("chunk %s: archived by an earlier run and already gone", p->name);
	bool ok = finish_slice(t, &s, err);
	slice_free(&s);
	return ok;
}

bool
archive_chunk_all(ArchiveTarget *t, const PartPlan *plan, EbbError *err)
{
	ArchivePending *pending = NULL;
	int npending = 0;
	uint64_t last_rows = 0;
	bool ok = archive_whole_load_pending(t, &pending, &npending, err);

	for (int i = 0; ok && i < plan->n && !cancel_requested;)
	{
		int end = i + 1;
		while (end < plan->n && archive_chunk_same_slice(&plan->leaves[i], &plan->leaves[end]))
			end++;
		ok = run_slice(t, plan, i, end, pending, npending, &last_rows, err);
		i = end;
	}
	for (int k = 0; ok && k < npending && !cancel_requested; k++)
		if (pending[k].oid)
			ok = finish_gone(t, &pending[k], err);
	free(pending);
	if (ok && cancel_requested)
		ok = error_set(err, EBB_ERR_CANCELED, "canceled by a signal");
	return ok;
}
