/*
 * decode.h: the rows of an archived object, from a local file: CSV through its compressor
 * into the strict parser (encode/csv_read.h), or Parquet through ebb's reader
 * (encode/parquet/reader.h), each field in PostgreSQL's text form. restore loads them; verify
 * --deep counts them. Memory is bounded by a row (CSV) or a row group (Parquet).
 */
#ifndef EBB_ENCODE_DECODE_H
#define EBB_ENCODE_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/row.h"

typedef struct DecodeCallbacks
{
	/* The column names, before any row. */
	bool (*header)(void *arg, int ncolumns, const char *const *names, EbbError *err);
	bool (*row)(void *arg, const Row *row, EbbError *err);
	void *arg;
} DecodeCallbacks;

/* format: csv or parquet; compression: the CSV object's compressor (zstd, gzip, none).
 * *rows: rows decoded. A malformed object fails with EBB_ERR_VERIFY; an unknown format or
 * compression with EBB_ERR_DATA. */
bool encode_decode_file(const char *path, const char *format, const char *compression,
						const DecodeCallbacks *cb, uint64_t *rows, EbbError *err);

#endif
