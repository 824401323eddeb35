/* datetime_out.c: PostgreSQL's date/time output (datetime.c EncodeDateTime, j2date) in C. */
#include "encode/parquet/datetime_out.h"

#include <inttypes.h>
#include <stdlib.h>

#define UNIX_EPOCH_JDATE     2440588    /* 1970-01-01 */
#define POSTGRES_EPOCH_JDATE 2451545    /* 2000-01-01 */
#define DATE_END_JULIAN      2147483494 /* 5874898-01-01: PostgreSQL's dates end before it */
#define USECS_PER_DAY        INT64_C(86400000000)
#define PG_EPOCH_US          INT64_C(946684800000000)
#define MIN_TIMESTAMP        INT64_C(-211813488000000000) /* 4714-11-24 BC, PostgreSQL's epoch */
#define END_TIMESTAMP        INT64_C(9223371331200000000) /* 294277-01-01 */

/* PostgreSQL's j2date (datetime.c): a Julian day number >= 0 to the proleptic Gregorian date,
 * year 0 being 1 BC. */
static void
j2date(int64_t jd, int *year, int *month, int *day)
{
	unsigned int julian = (unsigned int) jd, quad, extra;
	int y;

	julian += 32044;
	quad = julian / 146097;
	extra = (julian - quad * 146097) * 4 + 3;
	julian += 60 + quad * 3 + extra / 146097;
	quad = julian / 1461;
	julian -= quad * 1461;
	y = (int) (julian * 4 / 1461);
	julian = ((y != 0) ? ((julian + 305) % 365) : ((julian + 306) % 366)) + 123;
	y += (int) (quad * 4);
	*year = y - 4800;
	quad = julian * 2141 / 65536;
	*day = (int) (julian - 7834 * quad / 256);
	*month = (int) ((quad + 10) % 12 + 1);
}

static bool
out_of_range(EbbError *err, const char *what)
{
	return error_set(err, EBB_ERR_DATA, "a %s out of PostgreSQL's range", what);
}

/* "YYYY-MM-DD", the year at least 4 digits; *bc for years before 1 AD. */
static void
append_date(Buf *out, int64_t jd, bool *bc)
{
	int y, m, d;

	j2date(jd, &y, &m, &d);
	*bc = y <= 0;
	buf_printf(out, "%04d-%02d-%02d", *bc ? -(y - 1) : y, m, d);
}

/* "HH:MM:SS[.ffffff]", trailing fraction zeros dropped (AppendSeconds). */
static void
append_time(Buf *out, int64_t us)
{
	int64_t frac = us % 1000000, secs = us / 1000000;
	int digits = 6;

	buf_printf(out, "%02" PRId64 ":%02d:%02d", secs / 3600, (int) (secs / 60 % 60),
			   (int) (secs % 60));
	if (frac == 0)
		return;
	while (frac % 10 == 0)
	{
		frac /= 10;
		digits--;
	}
	buf_printf(out, ".%0*" PRId64, digits, frac);
}

bool
parquet_datetime_out_date(int32_t days, Buf *out, EbbError *err)
{
	bool bc;
	int64_t jd = (int64_t) days + UNIX_EPOCH_JDATE;

	if (days == INT32_MAX || days == -INT32_MAX || days == INT32_MIN)
	{
		buf_append_str(out, days == INT32_MAX ? "infinity" : "-infinity");
		return true;
	}
	if (jd < 0 || jd >= DATE_END_JULIAN)
		return out_of_range(err, "date");
	append_date(out, jd, &bc);
	if (bc)
		buf_append_str(out, " BC");
	return true;
}

/* v in unit to microseconds: false when it overflows. */
static bool
to_micros(int64_t v, int unit, int64_t *us)
{
	if (unit == 1)
		return !__builtin_mul_overflow(v, 1000, us);
	/* nanoseconds: floor, so that a negative value stays in its microsecond */
	*us = unit == 2 ? v : (v >= 0 ? v / 1000 : -((-(v + 1)) / 1000) - 1);
	return true;
}

bool
parquet_datetime_out_time(int64_t v, int unit, bool with_zone, Buf *out, EbbError *err)
{
	int64_t us;

	/* 24:00:00 is PostgreSQL's last time; ebb writes it as 23:59:59.999999 under
	 * --parquet-infinity sentinel, which stays as it is: it may be a real value. */
	if (!to_micros(v, unit, &us) || us < 0 || us > USECS_PER_DAY)
		return out_of_range(err, "time");
	append_time(out, us);
	if (with_zone)
		buf_append_str(out, "+00");
	return true;
}

static bool
append_timestamp(int64_t unix_us, bool with_zone, Buf *out, EbbError *err)
{
	int64_t pg;
	bool bc;

	if (__builtin_sub_overflow(unix_us, PG_EPOCH_US, &pg) || pg < MIN_TIMESTAMP ||
		pg >= END_TIMESTAMP)
		return out_of_range(err, "timestamp");
	int64_t days = pg / USECS_PER_DAY, us = pg % USECS_PER_DAY;
	if (us < 0)
	{
		days--;
		us += USECS_PER_DAY;
	}
	append_date(out, days + POSTGRES_EPOCH_JDATE, &bc);
	buf_append_char(out, ' ');
	append_time(out, us);
	if (with_zone)
		buf_append_str(out, "+00");
	if (bc)
		buf_append_str(out, " BC");
	return true;
}

bool
parquet_datetime_out_timestamp(int64_t v, int unit, bool with_zone, Buf *out, EbbError *err)
{
	int64_t us;

	if (v == INT64_MAX || v == -INT64_MAX || v == INT64_MIN)
	{
		buf_append_str(out, v == INT64_MAX ? "infinity" : "-infinity");
		return true;
	}
	if (!to_micros(v, unit, &us))
		return out_of_range(err, "timestamp");
	return append_timestamp(us, with_zone, out, err);
}

static uint64_t
le(const uint8_t *v, int n)
{
	uint64_t x = 0;

	for (int i = 0; i < n; i++)
		x |= (uint64_t) v[i] << (8 * i);
	return x;
}

bool
parquet_datetime_out_int96(const uint8_t *v, Buf *out, EbbError *err)
{
	uint64_t nanos = le(v, 8);
	int64_t jd = (int64_t) le(v + 8, 4), us;

	if (nanos >= (uint64_t) USECS_PER_DAY * 1000 ||
		__builtin_mul_overflow(jd - UNIX_EPOCH_JDATE, USECS_PER_DAY, &us) ||
		__builtin_add_overflow(us, (int64_t) (nanos / 1000), &us))
		return out_of_range(err, "timestamp");
	return append_timestamp(us, false, out, err);
}

/* AddPostgresIntPart: "N unit" or "N units", space-separated, zero parts left out. */
static void
interval_part(Buf *out, uint64_t n, const char *unit, bool *first)
{
	if (n == 0)
		return;
	buf_printf(out, "%s%" PRIu64 " %s%s", *first ? "" : " ", n, unit, n == 1 ? "" : "s");
	*first = false;
}

void
parquet_datetime_out_interval(const uint8_t *v, Buf *out)
{
	uint64_t months = le(v, 4), days = le(v + 4, 4), ms = le(v + 8, 4);
	bool first = true;

	interval_part(out, months / 12, "year", &first);
	interval_part(out, months % 12, "mon", &first);
	interval_part(out, days, "day", &first);
	if (first || ms != 0)
	{
		if (!first)
			buf_append_char(out, ' ');
		append_time(out, (int64_t) ms * 1000);
	}
}
