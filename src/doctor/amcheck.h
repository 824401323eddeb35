/*
 * amcheck.h: the time index checked by contrib's amcheck. bt_index_check takes the lock a
 * reader takes (ACCESS SHARE) and checks each page's order; under --thorough,
 * bt_index_parent_check with heapallindexed also checks parent-child links and that every
 * row of the table is in the index, holding a SHARE lock on the table (writes wait) for the
 * whole check. Corruption (SQLSTATE XX001/XX002) is a problem with amcheck's message.
 */
#ifndef EBB_DOCTOR_AMCHECK_H
#define EBB_DOCTOR_AMCHECK_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "doctor/doctor.h"

typedef struct DoctorAmcheck
{
	PGconn *conn;
	const char *index;   /* quoted schema.name */
	const char *name;    /* for messages */
	const char *subject; /* schema.name as displayed */
	bool thorough;
	bool fix; /* CREATE EXTENSION amcheck when it is missing */
	const DoctorReport *report;
	DoctorOutcome *out;
} DoctorAmcheck;

/* False when the check could not run for another reason than corruption (out->err). */
bool doctor_amcheck(const DoctorAmcheck *ac);

#endif
