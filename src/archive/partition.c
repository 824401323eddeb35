/* partition.c: the whole-partition protocol of partition.h. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive/partition.h"
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

/* A ledger row whose partition is archived but not yet removed. */
typedef struct Pending
{
	char key[1024];
	uint64_t rows;
	uint64_t bytes;
	bool this_run; /* its object is in this run's counts (a replacement must not add twice) */
	uint32_t oid;
	char name[256];
	char bound[512];
	char fingerprint[160]; /* "" when the ledger has none (then the row count alone decides) */
	TimeRange window;
} Pending;

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
 * "rows:sum": the row count and the sum of a 64-bit hash of each row version's (ctid, xmin),
 * the same for the same heap. Computed under the lock of T1 and again under T2's, it tells
 * whether the rows changed in between even when their count did not: an UPDATE, a DELETE and
 * an INSERT, each leaves row versions with other ctids and newer xmins. DETACH and SET SCHEMA
 * do not rewrite the heap; a rewrite (VACUUM FULL, CLUSTER) makes equal rows differ, which
 * archives the partition again: never a loss. Hashing the row versions, not the rows' text,
 * keeps it cheap: no output function runs. The relation's columns (safety.h's fingerprint of
 * them) are part of it: a column added after T1 (no rewrite, so no row version changes) is in
 * no object, and makes the partition archived again too.
 */
static bool
fingerprint(ArchiveTarget *t, const char *qualified, char *out, size_t outlen, EbbError *err)
{
	PGresult *res;
	Buf sql;

	buf_init(&sql);
	buf_printf(&sql,
			   "SELECT pg_catalog.count(*), coalesce(pg_catalog.sum(pg_catalog.hashtextextended("
			   "r.ctid::text || r.xmin::text, 0)::numeric), 0) FROM ONLY %s r",
			   qualified);
	bool ok = pg_query(t->conn, buf_cstr(&sql), 0, NULL, &res, err);
	buf_free(&sql);
	if (!ok)
		return false;
	char cols[ARCHIVE_DIGEST_LEN];
	ok = archive_digest(t->conn, qualified, 0, false, cols, err);
	snprintf(out, outlen, "%s:%s:%s", PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), cols);
	PQclear(res);
	return ok;
}

/* Full jitter over an exponential backoff from 100 ms, capped at 5 s (common/retry.h). */
static void
backoff(int attempt)
{
	static unsigned rand_state;

	if (!rand_state)
		rand_state = (unsigned) time(NULL) ^ (unsigned) getpid();
	retry_sleep_ms(retry_backoff_ms(attempt, 100, 5000, &rand_state));
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

/* Removes an object (and its manifest) that no ledger row names any more; gc does it later if
 * this fails. */
static void
remove_unlisted(ArchiveTarget *t, const char *key)
{
	EbbError ignored;
	Buf manifest;

	buf_init(&manifest);
	buf_printf(&manifest, "%s" CATALOG_MANIFEST_SUFFIX, key);
	if (!store_remove(&t->store, key, &ignored) ||
		!store_remove(&t->store, buf_cstr(&manifest), &ignored))
		log_warning("could not remove \"%s\", which the ledger no longer names (ebb verify --gc "
					"removes it)",
					key);
	buf_free(&manifest);
}

/* The rows written into a partition after T1 (late rows) are in the detached table too: it is
 * archived again, whole, as a new object that replaces the first in the ledger. */
static bool
rearchive(ArchiveTarget *t, Pending *p, const PartState *st, EbbError *err)
{
	ArchivedObject obj;
	char name[300], old[1024];
	Buf sql;

	snprintf(name, sizeof(name), "%s-again",
			 strchr(p->name, '.') ? strchr(p->name, '.') + 1 : p->name);
	archive_object_init(t, p->window, p->window, name, &obj);
	obj.partition_oid = p->oid;
	obj.partition_name = p->name;
	obj.partition_bound = p->bound;
	buf_init(&sql);
	buf_printf(&sql, "LOCK TABLE %s IN SHARE MODE", st->qualified);
	char print[160];
	obj.partition_fingerprint = print;
	bool ok = pg_exec(t->conn, "BEGIN", err) && pg_exec(t->conn, buf_cstr(&sql), err) &&
			  archive_check_unchanged(t->conn, "", st->qualified, 0, false, t->cols_digest,
									  t->policy, err) &&
			  fingerprint(t, st->qualified, print, sizeof(print), err) &&
			  catalog_ledger_delete(t->conn, p->key, err);
	buf_reset(&sql);
	buf_append_str(&sql, "COPY (SELECT ");
	archive_sql_column_list(&t->info.shape, &sql);
	buf_printf(&sql, " FROM ONLY %s) TO STDOUT%s", st->qualified,
			   t->info.shape.binary ? " (FORMAT binary)" : "");
	if (ok)
		ok = archive_in_transaction(t, buf_cstr(&sql), &obj, err);
	else
		archive_sql_rollback(t);
	buf_free(&sql);
	if (!ok)
		return false;
	if (obj.rows == 0)
	{
		/* Emptied since T1 (the transaction rolled back, the ledger row stays): the object
		 * holds the rows as they were; nothing is left to lose. */
		log_warning("partition %s was emptied after it was archived", st->qualified);
		p->rows = 0;
		return true;
	}
	snprintf(old, sizeof(old), "%s", p->key);
	snprintf(p->key, sizeof(p->key), "%s", obj.key);
	snprintf(p->fingerprint, sizeof(p->fingerprint), "%s", print);
	if (p->this_run && old[0])
	{
		/* The run's counts hold the replaced object too: the summary is what the ledger has. */
		t->rows -= p->rows;
		t->bytes -= p->bytes;
		t->objects--;
	}
	p->rows = obj.rows;
	p->bytes = obj.bytes;
	p->this_run = true;
	archive_manifest_flush(t);
	/* The first object is in no ledger row now: remove it and its manifest (an empty
	 * partition had none). */
	if (old[0])
		remove_unlisted(t, old);
	return true;
}

/*
 * A partition archived by an earlier run that can no longer be detached: a foreign key added
 * since references one of its rows. Its rows are still in the table, so its object is
 * withdrawn (ledger row deleted, then the object removed) and the rows go by the row protocol,
 * whose DELETE the foreign key checks row by row.
 */
static bool
withdraw(ArchiveTarget *t, Pending *p, const PartState *st, const EbbError *why, EbbError *err)
{

	log_warning("partition %s cannot be detached (%s): its archived copy is withdrawn, its rows "
				"stay in the table and are archived row by row",
				st->qualified, why->message);
	if (!p->key[0])
		return true;
	if (!catalog_ledger_delete(t->conn, p->key, err))
		return false;
	remove_unlisted(t, p->key);
	return true;
}

/* T2: the detached table, under ACCESS EXCLUSIVE, holds what the ledger says: drop it (or
 * keep it, or move it). *again when it had to be archived again first. */
static bool
remove_detached(ArchiveTarget *t, Pending *p, const PartState *st, bool *again, EbbError *err)
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
	ok = ok && fingerprint(t, st->qualified, print, sizeof(print), err);
	count = ok ? strtoll(print, NULL, 10) : 0;
	if (ok && ((uint64_t) count != p->rows || (p->fingerprint[0] && strcmp(print, p->fingerprint))))
	{
		archive_sql_rollback(t);
		buf_free(&sql);
		log_warning("partition %s holds %" PRId64 " rows, %" PRIu64 " were archived, and its "
					"rows changed after it was archived; archiving it again",
					st->qualified, count, p->rows);
		*again = true;
		return rearchive(t, p, st, err);
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
finish(ArchiveTarget *t, Pending *p, EbbError *err)
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
		backoff(attempt++);
	}
}

/* Its newest row: the bounds promise it is before the upper bound; ebb checks the promise. */
static bool
newest_row(ArchiveTarget *t, const PartLeaf *leaf, int64_t *newest, bool *empty, EbbError *err)
{
	Buf sql, expr;

	buf_init(&sql);
	buf_init(&expr);
	buf_printf(&expr, "pg_catalog.max(%s)", t->time_col);
	buf_append_str(&sql, "SELECT ");
	pg_epoch_us_sql(buf_cstr(&expr), &sql);
	buf_printf(&sql, " FROM ONLY %s", leaf->qualified);
	bool ok = archive_sql_query_int64(t->conn, buf_cstr(&sql), 0, NULL, newest, empty, err);
	buf_free(&sql);
	buf_free(&expr);
	return ok;
}

/* T1: the partition's rows become an object and a ledger row; nothing is deleted. *skip when
 * the partition turned out to hold a row at or after the cutoff. */
static bool
archive_leaf(ArchiveTarget *t, const PartLeaf *leaf, Pending *p, bool *skip, EbbError *err)
{
	TimeRange r = {leaf->lower, leaf->upper};
	ArchivedObject obj;
	int64_t newest;
	bool empty;
	Buf sql;

	memset(p, 0, sizeof(*p));
	*skip = false;
	snprintf(p->name, sizeof(p->name), "%s.%s", leaf->schema, leaf->name);
	/* schema.name in the key: leaves of one range in two schemas must not collide */
	char *key_name = archive_object_leaf_name(leaf->schema, leaf->name);
	archive_object_init(t, r, r, key_name, &obj);
	free(key_name);
	obj.partition_oid = leaf->oid;
	obj.partition_name = p->name;
	obj.partition_bound = leaf->bound;
	buf_init(&sql);
	/* SHARE: the partition's writers wait (its rows must not change under the COPY); its
	 * readers, and every other partition, do not. */
	buf_printf(&sql, "LOCK TABLE %s IN SHARE MODE", leaf->qualified);
	/* its columns must be the ones the object is written with (a column added to the parent
	 * after the run's checks is added to the partition too) */
	bool ok = pg_exec(t->conn, "BEGIN", err) && pg_exec(t->conn, buf_cstr(&sql), err) &&
			  archive_check_unchanged(t->conn, "", leaf->qualified, 0, false, t->cols_digest,
									  t->policy, err) &&
			  newest_row(t, leaf, &newest, &empty, err) &&
			  fingerprint(t, leaf->qualified, p->fingerprint, sizeof(p->fingerprint), err);
	obj.partition_fingerprint = p->fingerprint;
	if (ok && !empty && newest >= t->cutoff)
	{
		char when[64];
		time_format_sql(newest, t->info.time_is_tz, when, sizeof(when));
		log_warning("partition %s holds a row at %s, not before the cutoff: it is not dropped "
					"(its old rows are archived row by row)",
					pg_display_name(leaf->schema, leaf->name).s, when);
		*skip = true;
	}
	buf_reset(&sql);
	buf_append_str(&sql, "COPY (SELECT ");
	archive_sql_column_list(&t->info.shape, &sql);
	buf_printf(&sql, " FROM ONLY %s) TO STDOUT%s", leaf->qualified,
			   t->info.shape.binary ? " (FORMAT binary)" : "");
	if (ok && !*skip)
		ok = archive_in_transaction(t, buf_cstr(&sql), &obj, err);
	else
		archive_sql_rollback(t);
	buf_free(&sql);
	if (!ok || *skip)
		return ok;
	/* An empty partition stores nothing (the transaction rolled back): it is only dropped. */
	p->oid = leaf->oid;
	p->rows = obj.rows;
	p->bytes = obj.bytes;
	p->this_run = obj.rows > 0;
	p->window = r;
	snprintf(p->key, sizeof(p->key), "%s", obj.rows ? obj.key : "");
	snprintf(p->bound, sizeof(p->bound), "%s", leaf->bound);
	if (obj.rows)
		log_info("partition %s: archived %" PRIu64 " rows to \"%s\"",
				 pg_display_name(leaf->schema, leaf->name).s, obj.rows, obj.key);
	archive_crash_point("partition-archived");
	return true;
}

/* The ledger's partitions archived but not yet removed (a crash, or a lock that did not come). */
static bool
load_pending(ArchiveTarget *t, Pending **out, int *n, EbbError *err)
{
	CatalogLedgerFilter f = {
		.schema = t->policy->schema, .table = t->policy->table, .partition_archived = true};
	CatalogLedgerRows rows;

	if (!catalog_ledger_select(t->conn, &f, &rows, err))
		return false;
	*n = rows.n;
	*out = ebb_malloc(sizeof(Pending) * (size_t) (*n ? *n : 1));
	for (int i = 0; i < *n; i++)
	{
		const CatalogLedgerEntry *e = &rows.rows[i];
		Pending *p = &(*out)[i];
		memset(p, 0, sizeof(*p));
		snprintf(p->key, sizeof(p->key), "%s", e->key);
		p->rows = e->rows;
		p->oid = e->partition_oid;
		snprintf(p->name, sizeof(p->name), "%s", e->partition_name);
		snprintf(p->bound, sizeof(p->bound), "%s", e->partition_bound);
		snprintf(p->fingerprint, sizeof(p->fingerprint), "%s", e->partition_fingerprint);
		p->window.start = e->window_start;
		p->window.end = e->window_end;
	}
	catalog_ledger_rows_free(&rows);
	return true;
}

static void
unrecorded(const ArchiveTarget *t, const PartLeaf *leaf, Pending *p)
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
	Pending *pending = NULL, p;
	int n = 0;
	uint64_t archived = 0; /* the partition before: archived (1) or not */
	bool skip, ok = load_pending(t, &pending, &n, err);

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
			ok = archive_throttle_wait(t, archived, err) && archive_leaf(t, leaf, &p, &skip, err) &&
				 (skip || finish(t, &p, err));
			archived = skip ? 0 : 1;
		}
	}
	free(pending);
	if (ok && cancel_requested)
		ok = error_set(err, EBB_ERR_CANCELED, "canceled by a signal");
	return ok;
}
