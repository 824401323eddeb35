/*
 * table_lock.h: ebb's lock on a table, a session advisory lock (class 7373062, the table's
 * oid): one ebb at a time works on a table, whether it archives from it or restores into it.
 * ebb.archive_run rows name the holder (catalog_run_alive_sql reads the same key).
 */
#ifndef EBB_CATALOG_TABLE_LOCK_H
#define EBB_CATALOG_TABLE_LOCK_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

bool catalog_table_lock_try(PGconn *conn, uint32_t oid, bool *locked, EbbError *err);
/* Best effort: the lock also ends with the session. */
void catalog_table_unlock(PGconn *conn, uint32_t oid);

#endif
