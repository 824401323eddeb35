/* bloat.c: see bloat.h. */
#include "doctor/bloat.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/text.h"
#include "pg/ident.h"
#include "pg/pg.h"

#define BLOAT_NOTE_PERCENT 20.0
#define BLOAT_NOTE_BYTES   (8 * 1024 * 1024)

typedef struct Vacuum
{
	int64_t live, dead;
	char last_vacuum[40], last_autovacuum[40];
	bool enabled; /* autovacuum on, for the server and the table */
	double threshold;
	char threshold_text[120];
	double per_run; /* rows archive deleted per run (the last ten), -1: none recorded */
} Vacuum;

/* pgstattuple's schema, or NULL (caller frees). */
static bool
pgstattuple_schema(const DoctorCheck *c, char **schema)
{
	StrList v = {0};

	*schema = NULL;
	if (!pg_query_strings(c->conn,
						  "SELECT n.nspname FROM pg_catalog.pg_extension e JOIN"
						  " pg_catalog.pg_namespace n ON n.oid = e.extnamespace"
						  " WHERE e.extname = 'pgstattuple'",
						  0, NULL, &v, &c->out->err))
		return false;
	if (v.count)
		*schema = ebb_strdup(v.items[0]);
	strlist_clear(&v);
	return true;
}

/* Free and dead bytes against the table's size: measured (pgstattuple_approx) or estimated. */
static bool
bloat_bytes(const DoctorCheck *c, int64_t *table, int64_t *wasted, bool *measured)
{
	char *schema;
	PGresult *res;
	Buf sql;

	if (!pgstattuple_schema(c, &schema))
		return false;
	buf_init(&sql);
	*measured = schema && c->info->relkind == 'r';
	if (*measured)
	{
		buf_append_str(&sql,
					   "SELECT table_len, (approx_free_space + dead_tuple_len)::bigint FROM ");
		pg_quote_ident(&sql, schema);
		buf_append_str(&sql, ".pgstattuple_approx($1::pg_catalog.oid::pg_catalog.regclass)");
	}
	else
		/* Each row: its columns' average width, a 24-byte header and a 4-byte line pointer;
		 * a page holds 8168 bytes of them. Partitions summed. */
		buf_append_str(
			&sql,
			"WITH t AS (SELECT relid FROM pg_catalog.pg_partition_tree($1::pg_catalog.oid::"
			"pg_catalog.regclass) UNION SELECT $1::pg_catalog.oid), w AS (SELECT c.oid,"
			" coalesce(nullif(pg_catalog.pg_stat_get_live_tuples(c.oid), 0), greatest(c.reltuples, "
			"0))"
			" AS tuples, pg_catalog.pg_relation_size(c.oid) AS bytes,"
			" (SELECT coalesce(sum(s.avg_width), 0) FROM pg_catalog.pg_stats s WHERE"
			" s.schemaname = n.nspname AND s.tablename = c.relname AND NOT s.inherited) AS width"
			" FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid ="
			" c.relnamespace WHERE c.oid IN (SELECT relid FROM t) AND c.relkind = 'r')"
			" SELECT coalesce(sum(bytes), 0)::bigint, coalesce(sum(greatest(bytes -"
			" ceil(tuples * (width + 28) / 8168.0) * 8192, 0)), 0)::bigint FROM w");
	free(schema);
	bool ok = pg_query(c->conn, buf_cstr(&sql), 1, (const char *const[]){c->info->oid_text}, &res,
					   &c->out->err);
	buf_free(&sql);
	if (!ok)
		return false;
	*table = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	*wasted = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	return true;
}

/* The estimate needs the columns' widths: pg_stats rows for the table (or its partitions) that
 * the role may see. */
static bool
has_stats(const DoctorCheck *c, bool *yes)
{
	const char *params[] = {c->info->oid_text};

	return pg_query_bool(
		c->conn,
		"SELECT count(*) > 0 FROM pg_catalog.pg_stats s JOIN pg_catalog.pg_class c"
		" ON c.relname = s.tablename JOIN pg_catalog.pg_namespace n ON n.oid ="
		" c.relnamespace AND n.nspname = s.schemaname WHERE c.oid IN (SELECT relid"
		" FROM pg_catalog.pg_partition_tree($1::pg_catalog.oid::pg_catalog.regclass)"
		" UNION SELECT $1::pg_catalog.oid)",
		1, params, yes, &c->out->err);
}

/* A word a POSIX shell reads back as it is: single-quoted unless plain. */
static void
shell_word(Buf *out, const char *w)
{
	if (w[0] &&
		strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == strlen(w))
	{
		buf_append_str(out, w);
		return;
	}
	buf_append_char(out, '\'');
	for (; *w; w++)
		if (*w == '\'')
			buf_append_str(out, "'\\''");
		else
			buf_append_char(out, *w);
	buf_append_char(out, '\'');
}

static bool
report_bloat(const DoctorCheck *c, const char *subject)
{
	int64_t table, wasted;
	bool measured, stats;
	char msg[700], t[32], w[32];

	if (!bloat_bytes(c, &table, &wasted, &measured))
		return false;
	if (!measured && !has_stats(c, &stats))
		return false;
	if (!measured && !stats)
	{
		doctor_check_report(c, DOCTOR_NOTE, "bloat", subject, NULL, false,
							"no statistics the role may read for the table: ANALYZE it (as its "
							"owner) or CREATE EXTENSION pgstattuple for a bloat estimate");
		return true;
	}
	double pct = table > 0 ? 100.0 * (double) wasted / (double) table : 0;
	text_bytes(table, t, sizeof(t));
	text_bytes(wasted, w, sizeof(w));
	bool note = pct >= BLOAT_NOTE_PERCENT && wasted >= BLOAT_NOTE_BYTES;
	snprintf(msg, sizeof(msg), "%s of the table's %s (%.0f%%) is free or dead space (%s)%s", w, t,
			 pct,
			 measured ? "pgstattuple_approx"
					  : "estimated from the catalog; CREATE EXTENSION "
						"pgstattuple measures it",
			 note ? ": ebb reclaim --online or --full gives it back" : "");
	char fix[700];
	Buf cmd;
	buf_init(&cmd);
	buf_append_str(&cmd, "ebb reclaim --online --database ");
	shell_word(&cmd, PQdb(c->conn));
	buf_append_str(&cmd, " --table ");
	shell_word(&cmd, subject);
	snprintf(fix, sizeof(fix), "%s", buf_cstr(&cmd));
	buf_free(&cmd);
	doctor_check_report(c, note ? DOCTOR_NOTE : DOCTOR_OK, "bloat", subject, note ? fix : NULL,
						false, msg);
	return true;
}

static bool
read_vacuum(const DoctorCheck *c, bool ledger, Vacuum *v)
{
	const PgTableInfo *t = c->info;
	const char *params[] = {t->oid_text, t->schema, t->table};
	PGresult *res;

	/* The table's reloptions win over the server's settings. */
	if (!pg_query(
			c->conn,
			"WITH o AS (SELECT pg_catalog.split_part(x, '=', 1) AS k, pg_catalog.split_part(x, '=',"
			" 2) AS v FROM pg_catalog.pg_class c, pg_catalog.unnest(coalesce(c.reloptions,"
			" '{}')) x WHERE c.oid = $1::pg_catalog.oid), s AS (SELECT coalesce((SELECT v FROM o"
			" WHERE k = 'autovacuum_vacuum_threshold'), pg_catalog.current_setting("
			"'autovacuum_vacuum_threshold'))::float8 AS th, coalesce((SELECT v FROM o WHERE k ="
			" 'autovacuum_vacuum_scale_factor'), pg_catalog.current_setting("
			"'autovacuum_vacuum_scale_factor'))::float8 AS sf, pg_catalog.current_setting("
			"'autovacuum')::bool AND coalesce((SELECT v FROM o WHERE k = 'autovacuum_enabled'),"
			" 'on')::bool AS on) SELECT coalesce(u.n_live_tup, 0), coalesce(u.n_dead_tup, 0),"
			" coalesce(u.last_vacuum::text, 'never'), coalesce(u.last_autovacuum::text, 'never'),"
			" s.on, s.th + s.sf * greatest(c.reltuples, 0), s.th, s.sf FROM pg_catalog.pg_class c"
			" CROSS JOIN s LEFT JOIN pg_catalog.pg_stat_all_tables u ON u.relid = c.oid"
			" WHERE c.oid = $1::pg_catalog.oid",
			1, params, &res, &c->out->err))
		return false;
	v->live = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	v->dead = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	snprintf(v->last_vacuum, sizeof(v->last_vacuum), "%.19s", PQgetvalue(res, 0, 2));
	snprintf(v->last_autovacuum, sizeof(v->last_autovacuum), "%.19s", PQgetvalue(res, 0, 3));
	v->enabled = PQgetvalue(res, 0, 4)[0] == 't';
	v->threshold = atof(PQgetvalue(res, 0, 5));
	snprintf(v->threshold_text, sizeof(v->threshold_text), "%s + %s x reltuples",
			 PQgetvalue(res, 0, 6), PQgetvalue(res, 0, 7));
	PQclear(res);
	v->per_run = -1;
	if (!ledger)
		return true;
	if (!pg_query(c->conn,
				  "SELECT avg(rows) FROM (SELECT rows FROM ebb.archive_run WHERE table_schema = $1"
				  " AND table_name = $2 AND status = 'ok' ORDER BY started_at DESC LIMIT 10) r",
				  2, params + 1, &res, &c->out->err))
		return false;
	if (!PQgetisnull(res, 0, 0))
		v->per_run = atof(PQgetvalue(res, 0, 0));
	PQclear(res);
	return true;
}

static void
report_vacuum(const DoctorCheck *c, const char *subject, const Vacuum *v)
{
	char msg[900], keep[300] = "";

	if (!v->enabled)
	{
		snprintf(msg, sizeof(msg),
				 "autovacuum is off for the table (%" PRId64 " dead rows; last vacuum %s): the "
				 "space of archived rows is reused only after a VACUUM (ebb reclaim, or a "
				 "policy's after_archive)",
				 v->dead, v->last_vacuum);
		doctor_check_report(c, DOCTOR_NOTE, "autovacuum", subject, NULL, false, msg);
		return;
	}
	if (v->per_run > 0)
		snprintf(keep, sizeof(keep), "; archive deletes about %.0f rows a run: %s", v->per_run,
				 v->per_run >= v->threshold ? "each run is followed by an autovacuum"
											: "autovacuum follows only every few runs");
	snprintf(msg, sizeof(msg),
			 "%" PRId64 " dead rows, %" PRId64 " live; autovacuum vacuums after %.0f dead rows "
			 "(%s); last vacuum %s, last autovacuum %s%s",
			 v->dead, v->live, v->threshold, v->threshold_text, v->last_vacuum, v->last_autovacuum,
			 keep);
	doctor_check_report(c, DOCTOR_OK, "autovacuum", subject, NULL, false, msg);
}

bool
doctor_bloat(const DoctorCheck *c, bool ledger)
{
	char subject[600];
	Vacuum v;

	snprintf(subject, sizeof(subject), "%s", pg_display_name(c->info->schema, c->info->table).s);
	if (!report_bloat(c, subject))
		return false;
	if (c->info->relkind == 'p')
	{
		doctor_check_report(c, DOCTOR_NOTE, "autovacuum", subject, NULL, false,
							"autovacuum vacuums the partitions, not the partitioned table: run "
							"ebb doctor on a partition for its dead rows and thresholds");
		return true;
	}
	if (!read_vacuum(c, ledger, &v))
		return false;
	report_vacuum(c, subject, &v);
	return true;
}
