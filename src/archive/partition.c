/* partition.c: the whole-partition protocol of partition.h. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive/partition.h"
#include "archive/whole.h"
#include "archive/throttle.h"
#include "archive/manifest.h"
#include "archive/object.h"
#include "archive/partition_plan.h"
#include "archive/piece.h"
#include "archive/safety.h"
#include "archive/sql.h"
#include "catalog/ledger.h"
#include "catalog/manifest.h"
#include "pg/ident.h"
#include "pg/partitions.h"
#include "common/log.h"
#include "common/retry.h"
#include "common/time.h"

/* Where a partition stands in the catalog now. */
typedef enum PartStateKind
{
	PART_GONE,
	PART_ATTACHED,
	PART_DETACH_PENDING,
	PART_DETACHED
} PartStateKind;

typedef struct PartState
{
	PartStateKind kind;
	char qualified[300]; /* "schema"."name" now */
	char parent[300];    /* while attached or pending */
	bool parent_has_default;
	bool ours; /* attached in this table's tree, or detached under the name archived */
} PartState;

/* name: the partition's schema.name when it was archived (a detached table must still bear
 * it: the oid alone could have been reused, or the table attached elsewhere since). */
static bool
query_state(ArchiveTarget *t, uint32_t oid, const char *name, PartState *st, EbbError *err)
{
	PgPartitionState now;

	if (!pg_partition_state(t->conn, oid, t->info.oid, name, &now, err))
		return false;
	memset(st, 0, sizeof(*st));
	st->kind = PART_GONE;
	if (now.found)
	{
		snprintf(st->qualified, sizeof(st->qualified), "%s", now.qualified);
		snprintf(st->parent, sizeof(st->parent), "%s", now.parent ? now.parent : "");
		st->kind = !now.parent          ? PART_DETACHED
				   : now.detach_pending ? PART_DETACH_PENDING
										: PART_ATTACHED;
		st->parent_has_default = now.parent_has_default;
		st->ours = now.in_tree;
	}
	pg_partition_state_free(&now);
	return true;
}

static bool
set_state(ArchiveTarget *t, const char *key, const char *state, EbbError *err)
{
	return catalog_ledger_set_partition_state(t->conn, key, state, err);
}

/*
 * One DETACH attempt. CONCURRENTLY takes no lock that blocks the parent's readers or writers,
 * but PostgreSQL refuses it when the parent has a DEFAULT partition; the plain form takes the
 * parent's ACCESS EXCLUSIVE lock, so it waits at most --detach-timeout in the lock queue
 * (where it would hold up everyone queued behind it).
 */
static bool
detach_once(ArchiveTarget *t, const PartState *st, char sqlstate[6], EbbError *err)
{
	Buf sql;
	bool ok;

	buf_init(&sql);
	if (!st->parent_has_default)
	{
		buf_printf(&sql, "ALTER TABLE %s DETACH PARTITION %s CONCURRENTLY", st->parent,
				   st->qualified);
		ok = pg_exec_state(t->conn, buf_cstr(&sql), sqlstate, err);
	}
	else
	{
		buf_printf(&sql,
				   "BEGIN; SET LOCAL lock_timeout = '%" PRId64 "ms';"
				   " ALTER TABLE %s DETACH PARTITION %s; COMMIT",
				   t->policy->detach_timeout_ms, st->parent, st->qualified);
		ok = pg_exec_state(t->conn, buf_cstr(&sql), sqlstate, err);
		if (!ok)
			archive_sql_rollback(t);
	}
	buf_free(&sql);
	return ok;
}

static bool
finalize(ArchiveTarget *t, const PartState *st, char sqlstate[6], EbbError *err)
{
	Buf sql;

	buf_init(&sql);
	buf_printf(&sql, "ALTER TABLE %s DETACH PARTITION %s FINALIZE", st->parent, st->qualified);
	log_info("partition %s: completing an interrupted DETACH CONCURRENTLY", st->qualified);
	bool ok = pg_exec_state(t->conn, buf_cstr(&sql), sqlstate, err);
	buf_free(&sql);
	return ok;
}

/*
 * A partition archived by an earlier run that can no longer be detached: a foreign key added
 * since references one of its rows. Its rows are still in the table, so its object is
 * withdrawn (ledger row deleted, then the object removed) and the rows go by the row protocol,
 * whose DELETE the foreign key checks row by row.
 */
static bool
withdraw(ArchiveTarget *t, ArchivePending *p, const PartState *st, const EbbError *why,
		 EbbError *err)
{

	log_warning("partition %s cannot be detached (%s): its archived copy is withdrawn, its rows "
				"stay in the table and are archived row by row",
				st->qualified, why->message);
	if (!p->key[0])
		return true;
	if (!catalog_ledger_delete(t->conn, p->key, err))
		return false;
	archive_whole_remove_unlisted(t, p->key);
	return true;
}

/* T2: the detached table, under ACCESS EXCLUSIVE, holds what the ledger says: drop it (or
 * keep it, or move it). *again when it had to be archived again first. */
static bool
remove_detached(ArchiveTarget *t, ArchivePending *p, const PartState *st, bool *again,
				EbbError *err)
{
	const Policy *pol = t->policy;
	int64_t count;
	Buf sql;

	*again = false;
	archive_crash_point("partition-detached");
	buf_init(&sql);
	buf_printf(&sql, "LOCK TABLE %s IN ACCESS EXCLUSIVE MODE", st->qualified);
	bool ok = pg_exec(t->conn, "BEGIN", err) && pg_exec(t->conn, buf_cstr(&sql), err);
	char print[160];
	ok = ok &&
		 archive_whole_fingerprint(t, st->qualified, false, p->window, print, sizeof(print), err);
	count = ok ? strtoll(print, NULL, 10) : 0;
	if (ok && ((uint64_t) count != p->rows || (p->fingerprint[0] && strcmp(print, p->fingerprint))))
	{
		archive_sql_rollback(t);
		buf_free(&sql);
		log_warning("partition %s holds %" PRId64 " rows, %" PRIu64 " were archived, and its "
					"rows changed after it was archived; archiving it again",
					st->qualified, count, p->rows);
		*again = true;
		return archive_whole_again(t, p, st->qualified, err);
	}
	buf_reset(&sql);
	if (!pol->keep_detached)
		buf_printf(&sql, "DROP TABLE %s", st->qualified);
	else if (pol->retention_schema)
	{
		buf_printf(&sql, "ALTER TABLE %s SET SCHEMA ", st->qualified);
		pg_quote_ident(&sql, pol->retention_schema);
	}
	ok = ok && (!sql.len || pg_exec(t->conn, buf_cstr(&sql), err)) &&
		 (!p->key[0] || set_state(t, p->key, pol->keep_detached ? "kept" : "dropped", err)) &&
		 pg_exec(t->conn, "COMMIT", err);
	buf_free(&sql);
	if (!ok)
		archive_sql_rollback(t);
	else
		log_info("partition %s %s", st->qualified,
				 pol->keep_detached ? "detached and kept" : "detached and dropped");
	return ok;
}

/* Detach (or finish a pending detach), then check and remove: from wherever it stands. */
static bool
finish(ArchiveTarget *t, ArchivePending *p, EbbError *err)
{
	PartState st;
	char sqlstate[6];
	bool again, detached_here = false;

	for (int attempt = 0;;)
	{
		if (!query_state(t, p->oid, p->name, &st, err))
			return false;
		if (st.kind == PART_GONE)
			return !p->key[0] || set_state(t, p->key, "dropped", err);
		/* Detached by this very call, it is ours under whatever name it was renamed to while
		 * attached (T2's fingerprint still decides whether its rows are the archived ones). */
		if (!st.ours && !(detached_here && st.kind == PART_DETACHED))
		{
			log_warning("partition %s (archived as %s) is no longer part of %s: left alone",
						st.qualified, p->name,
						pg_message_name(t->policy->schema, t->policy->table).s);
			return !p->key[0] || set_state(t, p->key, "released", err);
		}
		if (st.kind == PART_DETACHED)
		{
			if (!remove_detached(t, p, &st, &again, err))
				return false;
			if (!again)
				return true;
			continue;
		}
		bool ok = st.kind == PART_DETACH_PENDING ? finalize(t, &st, sqlstate, err)
												 : detach_once(t, &st, sqlstate, err);
		if (ok)
		{
			detached_here = true;
			archive_crash_point("partition-detached");
			continue;
		}
		if (strcmp(sqlstate, "23503") == 0 && st.kind == PART_ATTACHED)
			return withdraw(t, p, &st, err, err);
		if (strcmp(sqlstate, "55P03") != 0 || attempt >= t->policy->detach_retries)
		{
			error_prefix(err, "could not detach partition %s: ", st.qualified);
			if (strcmp(sqlstate, "55P03") == 0)
				error_hint(err,
						   "Another transaction holds a lock on %s. The partition is "
						   "archived; the next run detaches and drops it.",
						   st.parent);
			return false;
		}
		log_warning("partition %s: DETACH waited for a lock (attempt %d of %d); retrying",
					st.qualified, attempt + 1, t->policy->detach_retries + 1);
		archive_whole_backoff(attempt++);
	}
}

static void
unrecorded(const ArchiveTarget *t, const PartLeaf *leaf, ArchivePending *p)
{
	memset(p, 0, sizeof(*p));
	p->oid = leaf->oid;
	snprintf(p->name, sizeof(p->name), "%s.%s", leaf->schema, leaf->name);
	snprintf(p->bound, sizeof(p->bound), "%s", leaf->bound);
	p->window = (TimeRange){leaf->lower, leaf->upper};
	(void) t;
}

bool
archive_partition_all(ArchiveTarget *t, const PartPlan *plan, EbbError *err)
{
	ArchivePending *pending = NULL, p;
	int n = 0;
	uint64_t archived = 0; /* the partition before: archived (1) or not */
	bool skip, ok = archive_whole_load_pending(t, &pending, &n, err);

	for (int i = 0; ok && i < n && !cancel_requested; i++)
	{
		log_info("partition %s: archived by an earlier run; removing it", pending[i].name);
		ok = finish(t, &pending[i], err);
	}
	for (int i = 0; ok && i < plan->n && !cancel_requested; i++)
	{
		const PartLeaf *leaf = &plan->leaves[i];
		bool resumed = false;
		for (int k = 0; k < n; k++)
			resumed |= pending[k].oid == leaf->oid;
		if (!resumed && leaf->pinned && !leaf->is_default && leaf->upper <= t->cutoff)
			log_warning("partition %s is referenced by a foreign key or read by a view: it is "
						"not detached; its rows are archived %s",
						pg_display_name(leaf->schema, leaf->name).s,
						t->policy->whole_partitions_only ? "only without --whole-partitions-only"
														 : "row by row");
		if (resumed || !archive_partition_expired(leaf, t->cutoff))
			continue;
		if (leaf->detach_pending)
		{
			/* A detach nobody recorded (an empty partition's, or another tool's): finish it;
			 * T2 finds the rows the ledger does not have and archives them first. */
			unrecorded(t, leaf, &p);
			ok = finish(t, &p, err);
		}
		else
		{
			/* Back-pressure before each partition (none after the last). */
			ok = archive_throttle_wait(t, archived, err) &&
				 archive_whole_leaf(t, leaf, &p, &skip, err) && (skip || finish(t, &p, err));
			archived = skip ? 0 : 1;
		}
	}
	free(pending);
	if (ok && cancel_requested)
		ok = error_set(err, EBB_ERR_CANCELED, "canceled by a signal");
	return ok;
}
