/* decode.c: see decode.h. */
#include "encode/decode.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "compress/compressor.h"
#include "encode/csv_read.h"
#include "encode/parquet/reader.h"

#define DECODE_CHUNK (256 * 1024)

static bool
feed_file(const char *path, Sink *into, EbbError *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *chunk = ebb_malloc(DECODE_CHUNK);
	bool ok = fd >= 0;

	if (!ok)
		error_set(err, EBB_ERR_IO, "could not open file \"%s\": %s", path, strerror(errno));
	while (ok)
	{
		ssize_t n = read(fd, chunk, DECODE_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ok =
				error_set(err, EBB_ERR_IO, "could not read file \"%s\": %s", path, strerror(errno));
		if (n <= 0)
			break;
		ok = sink_write(into, chunk, (size_t) n, err);
	}
	if (fd >= 0)
		close(fd);
	free(chunk);
	return ok;
}

typedef struct HeaderSeen
{
	const DecodeCallbacks *cb;
	bool seen;
} HeaderSeen;

static bool
csv_header(void *arg, int n, const char *const *names, EbbError *err)
{
	HeaderSeen *hs = arg;

	hs->seen = true;
	return !hs->cb->header || hs->cb->header(hs->cb->arg, n, names, err);
}

static bool
csv_row(void *arg, const Row *row, EbbError *err)
{
	HeaderSeen *hs = arg;

	return !hs->cb->row || hs->cb->row(hs->cb->arg, row, err);
}

static bool
decode_csv(const char *path, const char *compression, const DecodeCallbacks *cb, uint64_t *rows,
		   EbbError *err)
{
	const CompressorDriver *cmp = compressor_find(compression);
	HeaderSeen hs = {.cb = cb};
	CsvReadCallbacks ccb = {.header = csv_header, .row = csv_row, .arg = &hs};

	if (!cmp)
		return error_set(err, EBB_ERR_DATA, "unknown compression \"%s\"", compression);
	Sink *csv = encode_csv_read_create(&ccb);
	Sink *dec = decompressor_create(cmp, csv, err);
	bool ok = dec && feed_file(path, dec, err) && sink_finish(dec, err) && sink_finish(csv, err);
	if (ok && !hs.seen)
		ok = error_set(err, EBB_ERR_VERIFY, "could not parse CSV object: no header line");
	*rows = encode_csv_read_rows(csv);
	if (dec)
		decompressor_destroy(cmp, dec);
	encode_csv_read_destroy(csv);
	return ok;
}

static bool
decode_parquet(const char *path, const DecodeCallbacks *cb, uint64_t *rows, EbbError *err)
{
	ParquetReader *r;
	bool ok = true, eof = false;

	if (!parquet_reader_open(path, &r, err))
		return false;
	int n = parquet_reader_ncolumns(r);
	if (cb->header)
	{
		const char **names = ebb_malloc(sizeof(char *) * (size_t) (n ? n : 1));
		for (int i = 0; i < n; i++)
			names[i] = parquet_reader_column_name(r, i);
		ok = cb->header(cb->arg, n, names, err);
		free(names);
	}
	while (ok && !eof)
	{
		Row row;
		ok = parquet_reader_next(r, &row, &eof, err);
		if (ok && !eof)
		{
			(*rows)++;
			ok = !cb->row || cb->row(cb->arg, &row, err);
		}
	}
	parquet_reader_close(r);
	return ok;
}

bool
encode_decode_file(const char *path, const char *format, const char *compression,
				   const DecodeCallbacks *cb, uint64_t *rows, EbbError *err)
{
	*rows = 0;
	if (strcmp(format, "parquet") == 0)
		return decode_parquet(path, cb, rows, err);
	if (strcmp(format, "csv") == 0)
		return decode_csv(path, compression, cb, rows, err);
	return error_set(err, EBB_ERR_DATA, "unknown format \"%s\"", format);
}
