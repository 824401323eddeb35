/* page.c: a column chunk's pages (data page v1, PLAIN or RLE_DICTIONARY values) and its
 * ColumnChunk metadata. */
#include <string.h>

#include "encode/parquet/rle.h"
#include "encode/parquet/writer.h"

enum
{
	ENC_PLAIN = 0,
	ENC_RLE = 3,
	ENC_RLE_DICTIONARY = 8,
	PAGE_DATA = 0,
	PAGE_DICTIONARY = 2
};

/* What a chunk's pages add up to, for its ColumnMetaData. */
typedef struct ChunkSizes
{
	uint64_t compressed, uncompressed; /* page headers included */
	int64_t data_offset, dict_offset;
} ChunkSizes;

bool
parquet_write_out(ParquetWriter *w, const void *data, size_t len, EbbError *err)
{
	if (!sink_write(w->out, data, len, err))
		return false;
	w->offset += len;
	return true;
}

/* A page: header (its sizes and the type-specific header), then the compressed body. */
static bool
write_page(ParquetWriter *w, const void *body, size_t len, int type, uint32_t num_values,
		   int encoding, ChunkSizes *cs, EbbError *err)
{
	const void *comp;
	size_t clen;
	ParquetThriftWriter t;

	/* Page sizes are i32 in the header: one value of 1 GB still fits, but check. */
	if (len > INT32_MAX)
		return error_set(err, EBB_ERR_DATA, "could not write a Parquet page of %zu bytes", len);
	if (!parquet_codec_compress(&w->codec, body, len, &comp, &clen, err))
		return false;
	buf_reset(&w->header);
	parquet_thrift_writer_init(&t, &w->header);
	parquet_thrift_struct_begin(&t);
	parquet_thrift_i32(&t, 1, type);
	parquet_thrift_i32(&t, 2, (int32_t) len);
	parquet_thrift_i32(&t, 3, (int32_t) clen);
	parquet_thrift_struct_field(&t, type == PAGE_DATA ? 5 : 7);
	parquet_thrift_i32(&t, 1, (int32_t) num_values);
	parquet_thrift_i32(&t, 2, encoding);
	if (type == PAGE_DATA)
	{
		parquet_thrift_i32(&t, 3, ENC_RLE); /* definition levels */
		parquet_thrift_i32(&t, 4, ENC_RLE); /* repetition levels (none: the column is flat) */
	}
	parquet_thrift_struct_end(&t);
	parquet_thrift_struct_end(&t);
	cs->compressed += w->header.len + clen;
	cs->uncompressed += w->header.len + len;
	return parquet_write_out(w, w->header.data, w->header.len, err) &&
		   parquet_write_out(w, comp, clen, err);
}

/* Definition levels of rows [r0, r1): a 4-byte length, then the RLE/bit-packed hybrid. */
static void
put_levels(ParquetWriter *w, const ParquetColumn *c, uint64_t r0, uint64_t r1)
{
	size_t at = w->body.len;
	uint32_t len;

	for (uint64_t r = r0; r < r1; r++)
		w->levels[r - r0] = (uint8_t) c->defs.data[r];
	buf_append(&w->body, "\0\0\0\0", 4);
	parquet_rle_encode(&w->body, w->levels, (size_t) (r1 - r0), 1);
	len = (uint32_t) (w->body.len - at - 4);
	memcpy(w->body.data + at, &len, 4); /* little-endian hosts only (checked at build) */
}

/* BOOLEAN PLAIN: bit-packed, least significant bit first. */
static void
put_booleans(Buf *out, const uint8_t *v, uint64_t n)
{
	size_t bytes = (size_t) ((n + 7) / 8);

	buf_reserve(out, bytes);
	uint8_t *p = (uint8_t *) out->data + out->len;
	memset(p, 0, bytes);
	for (uint64_t i = 0; i < n; i++)
		p[i / 8] |= (uint8_t) (v[i] << (i % 8));
	out->len += bytes;
}

/* A page's extent: rows [r0, *r1), non-NULL values [v0, *v1), PLAIN bytes [pos, *pos1). */
static void
page_end(const ParquetColumn *c, bool dict, uint64_t r0, uint64_t v0, size_t pos, uint64_t *r1,
		 uint64_t *v1, size_t *pos1)
{
	uint64_t r = r0, v = v0, nrows = c->defs.len;
	size_t p = pos, bytes = 0;
	int per_value = dict ? 4 : c->width;

	while (r < nrows && r - r0 < PQ_PAGE_ROWS && bytes < PQ_PAGE_BYTES)
	{
		if (c->defs.data[r++])
		{
			v++;
			if (per_value)
				bytes += (size_t) per_value;
			else
			{
				uint32_t len;
				memcpy(&len, c->values.data + p, 4);
				p += 4 + (size_t) len;
				bytes += 4 + (size_t) len;
			}
		}
	}
	*r1 = r;
	*v1 = v;
	*pos1 = dict ? pos : per_value ? pos + (size_t) (v - v0) * (size_t) per_value : p;
}

/* The values of one page: non-NULL values [v0, v1), PLAIN bytes [pos, pos1). */
static void
put_values(ParquetWriter *w, ParquetColumn *c, bool dict, uint64_t v0, uint64_t v1, size_t pos,
		   size_t pos1)
{
	if (dict)
	{
		int bw = parquet_rle_bit_width(c->nentries ? c->nentries - 1 : 0);
		buf_append_char(&w->body, (char) bw);
		parquet_rle_encode(&w->body, (const uint32_t *) c->indices.data + v0, (size_t) (v1 - v0),
						   bw);
	}
	else if (c->type.physical == PQ_BOOLEAN)
		put_booleans(&w->body, (const uint8_t *) c->values.data + v0, v1 - v0);
	else
		buf_append(&w->body, c->values.data + pos, pos1 - pos);
}

static void
write_column_meta(ParquetThriftWriter *t, const ParquetWriter *w, const ParquetColumn *c, bool dict,
				  const ChunkSizes *cs)
{
	parquet_thrift_struct_begin(t); /* ColumnChunk */
	parquet_thrift_i64(t, 2, 0);    /* file_offset: 0, as the spec now asks */
	parquet_thrift_struct_field(t, 3);
	parquet_thrift_i32(t, 1, c->type.physical);
	parquet_thrift_list_field(t, 2, TT_I32, dict ? 3 : 2);
	parquet_thrift_list_i32(t, ENC_PLAIN);
	parquet_thrift_list_i32(t, ENC_RLE);
	if (dict)
		parquet_thrift_list_i32(t, ENC_RLE_DICTIONARY);
	parquet_thrift_list_field(t, 3, TT_BINARY, 1);
	parquet_thrift_list_binary(t, c->desc->name);
	parquet_thrift_i32(t, 4, w->codec.id);
	parquet_thrift_i64(t, 5, (int64_t) c->defs.len);
	parquet_thrift_i64(t, 6, (int64_t) cs->uncompressed);
	parquet_thrift_i64(t, 7, (int64_t) cs->compressed);
	parquet_thrift_i64(t, 9, cs->data_offset);
	if (cs->dict_offset >= 0)
		parquet_thrift_i64(t, 11, cs->dict_offset);
	parquet_write_statistics(t, c);
	parquet_thrift_struct_end(t); /* ColumnMetaData */
	parquet_thrift_struct_end(t); /* ColumnChunk */
}

bool
parquet_write_chunk(ParquetWriter *w, ParquetColumn *c, ParquetThriftWriter *rg,
					uint64_t *compressed, uint64_t *uncompressed, EbbError *err)
{
	ChunkSizes cs = {0, 0, -1, -1};
	bool dict = parquet_column_use_dictionary(c);
	uint64_t r = 0, v = 0, nrows = c->defs.len;
	size_t pos = 0;

	if (dict)
	{
		cs.dict_offset = (int64_t) w->offset;
		if (!write_page(w, c->dict.data, c->dict.len, PAGE_DICTIONARY, c->nentries, ENC_PLAIN, &cs,
						err))
			return false;
	}
	cs.data_offset = (int64_t) w->offset;
	while (r < nrows)
	{
		uint64_t r1, v1;
		size_t pos1;

		page_end(c, dict, r, v, pos, &r1, &v1, &pos1);
		buf_reset(&w->body);
		put_levels(w, c, r, r1);
		put_values(w, c, dict, v, v1, pos, pos1);
		if (!write_page(w, w->body.data, w->body.len, PAGE_DATA, (uint32_t) (r1 - r),
						dict ? ENC_RLE_DICTIONARY : ENC_PLAIN, &cs, err))
			return false;
		r = r1;
		v = v1;
		pos = pos1;
	}
	write_column_meta(rg, w, c, dict, &cs);
	*compressed += cs.compressed;
	*uncompressed += cs.uncompressed;
	return true;
}
