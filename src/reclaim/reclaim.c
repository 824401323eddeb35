/* reclaim.c: see reclaim.h. */
#include "reclaim/reclaim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/text.h"
#include "common/time.h"
#include "pg/catalog.h"
#include "pg/pg.h"
#include "reclaim/method.h"
#include "reclaim/repack.h"
#include "reclaim/vacuum.h"

static const char *const mode_names[] = {[RECLAIM_NONE] = "none",
										 [RECLAIM_VACUUM] = "vacuum",
										 [RECLAIM_ONLINE] = "online",
										 [RECLAIM_FULL] = "full"};

const char *
reclaim_mode_name(ReclaimMode mode)
{
	return mode_names[mode];
}

bool
reclaim_mode_parse(const char *text, ReclaimMode *mode)
{
	for (int m = RECLAIM_NONE; m <= RECLAIM_FULL; m++)
		if (strcmp(text, mode_names[m]) == 0)
			return (*mode = (ReclaimMode) m), true;
	return false;
}

static const ReclaimMethod *
method_of(ReclaimMode mode)
{
	switch (mode)
	{
		case RECLAIM_VACUUM: return &reclaim_vacuum_method;
		case RECLAIM_ONLINE: return &reclaim_online_method;
		case RECLAIM_FULL: return &reclaim_full_method;
		case RECLAIM_NONE: break;
	}
	return NULL;
}

/* The table and its partitions, indexes and TOAST included: what the disk holds for it. */
static bool
total_bytes(PGconn *conn, const ReclaimTarget *t, int64_t *bytes, EbbError *err)
{
	const char *params[] = {t->oid_text};
	PGresult *res;

	if (!pg_query(conn,
				  "SELECT coalesce((SELECT sum(pg_catalog.pg_total_relation_size(relid))"
				  " FROM pg_catalog.pg_partition_tree($1::pg_catalog.oid::pg_catalog.regclass)),"
				  " pg_catalog.pg_total_relation_size($1::pg_catalog.oid::pg_catalog.regclass))",
				  1, params, &res, err))
		return false;
	*bytes = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return true;
}

static bool
target_read(PGconn *conn, const char *schema, const char *table, ReclaimTarget *t, Buf *quoted,
			EbbError *err)
{
	const char *params[] = {schema, table};
	PGresult *res;

	if (!pg_query(conn,
				  "SELECT c.oid, c.relkind, pg_catalog.pg_has_role(c.relowner, 'USAGE')"
				  " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
				  " ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2"
				  " AND c.relkind IN ('r', 'p', 'm')",
				  2, params, &res, err))
		return false;
	if (PQntuples(res) == 0)
	{
		PQclear(res);
		error_set(err, EBB_ERR_CONFIG, "table \"%s.%s\" does not exist", text_escape(schema).s,
				  text_escape(table).s);
		return false;
	}
	snprintf(t->oid_text, sizeof(t->oid_text), "%s", PQgetvalue(res, 0, 0));
	t->relkind = PQgetvalue(res, 0, 1)[0];
	bool owner = PQgetvalue(res, 0, 2)[0] == 't';
	PQclear(res);
	/* VACUUM skips a table whose owner the role is not, with a warning and success. */
	if (!owner)
	{
		error_set(err, EBB_ERR_QUERY, "must be the owner of table \"%s.%s\" to reclaim its space",
				  text_escape(schema).s, text_escape(table).s);
		error_hint(err, "Run ebb reclaim as the table's owner (or a member of its role): VACUUM "
						"and pg_repack rewrite only tables the role owns.");
		return false;
	}
	pg_quote_qualified(quoted, schema, table);
	t->schema = schema;
	t->table = table;
	t->quoted = buf_cstr(quoted);
	return true;
}

bool
reclaim_table(PGconn *conn, const ReclaimOptions *o, const char *schema, const char *table,
			  ReclaimResult *r)
{
	const ReclaimMethod *m = method_of(o->mode);
	ReclaimTarget t;
	Buf quoted;
	bool ok;

	memset(r, 0, sizeof(*r));
	error_init(&r->err);
	if (!m)
		return true;
	buf_init(&quoted);
	ok = target_read(conn, schema, table, &t, &quoted, &r->err) &&
		 total_bytes(conn, &t, &r->bytes_before, &r->err) && m->ready(conn, o, &t, r);
	if (ok && !r->skipped)
	{
		double start = time_monotonic_s();
		ok = m->run(conn, o, &t, r);
		r->seconds = time_monotonic_s() - start;
	}
	/* After a failure too: a method that gave up may have freed something, or nothing. */
	if (PQstatus(conn) == CONNECTION_OK && r->bytes_before > 0)
	{
		EbbError size_err;
		error_init(&size_err);
		if (!total_bytes(conn, &t, &r->bytes_after, &size_err) && ok)
			ok = (r->err = size_err, false);
	}
	else
		r->bytes_after = r->bytes_before;
	buf_free(&quoted);
	return ok;
}
