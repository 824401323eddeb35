#include "encode/parquet/column.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "encode/parquet/rle.h"

void
parquet_column_init(ParquetColumn *c, const ColumnDesc *desc)
{
	memset(c, 0, sizeof(*c));
	c->desc = desc;
	parquet_column_type(desc, &c->type);
	c->width = parquet_value_width(&c->type);
	buf_init(&c->defs);
	buf_init(&c->values);
	buf_init(&c->dict);
	buf_init(&c->indices);
	buf_init(&c->stats.minb);
	buf_init(&c->stats.maxb);
	parquet_column_reset(c);
}

static void
dict_free(ParquetColumn *c)
{
	free(c->slots);
	free(c->entry_off);
	free(c->entry_hash);
	c->slots = c->entry_off = c->entry_hash = NULL;
	c->nslots = c->nentries = c->entry_cap = 0;
	buf_reset(&c->dict);
	buf_reset(&c->indices);
}

void
parquet_column_reset(ParquetColumn *c)
{
	dict_free(c);
	buf_reset(&c->defs);
	buf_reset(&c->values);
	buf_reset(&c->stats.minb);
	buf_reset(&c->stats.maxb);
	c->stats.has = false;
	c->stats.nan_count = 0;
	c->nulls = c->values_n = c->plain_bytes = 0;
	/* Booleans are never dictionary-encoded: one bit each is already small. */
	c->dict_on = c->type.physical != PQ_BOOLEAN;
}

void
parquet_column_free(ParquetColumn *c)
{
	dict_free(c);
	buf_free(&c->defs);
	buf_free(&c->values);
	buf_free(&c->dict);
	buf_free(&c->indices);
	buf_free(&c->stats.minb);
	buf_free(&c->stats.maxb);
}

static int
cmp_signed_be(const uint8_t *a, const uint8_t *b, int n)
{
	if ((int8_t) a[0] != (int8_t) b[0])
		return (int8_t) a[0] < (int8_t) b[0] ? -1 : 1;
	return memcmp(a + 1, b + 1, (size_t) n - 1);
}

static int
cmp_bytes(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int r = n ? memcmp(a, b, n) : 0; /* an empty value's buffer may be NULL */

	return r ? r : (alen > blen) - (alen < blen);
}

/* Order of two values of this column (PLAIN bytes; raw bytes for BYTE_ARRAY), as the
 * column order of the Parquet spec defines it for the logical type. */
static int
pq_compare(const ParquetColumn *c, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int32_t i32a, i32b;
	int64_t i64a, i64b;
	float fa, fb;
	double da, db;

	switch (c->type.physical)
	{
		case PQ_BOOLEAN: return a[0] - b[0];
		case PQ_INT32:
			memcpy(&i32a, a, 4);
			memcpy(&i32b, b, 4);
			return (i32a > i32b) - (i32a < i32b);
		case PQ_INT64:
			memcpy(&i64a, a, 8);
			memcpy(&i64b, b, 8);
			return (i64a > i64b) - (i64a < i64b);
		case PQ_FLOAT:
			memcpy(&fa, a, 4);
			memcpy(&fb, b, 4);
			return (fa > fb) - (fa < fb);
		case PQ_DOUBLE:
			memcpy(&da, a, 8);
			memcpy(&db, b, 8);
			return (da > db) - (da < db);
		case PQ_FLBA:
			return c->type.kind == PQK_DECIMAL ? cmp_signed_be(a, b, c->width)
											   : memcmp(a, b, (size_t) c->width);
		default: return cmp_bytes(a, alen, b, blen);
	}
}

static bool
is_nan(const ParquetColumn *c, const uint8_t *v)
{
	float f;
	double d;

	if (c->type.physical == PQ_FLOAT)
		return memcpy(&f, v, 4), isnan(f);
	if (c->type.physical == PQ_DOUBLE)
		return memcpy(&d, v, 8), isnan(d);
	return false;
}

static void
stats_update(ParquetColumn *c, const uint8_t *v, size_t len)
{
	ParquetStats *s = &c->stats;

	if (is_nan(c, v))
		return; /* counted per value by the caller; never a min or max */
	if (c->width == 0)
	{
		if (!s->has || cmp_bytes(v, len, (uint8_t *) s->minb.data, s->minb.len) < 0)
		{
			buf_reset(&s->minb);
			buf_append(&s->minb, v, len);
		}
		if (!s->has || cmp_bytes(v, len, (uint8_t *) s->maxb.data, s->maxb.len) > 0)
		{
			buf_reset(&s->maxb);
			buf_append(&s->maxb, v, len);
		}
	}
	else
	{
		if (!s->has || pq_compare(c, v, len, s->min, len) < 0)
			memcpy(s->min, v, (size_t) c->width);
		if (!s->has || pq_compare(c, v, len, s->max, len) > 0)
			memcpy(s->max, v, (size_t) c->width);
	}
	s->has = true;
}

static uint32_t
hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
	uint64_t w;

	for (; n >= 8; p += 8, n -= 8)
	{
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
		h ^= h >> 31;
	}
	w = 0;
	memcpy(&w, p, n);
	h = (h ^ w) * 0x94D049BB133111EBull;
	h ^= h >> 29;
	return (uint32_t) (h ^ (h >> 32));
}

static const uint8_t *
entry_value(const ParquetColumn *c, uint32_t e, size_t *len)
{
	if (c->width)
	{
		*len = (size_t) c->width;
		return (const uint8_t *) c->dict.data + (size_t) e * (size_t) c->width;
	}
	uint32_t n;
	memcpy(&n, c->dict.data + c->entry_off[e], 4);
	*len = n;
	return (const uint8_t *) c->dict.data + c->entry_off[e] + 4;
}

static void
dict_grow(ParquetColumn *c)
{
	uint32_t n = c->nslots ? c->nslots * 2 : 1024;

	free(c->slots);
	c->slots = ebb_malloc(sizeof(uint32_t) * n);
	memset(c->slots, 0, sizeof(uint32_t) * n);
	c->nslots = n;
	for (uint32_t e = 0; e < c->nentries; e++)
	{
		uint32_t s = c->entry_hash[e] & (n - 1);
		while (c->slots[s])
			s = (s + 1) & (n - 1);
		c->slots[s] = e + 1;
	}
}

static uint32_t
dict_add_entry(ParquetColumn *c, const uint8_t *v, size_t len, uint32_t h, uint32_t slot)
{
	uint32_t e = c->nentries++;

	if (e == c->entry_cap)
	{
		c->entry_cap = c->entry_cap ? c->entry_cap * 2 : 1024;
		c->entry_hash = ebb_realloc(c->entry_hash, sizeof(uint32_t) * c->entry_cap);
		if (!c->width)
			c->entry_off = ebb_realloc(c->entry_off, sizeof(uint32_t) * c->entry_cap);
	}
	c->entry_hash[e] = h;
	if (!c->width)
	{
		uint32_t n = (uint32_t) len;
		c->entry_off[e] = (uint32_t) c->dict.len;
		buf_append(&c->dict, &n, 4);
	}
	buf_append(&c->dict, v, len);
	c->slots[slot] = e + 1;
	if ((uint64_t) c->nentries * 2 > c->nslots)
		dict_grow(c);
	return e;
}

/* The entry of this value, added when new (*added). */
static uint32_t
dict_index(ParquetColumn *c, const uint8_t *v, size_t len, bool *added)
{
	uint32_t h = hash_bytes(v, len);
	size_t elen;

	if (!c->slots)
		dict_grow(c);
	uint32_t s = h & (c->nslots - 1);
	for (; c->slots[s]; s = (s + 1) & (c->nslots - 1))
	{
		uint32_t e = c->slots[s] - 1;
		if (c->entry_hash[e] == h)
		{
			const uint8_t *ev = entry_value(c, e, &elen);
			if (elen == len && memcmp(ev, v, len) == 0)
			{
				*added = false;
				return e;
			}
		}
	}
	*added = true;
	return dict_add_entry(c, v, len, h, s);
}

/* The dictionary outgrew its limit or its use: PLAIN values from here on. */
static void
dict_fallback(ParquetColumn *c)
{
	const uint32_t *idx = (const uint32_t *) c->indices.data;
	size_t n = c->indices.len / 4, len;

	buf_reset(&c->values);
	buf_reserve(&c->values, c->plain_bytes);
	for (size_t i = 0; i < n; i++)
	{
		const uint8_t *v = entry_value(c, idx[i], &len);
		if (!c->width)
		{
			uint32_t l = (uint32_t) len;
			buf_append(&c->values, &l, 4);
		}
		buf_append(&c->values, v, len);
	}
	dict_free(c);
	c->dict_on = false;
}

void
parquet_column_add_null(ParquetColumn *c)
{
	buf_append_char(&c->defs, 0);
	c->nulls++;
}

void
parquet_column_add(ParquetColumn *c, const void *value, size_t len)
{
	const uint8_t *v = value;

	buf_append_char(&c->defs, 1);
	c->values_n++;
	c->plain_bytes += c->width ? (uint64_t) c->width : 4 + (uint64_t) len;
	if (c->width)
		len = (size_t) (c->type.physical == PQ_BOOLEAN ? 1 : c->width);
	if (is_nan(c, v))
		c->stats.nan_count++;
	if (c->dict_on)
	{
		bool added;
		uint32_t e = dict_index(c, v, len, &added);
		buf_append(&c->indices, &e, 4);
		/* The statistics of a dictionary column are those of its entries. */
		if (added)
			stats_update(c, v, len);
		if (c->dict.len > PQ_DICT_LIMIT)
			dict_fallback(c);
		return;
	}
	if (!c->width)
	{
		uint32_t l = (uint32_t) len;
		buf_append(&c->values, &l, 4);
	}
	buf_append(&c->values, v, len);
	stats_update(c, v, len);
}

uint64_t
parquet_column_buffered(const ParquetColumn *c)
{
	return c->defs.len + c->values.len + c->dict.len + c->indices.len +
		   (uint64_t) c->entry_cap * 8 + (uint64_t) c->nslots * 4;
}

bool
parquet_column_use_dictionary(ParquetColumn *c)
{
	if (!c->dict_on)
		return false;
	uint64_t bw = (uint64_t) parquet_rle_bit_width(c->nentries ? c->nentries - 1 : 0);
	uint64_t dict_cost = c->dict.len + (c->values_n * bw + 7) / 8;
	if (c->nentries > 0 && dict_cost < c->plain_bytes)
		return true;
	dict_fallback(c);
	return false;
}
