/* reader.c: the file (magic, footer), row groups loaded one at a time, rows as text. */
#include "encode/parquet/reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "encode/parquet/footer_read.h"
#include "encode/parquet/page_read.h"
#include "encode/parquet/text_out.h"

struct ParquetReader
{
	char *path;
	int fd;
	uint64_t size;
	ParquetFileMeta meta;
	ParquetTextType *types;
	ParquetColumnReader *cols;
	Buf *text; /* each column's current field */
	RowField *fields;
	int group;          /* the row group loaded; -1 before the first */
	int64_t group_left; /* its rows not read yet */
	bool failed;
	EbbError failure; /* repeated by every call after a failure */
};

static bool
fail(const ParquetReader *r, EbbError *err)
{
	error_prefix(err, "could not read Parquet file \"%s\": ", r->path);
	return false;
}

static bool
damaged(const ParquetReader *r, EbbError *err, const char *what)
{
	error_set(err, EBB_ERR_VERIFY, "%s", what);
	return fail(r, err);
}

/* Exactly len bytes at offset, or an error (a short read is a truncated file). */
static bool
read_at(const ParquetReader *r, void *dst, size_t len, uint64_t offset, EbbError *err)
{
	size_t got = 0;

	while (got < len)
	{
		ssize_t n = pread(r->fd, (char *) dst + got, len - got, (off_t) (offset + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_set(err, EBB_ERR_IO, "could not read file \"%s\": %s", r->path,
							 strerror(errno));
		if (n == 0)
			return damaged(r, err, "truncated file");
		got += (size_t) n;
	}
	return true;
}

/* "PAR1" at both ends, then the footer (its length is the u32 before the last magic). */
static bool
read_footer(ParquetReader *r, EbbError *err)
{
	uint8_t head[4], tail[8];
	uint32_t flen;

	if (r->size < 12)
		return damaged(r, err, "not a Parquet file (too short)");
	if (!read_at(r, head, 4, 0, err) || !read_at(r, tail, 8, r->size - 8, err))
		return false;
	if (memcmp(head, "PAR1", 4) != 0 || memcmp(tail + 4, "PAR1", 4) != 0)
		return damaged(r, err, "no PAR1 magic at both ends");
	flen = (uint32_t) tail[0] | (uint32_t) tail[1] << 8 | (uint32_t) tail[2] << 16 |
		   (uint32_t) tail[3] << 24;
	if ((uint64_t) flen + 12 > r->size)
		return damaged(r, err, "truncated footer");
	uint8_t *meta = ebb_malloc(flen ? flen : 1);
	bool ok = read_at(r, meta, flen, r->size - 8 - flen, err);
	if (ok && !parquet_footer_read_parse(meta, flen, r->size - 8 - flen, &r->meta, err))
		ok = fail(r, err);
	free(meta);
	return ok;
}

/* Per column: how its values print, its chunk reader and its text buffer. */
static bool
setup_columns(ParquetReader *r, EbbError *err)
{
	int n = r->meta.nleaves, size = n ? n : 1;

	r->types = ebb_malloc(sizeof(ParquetTextType) * (size_t) size);
	r->cols = ebb_malloc(sizeof(ParquetColumnReader) * (size_t) size);
	r->text = ebb_malloc(sizeof(Buf) * (size_t) size);
	r->fields = ebb_malloc(sizeof(RowField) * (size_t) size);
	for (int i = 0; i < n; i++)
	{
		parquet_page_read_init(&r->cols[i], &r->meta.leaves[i]);
		buf_init(&r->text[i]);
	}
	for (int i = 0; i < n; i++)
		if (!parquet_text_out_type(&r->meta.leaves[i], &r->types[i], err))
			return fail(r, err);
	return true;
}

bool
parquet_reader_open(const char *path, ParquetReader **out, EbbError *err)
{
	ParquetReader *r = ebb_malloc(sizeof(*r));
	struct stat st;

	memset(r, 0, sizeof(*r));
	r->path = ebb_strdup(path);
	r->group = -1;
	*out = NULL;
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0 || fstat(r->fd, &st) != 0)
	{
		error_set(err, EBB_ERR_IO, "could not open file \"%s\": %s", path, strerror(errno));
		parquet_reader_close(r);
		return false;
	}
	r->size = (uint64_t) st.st_size;
	if (!read_footer(r, err) || !setup_columns(r, err))
	{
		parquet_reader_close(r);
		return false;
	}
	*out = r;
	return true;
}

int
parquet_reader_ncolumns(const ParquetReader *r)
{
	return r->meta.nleaves;
}

const char *
parquet_reader_column_name(const ParquetReader *r, int i)
{
	return i >= 0 && i < r->meta.nleaves ? r->meta.leaves[i].name : NULL;
}

const char *
parquet_reader_column_type(const ParquetReader *r, int i)
{
	return i >= 0 && i < r->meta.nleaves ? parquet_text_out_pg_type(&r->types[i]) : NULL;
}

uint64_t
parquet_reader_num_rows(const ParquetReader *r)
{
	return (uint64_t) r->meta.num_rows;
}

const char *
parquet_reader_kv(const ParquetReader *r, const char *key)
{
	for (int i = 0; i < r->meta.nkv; i++)
		if (strcmp(r->meta.kv[2 * i], key) == 0)
			return r->meta.kv[2 * i + 1];
	return NULL;
}

/* The next row group's column chunks, each read whole from the file. */
static bool
load_group(ParquetReader *r, EbbError *err)
{
	const ParquetRowGroupMeta *g = &r->meta.groups[++r->group];

	for (int i = 0; i < g->ncols; i++)
	{
		const ParquetChunkMeta *cm = &g->cols[i];
		ParquetColumnReader *c = &r->cols[i];
		int64_t start = cm->dict_offset > 0 && cm->dict_offset < cm->data_offset ? cm->dict_offset
																				 : cm->data_offset;
		/* the footer check bounded the chunk by the file's size */
		buf_reset(&c->chunk);
		buf_reserve(&c->chunk, (size_t) cm->total_compressed);
		if (!read_at(r, c->chunk.data, (size_t) cm->total_compressed, (uint64_t) start, err))
			return false;
		c->chunk.len = (size_t) cm->total_compressed;
		parquet_page_read_start(c, cm->codec);
	}
	r->group_left = g->num_rows;
	return true;
}

static bool
read_field(ParquetReader *r, int i, EbbError *err)
{
	const uint8_t *v = NULL;
	size_t len = 0;
	bool isnull;

	if (!parquet_page_read_next(&r->cols[i], &v, &len, &isnull, err))
		return false;
	r->fields[i].isnull = isnull;
	buf_reset(&r->text[i]);
	if (!isnull && !parquet_text_out_value(&r->types[i], v, len, &r->text[i], err))
		return false;
	r->fields[i].data = buf_cstr(&r->text[i]);
	r->fields[i].len = isnull ? 0 : r->text[i].len;
	return true;
}

static bool
next_row(ParquetReader *r, Row *row, bool *eof, EbbError *err)
{
	*eof = false;
	while (r->group_left == 0)
	{
		if (r->group + 1 >= r->meta.ngroups)
		{
			*eof = true;
			return true;
		}
		if (!load_group(r, err))
			return false;
	}
	for (int i = 0; i < r->meta.nleaves; i++)
		if (!read_field(r, i, err))
		{
			error_prefix(err, "column \"%s\" of row group %d: ", r->meta.leaves[i].name, r->group);
			return fail(r, err);
		}
	r->group_left--;
	row->nfields = r->meta.nleaves;
	row->fields = r->fields;
	return true;
}

bool
parquet_reader_next(ParquetReader *r, Row *row, bool *eof, EbbError *err)
{
	if (r->failed)
	{
		*err = r->failure;
		return false;
	}
	if (next_row(r, row, eof, err))
		return true;
	r->failed = true;
	r->failure = *err;
	return false;
}

void
parquet_reader_close(ParquetReader *r)
{
	if (!r)
		return;
	if (r->cols)
		for (int i = 0; i < r->meta.nleaves; i++)
		{
			parquet_page_read_free(&r->cols[i]);
			buf_free(&r->text[i]);
		}
	parquet_footer_read_free(&r->meta);
	free(r->types);
	free(r->cols);
	free(r->text);
	free(r->fields);
	if (r->fd >= 0)
		close(r->fd);
	free(r->path);
	free(r);
}
