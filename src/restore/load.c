/* load.c: see load.h. */
#include "restore/load.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compress/compressor.h"
#include "encode/csv_read.h"
#include "encode/parquet/reader.h"
#include "pg/copy_in.h"
#include "pg/copy_text.h"
#include "pg/ident.h"
#include "pg/pg.h"

/* COPY data goes to the server in chunks of about this size. */
#define LOAD_CHUNK (256 * 1024)

typedef struct Loader
{
	PGconn *conn;
	const RestoreTarget *target;
	const StrList *ignore;
	RestoreLoadResult *out;
	bool copying;
	Buf data;
} Loader;

static bool
strlist_has(const StrList *l, const char *s)
{
	for (int i = 0; l && i < l->count; i++)
		if (strcmp(l->items[i], s) == 0)
			return true;
	return false;
}

/* One object column: its staging type, and whether it is inserted. */
static bool
map_column(Loader *ld, const char *name, Buf *stage, bool *insert, EbbError *err)
{
	const RestoreColumn *c = restore_target_column(ld->target, name);

	*insert = c && !c->generated && !strlist_has(ld->ignore, name);
	if (!c && !strlist_has(ld->ignore, name))
	{
		error_set(err, EBB_ERR_CONFIG, "column \"%s\" of the archived rows does not exist in %s",
				  name, pg_message_name(ld->target->schema, ld->target->table).s);
		error_hint(err, "Add the column to the table, or leave it out with --ignore-columns %s.",
				   name);
		return false;
	}
	pg_quote_ident(stage, name);
	buf_printf(stage, " %s", *insert ? c->type : "text");
	return true;
}

static void
add_insert_column(Loader *ld, const RestoreColumn *c)
{
	RestoreLoadResult *r = ld->out;

	if (r->columns.len)
		buf_append_str(&r->columns, ", ");
	pg_quote_ident(&r->columns, c->name);
	r->identity |= c->identity_always;
	if (c->key)
		return;
	if (r->update_set.len)
		buf_append_str(&r->update_set, ", ");
	pg_quote_ident(&r->update_set, c->name);
	buf_append_str(&r->update_set, " = EXCLUDED.");
	pg_quote_ident(&r->update_set, c->name);
}

/* The object's header: the staging table, then its COPY. */
static bool
on_header(void *arg, int n, const char *const *names, EbbError *err)
{
	Loader *ld = arg;
	Buf sql;
	bool ok = true;

	buf_init(&sql);
	buf_append_str(&sql, "CREATE TEMP TABLE ebb_restore_stage (");
	for (int i = 0; ok && i < n; i++)
	{
		bool insert;
		if (i)
			buf_append_str(&sql, ", ");
		ok = map_column(ld, names[i], &sql, &insert, err);
		if (ok && insert)
			add_insert_column(ld, restore_target_column(ld->target, names[i]));
	}
	buf_append_str(&sql, ") ON COMMIT DROP");
	ok = ok && pg_exec(ld->conn, buf_cstr(&sql), err) &&
		 pg_copy_in_begin(ld->conn, "COPY pg_temp.ebb_restore_stage FROM STDIN", err);
	ld->copying = ok;
	buf_free(&sql);
	return ok;
}

static bool
flush_data(Loader *ld, size_t min, EbbError *err)
{
	if (ld->data.len < min || ld->data.len == 0)
		return true;
	bool ok = pg_copy_in_put(ld->conn, ld->data.data, ld->data.len, err);
	buf_reset(&ld->data);
	return ok;
}

static bool
on_row(void *arg, const Row *row, EbbError *err)
{
	Loader *ld = arg;

	pg_copy_text_append_row(&ld->data, row);
	return flush_data(ld, LOAD_CHUNK, err);
}

/* ---- CSV: the file through its decompressor into the parser ---- */

static bool
feed_file(const char *path, Sink *into, EbbError *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *chunk = ebb_malloc(LOAD_CHUNK);
	bool ok = fd >= 0;

	if (!ok)
		error_set(err, EBB_ERR_IO, "could not open file \"%s\": %s", path, strerror(errno));
	while (ok)
	{
		ssize_t n = read(fd, chunk, LOAD_CHUNK);
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

static bool
load_csv(Loader *ld, const char *path, const char *compression, EbbError *err)
{
	const CompressorDriver *cmp = compressor_find(compression);
	CsvReadCallbacks cb = {.header = on_header, .row = on_row, .arg = ld};

	if (!cmp)
		return error_set(err, EBB_ERR_DATA, "the ledger names an unknown compression \"%s\"",
						 compression);
	Sink *csv = encode_csv_read_create(&cb);
	Sink *dec = decompressor_create(cmp, csv, err);
	bool ok = dec && feed_file(path, dec, err) && sink_finish(dec, err) && sink_finish(csv, err);
	if (ok && !ld->copying)
		ok = error_set(err, EBB_ERR_VERIFY, "the object has no header line");
	if (dec)
		decompressor_destroy(cmp, dec);
	encode_csv_read_destroy(csv);
	return ok;
}

/* ---- Parquet ---- */

static bool
load_parquet(Loader *ld, const char *path, EbbError *err)
{
	ParquetReader *r;
	bool ok, eof = false;

	if (!parquet_reader_open(path, &r, err))
		return false;
	int n = parquet_reader_ncolumns(r);
	const char **names = ebb_malloc(sizeof(char *) * (size_t) (n ? n : 1));
	for (int i = 0; i < n; i++)
		names[i] = parquet_reader_column_name(r, i);
	ok = on_header(ld, n, names, err);
	free(names);
	while (ok && !eof)
	{
		Row row;
		ok = parquet_reader_next(r, &row, &eof, err) && (eof || on_row(ld, &row, err));
	}
	parquet_reader_close(r);
	return ok;
}

bool
restore_load(PGconn *conn, const RestoreTarget *target, const StrList *ignore, const char *path,
			 const char *format, const char *compression, RestoreLoadResult *out, EbbError *err)
{
	Loader ld = {.conn = conn, .target = target, .ignore = ignore, .out = out};
	bool ok;

	memset(out, 0, sizeof(*out));
	buf_init(&out->columns);
	buf_init(&out->update_set);
	buf_init(&ld.data);
	if (strcmp(format, "parquet") == 0)
		ok = load_parquet(&ld, path, err);
	else if (strcmp(format, "csv") == 0)
		ok = load_csv(&ld, path, compression, err);
	else
		ok = error_set(err, EBB_ERR_DATA, "the ledger names an unknown format \"%s\"", format);
	if (ok)
		ok = flush_data(&ld, 0, err) && pg_copy_in_end(conn, &out->rows, err);
	else if (ld.copying)
		pg_copy_in_abort(conn, "ebb could not read the object");
	buf_free(&ld.data);
	return ok;
}

void
restore_load_result_free(RestoreLoadResult *r)
{
	buf_free(&r->columns);
	buf_free(&r->update_set);
}
