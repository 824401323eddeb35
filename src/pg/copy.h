/*
 * copy.h: a COPY ... TO STDOUT stream in text or binary format, decoded row by row into the row
 * model. PgCopy owns the current libpq row buffer (and, in binary, the bytes of a tuple that
 * spans messages); a Row it returns is valid until the next call.
 */
#ifndef EBB_PG_COPY_H
#define EBB_PG_COPY_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/row.h"

typedef struct PgCopy
{
	PGconn *conn;
	char *rowbuf; /* from PQgetCopyData, freed with PQfreemem */
	RowField *fields;
	int ncolumns;
	uint64_t rows;
	uint64_t bytes; /* COPY bytes received */
	bool binary;    /* (FORMAT binary): header, tuples, trailer */
	bool header_seen;
	bool trailer_seen;
	Buf pending;     /* binary: the start of a tuple split across messages */
	size_t consumed; /* binary: bytes of pending already decoded */
	size_t msglen;   /* binary: length of rowbuf */
	size_t msgpos;   /* binary: bytes of rowbuf already decoded */
} PgCopy;

/*
 * The COPY starts in two steps so that the caller can do its own slow work (files, manifests)
 * while the server starts executing: send the statement, then wait for the COPY to begin.
 */
bool pg_copy_send(PgCopy *copy, PGconn *conn, const char *sql, int ncolumns, bool binary,
				  EbbError *err);
bool pg_copy_wait(PgCopy *copy, EbbError *err);
/* Sets *done at the end of the data; otherwise fills *row. */
bool pg_copy_next(PgCopy *copy, Row *row, bool *done, EbbError *err);
/* Reads the command's final result; server_rows is the count from its "COPY n" tag. */
bool pg_copy_end(PgCopy *copy, uint64_t *server_rows, EbbError *err);
void pg_copy_free(PgCopy *copy);

/* Decodes one text-format COPY line in place (exposed for unit tests). */
bool pg_copy_decode_text(char *line, size_t len, RowField *fields, int ncolumns, EbbError *err);

/*
 * Decodes one binary COPY tuple at data[0..len): *used is its length, or 0 when the bytes end
 * before the tuple does; *trailer is set for the end marker (exposed for unit tests).
 */
bool pg_copy_decode_binary(const char *data, size_t len, RowField *fields, int ncolumns,
						   size_t *used, bool *trailer, EbbError *err);
/* Length of the binary COPY header at data, or 0 when incomplete; false when malformed. */
bool pg_copy_binary_header(const char *data, size_t len, size_t *used, EbbError *err);

/* Stops a COPY that is still streaming (cancel and drain) so that the session can ROLLBACK.
 * Returns false when the session is no longer usable; the caller must then disconnect. */
bool pg_copy_abort(PgCopy *copy);
#endif
