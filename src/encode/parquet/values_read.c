/* values_read.c: the RLE / bit-packing hybrid, DELTA_BINARY_PACKED and dictionary entries. */
#include "encode/parquet/values_read.h"

#include <stdlib.h>
#include <string.h>

#include "encode/parquet/thrift.h"

static bool
damaged(EbbError *err, const char *what)
{
	return error_set(err, EBB_ERR_VERIFY, "%s", what);
}

void
parquet_values_read_rle_init(ParquetRle *d, const uint8_t *p, size_t len, int bw)
{
	memset(d, 0, sizeof(*d));
	d->p = p;
	d->end = p + len;
	d->bw = bw;
}

/* bw bits (<= 64) at bit offset bit from base, least significant first; the caller checked
 * that the bytes are there. */
static uint64_t
read_bits(const uint8_t *base, uint64_t bit, int bw)
{
	uint64_t v = 0;

	for (int got = 0; got < bw;)
	{
		int shift = (int) ((bit + (uint64_t) got) % 8);
		int take = 8 - shift < bw - got ? 8 - shift : bw - got;
		uint64_t byte = base[(bit + (uint64_t) got) / 8] >> shift;
		v |= (byte & ((1u << take) - 1)) << got;
		got += take;
	}
	return v;
}

static bool
rle_run(ParquetRle *d, EbbError *err)
{
	ParquetThriftReader r;
	uint64_t h;

	parquet_thrift_reader_init(&r, d->p, (size_t) (d->end - d->p));
	if (!parquet_thrift_read_varint(&r, &h))
		return damaged(err, "truncated RLE run");
	d->p = r.p;
	d->packed = h & 1;
	if (d->packed)
	{
		/* The last run may stop short of its groups' bytes: bounds are checked per value. */
		d->run_left = (h >> 1) * 8;
		d->bits = d->p;
		d->bit = 0;
		uint64_t bytes = (h >> 1) * (uint64_t) d->bw;
		d->p = bytes < (uint64_t) (d->end - d->p) ? d->p + bytes : d->end;
		return true;
	}
	int vbytes = (d->bw + 7) / 8;
	if (d->end - d->p < vbytes)
		return damaged(err, "truncated RLE run");
	d->value = 0;
	for (int b = 0; b < vbytes; b++)
		d->value |= (uint32_t) *d->p++ << (8 * b);
	d->run_left = h >> 1;
	return true;
}

bool
parquet_values_read_rle_next(ParquetRle *d, uint32_t *v, EbbError *err)
{
	while (d->run_left == 0)
	{
		if (d->p >= d->end)
			return damaged(err, "RLE data ends before its values");
		if (!rle_run(d, err))
			return false;
	}
	d->run_left--;
	if (!d->packed)
	{
		*v = d->value;
		return true;
	}
	if ((d->bit + (uint64_t) d->bw + 7) / 8 > (uint64_t) (d->end - d->bits))
		return damaged(err, "truncated bit-packed run");
	*v = (uint32_t) read_bits(d->bits, d->bit, d->bw);
	d->bit += (uint64_t) d->bw;
	return true;
}

static bool
read_uvarint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	ParquetThriftReader r;

	parquet_thrift_reader_init(&r, *p, (size_t) (end - *p));
	if (!parquet_thrift_read_varint(&r, v))
		return false;
	*p = r.p;
	return true;
}

static bool
read_zigzag(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t u;

	if (!read_uvarint(p, end, &u))
		return false;
	*v = (u >> 1) ^ (uint64_t) - (int64_t) (u & 1);
	return true;
}

bool
parquet_values_read_delta_init(ParquetDelta *d, const uint8_t *p, size_t len, EbbError *err)
{
	uint64_t block;

	memset(d, 0, sizeof(*d));
	d->pos = p;
	d->end = p + len;
	if (!read_uvarint(&d->pos, d->end, &block) || !read_uvarint(&d->pos, d->end, &d->minis) ||
		!read_uvarint(&d->pos, d->end, &d->total) || !read_zigzag(&d->pos, d->end, &d->last))
		return damaged(err, "truncated DELTA_BINARY_PACKED header");
	/* The spec's shape: blocks of multiples of 128 values, miniblocks of multiples of 32. */
	if (block == 0 || block % 128 != 0 || block > (1u << 20) || d->minis == 0 ||
		block % d->minis != 0 || (block / d->minis) % 32 != 0)
		return damaged(err, "bad DELTA_BINARY_PACKED block size");
	d->per_mini = block / d->minis;
	d->mini = d->minis;
	return true;
}

/* The next miniblock, and the next block's header when the block is done. */
static bool
delta_miniblock(ParquetDelta *d, EbbError *err)
{
	if (d->mini + 1 >= d->minis)
	{
		if (!read_zigzag(&d->pos, d->end, &d->min_delta) || (uint64_t) (d->end - d->pos) < d->minis)
			return damaged(err, "truncated DELTA_BINARY_PACKED block");
		d->widths = d->pos;
		d->pos += d->minis;
		d->mini = 0;
	}
	else
		d->mini++;
	d->bw = d->widths[d->mini];
	if (d->bw > 64)
		return damaged(err, "bad DELTA_BINARY_PACKED bit width");
	d->mini_p = d->pos;
	uint64_t bytes = d->per_mini * (uint64_t) d->bw / 8;
	/* Past the end only when this is the stream's last miniblock: checked per value. */
	d->pos = bytes <= (uint64_t) (d->end - d->pos) ? d->pos + bytes : d->end + 1;
	d->in_mini = 0;
	return true;
}

bool
parquet_values_read_delta_next(ParquetDelta *d, uint64_t *v, EbbError *err)
{
	if (d->given >= d->total)
		return damaged(err, "DELTA_BINARY_PACKED data ends before its values");
	if (d->given++ == 0)
	{
		*v = d->last;
		return true;
	}
	if ((d->mini >= d->minis || d->in_mini == d->per_mini) && !delta_miniblock(d, err))
		return false;
	uint64_t bit = d->in_mini++ * (uint64_t) d->bw;
	if (d->mini_p > d->end || (bit + (uint64_t) d->bw + 7) / 8 > (uint64_t) (d->end - d->mini_p))
		return damaged(err, "truncated DELTA_BINARY_PACKED miniblock");
	d->last += d->min_delta + read_bits(d->mini_p, bit, d->bw);
	*v = d->last;
	return true;
}

bool
parquet_values_read_delta_skip(ParquetDelta *d, const uint8_t **after, EbbError *err)
{
	uint64_t v;

	while (d->given < d->total)
		if (!parquet_values_read_delta_next(d, &v, err))
			return false;
	if (d->pos > d->end)
		return damaged(err, "truncated DELTA_BINARY_PACKED miniblock");
	*after = d->pos;
	return true;
}

static int
plain_width(int physical, int type_length)
{
	switch (physical)
	{
		case 1:
		case 4: return 4; /* INT32, FLOAT */
		case 2:
		case 5: return 8;  /* INT64, DOUBLE */
		case 3: return 12; /* INT96 */
		case 7: return type_length;
		default: return 0;
	}
}

bool
parquet_values_read_dict(ParquetDict *d, int physical, int type_length, const uint8_t *p,
						 size_t len, uint32_t n, EbbError *err)
{
	int width = plain_width(physical, type_length);
	const uint8_t *end = p + len;

	if (physical == 0)
		return error_set(err, EBB_ERR_VERIFY, "a BOOLEAN column with a dictionary");
	/* Every entry takes at least a byte (a length, or a fixed width >= 1): n is bounded by the
	 * bytes, so a corrupted count cannot make us allocate more than the page's size. */
	if ((uint64_t) n > len || (width && (uint64_t) n * (uint64_t) width > len))
		return damaged(err, "truncated dictionary page");
	d->n = n;
	d->ptr = ebb_malloc(sizeof(*d->ptr) * (n ? n : 1));
	d->len = ebb_malloc(sizeof(*d->len) * (n ? n : 1));
	for (uint32_t i = 0; i < n; i++)
	{
		uint32_t l = (uint32_t) width;
		if (!width)
		{
			if (end - p < 4 || (memcpy(&l, p, 4), l > (size_t) (end - p - 4)))
			{
				parquet_values_read_dict_free(d);
				return damaged(err, "truncated dictionary page");
			}
			p += 4;
		}
		d->ptr[i] = p;
		d->len[i] = l;
		p += l;
	}
	return true;
}

void
parquet_values_read_dict_free(ParquetDict *d)
{
	free(d->ptr);
	free(d->len);
	memset(d, 0, sizeof(*d));
}
