/*
 * partition_plan.h: the plan of a range-partitioned table, from the catalog: every leaf
 * partition with its bound (pg_get_expr(relpartbound)) and its effective time range (the
 * intersection with the ranges of its ancestors); never from names. partition_plan.c calls no
 * other file of the folder; ebb status plans with it too. The caller owns the PartPlan and
 * frees it with archive_partition_plan_free.
 */
#ifndef EBB_ARCHIVE_PARTITION_PLAN_H
#define EBB_ARCHIVE_PARTITION_PLAN_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

struct ArchiveTarget; /* target.h */

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
	bool compressed; /* a compressed TimescaleDB chunk (chunk_plan.h) */
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
PartTable archive_partition_table_of(const struct ArchiveTarget *t);
/* Is the leaf wholly before the cutoff, and not pinned (archived whole, or its pending detach
 * finished)? A pinned leaf's old rows go by the row protocol. */
bool archive_partition_expired(const PartLeaf *leaf, int64_t cutoff);

#endif
