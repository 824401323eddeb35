/* rights.c: see rights.h. */
#include "doctor/rights.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "pg/ident.h"
#include "pg/pg.h"

/* One right: its test (a boolean SQL expression of $1 the table's oid, $2 its schema), what it
 * is for, and the GRANT (%1$s the table, %2$s the schema, %3$s the role, %4$s the database,
 * all quoted). */
typedef struct Right
{
	const char *check;
	const char *test;
	DoctorSeverity severity;
	const char *message;
	const char *grant;
} Right;

static const Right table_rights[] = {
	{"rights", "pg_catalog.has_schema_privilege($2, 'USAGE')", DOCTOR_PROBLEM,
	 "the role may not use the table's schema: every job names the table in it",
	 "GRANT USAGE ON SCHEMA %2$s TO %3$s"},
	{"rights", "pg_catalog.has_table_privilege($1::pg_catalog.oid, 'SELECT')", DOCTOR_PROBLEM,
	 "the role may not SELECT from the table: archive reads the rows it moves",
	 "GRANT SELECT ON %1$s TO %3$s"},
	{"rights", "pg_catalog.has_table_privilege($1::pg_catalog.oid, 'DELETE')", DOCTOR_PROBLEM,
	 "the role may not DELETE from the table: archive deletes the rows it archived",
	 "GRANT DELETE ON %1$s TO %3$s"},
	{"rights", "pg_catalog.has_table_privilege($1::pg_catalog.oid, 'INSERT')", DOCTOR_NOTE,
	 "the role may not INSERT into the table: ebb restore into it needs that",
	 "GRANT INSERT ON %1$s TO %3$s"},
	{"rights",
	 "pg_catalog.to_regnamespace('ebb') IS NOT NULL OR"
	 " pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE')",
	 DOCTOR_PROBLEM,
	 "the role may not create ebb's own tables (schema ebb, made by the first archive run): "
	 "archive records each object there",
	 "GRANT CREATE ON DATABASE %4$s TO %3$s"},
	/* Each of ebb's tables and sequences, one by one: has_table_privilege with a list of
	 * rights is true when any one is held. */
	{"rights",
	 "pg_catalog.to_regnamespace('ebb') IS NULL OR (pg_catalog.has_schema_privilege('ebb',"
	 " 'USAGE') AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.relnamespace ="
	 " pg_catalog.to_regnamespace('ebb') AND ((c.relkind = 'r' AND NOT"
	 " (pg_catalog.has_table_privilege(c.oid, 'SELECT') AND pg_catalog.has_table_privilege(c.oid,"
	 " 'INSERT') AND pg_catalog.has_table_privilege(c.oid, 'UPDATE'))) OR (c.relkind = 'S' AND"
	 " NOT pg_catalog.has_sequence_privilege(c.oid, 'USAGE')))))",
	 DOCTOR_PROBLEM,
	 "the role may not use ebb's own tables (schema ebb): archive records each object there",
	 "GRANT USAGE ON SCHEMA ebb TO %3$s; GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA "
	 "ebb TO %3$s; GRANT USAGE ON ALL SEQUENCES IN SCHEMA ebb TO %3$s"},
};

static const Right partition_rights[] = {
	{"rights", "pg_catalog.has_schema_privilege($2, 'CREATE')", DOCTOR_NOTE,
	 "the role may not CREATE in the table's schema: ebb partition and restore create partitions "
	 "there",
	 "GRANT CREATE ON SCHEMA %2$s TO %3$s"},
	/* The parent and every partition: DETACH needs the parent, DROP each partition. */
	{"rights",
	 "(SELECT bool_and(pg_catalog.pg_has_role(c.relowner, 'USAGE')) FROM"
	 " pg_catalog.pg_partition_tree($1::pg_catalog.oid::pg_catalog.regclass) t JOIN"
	 " pg_catalog.pg_class c ON c.oid = t.relid)",
	 DOCTOR_PROBLEM,
	 "the role does not own the partitioned table and each of its partitions: archive detaches "
	 "and drops archived partitions, which only their owner may",
	 "ALTER TABLE %1$s OWNER TO %3$s (and each partition)"},
};

static const Right lag_right = {
	"rights",
	"(SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) OR"
	" pg_catalog.pg_has_role('pg_read_all_stats', 'USAGE')",
	DOCTOR_PROBLEM,
	"the role may not read standbys' replay positions: max_replica_lag needs pg_read_all_stats "
	"(or pg_monitor)",
	"GRANT pg_read_all_stats TO %3$s"};

typedef struct Names
{
	Buf table, schema, role, database;
	int missing; /* rights found missing */
} Names;

static bool
check_right(const DoctorCheck *c, Names *n, const Right *r)
{
	const char *params[] = {c->info->oid_text, c->info->schema};
	/* Both parameters bound whether the test uses them or not. */
	char *sql =
		ebb_asprintf("SELECT %s FROM (SELECT $1::pg_catalog.oid, $2::pg_catalog.text) p", r->test);
	char subject[600];
	bool granted;

	bool ok = pg_query_bool(c->conn, sql, 2, params, &granted, &c->out->err);
	free(sql);
	if (!ok)
		return false;
	if (granted)
		return true;
	n->missing++;
	Buf grant;
	buf_init(&grant);
	/* The templates name their arguments by position; each is used at most as written. */
	const char *args[] = {buf_cstr(&n->table), buf_cstr(&n->schema), buf_cstr(&n->role),
						  buf_cstr(&n->database)};
	for (const char *p = r->grant; *p; p++)
		if (p[0] == '%' && p[1] >= '1' && p[1] <= '4' && p[2] == '$' && p[3] == 's')
		{
			buf_append_str(&grant, args[p[1] - '1']);
			p += 3;
		}
		else
			buf_append_char(&grant, *p);
	snprintf(subject, sizeof(subject), "%s", pg_display_name(c->info->schema, c->info->table).s);
	doctor_check_report(c, r->severity, r->check, subject, buf_cstr(&grant), false, r->message);
	buf_free(&grant);
	return true;
}

bool
doctor_rights(const DoctorCheck *c)
{
	Names n;
	StrList role = {0};
	bool ok;

	if (!pg_query_strings(c->conn, "SELECT current_user UNION ALL SELECT current_database()", 0,
						  NULL, &role, &c->out->err))
		return false;
	buf_init(&n.table);
	buf_init(&n.schema);
	buf_init(&n.role);
	buf_init(&n.database);
	pg_quote_ident(&n.database, role.items[1]);
	pg_quote_qualified(&n.table, c->info->schema, c->info->table);
	pg_quote_ident(&n.schema, c->info->schema);
	pg_quote_ident(&n.role, role.items[0]);
	strlist_clear(&role);
	ok = true;
	n.missing = 0;
	for (size_t i = 0; ok && i < sizeof(table_rights) / sizeof(table_rights[0]); i++)
		ok = check_right(c, &n, &table_rights[i]);
	for (size_t i = 0; ok && c->info->relkind == 'p' &&
					   i < sizeof(partition_rights) / sizeof(partition_rights[0]);
		 i++)
		ok = check_right(c, &n, &partition_rights[i]);
	if (ok && c->p->max_replica_lag > 0)
		ok = check_right(c, &n, &lag_right);
	if (ok && n.missing == 0)
	{
		char subject[600];
		snprintf(subject, sizeof(subject), "%s",
				 pg_display_name(c->info->schema, c->info->table).s);
		doctor_check_report(c, DOCTOR_OK, "rights", subject, NULL, false,
							"the role has the rights the table's jobs need");
	}
	buf_free(&n.table);
	buf_free(&n.schema);
	buf_free(&n.role);
	buf_free(&n.database);
	return ok;
}
