/*
 * url.h: percent-decoding of destination URLs (RFC 3986). file:///a/b%20c names the directory
 * "b c", and s3://bucket/b%20c the prefix "b c/", as a browser or curl reads them.
 */
#ifndef EBB_COMMON_URL_H
#define EBB_COMMON_URL_H

#include <stdbool.h>

#include "common/error.h"

/*
 * Decodes the part of the destination `url` that starts at `part` (its path or prefix) into a
 * new string. A '%' not followed by two hex digits, or %00 (no path or key holds a NUL byte),
 * is a usage error that quotes the URL.
 */
bool url_decode_part(const char *url, const char *part, char **out, EbbError *err);

#endif
