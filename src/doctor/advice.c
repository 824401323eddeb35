/* advice.c: see advice.h. */
#include "doctor/advice.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/text.h"
#include "pg/ident.h"
#include "pg/indexes.h"
#include "pg/pg.h"

#define BRIN_MIN_CORRELATION 0.9
#define BRIN_MIN_BYTES       (8 * 1024 * 1024)

typedef struct TimeStats
{
	bool has_correlation;
	double correlation;
	double tuples;
	int64_t heap_bytes;  /* partitions summed */
	int64_t cache_bytes; /* effective_cache_size */
} TimeStats;

static bool
time_stats(const DoctorCheck *c, TimeStats *ts)
{
	const PgTableInfo *t = c->info;
	const char *params[] = {t->schema, t->table, t->time_name, t->oid_text};
	PGresult *res;

	if (!pg_query(c->conn,
				  "SELECT (SELECT s.correlation FROM pg_catalog.pg_stats s WHERE s.schemaname = $1"
				  " AND s.tablename = $2 AND s.attname = $3 ORDER BY s.inherited DESC LIMIT 1),"
				  " greatest(c.reltuples, 0)::bigint, CASE WHEN c.relkind = 'p' THEN (SELECT"
				  " coalesce(sum(pg_catalog.pg_relation_size(relid)), 0) FROM"
				  " pg_catalog.pg_partition_tree(c.oid)) ELSE pg_catalog.pg_relation_size(c.oid)"
				  " END, (SELECT setting::bigint * 8192 FROM pg_catalog.pg_settings"
				  " WHERE name = 'effective_cache_size')"
				  " FROM pg_catalog.pg_class c WHERE c.oid = $4::pg_catalog.oid",
				  4, params, &res, &c->out->err))
		return false;
	ts->has_correlation = !PQgetisnull(res, 0, 0);
	ts->correlation = ts->has_correlation ? atof(PQgetvalue(res, 0, 0)) : 0;
	ts->tuples = atof(PQgetvalue(res, 0, 1));
	ts->heap_bytes = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	ts->cache_bytes = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
	PQclear(res);
	return true;
}

/* A minmax BRIN index of 128-page ranges: a metapage, the range map (about 1360 ranges a
 * page) and the summaries (about 200 timestamps' min and max a page). */
static int64_t
div_up(int64_t a, int64_t b)
{
	return (a + b - 1) / b;
}

static int64_t
brin_estimate(int64_t heap_bytes)
{
	int64_t ranges = div_up(div_up(heap_bytes, 8192), 128);
	return 8192 * (1 + div_up(ranges, 1360) + div_up(ranges, 200));
}

/* Builds the BRIN index CONCURRENTLY, reads its size, drops it: the measured size. */
static bool
brin_measure(const DoctorCheck *c, int64_t *bytes)
{
	char name[64];
	Buf create, qualified;
	EbbError *err = &c->out->err;

	snprintf(name, sizeof(name), "ebb_brin_probe_%s", c->info->oid_text);
	buf_init(&create);
	buf_init(&qualified);
	pg_quote_qualified(&qualified, c->info->schema, name);
	buf_printf(&create, "CREATE INDEX CONCURRENTLY %s ON ", name);
	pg_quote_qualified(&create, c->info->schema, c->info->table);
	buf_append_str(&create, " USING brin (");
	pg_quote_ident(&create, c->info->time_name);
	buf_append_str(&create, ")");
	const char *params[] = {buf_cstr(&qualified)};
	PGresult *res = NULL;
	bool ok = doctor_build_index(c->build, buf_cstr(&create), buf_cstr(&qualified), err) &&
			  pg_query(c->conn, "SELECT pg_catalog.pg_relation_size($1::pg_catalog.regclass)", 1,
					   params, &res, err);
	if (res)
	{
		*bytes = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
	}
	EbbError drop_err;
	error_init(&drop_err);
	bool dropped = doctor_build_drop(c->build, buf_cstr(&qualified), &drop_err);
	if (ok && !dropped)
		ok = (*err = drop_err, false);
	buf_free(&create);
	buf_free(&qualified);
	return ok;
}

static int64_t
btree_bytes(const PgIndexes *ix, const TimeStats *ts, bool *measured)
{
	for (int i = 0; i < ix->n; i++)
		if (ix->items[i].valid && ix->items[i].leads && !ix->items[i].partitioned &&
			strcmp(ix->items[i].method, "btree") == 0)
			return (*measured = true), ix->items[i].bytes;
	/* A leaf tuple of a timestamp (8), its heap pointer and header (16), its line pointer (4),
	 * pages 90% full. */
	*measured = false;
	return (int64_t) (ts->tuples * 28.0 / 0.9);
}

static bool
brin_advice(const DoctorCheck *c, const PgIndexes *ix)
{
	TimeStats ts;
	char msg[900], brin[32], btree_s[32], heap[32];
	bool measured_btree, measured_brin = false;

	if (!time_stats(c, &ts))
		return false;
	char table[600];
	snprintf(table, sizeof(table), "%s", pg_display_name(c->info->schema, c->info->table).s);
	if (!ts.has_correlation)
	{
		Buf analyze;
		buf_init(&analyze);
		buf_append_str(&analyze, "ANALYZE ");
		pg_quote_qualified(&analyze, c->info->schema, c->info->table);
		doctor_check_report(c, DOCTOR_NOTE, "index_advice", table, buf_cstr(&analyze), false,
							"no statistics for the time column: ANALYZE the table for index "
							"advice");
		buf_free(&analyze);
		return true;
	}
	if ((ts.correlation < 0 ? -ts.correlation : ts.correlation) < BRIN_MIN_CORRELATION ||
		ts.heap_bytes < BRIN_MIN_BYTES)
	{
		snprintf(msg, sizeof(msg),
				 "no BRIN advice: %s (correlation of column \"%s\" with the rows' order %.3f)",
				 (ts.correlation < 0 ? -ts.correlation : ts.correlation) < BRIN_MIN_CORRELATION
					 ? "rows are not stored in time order: a btree index suits"
					 : "the table is under 8 MB",
				 c->info->time_name, ts.correlation);
		doctor_check_report(c, DOCTOR_OK, "index_advice", table, NULL, false, msg);
		return true;
	}
	int64_t brin_bytes = brin_estimate(ts.heap_bytes),
			btree = btree_bytes(ix, &ts, &measured_btree);
	bool partitioned = c->info->relkind == 'p';
	if (c->s->fix && c->s->brin && !partitioned)
	{
		if (!brin_measure(c, &brin_bytes))
			return false;
		measured_brin = true;
	}
	text_bytes(brin_bytes, brin, sizeof(brin));
	text_bytes(btree, btree_s, sizeof(btree_s));
	text_bytes(ts.heap_bytes, heap, sizeof(heap));
	const char *how = measured_brin ? " (measured)"
					  : c->s->brin && partitioned
						  ? " (estimated: --brin measures a plain table only)"
						  : " (estimated)";
	snprintf(msg, sizeof(msg),
			 "rows are stored in time order (correlation %.3f): a BRIN index on \"%s\" would "
			 "serve archive's windows at %s%s instead of the btree's %s%s (table %s, %.0f%% of "
			 "effective_cache_size)%s",
			 ts.correlation, c->info->time_name, brin, how, btree_s,
			 measured_btree ? "" : " (estimated)", heap,
			 ts.cache_bytes > 0 ? 100.0 * (double) ts.heap_bytes / (double) ts.cache_bytes : 0.0,
			 partitioned ? "; a partitioned table's index cannot be built CONCURRENTLY: the "
						   "statement below locks writes while it builds; or index each "
						   "partition CONCURRENTLY and attach"
						 : "");
	Buf f;
	buf_init(&f);
	buf_append_str(&f, partitioned ? "CREATE INDEX ON " : "CREATE INDEX CONCURRENTLY ON ");
	pg_quote_qualified(&f, c->info->schema, c->info->table);
	buf_append_str(&f, " USING brin (");
	pg_quote_ident(&f, c->info->time_name);
	buf_append_str(&f, ")");
	doctor_check_report(c, DOCTOR_NOTE, "index_advice", table, buf_cstr(&f), false, msg);
	buf_free(&f);
	return true;
}

/* Not unique and not a constraint's (the constraint needs it: an exclusion constraint's index
 * is neither unique nor scanned), not the time index (archive's), not a partitioned table's
 * (its scans are counted on the partitions' indexes). */
static bool
unused_advice(const DoctorCheck *c, const PgIndexes *ix)
{
	StrList reset = {0};

	if (!pg_query_strings(
			c->conn,
			"SELECT coalesce(stats_reset::text, 'never') FROM"
			" pg_catalog.pg_stat_database WHERE datname = pg_catalog.current_database()",
			0, NULL, &reset, &c->out->err))
		return false;
	for (int i = 0; i < ix->n; i++)
	{
		const PgIndex *x = &ix->items[i];
		char msg[900], size[32], fix[600], subject[600];
		if (!x->valid || x->unique || x->primary || x->constraint || x->leads || x->partitioned ||
			x->scans > 0)
			continue;
		text_bytes(x->bytes, size, sizeof(size));
		char since[96] = "the statistics began (never reset)";
		if (reset.count && strcmp(reset.items[0], "never") != 0)
			snprintf(since, sizeof(since), "the statistics were reset (%s)", reset.items[0]);
		snprintf(msg, sizeof(msg),
				 "index %s has not been scanned since %s: %s that every write "
				 "maintains",
				 pg_display_name(x->schema, x->name).s, since, size);
		snprintf(fix, sizeof(fix), "DROP INDEX CONCURRENTLY %s", x->qualified);
		snprintf(subject, sizeof(subject), "%s", pg_display_name(x->schema, x->name).s);
		doctor_check_report(c, DOCTOR_NOTE, "unused_index", subject, fix, false, msg);
	}
	strlist_clear(&reset);
	return true;
}

bool
doctor_advice_indexes(const DoctorCheck *c)
{
	PgIndexes ix = {0};

	if (!pg_indexes_of(c->conn, c->info->oid, c->info->time_name, &ix, &c->out->err))
		return false;
	bool ok = brin_advice(c, &ix) && unused_advice(c, &ix);
	pg_indexes_free(&ix);
	return ok;
}

/* EXPLAIN's lines joined with " / ", indentation and arrows dropped. */
static void
plan_line(const PGresult *res, Buf *out)
{
	for (int i = 0; i < PQntuples(res); i++)
	{
		const char *line = PQgetvalue(res, i, 0);
		while (*line == ' ')
			line++;
		if (strncmp(line, "->", 2) == 0)
			line += 2;
		while (*line == ' ')
			line++;
		if (i > 0)
			buf_append_str(out, " / ");
		buf_append_str(out, line);
	}
}

bool
doctor_advice_plan(const DoctorCheck *c, const char *when)
{
	const PgTableInfo *t = c->info;
	char keep[32], window[48];
	PGresult *res;

	if (c->p->keep_days < 0)
		return true;
	/* EXPLAIN DELETE ... WHERE needs the schema, DELETE and SELECT; their absence is the
	 * rights check's finding. */
	bool allowed;
	if (!pg_query_bool(c->conn,
					   "SELECT pg_catalog.has_schema_privilege($2, 'USAGE') AND"
					   " pg_catalog.has_table_privilege($1::pg_catalog.oid, 'DELETE') AND"
					   " pg_catalog.has_table_privilege($1::pg_catalog.oid, 'SELECT')",
					   2, (const char *const[]){t->oid_text, t->schema}, &allowed, &c->out->err))
		return false;
	if (!allowed)
		return true;
	snprintf(keep, sizeof(keep), "%d days", c->p->keep_days);
	snprintf(window, sizeof(window), "%" PRId64 " microseconds", c->p->window_us);
	const char *params[] = {keep, window};
	const char *type = t->time_is_tz ? "timestamptz" : "timestamp";
	Buf sql;
	buf_init(&sql);
	/* The window that ends at the cutoff, as literals: the plan archive's statement gets. */
	buf_printf(&sql,
			   "SELECT pg_catalog.quote_literal((now() - $1::interval - $2::interval)::%s),"
			   " pg_catalog.quote_literal((now() - $1::interval)::%s)",
			   type, type);
	if (!pg_query(c->conn, buf_cstr(&sql), 2, params, &res, &c->out->err))
		return buf_free(&sql), false;
	buf_reset(&sql);
	buf_printf(&sql, "EXPLAIN DELETE FROM %s", t->relkind == 'p' ? "" : "ONLY ");
	pg_quote_qualified(&sql, t->schema, t->table);
	buf_append_str(&sql, " WHERE ");
	pg_quote_ident(&sql, t->time_name);
	buf_printf(&sql, " >= %s::%s AND ", PQgetvalue(res, 0, 0), type);
	pg_quote_ident(&sql, t->time_name);
	buf_printf(&sql, " < %s::%s", PQgetvalue(res, 0, 1), type);
	PQclear(res);
	bool ok = pg_query(c->conn, buf_cstr(&sql), 0, NULL, &res, &c->out->err);
	if (ok)
	{
		Buf msg;
		buf_init(&msg);
		buf_printf(&msg, "plan of a window's DELETE (%s): ", when);
		plan_line(res, &msg);
		PQclear(res);
		char subject[600];
		snprintf(subject, sizeof(subject), "%s", pg_display_name(t->schema, t->table).s);
		doctor_check_report(c, DOCTOR_NOTE, "window_plan", subject, NULL, false, buf_cstr(&msg));
		buf_free(&msg);
	}
	buf_free(&sql);
	return ok;
}
