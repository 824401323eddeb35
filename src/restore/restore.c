/* restore.c: see restore.h. */
#include "restore/restore.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog.h"
#include "catalog/ledger.h"
#include "catalog/restores.h"
#include "catalog/table_lock.h"
#include "common/cancel.h"
#include "common/log.h"
#include "common/text.h"
#include "common/testpoint.h"
#include "pg/ident.h"
#include "pg/pg.h"
#include "pg/time_range.h"
#include "restore/fetch.h"
#include "restore/load.h"
#include "restore/manifests.h"
#include "restore/partitions.h"
#include "restore/target.h"
#include "store/store.h"

typedef struct Restore
{
	PGconn *conn;
	const Settings *s;
	const Policy *p;
	const char *run_id;
	RestoreTarget target;
	RestorePartitions parts; /* the partitions its rows may need */
	StrList would_create;    /* dry run: the partitions it would create (schema.name) */
	Store store;
	char *store_url; /* the open store's, or NULL */
	RestoreReportFn report;
	void *arg;
	RestoreCounts *counts;
	bool restores_absent;      /* dry run on a catalog before version 3: nothing restored yet */
	int catalog_version;       /* of ebb's tables during the run */
	int64_t oldest_window_end; /* of the objects restored; INT64_MAX: none */
	int index;                 /* the object being restored (1-based) of total */
	int total;
} Restore;

static bool
open_store(Restore *r, const char *url, EbbError *err)
{
	if (r->store_url && strcmp(r->store_url, url) == 0)
		return true;
	if (r->store_url)
	{
		store_close(&r->store);
		free(r->store_url);
		r->store_url = NULL;
	}
	if (!store_open(url, &r->s->store, &r->store, err))
		return false;
	r->store_url = ebb_strdup(url);
	return true;
}

/* The rows of the staging table whose key the target holds (dry run: counted, not met). */
static bool
count_conflicts(Restore *r, int64_t *conflicts, EbbError *err)
{
	Buf sql;
	PGresult *res;
	int n = 0;

	*conflicts = -1;
	if (r->target.nkey == 0)
		return true;
	buf_init(&sql);
	buf_printf(&sql,
			   "SELECT pg_catalog.count(*) FROM pg_temp.ebb_restore_stage s WHERE EXISTS"
			   " (SELECT 1 FROM %s t WHERE ",
			   buf_cstr(&r->target.qualified));
	for (int i = 0; i < r->target.ncolumns; i++)
	{
		if (!r->target.columns[i].key)
			continue;
		buf_append_str(&sql, n++ ? " AND t." : "t.");
		pg_quote_ident(&sql, r->target.columns[i].name);
		buf_append_str(&sql, " = s.");
		pg_quote_ident(&sql, r->target.columns[i].name);
	}
	buf_append_str(&sql, ")");
	bool ok = pg_query(r->conn, buf_cstr(&sql), 0, NULL, &res, err);
	buf_free(&sql);
	if (!ok)
		return false;
	*conflicts = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return true;
}

static void
conflict_clause(Restore *r, const RestoreLoadResult *lr, Buf *sql)
{
	const char *mode = r->s->on_conflict ? r->s->on_conflict : "error";
	int n = 0;

	if (strcmp(mode, "error") == 0)
		return;
	if (strcmp(mode, "skip") == 0 || lr->update_set.len == 0)
	{
		buf_append_str(sql, " ON CONFLICT DO NOTHING");
		return;
	}
	buf_append_str(sql, " ON CONFLICT (");
	for (int i = 0; i < r->target.ncolumns; i++)
		if (r->target.columns[i].key)
		{
			if (n++)
				buf_append_str(sql, ", ");
			pg_quote_ident(sql, r->target.columns[i].name);
		}
	buf_printf(sql, ") DO UPDATE SET %s", buf_cstr((Buf *) &lr->update_set));
}

static bool
insert_rows(Restore *r, const RestoreLoadResult *lr, uint64_t *inserted, EbbError *err)
{
	Buf sql;
	PGresult *res;

	buf_init(&sql);
	buf_printf(&sql, "INSERT INTO %s (%s)%s SELECT %s FROM pg_temp.ebb_restore_stage",
			   buf_cstr(&r->target.qualified), buf_cstr((Buf *) &lr->columns),
			   lr->identity ? " OVERRIDING SYSTEM VALUE" : "", buf_cstr((Buf *) &lr->columns));
	conflict_clause(r, lr, &sql);
	bool ok = pg_query(r->conn, buf_cstr(&sql), 0, NULL, &res, err);
	buf_free(&sql);
	if (!ok)
	{
		if (strcmp(err->sqlstate, "23505") == 0)
			error_hint(err, "The target holds rows with these keys already: use --on-conflict "
							"skip or update, or restore --into another table.");
		else if (strcmp(err->sqlstate, "23514") == 0 && strstr(err->message, "no partition of") &&
				 r->parts.active)
			error_hint(err, "No partition takes the row: another partition covers part of its "
							"interval, or its time is infinite. Create one that takes it (or a "
							"DEFAULT partition), then restore again.");
		else if (strcmp(err->sqlstate, "23514") == 0 && strstr(err->message, "no partition of"))
			error_hint(err, "A row's partition is gone: restore with --create-partitions and "
							"--interval, or create it (ebb partition) or a DEFAULT partition, "
							"then restore again.");
		return false;
	}
	*inserted = strtoull(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return true;
}

static const char *
conflict_mode(const Restore *r)
{
	return r->s->on_conflict ? r->s->on_conflict : "error";
}

/* Every row of the object is in the table, or met a key it held (skip): a row that a trigger
 * or a rule discarded is no conflict, and the object is not restored. */
static bool
check_arrived(Restore *r, const CatalogLedgerEntry *e, const RestoreObjectEvent *ev, EbbError *err)
{
	uint64_t expected = e->rows;

	if (strcmp(conflict_mode(r), "skip") == 0)
	{
		if (ev->conflicts < 0)
			return true; /* no key to count them by: what did not arrive was skipped */
		expected -= (uint64_t) ev->conflicts < expected ? (uint64_t) ev->conflicts : expected;
	}
	if (ev->inserted >= expected)
		return true;
	error_set(
		err, EBB_ERR_DATA, "%" PRIu64 " of the object's %" PRIu64 " rows did not arrive in %s",
		expected - ev->inserted, e->rows, pg_message_name(r->target.schema, r->target.table).s);
	error_detail(err,
				 "A trigger or a rule on the table discarded them; the object is not restored.");
	error_hint(err,
			   "Disable the trigger or rule for the restore, or restore --into another table.");
	return false;
}

/*
 * Makes the partition again, as archived, under a savepoint: a bound that now overlaps another
 * partition (old days merged into a month), or one that the root cannot take (the partition
 * was a leaf of a sub-partitioned table: the ledger does not say under which parent) leaves
 * the table as it is, and the rows go where it routes them (or fail their object, with a hint).
 */
static bool
recreate_exec(Restore *r, const CatalogLedgerEntry *e, const char *schema, const char *name,
			  int *created, EbbError *err)
{
	char sqlstate[6];
	EbbError why;
	Buf sql;

	buf_init(&sql);
	buf_append_str(&sql, "CREATE TABLE ");
	pg_quote_qualified(&sql, schema, name);
	buf_printf(&sql, " PARTITION OF %s %s", buf_cstr(&r->target.qualified), e->partition_bound);
	log_info("creating partition %s again, as archived: %s", pg_message_name(schema, name).s,
			 e->partition_bound);
	error_init(&why);
	bool ok = pg_exec(r->conn, "SAVEPOINT ebb_partition", err);
	if (ok && pg_exec_state(r->conn, buf_cstr(&sql), sqlstate, &why))
		++*created;
	else if (ok && (strcmp(sqlstate, "42P17") == 0 || strcmp(sqlstate, "42P16") == 0))
	{
		log_info("partition %s not made again (%s): its rows go where the table routes them",
				 pg_message_name(schema, name).s, why.message);
		ok = pg_exec(r->conn, "ROLLBACK TO SAVEPOINT ebb_partition", err);
	}
	else if (ok)
	{
		*err = why;
		error_prefix(err, "could not create partition %s again: ", pg_message_name(schema, name).s);
		ok = false;
	}
	buf_free(&sql);
	return ok;
}

/*
 * A whole partition's object whose partition ebb dropped: when the archived table itself is
 * the target, is partitioned and has no DEFAULT partition (which would take the rows), and no
 * relation has the partition's name, the partition is made again as the ledger recorded it
 * (name and bound), in the transaction that loads it, after the rows are staged (the parent's
 * ACCESS EXCLUSIVE lock is then held for the insert only). A dry run names it, once.
 */
/* A dry run's partition: said and counted once per run. */
static void
would_create(Restore *r, const char *schema, const char *name, const char *bound, int *created)
{
	char qualified[600];

	snprintf(qualified, sizeof(qualified), "%s.%s", schema, name);
	if (strlist_contains(&r->would_create, qualified))
		return;
	strlist_add(&r->would_create, qualified);
	log_info("would create partition %s again, as archived: %s", pg_message_name(schema, name).s,
			 bound);
	++*created;
}

static bool
recreate_partition(Restore *r, const CatalogLedgerEntry *e, int *created, EbbError *err)
{
	char oid[16];
	PGresult *res;

	if (r->s->into || r->s->create_partitions < 0 || r->target.relkind != 'p' ||
		strcmp(e->partition_state, "dropped") != 0 || !e->partition_name[0] ||
		!e->partition_bound[0] || !strchr(e->partition_name, '.'))
		return true;
	snprintf(oid, sizeof(oid), "%u", r->target.oid);
	const char *dot = strchr(e->partition_name, '.');
	char *schema = ebb_strdup(e->partition_name);
	schema[dot - e->partition_name] = '\0';
	const char *name = dot + 1;
	const char *params[3] = {oid, schema, name};
	bool ok = pg_query(r->conn,
					   "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i"
					   " JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid WHERE i.inhparent ="
					   " $1::oid AND pg_catalog.pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT')"
					   " OR EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN"
					   " pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
					   " WHERE n.nspname = $2 AND c.relname = $3)",
					   3, params, &res, err);
	if (ok)
	{
		bool skip = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		PQclear(res);
		if (!skip && r->s->dry_run)
			would_create(r, schema, name, e->partition_bound, created);
		else if (!skip)
			ok = recreate_exec(r, e, schema, name, created, err);
	}
	free(schema);
	return ok;
}

/* Rows back in the table they were archived from: its ledger row says so (ebb status shows
 * the window until an archive run takes its rows again). */
static bool
mark_restored(Restore *r, const CatalogLedgerEntry *e, EbbError *err)
{
	if (strcmp(r->target.schema, e->schema) != 0 || strcmp(r->target.table, e->table) != 0)
		return true;
	return catalog_ledger_mark_restored(r->conn, e->key, r->run_id, err);
}

/* Loads the fetched object and records it, in one transaction. */
static bool
load_object(Restore *r, const CatalogLedgerEntry *e, const char *path, RestoreObjectEvent *ev,
			EbbError *err)
{
	RestoreLoadResult lr;

	memset(&lr, 0, sizeof(lr));
	CatalogRestore rec = {r->run_id,        e->key,          e->schema, e->table,
						  r->target.schema, r->target.table, e->rows};

	testpoint_reached("restore-before-load");
	int created = 0;
	bool ok = pg_exec(r->conn, "BEGIN", err) &&
			  restore_load(r->conn, &r->target, &r->s->ignore_columns, path, e->format,
						   e->compression, &lr, err) &&
			  recreate_partition(r, e, &created, err) &&
			  restore_partitions_make(r->conn, &r->parts, &lr,
									  r->s->dry_run ? &r->would_create : NULL, &created, err);
	if (ok && lr.rows != e->rows)
	{
		error_set(err, EBB_ERR_VERIFY,
				  "object \"%s\" holds %" PRIu64 " rows; the ledger says %" PRIu64, e->key, lr.rows,
				  e->rows);
		ok = false;
	}
	testpoint_reached("restore-loaded");
	if (ok && r->s->dry_run)
		ok = count_conflicts(r, &ev->conflicts, err);
	else if (ok)
		ok = (strcmp(conflict_mode(r), "skip") != 0 || count_conflicts(r, &ev->conflicts, err)) &&
			 insert_rows(r, &lr, &ev->inserted, err) && check_arrived(r, e, ev, err) &&
			 restore_target_sync_sequences(r->conn, &r->target, err) &&
			 catalog_restores_insert(r->conn, &rec, err) && mark_restored(r, e, err);
	restore_load_result_free(&lr);
	testpoint_reached("restore-before-commit");
	if (ok && !r->s->dry_run)
		ok = pg_exec(r->conn, "COMMIT", err);
	else
	{
		EbbError ignored;
		pg_exec(r->conn, "ROLLBACK", &ignored);
	}
	if (ok)
		r->counts->partitions += (uint64_t) created; /* a dry run's: would be created */
	if (ok && !r->s->dry_run)
		testpoint_reached("restore-committed");
	return ok;
}

/*
 * An error of the target rather than of the object: every object would meet it (a column of
 * another type, a privilege or row-level security, an ON CONFLICT without a matching index),
 * so the table stops at the first. SQLSTATE class 42, and a value the column's type cannot
 * read (22P02).
 */
static bool
target_error(const EbbError *err)
{
	return strncmp(err->sqlstate, "42", 2) == 0 || strcmp(err->sqlstate, "22P02") == 0;
}

/* COPY's context ("COPY ebb_restore_stage, line N, column C: ...") said as the user knows
 * it: the archived column and the row of the object. */
static void
explain_copy_context(EbbError *err)
{
	const char *line = strstr(err->detail, ", line "), *col = strstr(err->detail, ", column ");
	const char *end = col ? strstr(col, ": \"") : NULL;

	if (!line || !col || !end || col < line)
		return;
	char name[256];
	long row = strtol(line + 7, NULL, 10);
	snprintf(name, sizeof(name), "%.*s", (int) (end - col - 9), col + 9);
	error_detail(err,
				 "The archived column \"%s\" (row %ld of the object) does not fit the "
				 "target's column of that name.",
				 name, row);
}

static bool
restore_object(Restore *r, const CatalogLedgerEntry *e, EbbError *err)
{
	RestoreObjectEvent ev = {.key = e->key,
							 .rows = e->rows,
							 .bytes = e->bytes,
							 .conflicts = -1,
							 .index = r->index,
							 .total = r->total};
	StoreSpool f = {.path = ""};
	EbbError oerr;
	bool done;

	error_init(&oerr);
	/* A partition archived whole is removed after its object committed: until then (or when
	 * it was released, no longer part of the table) its rows are still in a table. */
	if (strcmp(e->partition_state, "archived") == 0 || strcmp(e->partition_state, "released") == 0)
	{
		ev.status = RESTORE_OBJECT_HELD;
		r->counts->held++;
		r->report(r->arg, &ev);
		return true;
	}
	/* Its rows went back into the table and out again into a later object: restoring both
	 * would load them twice. */
	if (e->superseded)
	{
		ev.status = RESTORE_OBJECT_SUPERSEDED;
		r->counts->superseded++;
		r->report(r->arg, &ev);
		return true;
	}
	done = false;
	if (!r->restores_absent &&
		!catalog_restores_done(r->conn, e->key, r->target.schema, r->target.table, &done, err))
		return false;
	if (done && !r->s->again)
	{
		ev.status = RESTORE_OBJECT_DONE_BEFORE;
		r->counts->done_before++;
		r->report(r->arg, &ev);
		return true;
	}
	bool ok = open_store(r, e->dest, &oerr) &&
			  restore_fetch(&r->store, e->key, e->bytes, e->sha256, &f, &oerr) &&
			  load_object(r, e, f.path, &ev, &oerr);
	store_spool_remove(&f);
	if (!ok && oerr.code != EBB_ERR_CONFIG && !strstr(oerr.message, e->key))
		error_prefix(&oerr, "object \"%s\": ", e->key);
	if (!ok && strncmp(oerr.sqlstate, "22", 2) == 0)
		explain_copy_context(&oerr);
	/* A lost session, a signal, or columns the target cannot take (every object would fail
	 * alike): the table stops. */
	if (PQstatus(r->conn) != CONNECTION_OK || oerr.code == EBB_ERR_CANCELED ||
		oerr.code == EBB_ERR_CONFIG || target_error(&oerr))
	{
		*err = oerr;
		return false;
	}
	ev.status = !ok             ? RESTORE_OBJECT_FAILED
				: r->s->dry_run ? RESTORE_OBJECT_WOULD_RESTORE
								: RESTORE_OBJECT_RESTORED;
	ev.err = ok ? NULL : &oerr;
	if (ok)
	{
		r->counts->objects++;
		if (e->window_end && e->window_end < r->oldest_window_end)
			r->oldest_window_end = e->window_end;
		r->counts->rows += r->s->dry_run ? e->rows : ev.inserted;
		if (ev.conflicts > 0)
			r->counts->conflicts += (uint64_t) ev.conflicts;
		else if (ev.conflicts < 0 && ev.inserted < e->rows && !r->s->dry_run)
			r->counts->conflicts += e->rows - ev.inserted;
	}
	else
		r->counts->failed++;
	r->report(r->arg, &ev);
	return true;
}

/* --into, or the archived table itself. */
static bool
target_name(const Settings *s, const Policy *p, char **schema, char **table, EbbError *err)
{
	if (!s->into)
	{
		*schema = ebb_strdup(p->schema);
		*table = ebb_strdup(p->table);
		return true;
	}
	return config_parse_qualified_name(s->into, schema, table, err);
}

static bool
check_conflict_mode(const Restore *r, EbbError *err)
{
	const char *mode = r->s->on_conflict ? r->s->on_conflict : "error";

	if (strcmp(mode, "update") == 0 && r->target.nkey > 0)
	{
		bool unique;
		if (!restore_target_key_unique(r->conn, &r->target, &unique, err))
			return false;
		if (!unique)
		{
			error_set(err, EBB_ERR_USAGE,
					  "--on-conflict update needs a unique index on the key columns of table %s",
					  pg_message_name(r->target.schema, r->target.table).s);
			error_hint(err, "Create a unique index on the --key columns, or use --key with "
							"the columns of one.");
			return false;
		}
	}
	if (strcmp(mode, "update") == 0 && r->target.nkey == 0)
	{
		error_set(err, EBB_ERR_USAGE,
				  "--on-conflict update needs a key, and table %s has no "
				  "primary key",
				  pg_message_name(r->target.schema, r->target.table).s);
		error_hint(err, "Name the columns that identify a row with --key.");
		return false;
	}
	return true;
}

/* Schema version 3 made ebb.restore_ledger: a version that says so without the table is a
 * damaged catalog, not an empty one (restoring again could duplicate every row). */
static bool
restores_ready(Restore *r, int version, RestoreOutcome *out)
{
	bool present;

	if (!catalog_restores_present(r->conn, &present, &out->err))
		return false;
	r->restores_absent = !present;
	if (present || version < 3)
		return true;
	error_set(&out->err, EBB_ERR_CONFIG,
			  "ebb.restore_ledger is missing, although ebb's tables are at version %d", version);
	error_detail(&out->err, "Without it, restore cannot tell which objects it restored before.");
	error_hint(&out->err, "Restore the table from a backup, or run DELETE FROM ebb.schema_version "
						  "WHERE version >= 3 so that the next ebb run creates it again (empty).");
	return false;
}

/* The archived table has a ledger here? (--all-databases skips a database without.) */
static bool
ledger_ready(Restore *r, bool skip_missing, RestoreOutcome *out)
{
	CatalogState st;

	if (!catalog_read(r->conn, &st, &out->err))
		return false;
	if (!st.ledger && r->s->from_manifests)
		return r->s->dry_run
				   ? (r->restores_absent = true)
				   : catalog_ensure(r->conn, &out->err) && restores_ready(r, CATALOG_VERSION, out);
	if (!st.ledger)
	{
		if (skip_missing)
		{
			out->status = RESTORE_SKIPPED;
			return false;
		}
		error_set(&out->err, EBB_ERR_CONFIG,
				  "there is no ledger (ebb.archive_ledger) here: "
				  "nothing was archived from this database");
		return false;
	}
	if (!r->s->dry_run && !catalog_ensure(r->conn, &out->err))
		return false;
	r->catalog_version = r->s->dry_run ? st.version : CATALOG_VERSION;
	return restores_ready(r, r->catalog_version, out);
}

/*
 * Two objects of different runs over one window: a later run archived rows that arrived late
 * (both are needed), or rows that a restore had put back (then the later one holds them and
 * restoring both loads them twice). The ledger tells which, and so do the manifests of this
 * ebb ("supersedes"); those of an earlier ebb cannot.
 */
static void
warn_overlaps(const RestoreManifests *m)
{
	for (int i = 1; i < m->n; i++)
	{
		const CatalogLedgerEntry *a = &m->rows[i - 1], *b = &m->rows[i];
		if (b->window_start >= a->window_end || strcmp(a->run_id, b->run_id) == 0 ||
			a->superseded || b->superseded)
			continue;
		log_warning("objects \"%s\" and \"%s\" cover overlapping windows: rows archived late, "
					"or rows a restore put back and a later run archived again, which would be "
					"restored twice",
					a->key, b->key);
		log_hint("Without the ledger ebb cannot tell which: give the table a primary key and "
				 "use --on-conflict skip.");
		return;
	}
}

static bool
restore_from_manifests(Restore *r, EbbError *err)
{
	RestoreManifests m;

	if (!r->p->dest)
	{
		error_set(err, EBB_ERR_USAGE, "--from-manifests needs --dest, the archive's URL");
		return false;
	}
	if (!open_store(r, r->p->dest, err) ||
		!restore_manifests_read(r->conn, &r->store, r->p->dest, PQdb(r->conn), r->p->schema,
								r->p->table, r->s->from, r->s->to, &m, err))
		return false;
	for (int i = 0; i < m.unmanifested.count; i++)
		log_warning("object \"%s\" has no manifest: not restored (it may be from a window that "
					"never committed)",
					m.unmanifested.items[i]);
	warn_overlaps(&m);
	bool ok = true;
	r->total = m.n;
	for (int i = 0; ok && i < m.n; i++)
	{
		r->index = i + 1;
		ok = cancel_requested ? error_set(err, EBB_ERR_CANCELED, "canceled by a signal")
							  : restore_object(r, &m.rows[i], err);
	}
	restore_manifests_free(&m);
	return ok;
}

static bool
restore_objects(Restore *r, EbbError *err)
{
	if (r->s->from_manifests)
		return restore_from_manifests(r, err);
	CatalogLedgerFilter f = {.schema = r->p->schema,
							 .table = r->p->table,
							 .dest = r->p->dest,
							 .from = r->s->from,
							 .to = r->s->to,
							 .by_window = true,
							 .superseded = r->catalog_version >= 4};
	CatalogLedgerRows rows;

	if (!catalog_ledger_select(r->conn, &f, &rows, err))
		return false;
	bool ok = true;
	for (int i = 0; ok && i < rows.n; i++)
	{
		if (cancel_requested)
			ok = error_set(err, EBB_ERR_CANCELED, "canceled by a signal");
		else
		{
			r->index = i + 1;
			r->total = rows.n;
			ok = restore_object(r, &rows.rows[i], err);
		}
	}
	catalog_ledger_rows_free(&rows);
	return ok;
}

/* Rows restored into the archived table itself, older than its policy keeps, go out again
 * with the next archive run. */
static bool
policy_clash(const Restore *r)
{
	const Policy *p = r->p;

	if (r->s->into || r->s->dry_run || p->keep_days < 0 || r->counts->objects == 0 ||
		r->oldest_window_end == INT64_MAX)
		return false;
	int64_t cutoff = (int64_t) time(NULL) * 1000000 - (int64_t) p->keep_days * 86400 * 1000000;
	return r->oldest_window_end <= cutoff;
}

void
restore_table(PGconn *conn, const Settings *s, const Policy *p, const char *run_id,
			  bool skip_missing, RestoreReportFn report, void *arg, RestoreOutcome *out)
{
	Restore r = {.conn = conn,
				 .s = s,
				 .p = p,
				 .run_id = run_id,
				 .report = report,
				 .arg = arg,
				 .oldest_window_end = INT64_MAX};
	char *schema = NULL, *table = NULL;
	bool locked = false;

	memset(out, 0, sizeof(*out));
	error_init(&out->err);
	r.counts = &out->counts;
	out->status = RESTORE_FAILED;
	if (!pg_check_time_range(conn, s->from, s->to, &out->err) ||
		!ledger_ready(&r, skip_missing, out) || !target_name(s, p, &schema, &table, &out->err) ||
		!restore_target_load(conn, schema, table, s->key, &r.target, &out->err) ||
		!check_conflict_mode(&r, &out->err) ||
		!restore_partitions_prepare(conn, &r.target, s, &r.parts, &out->err))
		goto done;
	out->target = ebb_strdup(pg_display_name(schema, table).s);
	if (!catalog_table_lock_try(conn, r.target.oid, &locked, &out->err))
		goto done;
	if (!locked)
	{
		out->status = RESTORE_BUSY;
		error_set(&out->err, EBB_ERR_BUSY, "table %s is busy: another ebb works on it",
				  pg_message_name(schema, table).s);
		goto done;
	}
	/* A commit that a server crash loses takes the object's ledger row with its rows: the next
	 * restore loads the object again. So no restore waits for its WAL flush. */
	if (!pg_exec(conn, "SET synchronous_commit = off", &out->err))
		goto unlock;
	if (restore_objects(&r, &out->err))
		out->status = RESTORE_OK;
	out->policy_clash = policy_clash(&r);
unlock:
	catalog_table_unlock(conn, r.target.oid);
done:
	if (out->status == RESTORE_FAILED && out->err.code == EBB_OK)
		out->status = RESTORE_SKIPPED;
	restore_partitions_free(&r.parts);
	strlist_clear(&r.would_create);
	restore_target_free(&r.target);
	if (r.store_url)
	{
		store_close(&r.store);
		free(r.store_url);
	}
	free(schema);
	free(table);
}

void
restore_outcome_free(RestoreOutcome *out)
{
	free(out->target);
	out->target = NULL;
}
