#include "encode/parquet/rle.h"

#include <stdbool.h>
#include <string.h>

#include "encode/parquet/thrift.h"

int
parquet_rle_bit_width(uint32_t max)
{
	int w = 1;

	while (w < 32 && (max >> w) != 0)
		w++;
	return w;
}

/* values[0..n) as bit-packed groups of 8 (n a multiple of 8, except that the last group of
 * the data may be short: readers stop at the page's value count). */
static void
put_bit_packed(Buf *out, const uint32_t *values, size_t n, int bw)
{
	size_t groups = (n + 7) / 8;
	size_t bytes = groups * (size_t) bw;

	parquet_thrift_varint(out, (uint64_t) groups << 1 | 1);
	buf_reserve(out, bytes);
	uint8_t *p = (uint8_t *) out->data + out->len;
	memset(p, 0, bytes);
	uint64_t acc = 0;
	int nbits = 0;
	size_t o = 0;
	for (size_t i = 0; i < groups * 8; i++)
	{
		acc |= (uint64_t) (i < n ? values[i] : 0) << nbits;
		nbits += bw;
		while (nbits >= 8)
		{
			p[o++] = (uint8_t) acc;
			acc >>= 8;
			nbits -= 8;
		}
	}
	out->len += bytes;
}

static void
put_rle(Buf *out, uint32_t value, size_t count, int bw)
{
	parquet_thrift_varint(out, (uint64_t) count << 1);
	for (int b = 0; b < (bw + 7) / 8; b++)
		buf_append_char(out, (char) (value >> (8 * b)));
}

static size_t
run_length(const uint32_t *v, size_t i, size_t n)
{
	size_t j = i + 1;

	while (j < n && v[j] == v[i])
		j++;
	return j - i;
}

void
parquet_rle_encode(Buf *out, const uint32_t *values, size_t n, int bw)
{
	size_t lit = 0; /* values[lit..i) wait to be bit-packed */
	size_t i = 0;

	while (i < n)
	{
		size_t run = run_length(values, i, n);
		/* A bit-packed run holds whole groups: the run first tops the pending values up. */
		size_t pad = (8 - (i - lit) % 8) % 8;
		if (run >= pad + 8)
		{
			if (i + pad > lit)
				put_bit_packed(out, values + lit, i + pad - lit, bw);
			put_rle(out, values[i], run - pad, bw);
			i += run;
			lit = i;
		}
		else
			i += run;
	}
	if (n > lit)
		put_bit_packed(out, values + lit, n - lit, bw);
}

bool
parquet_rle_decode(const uint8_t *data, size_t len, int bw, uint32_t *values, size_t n)
{
	ParquetThriftReader r;
	size_t got = 0;
	int vbytes = (bw + 7) / 8;

	parquet_thrift_reader_init(&r, data, len);
	while (got < n)
	{
		uint64_t h;
		if (!parquet_thrift_read_varint(&r, &h))
			return false;
		if (h & 1)
		{
			size_t count = (size_t) (h >> 1) * 8;
			if ((size_t) (r.end - r.p) < (count / 8) * (size_t) bw)
				return false;
			uint64_t acc = 0;
			int nbits = 0;
			for (size_t k = 0; k < count; k++)
			{
				while (nbits < bw)
				{
					acc |= (uint64_t) *r.p++ << nbits;
					nbits += 8;
				}
				if (got < n)
					values[got++] =
						(uint32_t) (acc & ((bw == 32) ? 0xFFFFFFFFu : ((1u << bw) - 1)));
				acc >>= bw;
				nbits -= bw;
			}
		}
		else
		{
			size_t count = (size_t) (h >> 1);
			uint32_t v = 0;
			if (r.end - r.p < vbytes)
				return false;
			for (int b = 0; b < vbytes; b++)
				v |= (uint32_t) *r.p++ << (8 * b);
			for (size_t k = 0; k < count && got < n; k++)
				values[got++] = v;
		}
	}
	return true;
}
