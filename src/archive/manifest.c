/* manifest.c: an archived object's manifest (catalog/manifest.h), written after COMMIT. */
#include <stdio.h>
#include <string.h>

#include "archive/archive.h"
#include "catalog/manifest.h"

void
archive_manifest_build(const ArchiveTarget *t, const ArchivedObject *obj, Buf *out)
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
						 .ngenerated = t->info.ngenerated};

	catalog_manifest_build(&m, out);
}

bool
archive_manifest_put(ArchiveTarget *t, const ArchivedObject *obj, EbbError *err)
{
	Buf json;
	char key[1100];

	buf_init(&json);
	archive_manifest_build(t, obj, &json);
	snprintf(key, sizeof(key), "%s" CATALOG_MANIFEST_SUFFIX, obj->key);
	bool ok = store_put(&t->store, key, json.data, json.len, err);
	buf_free(&json);
	return ok;
}

bool
archive_manifest_write(ArchiveTarget *t, const ArchivedObject *obj, EbbError *err)
{
	return archive_manifest_put(t, obj, err) &&
		   archive_ledger_mark_manifest(t->conn, obj->key, err);
}
