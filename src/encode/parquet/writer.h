/*
 * writer.h: a Parquet file written front to back into a Sink, row by row. Rows are buffered
 * per column until the row group is full (--row-group-size rows or --row-group-bytes of
 * buffered values), then each column chunk goes out as its pages (dictionary page first
 * when the dictionary pays), and at the end the footer (FileMetaData). The ParquetWriter owns its
 * buffers; the caller owns the shape, the options and the Sink, which outlive it.
 */
#ifndef EBB_ENCODE_PARQUET_WRITER_H
#define EBB_ENCODE_PARQUET_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/row.h"
#include "common/sink.h"
#include "encode/encoder.h"
#include "encode/parquet/codec.h"
#include "encode/parquet/column.h"
#include "encode/parquet/thrift.h"

/* PLAIN lengths, dictionary indices and statistics are copied from host integers. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
			   "the Parquet writer needs a little-endian host");

/* Arrow's defaults: pages of about 1 MiB and at most 20,000 rows. */
#define PQ_PAGE_BYTES              (1024 * 1024)
#define PQ_PAGE_ROWS               20000
#define PQ_DEFAULT_ROW_GROUP_ROWS  (1024 * 1024)
#define PQ_DEFAULT_ROW_GROUP_BYTES (64ull * 1024 * 1024)

typedef struct ParquetWriter
{
	const TableShape *shape;
	const EncoderOptions *opts;
	Sink *out;
	ParquetColumn *cols;
	ParquetCodec codec;
	uint64_t offset;   /* bytes written so far: page offsets for the footer */
	uint64_t rg_rows;  /* rows in the row group being built */
	uint64_t rg_bytes; /* bytes it buffers */
	uint64_t rows;     /* rows in the file */
	uint64_t row_group_rows, row_group_bytes;
	Buf groups; /* the RowGroup structs written so far, serialized, for the footer */
	uint32_t ngroups;
	Buf body, header; /* page scratch */
	uint32_t *levels; /* RLE input scratch, PQ_PAGE_ROWS values */
} ParquetWriter;

void parquet_writer_init(ParquetWriter *w, const TableShape *shape, const EncoderOptions *opts,
						 Sink *out);
bool parquet_writer_begin(ParquetWriter *w, EbbError *err);
bool parquet_writer_row(ParquetWriter *w, const Row *row, EbbError *err);
bool parquet_writer_finish(ParquetWriter *w, EbbError *err);
void parquet_writer_free(ParquetWriter *w);

/* page.c: one column chunk's pages, and its ColumnChunk struct appended to rg (a list
 * element of RowGroup.columns). */
bool parquet_write_chunk(ParquetWriter *w, ParquetColumn *c, ParquetThriftWriter *rg,
						 uint64_t *compressed, uint64_t *uncompressed, EbbError *err);
bool parquet_write_out(ParquetWriter *w, const void *data, size_t len, EbbError *err);

/* footer.c */
void parquet_write_statistics(ParquetThriftWriter *t, const ParquetColumn *c);
bool parquet_write_footer(ParquetWriter *w, EbbError *err);

#endif
