/*
 * copy_in.h: a COPY ... FROM STDIN stream: the caller sends the data (pg/copy_text.h makes
 * it) in chunks; the end says how many rows the server took. On any failure the COPY is
 * ended with an error so that the session is usable (inside a failed transaction, if any).
 */
#ifndef EBB_PG_COPY_IN_H
#define EBB_PG_COPY_IN_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

bool pg_copy_in_begin(PGconn *conn, const char *sql, EbbError *err);
bool pg_copy_in_put(PGconn *conn, const char *data, size_t len, EbbError *err);
/* Ends the data; *rows: what the server reports it loaded. */
bool pg_copy_in_end(PGconn *conn, uint64_t *rows, EbbError *err);
/* Ends the COPY with an error (why), for a failure on the sending side; best effort. */
void pg_copy_in_abort(PGconn *conn, const char *why);

#endif
