/* migrations.c: the numbered migrations of ebb's tables (see migrations.h). */
#include "catalog/migrations.h"

#include "catalog/catalog.h"

/*
 * 1: the schema of the ebbs that kept no version, created idempotently (IF NOT EXISTS
 * throughout), so that a database archived by one of them upgrades in place with its rows.
 * A whole partition's object records which partition (its oid and name when archived), its
 * bound, and how far its removal got: 'archived' (still attached or detached, not yet
 * dropped), 'dropped', or 'kept' (detached and kept).
 */
static const char migration_1[] = "CREATE SCHEMA IF NOT EXISTS ebb;"
								  "CREATE TABLE IF NOT EXISTS ebb.archive_ledger ("
								  " id bigserial PRIMARY KEY,"
								  " run_id text NOT NULL,"
								  " table_schema text NOT NULL,"
								  " table_name text NOT NULL,"
								  " time_column text NOT NULL,"
								  " window_utc boolean NOT NULL,"
								  " window_start timestamp NOT NULL,"
								  " window_end timestamp NOT NULL,"
								  " dest text NOT NULL,"
								  " object_key text NOT NULL UNIQUE,"
								  " rows bigint NOT NULL,"
								  " bytes bigint NOT NULL,"
								  " sha256 text NOT NULL,"
								  " format text NOT NULL,"
								  " compression text NOT NULL,"
								  " columns jsonb NOT NULL,"
								  " ebb_version text NOT NULL,"
								  " archived_at timestamptz NOT NULL DEFAULT pg_catalog.now(),"
								  " manifest_written boolean NOT NULL DEFAULT false);"
								  "CREATE INDEX IF NOT EXISTS archive_ledger_table_window"
								  " ON ebb.archive_ledger (table_schema, table_name, window_start);"
								  "CREATE TABLE IF NOT EXISTS ebb.archive_run ("
								  " run_id text NOT NULL,"
								  " table_schema text NOT NULL,"
								  " table_name text NOT NULL,"
								  " started_at timestamptz NOT NULL DEFAULT pg_catalog.now(),"
								  " finished_at timestamptz,"
								  " status text NOT NULL,"
								  " rows bigint NOT NULL DEFAULT 0,"
								  " bytes bigint NOT NULL DEFAULT 0,"
								  " objects bigint NOT NULL DEFAULT 0,"
								  " message text,"
								  " PRIMARY KEY (run_id, table_schema, table_name));"
								  "ALTER TABLE ebb.archive_ledger"
								  " ADD COLUMN IF NOT EXISTS partition_oid oid,"
								  " ADD COLUMN IF NOT EXISTS partition_name text,"
								  " ADD COLUMN IF NOT EXISTS partition_bound text,"
								  " ADD COLUMN IF NOT EXISTS partition_fingerprint text,"
								  " ADD COLUMN IF NOT EXISTS partition_state text;"
								  "CREATE TABLE IF NOT EXISTS ebb.schema_version ("
								  " version int4 PRIMARY KEY,"
								  " summary text NOT NULL,"
								  " ebb_version text NOT NULL,"
								  " migrated_at timestamptz NOT NULL DEFAULT pg_catalog.now())";

/*
 * 2: whose advisory lock a run holds (its table's oid, its backend's pid), so that a run that
 * died without recording its outcome is told from one still working: its lock is free (or
 * held by another backend). Rows from before stay NULL: the table's oid now, any backend.
 */
static const char migration_2[] = "ALTER TABLE ebb.archive_run"
								  " ADD COLUMN table_oid oid,"
								  " ADD COLUMN backend_pid int4";

/*
 * 3: what ebb restore put back, one row per object and target table, written in the
 * transaction that loads the object: a re-run (or a run after a crash) skips what is here.
 */
static const char migration_3[] =
	"CREATE TABLE ebb.restore_ledger ("
	" id bigserial PRIMARY KEY,"
	" run_id text NOT NULL,"
	" object_key text NOT NULL,"
	" source_schema text NOT NULL,"
	" source_table text NOT NULL,"
	" target_schema text NOT NULL,"
	" target_table text NOT NULL,"
	" rows bigint NOT NULL,"
	" restored_at timestamptz NOT NULL DEFAULT pg_catalog.now(),"
	" ebb_version text NOT NULL);"
	"CREATE INDEX restore_ledger_object"
	" ON ebb.restore_ledger (object_key, target_schema, target_table)";

/*
 * 4: an object's rows that ebb restore put back into the archived table itself: when and by
 * which run. They are older than the table's policy keeps (or were, when archived), so the
 * next archive run takes them again; ebb status shows the windows marked so.
 */
static const char migration_4[] =
	"ALTER TABLE ebb.archive_ledger"
	" ADD COLUMN restored_at timestamptz,"
	" ADD COLUMN restored_run text;"
	"CREATE INDEX archive_ledger_restored ON ebb.archive_ledger"
	" (table_schema, table_name, window_start) WHERE restored_at IS NOT NULL";

static const CatalogMigration migrations[] = {
	{1, "the ledger and the runs", migration_1},
	{2, "the table oid and backend pid of each run", migration_2},
	{3, "the ledger of restored objects", migration_3},
	{4, "archived objects restored into their own table", migration_4},
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == CATALOG_VERSION,
			   "CATALOG_VERSION is the number of the last migration");

const CatalogMigration *
catalog_migrations(int *count)
{
	*count = (int) (sizeof(migrations) / sizeof(migrations[0]));
	return migrations;
}
