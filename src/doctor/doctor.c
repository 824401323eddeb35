/* doctor.c: see doctor.h. */
#include "doctor/doctor.h"

#include <stdlib.h>
#include <string.h>

#include "doctor/advice.h"
#include "doctor/amcheck.h"
#include "doctor/bloat.h"
#include "doctor/rights.h"
#include "doctor/check.h"
#include "doctor/build.h"
#include "doctor/time_index.h"
#include "pg/catalog.h"
#include "pg/hypertable.h"
#include "pg/ident.h"

/* A hypertable aged by an integer time dimension (archive takes it with --time-unit): its
 * windows are not what doctor's checks build, so it says so rather than that the column is
 * not a timestamp. */
static bool
integer_time_refused(PGconn *conn, const Policy *p, EbbError *err)
{
	PgHypertable ht;
	uint32_t oid;
	bool exists;

	if (!pg_table_oid(conn, p->schema, p->table, &exists, &oid, err) ||
		(exists && !pg_hypertable_read(conn, oid, p->schema, p->table, &ht, err)))
		return false;
	if (!exists)
		return true;
	bool integer = ht.is && ht.integer;
	if (integer)
	{
		error_set(err, EBB_ERR_CONFIG,
				  "ebb doctor does not check a hypertable aged by an integer time dimension");
		error_detail(err,
					 "Hypertable %s is sliced by column \"%s\" of type %s; ebb archive "
					 "takes it with --time-unit.",
					 pg_message_name(p->schema, p->table).s, ht.time_column, ht.time_type);
	}
	pg_hypertable_free(&ht);
	return !integer;
}

void
doctor_table(PGconn *conn, const Settings *s, const Policy *p, const char *time_column, bool ledger,
			 const DoctorReport *report, DoctorOutcome *out)
{
	PgTableInfo info;

	memset(out, 0, sizeof(*out));
	error_init(&out->err);
	if (!integer_time_refused(conn, p, &out->err) ||
		!pg_table_info(conn, p->schema, p->table, time_column, &info, &out->err))
	{
		out->failed = true;
		pg_table_info_free(&info);
		return;
	}
	DoctorBuild build = {.conn = conn,
						 .dsn = s->dsn,
						 .dbname = PQdb(conn),
						 .timezone = s->timezone,
						 .retries = s->index_retries,
						 .table_oid = info.oid,
						 .report = report};
	DoctorTimeIndex ti = {.build = &build, .info = &info, .fix = s->fix, .out = out};
	DoctorCheck check = {conn, s, p, &info, &build, out};
	/* The window's plan before --fix changes anything, and after. */
	bool ok = doctor_rights(&check) &&
			  doctor_advice_plan(&check, s->fix ? "before --fix" : "now") &&
			  doctor_time_index(&ti) && (!s->fix || doctor_advice_plan(&check, "after --fix"));
	if (ok && ti.checked_index && ti.checked_partitioned)
	{
		DoctorFinding f = {DOCTOR_NOTE,
						   "amcheck",
						   ti.checked_subject,
						   "amcheck checks the indexes of the partitions, not the partitioned "
						   "table's: run ebb doctor on each partition",
						   NULL,
						   false};
		report->finding(report->arg, &f);
	}
	else if (ok && ti.checked_index)
	{
		DoctorAmcheck ac = {.conn = conn,
							.index = ti.checked_index,
							.name = ti.checked_name,
							.subject = ti.checked_subject,
							.thorough = s->thorough,
							.fix = s->fix,
							.report = report,
							.out = out};
		ok = doctor_amcheck(&ac);
	}
	/* Advice and bloat whatever the index checks found; not after a failure. */
	ok = ok && doctor_advice_indexes(&check) && doctor_bloat(&check, ledger);
	out->failed = !ok;
	free(ti.checked_index);
	free(ti.checked_name);
	free(ti.checked_subject);
	pg_table_info_free(&info);
}
