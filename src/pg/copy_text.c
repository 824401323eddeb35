#include "pg/copy_text.h"

#include <string.h>

/* The escape letter of each byte that COPY text must escape in a value, or 0. */
static const char copy_text_escape[256] = {['\\'] = '\\', ['\t'] = 't', ['\n'] = 'n', ['\r'] = 'r'};

void
pg_copy_text_append_field(Buf *out, const RowField *field)
{
	if (field->isnull)
	{
		buf_append(out, "\\N", 2);
		return;
	}
	if (field->len == 0)
		return;
	/* At worst every byte doubles: one reservation, then plain stores. */
	buf_reserve(out, field->len * 2);
	const unsigned char *s = (const unsigned char *) field->data, *end = s + field->len;
	char *w = out->data + out->len;

	while (s < end)
	{
		const unsigned char *run = s;
		while (s < end && !copy_text_escape[*s])
			s++;
		memcpy(w, run, (size_t) (s - run));
		w += s - run;
		if (s < end)
		{
			*w++ = '\\';
			*w++ = copy_text_escape[*s++];
		}
	}
	out->len = (size_t) (w - out->data);
}

void
pg_copy_text_append_row(Buf *out, const Row *row)
{
	for (int i = 0; i < row->nfields; i++)
	{
		if (i > 0)
			buf_append_char(out, '\t');
		pg_copy_text_append_field(out, &row->fields[i]);
	}
	buf_append_char(out, '\n');
}
