/* text_out.c: Parquet values as PostgreSQL text (dates and times in datetime_out.c). */
#include "encode/parquet/text_out.h"

#include <inttypes.h>
#include <string.h>

#include "encode/parquet/datetime_out.h"
#include "encode/parquet/float_text.h"

/* LogicalType members and ConvertedType values (parquet.thrift). */
enum
{
	LT_STRING = 1,
	LT_ENUM = 4,
	LT_DECIMAL = 5,
	LT_DATE = 6,
	LT_TIME = 7,
	LT_TIMESTAMP = 8,
	LT_INTEGER = 10,
	LT_JSON = 12,
	LT_UUID = 14,
	CT_UTF8 = 0,
	CT_ENUM = 4,
	CT_DECIMAL = 5,
	CT_DATE = 6,
	CT_TIME_MILLIS = 7,
	CT_TIME_MICROS = 8,
	CT_TIMESTAMP_MILLIS = 9,
	CT_TIMESTAMP_MICROS = 10,
	CT_UINT_8 = 11,
	CT_UINT_32 = 13,
	CT_UINT_64 = 14,
	CT_JSON = 19,
	CT_INTERVAL = 21
};

static bool
is_decimal(const ParquetLeaf *l, ParquetTextType *t)
{
	if (l->logical == LT_DECIMAL)
		t->scale = l->lt_scale;
	else if (l->converted == CT_DECIMAL && l->logical == 0)
		t->scale = l->scale;
	else
		return false;
	t->kind = PQT_DECIMAL;
	return true;
}

static bool
is_unsigned(const ParquetLeaf *l, int ct_max)
{
	return (l->logical == LT_INTEGER && !l->is_signed) ||
		   (l->logical == 0 && l->converted >= CT_UINT_8 && l->converted <= ct_max);
}

/* TIME: TimeType, else the legacy TIME_MILLIS / TIME_MICROS. */
static bool
is_time(const ParquetLeaf *l, ParquetTextType *t)
{
	if (l->logical == LT_TIME)
	{
		t->kind = l->utc ? PQT_TIMETZ : PQT_TIME;
		t->unit = l->unit;
	}
	else if (l->logical == 0 && (l->converted == CT_TIME_MILLIS || l->converted == CT_TIME_MICROS))
	{
		t->kind = PQT_TIME;
		t->unit = l->converted == CT_TIME_MILLIS ? 1 : 2;
	}
	else
		return false;
	return true;
}

/* TIMESTAMP: TimestampType, else the legacy ConvertedTypes (which mean UTC). */
static bool
is_timestamp(const ParquetLeaf *l, ParquetTextType *t)
{
	if (l->logical == LT_TIMESTAMP)
	{
		t->kind = l->utc ? PQT_TIMESTAMPTZ : PQT_TIMESTAMP;
		t->unit = l->unit;
	}
	else if (l->logical == 0 &&
			 (l->converted == CT_TIMESTAMP_MILLIS || l->converted == CT_TIMESTAMP_MICROS))
	{
		t->kind = PQT_TIMESTAMPTZ;
		t->unit = l->converted == CT_TIMESTAMP_MILLIS ? 1 : 2;
	}
	else
		return false;
	return true;
}

static void
kind_of(const ParquetLeaf *l, ParquetTextType *t)
{
	switch (l->physical)
	{
		case 0: t->kind = PQT_BOOL; break;
		case 1:
			if (l->logical == LT_DATE || (l->logical == 0 && l->converted == CT_DATE))
				t->kind = PQT_DATE;
			else if (!is_decimal(l, t) && !is_time(l, t))
				t->kind = is_unsigned(l, CT_UINT_32) ? PQT_UINT32 : PQT_INT32;
			break;
		case 2:
			if (!is_decimal(l, t) && !is_timestamp(l, t) && !is_time(l, t))
				t->kind = is_unsigned(l, CT_UINT_64) ? PQT_UINT64 : PQT_INT64;
			break;
		case 3: t->kind = PQT_INT96; break;
		case 4: t->kind = PQT_FLOAT; break;
		case 5: t->kind = PQT_DOUBLE; break;
		case 6:
			if (!is_decimal(l, t))
				t->kind = l->logical == LT_STRING || l->logical == LT_ENUM ||
								  l->logical == LT_JSON || l->converted == CT_UTF8 ||
								  l->converted == CT_ENUM || l->converted == CT_JSON
							  ? PQT_TEXT
							  : PQT_BYTEA;
			break;
		default:
			if (l->logical == LT_UUID && l->type_length == 16)
				t->kind = PQT_UUID;
			else if (!is_decimal(l, t))
				t->kind =
					l->converted == CT_INTERVAL && l->type_length == 12 ? PQT_INTERVAL : PQT_BYTEA;
	}
}

bool
parquet_text_out_type(const ParquetLeaf *leaf, ParquetTextType *t, EbbError *err)
{
	memset(t, 0, sizeof(*t));
	kind_of(leaf, t);
	t->physical = leaf->physical;
	if (t->kind == PQT_DECIMAL && (t->scale < 0 || t->scale > 38))
		return error_set(err, EBB_ERR_DATA, "column \"%s\" is a DECIMAL of scale %d", leaf->name,
						 t->scale);
	bool timed = t->kind == PQT_TIME || t->kind == PQT_TIMETZ || t->kind == PQT_TIMESTAMP ||
				 t->kind == PQT_TIMESTAMPTZ;
	if (timed && (t->unit < 1 || t->unit > 3 ||
				  (leaf->physical == 1) != (t->unit == 1 && t->kind <= PQT_TIMETZ)))
		return error_set(err, EBB_ERR_DATA, "column \"%s\" has a time unit ebb does not read",
						 leaf->name);
	return true;
}

const char *
parquet_text_out_pg_type(const ParquetTextType *t)
{
	static const char *const names[] = {"boolean",
										"integer",
										"bigint",
										"bigint",
										"numeric",
										"real",
										"double precision",
										"numeric",
										"date",
										"time without time zone",
										"time with time zone",
										"timestamp without time zone",
										"timestamp with time zone",
										"timestamp without time zone",
										"text",
										"bytea",
										"uuid",
										"interval"};
	return names[t->kind];
}

static int64_t
le_int(const uint8_t *v, size_t n)
{
	uint64_t x = 0;

	for (size_t i = 0; i < n; i++)
		x |= (uint64_t) v[i] << (8 * i);
	if (n < 8 && (x >> (8 * n - 1)) & 1)
		x |= ~(uint64_t) 0 << (8 * n); /* sign-extend */
	return (int64_t) x;
}

/* A big-endian two's complement integer of up to 16 significant bytes. */
static bool
be_int128(const uint8_t *v, size_t n, __int128 *out, EbbError *err)
{
	unsigned __int128 x = 0;

	if (n == 0)
		return error_set(err, EBB_ERR_VERIFY, "an empty DECIMAL value");
	uint8_t ext = v[0] & 0x80 ? 0xFF : 0x00;
	for (; n > 16; v++, n--)
		if (v[0] != ext || ((v[1] ^ ext) & 0x80))
			return error_set(err, EBB_ERR_DATA, "a DECIMAL wider than 38 digits");
	for (size_t i = 0; i < n; i++)
		x = x << 8 | v[i];
	if (n < 16 && ext)
		x |= ~(unsigned __int128) 0 << (8 * n);
	*out = (__int128) x;
	return true;
}

/* The unscaled integer with its scale: exact, as numeric_out prints numeric(p,s). */
static void
append_decimal(Buf *out, __int128 v, int scale)
{
	char digits[48];
	int n = 0;
	unsigned __int128 mag = v < 0 ? -(unsigned __int128) v : (unsigned __int128) v;

	do
	{
		digits[n++] = (char) ('0' + (int) (mag % 10));
		mag /= 10;
	} while (mag);
	while (n < scale + 1)
		digits[n++] = '0';
	if (v < 0)
		buf_append_char(out, '-');
	for (int i = n - 1; i >= 0; i--)
	{
		buf_append_char(out, digits[i]);
		if (i == scale && scale > 0)
			buf_append_char(out, '.');
	}
}

static bool
decimal_value(const uint8_t *v, size_t len, int scale, Buf *out, EbbError *err)
{
	__int128 x = 0;

	if (!be_int128(v, len, &x, err))
		return false;
	append_decimal(out, x, scale);
	return true;
}

static void
append_hex(Buf *out, const uint8_t *v, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	buf_reserve(out, 2 * len);
	for (size_t i = 0; i < len; i++)
	{
		out->data[out->len++] = hex[v[i] >> 4];
		out->data[out->len++] = hex[v[i] & 15];
	}
}

static void
append_uuid(Buf *out, const uint8_t *v)
{
	for (int i = 0; i < 16; i++)
	{
		if (i == 4 || i == 6 || i == 8 || i == 10)
			buf_append_char(out, '-');
		append_hex(out, v + i, 1);
	}
}

/* The PLAIN width each fixed kind needs (0: any length). */
static size_t
value_width(const ParquetTextType *t, size_t len)
{
	switch (t->kind)
	{
		case PQT_BOOL: return 1;
		case PQT_INT32:
		case PQT_UINT32:
		case PQT_FLOAT:
		case PQT_DATE: return 4;
		case PQT_INT64:
		case PQT_UINT64:
		case PQT_DOUBLE:
		case PQT_TIMESTAMP:
		case PQT_TIMESTAMPTZ: return 8;
		case PQT_TIME:
		case PQT_TIMETZ: return t->unit == 1 ? 4 : 8;
		case PQT_INT96:
		case PQT_INTERVAL: return 12;
		case PQT_UUID: return 16;
		default: return len;
	}
}

static bool
numeric_value(const ParquetTextType *t, const uint8_t *v, size_t len, Buf *out, EbbError *err)
{
	float f;
	double d;

	switch (t->kind)
	{
		case PQT_BOOL: buf_append_char(out, v[0] ? 't' : 'f'); return true;
		case PQT_INT32:
		case PQT_INT64: buf_printf(out, "%" PRId64, le_int(v, len)); return true;
		case PQT_UINT32:
		case PQT_UINT64:
			buf_printf(out, "%" PRIu64,
					   (uint64_t) le_int(v, len) & (len == 4 ? UINT32_MAX : UINT64_MAX));
			return true;
		case PQT_FLOAT:
			memcpy(&f, v, 4);
			parquet_float_text_append(out, f, true);
			return true;
		case PQT_DOUBLE:
			memcpy(&d, v, 8);
			parquet_float_text_append(out, d, false);
			return true;
		default:
			/* DECIMAL on INT32 / INT64 */
			append_decimal(out, le_int(v, len), t->scale);
			return true;
	}
}

bool
parquet_text_out_value(const ParquetTextType *t, const uint8_t *v, size_t len, Buf *out,
					   EbbError *err)
{
	if (len != value_width(t, len))
		return error_set(err, EBB_ERR_VERIFY, "a value of %zu bytes in a column of %zu-byte values",
						 len, value_width(t, len));
	switch (t->kind)
	{
		case PQT_DECIMAL:
			if (t->physical == 1 || t->physical == 2)
				return numeric_value(t, v, len, out, err);
			return decimal_value(v, len, t->scale, out, err);
		case PQT_TEXT: buf_append(out, v, len); return true;
		case PQT_BYTEA:
			buf_append_str(out, "\\x");
			append_hex(out, v, len);
			return true;
		case PQT_UUID: append_uuid(out, v); return true;
		case PQT_DATE: return parquet_datetime_out_date((int32_t) le_int(v, 4), out, err);
		case PQT_TIME:
		case PQT_TIMETZ:
			return parquet_datetime_out_time(le_int(v, len), t->unit, t->kind == PQT_TIMETZ, out,
											 err);
		case PQT_TIMESTAMP:
		case PQT_TIMESTAMPTZ:
			return parquet_datetime_out_timestamp(le_int(v, 8), t->unit, t->kind == PQT_TIMESTAMPTZ,
												  out, err);
		case PQT_INT96: return parquet_datetime_out_int96(v, out, err);
		case PQT_INTERVAL: parquet_datetime_out_interval(v, out); return true;
		default: return numeric_value(t, v, len, out, err);
	}
}
