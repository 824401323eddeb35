#include "encode/parquet/thrift.h"

#include <string.h>

void
parquet_thrift_writer_init(ParquetThriftWriter *w, Buf *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

void
parquet_thrift_varint(Buf *out, uint64_t v)
{
	uint8_t b[10];
	int n = 0;

	while (v >= 0x80)
	{
		b[n++] = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	b[n++] = (uint8_t) v;
	buf_append(out, b, (size_t) n);
}

/* Zigzag on unsigned arithmetic: no signed overflow for INT64_MIN. */
static void
zigzag(Buf *out, int64_t v)
{
	parquet_thrift_varint(out, ((uint64_t) v << 1) ^ (uint64_t) (v >> 63));
}

void
parquet_thrift_struct_begin(ParquetThriftWriter *w)
{
	w->last[++w->depth] = 0;
}

void
parquet_thrift_struct_end(ParquetThriftWriter *w)
{
	buf_append_char(w->out, TT_STOP);
	w->depth--;
}

void
parquet_thrift_field(ParquetThriftWriter *w, int16_t id, uint8_t type)
{
	int delta = id - w->last[w->depth];

	if (delta > 0 && delta <= 15)
		buf_append_char(w->out, (char) (delta << 4 | type));
	else
	{
		buf_append_char(w->out, (char) type);
		zigzag(w->out, id);
	}
	w->last[w->depth] = id;
}

void
parquet_thrift_i8(ParquetThriftWriter *w, int16_t id, int8_t v)
{
	parquet_thrift_field(w, id, TT_I8);
	buf_append_char(w->out, (char) v);
}

void
parquet_thrift_i16(ParquetThriftWriter *w, int16_t id, int16_t v)
{
	parquet_thrift_field(w, id, TT_I16);
	zigzag(w->out, v);
}

void
parquet_thrift_i32(ParquetThriftWriter *w, int16_t id, int32_t v)
{
	parquet_thrift_field(w, id, TT_I32);
	zigzag(w->out, v);
}

void
parquet_thrift_i64(ParquetThriftWriter *w, int16_t id, int64_t v)
{
	parquet_thrift_field(w, id, TT_I64);
	zigzag(w->out, v);
}

void
parquet_thrift_bool(ParquetThriftWriter *w, int16_t id, bool v)
{
	parquet_thrift_field(w, id, v ? TT_TRUE : TT_FALSE);
}

void
parquet_thrift_binary(ParquetThriftWriter *w, int16_t id, const void *data, size_t len)
{
	parquet_thrift_field(w, id, TT_BINARY);
	parquet_thrift_varint(w->out, len);
	buf_append(w->out, data, len);
}

void
parquet_thrift_string(ParquetThriftWriter *w, int16_t id, const char *s)
{
	parquet_thrift_binary(w, id, s, strlen(s));
}

void
parquet_thrift_struct_field(ParquetThriftWriter *w, int16_t id)
{
	parquet_thrift_field(w, id, TT_STRUCT);
	parquet_thrift_struct_begin(w);
}

void
parquet_thrift_empty_struct(ParquetThriftWriter *w, int16_t id)
{
	parquet_thrift_struct_field(w, id);
	parquet_thrift_struct_end(w);
}

void
parquet_thrift_list_field(ParquetThriftWriter *w, int16_t id, uint8_t elem_type, uint32_t n)
{
	parquet_thrift_field(w, id, TT_LIST);
	if (n < 15)
		buf_append_char(w->out, (char) (n << 4 | elem_type));
	else
	{
		buf_append_char(w->out, (char) (0xF0 | elem_type));
		parquet_thrift_varint(w->out, n);
	}
}

void
parquet_thrift_list_i32(ParquetThriftWriter *w, int32_t v)
{
	zigzag(w->out, v);
}

void
parquet_thrift_list_binary(ParquetThriftWriter *w, const char *s)
{
	size_t len = strlen(s);

	parquet_thrift_varint(w->out, len);
	buf_append(w->out, s, len);
}

void
parquet_thrift_reader_init(ParquetThriftReader *r, const void *data, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->p = data;
	r->end = r->p + len;
}

bool
parquet_thrift_read_varint(ParquetThriftReader *r, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; shift < 64; shift += 7)
	{
		if (r->p >= r->end)
			return false;
		uint8_t b = *r->p++;
		*v |= (uint64_t) (b & 0x7F) << shift;
		if (!(b & 0x80))
			return true;
	}
	return false;
}

static bool
read_zigzag(ParquetThriftReader *r, int64_t *v)
{
	uint64_t u;

	if (!parquet_thrift_read_varint(r, &u))
		return false;
	*v = (int64_t) (u >> 1) ^ -(int64_t) (u & 1);
	return true;
}

bool
parquet_thrift_read_struct_begin(ParquetThriftReader *r)
{
	if (r->depth + 1 >= THRIFT_MAX_DEPTH)
		return false;
	r->last[++r->depth] = 0;
	return true;
}

bool
parquet_thrift_read_field(ParquetThriftReader *r, int16_t *id, uint8_t *type)
{
	if (r->p >= r->end)
		return false;
	uint8_t b = *r->p++;
	*type = b & 0x0F;
	if (*type == TT_STOP)
	{
		r->depth--;
		return r->depth >= 0;
	}
	if (b >> 4)
		*id = (int16_t) (r->last[r->depth] + (b >> 4));
	else
	{
		int64_t v;
		if (!read_zigzag(r, &v) || v < INT16_MIN || v > INT16_MAX)
			return false;
		*id = (int16_t) v;
	}
	r->last[r->depth] = *id;
	return true;
}

bool
parquet_thrift_read_int(ParquetThriftReader *r, uint8_t type, int64_t *v)
{
	if (type == TT_I8)
	{
		if (r->p >= r->end)
			return false;
		*v = (int8_t) *r->p++;
		return true;
	}
	return (type == TT_I16 || type == TT_I32 || type == TT_I64) && read_zigzag(r, v);
}

bool
parquet_thrift_read_binary(ParquetThriftReader *r, const uint8_t **data, size_t *len)
{
	uint64_t n;

	if (!parquet_thrift_read_varint(r, &n) || n > (uint64_t) (r->end - r->p))
		return false;
	*data = r->p;
	*len = (size_t) n;
	r->p += n;
	return true;
}

bool
parquet_thrift_read_list(ParquetThriftReader *r, uint8_t *elem_type, uint32_t *n)
{
	if (r->p >= r->end)
		return false;
	uint8_t b = *r->p++;
	*elem_type = b & 0x0F;
	*n = b >> 4;
	if (*n == 15)
	{
		uint64_t v;
		if (!parquet_thrift_read_varint(r, &v) || v > UINT32_MAX)
			return false;
		*n = (uint32_t) v;
	}
	return true;
}

static bool
skip_struct(ParquetThriftReader *r)
{
	int16_t id;
	uint8_t type;

	if (!parquet_thrift_read_struct_begin(r))
		return false;
	for (;;)
	{
		if (!parquet_thrift_read_field(r, &id, &type))
			return false;
		if (type == TT_STOP)
			return true;
		if (!parquet_thrift_skip(r, type))
			return false;
	}
}

bool
parquet_thrift_skip(ParquetThriftReader *r, uint8_t type)
{
	int64_t v;
	const uint8_t *d;
	size_t len;
	uint8_t et;
	uint32_t n;

	switch (type)
	{
		case TT_TRUE:
		case TT_FALSE: return true;
		case TT_I8:
		case TT_I16:
		case TT_I32:
		case TT_I64: return parquet_thrift_read_int(r, type, &v);
		case TT_DOUBLE:
			if (r->end - r->p < 8)
				return false;
			r->p += 8;
			return true;
		case TT_BINARY: return parquet_thrift_read_binary(r, &d, &len);
		case TT_STRUCT: return skip_struct(r);
		case TT_LIST:
		case TT_SET:
			/* Lists nest like structs: the same depth bound keeps the recursion finite. */
			if (r->depth + 1 >= THRIFT_MAX_DEPTH || !parquet_thrift_read_list(r, &et, &n))
				return false;
			r->depth++;
			for (uint32_t i = 0; i < n; i++)
			{
				/* Bools in a list are one byte each. */
				if (et == TT_TRUE || et == TT_FALSE)
				{
					if (r->p >= r->end)
						return false;
					r->p++;
				}
				else if (!parquet_thrift_skip(r, et))
					return false;
			}
			r->depth--;
			return true;
		default: return false; /* maps are not in Parquet's metadata */
	}
}
