/* json.h: just enough JSON writing for manifests and --json output. */
#ifndef EBB_COMMON_JSON_H
#define EBB_COMMON_JSON_H

#include <stdint.h>

#include "common/buf.h"

void json_append_string(Buf *b, const char *s);
/* "key": "value" with a leading comma when the object already has members. */
void json_kv_str(Buf *b, const char *key, const char *value);
void json_kv_int(Buf *b, const char *key, int64_t value);
void json_kv_bool(Buf *b, const char *key, bool value);
void json_kv_raw(Buf *b, const char *key, const char *raw);

#endif
