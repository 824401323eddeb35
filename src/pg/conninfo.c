#include "pg/conninfo.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

static bool
secret_key(const char *key, size_t len)
{
	static const char *const keys[] = {"password", "sslpassword"};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (len == strlen(keys[i]) && strncasecmp(key, keys[i], len) == 0)
			return true;
	return false;
}

static bool
is_space(char c)
{
	return isspace((unsigned char) c) != 0;
}

/* Past one value of a key=value string (libpq's conninfo_parse): 'quoted' with backslash
 * escapes, or up to the next white space with backslash escapes. */
static const char *
skip_value(const char *p)
{
	if (*p != '\'')
	{
		while (*p && !is_space(*p))
			p += (p[0] == '\\' && p[1]) ? 2 : 1;
		return p;
	}
	for (p++; *p && *p != '\''; p++)
		if (p[0] == '\\' && p[1])
			p++;
	return *p ? p + 1 : p;
}

static bool
keyword_value_has_password(const char *p)
{
	while (*p)
	{
		if (is_space(*p))
		{
			p++;
			continue;
		}
		const char *key = p;
		while (*p && *p != '=' && !is_space(*p))
			p++;
		size_t len = (size_t) (p - key);
		while (is_space(*p))
			p++;
		if (*p != '=')
			return false; /* a syntax error libpq reports; no value follows */
		if (secret_key(key, len))
			return true;
		p++;
		while (is_space(*p))
			p++;
		p = skip_value(p);
	}
	return false;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char) tolower((unsigned char) c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A query parameter's name, percent-decoded, is a secret key? An invalid escape or %00 is an
 * error libpq reports (quoting the name only). */
static bool
query_key_is_secret(const char *key, size_t len)
{
	char decoded[16];
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
	{
		char c = key[i];
		if (c == '%')
		{
			int hi = i + 2 < len ? hex_value(key[i + 1]) : -1;
			int lo = hi >= 0 ? hex_value(key[i + 2]) : -1;
			if (lo < 0 || (hi | lo) == 0)
				return false;
			c = (char) (hi * 16 + lo);
			i += 2;
		}
		if (n == sizeof(decoded))
			return false; /* longer than any secret key */
		decoded[n++] = c;
	}
	return secret_key(decoded, n);
}

static bool
uri_query_has_password(const char *q)
{
	while (*q)
	{
		size_t len = strcspn(q, "=&");
		if (q[len] == '=' && query_key_is_secret(q, len))
			return true;
		q += strcspn(q, "&");
		if (*q == '&')
			q++;
	}
	return false;
}

/* libpq's conninfo_uri_parse_options: user info runs to the first '@' before any '/'; a ':'
 * in it starts the password. The query starts at the first '?' after it. */
static bool
uri_has_password(const char *p)
{
	size_t info = strcspn(p, "@/");

	if (p[info] == '@')
	{
		if (memchr(p, ':', info))
			return true;
		p += info + 1;
	}
	const char *query = strchr(p, '?');
	return query && uri_query_has_password(query + 1);
}

bool
pg_conninfo_has_password(const char *conninfo)
{
	static const char *const prefixes[] = {"postgresql://", "postgres://"};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(conninfo, prefixes[i], strlen(prefixes[i])) == 0)
			return uri_has_password(conninfo + strlen(prefixes[i]));
	return keyword_value_has_password(conninfo);
}
