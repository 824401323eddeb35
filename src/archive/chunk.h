/*
 * chunk.h: a TimescaleDB hypertable, archived a whole chunk at a time. The plan comes from
 * TimescaleDB's catalog (chunk_plan.h); T1 is whole.h's, once per chunk (one object, one
 * ledger row, one short transaction each: a slice of several space partitions is not held
 * locked while all of its chunks are copied).
 *
 * Per expired time slice (its upper bound <= the cutoff), once every chunk of it is archived:
 *   T2: lock_timeout = --detach-timeout; every archived chunk of the slice LOCKed IN ACCESS
 *       EXCLUSIVE MODE; each one's fingerprint equal to the ledger's (else it is archived
 *       again, whole, and T2 starts over); show_chunks(hypertable, older_than => slice end,
 *       newer_than => slice start) names exactly those chunks: drop_chunks with the same
 *       bounds, which must drop exactly as many; else (a chunk nobody archived in the slice)
 *       DROP TABLE of exactly the archived ones. Ledger rows 'dropped'; COMMIT. A lock that
 *       does not come is retried with backoff (--detach-retries), then reported: the chunks
 *       stay, archived, and the next run drops them.
 * A run resumes every 'archived' ledger row first (the chunk gone: 'dropped'), slice by slice,
 * archiving the slice's other chunks before its drop.
 */
#ifndef EBB_ARCHIVE_CHUNK_H
#define EBB_ARCHIVE_CHUNK_H

#include <stdbool.h>

#include "archive/partition_plan.h"
#include "archive/target.h"
#include "common/error.h"

bool archive_chunk_all(ArchiveTarget *t, const PartPlan *plan, EbbError *err);

#endif
