/*
 * ledger.h: what an archive run records in ebb's tables (catalog/ledger.h and catalog/runs.h
 * own the statements): its committed objects and their manifests' flags, its start and
 * outcome, and the runs of its table that ended without an outcome. ledger.c calls no other
 * file of the folder.
 */
#ifndef EBB_ARCHIVE_LEDGER_H
#define EBB_ARCHIVE_LEDGER_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "archive/target.h"
#include "common/error.h"
#include "common/buf.h"

/* The object's ledger row, in the caller's transaction (the statement is prepared on first
 * use under t->ledger_stmt; the keys of t->manifests_done are flagged with it). */
bool archive_ledger_insert(ArchiveTarget *t, const ArchivedObject *obj, EbbError *err);
/* At the run's start: has a restore put rows back into the table (t->has_restored)? */
bool archive_ledger_read_restored(ArchiveTarget *t, EbbError *err);
/* Before COMMIT, after the insert: the restored objects the object supersedes, into
 * t->supersedes (none read when no restore touched the table). */
bool archive_ledger_supersedes(ArchiveTarget *t, const ArchivedObject *obj, EbbError *err);
bool archive_ledger_mark_manifest(PGconn *conn, const char *key, EbbError *err);
bool archive_ledger_mark_manifests(PGconn *conn, const StrList *keys, EbbError *err);
/* Does the ledger name key as committed? (asked on a new session after a lost COMMIT) */
bool archive_ledger_key_committed(PGconn *conn, const char *key, bool *committed, EbbError *err);
/* Older 'running' rows of the table whose lock is free become 'interrupted' (lock held). */
bool archive_ledger_mark_interrupted(ArchiveTarget *t, EbbError *err);
bool archive_ledger_run_start(ArchiveTarget *t, EbbError *err);
void archive_ledger_run_finish(ArchiveTarget *t, const char *status, const char *message);

#endif
