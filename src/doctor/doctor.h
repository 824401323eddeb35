/*
 * doctor.h: ebb doctor for one table of one database: what archiving it needs from the
 * database, checked, and with --fix repaired online: the time column's index (missing:
 * built with CREATE INDEX CONCURRENTLY; INVALID leftovers of a failed build: dropped
 * CONCURRENTLY and built again; duplicates: named) and its soundness (amcheck's
 * bt_index_check; bt_index_parent_check with heapallindexed under --thorough); then advice
 * (advice.h: BRIN, unused indexes, the window's plan), bloat and autovacuum (bloat.h) and the
 * role's rights (rights.h), reported, never changed.
 *
 * src/doctor/ prints nothing: each finding and the progress of a build go to the caller's
 * DoctorReport, which owns the output.
 */
#ifndef EBB_DOCTOR_DOCTOR_H
#define EBB_DOCTOR_DOCTOR_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "config/config.h"

typedef enum DoctorSeverity
{
	DOCTOR_OK,      /* checked and sound */
	DOCTOR_NOTE,    /* worth knowing; nothing is wrong for archiving */
	DOCTOR_PROBLEM, /* wrong: the exit status is 1 while one remains */
} DoctorSeverity;

/* A finding; its strings live only for the callback. */
typedef struct DoctorFinding
{
	DoctorSeverity severity;
	const char *check;   /* time_index, invalid_index, duplicate_index, amcheck */
	const char *subject; /* the index, as schema.name for a message, or NULL */
	const char *message; /* one line, lowercase, no final period */
	const char *fix;     /* the statement that fixes it, or NULL */
	bool fixed;          /* --fix did it: the problem is gone */
} DoctorFinding;

typedef struct DoctorProgress
{
	const char *index;   /* being built */
	const char *phase;   /* pg_stat_progress_create_index.phase */
	int64_t done, total; /* blocks, else tuples, of the phase; total 0: unknown */
} DoctorProgress;

typedef struct DoctorReport
{
	void (*finding)(void *arg, const DoctorFinding *f);
	void (*progress)(void *arg, const DoctorProgress *p); /* about once a second; may be NULL */
	void *arg;
} DoctorReport;

typedef struct DoctorOutcome
{
	int problems; /* findings of DOCTOR_PROBLEM not fixed */
	bool failed;  /* err says why the table could not be examined (or fixed) */
	EbbError err;
} DoctorOutcome;

/* time_column: the policy's (or the ledger's), unquoted; ledger: ebb's tables exist here. */
void doctor_table(PGconn *conn, const Settings *s, const Policy *p, const char *time_column,
				  bool ledger, const DoctorReport *report, DoctorOutcome *out);

#endif
