/*
 * test_time.c: common/time.c. Expected values come from calendar facts (Unix epoch seconds of
 * well-known instants, Gregorian leap rules), not from the implementation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/time.h"

#define SEC(s) ((int64_t) (s) *USECS_PER_SEC)

static CivilTime
civil(int y, int mo, int d, int h, int mi, int s, int us)
{
	return (CivilTime){
		.year = y, .month = mo, .day = d, .hour = h, .minute = mi, .second = s, .usec = us};
}

static void
assert_civil_equal(const CivilTime *a, const CivilTime *b)
{
	assert_int_equal(a->year, b->year);
	assert_int_equal(a->month, b->month);
	assert_int_equal(a->day, b->day);
	assert_int_equal(a->hour, b->hour);
	assert_int_equal(a->minute, b->minute);
	assert_int_equal(a->second, b->second);
	assert_int_equal(a->usec, b->usec);
}

/* civil -> us equals the known value, and us -> civil gives the same fields back. */
static void
check_instant(CivilTime c, int64_t us)
{
	CivilTime back;

	assert_true(time_from_civil(&c) == us);
	time_to_civil(us, &back);
	assert_civil_equal(&back, &c);
}

static void
test_known_instants(void **state)
{
	check_instant(civil(1970, 1, 1, 0, 0, 0, 0), 0);
	check_instant(civil(2000, 2, 29, 0, 0, 0, 0), SEC(951782400));
	check_instant(civil(2000, 3, 1, 0, 0, 0, 0), SEC(951868800));
	check_instant(civil(2038, 1, 19, 3, 14, 7, 0), SEC(INT32_MAX));
	check_instant(civil(2038, 1, 19, 3, 14, 8, 0), SEC(INT64_C(2147483648)));
	check_instant(civil(1901, 12, 13, 20, 45, 52, 0), SEC(INT32_MIN));
	check_instant(civil(1900, 1, 1, 0, 0, 0, 0), SEC(INT64_C(-2208988800)));
	check_instant(civil(1900, 2, 28, 0, 0, 0, 0), SEC(INT64_C(-2203977600)));
	check_instant(civil(1900, 3, 1, 0, 0, 0, 0), SEC(INT64_C(-2203891200)));
	check_instant(civil(1969, 12, 31, 23, 59, 59, 999999), -1);
	check_instant(civil(1, 1, 1, 0, 0, 0, 0), SEC(INT64_C(-62135596800)));
	check_instant(civil(9999, 12, 31, 23, 59, 59, 999999), SEC(INT64_C(253402300800)) - 1);
	check_instant(civil(2026, 3, 29, 1, 0, 0, 0), SEC(1774746000));
}

/* The next day by the Gregorian rules, computed independently of the code under test. */
static void
next_day(int *y, int *m, int *d)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
	int len = mdays[*m - 1] + (*m == 2 && leap);

	if (++*d <= len)
		return;
	*d = 1;
	if (++*m <= 12)
		return;
	*m = 1;
	++*y;
}

static void
test_every_day_year_1_to_9999(void **state)
{
	int y = 1, m = 1, d = 1;
	int64_t us = SEC(INT64_C(-62135596800));
	CivilTime got;

	/* 3.65 million days: each is exactly one day after the previous one, both ways. */
	while (y <= 9999)
	{
		time_to_civil(us, &got);
		if (got.year != y || got.month != m || got.day != d || got.hour != 0)
			fail_msg("time_to_civil(%lld) gave %04d-%02d-%02d, expected %04d-%02d-%02d",
					 (long long) us, got.year, got.month, got.day, y, m, d);
		if (time_from_civil(&got) != us)
			fail_msg("time_from_civil(%04d-%02d-%02d) != %lld", y, m, d, (long long) us);
		next_day(&y, &m, &d);
		us += USECS_PER_DAY;
	}
	/* 10000-01-01: 3652059 days after 0001-01-01 (9999 years, 2424 of them leap). */
	assert_true(us == SEC(INT64_C(-62135596800)) + INT64_C(3652059) * USECS_PER_DAY);
}

static void
test_leap_day_neighbours(void **state)
{
	CivilTime c = civil(1900, 2, 28, 12, 0, 0, 0), got;

	/* 1900 is not a leap year: Feb 28 is followed by Mar 1. */
	time_to_civil(time_from_civil(&c) + USECS_PER_DAY, &got);
	assert_int_equal(got.month, 3);
	assert_int_equal(got.day, 1);
	/* 2000 is: Feb 28 is followed by Feb 29. */
	c.year = 2000;
	time_to_civil(time_from_civil(&c) + USECS_PER_DAY, &got);
	assert_int_equal(got.month, 2);
	assert_int_equal(got.day, 29);
}

static void
test_sub_second_before_epoch(void **state)
{
	CivilTime got;

	/* Negative microseconds must borrow from the seconds, not produce a negative usec. */
	time_to_civil(-1, &got);
	assert_int_equal(got.second, 59);
	assert_int_equal(got.usec, 999999);
	time_to_civil(-USECS_PER_SEC - 500000, &got);
	assert_int_equal(got.second, 58);
	assert_int_equal(got.usec, 500000);
}

static void
test_time_floor(void **state)
{
	int64_t h = USECS_PER_HOUR;

	assert_true(time_floor(0, h) == 0);
	assert_true(time_floor(h - 1, h) == 0);
	assert_true(time_floor(h, h) == h);
	assert_true(time_floor(2 * h + 5, h) == 2 * h);
	/* Negative timestamps floor towards minus infinity, not towards zero. */
	assert_true(time_floor(-1, h) == -h);
	assert_true(time_floor(-h, h) == -h);
	assert_true(time_floor(-h - 1, h) == -2 * h);
	assert_true(time_floor(SEC(INT64_C(-2203891200)) + 1, USECS_PER_DAY) ==
				SEC(INT64_C(-2203891200)));
	assert_true(time_floor(SEC(INT64_C(-2203891200)) - 1, USECS_PER_DAY) ==
				SEC(INT64_C(-2203977600)));
}

static void
test_time_floor_arbitrary_matches_civil(void **state)
{
	/* For any instant, flooring to an hour zeroes minutes, seconds and microseconds. */
	const int64_t samples[] = {SEC(1774746000) + 123456789, -SEC(12345) - 7,
							   SEC(INT64_C(-62135596800)) + 17, SEC(INT64_C(253402300799)),
							   -USECS_PER_HOUR + 1};
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
	{
		CivilTime a, b;
		int64_t f = time_floor(samples[i], USECS_PER_HOUR);

		time_to_civil(samples[i], &a);
		time_to_civil(f, &b);
		assert_true(f <= samples[i] && samples[i] - f < USECS_PER_HOUR);
		assert_int_equal(b.year, a.year);
		assert_int_equal(b.month, a.month);
		assert_int_equal(b.day, a.day);
		assert_int_equal(b.hour, a.hour);
		assert_int_equal(b.minute + b.second + b.usec, 0);
	}
}

static void
test_format_sql(void **state)
{
	char out[64];

	time_format_sql(SEC(1774746000), false, out, sizeof(out));
	assert_string_equal(out, "2026-03-29 01:00:00");
	time_format_sql(SEC(1774746000), true, out, sizeof(out));
	assert_string_equal(out, "2026-03-29 01:00:00+00");
	time_format_sql(SEC(1774746000) + 1, true, out, sizeof(out));
	assert_string_equal(out, "2026-03-29 01:00:00.000001+00");
	time_format_sql(-1, false, out, sizeof(out));
	assert_string_equal(out, "1969-12-31 23:59:59.999999");
	time_format_sql(SEC(INT64_C(-62135596800)), false, out, sizeof(out));
	assert_string_equal(out, "0001-01-01 00:00:00");
}

static void
test_format_compact(void **state)
{
	char out[64];

	time_format_compact(SEC(1774746000), false, out, sizeof(out));
	assert_string_equal(out, "20260329T010000");
	time_format_compact(SEC(1774746000), true, out, sizeof(out));
	assert_string_equal(out, "20260329T010000Z");
	time_format_compact(SEC(1774746000) + 250000, true, out, sizeof(out));
	assert_string_equal(out, "20260329T010000.250000Z");
}

static void
test_format_iso(void **state)
{
	char out[64];

	time_format_iso(SEC(INT32_MAX), true, out, sizeof(out));
	assert_string_equal(out, "2038-01-19T03:14:07Z");
	time_format_iso(SEC(INT32_MAX), false, out, sizeof(out));
	assert_string_equal(out, "2038-01-19T03:14:07");
	time_format_iso(SEC(951782400) + 999999, true, out, sizeof(out));
	assert_string_equal(out, "2000-02-29T00:00:00.999999Z");
}

static void
check_duration(const char *text, int64_t expected)
{
	EbbError err;
	int64_t us = -1;

	error_init(&err);
	if (!time_parse_duration(text, &us, &err))
		fail_msg("\"%s\" rejected: %s", text, err.message);
	assert_true(us == expected);
}

static void
test_parse_duration_accepts(void **state)
{
	check_duration("1h", USECS_PER_HOUR);
	check_duration("15min", 15 * USECS_PER_MINUTE);
	check_duration("30 minutes", 30 * USECS_PER_MINUTE);
	check_duration("1d", USECS_PER_DAY);
	check_duration(" 2 h ", 2 * USECS_PER_HOUR);
	check_duration("90s", 90 * USECS_PER_SEC);
	check_duration("6 hours", 6 * USECS_PER_HOUR);
	check_duration("2 days", 2 * USECS_PER_DAY);
	check_duration("1H", USECS_PER_HOUR);
}

static void
check_bad_duration(const char *text)
{
	EbbError err;
	int64_t us = 0;
	char expected[128];

	error_init(&err);
	if (time_parse_duration(text, &us, &err))
		fail_msg("\"%s\" accepted as %lld us", text, (long long) us);
	snprintf(expected, sizeof(expected), "invalid duration \"%s\"", text);
	assert_string_equal(err.message, expected);
	assert_string_equal(
		err.hint, "Use a whole number and a unit, such as \"1h\", \"15min\", \"30s\" or \"1d\".");
	assert_int_equal(err.code, EBB_ERR_USAGE);
	assert_int_equal(error_exit_status(err.code), 2);
}

static void
test_parse_duration_rejects(void **state)
{
	check_bad_duration("");
	check_bad_duration("h");
	check_bad_duration("0h");
	check_bad_duration("-1h");
	check_bad_duration("1 fortnight");
	check_bad_duration("1.5h");
	check_bad_duration("5");
	check_bad_duration("1h30min");
	check_bad_duration("99999999999999999999h");
}

static void
test_format_duration_round_trips(void **state)
{
	const struct
	{
		int64_t us;
		const char *text;
	} cases[] = {{USECS_PER_DAY, "1d"},
				 {2 * USECS_PER_HOUR, "2h"},
				 {15 * USECS_PER_MINUTE, "15min"},
				 {90 * USECS_PER_SEC, "90s"},
				 {36 * USECS_PER_HOUR, "36h"}};
	char out[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		time_format_duration(cases[i].us, out, sizeof(out));
		assert_string_equal(out, cases[i].text);
		check_duration(out, cases[i].us);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_instants),
		cmocka_unit_test(test_every_day_year_1_to_9999),
		cmocka_unit_test(test_leap_day_neighbours),
		cmocka_unit_test(test_sub_second_before_epoch),
		cmocka_unit_test(test_time_floor),
		cmocka_unit_test(test_time_floor_arbitrary_matches_civil),
		cmocka_unit_test(test_format_sql),
		cmocka_unit_test(test_format_compact),
		cmocka_unit_test(test_format_iso),
		cmocka_unit_test(test_parse_duration_accepts),
		cmocka_unit_test(test_parse_duration_rejects),
		cmocka_unit_test(test_format_duration_round_trips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
