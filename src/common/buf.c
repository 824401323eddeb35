#include "common/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
out_of_memory(void)
{
	fputs("ebb: error: out of memory\n", stderr);
	abort();
}

void *
ebb_malloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		out_of_memory();
	return p;
}

void *
ebb_realloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (!p)
		out_of_memory();
	return p;
}

char *
ebb_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = ebb_malloc(n);

	memcpy(p, s, n);
	return p;
}

char *
ebb_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *out;

	va_start(ap, fmt);
	if (vasprintf(&out, fmt, ap) < 0)
		out_of_memory();
	va_end(ap);
	return out;
}

void
buf_init(Buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
buf_free(Buf *b)
{
	free(b->data);
	buf_init(b);
}

void
buf_reset(Buf *b)
{
	b->len = 0;
}

void
buf_reserve(Buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	b->data = ebb_realloc(b->data, cap);
	b->cap = cap;
}

void
buf_reserve_exact(Buf *b, size_t size)
{
	if (size + 1 <= b->cap)
		return;
	b->data = ebb_realloc(b->data, size + 1);
	b->cap = size + 1;
}

void
buf_append(Buf *b, const void *data, size_t len)
{
	buf_reserve(b, len);
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

void
buf_append_str(Buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void
buf_append_char(Buf *b, char c)
{
	buf_reserve(b, 1);
	b->data[b->len++] = c;
}

void
buf_printf(Buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	buf_reserve(b, (size_t) n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t) n;
}

const char *
buf_cstr(Buf *b)
{
	buf_reserve(b, 0);
	b->data[b->len] = '\0';
	return b->data;
}

void
strlist_add(StrList *l, const char *s)
{
	if (l->count == l->cap)
	{
		l->cap = l->cap ? l->cap * 2 : 8;
		l->items = ebb_realloc(l->items, sizeof(char *) * (size_t) l->cap);
	}
	l->items[l->count++] = ebb_strdup(s);
}

void
strlist_clear(StrList *l)
{
	for (int i = 0; i < l->count; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->count = l->cap = 0;
}

bool
strlist_contains(const StrList *l, const char *s)
{
	for (int i = 0; i < l->count; i++)
		if (strcmp(l->items[i], s) == 0)
			return true;
	return false;
}
