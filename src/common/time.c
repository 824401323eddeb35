#include "common/time.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Days from 1970-01-01 to y-m-d, Howard Hinnant's algorithm (exact for all int years). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = (int) (yoe + era * 400 + (*m <= 2));
}

int64_t
time_floor(int64_t ts, int64_t width)
{
	int64_t q = ts / width;

	if (ts % width != 0 && ts < 0)
		q--;
	return q * width;
}

void
time_to_civil(int64_t us, CivilTime *out)
{
	int64_t day = time_floor(us, USECS_PER_DAY) / USECS_PER_DAY;
	int64_t rem = us - day * USECS_PER_DAY;

	civil_from_days(day, &out->year, &out->month, &out->day);
	out->hour = (int) (rem / USECS_PER_HOUR);
	out->minute = (int) (rem / USECS_PER_MINUTE % 60);
	out->second = (int) (rem / USECS_PER_SEC % 60);
	out->usec = (int) (rem % USECS_PER_SEC);
}

int64_t
time_from_civil(const CivilTime *c)
{
	return days_from_civil(c->year, c->month, c->day) * USECS_PER_DAY + c->hour * USECS_PER_HOUR +
		   c->minute * USECS_PER_MINUTE + c->second * USECS_PER_SEC + c->usec;
}

typedef enum TimeStyle
{
	STYLE_SQL,
	STYLE_COMPACT,
	STYLE_ISO
} TimeStyle;

static void
format_style(int64_t us, TimeStyle style, bool utc, char *out, size_t outlen)
{
	CivilTime c;
	char frac[16] = "";
	const char *suffix = "";

	if (us == TIME_NEG_INFINITY || us == TIME_POS_INFINITY)
	{
		snprintf(out, outlen, "%s", us == TIME_NEG_INFINITY ? "-infinity" : "infinity");
		return;
	}
	time_to_civil(us, &c);
	if (c.usec)
		snprintf(frac, sizeof(frac), ".%06d", c.usec);
	if (utc)
		suffix = style == STYLE_SQL ? "+00" : "Z";
	if (style == STYLE_SQL)
		snprintf(out, outlen, "%04d-%02d-%02d %02d:%02d:%02d%s%s%s",
				 c.year > 0 ? c.year : 1 - c.year, c.month, c.day, c.hour, c.minute, c.second, frac,
				 suffix, c.year > 0 ? "" : " BC");
	else if (style == STYLE_COMPACT)
		snprintf(out, outlen, "%04d%02d%02dT%02d%02d%02d%s%s", c.year, c.month, c.day, c.hour,
				 c.minute, c.second, frac, suffix);
	else
		snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d%s%s", c.year, c.month, c.day, c.hour,
				 c.minute, c.second, frac, suffix);
}

void
time_format_sql(int64_t us, bool utc, char *out, size_t outlen)
{
	format_style(us, STYLE_SQL, utc, out, outlen);
}

void
time_format_compact(int64_t us, bool utc, char *out, size_t outlen)
{
	format_style(us, STYLE_COMPACT, utc, out, outlen);
}

void
time_format_iso(int64_t us, bool utc, char *out, size_t outlen)
{
	format_style(us, STYLE_ISO, utc, out, outlen);
}

static const struct
{
	const char *name;
	int64_t usecs;
} duration_units[] = {
	{"s", USECS_PER_SEC},
	{"sec", USECS_PER_SEC},
	{"secs", USECS_PER_SEC},
	{"second", USECS_PER_SEC},
	{"seconds", USECS_PER_SEC},
	{"m", USECS_PER_MINUTE},
	{"min", USECS_PER_MINUTE},
	{"mins", USECS_PER_MINUTE},
	{"minute", USECS_PER_MINUTE},
	{"minutes", USECS_PER_MINUTE},
	{"h", USECS_PER_HOUR},
	{"hour", USECS_PER_HOUR},
	{"hours", USECS_PER_HOUR},
	{"d", USECS_PER_DAY},
	{"day", USECS_PER_DAY},
	{"days", USECS_PER_DAY},
	{"ms", 1000},
	{"msec", 1000},
};

bool
time_parse_duration(const char *text, int64_t *us, EbbError *err)
{
	const char *p = text;
	char *end;

	while (isspace((unsigned char) *p))
		p++;
	if (!isdigit((unsigned char) *p))
		goto bad;
	long long n = strtoll(p, &end, 10);
	while (isspace((unsigned char) *end))
		end++;
	if (n <= 0 || n > 100000)
		goto bad;
	size_t ulen = strlen(end);
	while (ulen > 0 && isspace((unsigned char) end[ulen - 1]))
		ulen--;
	for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++)
	{
		if (strlen(duration_units[i].name) == ulen &&
			strncasecmp(end, duration_units[i].name, ulen) == 0)
		{
			*us = n * duration_units[i].usecs;
			return true;
		}
	}
bad:
	error_set(err, EBB_ERR_USAGE, "invalid duration \"%s\"", text);
	error_hint(err, "Use a whole number and a unit, such as \"1h\", \"15min\", \"30s\" or \"1d\".");
	return false;
}

void
time_format_duration(int64_t us, char *out, size_t outlen)
{
	if (us % USECS_PER_DAY == 0)
		snprintf(out, outlen, "%" PRId64 "d", us / USECS_PER_DAY);
	else if (us % USECS_PER_HOUR == 0)
		snprintf(out, outlen, "%" PRId64 "h", us / USECS_PER_HOUR);
	else if (us % USECS_PER_MINUTE == 0)
		snprintf(out, outlen, "%" PRId64 "min", us / USECS_PER_MINUTE);
	else
		snprintf(out, outlen, "%" PRId64 "s", us / USECS_PER_SEC);
}

double
time_monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}
