/*
 * copy_text.h: rows in PostgreSQL's COPY text format (the default of COPY FROM STDIN), the
 * form ebb sends rows back in: fields separated by tabs, a row ended by "\n", NULL as \N, and
 * in a value a backslash, tab, LF and CR escaped as \\, \t, \n and \r. Every other byte goes
 * as it is, so the server reads each value back byte for byte (in the session's
 * client_encoding). A value that is exactly "\." cannot end the data: its backslash is escaped.
 *
 * Why not COPY (FORMAT csv): PostgreSQL before 18 takes a line "\." as the end of the data
 * even inside a quoted CSV field; text format has no such line, since every backslash of a
 * value is doubled.
 */
#ifndef EBB_PG_COPY_TEXT_H
#define EBB_PG_COPY_TEXT_H

#include "common/buf.h"
#include "common/row.h"

/* Appends one field's escaped form (\N for NULL), without a separator. */
void pg_copy_text_append_field(Buf *out, const RowField *field);
/* Appends the fields separated by tabs, and "\n". */
void pg_copy_text_append_row(Buf *out, const Row *row);

#endif
