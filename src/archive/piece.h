/*
 * piece.h: one piece of a window archived in one transaction (steps 2-6 of the protocol):
 * COPY -> encode -> compress -> hash -> store -> verify -> ledger -> COMMIT. The caller's
 * ArchivedObject is filled in; a committed one becomes t->pending (its manifest follows,
 * manifest.h) and adds to the target's counts.
 */
#ifndef EBB_ARCHIVE_PIECE_H
#define EBB_ARCHIVE_PIECE_H

#include <stdbool.h>

#include "archive/target.h"
#include "common/error.h"

/* One piece; rows == 0 in *obj means the range was empty and nothing was written. */
bool archive_piece(ArchiveTarget *t, TimeRange piece, TimeRange window, ArchivedObject *obj,
				   EbbError *err);
/* Steps 2-6 for a transaction the caller began: COPY `sql` (whose rows the transaction owns)
 * -> object -> verify -> ledger -> COMMIT. On failure the transaction is rolled back. An empty
 * result stores nothing and rolls back (obj->rows == 0). */
bool archive_in_transaction(ArchiveTarget *t, const char *sql, ArchivedObject *obj, EbbError *err);

#endif
