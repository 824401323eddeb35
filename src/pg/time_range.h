/*
 * time_range.h: --from and --to (verify, restore), read by PostgreSQL as --end of generate
 * is, in the session TimeZone: a value it cannot read, or a --to not after --from, is a usage
 * error (exit 2) before anything is read or changed.
 */
#ifndef EBB_PG_TIME_RANGE_H
#define EBB_PG_TIME_RANGE_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "common/error.h"

/* from and to may each be NULL (unbounded). */
bool pg_check_time_range(PGconn *conn, const char *from, const char *to, EbbError *err);

#endif
