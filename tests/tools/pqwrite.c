/*
 * pqwrite: ebb's Parquet writer outside the archive protocol, for tests that need files the
 * archive never writes (zero rows) or writer settings in isolation.
 *
 *   pqwrite OUT CODEC ROW_GROUP_ROWS NAME:OID:TYPMOD... < binary COPY stream
 *
 * The stream is `COPY ... TO STDOUT (FORMAT binary)` of columns of those types (OID and typmod
 * of the base type; a column with OID 25 takes any type's text form).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "encode/parquet/writer.h"
#include "pg/copy.h"

typedef struct FileSink
{
	Sink base;
	FILE *f;
} FileSink;

static bool
file_write(Sink *sink, const void *data, size_t len, EbbError *err)
{
	(void) err;
	return fwrite(data, 1, len, ((FileSink *) sink)->f) == len;
}

static const SinkOps file_ops = {.write = file_write};

static void
parse_columns(int n, char **specs, TableShape *shape)
{
	shape->ncolumns = n;
	shape->binary = true;
	shape->columns = calloc((size_t) (n ? n : 1), sizeof(ColumnDesc));
	for (int i = 0; i < n; i++)
	{
		char *oid = strchr(specs[i], ':');
		char *typmod = oid ? strchr(oid + 1, ':') : NULL;
		if (!typmod)
		{
			fprintf(stderr, "pqwrite: bad column \"%s\" (NAME:OID:TYPMOD)\n", specs[i]);
			exit(2);
		}
		*oid++ = *typmod++ = '\0';
		shape->columns[i].name = specs[i];
		shape->columns[i].type_oid = (uint32_t) strtoul(oid, NULL, 10);
		shape->columns[i].typmod = (int32_t) strtol(typmod, NULL, 10);
		shape->columns[i].typtype = 'b';
		shape->columns[i].type_name = oid;
	}
}

static bool
write_rows(ParquetWriter *w, const Buf *in, const TableShape *shape, EbbError *err)
{
	RowField *fields = calloc((size_t) (shape->ncolumns ? shape->ncolumns : 1), sizeof(*fields));
	size_t pos = 0, used;
	bool trailer = false, ok = pg_copy_binary_header(in->data, in->len, &used, err) && used;

	for (pos = used; ok && !trailer; pos += used)
	{
		ok = pg_copy_decode_binary(in->data + pos, in->len - pos, fields, shape->ncolumns, &used,
								   &trailer, err) &&
			 used > 0;
		Row row = {shape->ncolumns, fields};
		if (ok && !trailer)
			ok = parquet_writer_row(w, &row, err);
	}
	free(fields);
	return ok;
}

int
main(int argc, char **argv)
{
	FileSink sink = {{&file_ops}, NULL};
	TableShape shape;
	EncoderOptions opts = {.codec_level = -1};
	ParquetWriter w;
	EbbError err;
	Buf in;
	char chunk[65536];
	size_t n;

	if (argc < 4)
	{
		fprintf(stderr, "usage: pqwrite OUT CODEC ROW_GROUP_ROWS NAME:OID:TYPMOD...\n");
		return 2;
	}
	parse_columns(argc - 4, argv + 4, &shape);
	opts.codec = argv[2];
	opts.row_group_rows = strtoull(argv[3], NULL, 10);
	buf_init(&in);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		buf_append(&in, chunk, n);
	error_init(&err);
	sink.f = fopen(argv[1], "wb");
	parquet_writer_init(&w, &shape, &opts, &sink.base);
	bool ok = sink.f && parquet_writer_begin(&w, &err) && write_rows(&w, &in, &shape, &err) &&
			  parquet_writer_finish(&w, &err);
	if (!ok)
		fprintf(stderr, "pqwrite: %s\n", err.message[0] ? err.message : "bad input");
	parquet_writer_free(&w);
	buf_free(&in);
	free(shape.columns);
	return (sink.f && fclose(sink.f) == 0 && ok) ? 0 : 1;
}
