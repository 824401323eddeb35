/*
 * parquet.c: the Parquet encoder driver (--format parquet), and its row counter for ebb
 * verify, which reads the row count from the footer of the object's bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "encode/encoder.h"
#include "encode/parquet/thrift.h"
#include "encode/parquet/writer.h"

static void *
parquet_create(const TableShape *shape, const EncoderOptions *opts, Sink *out)
{
	ParquetWriter *w = ebb_malloc(sizeof(*w));

	parquet_writer_init(w, shape, opts, out);
	return w;
}

static bool
parquet_begin(void *state, EbbError *err)
{
	return parquet_writer_begin(state, err);
}

static bool
parquet_row(void *state, const Row *row, EbbError *err)
{
	return parquet_writer_row(state, row, err);
}

static bool
parquet_finish(void *state, EbbError *err)
{
	return parquet_writer_finish(state, err);
}

static void
parquet_destroy(void *state)
{
	parquet_writer_free(state);
	free(state);
}

/* The counter keeps the head and the last bytes of the object: the footer is at the end.
 * PQ_TAIL_MAX bounds its memory; ebb's own footers are far smaller. */
#define PQ_TAIL_MAX (8 * 1024 * 1024)

typedef struct ParquetCounter
{
	Sink base;
	uint8_t head[4];
	uint64_t total;
	Buf tail;
	uint64_t rows;
} ParquetCounter;

static bool
counter_write(Sink *sink, const void *data, size_t len, EbbError *err)
{
	ParquetCounter *c = (ParquetCounter *) sink;
	const uint8_t *p = data;

	(void) err;
	for (size_t i = 0; c->total + i < 4 && i < len; i++)
		c->head[c->total + i] = p[i];
	c->total += len;
	if (len >= PQ_TAIL_MAX)
	{
		buf_reset(&c->tail);
		buf_append(&c->tail, p + len - PQ_TAIL_MAX, PQ_TAIL_MAX);
		return true;
	}
	if (c->tail.len + len > 2 * PQ_TAIL_MAX)
	{
		size_t keep = PQ_TAIL_MAX - len;
		memmove(c->tail.data, c->tail.data + c->tail.len - keep, keep);
		c->tail.len = keep;
	}
	buf_append(&c->tail, data, len);
	return true;
}

static bool
corrupt(EbbError *err, const char *what)
{
	return error_set(err, EBB_ERR_VERIFY, "not a readable Parquet file: %s", what);
}

/* FileMetaData: num_rows (3), and the row groups' own num_rows (4 -> RowGroup 3) must agree. */
static bool
read_footer(const uint8_t *meta, size_t len, uint64_t *rows, EbbError *err)
{
	ParquetThriftReader r;
	int16_t id;
	uint8_t type;
	int64_t num_rows = -1, sum = 0, v;

	parquet_thrift_reader_init(&r, meta, len);
	if (!parquet_thrift_read_struct_begin(&r))
		return corrupt(err, "bad footer");
	for (;;)
	{
		if (!parquet_thrift_read_field(&r, &id, &type))
			return corrupt(err, "bad footer");
		if (type == TT_STOP)
			break;
		if (id == 3 && type == TT_I64)
		{
			if (!parquet_thrift_read_int(&r, type, &num_rows))
				return corrupt(err, "bad footer");
		}
		else if (id == 4 && type == TT_LIST)
		{
			uint8_t et;
			uint32_t n;
			if (!parquet_thrift_read_list(&r, &et, &n) || et != TT_STRUCT)
				return corrupt(err, "bad row group list");
			for (uint32_t g = 0; g < n; g++)
			{
				if (!parquet_thrift_read_struct_begin(&r))
					return corrupt(err, "bad row group");
				for (;;)
				{
					if (!parquet_thrift_read_field(&r, &id, &type))
						return corrupt(err, "bad row group");
					if (type == TT_STOP)
						break;
					if (id == 3 && type == TT_I64 ? !parquet_thrift_read_int(&r, type, &v)
												  : !parquet_thrift_skip(&r, type))
						return corrupt(err, "bad row group");
					if (id == 3 && type == TT_I64)
						sum += v;
				}
			}
		}
		else if (!parquet_thrift_skip(&r, type))
			return corrupt(err, "bad footer");
	}
	if (num_rows < 0 || num_rows != sum)
		return corrupt(err, "the row count of the footer and its row groups differ");
	*rows = (uint64_t) num_rows;
	return true;
}

static bool
counter_finish(Sink *sink, EbbError *err)
{
	ParquetCounter *c = (ParquetCounter *) sink;
	const uint8_t *end = (const uint8_t *) c->tail.data + c->tail.len;
	uint32_t flen;

	if (c->total < 12 || memcmp(c->head, "PAR1", 4) != 0 || memcmp(end - 4, "PAR1", 4) != 0)
		return corrupt(err, "no PAR1 magic at both ends");
	memcpy(&flen, end - 8, 4);
	if ((uint64_t) flen + 12 > c->total)
		return corrupt(err, "the footer is longer than the file");
	if ((size_t) flen + 8 > c->tail.len)
		return error_set(err, EBB_ERR_VERIFY, "the Parquet footer (%u bytes) is too large to check",
						 flen);
	return read_footer(end - 8 - flen, flen, &c->rows, err);
}

static const SinkOps counter_ops = {.write = counter_write, .finish = counter_finish};

static Sink *
parquet_counter_create(void)
{
	ParquetCounter *c = ebb_malloc(sizeof(*c));

	memset(c, 0, sizeof(*c));
	c->base.ops = &counter_ops;
	buf_init(&c->tail);
	return &c->base;
}

static uint64_t
parquet_counter_rows(const Sink *counter)
{
	return ((const ParquetCounter *) counter)->rows;
}

static void
parquet_counter_destroy(Sink *counter)
{
	ParquetCounter *c = (ParquetCounter *) counter;

	buf_free(&c->tail);
	free(c);
}

const EncoderDriver encode_parquet_driver = {
	.name = "parquet",
	.extension = "parquet",
	.binary_rows = true,
	.codecs = PQ_CODEC_NAMES,
	.column_binary = parquet_column_binary,
	.codec_levels = parquet_codec_levels,
	.create = parquet_create,
	.begin = parquet_begin,
	.row = parquet_row,
	.finish = parquet_finish,
	.destroy = parquet_destroy,
	.counter_create = parquet_counter_create,
	.counter_rows = parquet_counter_rows,
	.counter_destroy = parquet_counter_destroy,
};
