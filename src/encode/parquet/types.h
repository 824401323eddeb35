/*
 * types.h: how each PostgreSQL column becomes a Parquet column (physical type, annotations) and
 * how one value in COPY's binary form becomes that physical type's PLAIN bytes. The mapping is
 * the table of ../shared/parquet.md section 5 and README "Parquet"; every type it does not list
 * arrives in its text form (the server casts it) and is stored as a STRING.
 */
#ifndef EBB_ENCODE_PARQUET_TYPES_H
#define EBB_ENCODE_PARQUET_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/row.h"
#include "encode/encoder.h"

/* Parquet physical types (parquet.thrift Type). */
typedef enum ParquetPhysical
{
	PQ_BOOLEAN = 0,
	PQ_INT32 = 1,
	PQ_INT64 = 2,
	PQ_FLOAT = 4,
	PQ_DOUBLE = 5,
	PQ_BYTE_ARRAY = 6,
	PQ_FLBA = 7
} ParquetPhysical;

/* How a column's values convert, and how they sort for statistics. */
typedef enum ParquetKind
{
	PQK_BOOL,
	PQK_INT16,
	PQK_INT32,
	PQK_INT64,
	PQK_OID,
	PQK_FLOAT4,
	PQK_FLOAT8,
	PQK_DECIMAL, /* numeric(p,s), p <= 38 */
	PQK_DATE,
	PQK_TIME,
	PQK_TIMESTAMP,
	PQK_TIMESTAMPTZ,
	PQK_UUID,
	PQK_JSON,
	PQK_JSONB,
	PQK_BYTEA,
	PQK_TEXT /* text, varchar, bpchar, name, and every column sent as text */
} ParquetKind;

typedef struct ParquetColumnType
{
	ParquetKind kind;
	ParquetPhysical physical;
	int type_length; /* FLBA bytes */
	int precision, scale;
} ParquetColumnType;

/* Does ebb read this column's binary form? (Otherwise the server casts it to text.) */
bool parquet_column_binary(const ColumnDesc *col);
void parquet_column_type(const ColumnDesc *col, ParquetColumnType *out);
/* Bytes of a PLAIN value of a fixed-width physical type (0 for BYTE_ARRAY, 1 for BOOLEAN). */
int parquet_value_width(const ParquetColumnType *t);

/*
 * Converts one non-NULL binary field into out (at most 16 bytes for fixed widths; a
 * BYTE_ARRAY value is pointed to by data and len instead). *isnull is set when the infinity
 * policy turns the value into a NULL. Fails with EBB_ERR_DATA naming the column.
 */
bool parquet_convert(const ParquetColumnType *t, const ColumnDesc *col, EncoderInfinity policy,
					 const char *in, size_t inlen, uint8_t out[16], const char **data, size_t *len,
					 bool *isnull, EbbError *err);

/* The SchemaElement annotations of a leaf (written by the footer). */
typedef struct ParquetThriftWriter ParquetThriftWriter;
void parquet_write_schema_leaf(ParquetThriftWriter *w, const ColumnDesc *col,
							   const ParquetColumnType *t);

#endif
