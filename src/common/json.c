#include "common/json.h"

#include <inttypes.h>
#include <stdio.h>

#include "common/text.h"

void
json_append_string(Buf *b, const char *s)
{
	buf_append_char(b, '"');
	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
	{
		switch (*p)
		{
			case '"': buf_append_str(b, "\\\""); break;
			case '\\': buf_append_str(b, "\\\\"); break;
			case '\n': buf_append_str(b, "\\n"); break;
			case '\r': buf_append_str(b, "\\r"); break;
			case '\t': buf_append_str(b, "\\t"); break;
			default:
			{
				/* JSON is UTF-8: a byte that is not part of a valid sequence (a file name
				 * from the store may hold any) becomes the code point of the same number.
				 * A C1 control (U+0080..U+009F) is valid but escaped, as one code point. */
				size_t len = *p < 0x80 ? 1 : text_printable_len(p);
				if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
					buf_printf(b, "\\u%04x", *++p);
				else if (*p < 0x20 || *p == 0x7f || len == 0)
					buf_printf(b, "\\u%04x", *p);
				else
				{
					buf_append(b, (const char *) p, len);
					p += len - 1;
				}
			}
		}
	}
	buf_append_char(b, '"');
}

static void
json_key(Buf *b, const char *key)
{
	if (b->len > 0 && b->data[b->len - 1] != '{' && b->data[b->len - 1] != '[')
		buf_append_char(b, ',');
	json_append_string(b, key);
	buf_append_char(b, ':');
}

void
json_kv_str(Buf *b, const char *key, const char *value)
{
	json_key(b, key);
	if (value)
		json_append_string(b, value);
	else
		buf_append_str(b, "null");
}

void
json_kv_int(Buf *b, const char *key, int64_t value)
{
	json_key(b, key);
	buf_printf(b, "%" PRId64, value);
}

void
json_kv_bool(Buf *b, const char *key, bool value)
{
	json_key(b, key);
	buf_append_str(b, value ? "true" : "false");
}

void
json_kv_raw(Buf *b, const char *key, const char *raw)
{
	json_key(b, key);
	buf_append_str(b, raw);
}

void
json_kv_error(Buf *b, const EbbError *err)
{
	json_kv_str(b, "error", err->message);
	json_kv_str(b, "detail", err->detail[0] ? err->detail : NULL);
	json_kv_str(b, "hint", err->hint[0] ? err->hint : NULL);
}
