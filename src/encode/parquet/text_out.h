/*
 * text_out.h: a Parquet value as PostgreSQL's text output of the matching type (what COPY TO
 * text shows before its escaping), the inverse of ebb's writer (types.c, convert.c) and of the
 * common annotations other writers use. Timestamps with isAdjustedToUTC come back in UTC with
 * "+00" (as PostgreSQL prints timestamptz under TimeZone UTC); ebb's and DuckDB's infinity
 * sentinels (INT32_MAX / -INT32_MAX days, INT64_MAX / -INT64_MAX microseconds) as infinity
 * and -infinity.
 */
#ifndef EBB_ENCODE_PARQUET_TEXT_OUT_H
#define EBB_ENCODE_PARQUET_TEXT_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "encode/parquet/footer_read.h"

typedef enum ParquetTextKind
{
	PQT_BOOL,
	PQT_INT32,
	PQT_UINT32,
	PQT_INT64,
	PQT_UINT64,
	PQT_FLOAT,
	PQT_DOUBLE,
	PQT_DECIMAL,
	PQT_DATE,
	PQT_TIME,
	PQT_TIMETZ,
	PQT_TIMESTAMP,
	PQT_TIMESTAMPTZ,
	PQT_INT96, /* legacy Impala/Spark timestamps: nanoseconds of the day, Julian day */
	PQT_TEXT,
	PQT_BYTEA,
	PQT_UUID,
	PQT_INTERVAL /* FIXED_LEN_BYTE_ARRAY(12) INTERVAL: months, days, milliseconds */
} ParquetTextKind;

typedef struct ParquetTextType
{
	ParquetTextKind kind;
	int physical; /* the leaf's: a DECIMAL on INT32/INT64 is little-endian, else big */
	int scale;    /* DECIMAL */
	int unit;     /* TIME / TIMESTAMP: 1 MILLIS, 2 MICROS, 3 NANOS */
} ParquetTextType;

/* How a leaf's values print; EBB_ERR_DATA for an annotation ebb cannot render. */
bool parquet_text_out_type(const ParquetLeaf *leaf, ParquetTextType *t, EbbError *err);
/* The PostgreSQL type a column of this kind restores into ("timestamp with time zone"...). */
const char *parquet_text_out_pg_type(const ParquetTextType *t);
/* Appends one value (PLAIN bytes) as text. */
bool parquet_text_out_value(const ParquetTextType *t, const uint8_t *v, size_t len, Buf *out,
							EbbError *err);

#endif
