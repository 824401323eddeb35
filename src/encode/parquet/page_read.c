/* page_read.c: page headers (parquet.thrift PageHeader) and the pages of one column chunk. */
#include "encode/parquet/page_read.h"

#include <string.h>

#include "encode/parquet/decompress.h"
#include "encode/parquet/thrift.h"

enum
{
	PAGE_DATA = 0,
	PAGE_DICTIONARY = 2,
	PAGE_DATA_V2 = 3
};

/* What ebb reads of a PageHeader and of its typed header. */
typedef struct PageHeader
{
	int type, usize, csize;
	bool typed; /* the header of its type was there */
	int num_values, encoding, def_encoding;
	int def_len, rep_len;
	bool compressed; /* v2: is_compressed (default true) */
} PageHeader;

static bool
damaged(EbbError *err, const char *what)
{
	return error_set(err, EBB_ERR_VERIFY, "%s", what);
}

static bool
read_i32(ParquetThriftReader *r, uint8_t type, int *v)
{
	int64_t x;

	if (!parquet_thrift_read_int(r, type, &x) || x < INT32_MIN || x > INT32_MAX)
		return false;
	*v = (int) x;
	return true;
}

/* DataPageHeader (5), DictionaryPageHeader (7) or DataPageHeaderV2 (8): fields by id. */
static bool
parse_typed(ParquetThriftReader *r, int16_t which, PageHeader *h)
{
	int16_t id;
	uint8_t t;

	if (!parquet_thrift_read_struct_begin(r))
		return false;
	h->typed = true;
	for (;;)
	{
		if (!parquet_thrift_read_field(r, &id, &t))
			return false;
		if (t == TT_STOP)
			return true;
		int *dst = id == 1                 ? &h->num_values
				   : which == 8 && id == 4 ? &h->encoding
				   : which != 8 && id == 2 ? &h->encoding
				   : which == 5 && id == 3 ? &h->def_encoding
				   : which == 8 && id == 5 ? &h->def_len
				   : which == 8 && id == 6 ? &h->rep_len
										   : NULL;
		if (which == 8 && id == 7 && (t == TT_TRUE || t == TT_FALSE))
			h->compressed = t == TT_TRUE;
		else if (dst ? !read_i32(r, t, dst) : !parquet_thrift_skip(r, t))
			return false;
	}
}

static bool
parse_header(ParquetThriftReader *r, PageHeader *h)
{
	int16_t id;
	uint8_t t;

	memset(h, 0, sizeof(*h));
	h->type = h->usize = h->csize = -1;
	h->compressed = true;
	if (!parquet_thrift_read_struct_begin(r))
		return false;
	for (;;)
	{
		if (!parquet_thrift_read_field(r, &id, &t))
			return false;
		if (t == TT_STOP)
			return h->type >= 0 && h->usize >= 0 && h->csize >= 0;
		bool ok = id == 1   ? read_i32(r, t, &h->type)
				  : id == 2 ? read_i32(r, t, &h->usize)
				  : id == 3 ? read_i32(r, t, &h->csize)
				  : (id == 5 && h->type == PAGE_DATA) || (id == 7 && h->type == PAGE_DICTIONARY) ||
						  (id == 8 && h->type == PAGE_DATA_V2)
					  ? t == TT_STRUCT && parse_typed(r, id, h)
					  : parquet_thrift_skip(r, t);
		if (!ok)
			return false;
	}
}

void
parquet_page_read_init(ParquetColumnReader *c, const ParquetLeaf *leaf)
{
	memset(c, 0, sizeof(*c));
	c->leaf = leaf;
	buf_init(&c->chunk);
	buf_init(&c->dict_page);
	buf_init(&c->page);
	parquet_value_cursor_init(&c->values, leaf->physical, leaf->type_length);
}

void
parquet_page_read_start(ParquetColumnReader *c, int codec)
{
	c->codec = codec;
	c->pos = 0;
	c->data_seen = false;
	c->page_left = 0;
	if (c->has_dict)
		parquet_values_read_dict_free(&c->dict);
	c->has_dict = false;
}

void
parquet_page_read_free(ParquetColumnReader *c)
{
	if (c->has_dict)
		parquet_values_read_dict_free(&c->dict);
	buf_free(&c->chunk);
	buf_free(&c->dict_page);
	buf_free(&c->page);
	parquet_value_cursor_free(&c->values);
}

static bool
load_dictionary(ParquetColumnReader *c, const PageHeader *h, const uint8_t *body, EbbError *err)
{
	const uint8_t *d;

	if (c->has_dict || c->data_seen)
		return damaged(err, "a dictionary page that is not its chunk's first page");
	if (h->encoding != 0 && h->encoding != 2)
		return error_set(err, EBB_ERR_DATA, "unsupported dictionary encoding %d", h->encoding);
	if (h->num_values < 0)
		return damaged(err, "a negative value count");
	if (!parquet_decompress_page(c->codec, body, (size_t) h->csize, (size_t) h->usize,
								 &c->dict_page, &d, err) ||
		!parquet_values_read_dict(&c->dict, c->leaf->physical, c->leaf->type_length, d,
								  (size_t) h->usize, (uint32_t) h->num_values, err))
		return false;
	c->has_dict = true;
	return true;
}

/* Definition levels of an OPTIONAL column (max level 1, bit width 1). */
static bool
start_levels(ParquetColumnReader *c, const uint8_t *p, size_t len, EbbError *err)
{
	if (c->leaf->repetition == 0)
	{
		if (len != 0)
			return damaged(err, "definition levels in a REQUIRED column");
		return true;
	}
	parquet_values_read_rle_init(&c->defs, p, len, 1);
	return true;
}

/* v1: levels (a 4-byte length, then RLE) and values, all compressed together. */
static bool
load_v1(ParquetColumnReader *c, const PageHeader *h, const uint8_t *body, EbbError *err)
{
	const uint8_t *p;
	size_t len = (size_t) h->usize;
	uint32_t llen = 0;

	if (!parquet_decompress_page(c->codec, body, (size_t) h->csize, len, &c->page, &p, err))
		return false;
	if (c->leaf->repetition == 1)
	{
		if (h->def_encoding != 3)
			return error_set(err, EBB_ERR_DATA, "unsupported definition level encoding %d",
							 h->def_encoding);
		if (len < 4 || (memcpy(&llen, p, 4), llen > len - 4))
			return damaged(err, "truncated definition levels");
		p += 4;
		len -= 4;
	}
	if (!start_levels(c, p, llen, err))
		return false;
	return parquet_value_cursor_start(&c->values, h->encoding, p + llen, len - llen,
									  c->has_dict ? &c->dict : NULL, err);
}

/* v2: levels uncompressed and without a length prefix, then the values, compressed when
 * is_compressed says so. */
static bool
load_v2(ParquetColumnReader *c, const PageHeader *h, const uint8_t *body, EbbError *err)
{
	const uint8_t *p;
	size_t lv = (size_t) h->def_len + (size_t) h->rep_len;

	if (h->def_len < 0 || h->rep_len < 0 || lv > (size_t) h->csize || lv > (size_t) h->usize)
		return damaged(err, "bad level lengths in a v2 page");
	if (!start_levels(c, body + h->rep_len, (size_t) h->def_len, err))
		return false;
	if (!parquet_decompress_page(h->compressed ? c->codec : 0, body + lv, (size_t) h->csize - lv,
								 (size_t) h->usize - lv, &c->page, &p, err))
		return false;
	return parquet_value_cursor_start(&c->values, h->encoding, p, (size_t) h->usize - lv,
									  c->has_dict ? &c->dict : NULL, err);
}

/* The next page of the chunk: a data page is started; a dictionary page is loaded; other
 * pages (index pages) are skipped. */
static bool
load_page(ParquetColumnReader *c, EbbError *err)
{
	ParquetThriftReader r;
	PageHeader h;

	if (c->pos >= c->chunk.len)
		return damaged(err, "a column chunk that ends before its row group");
	parquet_thrift_reader_init(&r, c->chunk.data + c->pos, c->chunk.len - c->pos);
	if (!parse_header(&r, &h))
		return damaged(err, "a damaged page header");
	const uint8_t *body = r.p;
	if ((size_t) h.csize > (size_t) (r.end - body))
		return damaged(err, "a page that runs past its column chunk");
	c->pos = (size_t) (body - (const uint8_t *) c->chunk.data) + (size_t) h.csize;
	if (h.type != PAGE_DATA && h.type != PAGE_DATA_V2 && h.type != PAGE_DICTIONARY)
		return true;
	if (!h.typed)
		return damaged(err, "a page without its type's header");
	if (h.type == PAGE_DICTIONARY)
		return load_dictionary(c, &h, body, err);
	if (h.num_values < 0)
		return damaged(err, "a negative value count");
	c->data_seen = true;
	c->page_left = h.num_values;
	return h.type == PAGE_DATA ? load_v1(c, &h, body, err) : load_v2(c, &h, body, err);
}

bool
parquet_page_read_next(ParquetColumnReader *c, const uint8_t **val, size_t *len, bool *isnull,
					   EbbError *err)
{
	uint32_t def = 1;

	while (c->page_left == 0)
		if (!load_page(c, err))
		{
			c->page_left = 0; /* a failed page is never read from */
			return false;
		}
	c->page_left--;
	if (c->leaf->repetition == 1 && !parquet_values_read_rle_next(&c->defs, &def, err))
		return false;
	if (def > 1)
		return damaged(err, "a definition level above 1");
	*isnull = def == 0;
	return *isnull || parquet_value_cursor_next(&c->values, val, len, err);
}
