/*
 * advice.h: index advice from the catalog and the statistics, never applied by ebb (each
 * finding is a note with the statement):
 *   - BRIN: a time column stored in time order (|pg_stats.correlation| >= 0.9) of a table of
 *     at least 8 MB is served as well by a BRIN index a fraction of the btree's size: both
 *     sizes estimated (the btree's measured when it exists); with --fix --brin the BRIN index
 *     is built CONCURRENTLY, measured, and dropped again;
 *   - unused indexes: idx_scan = 0 since the statistics were reset (not unique, not the time
 *     index), with their size;
 *   - the plan of a window's DELETE (EXPLAIN, never run), before and after the time index.
 * A partial index for a filtered policy is not advised: ebb's policies have no row filter.
 */
#ifndef EBB_DOCTOR_ADVICE_H
#define EBB_DOCTOR_ADVICE_H

#include <stdbool.h>

#include "doctor/check.h"

bool doctor_advice_indexes(const DoctorCheck *c);

/* The EXPLAIN of the DELETE of the window before the cutoff; when is "before" or "after"
 * (the time index was built). */
bool doctor_advice_plan(const DoctorCheck *c, const char *when);

#endif
