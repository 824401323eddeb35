/*
 * partitions.h: the range partitions a restored object's rows need and the target lacks.
 * A row whose partition ebb archived whole and dropped comes back into that partition, made
 * again from the ledger (restore.c); a row of a range object whose partition is gone gets the
 * partition of its interval, named as ebb partition names it (<table>_p<start>), made in the
 * transaction that loads the object. Not when the table has a DEFAULT partition (it takes
 * the rows), nor under --no-create-partitions; without --create-partitions, only for a table
 * whose partitions ebb partition named (their names and bounds tell the interval) and that
 * pg_partman does not manage.
 */
#ifndef EBB_RESTORE_PARTITIONS_H
#define EBB_RESTORE_PARTITIONS_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "common/error.h"
#include "config/config.h"
#include "pg/partition_make.h"
#include "pg/partitions.h"
#include "restore/load.h"
#include "restore/target.h"

typedef struct RestorePartitions
{
	bool active; /* ranges are made: a range-partitioned target, no DEFAULT, an interval */
	PgPartitionParent parent;
	PgPartInterval iv;
	const char *schema; /* the target's */
	const char *table;
} RestorePartitions;

/* Once per target, before its objects. Fails (EBB_ERR_CONFIG) under --create-partitions when
 * the target's partitions cannot be made (not range-partitioned by time, no interval known). */
bool restore_partitions_prepare(PGconn *conn, const RestoreTarget *target, const Settings *s,
								RestorePartitions *out, EbbError *err);
/* After the object's rows are staged (lr): creates the partitions of the intervals that hold
 * staged rows and that no partition overlaps. A range another partition covers in part is
 * left alone (the insert then says which row has no partition). *created counts them. A dry
 * run passes planned: nothing is created; each partition not in planned yet is added, said
 * and counted. */
bool restore_partitions_make(PGconn *conn, const RestorePartitions *rp, const RestoreLoadResult *lr,
							 StrList *planned, int *created, EbbError *err);
void restore_partitions_free(RestorePartitions *rp);

#endif
