/* table_lock.c: see table_lock.h. */
#include "catalog/table_lock.h"

#include <stdio.h>
#include <string.h>

#include "pg/pg.h"

bool
catalog_table_lock_try(PGconn *conn, uint32_t oid, bool *locked, EbbError *err)
{
	char key[16];
	const char *params[1] = {key};
	PGresult *res;

	/* Two-key form: (ebb's class id, table oid folded into int4). */
	snprintf(key, sizeof(key), "%d", (int32_t) oid);
	if (!pg_query(conn, "SELECT pg_catalog.pg_try_advisory_lock(7373062, $1::int4)", 1, params,
				  &res, err))
		return false;
	*locked = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return true;
}

void
catalog_table_unlock(PGconn *conn, uint32_t oid)
{
	char key[16];
	const char *params[1] = {key};
	PGresult *res;
	EbbError ignored;

	snprintf(key, sizeof(key), "%d", (int32_t) oid);
	if (PQstatus(conn) == CONNECTION_OK &&
		pg_query(conn, "SELECT pg_catalog.pg_advisory_unlock(7373062, $1::int4)", 1, params, &res,
				 &ignored))
		PQclear(res);
}
