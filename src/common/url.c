#include "common/url.h"

#include <stdlib.h>

#include "common/buf.h"
#include "common/text.h"

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
bad_escape(const char *url, const char *at, EbbError *err)
{
	char token[4] = {at[0], at[1], at[1] ? at[2] : '\0', '\0'};

	error_set(err, EBB_ERR_USAGE, "invalid destination \"%s\"", text_escape(url).s);
	if (hex_digit(at[1]) == 0 && hex_digit(at[2]) == 0)
		error_detail(err, "%%00 would put a NUL byte in the path.");
	else
		error_detail(err, "\"%s\" is not a percent-encoded byte.", text_escape(token).s);
	error_hint(err, "Write a byte as %% and two hex digits, a percent sign itself as %%25.");
	return false;
}

bool
url_decode_part(const char *url, const char *part, char **out, EbbError *err)
{
	Buf b;

	buf_init(&b);
	for (const char *p = part; *p; p++)
	{
		if (*p != '%')
		{
			buf_append_char(&b, *p);
			continue;
		}
		int hi = hex_digit(p[1]);
		int lo = hi >= 0 ? hex_digit(p[2]) : -1;
		if (lo < 0 || (hi == 0 && lo == 0))
		{
			buf_free(&b);
			return bad_escape(url, p, err);
		}
		buf_append_char(&b, (char) (hi * 16 + lo));
		p += 2;
	}
	*out = ebb_strdup(buf_cstr(&b));
	buf_free(&b);
	return true;
}
