/*
 * json_read.c: reading members of a JSON object (RFC 8259), enough to check a manifest. The
 * whole text is validated (a truncated or damaged manifest is an error, not a missing member);
 * members are found at the top level only, and a key given twice counts at its first place.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

#define JSON_MAX_DEPTH 64

typedef struct JsonScan
{
	const char *start, *p, *end;
	EbbError *err;
} JsonScan;

static bool
scan_fail(JsonScan *s, const char *what)
{
	if (s->p >= s->end)
		return error_set(s->err, EBB_ERR_VERIFY, "invalid JSON: %s at the end of the text", what);
	return error_set(s->err, EBB_ERR_VERIFY, "invalid JSON: %s at byte %zu", what,
					 (size_t) (s->p - s->start));
}

static void
skip_ws(JsonScan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static bool
scan_literal(JsonScan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t) (s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return scan_fail(s, "unexpected character");
	s->p += n;
	return true;
}

static bool
scan_digits(JsonScan *s)
{
	const char *from = s->p;

	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > from || scan_fail(s, "digit expected");
}

static bool
scan_number(JsonScan *s)
{
	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++;
	else if (!scan_digits(s))
		return false;
	if (s->p < s->end && *s->p == '.')
	{
		s->p++;
		if (!scan_digits(s))
			return false;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
	{
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		return scan_digits(s);
	}
	return true;
}

static int
hex_value(char c)
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
scan_hex4(JsonScan *s, unsigned *out)
{
	*out = 0;
	for (int i = 0; i < 4; i++)
	{
		int v = s->p < s->end ? hex_value(*s->p) : -1;
		if (v < 0)
			return scan_fail(s, "invalid \\u escape");
		*out = *out * 16 + (unsigned) v;
		s->p++;
	}
	return true;
}

static void
append_utf8(Buf *out, unsigned cp)
{
	if (cp < 0x80)
		buf_append_char(out, (char) cp);
	else if (cp < 0x800)
	{
		buf_append_char(out, (char) (0xc0 | cp >> 6));
		buf_append_char(out, (char) (0x80 | (cp & 0x3f)));
	}
	else if (cp < 0x10000)
	{
		buf_append_char(out, (char) (0xe0 | cp >> 12));
		buf_append_char(out, (char) (0x80 | (cp >> 6 & 0x3f)));
		buf_append_char(out, (char) (0x80 | (cp & 0x3f)));
	}
	else
	{
		buf_append_char(out, (char) (0xf0 | cp >> 18));
		buf_append_char(out, (char) (0x80 | (cp >> 12 & 0x3f)));
		buf_append_char(out, (char) (0x80 | (cp >> 6 & 0x3f)));
		buf_append_char(out, (char) (0x80 | (cp & 0x3f)));
	}
}

/* \uXXXX, with a surrogate pair as one code point; s->p is after the 'u'. */
static bool
scan_unicode_escape(JsonScan *s, Buf *out)
{
	unsigned cp, low;

	if (!scan_hex4(s, &cp))
		return false;
	if (cp >= 0xd800 && cp < 0xdc00)
	{
		if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u')
			return scan_fail(s, "lone surrogate in \\u escape");
		s->p += 2;
		if (!scan_hex4(s, &low))
			return false;
		if (low < 0xdc00 || low > 0xdfff)
			return scan_fail(s, "lone surrogate in \\u escape");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
	}
	else if (cp >= 0xdc00 && cp <= 0xdfff)
		return scan_fail(s, "lone surrogate in \\u escape");
	if (out)
		append_utf8(out, cp);
	return true;
}

static bool
scan_escape(JsonScan *s, Buf *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;

	if (s->p >= s->end)
		return scan_fail(s, "unterminated string");
	char c = *s->p++;
	if (c == 'u')
		return scan_unicode_escape(s, out);
	if (c == '\0' || !(hit = strchr(from, c)))
	{
		s->p--;
		return scan_fail(s, "invalid escape");
	}
	if (out)
		buf_append_char(out, to[hit - from]);
	return true;
}

/* A string; its unescaped bytes go to out unless out is NULL. s->p is at the opening quote. */
static bool
scan_string(JsonScan *s, Buf *out)
{
	if (s->p >= s->end || *s->p != '"')
		return scan_fail(s, "string expected");
	s->p++;
	for (;;)
	{
		if (s->p >= s->end)
			return scan_fail(s, "unterminated string");
		unsigned char c = (unsigned char) *s->p;
		if (c == '"')
		{
			s->p++;
			return true;
		}
		if (c < 0x20)
			return scan_fail(s, "control character in string");
		s->p++;
		if (c == '\\')
		{
			if (!scan_escape(s, out))
				return false;
		}
		else if (out)
			buf_append_char(out, (char) c);
	}
}

static bool scan_value(JsonScan *s, int depth);

/* The members of an object or the elements of an array; s->p is after the opening bracket. */
static bool
scan_container(JsonScan *s, char close, int depth)
{
	skip_ws(s);
	if (s->p < s->end && *s->p == close)
	{
		s->p++;
		return true;
	}
	for (;;)
	{
		skip_ws(s);
		if (close == '}')
		{
			if (!scan_string(s, NULL))
				return false;
			skip_ws(s);
			if (s->p >= s->end || *s->p != ':')
				return scan_fail(s, "\":\" expected");
			s->p++;
		}
		if (!scan_value(s, depth + 1))
			return false;
		skip_ws(s);
		if (s->p < s->end && *s->p == close)
		{
			s->p++;
			return true;
		}
		if (s->p >= s->end || *s->p != ',')
			return scan_fail(s,
							 close == '}' ? "\",\" or \"}\" expected" : "\",\" or \"]\" expected");
		s->p++;
	}
}

static bool
scan_value(JsonScan *s, int depth)
{
	skip_ws(s);
	if (depth > JSON_MAX_DEPTH)
		return scan_fail(s, "nesting too deep");
	if (s->p >= s->end)
		return scan_fail(s, "value expected");
	switch (*s->p)
	{
		case '"': return scan_string(s, NULL);
		case '{': s->p++; return scan_container(s, '}', depth);
		case '[': s->p++; return scan_container(s, ']', depth);
		case 't': return scan_literal(s, "true");
		case 'f': return scan_literal(s, "false");
		case 'n': return scan_literal(s, "null");
		default:
			if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
				return scan_number(s);
			return scan_fail(s, "unexpected character");
	}
}

/* Does the key string at s->p equal key? Consumes the string either way. */
static bool
scan_key(JsonScan *s, const char *key, bool *match)
{
	Buf name;

	buf_init(&name);
	bool ok = scan_string(s, &name);
	*match = ok && name.len == strlen(key) && memcmp(buf_cstr(&name), key, name.len) == 0;
	buf_free(&name);
	return ok;
}

bool
json_find_member(const char *text, size_t len, const char *key, JsonValue *value, EbbError *err)
{
	JsonScan s = {text, text, text + len, err};
	bool match;

	value->found = false;
	skip_ws(&s);
	if (s.p >= s.end || *s.p != '{')
		return scan_fail(&s, "object expected");
	s.p++;
	skip_ws(&s);
	if (s.p < s.end && *s.p == '}')
		s.p++;
	else
		for (;;)
		{
			skip_ws(&s);
			if (!scan_key(&s, key, &match))
				return false;
			skip_ws(&s);
			if (s.p >= s.end || *s.p != ':')
				return scan_fail(&s, "\":\" expected");
			s.p++;
			skip_ws(&s);
			const char *from = s.p;
			if (!scan_value(&s, 1))
				return false;
			if (match && !value->found)
				*value = (JsonValue){true, from, (size_t) (s.p - from)};
			skip_ws(&s);
			if (s.p < s.end && *s.p == '}')
			{
				s.p++;
				break;
			}
			if (s.p >= s.end || *s.p != ',')
				return scan_fail(&s, "\",\" or \"}\" expected");
			s.p++;
		}
	skip_ws(&s);
	return s.p == s.end || scan_fail(&s, "text after the object");
}

bool
json_value_string(const JsonValue *value, Buf *out)
{
	JsonScan s = {value->text, value->text, value->text + value->len, &(EbbError){0}};

	return value->found && scan_string(&s, out);
}

bool
json_value_strings(const JsonValue *value, StrList *out)
{
	JsonScan s = {value->text, value->text, value->text + value->len, &(EbbError){0}};
	Buf one;
	bool ok = value->found && s.p < s.end && *s.p == '[';

	buf_init(&one);
	if (ok)
		s.p++;
	skip_ws(&s);
	if (ok && s.p < s.end && *s.p == ']')
	{
		buf_free(&one);
		return true;
	}
	while (ok)
	{
		skip_ws(&s);
		buf_reset(&one);
		ok = scan_string(&s, &one);
		if (ok)
			strlist_add(out, buf_cstr(&one));
		skip_ws(&s);
		if (!ok || s.p >= s.end || (*s.p != ',' && *s.p != ']'))
			ok = false;
		else if (*s.p++ == ']')
			break;
	}
	buf_free(&one);
	return ok;
}

bool
json_value_int(const JsonValue *value, int64_t *out)
{
	char text[32];
	char *end;

	if (!value->found || value->len == 0 || value->len >= sizeof(text))
		return false;
	memcpy(text, value->text, value->len);
	text[value->len] = '\0';
	if (!(text[0] == '-' || (text[0] >= '0' && text[0] <= '9')))
		return false;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v;
	return true;
}
