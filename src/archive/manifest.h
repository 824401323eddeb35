/*
 * manifest.h: an archived object's manifest (catalog/manifest.h builds the JSON), written
 * beside the object after its COMMIT, as the protocol requires. The last committed object
 * waits in t->pending; its manifest is written while the next window's COPY starts, and the
 * keys written wait in t->manifests_done until their ledger flags are committed with a later
 * window (or by archive_manifest_finish). manifest.c calls ledger.c, never the reverse.
 */
#ifndef EBB_ARCHIVE_MANIFEST_H
#define EBB_ARCHIVE_MANIFEST_H

#include <stdbool.h>

#include "archive/target.h"
#include "common/error.h"

/* Writes the manifests that a crash between COMMIT and the manifest left missing, and sets
 * their ledger flags. */
bool archive_manifest_repair(ArchiveTarget *t, EbbError *err);
/* Writes the manifest of the last committed object; its ledger flag follows later. */
void archive_manifest_flush(ArchiveTarget *t);
/* At the end of a table's run: the last manifest, and the flags not yet committed. */
void archive_manifest_finish(ArchiveTarget *t);

#endif
