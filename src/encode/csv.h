/* csv.h: RFC 4180 field encoding and record counting, exposed for unit tests; the driver is in
 * encoder.c's table. */
#ifndef EBB_ENCODE_CSV_H
#define EBB_ENCODE_CSV_H

#include "common/buf.h"
#include "common/row.h"
#include "common/sink.h"

/*
 * Appends one field. NULL is an empty unquoted field; a non-NULL field is quoted when it is
 * empty, holds a comma, quote, CR or LF, or is exactly "\." -- the same rules as PostgreSQL's
 * COPY ... (FORMAT csv), so COPY FROM reads the files back exactly.
 */
void encode_csv_field(Buf *out, const RowField *field);
/* Appends the fields separated by commas and a terminating "\n". */
void encode_csv_row(Buf *out, const Row *row);

/* csv_count.c: the csv driver's row counter (see encoder.h). */
Sink *encode_csv_counter_create(void);
uint64_t encode_csv_counter_rows(const Sink *counter);
void encode_csv_counter_destroy(Sink *counter);

#endif
