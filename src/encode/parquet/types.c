#include "encode/parquet/types.h"

#include <string.h>

#include "encode/parquet/thrift.h"

/* PostgreSQL type OIDs (pg_type.dat); stable across versions. */
enum
{
	OID_BOOL = 16,
	OID_BYTEA = 17,
	OID_NAME = 19,
	OID_INT8 = 20,
	OID_INT2 = 21,
	OID_INT4 = 23,
	OID_TEXT = 25,
	OID_OID = 26,
	OID_JSON = 114,
	OID_FLOAT4 = 700,
	OID_FLOAT8 = 701,
	OID_BPCHAR = 1042,
	OID_VARCHAR = 1043,
	OID_DATE = 1082,
	OID_TIME = 1083,
	OID_TIMESTAMP = 1114,
	OID_TIMESTAMPTZ = 1184,
	OID_NUMERIC = 1700,
	OID_UUID = 2950,
	OID_JSONB = 3802
};

/* numeric(p,s) with 1 <= p <= 38 and 0 <= s <= p fits a Parquet DECIMAL; others are text. */
static bool
numeric_decimal(int32_t typmod, int *precision, int *scale)
{
	if (typmod < 4)
		return false;
	*precision = ((typmod - 4) >> 16) & 0xFFFF;
	*scale = (((typmod - 4) & 0x7FF) ^ 1024) - 1024;
	return *precision >= 1 && *precision <= 38 && *scale >= 0 && *scale <= *precision;
}

static const struct
{
	uint32_t oid;
	ParquetKind kind;
	ParquetPhysical physical;
} simple_types[] = {
	{OID_BOOL, PQK_BOOL, PQ_BOOLEAN},
	{OID_INT2, PQK_INT16, PQ_INT32},
	{OID_INT4, PQK_INT32, PQ_INT32},
	{OID_INT8, PQK_INT64, PQ_INT64},
	{OID_OID, PQK_OID, PQ_INT64},
	{OID_FLOAT4, PQK_FLOAT4, PQ_FLOAT},
	{OID_FLOAT8, PQK_FLOAT8, PQ_DOUBLE},
	{OID_DATE, PQK_DATE, PQ_INT32},
	{OID_TIME, PQK_TIME, PQ_INT64},
	{OID_TIMESTAMP, PQK_TIMESTAMP, PQ_INT64},
	{OID_TIMESTAMPTZ, PQK_TIMESTAMPTZ, PQ_INT64},
	{OID_UUID, PQK_UUID, PQ_FLBA},
	{OID_JSON, PQK_JSON, PQ_BYTE_ARRAY},
	{OID_JSONB, PQK_JSONB, PQ_BYTE_ARRAY},
	{OID_BYTEA, PQK_BYTEA, PQ_BYTE_ARRAY},
	{OID_TEXT, PQK_TEXT, PQ_BYTE_ARRAY},
	{OID_VARCHAR, PQK_TEXT, PQ_BYTE_ARRAY},
	{OID_BPCHAR, PQK_TEXT, PQ_BYTE_ARRAY},
	{OID_NAME, PQK_TEXT, PQ_BYTE_ARRAY},
};

void
parquet_column_type(const ColumnDesc *col, ParquetColumnType *out)
{
	int p, s;

	memset(out, 0, sizeof(*out));
	out->kind = PQK_TEXT;
	out->physical = PQ_BYTE_ARRAY;
	if (col->as_text || col->typtype != 'b')
		return;
	if (col->type_oid == OID_NUMERIC && numeric_decimal(col->typmod, &p, &s))
	{
		/* The smallest physical type that holds p digits (Arrow rejects a wider precision). */
		static const int flba_len[39] = {0,  1,  1,  2,  2,  3,  3,  4,  4,  4,  5,  5,  6,
										 6,  6,  7,  7,  8,  8,  9,  9,  9,  10, 10, 11, 11,
										 11, 12, 12, 13, 13, 13, 14, 14, 15, 15, 16, 16, 16};
		out->kind = PQK_DECIMAL;
		out->precision = p;
		out->scale = s;
		out->physical = p <= 9 ? PQ_INT32 : p <= 18 ? PQ_INT64 : PQ_FLBA;
		out->type_length = p <= 18 ? 0 : flba_len[p];
		return;
	}
	for (size_t i = 0; i < sizeof(simple_types) / sizeof(simple_types[0]); i++)
		if (simple_types[i].oid == col->type_oid)
		{
			out->kind = simple_types[i].kind;
			out->physical = simple_types[i].physical;
			out->type_length = out->kind == PQK_UUID ? 16 : 0;
		}
}

bool
parquet_column_binary(const ColumnDesc *col)
{
	ParquetColumnType t;
	ColumnDesc probe = *col;

	probe.as_text = false;
	parquet_column_type(&probe, &t);
	/* Text kinds are read in binary only when the type's binary form is its text. */
	return t.kind != PQK_TEXT || col->type_oid == OID_TEXT || col->type_oid == OID_VARCHAR ||
		   col->type_oid == OID_BPCHAR || col->type_oid == OID_NAME;
}

int
parquet_value_width(const ParquetColumnType *t)
{
	switch (t->physical)
	{
		case PQ_BOOLEAN: return 1;
		case PQ_INT32:
		case PQ_FLOAT: return 4;
		case PQ_INT64:
		case PQ_DOUBLE: return 8;
		case PQ_FLBA: return t->type_length;
		default: return 0;
	}
}

/* ConvertedType and LogicalType ids (parquet.thrift). */
enum
{
	CT_UTF8 = 0,
	CT_DECIMAL = 5,
	CT_DATE = 6,
	CT_TIME_MICROS = 8,
	CT_TIMESTAMP_MICROS = 10,
	CT_INT_16 = 16,
	CT_JSON = 19,
	LT_STRING = 1,
	LT_DECIMAL = 5,
	LT_DATE = 6,
	LT_TIME = 7,
	LT_TIMESTAMP = 8,
	LT_INTEGER = 10,
	LT_JSON = 12,
	LT_UUID = 14
};

/* TimeType / TimestampType {1: isAdjustedToUTC, 2: unit = MICROS} */
static void
write_time_type(ParquetThriftWriter *w, int16_t member, bool utc)
{
	parquet_thrift_struct_field(w, member);
	parquet_thrift_bool(w, 1, utc);
	parquet_thrift_struct_field(w, 2);
	parquet_thrift_empty_struct(w, 2);
	parquet_thrift_struct_end(w);
	parquet_thrift_struct_end(w);
}

/* The legacy ConvertedType (6), then scale/precision (7, 8) where DECIMAL. */
static int
converted_type(const ParquetColumnType *t)
{
	switch (t->kind)
	{
		case PQK_INT16: return CT_INT_16;
		case PQK_DECIMAL: return CT_DECIMAL;
		case PQK_DATE: return CT_DATE;
		case PQK_TIME: return CT_TIME_MICROS;
		case PQK_TIMESTAMP:
		case PQK_TIMESTAMPTZ: return CT_TIMESTAMP_MICROS;
		case PQK_JSON:
		case PQK_JSONB: return CT_JSON;
		case PQK_TEXT: return CT_UTF8;
		default: return -1;
	}
}

static void
write_logical_type(ParquetThriftWriter *w, const ParquetColumnType *t)
{
	switch (t->kind)
	{
		case PQK_INT16:
			parquet_thrift_struct_field(w, 10);
			parquet_thrift_struct_field(w, LT_INTEGER);
			parquet_thrift_i8(w, 1, 16);
			parquet_thrift_bool(w, 2, true);
			parquet_thrift_struct_end(w);
			break;
		case PQK_DECIMAL:
			parquet_thrift_struct_field(w, 10);
			parquet_thrift_struct_field(w, LT_DECIMAL);
			parquet_thrift_i32(w, 1, t->scale);
			parquet_thrift_i32(w, 2, t->precision);
			parquet_thrift_struct_end(w);
			break;
		case PQK_DATE:
			parquet_thrift_struct_field(w, 10);
			parquet_thrift_empty_struct(w, LT_DATE);
			break;
		case PQK_TIME:
			parquet_thrift_struct_field(w, 10);
			write_time_type(w, LT_TIME, false);
			break;
		case PQK_TIMESTAMP:
		case PQK_TIMESTAMPTZ:
			parquet_thrift_struct_field(w, 10);
			write_time_type(w, LT_TIMESTAMP, t->kind == PQK_TIMESTAMPTZ);
			break;
		case PQK_UUID:
			parquet_thrift_struct_field(w, 10);
			parquet_thrift_empty_struct(w, LT_UUID);
			break;
		case PQK_JSON:
		case PQK_JSONB:
			parquet_thrift_struct_field(w, 10);
			parquet_thrift_empty_struct(w, LT_JSON);
			break;
		case PQK_TEXT:
			parquet_thrift_struct_field(w, 10);
			parquet_thrift_empty_struct(w, LT_STRING);
			break;
		default: return; /* no logical type */
	}
	parquet_thrift_struct_end(w); /* the LogicalType union */
}

void
parquet_write_schema_leaf(ParquetThriftWriter *w, const ColumnDesc *col, const ParquetColumnType *t)
{
	int ct = converted_type(t);

	parquet_thrift_struct_begin(w);
	parquet_thrift_i32(w, 1, t->physical);
	if (t->physical == PQ_FLBA)
		parquet_thrift_i32(w, 2, t->type_length);
	parquet_thrift_i32(w, 3, 1); /* OPTIONAL: every column may hold NULLs */
	parquet_thrift_string(w, 4, col->name);
	if (ct >= 0)
		parquet_thrift_i32(w, 6, ct);
	if (t->kind == PQK_DECIMAL)
	{
		parquet_thrift_i32(w, 7, t->scale);
		parquet_thrift_i32(w, 8, t->precision);
	}
	write_logical_type(w, t);
	parquet_thrift_struct_end(w);
}
