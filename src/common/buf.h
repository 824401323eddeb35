/*
 * buf.h: a growable byte buffer and a list of strings. The owner of the struct frees it.
 * Allocation failure aborts the process (as PostgreSQL's frontend pg_malloc does): there is no
 * sane recovery from OOM mid-archive, and the open transaction rolls back when we exit.
 */
#ifndef EBB_COMMON_BUF_H
#define EBB_COMMON_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct Buf
{
	char *data;
	size_t len;
	size_t cap;
} Buf;

void *ebb_malloc(size_t size);
void *ebb_realloc(void *ptr, size_t size);
char *ebb_strdup(const char *s);
char *ebb_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void buf_init(Buf *b);
void buf_free(Buf *b);
void buf_reset(Buf *b);
void buf_reserve(Buf *b, size_t extra);
/* Sizes an empty buffer for exactly size bytes, so that filling it to size never reallocates. */
void buf_reserve_exact(Buf *b, size_t size);
void buf_append(Buf *b, const void *data, size_t len);
void buf_append_str(Buf *b, const char *s);
void buf_append_char(Buf *b, char c);
void buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Guarantees data is NUL-terminated (not counted in len). */
const char *buf_cstr(Buf *b);

typedef struct StrList
{
	char **items;
	int count;
	int cap;
} StrList;

void strlist_add(StrList *l, const char *s);
void strlist_clear(StrList *l);
bool strlist_contains(const StrList *l, const char *s);

#endif
