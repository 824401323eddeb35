/*
 * partition.h: a range-partitioned table, archived a whole partition at a time. The plan comes
 * from the catalog: every leaf partition with its bound (pg_get_expr(relpartbound)) and its
 * effective time range (the intersection with the ranges of its ancestors); never from names.
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

#include "archive/archive.h"

typedef struct PartLeaf
{
	uint32_t oid;
	char *schema, *name;  /* the leaf */
	char *qualified;      /* "schema"."name" */
	char *parent;         /* its immediate parent, "schema"."name" */
	char *bound;          /* pg_get_expr(relpartbound) */
	int64_t lower, upper; /* effective time range; TIME_NEG/POS_INFINITY when open */
	bool is_default;      /* it, or an ancestor, is the DEFAULT of a range on the time column */
	bool parent_has_default;
	bool detach_pending;
	bool pinned;   /* referenced by a foreign key or read by a view: never detached whole */
	int64_t bytes; /* pg_total_relation_size */
	double est_rows;
} PartLeaf;

typedef struct PartPlan
{
	PartLeaf *leaves; /* by lower bound */
	int n;
	char *default_leaf; /* the root's DEFAULT partition, "schema"."name", or NULL */
} PartPlan;

/* The partitioned table archive_partition_plan() reads (no ArchiveTarget needed: ebb status plans
 * too); the strings are the caller's. */
typedef struct PartTable
{
	uint32_t oid;
	const char *schema, *table; /* for messages */
	const char *time_column;
	bool time_is_tz; /* timestamptz, else timestamp */
} PartTable;

/* The leaves of a partitioned table; EBB_ERR_CONFIG when it is not range-partitioned by the
 * time column. */
bool archive_partition_plan(PGconn *conn, const PartTable *table, PartPlan *plan, EbbError *err);
void archive_partition_plan_free(PartPlan *plan);
/* The PartTable of an archive target's table. */
PartTable archive_partition_table_of(const ArchiveTarget *t);
/* Is the leaf wholly before the cutoff, and not pinned (archived whole, or its pending detach
 * finished)? A pinned leaf's old rows go by the row protocol. */
bool archive_partition_expired(const PartLeaf *leaf, int64_t cutoff);

/* Resumes the partitions the ledger says are archived but not yet removed, then archives and
 * removes every expired leaf of the plan. */
bool archive_partition_all(ArchiveTarget *t, const PartPlan *plan, EbbError *err);

#endif
