/*
 * partition.h: a range-partitioned table, archived a whole partition at a time. The plan comes
 * from the catalog (partition_plan.h).
 *
 * Per partition wholly older than the cutoff (upper bound <= cutoff, not a DEFAULT):
 *   T1: LOCK partition IN SHARE MODE (writers wait, readers do not); its newest row checked
 *       before the cutoff; COPY (SELECT ...) -> object -> verify -> ledger row with the
 *       partition's oid, name and bound (partition_state 'archived') -> COMMIT.
 *   Detach: DETACH PARTITION ... CONCURRENTLY when the parent has no DEFAULT partition (it is
 *       not allowed then), else a plain DETACH under --detach-timeout, retried with backoff.
 *       An interrupted DETACH CONCURRENTLY is completed with FINALIZE.
 *   T2: ACCESS EXCLUSIVE on the detached table; its row count equals the ledger's: DROP (or
 *       keep it, or move it to --retention-schema); partition_state 'dropped' or 'kept'.
 *       A count that differs (rows written into the partition after T1) re-archives the
 *       detached table whole as a new object that replaces the first in the ledger.
 * The ledger carries the state, the catalog the rest: a run resumes every 'archived' row
 * (detach, finalize, check, drop) before planning new partitions.
 */
#ifndef EBB_ARCHIVE_PARTITION_H
#define EBB_ARCHIVE_PARTITION_H

#include <stdbool.h>

#include "archive/partition_plan.h"
#include "archive/target.h"
#include "common/error.h"

/* Resumes the partitions the ledger says are archived but not yet removed, then archives and
 * removes every expired leaf of the plan. */
bool archive_partition_all(ArchiveTarget *t, const PartPlan *plan, EbbError *err);

#endif
