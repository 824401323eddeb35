/* amcheck.c: see amcheck.h. */
#include "doctor/amcheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "pg/indexes.h"
#include "pg/pg.h"

static void
report(const DoctorAmcheck *ac, DoctorSeverity sev, const char *fix, bool fixed,
	   const char *message)
{
	DoctorFinding f = {sev, "amcheck", ac->subject, message, fix, fixed};

	if (sev == DOCTOR_PROBLEM && !fixed)
		ac->out->problems++;
	ac->report->finding(ac->report->arg, &f);
}

/* amcheck's schema; created under --fix when missing (NULL and a note otherwise). */
static bool
extension_schema(const DoctorAmcheck *ac, char **schema)
{
	if (!pg_indexes_amcheck_schema(ac->conn, schema, &ac->out->err))
		return false;
	if (*schema)
		return true;
	/* ebb's session has an empty search_path: the schema is named. */
	const char *create = "CREATE EXTENSION amcheck SCHEMA public";
	if (!ac->fix)
	{
		report(ac, DOCTOR_NOTE, create, false,
			   "extension amcheck is not installed in this database: the time index was not "
			   "checked");
		return true;
	}
	if (!pg_exec(ac->conn, create, &ac->out->err))
	{
		error_prefix(&ac->out->err, "could not create extension amcheck: ");
		return false;
	}
	log_info("created extension amcheck");
	return pg_indexes_amcheck_schema(ac->conn, schema, &ac->out->err);
}

static void
corruption(const DoctorAmcheck *ac, const EbbError *e, const char *function)
{
	Buf msg;

	buf_init(&msg);
	const char *text = e->message;
	if (strncmp(text, "query failed: ", 14) == 0)
		text += 14;
	buf_printf(&msg, "index %s is corrupt (%s): %s", ac->name, function, text);
	if (e->detail[0])
		buf_printf(&msg, " (%s)", e->detail);
	report(ac, DOCTOR_PROBLEM, NULL, false, buf_cstr(&msg));
	buf_free(&msg);
}

bool
doctor_amcheck(const DoctorAmcheck *ac)
{
	char *schema = NULL;
	const char *function = ac->thorough ? "bt_index_parent_check" : "bt_index_check";

	if (!extension_schema(ac, &schema) || !schema)
		return schema == NULL && ac->out->err.code == EBB_OK;
	Buf sql;
	buf_init(&sql);
	buf_append_str(&sql, "SELECT ");
	pg_quote_ident(&sql, schema);
	buf_printf(&sql, ".%s(%s::pg_catalog.regclass%s)", function, "$1",
			   ac->thorough ? ", true" : "");
	if (ac->thorough)
		log_info("index %s: bt_index_parent_check holds a SHARE lock on its table (writes wait) "
				 "until it ends",
				 ac->name);
	const char *params[1] = {ac->index};
	PGresult *res = NULL;
	EbbError e;
	error_init(&e);
	bool ok = pg_query(ac->conn, buf_cstr(&sql), 1, params, &res, &e);
	buf_free(&sql);
	free(schema);
	if (res)
		PQclear(res);
	if (ok)
	{
		char msg[512];
		snprintf(msg, sizeof(msg), "index %s is sound (amcheck %s%s)", ac->name, function,
				 ac->thorough ? ", heapallindexed" : "");
		report(ac, DOCTOR_OK, NULL, false, msg);
		return true;
	}
	if (strcmp(e.sqlstate, "XX001") == 0 || strcmp(e.sqlstate, "XX002") == 0)
	{
		corruption(ac, &e, function);
		return true;
	}
	ac->out->err = e;
	error_prefix(&ac->out->err, "could not check index %s: ", ac->name);
	return false;
}
