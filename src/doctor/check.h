/*
 * check.h: what each of doctor's advisory checks (advice.c, bloat.c, rights.c) is lent for one
 * table: the session, the run's settings and the table's policy, the table as the catalog
 * describes it, and where findings go. All of it is the caller's (doctor.c).
 */
#ifndef EBB_DOCTOR_CHECK_H
#define EBB_DOCTOR_CHECK_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "config/config.h"
#include "doctor/build.h"
#include "doctor/doctor.h"
#include "pg/catalog.h"

typedef struct DoctorCheck
{
	PGconn *conn;
	const Settings *s;
	const Policy *p;
	const PgTableInfo *info;
	const DoctorBuild *build; /* for a measurement's build (--fix --brin) */
	DoctorOutcome *out;
} DoctorCheck;

/* Reports a finding; a DOCTOR_PROBLEM not fixed counts in out->problems. */
void doctor_check_report(const DoctorCheck *c, DoctorSeverity sev, const char *check,
						 const char *subject, const char *fix, bool fixed, const char *message);

#endif
