/*
 * csv2copy: ebb's CSV reader and COPY text writer outside ebb restore, for tests that load an
 * archived object back with psql's \copy ... FROM STDIN (text format).
 *
 *   zstd -dc object.csv.zst | csv2copy > rows.txt
 *
 * stdin is a decompressed csv object (a header line, then rows); stdout gets the rows in COPY
 * text form, stderr the header's column names, one a line. An object the reader rejects exits
 * 1 with its message.
 */
#include <stdio.h>
#include <stdlib.h>

#include "common/buf.h"
#include "encode/csv_read.h"
#include "pg/copy_text.h"

#define FLUSH_BYTES (256 * 1024)

static bool
flush_out(Buf *out, EbbError *err)
{
	if (out->len > 0 && fwrite(out->data, 1, out->len, stdout) != out->len)
		return error_set(err, EBB_ERR_IO, "could not write to stdout");
	buf_reset(out);
	return true;
}

static bool
on_header(void *arg, int ncolumns, const char *const *names, EbbError *err)
{
	for (int i = 0; i < ncolumns; i++)
		fprintf(stderr, "%s\n", names[i]);
	return true;
}

static bool
on_row(void *arg, const Row *row, EbbError *err)
{
	Buf *out = arg;

	pg_copy_text_append_row(out, row);
	return out->len < FLUSH_BYTES || flush_out(out, err);
}

int
main(int argc, char **argv)
{
	static char chunk[64 * 1024];
	Buf out;
	EbbError err;
	bool ok = true;
	size_t n;

	if (argc != 1)
	{
		fprintf(stderr, "usage: csv2copy < object.csv > rows.txt\n");
		return 2;
	}
	buf_init(&out);
	error_init(&err);
	Sink *reader = encode_csv_read_create(&(CsvReadCallbacks){on_header, on_row, &out});
	while (ok && (n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		ok = sink_write(reader, chunk, n, &err);
	if (ok && ferror(stdin))
		ok = error_set(&err, EBB_ERR_IO, "could not read stdin");
	ok = ok && sink_finish(reader, &err) && flush_out(&out, &err);
	if (ok && fflush(stdout) != 0)
		ok = error_set(&err, EBB_ERR_IO, "could not write to stdout");
	if (!ok)
		error_print(&err);
	encode_csv_read_destroy(reader);
	buf_free(&out);
	return ok ? 0 : 1;
}
