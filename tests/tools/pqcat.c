/*
 * pqcat: ebb's Parquet reader outside restore: prints a Parquet file's rows in PostgreSQL's
 * COPY text format (tab-separated, \N for NULL, backslash escapes), without a header, as
 * `COPY ... TO STDOUT` would print the table the file came from (timestamptz in UTC).
 *
 *   pqcat FILE...            the rows of each file in turn
 *   pqcat --schema FILE      one line per column: name TAB PostgreSQL type
 *
 * On failure: "pqcat: <message>" on stderr, exit 1 (usage: 2).
 */
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "encode/parquet/reader.h"

/* COPY TO's text escaping (copyto.c CopyAttributeOutText): backslash, and the characters
 * that would end a field or a line. */
static void
put_field(Buf *out, const RowField *f)
{
	if (f->isnull)
	{
		buf_append_str(out, "\\N");
		return;
	}
	for (size_t i = 0; i < f->len; i++)
	{
		char c = f->data[i];
		const char *esc = c == '\\'   ? "\\\\"
						  : c == '\t' ? "\\t"
						  : c == '\n' ? "\\n"
						  : c == '\r' ? "\\r"
						  : c == '\b' ? "\\b"
						  : c == '\f' ? "\\f"
						  : c == '\v' ? "\\v"
									  : NULL;
		if (esc)
			buf_append_str(out, esc);
		else
			buf_append_char(out, c);
	}
}

static bool
cat_file(const char *path, EbbError *err)
{
	ParquetReader *r;
	Row row;
	bool eof = false, ok = true;
	Buf line;

	if (!parquet_reader_open(path, &r, err))
		return false;
	buf_init(&line);
	while (ok && (ok = parquet_reader_next(r, &row, &eof, err)) && !eof)
	{
		buf_reset(&line);
		for (int i = 0; i < row.nfields; i++)
		{
			if (i > 0)
				buf_append_char(&line, '\t');
			put_field(&line, &row.fields[i]);
		}
		buf_append_char(&line, '\n');
		ok = fwrite(line.data, 1, line.len, stdout) == line.len;
		if (!ok)
			error_set(err, EBB_ERR_IO, "could not write to stdout");
	}
	buf_free(&line);
	parquet_reader_close(r);
	return ok;
}

static bool
print_schema(const char *path, EbbError *err)
{
	ParquetReader *r;

	if (!parquet_reader_open(path, &r, err))
		return false;
	for (int i = 0; i < parquet_reader_ncolumns(r); i++)
		printf("%s\t%s\n", parquet_reader_column_name(r, i), parquet_reader_column_type(r, i));
	parquet_reader_close(r);
	return true;
}

int
main(int argc, char **argv)
{
	EbbError err;
	bool schema = argc > 1 && strcmp(argv[1], "--schema") == 0;

	if (argc < 2 || (schema && argc != 3))
	{
		fprintf(stderr, "usage: pqcat FILE... | pqcat --schema FILE\n");
		return 2;
	}
	error_init(&err);
	for (int i = schema ? 2 : 1; i < argc; i++)
		if (!(schema ? print_schema(argv[i], &err) : cat_file(argv[i], &err)))
		{
			fprintf(stderr, "pqcat: %s\n", err.message);
			return 1;
		}
	return fflush(stdout) == 0 ? 0 : 1;
}
