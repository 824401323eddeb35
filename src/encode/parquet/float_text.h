/*
 * float_text.h: a float4 or float8 as PostgreSQL's float4out/float8out print it (since
 * PostgreSQL 12, with extra_float_digits = 1, the default): the shortest decimal that reads
 * back to the same value, in fixed notation for decimal exponents -4 .. 14 (float4: -4 .. 5)
 * and as d.ddde+XX otherwise; NaN, Infinity, -Infinity, and -0 by name.
 */
#ifndef EBB_ENCODE_PARQUET_FLOAT_TEXT_H
#define EBB_ENCODE_PARQUET_FLOAT_TEXT_H

#include <stdbool.h>

#include "common/buf.h"

void parquet_float_text_append(Buf *out, double v, bool is_float4);

#endif
