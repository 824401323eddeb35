/*
 * safety.h: the refusals that keep a DELETE from touching rows no object holds. Checked before
 * the first window of a table (and by --dry-run, which reports the same refusal): inheritance
 * children (their rows, with their own columns, would go or stay unarchived), foreign keys
 * that reference the table ON DELETE CASCADE / SET NULL / SET DEFAULT (the DELETE would change
 * another table), rules ON DELETE (they rewrite the DELETE), and DELETE triggers unless the
 * policy allows them. Foreign keys with NO ACTION or RESTRICT are allowed: a window whose rows
 * are still referenced fails in its own transaction, deleting nothing (archive_fk_hint).
 */
#ifndef EBB_ARCHIVE_SAFETY_H
#define EBB_ARCHIVE_SAFETY_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "common/error.h"
#include "config/config.h"
#include "pg/catalog.h"

/* Fails with EBB_ERR_CONFIG (naming the dependent, with a hint) when the table is unsafe. */
bool archive_check_dependents(PGconn *conn, const TableInfo *info, const Policy *policy,
							  EbbError *err);

/* Adds the hint for a window that failed on a foreign key violation (SQLSTATE 23503). */
void archive_fk_hint(EbbError *err);

#endif
