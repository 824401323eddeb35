/*
 * partitions.h: a partitioned table as the catalog holds it: the parent's range key on a
 * timestamp column and its DEFAULT partition (ebb partition), every relation of its partition
 * tree with its bound (archive's partition plan), and whether pg_partman manages it. Only
 * reads; deciding what to create, archive or drop is the caller's. The caller owns what it
 * gets and frees it with the matching _free().
 */
#ifndef EBB_PG_PARTITIONS_H
#define EBB_PG_PARTITIONS_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

/* The parent of `ebb partition`. The fields are set only when range_by_time is. */
typedef struct PgPartitionParent
{
	bool range_by_time; /* PARTITION BY RANGE on one timestamp or timestamptz column */
	char *qualified;    /* quote_ident(schema).quote_ident(table) */
	char *key;          /* the key column, quoted */
	char *key_name;     /* the same, unquoted */
	uint32_t oid;
	bool key_is_tz;
	char *default_part; /* its DEFAULT partition, quoted and qualified, or NULL */
	char *columns;      /* its columns but generated ones, quoted, in order: "a", "b", ... */
} PgPartitionParent;

/* *found is false when the table does not exist. */
bool pg_partition_parent(PGconn *conn, const char *schema, const char *table, bool *found,
						 PgPartitionParent *out, EbbError *err);
void pg_partition_parent_free(PgPartitionParent *parent);

/* Is there a relation named `relation` (to_regclass text), and is it a partition of `parent`
 * (regclass text)? */
bool pg_partition_of(PGconn *conn, const char *relation, const char *parent, bool *exists,
					 bool *is_partition, EbbError *err);

/* Does pg_partman (installed in any schema) list schema.table in its part_config? */
bool pg_partitions_partman_managed(PGconn *conn, const char *schema, const char *table,
								   bool *managed, EbbError *err);

/* A partition (an ordinary table) by oid, as the catalog holds it now. The strings are set
 * only when found. */
typedef struct PgPartitionState
{
	bool found;
	char *qualified;         /* quote_ident(schema).quote_ident(name) */
	char *parent;            /* the same of its parent; NULL when it has none (detached) */
	bool detach_pending;     /* pg_inherits.inhdetachpending */
	bool parent_has_default; /* its parent has a DEFAULT partition */
	/* Its parent is in root's partition tree; or, detached, it is still named `name`
	 * (schema.name, unquoted): the oid alone could have been reused since. */
	bool in_tree;
} PgPartitionState;

bool pg_partition_state(PGconn *conn, uint32_t oid, uint32_t root, const char *name,
						PgPartitionState *out, EbbError *err);
void pg_partition_state_free(PgPartitionState *state);

/* One relation of a partition tree. */
typedef struct PgPartNode
{
	uint32_t oid;
	uint32_t parent; /* 0 for the root */
	char *schema, *name;
	char relkind;
	char *bound;         /* pg_get_expr(relpartbound) in this session; "" for the root */
	bool detach_pending; /* pg_inherits.inhdetachpending */
	/* Its parent is range-partitioned by the time column alone: the bound limits time. */
	bool time_level;
	/* The bound's FROM and TO as microseconds since the epoch (INT64_MIN/MAX for -infinity
	 * and infinity); unset for MINVALUE/MAXVALUE and for other kinds of bound. */
	bool has_lower, has_upper;
	int64_t lower, upper;
	int64_t bytes; /* pg_total_relation_size */
	double est_rows;
	/* A foreign key references it (DETACH would fail on a referenced row) or a view reads it
	 * (DROP would fail). */
	bool pinned;
} PgPartNode;

typedef struct PgPartTree
{
	PgPartNode *nodes; /* level order, then by oid: the root first */
	int n;
} PgPartTree;

/* The tree under the table `oid`, the root included; time_column and time_is_tz (its type:
 * timestamptz or timestamp) say how bounds are read as times. */
bool pg_partitions_tree(PGconn *conn, uint32_t oid, const char *time_column, bool time_is_tz,
						PgPartTree *out, EbbError *err);
void pg_partitions_tree_free(PgPartTree *tree);

#endif
