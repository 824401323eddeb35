/* manifest.c: an archived object's manifest (catalog/manifest.h), written after COMMIT (see
 * manifest.h). */
#include "archive/manifest.h"

#include <stdio.h>
#include <string.h>

#include "archive/ledger.h"
#include "catalog/ledger.h"
#include "catalog/manifest.h"
#include "common/log.h"

static void
manifest_build(const ArchiveTarget *t, const ArchivedObject *obj, const StrList *supersedes,
			   Buf *out)
{
	CatalogManifest m = {.run_id = obj->run_id,
						 .system_identifier = t->sysid,
						 .database = t->dbname,
						 .schema = t->policy->schema,
						 .table = t->policy->table,
						 .time_column = t->policy->time_column,
						 .time_utc = t->info.time_is_tz,
						 .window_start = obj->window.start,
						 .window_end = obj->window.end,
						 .range_start = obj->piece.start,
						 .range_end = obj->piece.end,
						 .object = obj->key,
						 .format = t->policy->format,
						 .compression = t->policy->compress,
						 .rows = obj->rows,
						 .bytes = obj->bytes,
						 .sha256 = obj->sha256,
						 .columns_json = obj->columns_json,
						 .generated = t->info.generated,
						 .ngenerated = t->info.ngenerated,
						 .supersedes = supersedes};

	catalog_manifest_build(&m, out);
}

/* Writes the file only; manifest_write also sets the ledger flag. */
static bool
manifest_put(ArchiveTarget *t, const ArchivedObject *obj, const StrList *supersedes, EbbError *err)
{
	Buf json;
	char key[1100];

	buf_init(&json);
	manifest_build(t, obj, supersedes, &json);
	snprintf(key, sizeof(key), "%s" CATALOG_MANIFEST_SUFFIX, obj->key);
	bool ok = store_put(&t->store, key, json.data, json.len, err);
	buf_free(&json);
	return ok;
}

/* A crash's missing manifest: what the object supersedes is read from the ledger again. */
static bool
manifest_write(ArchiveTarget *t, const ArchivedObject *obj, EbbError *err)
{
	StrList supersedes = {0};
	bool ok =
		(!t->has_restored || catalog_ledger_superseded_by(t->conn, obj->key, &supersedes, err)) &&
		manifest_put(t, obj, &supersedes, err) &&
		archive_ledger_mark_manifest(t->conn, obj->key, err);

	strlist_clear(&supersedes);
	return ok;
}

/* Writes the manifests that a crash between COMMIT and the manifest left missing. */
bool
archive_manifest_repair(ArchiveTarget *t, EbbError *err)
{
	CatalogLedgerFilter f = {.schema = t->policy->schema,
							 .table = t->policy->table,
							 .dest = t->store.url,
							 .missing_manifest = true};
	CatalogLedgerRows rows;

	if (!catalog_ledger_select(t->conn, &f, &rows, err))
		return false;
	bool ok = true;
	for (int i = 0; ok && i < rows.n; i++)
	{
		const CatalogLedgerEntry *e = &rows.rows[i];
		ArchivedObject obj = {0};
		snprintf(obj.key, sizeof(obj.key), "%s", e->key);
		obj.rows = e->rows;
		obj.bytes = e->bytes;
		snprintf(obj.sha256, sizeof(obj.sha256), "%s", e->sha256);
		obj.run_id = e->run_id;
		obj.columns_json = e->columns_json;
		obj.window.start = e->window_start;
		obj.window.end = e->window_end;
		obj.piece = obj.window;
		log_info("writing the missing manifest of \"%s\"", obj.key);
		ok = manifest_write(t, &obj, err);
	}
	catalog_ledger_rows_free(&rows);
	return ok;
}

/* Writes the manifest of the last committed object; its ledger flag follows later. */
void
archive_manifest_flush(ArchiveTarget *t)
{
	EbbError err;

	if (!t->has_pending)
		return;
	t->has_pending = false;
	error_init(&err);
	if (manifest_put(t, &t->pending, &t->pending_supersedes, &err))
		strlist_add(&t->manifests_done, t->pending.key);
	else
		log_warning("could not write the manifest of \"%s\" (the next run writes it): %s",
					t->pending.key, err.message);
}

/* At the end of a table's run: the last manifest, and the flags not yet committed. */
void
archive_manifest_finish(ArchiveTarget *t)
{
	EbbError err;

	archive_manifest_flush(t);
	error_init(&err);
	if (t->manifests_done.count > 0 && PQstatus(t->conn) == CONNECTION_OK &&
		PQtransactionStatus(t->conn) == PQTRANS_IDLE &&
		!archive_ledger_mark_manifests(t->conn, &t->manifests_done, &err))
		log_warning("could not record written manifests (the next run checks them): %s",
					err.message);
	strlist_clear(&t->manifests_done);
}
