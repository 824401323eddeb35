/*
 * lock_wait.h: the error of a migration whose wait for a lock outlasted lock_timeout, naming
 * the sessions that hold locks on ebb's tables (or the migration lock of another ebb).
 */
#ifndef EBB_CATALOG_LOCK_WAIT_H
#define EBB_CATALOG_LOCK_WAIT_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "common/error.h"

/* Fills err (EBB_ERR_QUERY) for a migration to `version` that timed out waiting for a lock;
 * conn must be out of the failed transaction. Returns false. */
bool catalog_lock_wait_error(PGconn *conn, int version, EbbError *err);

#endif
