/*
 * bloat.h: how much of the table is dead or free space, and whether autovacuum keeps up with
 * archive's deletes. The bloat is pgstattuple_approx's when the extension is installed, else
 * estimated from the catalog (the rows' average width from pg_stats against the pages);
 * dead rows and the last (auto)vacuum from pg_stat_user_tables; autovacuum's threshold
 * (autovacuum_vacuum_threshold + scale_factor x reltuples, the table's settings first)
 * against the rows archive deleted per run (ebb.archive_run, the last ten). Notes only: a
 * large free fraction says ebb reclaim; autovacuum off says who then vacuums.
 */
#ifndef EBB_DOCTOR_BLOAT_H
#define EBB_DOCTOR_BLOAT_H

#include <stdbool.h>

#include "doctor/check.h"

/* ledger: ebb.archive_run exists in this database. */
bool doctor_bloat(const DoctorCheck *c, bool ledger);

#endif
