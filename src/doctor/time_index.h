/*
 * time_index.h: the index that archiving needs, a valid btree leading with the time column
 * (each window is then an index range scan; without it a sequential scan of the table). A
 * missing one is built CONCURRENTLY; an INVALID index (any on the table: a failed concurrent
 * build leaves it, and it slows every write while serving no read) is dropped CONCURRENTLY
 * and built again from its definition; indexes with the same definition are named.
 */
#ifndef EBB_DOCTOR_TIME_INDEX_H
#define EBB_DOCTOR_TIME_INDEX_H

#include <stdbool.h>

#include "doctor/build.h"
#include "doctor/doctor.h"
#include "pg/catalog.h"

typedef struct DoctorTimeIndex
{
	const DoctorBuild *build;
	const PgTableInfo *info;
	bool fix;
	DoctorOutcome *out;
	/* The valid btree index leading with the time column after the checks (quoted), or
	 * NULL: what amcheck checks. The caller frees it. */
	char *checked_index;
	char *checked_name;       /* for messages */
	char *checked_subject;    /* schema.name as displayed */
	bool checked_partitioned; /* a partitioned table's index: amcheck cannot check it */
} DoctorTimeIndex;

/* Reports each finding; false when the table's indexes could not be read or a fix failed
 * in a way that stops the table (out->err). */
bool doctor_time_index(DoctorTimeIndex *ti);

#endif
