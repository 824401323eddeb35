/*
 * manifest.h: the manifest, the JSON object stored beside each committed object (its key plus
 * CATALOG_MANIFEST_SUFFIX), written after COMMIT. It repeats the ledger row, so that the store
 * alone says what each object holds: verify compares the two, and restore reads manifests when
 * the database that held the ledger is gone.
 */
#ifndef EBB_CATALOG_MANIFEST_H
#define EBB_CATALOG_MANIFEST_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "pg/catalog.h"

#define CATALOG_MANIFEST_SUFFIX    ".manifest.json"
#define CATALOG_MANIFEST_MAX_BYTES (1024 * 1024) /* ebb's are about 1 kB plus the columns */

/* What a manifest says; the strings are the caller's (build) or the manifest's (parse). */
typedef struct CatalogManifest
{
	const char *run_id;
	const char *system_identifier; /* NULL when unknown */
	const char *database;
	const char *schema;
	const char *table;
	const char *time_column;
	bool time_utc;        /* timestamptz (windows in UTC) */
	int64_t window_start; /* microseconds since the epoch */
	int64_t window_end;
	int64_t range_start; /* the part of the window this object holds */
	int64_t range_end;
	const char *object;
	const char *format;
	const char *compression;
	uint64_t rows;
	uint64_t bytes;
	const char *sha256;
	const char *columns_json; /* the ledger's columns: [{"name":..,"type":..}, ...] */
	const GeneratedColumn *generated;
	int ngenerated;
	/* Objects whose rows a restore put back into the table and this object archived again:
	 * a restore from manifests skips them. NULL or empty: none (the member is left out). */
	const StrList *supersedes;
} CatalogManifest;

void catalog_manifest_build(const CatalogManifest *m, Buf *out);

#endif
