/* json.h: just enough JSON writing for manifests and --json output (json.c), and reading for
 * checking a manifest (json_read.c). */
#ifndef EBB_COMMON_JSON_H
#define EBB_COMMON_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

void json_append_string(Buf *b, const char *s);
/* "key": "value" with a leading comma when the object already has members. */
void json_kv_str(Buf *b, const char *key, const char *value);
void json_kv_int(Buf *b, const char *key, int64_t value);
/* "error", and "detail" and "hint" when set (null otherwise). */
void json_kv_error(Buf *b, const EbbError *err);
void json_kv_bool(Buf *b, const char *key, bool value);
void json_kv_raw(Buf *b, const char *key, const char *raw);

/* A member's value as it is written in the text (which must outlive it). */
typedef struct JsonValue
{
	bool found;
	const char *text;
	size_t len;
} JsonValue;

/*
 * Checks that text[0..len) is one JSON object and finds its top-level member `key` (the first,
 * if the key repeats); value->found is false when there is none. Fails with EBB_ERR_VERIFY
 * when the text is not a valid JSON object, saying what is wrong and where.
 */
bool json_find_member(const char *text, size_t len, const char *key, JsonValue *value,
					  EbbError *err);
/* The value unescaped into out (UTF-8); false when it is absent or not a string. */
bool json_value_string(const JsonValue *value, Buf *out);
/* The strings of an array value, unescaped, added to out; false when it is absent or not an
 * array of strings. */
bool json_value_strings(const JsonValue *value, StrList *out);
/* False when the value is absent or not an integer that fits int64. */
bool json_value_int(const JsonValue *value, int64_t *out);

#endif
