/*
 * rights.h: the rights ebb's role needs for the table's jobs, each missing one a finding with
 * the GRANT that gives it (run by someone who may; ebb never grants):
 *   archive   SELECT and DELETE on the table (problems); USAGE on schema ebb and INSERT,
 *             SELECT, UPDATE on its tables, or CREATE on the database to make them
 *   restore   INSERT on the table (a note: only restore into the table needs it)
 *   partitions  CREATE on the table's schema (ebb partition, restore's partitions) and
 *             ownership of a partitioned table (DETACH and DROP of archived partitions)
 *   lag checks  pg_read_all_stats when the policy sets max_replica_lag (a problem: archive
 *             fails without it)
 */
#ifndef EBB_DOCTOR_RIGHTS_H
#define EBB_DOCTOR_RIGHTS_H

#include <stdbool.h>

#include "doctor/check.h"

bool doctor_rights(const DoctorCheck *c);

#endif
