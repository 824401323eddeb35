/*
 * datetime_out.h: Parquet dates, times, timestamps and intervals as PostgreSQL prints them
 * with DateStyle ISO and IntervalStyle postgres (the defaults): 2026-01-02, 0044-03-15 BC,
 * 03:04:05.5, 2026-01-02 03:04:05.123456+00 (in UTC), 1 year 2 mons 3 days 04:05:06.007.
 * Values outside PostgreSQL's ranges fail with EBB_ERR_DATA.
 */
#ifndef EBB_ENCODE_PARQUET_DATETIME_OUT_H
#define EBB_ENCODE_PARQUET_DATETIME_OUT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

/* Days since 1970-01-01; INT32_MAX and -INT32_MAX (or INT32_MIN) are +-infinity. */
bool parquet_datetime_out_date(int32_t days, Buf *out, EbbError *err);
/* Since midnight in unit (1 ms, 2 us, 3 ns); with_zone appends "+00". */
bool parquet_datetime_out_time(int64_t v, int unit, bool with_zone, Buf *out, EbbError *err);
/* Since 1970-01-01 00:00 in unit; INT64_MAX and -INT64_MAX (or INT64_MIN) are +-infinity. */
bool parquet_datetime_out_timestamp(int64_t v, int unit, bool with_zone, Buf *out, EbbError *err);
/* INT96: 8 bytes of nanoseconds in the day, 4 of the Julian day, little-endian. */
bool parquet_datetime_out_int96(const uint8_t *v, Buf *out, EbbError *err);
/* INTERVAL: three little-endian uint32: months, days, milliseconds. */
void parquet_datetime_out_interval(const uint8_t *v, Buf *out);

#endif
