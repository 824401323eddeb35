/*
 * whole.h: one relation, a leaf partition or a TimescaleDB chunk, archived whole: the part of
 * the whole-partition protocol (partition.h) that chunks (chunk.h) share.
 *   T1: LOCK IN SHARE MODE; its newest row checked before the cutoff; its fingerprint; COPY
 *       -> object -> verify -> ledger row (partition_state 'archived') -> COMMIT.
 *   Again: rows that changed after T1 (a fingerprint that differs under T2's lock) are
 *       archived again, whole, as a new object that replaces the first in the ledger.
 * What removes the relation (detach and drop, or drop_chunks) is the caller's.
 */
#ifndef EBB_ARCHIVE_WHOLE_H
#define EBB_ARCHIVE_WHOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archive/partition_plan.h"
#include "archive/target.h"
#include "common/error.h"

/* A ledger row whose relation is archived but not yet removed. */
typedef struct ArchivePending
{
	char key[1024]; /* "" when it was empty (nothing stored) */
	uint64_t rows;
	uint64_t bytes;
	bool this_run; /* its object is in this run's counts (a replacement must not add twice) */
	uint32_t oid;
	char name[256]; /* schema.name when archived, unquoted */
	char bound[512];
	char fingerprint[160]; /* "" when the ledger has none (then the row count alone decides) */
	TimeRange window;
	bool via_parent; /* a compressed chunk, read through the hypertable in its slice */
} ArchivePending;

/* The end of a fingerprint taken through the hypertable (the ledger keeps it: a resumed run
 * fingerprints the chunk the same way). */
#define WHOLE_VIA_PARENT ":via-hypertable"

/* "rows:hash sum:columns" of the relation's row versions (see whole.c); via_parent: of the
 * rows' text, read through the hypertable in slice. */
bool archive_whole_fingerprint(ArchiveTarget *t, const char *qualified, bool via_parent,
							   TimeRange slice, char *out, size_t outlen, EbbError *err);
/* What the relation's rows are read from: "ONLY <qualified>"; via_parent (a compressed chunk,
 * whose rows are in TimescaleDB's compressed storage, decompressed by TimescaleDB when read
 * through the hypertable): "<hypertable> WHERE <slice>". */
void archive_whole_source(const ArchiveTarget *t, const char *qualified, bool via_parent,
						  TimeRange slice, Buf *out);
/* T1 of leaf; *skip when it holds a row at or after the cutoff (nothing stored then). p is
 * filled for the removal. */
bool archive_whole_leaf(ArchiveTarget *t, const PartLeaf *leaf, ArchivePending *p, bool *skip,
						EbbError *err);
/* Archives `qualified` (p's relation now) again, replacing p's object in the ledger. */
bool archive_whole_again(ArchiveTarget *t, ArchivePending *p, const char *qualified, EbbError *err);
/* The ledger rows of the table archived whole but not yet removed; *out is the caller's. */
bool archive_whole_load_pending(ArchiveTarget *t, ArchivePending **out, int *n, EbbError *err);
/* Removes an object (and its manifest) that no ledger row names any more (gc does it later
 * if this fails). */
void archive_whole_remove_unlisted(ArchiveTarget *t, const char *key);
/* Sleeps before lock attempt `attempt` + 1: full jitter from 100 ms, capped at 5 s. */
void archive_whole_backoff(int attempt);
/* "chunk" for a hypertable's, else "partition" (messages). */
const char *archive_whole_kind(const ArchiveTarget *t);

#endif
