/* piece.c: one piece of a window, archived in one transaction (steps 2-6 of the protocol). */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive/piece.h"
#include "archive/throttle.h"
#include "archive/ledger.h"
#include "archive/manifest.h"
#include "archive/object.h"
#include "archive/safety.h"
#include "archive/sql.h"
#include "common/log.h"
#include "common/time.h"
#include "pg/copy.h"

/* The pipeline of one object: encoder -> compressor -> hash -> store writer. */
typedef struct Pipeline
{
	StoreWriter writer;
	HashSink hash;
	Sink *compressor;
	Encoder encoder;
	EncoderOptions options;
	StrList metadata;
	bool writer_open;
} Pipeline;

/* What the object says about itself, where its format can (Parquet's key-value metadata). */
static void
object_metadata(const ArchiveTarget *t, TimeRange piece, StrList *kv)
{
	char start[64], end[64];
	bool utc = t->info.time_is_tz;

	time_format_iso(piece.start, utc, start, sizeof(start));
	time_format_iso(piece.end, utc, end, sizeof(end));
	const char *pairs[][2] = {{"ebb.version", EBB_VERSION},
							  {"ebb.database", t->dbname},
							  {"ebb.schema", t->policy->schema},
							  {"ebb.table", t->policy->table},
							  {"ebb.time_column", t->policy->time_column},
							  {"ebb.range_start", start},
							  {"ebb.range_end", end},
							  {"ebb.run_id", t->run_id}};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
	{
		strlist_add(kv, pairs[i][0]);
		strlist_add(kv, pairs[i][1]);
	}
}

static bool
pipeline_open(ArchiveTarget *t, const char *key, TimeRange piece, Pipeline *pl, EbbError *err)
{
	memset(pl, 0, sizeof(*pl));
	object_metadata(t, piece, &pl->metadata);
	pl->options = t->encoder_options;
	pl->options.metadata = &pl->metadata;
	if (!store_writer_open(&t->store, key, &pl->writer, err))
	{
		store_writer_abort(&pl->writer);
		return false;
	}
	pl->writer_open = true;
	hash_sink_init(&pl->hash, pl->writer.sink);
	pl->compressor =
		compressor_create(t->compressor, &pl->hash.base, t->policy->compress_level, err);
	if (!pl->compressor)
		return false;
	encoder_open(&pl->encoder, t->encoder, &t->info.shape, &pl->options, pl->compressor);
	return encoder_begin(&pl->encoder, err);
}

static bool
pipeline_finish(Pipeline *pl, ArchivedObject *obj, EbbError *err)
{
	if (!encoder_finish(&pl->encoder, err) || !sink_finish(pl->compressor, err))
		return false;
	obj->bytes = pl->hash.bytes;
	hash_sink_result(&pl->hash, obj->sha256);
	return store_writer_commit(&pl->writer, err);
}

static void
pipeline_close(ArchiveTarget *t, Pipeline *pl, bool committed)
{
	encoder_close(&pl->encoder);
	strlist_clear(&pl->metadata);
	compressor_destroy(t->compressor, pl->compressor);
	sha256_free(&pl->hash.sha);
	if (pl->writer_open)
	{
		if (committed)
			store_writer_free(&pl->writer);
		else
			store_writer_abort(&pl->writer);
	}
}

/* Streams the started COPY through the pipeline; leaves the session out of COPY state. */
static bool
stream_rows(ArchiveTarget *t, PgCopy *copy, Pipeline *pl, ArchivedObject *obj, EbbError *err)
{
	Row row;
	bool done = false, ok;
	uint64_t server_rows = 0;

	while ((ok = pg_copy_next(copy, &row, &done, err)) && !done)
	{
		if (cancel_requested)
		{
			ok = error_set(err, EBB_ERR_CANCELED, "canceled by a signal");
			break;
		}
		if (!(ok = encoder_row(&pl->encoder, &row, err)))
			break;
		archive_crash_point("copy");
	}
	if (!ok)
	{
		if (!done && !pg_copy_abort(copy))
			log_warning("the session was lost while stopping the COPY");
		return false;
	}
	ok = pg_copy_end(copy, &server_rows, err);
	obj->rows = copy->rows;
	if (ok && server_rows != obj->rows)
		ok = error_set(err, EBB_ERR_QUERY,
					   "COPY reported %" PRIu64 " rows but %" PRIu64 " were received", server_rows,
					   obj->rows);
	return ok;
}

/*
 * Starts the COPY, and while the server begins its work, does the slow file-system work of
 * this window (the previous window's manifest, the new object's directory and file).
 */
static bool
start_window(ArchiveTarget *t, const char *sql, PgCopy *copy, Pipeline *pl, const char *key,
			 TimeRange piece, EbbError *err)
{
	if (!pg_copy_send(copy, t->conn, sql, t->info.shape.ncolumns, t->info.shape.binary, err))
		return false;
	archive_manifest_flush(t);
	bool opened = pipeline_open(t, key, piece, pl, err);
	EbbError werr;
	error_init(&werr);
	if (!pg_copy_wait(copy, opened ? err : &werr))
		return false;
	if (!opened && !pg_copy_abort(copy))
		log_warning("the session was lost while stopping the COPY");
	return opened;
}

/* COPY takes no parameters: the bounds are literals that ebb formats from integers. */
static void
build_delete_sql(ArchiveTarget *t, TimeRange piece, Buf *sql)
{
	buf_printf(sql, "COPY (DELETE FROM %s WHERE ", t->from);
	archive_sql_range_condition(t, piece, sql);
	buf_append_str(sql, " RETURNING ");
	archive_sql_column_list(&t->info.shape, sql);
	buf_append_str(sql, t->info.shape.binary ? ") TO STDOUT (FORMAT binary)" : ") TO STDOUT");
}

/* The COMMIT reply was lost: ask the ledger, on a new session, whether it happened. */
static bool
resolve_lost_commit(ArchiveTarget *t, const char *key, bool *committed, EbbError *err)
{
	PGconn *conn;
	EbbError cerr;

	error_init(&cerr);
	if (!pg_connect(t->dsn, t->dbname, &t->session, &conn, &cerr))
	{
		error_set(err, EBB_ERR_CONNECT,
				  "connection lost during COMMIT of \"%s\", and the outcome could not be checked",
				  key);
		error_detail(err, "%s", cerr.message);
		error_hint(err, "The next run resolves it: an object that the ledger does not name is an "
						"orphan, and its rows are still in the table.");
		return false;
	}
	bool ok = archive_ledger_key_committed(conn, key, committed, err);
	PQfinish(conn);
	return ok;
}

/*
 * COMMIT, and when its reply is lost with the session, the ledger's word on whether it
 * happened. *committed tells the caller whether the window is archived, even when this
 * returns false because the session (and with it the table's lock) is gone.
 */
static bool
commit_window(ArchiveTarget *t, ArchivedObject *obj, bool *committed, EbbError *err)
{
	PGresult *res = PQexec(t->conn, "COMMIT");
	bool session_lost;

	*committed = PQresultStatus(res) == PGRES_COMMAND_OK && strcmp(PQcmdStatus(res), "COMMIT") == 0;
	session_lost = PQstatus(t->conn) != CONNECTION_OK;
	if (!*committed && !session_lost)
		pg_error_from_result(t->conn, res, "could not commit", err);
	PQclear(res);
	if (session_lost && !resolve_lost_commit(t, obj->key, committed, err))
		return false;
	if (!*committed)
	{
		EbbError ignored;
		store_remove(&t->store, obj->key, &ignored); /* not in the ledger: our own orphan */
		if (session_lost)
			error_set(err, EBB_ERR_CONNECT,
					  "connection lost during COMMIT; the window was rolled back");
		return false;
	}
	if (session_lost)
		return error_set(err, EBB_ERR_CONNECT,
						 "connection lost after COMMIT of \"%s\" (the ledger shows it committed)",
						 obj->key);
	return true;
}

bool
archive_piece(ArchiveTarget *t, TimeRange piece, TimeRange window, ArchivedObject *obj,
			  EbbError *err)
{
	Buf sql;

	archive_object_init(t, piece, window, t->piece_name, obj);
	buf_init(&sql);
	build_delete_sql(t, piece, &sql);
	/* The lock the DELETE would take, taken first: DDL that would change what the DELETE
	 * touches waits for COMMIT, and the fingerprint says nothing changed before it. */
	char *lock = ebb_asprintf("LOCK TABLE %s IN ROW EXCLUSIVE MODE", t->from);
	bool ok = archive_begin_checked(t->conn, lock, t->digest_stmt, t->table_rel, t->info.oid,
									t->digest, t->policy, err);
	free(lock);
	if (ok)
		ok = archive_in_transaction(t, buf_cstr(&sql), obj, err);
	else
		archive_sql_rollback(t);
	buf_free(&sql);
	if (!ok)
		archive_fk_hint(err); /* rows of the window are still referenced */
	return ok;
}

/* Stores, verifies and records the object; COMMIT. Rolls back (and removes it) on failure. */
static bool
store_and_commit(ArchiveTarget *t, Pipeline *pl, ArchivedObject *obj, EbbError *err)
{
	bool stored = false;
	bool ok = (stored = pipeline_finish(pl, obj, err));

	pipeline_close(t, pl, stored);
	if (ok)
		archive_crash_point("object-written");
	/* A store whose commit already checked the object as stored (S3: size and ETag against the
	 * MD5s ebb computed) needs no second read of it. */
	ok = ok &&
		 (store_commit_verifies(&t->store) ||
		  store_verify(&t->store, obj->key, obj->bytes, obj->sha256, err)) &&
		 archive_ledger_insert(t, obj, err) && archive_ledger_supersedes(t, obj, err);
	if (ok)
		archive_crash_point("before-commit");
	ok = ok && archive_throttle_measure(t, err); /* the waiters this window's locks hold up */
	if (!ok || cancel_requested)
	{
		EbbError ignored;
		if (ok)
			ok = error_set(err, EBB_ERR_CANCELED, "canceled by a signal");
		archive_sql_rollback(t);
		if (stored)
			store_remove(&t->store, obj->key, &ignored);
		return false;
	}
	bool committed;
	ok = commit_window(t, obj, &committed, err);
	if (!committed)
		return false;
	strlist_clear(&t->manifests_done); /* their flags were committed with this window */
	archive_crash_point("after-commit");
	t->rows += obj->rows;
	t->bytes += obj->bytes;
	t->objects++;
	t->pending = *obj; /* its manifest is due even if the session is gone */
	t->has_pending = true;
	strlist_clear(&t->pending_supersedes);
	t->pending_supersedes = t->supersedes;
	memset(&t->supersedes, 0, sizeof(t->supersedes));
	return ok;
}

bool
archive_in_transaction(ArchiveTarget *t, const char *sql, ArchivedObject *obj, EbbError *err)
{
	Pipeline pl;
	PgCopy copy;

	memset(&pl, 0, sizeof(pl));
	bool ok = start_window(t, sql, &copy, &pl, obj->key, obj->piece, err) &&
			  stream_rows(t, &copy, &pl, obj, err);
	pg_copy_free(&copy);
	if (ok && obj->rows == 0)
	{
		/* The range emptied since it was planned: nothing to store, nothing deleted. */
		pipeline_close(t, &pl, false);
		archive_sql_rollback(t);
		return true;
	}
	if (!ok)
	{
		pipeline_close(t, &pl, false);
		archive_sql_rollback(t);
		return false;
	}
	return store_and_commit(t, &pl, obj, err);
}
