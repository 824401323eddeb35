/*
 * load.h: one object's rows into a staging table, inside the caller's transaction. The object
 * (already fetched to a local file and checked) is decoded by ebb (CSV after its compressor,
 * or Parquet) and sent as COPY text: never COPY csv, whose "\." line ends the data early. The
 * staging table (ebb_restore_stage, dropped at COMMIT or ROLLBACK) has the object's columns,
 * typed as the target's, so that a value the target cannot hold fails here.
 */
#ifndef EBB_RESTORE_LOAD_H
#define EBB_RESTORE_LOAD_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "restore/target.h"

typedef struct RestoreLoadResult
{
	uint64_t rows;  /* rows the server loaded into the staging table */
	Buf columns;    /* the quoted target columns the object fills, comma-separated */
	Buf update_set; /* col = EXCLUDED.col for the non-key columns it fills */
	bool identity;  /* it fills a GENERATED ALWAYS identity column */
} RestoreLoadResult;

/* format: csv or parquet; compression: the object's compressor (csv). The caller frees the
 * result's buffers with restore_load_result_free, also after a failure. */
bool restore_load(PGconn *conn, const RestoreTarget *target, const StrList *ignore,
				  const char *path, const char *format, const char *compression,
				  RestoreLoadResult *out, EbbError *err);
void restore_load_result_free(RestoreLoadResult *r);

#endif
