#include "encode/parquet/writer.h"

#include <stdlib.h>
#include <string.h>

void
parquet_writer_init(ParquetWriter *w, const TableShape *shape, const EncoderOptions *opts,
					Sink *out)
{
	memset(w, 0, sizeof(*w));
	w->shape = shape;
	w->opts = opts;
	w->out = out;
	w->cols = ebb_malloc(sizeof(ParquetColumn) * (size_t) (shape->ncolumns ? shape->ncolumns : 1));
	for (int i = 0; i < shape->ncolumns; i++)
		parquet_column_init(&w->cols[i], &shape->columns[i]);
	parquet_codec_init(&w->codec, opts->codec ? opts->codec : "zstd", opts->codec_level);
	w->row_group_rows = opts->row_group_rows ? opts->row_group_rows : PQ_DEFAULT_ROW_GROUP_ROWS;
	w->row_group_bytes = opts->row_group_bytes ? opts->row_group_bytes : PQ_DEFAULT_ROW_GROUP_BYTES;
	buf_init(&w->groups);
	buf_init(&w->body);
	buf_init(&w->header);
	w->levels = ebb_malloc(sizeof(uint32_t) * PQ_PAGE_ROWS);
}

bool
parquet_writer_begin(ParquetWriter *w, EbbError *err)
{
	return parquet_write_out(w, "PAR1", 4, err);
}

/* Writes the buffered row group (its column chunks one after another) and keeps its
 * RowGroup struct for the footer. */
static bool
flush_row_group(ParquetWriter *w, EbbError *err)
{
	ParquetThriftWriter t;
	uint64_t start = w->offset, compressed = 0, uncompressed = 0;
	int n = w->shape->ncolumns;

	if (w->rg_rows == 0)
		return true;
	parquet_thrift_writer_init(&t, &w->groups);
	parquet_thrift_struct_begin(&t);
	parquet_thrift_list_field(&t, 1, TT_STRUCT, (uint32_t) n);
	for (int i = 0; i < n; i++)
		if (!parquet_write_chunk(w, &w->cols[i], &t, &compressed, &uncompressed, err))
			return false;
	parquet_thrift_i64(&t, 2, (int64_t) uncompressed);
	parquet_thrift_i64(&t, 3, (int64_t) w->rg_rows);
	parquet_thrift_i64(&t, 5, (int64_t) start);
	parquet_thrift_i64(&t, 6, (int64_t) compressed);
	if (w->ngroups <= INT16_MAX)
		parquet_thrift_i16(&t, 7, (int16_t) w->ngroups);
	parquet_thrift_struct_end(&t);
	w->ngroups++;
	for (int i = 0; i < n; i++)
		parquet_column_reset(&w->cols[i]);
	w->rg_rows = 0;
	w->rg_bytes = 0;
	return true;
}

static bool
add_field(ParquetWriter *w, ParquetColumn *c, const RowField *f, EbbError *err)
{
	uint8_t fixed[16];
	const char *data = NULL;
	size_t len = 0;
	bool isnull = f->isnull;

	if (!isnull && !parquet_convert(&c->type, c->desc, w->opts->infinity, f->data, f->len, fixed,
									&data, &len, &isnull, err))
		return false;
	if (isnull)
		parquet_column_add_null(c);
	else if (c->width)
		parquet_column_add(c, fixed, (size_t) c->width);
	else
		parquet_column_add(c, data, len);
	return true;
}

bool
parquet_writer_row(ParquetWriter *w, const Row *row, EbbError *err)
{
	uint64_t bytes = 0;

	for (int i = 0; i < row->nfields; i++)
	{
		if (!add_field(w, &w->cols[i], &row->fields[i], err))
			return false;
		bytes += parquet_column_buffered(&w->cols[i]);
	}
	w->rows++;
	w->rg_rows++;
	w->rg_bytes = bytes;
	if (w->rg_rows >= w->row_group_rows || w->rg_bytes >= w->row_group_bytes)
		return flush_row_group(w, err);
	return true;
}

bool
parquet_writer_finish(ParquetWriter *w, EbbError *err)
{
	return flush_row_group(w, err) && parquet_write_footer(w, err);
}

void
parquet_writer_free(ParquetWriter *w)
{
	for (int i = 0; w->cols && i < w->shape->ncolumns; i++)
		parquet_column_free(&w->cols[i]);
	free(w->cols);
	free(w->levels);
	parquet_codec_free(&w->codec);
	buf_free(&w->groups);
	buf_free(&w->body);
	buf_free(&w->header);
	memset(w, 0, sizeof(*w));
}
