/*
 * reader.h: a Parquet file read back row by row, each field in PostgreSQL's text output form
 * (for `ebb restore`, which loads archived objects with COPY ... FROM STDIN in text format).
 *
 * What it reads: flat schemas (REQUIRED or OPTIONAL leaves; ebb stores arrays as text),
 * DATA_PAGE v1 and v2, a DICTIONARY_PAGE with PLAIN_DICTIONARY / RLE_DICTIONARY indices,
 * PLAIN, RLE (booleans), DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and
 * BYTE_STREAM_SPLIT values, codecs UNCOMPRESSED, SNAPPY, GZIP and ZSTD, any number of row
 * groups. The text is the inverse of ebb's writer (see text_out.h): timestamptz comes back in
 * UTC with "+00"; a time 24:00:00 that ebb stored as 23:59:59.999999 (--parquet-infinity
 * sentinel) stays 23:59:59.999999 (it cannot be told from a real one).
 *
 * Memory: the footer, and one row group's column chunks (as stored) plus the current page of
 * each column decompressed; the file is read with pread, never whole.
 *
 * Errors: a damaged or truncated file fails with EBB_ERR_VERIFY, a valid file using what ebb
 * does not read (nested columns, LZO/BROTLI/LZ4, an unknown encoding) with EBB_ERR_DATA, an
 * I/O failure with EBB_ERR_IO; messages read `could not read Parquet file "...": ...`.
 * The ParquetReader owns everything it hands out.
 */
#ifndef EBB_ENCODE_PARQUET_READER_H
#define EBB_ENCODE_PARQUET_READER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/row.h"

typedef struct ParquetReader ParquetReader;

/* Opens a Parquet file on disk: checks magic, reads and validates the footer (thrift compact). */
bool parquet_reader_open(const char *path, ParquetReader **out, EbbError *err);
int parquet_reader_ncolumns(const ParquetReader *r);
const char *parquet_reader_column_name(const ParquetReader *r, int i);
/* The PostgreSQL type a column's text is the output of ("timestamp with time zone", "numeric",
 * "text" for strings, JSON and everything ebb stored as text). */
const char *parquet_reader_column_type(const ParquetReader *r, int i);
uint64_t parquet_reader_num_rows(const ParquetReader *r); /* from the footer */
/* The value of a key_value_metadata key, or NULL (absent, or a key without a value). */
const char *parquet_reader_kv(const ParquetReader *r, const char *key);
/*
 * The next row, each field in PostgreSQL's TEXT output form (what `COPY ... TO STDOUT` text
 * would show before COPY escaping, i.e. the type output function's string) or isnull.
 * Fields point into reader-owned memory valid until the next call. *eof=true at the end.
 * After a failure every later call fails the same way.
 */
bool parquet_reader_next(ParquetReader *r, Row *row, bool *eof, EbbError *err);
void parquet_reader_close(ParquetReader *r);

#endif
