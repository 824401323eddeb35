#include "pg/copy_text.h"

/* The escape letter of each byte that COPY text must escape in a value, or 0. */
static const char copy_text_escape[256] = {['\\'] = '\\', ['\t'] = 't', ['\n'] = 'n', ['\r'] = 'r'};

/* The most bytes a field's escaped form takes: every byte may double. */
static size_t
copy_text_max_len(const RowField *field)
{
	return field->isnull ? 2 : field->len * 2;
}

/* Writes the escaped field at w, which has room for copy_text_max_len(); returns its end. */
static char *
copy_text_put(char *w, const RowField *field)
{
	if (field->isnull)
	{
		*w++ = '\\';
		*w++ = 'N';
		return w;
	}
	const unsigned char *s = (const unsigned char *) field->data;

	for (size_t i = 0; i < field->len; i++)
	{
		char e = copy_text_escape[s[i]];
		if (e == 0)
			*w++ = (char) s[i];
		else
		{
			*w++ = '\\';
			*w++ = e;
		}
	}
	return w;
}

void
pg_copy_text_append_field(Buf *out, const RowField *field)
{
	buf_reserve(out, copy_text_max_len(field));
	out->len = (size_t) (copy_text_put(out->data + out->len, field) - out->data);
}

/* One reservation for the whole row, then plain stores: this runs once per restored row. */
void
pg_copy_text_append_row(Buf *out, const Row *row)
{
	size_t need = 1;

	for (int i = 0; i < row->nfields; i++)
		need += 1 + copy_text_max_len(&row->fields[i]);
	buf_reserve(out, need);

	char *w = out->data + out->len;
	for (int i = 0; i < row->nfields; i++)
	{
		if (i > 0)
			*w++ = '\t';
		w = copy_text_put(w, &row->fields[i]);
	}
	*w++ = '\n';
	out->len = (size_t) (w - out->data);
}
