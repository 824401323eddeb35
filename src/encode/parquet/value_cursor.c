/* value_cursor.c: a page's values in each encoding, handed out in PLAIN form. */
#include "encode/parquet/value_cursor.h"

#include <string.h>

enum
{
	PHYS_BOOLEAN = 0,
	PHYS_INT32 = 1,
	PHYS_INT64 = 2,
	PHYS_INT96 = 3,
	PHYS_FLOAT = 4,
	PHYS_DOUBLE = 5,
	PHYS_BYTE_ARRAY = 6,
	PHYS_FLBA = 7
};

static bool
damaged(EbbError *err, const char *what)
{
	return error_set(err, EBB_ERR_VERIFY, "%s", what);
}

static int
fixed_width(const ParquetValues *v)
{
	switch (v->physical)
	{
		case PHYS_INT32:
		case PHYS_FLOAT: return 4;
		case PHYS_INT64:
		case PHYS_DOUBLE: return 8;
		case PHYS_INT96: return 12;
		case PHYS_FLBA: return v->type_length;
		default: return 0;
	}
}

void
parquet_value_cursor_init(ParquetValues *v, int physical, int type_length)
{
	memset(v, 0, sizeof(*v));
	v->physical = physical;
	v->type_length = type_length;
	buf_init(&v->prev);
}

void
parquet_value_cursor_free(ParquetValues *v)
{
	buf_free(&v->prev);
}

static bool
unsupported(const ParquetValues *v, EbbError *err)
{
	return error_set(err, EBB_ERR_DATA, "unsupported encoding %d for physical type %d", v->encoding,
					 v->physical);
}

/* The DELTA byte-array encodings: lengths (and prefix lengths) first, then the bytes. */
static bool
start_delta_bytes(ParquetValues *v, const uint8_t *p, size_t len, EbbError *err)
{
	const uint8_t *end = p + len, *after;
	ParquetDelta probe;

	if (v->physical != PHYS_BYTE_ARRAY &&
		!(v->physical == PHYS_FLBA && v->encoding == PQE_DELTA_BYTE_ARRAY))
		return unsupported(v, err);
	if (v->encoding == PQE_DELTA_BYTE_ARRAY)
	{
		/* prefix lengths, then the suffixes as DELTA_LENGTH_BYTE_ARRAY */
		if (!parquet_values_read_delta_init(&v->delta, p, len, err))
			return false;
		probe = v->delta;
		if (!parquet_values_read_delta_skip(&probe, &p, err))
			return false;
		buf_reset(&v->prev);
	}
	if (!parquet_values_read_delta_init(&v->lengths, p, (size_t) (end - p), err))
		return false;
	probe = v->lengths;
	if (!parquet_values_read_delta_skip(&probe, &after, err))
		return false;
	v->p = after;
	v->end = end;
	return true;
}

static bool
start_dictionary(ParquetValues *v, const uint8_t *p, size_t len, const ParquetDict *dict,
				 EbbError *err)
{
	if (!dict)
		return damaged(err, "a dictionary-encoded page without a dictionary page");
	if (len < 1 || p[0] > 32)
		return damaged(err, "bad dictionary index bit width");
	v->dict = dict;
	parquet_values_read_rle_init(&v->rle, p + 1, len - 1, p[0]);
	return true;
}

bool
parquet_value_cursor_start(ParquetValues *v, int encoding, const uint8_t *p, size_t len,
						   const ParquetDict *dict, EbbError *err)
{
	int width = fixed_width(v);
	uint32_t rlen;

	v->encoding = encoding;
	v->p = p;
	v->end = p + len;
	v->bool_bit = 0;
	switch (encoding)
	{
		case PQE_PLAIN: return true;
		case PQE_PLAIN_DICTIONARY:
		case PQE_RLE_DICTIONARY: return start_dictionary(v, p, len, dict, err);
		case PQE_RLE:
			/* RLE booleans carry a 4-byte length, as v1 levels do. */
			if (v->physical != PHYS_BOOLEAN)
				return unsupported(v, err);
			if (len < 4)
				return damaged(err, "truncated RLE booleans");
			memcpy(&rlen, p, 4);
			if (rlen > len - 4)
				return damaged(err, "truncated RLE booleans");
			parquet_values_read_rle_init(&v->rle, p + 4, rlen, 1);
			return true;
		case PQE_DELTA_BINARY_PACKED:
			if (v->physical != PHYS_INT32 && v->physical != PHYS_INT64)
				return unsupported(v, err);
			return parquet_values_read_delta_init(&v->delta, p, len, err);
		case PQE_DELTA_LENGTH_BYTE_ARRAY:
		case PQE_DELTA_BYTE_ARRAY: return start_delta_bytes(v, p, len, err);
		case PQE_BYTE_STREAM_SPLIT:
			if (width == 0 || v->physical == PHYS_INT96)
				return unsupported(v, err);
			if (len % (size_t) width != 0)
				return damaged(err, "a BYTE_STREAM_SPLIT page of a partial value");
			v->start = p;
			v->nsplit = len / (size_t) width;
			v->k = 0;
			return true;
		default: return unsupported(v, err);
	}
}

static bool
next_plain(ParquetValues *v, const uint8_t **val, size_t *len, EbbError *err)
{
	size_t avail = (size_t) (v->end - v->p);
	uint32_t l;

	if (v->physical == PHYS_BOOLEAN)
	{
		if (v->bool_bit / 8 >= avail)
			return damaged(err, "truncated PLAIN booleans");
		v->scratch[0] = (v->p[v->bool_bit / 8] >> (v->bool_bit % 8)) & 1;
		v->bool_bit++;
		*val = v->scratch;
		*len = 1;
		return true;
	}
	if (v->physical == PHYS_BYTE_ARRAY)
	{
		if (avail < 4)
			return damaged(err, "truncated PLAIN value");
		memcpy(&l, v->p, 4);
		if (l > avail - 4)
			return damaged(err, "truncated PLAIN value");
		*val = v->p + 4;
		*len = l;
		v->p += 4 + (size_t) l;
		return true;
	}
	l = (uint32_t) fixed_width(v);
	if (l == 0 || l > avail)
		return damaged(err, "truncated PLAIN value");
	*val = v->p;
	*len = l;
	v->p += l;
	return true;
}

static bool
next_delta_int(ParquetValues *v, const uint8_t **val, size_t *len, EbbError *err)
{
	uint64_t x;

	if (!parquet_values_read_delta_next(&v->delta, &x, err))
		return false;
	*len = v->physical == PHYS_INT32 ? 4 : 8;
	for (size_t i = 0; i < *len; i++)
		v->scratch[i] = (uint8_t) (x >> (8 * i));
	*val = v->scratch;
	return true;
}

/* A length from a DELTA stream: an INT32 that must be >= 0. */
static bool
delta_length(ParquetDelta *d, uint32_t *out, EbbError *err)
{
	uint64_t x;

	if (!parquet_values_read_delta_next(d, &x, err))
		return false;
	if ((int32_t) (uint32_t) x < 0)
		return damaged(err, "a negative DELTA length");
	*out = (uint32_t) x;
	return true;
}

static bool
next_delta_bytes(ParquetValues *v, const uint8_t **val, size_t *len, EbbError *err)
{
	uint32_t prefix = 0, l = 0;

	if (v->encoding == PQE_DELTA_BYTE_ARRAY && !delta_length(&v->delta, &prefix, err))
		return false;
	if (!delta_length(&v->lengths, &l, err))
		return false;
	if (l > (size_t) (v->end - v->p))
		return damaged(err, "truncated DELTA byte array");
	if (v->encoding == PQE_DELTA_LENGTH_BYTE_ARRAY)
	{
		*val = v->p;
		*len = l;
		v->p += l;
		return true;
	}
	if (prefix > v->prev.len)
		return damaged(err, "a DELTA_BYTE_ARRAY prefix longer than the previous value");
	v->prev.len = prefix;
	buf_append(&v->prev, v->p, l);
	v->p += l;
	*val = (const uint8_t *) v->prev.data;
	*len = v->prev.len;
	return true;
}

static bool
next_split(ParquetValues *v, const uint8_t **val, size_t *len, EbbError *err)
{
	size_t width = (size_t) fixed_width(v);

	if (v->k >= v->nsplit)
		return damaged(err, "BYTE_STREAM_SPLIT data ends before its values");
	buf_reset(&v->prev);
	buf_reserve(&v->prev, width);
	for (size_t b = 0; b < width; b++)
		v->prev.data[b] = (char) v->start[b * v->nsplit + v->k];
	v->prev.len = width;
	v->k++;
	*val = (const uint8_t *) v->prev.data;
	*len = width;
	return true;
}

bool
parquet_value_cursor_next(ParquetValues *v, const uint8_t **val, size_t *len, EbbError *err)
{
	uint32_t i;

	switch (v->encoding)
	{
		case PQE_PLAIN: return next_plain(v, val, len, err);
		case PQE_PLAIN_DICTIONARY:
		case PQE_RLE_DICTIONARY:
			if (!parquet_values_read_rle_next(&v->rle, &i, err))
				return false;
			if (i >= v->dict->n)
				return damaged(err, "a dictionary index past the dictionary");
			*val = v->dict->ptr[i];
			*len = v->dict->len[i];
			return true;
		case PQE_RLE:
			if (!parquet_values_read_rle_next(&v->rle, &i, err))
				return false;
			v->scratch[0] = (uint8_t) (i & 1);
			*val = v->scratch;
			*len = 1;
			return true;
		case PQE_DELTA_BINARY_PACKED: return next_delta_int(v, val, len, err);
		case PQE_BYTE_STREAM_SPLIT: return next_split(v, val, len, err);
		default: return next_delta_bytes(v, val, len, err);
	}
}
