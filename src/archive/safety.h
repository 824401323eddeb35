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
#include "pg/hypertable.h"

/* Fails with EBB_ERR_CONFIG (naming the dependent, with a hint) when the table is unsafe. */
/* ht: TimescaleDB's description of the table (ht->is false for a plain table). */
bool archive_check_dependents(PGconn *conn, const PgTableInfo *info, const Policy *policy,
							  const PgHypertable *ht, EbbError *err);

/* Adds the hint for a window that failed on a foreign key violation (SQLSTATE 23503). */
void archive_fk_hint(EbbError *err);

/*
 * The checks above hold for a run only while nothing changes: a foreign key, trigger or rule
 * added between two windows, or a column added, would make a later window delete what its
 * object does not hold. So each transaction that reads rows to archive first locks the relation
 * (which makes such DDL wait until COMMIT) and compares the table's fingerprint (pg_digest_sql)
 * with the one taken when the checks passed.
 */
#define ARCHIVE_DIGEST_LEN 33

bool archive_digest(PGconn *conn, const char *rel, uint32_t oid, bool whole,
					char out[ARCHIVE_DIGEST_LEN], EbbError *err);
/* Runs `begin` (BEGIN and a LOCK, or "" inside a transaction already locked), then compares
 * the fingerprint of rel (whole or columns only) with `expected`; fails, naming `table`, when
 * they differ (the caller rolls back). */
bool archive_check_unchanged(PGconn *conn, const char *begin, const char *rel, uint32_t oid,
							 bool whole, const char *expected, const Policy *table, EbbError *err);

/* BEGIN; `lock`; then the table's whole fingerprint (rel, oid) compared with `expected`,
 * through a statement prepared on first use under the name in stmt ("" until then). */
bool archive_begin_checked(PGconn *conn, const char *lock, char stmt[32], const char *rel,
						   uint32_t oid, const char *expected, const Policy *table, EbbError *err);

/* ebb's session must fire triggers and foreign keys as the application's do: a role or
 * PGOPTIONS setting session_replication_role = replica is reset to origin, or refused. */
bool archive_check_session(PGconn *conn, EbbError *err);

#endif
