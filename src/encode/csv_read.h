/*
 * csv_read.h: the reading side of the csv driver's objects (for ebb restore). A CSV reader is a
 * Sink that takes an object's decompressed bytes in chunks of any size (a field, a quoted line
 * end or a CRLF may be split between writes) and calls back once for the header and once per
 * row.
 *
 * It reads exactly what encode_csv_row() writes: fields separated by commas, records ended by
 * LF, CRLF or a lone CR (as the csv driver's row counter and PostgreSQL read them); a field is
 * either unquoted (no comma, quote, CR or LF in it) or wholly quoted with "" for a quote inside;
 * an unquoted empty field is NULL, a quoted one ("") the empty string. The first record is the
 * header of column names; every record after it must have as many fields. A header that is one
 * empty line is a table of no columns, whose rows are empty lines. A last record without a line
 * end counts.
 *
 * Anything else (a field count that differs from the header's, a quote inside an unquoted
 * field, a byte after a closing quote, data that ends inside quotes, no header) fails with
 * EBB_ERR_VERIFY, naming the line: lines are counted as an editor counts them (a line end
 * inside a quoted field starts a new line). A failed reader fails every later write and finish
 * with the same error. A callback that returns false stops the reader the same way, with the
 * error the callback filled.
 *
 * Memory: the current record's bytes plus 64 kB, whatever the object's size or the writes' sizes.
 * The caller owns the reader (encode_csv_read_destroy) and the callbacks' arg.
 */
#ifndef EBB_ENCODE_CSV_READ_H
#define EBB_ENCODE_CSV_READ_H

#include <stdint.h>

#include "common/error.h"
#include "common/row.h"
#include "common/sink.h"

typedef struct CsvReadCallbacks
{
	/* The header: column names (unescaped, NUL-terminated), valid until the reader is
	 * destroyed. NULL: no callback. */
	bool (*header)(void *arg, int ncolumns, const char *const *names, EbbError *err);
	/* One row: fields as RowField (data/len/isnull, the header's count), valid during the call
	 * only. A field's data is not NUL-terminated. NULL: no callback. */
	bool (*row)(void *arg, const Row *row, EbbError *err);
	void *arg;
} CsvReadCallbacks;

/* The callbacks are copied. */
Sink *encode_csv_read_create(const CsvReadCallbacks *cb);
/* Rows delivered to the row callback so far (the header excluded). */
uint64_t encode_csv_read_rows(const Sink *s);
void encode_csv_read_destroy(Sink *s);

#endif
