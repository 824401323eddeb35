/*
 * chunk_plan.h: the plan of a TimescaleDB hypertable, from TimescaleDB's catalog
 * (pg/hypertable.h): every chunk as a PartLeaf (partition_plan.h) whose range is its time
 * slice in microseconds, as ebb's windows are (an integer dimension's values through
 * --time-unit: the lower bound rounded down, the upper one up, so that a slice that ends at
 * the cutoff in the column's units is expired and no other). Chunks of one slice (space
 * partitions) are neighbours in the plan. chunk_plan.c calls no other file of the folder;
 * ebb status plans with it too. The caller frees the plan with archive_partition_plan_free.
 */
#ifndef EBB_ARCHIVE_CHUNK_PLAN_H
#define EBB_ARCHIVE_CHUNK_PLAN_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "archive/partition_plan.h"
#include "common/error.h"
#include "pg/hypertable.h"

typedef struct ChunkTable
{
	const char *schema, *table;
	const PgHypertable *ht;
	bool time_is_tz;
	int64_t unit_ns; /* an integer dimension: nanoseconds per unit (0: not given) */
} ChunkTable;

bool archive_chunk_plan(PGconn *conn, const ChunkTable *table, PartPlan *plan, EbbError *err);
/* An integer dimension's value as microseconds since the epoch; up rounds up. */
int64_t archive_chunk_us(int64_t value, int64_t unit_ns, bool up);
/* Do two leaves of a chunk plan share a time slice? */
bool archive_chunk_same_slice(const PartLeaf *a, const PartLeaf *b);

#endif
