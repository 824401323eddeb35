/* catalog.c: reading the version of ebb's tables, and migrating them (see catalog.h). */
#include "catalog/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/lock_wait.h"
#include "catalog/migrations.h"
#include "common/log.h"
#include "pg/pg.h"

/* Serializes concurrent first runs of a new ebb (two would both find the version behind). */
#define MIGRATION_LOCK_SQL "SELECT pg_catalog.pg_advisory_xact_lock(7373061, 0)"

static const char *
relkind_name(char kind)
{
	switch (kind)
	{
		case 'v': return "a view";
		case 'm': return "a materialized view";
		case 'f': return "a foreign table";
		case 'p': return "a partitioned table";
		case 'S': return "a sequence";
		case 'i':
		case 'I': return "an index";
		case 'c': return "a composite type";
		default: return "not an ordinary table";
	}
}

static bool
refuse_relation(const char *name, char kind, EbbError *err)
{
	const char *what = strcmp(name, "archive_ledger") == 0 ? "its ledger of archived objects"
					   : strcmp(name, "archive_run") == 0  ? "its record of runs"
														   : "the version of its tables";

	error_set(err, EBB_ERR_CONFIG, "could not use ebb's tables: \"ebb.%s\" is %s, not a table",
			  name, relkind_name(kind));
	error_detail(err,
				 "ebb keeps %s in a table of that name, and never writes through, alters or "
				 "replaces a relation it did not create.",
				 what);
	error_hint(err,
			   "Rename or drop \"ebb.%s\", then run ebb again: an archive run creates the table.",
			   name);
	return false;
}

/* Which of ebb's tables exist, from pg_class alone (no lock on them). */
static bool
read_relations(PGconn *conn, CatalogState *st, bool *versioned, EbbError *err)
{
	PGresult *res;

	if (!pg_query(conn,
				  "SELECT c.relname, c.relkind FROM pg_catalog.pg_class c"
				  " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
				  " WHERE n.nspname = 'ebb'"
				  " AND c.relname IN ('archive_ledger', 'archive_run', 'schema_version')"
				  " ORDER BY c.relname",
				  0, NULL, &res, err))
		return false;
	for (int i = 0; i < PQntuples(res); i++)
	{
		const char *name = PQgetvalue(res, i, 0);
		char kind = PQgetvalue(res, i, 1)[0];
		if (kind != 'r')
		{
			refuse_relation(name, kind, err);
			PQclear(res);
			return false;
		}
		st->ledger |= strcmp(name, "archive_ledger") == 0;
		st->runs |= strcmp(name, "archive_run") == 0;
		*versioned |= strcmp(name, "schema_version") == 0;
	}
	PQclear(res);
	return true;
}

bool
catalog_read(PGconn *conn, CatalogState *st, EbbError *err)
{
	bool versioned = false;
	PGresult *res;

	memset(st, 0, sizeof(*st));
	if (!read_relations(conn, st, &versioned, err))
		return false;
	if (!versioned)
		return true;
	/* A plain read: it waits for nothing but an exclusive lock on this small table, which
	 * no migration takes. */
	if (!pg_query(conn,
				  "SELECT version, ebb_version FROM ebb.schema_version"
				  " ORDER BY version DESC LIMIT 1",
				  0, NULL, &res, err))
		return false;
	if (PQntuples(res) == 1)
	{
		st->version = atoi(PQgetvalue(res, 0, 0));
		snprintf(st->migrated_by, sizeof(st->migrated_by), "%s", PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	return true;
}

bool
catalog_newer_error(const CatalogState *st, EbbError *err)
{
	error_set(err, EBB_ERR_CONFIG,
			  "ebb's tables are at schema version %d, newer than this ebb knows (%d)", st->version,
			  CATALOG_VERSION);
	error_detail(err, "ebb %s migrated them; this is ebb %s, which does not write them.",
				 st->migrated_by[0] ? st->migrated_by : "(unknown)", EBB_VERSION);
	error_hint(err, "Run ebb %s or newer on this database.",
			   st->migrated_by[0] ? st->migrated_by : "of that version");
	return false;
}

/* The exclusive locks the migrations need, taken first and in one place: a wait for them is
 * the one a reader of the tables causes, and a timeout here is explained (lock_wait.c). */
static bool
lock_tables(PGconn *conn, const CatalogState *st, char state[6], EbbError *err)
{
	if (!st->ledger && !st->runs)
		return true;
	char sql[160];
	snprintf(sql, sizeof(sql), "LOCK TABLE %s%s%s IN ACCESS EXCLUSIVE MODE",
			 st->ledger ? "ebb.archive_ledger" : "", st->ledger && st->runs ? ", " : "",
			 st->runs ? "ebb.archive_run" : "");
	return pg_exec_state(conn, sql, state, err);
}

static bool
apply_migrations(PGconn *conn, int from, char state[6], EbbError *err)
{
	int n;
	const CatalogMigration *m = catalog_migrations(&n);
	char version[16];
	const char *params[3] = {version, NULL, EBB_VERSION};
	PGresult *res;

	for (int i = from; i < n; i++)
	{
		log_info("database \"%s\": migrating ebb's tables to version %d: %s", PQdb(conn),
				 m[i].version, m[i].summary);
		snprintf(version, sizeof(version), "%d", m[i].version);
		params[1] = m[i].summary;
		if (!pg_exec_state(conn, m[i].sql, state, err) ||
			!pg_query(conn,
					  "INSERT INTO ebb.schema_version (version, summary, ebb_version)"
					  " VALUES ($1::int4, $2, $3)",
					  3, params, &res, err))
			return false;
		PQclear(res);
	}
	return true;
}

/* Inside the migration's transaction, under the migration lock: read the version again
 * (another ebb may have migrated meanwhile), then apply what is still due. */
static bool
migrate_locked(PGconn *conn, char state[6], EbbError *err)
{
	CatalogState st;

	if (!catalog_read(conn, &st, err))
		return false;
	if (st.version > CATALOG_VERSION)
		return catalog_newer_error(&st, err);
	if (st.version == CATALOG_VERSION)
		return true;
	return lock_tables(conn, &st, state, err) && apply_migrations(conn, st.version, state, err);
}

/* All due migrations in one transaction: a failure leaves the tables as they were. */
static bool
migrate(PGconn *conn, EbbError *err)
{
	char state[6] = "";

	if (!pg_exec(conn, "BEGIN", err))
		return false;
	bool ok = pg_exec_state(conn, MIGRATION_LOCK_SQL, state, err) &&
			  migrate_locked(conn, state, err) && pg_exec_state(conn, "COMMIT", state, err);
	if (ok)
		return true;
	/* 55P03: the failed statement waited for a lock longer than lock_timeout. */
	bool lock_timeout = strcmp(state, "55P03") == 0;
	pg_exec(conn, "ROLLBACK", &(EbbError){0});
	if (lock_timeout)
		return catalog_lock_wait_error(conn, CATALOG_VERSION, err);
	if (err->code == EBB_ERR_QUERY)
		error_prefix(err, "could not migrate ebb's tables to version %d: ", CATALOG_VERSION);
	return false;
}

bool
catalog_ensure(PGconn *conn, EbbError *err)
{
	CatalogState st;

	if (!catalog_read(conn, &st, err))
		return false;
	if (st.version > CATALOG_VERSION)
		return catalog_newer_error(&st, err);
	return st.version == CATALOG_VERSION || migrate(conn, err);
}

void
catalog_run_alive_sql(Buf *out, int version, const char *alias, const char *oid_sql)
{
	char oid[128], pid[64];

	if (version >= 2)
	{
		snprintf(oid, sizeof(oid), "coalesce(%s.table_oid, %s)", alias, oid_sql);
		snprintf(pid, sizeof(pid), "%s.backend_pid", alias);
	}
	else
	{
		snprintf(oid, sizeof(oid), "%s", oid_sql);
		snprintf(pid, sizeof(pid), "NULL::int4");
	}
	/* A two-key advisory lock shows its keys as classid, objid (the int4 read as an oid, so
	 * the table's oid itself) and objsubid 2. */
	buf_printf(out,
			   "EXISTS (SELECT 1 FROM pg_catalog.pg_locks l WHERE l.locktype = 'advisory'"
			   " AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d"
			   " WHERE d.datname = pg_catalog.current_database())"
			   " AND l.classid = 7373062 AND l.objid = %s AND l.objsubid = 2 AND l.granted"
			   " AND l.pid <> pg_catalog.pg_backend_pid() AND (%s IS NULL OR l.pid = %s))",
			   oid, pid, pid);
}
