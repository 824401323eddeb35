/* whole.c: one relation archived whole, the part of the protocol that partitions
 * (partition.c) and TimescaleDB chunks (chunk.c) share (whole.h). */
#include "archive/whole.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive/object.h"
#include "archive/safety.h"
#include "archive/sql.h"
#include "catalog/ledger.h"
#include "catalog/manifest.h"
#include "archive/manifest.h"
#include "archive/piece.h"
#include "common/log.h"
#include "common/retry.h"
#include "common/time.h"
#include "pg/ident.h"

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
bool
archive_whole_fingerprint(ArchiveTarget *t, const char *qualified, bool via_parent, TimeRange slice,
						  char *out, size_t outlen, EbbError *err)
{
	PGresult *res;
	Buf sql;

	buf_init(&sql);
	if (via_parent)
	{
		/* A compressed chunk's rows are not row versions of the chunk: their text is hashed
		 * (an UPDATE that leaves the count changes the sum too). */
		buf_append_str(&sql, "SELECT pg_catalog.count(*), coalesce(pg_catalog.sum("
							 "pg_catalog.hashtextextended(r::text, 0)::numeric), 0) FROM "
							 "(SELECT * FROM ");
		archive_whole_source(t, qualified, true, slice, &sql);
		buf_append_str(&sql, ") r");
	}
	else
		buf_printf(&sql,
				   "SELECT pg_catalog.count(*), coalesce(pg_catalog.sum("
				   "pg_catalog.hashtextextended(r.ctid::text || r.xmin::text, 0)::numeric), 0)"
				   " FROM ONLY %s r",
				   qualified);
	bool ok = pg_query(t->conn, buf_cstr(&sql), 0, NULL, &res, err);
	buf_free(&sql);
	if (!ok)
		return false;
	char cols[ARCHIVE_DIGEST_LEN];
	ok = archive_digest(t->conn, qualified, 0, false, cols, err);
	snprintf(out, outlen, "%s:%s:%s%s", PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), cols,
			 via_parent ? WHOLE_VIA_PARENT : "");
	PQclear(res);
	return ok;
}

void
archive_whole_source(const ArchiveTarget *t, const char *qualified, bool via_parent,
					 TimeRange slice, Buf *out)
{
	if (!via_parent)
	{
		buf_printf(out, "ONLY %s", qualified);
		return;
	}
	buf_printf(out, "%s WHERE ", t->table_rel);
	archive_sql_range_condition(t, slice, out);
}

/* Full jitter over an exponential backoff from 100 ms, capped at 5 s (common/retry.h). */
void
archive_whole_backoff(int attempt)
{
	static unsigned rand_state;

	if (!rand_state)
		rand_state = (unsigned) time(NULL) ^ (unsigned) getpid();
	retry_sleep_ms(retry_backoff_ms(attempt, 100, 5000, &rand_state));
}

/* Removes an object (and its manifest) that no ledger row names any more; gc does it later if
 * this fails. */
void
archive_whole_remove_unlisted(ArchiveTarget *t, const char *key)
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

static void
copy_sql(const ArchiveTarget *t, const char *qualified, bool via_parent, TimeRange slice, Buf *sql)
{
	buf_append_str(sql, "COPY (SELECT ");
	archive_sql_column_list(&t->info.shape, sql);
	buf_append_str(sql, " FROM ");
	archive_whole_source(t, qualified, via_parent, slice, sql);
	buf_printf(sql, ") TO STDOUT%s", t->info.shape.binary ? " (FORMAT binary)" : "");
}

/* The rows written into a partition after T1 (late rows) are in the detached table too: it is
 * archived again, whole, as a new object that replaces the first in the ledger. */
bool
archive_whole_again(ArchiveTarget *t, ArchivePending *p, const char *qualified, EbbError *err)
{
	ArchivedObject obj;
	char name[300], old[1024];
	Buf sql;

	/* A key of its own each time: an again of an again in the same run must neither overwrite
	 * the object it replaces nor remove it as the one replaced */
	snprintf(name, sizeof(name), "%s-again%d",
			 strchr(p->name, '.') ? strchr(p->name, '.') + 1 : p->name, ++t->agains);
	archive_object_init(t, p->window, p->window, name, &obj);
	obj.partition_oid = p->oid;
	obj.partition_name = p->name;
	obj.partition_bound = p->bound;
	buf_init(&sql);
	buf_printf(&sql, "LOCK TABLE %s IN SHARE MODE", qualified);
	char print[160];
	obj.partition_fingerprint = print;
	bool ok =
		pg_exec(t->conn, "BEGIN", err) && pg_exec(t->conn, buf_cstr(&sql), err) &&
		archive_check_unchanged(t->conn, "", qualified, 0, false, t->cols_digest, t->policy, err) &&
		archive_whole_fingerprint(t, qualified, p->via_parent, p->window, print, sizeof(print),
								  err) &&
		catalog_ledger_delete(t->conn, p->key, err);
	buf_reset(&sql);
	copy_sql(t, qualified, p->via_parent, p->window, &sql);
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
		log_warning("%s %s was emptied after it was archived", archive_whole_kind(t), qualified);
		p->rows = 0;
		/* what the empty relation's fingerprint is now: the removal's check then holds */
		snprintf(p->fingerprint, sizeof(p->fingerprint), "%s", print);
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
	archive_crash_point("archived-again");
	archive_manifest_flush(t);
	/* The first object is in no ledger row now: remove it and its manifest (an empty
	 * partition had none). */
	if (old[0] && strcmp(old, p->key) != 0)
		archive_whole_remove_unlisted(t, old);
	return true;
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
	archive_sql_time_us(t, buf_cstr(&expr), &sql);
	buf_append_str(&sql, " FROM ");
	archive_whole_source(t, leaf->qualified, leaf->compressed,
						 (TimeRange){leaf->lower, leaf->upper}, &sql);
	bool ok = archive_sql_query_int64(t->conn, buf_cstr(&sql), 0, NULL, newest, empty, err);
	buf_free(&sql);
	buf_free(&expr);
	return ok;
}

/* T1: the partition's rows become an object and a ledger row; nothing is deleted. *skip when
 * the partition turned out to hold a row at or after the cutoff. */
bool
archive_whole_leaf(ArchiveTarget *t, const PartLeaf *leaf, ArchivePending *p, bool *skip,
				   EbbError *err)
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
			  archive_whole_fingerprint(t, leaf->qualified, leaf->compressed, r, p->fingerprint,
										sizeof(p->fingerprint), err);
	obj.partition_fingerprint = p->fingerprint;
	if (ok && !empty && newest >= t->cutoff)
	{
		char when[64];
		time_format_sql(newest, t->info.time_is_tz, when, sizeof(when));
		log_warning("%s %s holds a row at %s, not before the cutoff: it is not dropped "
					"(its old rows are archived row by row)",
					archive_whole_kind(t), pg_display_name(leaf->schema, leaf->name).s, when);
		*skip = true;
	}
	buf_reset(&sql);
	copy_sql(t, leaf->qualified, leaf->compressed, r, &sql);
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
	p->via_parent = leaf->compressed;
	snprintf(p->key, sizeof(p->key), "%s", obj.rows ? obj.key : "");
	snprintf(p->bound, sizeof(p->bound), "%s", leaf->bound);
	if (obj.rows)
		log_info("%s %s: archived %" PRIu64 " rows to \"%s\"", archive_whole_kind(t),
				 pg_display_name(leaf->schema, leaf->name).s, obj.rows, obj.key);
	archive_crash_point("partition-archived");
	return true;
}

/* The ledger's partitions archived but not yet removed (a crash, or a lock that did not come). */
bool
archive_whole_load_pending(ArchiveTarget *t, ArchivePending **out, int *n, EbbError *err)
{
	CatalogLedgerFilter f = {
		.schema = t->policy->schema, .table = t->policy->table, .partition_archived = true};
	CatalogLedgerRows rows;

	if (!catalog_ledger_select(t->conn, &f, &rows, err))
		return false;
	*n = rows.n;
	*out = ebb_malloc(sizeof(ArchivePending) * (size_t) (*n ? *n : 1));
	for (int i = 0; i < *n; i++)
	{
		const CatalogLedgerEntry *e = &rows.rows[i];
		ArchivePending *p = &(*out)[i];
		memset(p, 0, sizeof(*p));
		snprintf(p->key, sizeof(p->key), "%s", e->key);
		p->rows = e->rows;
		p->oid = e->partition_oid;
		snprintf(p->name, sizeof(p->name), "%s", e->partition_name);
		snprintf(p->bound, sizeof(p->bound), "%s", e->partition_bound);
		snprintf(p->fingerprint, sizeof(p->fingerprint), "%s", e->partition_fingerprint);
		size_t len = strlen(p->fingerprint), tail = strlen(WHOLE_VIA_PARENT);
		p->via_parent = len > tail && strcmp(p->fingerprint + len - tail, WHOLE_VIA_PARENT) == 0;
		p->window.start = e->window_start;
		p->window.end = e->window_end;
	}
	catalog_ledger_rows_free(&rows);
	return true;
}

const char *
archive_whole_kind(const ArchiveTarget *t)
{
	return t->hypertable.is ? "chunk" : "partition";
}
