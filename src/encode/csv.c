#include "encode/csv.h"

#include <stdlib.h>
#include <string.h>

#include "encode/encoder.h"

/* Flush to the sink once this much is buffered: large enough to amortize the calls. */
#define CSV_FLUSH_BYTES (256 * 1024)

static bool
csv_needs_quotes(const char *s, size_t len)
{
	if (len == 0)
		return true;
	if (len == 2 && s[0] == '\\' && s[1] == '.')
		return true;
	for (size_t i = 0; i < len; i++)
	{
		char c = s[i];

		if (c == ',' || c == '"' || c == '\n' || c == '\r')
			return true;
	}
	return false;
}

void
encode_csv_field(Buf *out, const RowField *field)
{
	if (field->isnull)
		return;
	if (!csv_needs_quotes(field->data, field->len))
	{
		buf_append(out, field->data, field->len);
		return;
	}
	buf_reserve(out, field->len * 2 + 2);
	char *p = out->data + out->len;
	*p++ = '"';
	for (size_t i = 0; i < field->len; i++)
	{
		if (field->data[i] == '"')
			*p++ = '"';
		*p++ = field->data[i];
	}
	*p++ = '"';
	out->len = (size_t) (p - out->data);
}

void
encode_csv_row(Buf *out, const Row *row)
{
	for (int i = 0; i < row->nfields; i++)
	{
		if (i > 0)
			buf_append_char(out, ',');
		encode_csv_field(out, &row->fields[i]);
	}
	buf_append_char(out, '\n');
}

typedef struct CsvState
{
	const TableShape *shape;
	Sink *out;
	Buf buf;
} CsvState;

static void *
csv_create(const TableShape *shape, const EncoderOptions *opts, Sink *out)
{
	CsvState *st = ebb_malloc(sizeof(*st));

	st->shape = shape;
	st->out = out;
	buf_init(&st->buf);
	buf_reserve(&st->buf, CSV_FLUSH_BYTES + 64 * 1024);
	return st;
}

static bool
csv_flush(CsvState *st, EbbError *err)
{
	if (st->buf.len == 0)
		return true;
	bool ok = sink_write(st->out, st->buf.data, st->buf.len, err);
	buf_reset(&st->buf);
	return ok;
}

/* The header row: column names, quoted by the same rules as data. */
static bool
csv_begin(void *state, EbbError *err)
{
	CsvState *st = state;
	RowField *fields = ebb_malloc(sizeof(RowField) * (size_t) (st->shape->ncolumns + 1));
	Row header = {.nfields = st->shape->ncolumns, .fields = fields};

	for (int i = 0; i < st->shape->ncolumns; i++)
	{
		fields[i].data = st->shape->columns[i].name;
		fields[i].len = strlen(st->shape->columns[i].name);
		fields[i].isnull = false;
	}
	encode_csv_row(&st->buf, &header);
	free(fields);
	return true;
}

static bool
csv_row(void *state, const Row *row, EbbError *err)
{
	CsvState *st = state;

	encode_csv_row(&st->buf, row);
	if (st->buf.len >= CSV_FLUSH_BYTES)
		return csv_flush(st, err);
	return true;
}

static bool
csv_finish(void *state, EbbError *err)
{
	return csv_flush(state, err);
}

static void
csv_destroy(void *state)
{
	CsvState *st = state;

	buf_free(&st->buf);
	free(st);
}

const EncoderDriver encode_csv_driver = {
	.name = "csv",
	.extension = "csv",
	.create = csv_create,
	.begin = csv_begin,
	.row = csv_row,
	.finish = csv_finish,
	.destroy = csv_destroy,
	.counter_create = encode_csv_counter_create,
	.counter_rows = encode_csv_counter_rows,
	.counter_destroy = encode_csv_counter_destroy,
};
