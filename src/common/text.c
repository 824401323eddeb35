#include "common/text.h"

#include <stdio.h>
#include <string.h>

/* The length of a well-formed UTF-8 sequence at p (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF), or 0. */
static size_t
utf8_sequence_len(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xBF;
	size_t n;

	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		n = 2;
	else if (p[0] >= 0xE0 && p[0] <= 0xEF)
	{
		n = 3;
		lo = p[0] == 0xE0 ? 0xA0 : 0x80;
		hi = p[0] == 0xED ? 0x9F : 0xBF;
	}
	else if (p[0] >= 0xF0 && p[0] <= 0xF4)
	{
		n = 4;
		lo = p[0] == 0xF0 ? 0x90 : 0x80;
		hi = p[0] == 0xF4 ? 0x8F : 0xBF;
	}
	else
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return n;
}

size_t
text_printable_len(const unsigned char *p)
{
	if (p[0] >= 0x20 && p[0] < 0x7F)
		return 1;
	if (p[0] < 0x80)
		return 0; /* C0 controls and DEL */
	/* U+0080..U+009F (C1 controls, such as the one-byte CSI U+009B) are escaped too. */
	if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
		return 0;
	return utf8_sequence_len(p);
}

EscapedText
text_escape(const char *in)
{
	static const char ellipsis[] = "...";
	EscapedText out;
	const unsigned char *p = (const unsigned char *) (in ? in : "");
	size_t len = 0;
	/* Room kept at the end for "..." and the terminator. */
	size_t limit = sizeof(out.s) - sizeof(ellipsis);

	while (*p)
	{
		size_t n = text_printable_len(p);
		size_t need = n ? n : 4;
		if (len + need > limit)
		{
			memcpy(out.s + len, ellipsis, sizeof(ellipsis));
			return out;
		}
		if (n)
			memcpy(out.s + len, p, n);
		else
			snprintf(out.s + len, 5, "\\x%02x", *p);
		len += need;
		p += n ? n : 1;
	}
	out.s[len] = '\0';
	return out;
}

void
text_bytes(int64_t bytes, char *out, size_t outlen)
{
	static const char *units[] = {"bytes", "kB", "MB", "GB", "TB", "PB"};
	double v = (double) bytes;
	int u = 0;

	while ((v >= 10240 || v <= -10240) && u < 5)
	{
		v /= 1024;
		u++;
	}
	snprintf(out, outlen, "%.0f %s", v, units[u]);
}
