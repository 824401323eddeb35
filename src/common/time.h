/*
 * time.h: timestamps as int64 microseconds since 1970-01-01 00:00:00 (UTC for timestamptz
 * columns, the naive wall-clock value for timestamp columns), and durations in microseconds.
 * Calendar conversion is proleptic Gregorian and ignores time zones on purpose: windows are
 * computed on these plain numbers, and the database's own casts apply the session TimeZone.
 */
#ifndef EBB_COMMON_TIME_H
#define EBB_COMMON_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define USECS_PER_SEC    INT64_C(1000000)
#define USECS_PER_MINUTE (60 * USECS_PER_SEC)
#define USECS_PER_HOUR   (60 * USECS_PER_MINUTE)
#define USECS_PER_DAY    (24 * USECS_PER_HOUR)

/* PostgreSQL's own encodings of -infinity and infinity (DT_NOBEGIN, DT_NOEND). */
#define TIME_NEG_INFINITY INT64_MIN
#define TIME_POS_INFINITY INT64_MAX

typedef struct CivilTime
{
	int year, month, day, hour, minute, second, usec;
} CivilTime;

void time_to_civil(int64_t us, CivilTime *out);
int64_t time_from_civil(const CivilTime *c);

/* "2026-11-20 13:00:00" plus ".ffffff" when not whole seconds, plus "+00" when utc, plus " BC"
 * for years before 1; "-infinity" and "infinity" for the sentinels. */
void time_format_sql(int64_t us, bool utc, char *out, size_t outlen);
/* "20261120T130000" plus ".ffffff" when not whole seconds, plus "Z" when utc: for object names.
 * This and the ISO style number years astronomically (0 is 1 BC, -1 is 2 BC), as ISO 8601 does. */
void time_format_compact(int64_t us, bool utc, char *out, size_t outlen);
/* ISO 8601 for JSON: "2026-11-20T13:00:00Z" / "2026-11-20T13:00:00" (+ fraction when needed). */
void time_format_iso(int64_t us, bool utc, char *out, size_t outlen);

/* Parses a window or age such as "1h", "15min", "30 minutes", "1d", "90s". */
bool time_parse_duration(const char *text, int64_t *us, EbbError *err);
void time_format_duration(int64_t us, char *out, size_t outlen);

/* Floor of ts to a multiple of width (width > 0), correct for negative timestamps. */
int64_t time_floor(int64_t ts, int64_t width);

/* Seconds on the monotonic clock, for durations (never a time of day). */
double time_monotonic_s(void);

#endif
