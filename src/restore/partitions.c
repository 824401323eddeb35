/* partitions.c: see partitions.h. */
#include "restore/partitions.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "pg/ident.h"
#include "pg/pg.h"

/* --create-partitions needs what auto mode only hopes for. */
static bool
refuse(const RestoreTarget *t, const char *why, const char *hint, EbbError *err)
{
	error_set(err, EBB_ERR_CONFIG, "cannot create partitions of table %s: %s",
			  pg_message_name(t->schema, t->table).s, why);
	if (hint)
		error_hint(err, "%s", hint);
	return false;
}

/* The interval: --interval, else the one ebb partition's names tell. */
static bool
choose_interval(PGconn *conn, const RestoreTarget *t, const Settings *s, RestorePartitions *rp,
				bool *found, EbbError *err)
{
	if (s->interval)
	{
		*found = true;
		return pg_partition_interval_parse(s->interval, &rp->iv, err);
	}
	return pg_partition_interval_infer(conn, t->schema, t->table, rp->parent.key_is_tz, found,
									   &rp->iv, err);
}

bool
restore_partitions_prepare(PGconn *conn, const RestoreTarget *target, const Settings *s,
						   RestorePartitions *out, EbbError *err)
{
	/* --interval says which partitions to make: it asks for them as --create-partitions does. */
	bool found, managed = false, forced = s->create_partitions > 0 || s->interval;

	memset(out, 0, sizeof(*out));
	out->schema = target->schema;
	out->table = target->table;
	if (target->relkind != 'p' || s->create_partitions < 0)
		return true;
	if (!pg_partition_parent(conn, target->schema, target->table, &found, &out->parent, err))
		return false;
	if (!out->parent.range_by_time)
		return !forced ||
			   refuse(target, "it is not range-partitioned by a timestamp column", NULL, err);
	if (out->parent.default_part)
		return true;
	if (!choose_interval(conn, target, s, out, &found, err) ||
		(!forced &&
		 !pg_partitions_partman_managed(conn, target->schema, target->table, &managed, err)))
		return false;
	if (!found)
		return !forced || refuse(target, "the interval of its partitions is unknown",
								 "Name it with --interval (1h, 1d, 1w or 1mon).", err);
	if (managed)
		return true;
	out->active = true;
	return pg_partition_name_fits(target->table, &out->iv, err);
}

/* Is the key column among the object's? (A missing one gets its default, not staged.) The
 * object's columns are quoted (always, by pg_quote_ident) and joined by ", "; a quoted name
 * may hold a comma. */
static bool
stages_key(const RestorePartitions *rp, const RestoreLoadResult *lr)
{
	const char *cols = lr->columns.data, *end = cols + lr->columns.len;
	bool found = false;
	Buf key;

	buf_init(&key);
	pg_quote_ident(&key, rp->parent.key_name);
	size_t n = key.len;
	for (const char *p = cols; cols && !found && p + n <= end; p++)
	{
		bool starts = p == cols || (p - cols >= 2 && memcmp(p - 2, ", ", 2) == 0);
		bool ends = p + n == end || (end - (p + n) >= 2 && memcmp(p + n, ", ", 2) == 0);
		found = starts && ends && memcmp(p, key.data, n) == 0;
	}
	buf_free(&key);
	return found;
}

/* The intervals of the staged rows: name, bounds as text, bounds in microseconds. */
static bool
staged_ranges(PGconn *conn, const RestorePartitions *rp, PGresult **res, EbbError *err)
{
	const char *params[3] = {rp->table, rp->iv.unit, rp->iv.format};
	Buf sql;

	buf_init(&sql);
	buf_printf(&sql, "SELECT DISTINCT $1 || '_p' || pg_catalog.to_char(s.g, $3), b.lo::text,"
					 " b.hi::text, ");
	pg_epoch_us_sql("b.lo", &sql);
	buf_append_str(&sql, ", ");
	pg_epoch_us_sql("b.hi", &sql);
	buf_printf(&sql,
			   " FROM (SELECT pg_catalog.date_trunc($2, %s%s) AS g"
			   " FROM pg_temp.ebb_restore_stage) s CROSS JOIN LATERAL (SELECT ",
			   rp->parent.key, rp->parent.key_is_tz ? " AT TIME ZONE 'UTC'" : "");
	pg_partition_bounds_sql(rp->parent.key_is_tz, "s.g", "$2", &sql);
	buf_append_str(&sql, ") b(lo, hi) WHERE pg_catalog.isfinite(s.g) ORDER BY 2");
	bool ok = pg_query(conn, buf_cstr(&sql), 3, params, res, err);
	buf_free(&sql);
	return ok;
}

/* Does a partition of the parent overlap [lo, hi)? */
static bool
overlapped(const PgPartTree *tree, uint32_t root, int64_t lo, int64_t hi)
{
	for (int i = 0; i < tree->n; i++)
	{
		const PgPartNode *nd = &tree->nodes[i];
		if (nd->parent != root || strcmp(nd->bound, "DEFAULT") == 0)
			continue;
		int64_t from = nd->has_lower ? nd->lower : INT64_MIN;
		int64_t to = nd->has_upper ? nd->upper : INT64_MAX;
		if (from < hi && to > lo)
			return true;
	}
	return false;
}

static bool
create_one(PGconn *conn, const RestorePartitions *rp, const char *name, const char *lo,
		   const char *hi, EbbError *err)
{
	char sqlstate[6];

	log_info("creating partition %s for [%s, %s): restored rows need it",
			 pg_message_name(rp->schema, name).s, lo, hi);
	if (pg_partition_create(conn, rp->parent.qualified, rp->schema, name, lo, hi, sqlstate, err))
		return true;
	error_prefix(err, "could not create partition %s for [%s, %s): ",
				 pg_message_name(rp->schema, name).s, lo, hi);
	if (strcmp(sqlstate, "42P07") == 0)
	{
		/* This object's failure, not the table's: the other objects may have partitions. */
		err->sqlstate[0] = '\0';
		error_hint(err, "A table of that name is in the way (a partition that ebb archive "
						"--keep-detached kept?): attach it back, rename it, or restore "
						"--into another table.");
	}
	return false;
}

/* A dry run's partition: said and counted once (planned holds the names said). */
static void
plan_one(const RestorePartitions *rp, StrList *planned, const char *name, const char *lo,
		 const char *hi, int *created)
{
	char qualified[600];

	snprintf(qualified, sizeof(qualified), "%s.%s", rp->schema, name);
	if (strlist_contains(planned, qualified))
		return;
	strlist_add(planned, qualified);
	log_info("would create partition %s for [%s, %s)", pg_message_name(rp->schema, name).s, lo, hi);
	++*created;
}

bool
restore_partitions_make(PGconn *conn, const RestorePartitions *rp, const RestoreLoadResult *lr,
						StrList *planned, int *created, EbbError *err)
{
	PGresult *res;
	PgPartTree tree = {0};

	if (!rp->active || lr->rows == 0 || !stages_key(rp, lr))
		return true;
	if (!staged_ranges(conn, rp, &res, err))
		return false;
	bool ok = PQntuples(res) == 0 || pg_partitions_tree(conn, rp->parent.oid, rp->parent.key_name,
														rp->parent.key_is_tz, &tree, err);
	for (int i = 0; ok && i < PQntuples(res); i++)
	{
		int64_t lo = strtoll(PQgetvalue(res, i, 3), NULL, 10);
		int64_t hi = strtoll(PQgetvalue(res, i, 4), NULL, 10);
		if (overlapped(&tree, rp->parent.oid, lo, hi))
			continue;
		if (planned)
			plan_one(rp, planned, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
					 PQgetvalue(res, i, 2), created);
		else
			ok = create_one(conn, rp, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
							PQgetvalue(res, i, 2), err) &&
				 ++*created;
	}
	PQclear(res);
	pg_partitions_tree_free(&tree);
	return ok;
}

void
restore_partitions_free(RestorePartitions *rp)
{
	pg_partition_parent_free(&rp->parent);
	memset(rp, 0, sizeof(*rp));
}
