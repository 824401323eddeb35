/*
 * test_plan.c: archive/plan.c, the window planner. Its data source is a WindowProbe; here the
 * probe answers from a sorted in-memory array by binary search (what an index probe does in
 * the database), and counts its calls so that the cost of skipping empty stretches shows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/plan.h"
#include "common/time.h"
#include "unit_util.h"

#define HOUR   USECS_PER_HOUR
#define MINUTE USECS_PER_MINUTE
#define SEC(s) ((int64_t) (s) *USECS_PER_SEC)

/* ---- the probe: a sorted array ---- */

typedef struct ArrayProbe
{
	const int64_t *ts;
	size_t n;
	int first_calls;
	int nth_calls;
	bool fail; /* answer with an error instead */
} ArrayProbe;

/* Index of the first element >= t (n when none). */
static size_t
lower_bound(const ArrayProbe *a, int64_t t)
{
	size_t lo = 0, hi = a->n;

	if (t == TIME_UNBOUNDED)
		return 0;
	while (lo < hi)
	{
		size_t mid = lo + (hi - lo) / 2;
		if (a->ts[mid] < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool
array_first(void *ctx, int64_t from, int64_t to, bool *found, int64_t *ts, EbbError *err)
{
	ArrayProbe *a = ctx;
	size_t lo = lower_bound(a, from), hi = lower_bound(a, to);

	a->first_calls++;
	if (a->fail)
		return error_set(err, EBB_ERR_QUERY, "probe failed");
	*found = lo < hi;
	if (*found)
		*ts = a->ts[lo];
	return true;
}

static bool
array_nth(void *ctx, int64_t from, int64_t to, int64_t n, bool *found, int64_t *ts, EbbError *err)
{
	ArrayProbe *a = ctx;
	size_t lo = lower_bound(a, from), hi = lower_bound(a, to);

	a->nth_calls++;
	if (a->fail)
		return error_set(err, EBB_ERR_QUERY, "probe failed");
	*found = n >= 0 && lo + (size_t) n < hi;
	if (*found)
		*ts = a->ts[lo + (size_t) n];
	return true;
}

static WindowProbe
array_probe(ArrayProbe *a, const int64_t *ts, size_t n)
{
	memset(a, 0, sizeof(*a));
	a->ts = ts;
	a->n = n;
	return (WindowProbe){.ctx = a, .first = array_first, .nth = array_nth};
}

/* ---- running the planner to the end ---- */

typedef struct Piece
{
	TimeRange piece;
	TimeRange window;
	bool oversize;
} Piece;

typedef struct Plan
{
	Piece *p;
	int n;
} Plan;

/* Plans everything; a runaway planner fails the test instead of hanging it. */
static Plan
plan_all(const WindowProbe *probe, int64_t width, int64_t cutoff, int64_t max_rows)
{
	WindowPlanner pl;
	Plan plan = {NULL, 0};
	EbbError err;
	int cap = 0;

	error_init(&err);
	archive_planner_init(&pl, probe, width, cutoff, max_rows);
	for (;;)
	{
		Piece pc;
		bool done;

		if (!archive_planner_next(&pl, &done, &pc.piece, &pc.window, &pc.oversize, &err))
			fail_msg("archive_planner_next failed: %s", err.message);
		if (done)
			return plan;
		if (plan.n == 1000000)
			fail_msg("the planner does not stop");
		if (plan.n == cap)
		{
			cap = cap ? cap * 2 : 64;
			plan.p = realloc(plan.p, sizeof(Piece) * (size_t) cap);
			assert_non_null(plan.p);
		}
		plan.p[plan.n++] = pc;
	}
}

/* Rows of the array in [r.start, r.end). */
static size_t
rows_in(const ArrayProbe *a, TimeRange r)
{
	return lower_bound(a, r.end) - lower_bound(a, r.start);
}

static int
cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *) x, b = *(const int64_t *) y;

	return (a > b) - (a < b);
}

/*
 * The invariants of every plan: pieces in order and disjoint, each inside its window; windows
 * aligned to the width (clipped only by the cutoff); a piece holds at most max_rows rows
 * unless it is an oversize one-microsecond piece; every row before the cutoff is in exactly
 * one piece and no row at or after the cutoff is in any.
 */
static void
check_plan_invariants(const ArrayProbe *a, const Plan *plan, int64_t width, int64_t cutoff,
					  int64_t max_rows)
{
	size_t covered = 0;

	for (int i = 0; i < plan->n; i++)
	{
		const Piece *pc = &plan->p[i];
		size_t rows = rows_in(a, pc->piece);

		assert_true(pc->piece.start < pc->piece.end);
		assert_true(pc->window.start <= pc->piece.start && pc->piece.end <= pc->window.end);
		assert_true(time_floor(pc->window.start, width) == pc->window.start);
		assert_true(pc->window.end ==
					(pc->window.start + width < cutoff ? pc->window.start + width : cutoff));
		assert_true(pc->piece.end <= cutoff);
		if (i > 0)
			assert_true(plan->p[i - 1].piece.end <= pc->piece.start);
		if (pc->oversize)
			assert_true(pc->piece.end == pc->piece.start + 1 && rows > (size_t) max_rows);
		else
			assert_true(rows <= (size_t) max_rows);
		covered += rows;
	}
	/* Disjoint pieces, so the sum counts each row once: all rows before the cutoff. */
	assert_int_equal(covered, lower_bound(a, cutoff));
}

/* ---- archive_window_for ---- */

static void
test_window_for_aligns_and_clips(void **state)
{
	int64_t t = SEC(1774746000) + 30 * MINUTE + 7; /* 2026-03-29 01:30:00.000007 UTC */
	TimeRange w = archive_window_for(t, HOUR, INT64_MAX);

	assert_true(w.start == SEC(1774746000));
	assert_true(w.end == SEC(1774746000) + HOUR);
	/* A cutoff inside the window ends it there. */
	w = archive_window_for(t, HOUR, SEC(1774746000) + 45 * MINUTE);
	assert_true(w.start == SEC(1774746000));
	assert_true(w.end == SEC(1774746000) + 45 * MINUTE);
	/* A row exactly on a boundary opens the window that starts there. */
	w = archive_window_for(SEC(1774746000), HOUR, INT64_MAX);
	assert_true(w.start == SEC(1774746000));
}

static void
test_window_for_before_1970(void **state)
{
	/* 1969-12-31 23:30 UTC is in [23:00, 00:00), not in the hour after the epoch. */
	TimeRange w = archive_window_for(-30 * MINUTE, HOUR, INT64_MAX);

	assert_true(w.start == -HOUR);
	assert_true(w.end == 0);
	/* 1900-02-28 13:59:59.999999 */
	int64_t t = SEC(INT64_C(-2203977600)) + 14 * HOUR - 1;
	w = archive_window_for(t, HOUR, INT64_MAX);
	assert_true(w.start == SEC(INT64_C(-2203977600)) + 13 * HOUR);
	w = archive_window_for(t, 15 * MINUTE, INT64_MAX);
	assert_true(w.start == SEC(INT64_C(-2203977600)) + 13 * HOUR + 45 * MINUTE);
}

/* ---- the planner ---- */

static void
test_empty_table(void **state)
{
	ArrayProbe a;
	WindowProbe probe = array_probe(&a, NULL, 0);
	Plan plan = plan_all(&probe, HOUR, SEC(1774746000), 1000);

	assert_int_equal(plan.n, 0);
	assert_int_equal(a.first_calls + a.nth_calls, 1);
	free(plan.p);
}

static void
test_all_rows_at_or_after_cutoff(void **state)
{
	const int64_t ts[] = {10 * HOUR, 10 * HOUR, 11 * HOUR};
	ArrayProbe a;
	WindowProbe probe = array_probe(&a, ts, 3);
	Plan plan = plan_all(&probe, HOUR, 10 * HOUR, 1000);

	assert_int_equal(plan.n, 0);
	free(plan.p);
}

static void
test_ten_year_gap_is_skipped(void **state)
{
	int64_t y2010 = SEC(1262304000), y2020 = SEC(1577836800); /* 01-01 00:00 UTC */
	int64_t ts[] = {
		y2010 + 1, y2010 + 2,        y2010 + 59 * MINUTE, y2010 + 5 * HOUR, y2010 + 5 * HOUR + 10,
		y2020,     y2020 + HOUR + 1, y2020 + HOUR + 2};
	ArrayProbe a;
	WindowProbe probe = array_probe(&a, ts, 8);
	int64_t cutoff = y2020 + 30 * USECS_PER_DAY;
	Plan plan = plan_all(&probe, HOUR, cutoff, 1000);

	/* Four non-empty hours out of ~87,700 spanned. */
	assert_int_equal(plan.n, 4);
	assert_true(plan.p[0].window.start == y2010);
	assert_true(plan.p[1].window.start == y2010 + 5 * HOUR);
	assert_true(plan.p[2].window.start == y2020);
	assert_true(plan.p[3].window.start == y2020 + HOUR);
	for (int i = 0; i < plan.n; i++)
		assert_true(plan.p[i].piece.start == plan.p[i].window.start &&
					plan.p[i].piece.end == plan.p[i].window.end);
	/* O(non-empty windows): one probe to find each window, one to size it, one to end. */
	assert_true(a.first_calls + a.nth_calls <= 2 * plan.n + 1);
	check_plan_invariants(&a, &plan, HOUR, cutoff, 1000);
	free(plan.p);
}

static int64_t *
random_timestamps(TestRng *rng, size_t n, int64_t base, int64_t span)
{
	int64_t *ts = malloc(sizeof(int64_t) * n);

	assert_non_null(ts);
	for (size_t i = 0; i < n; i++)
	{
		switch (rng_below(rng, 4))
		{
			case 0: /* exactly on an hour boundary */
				ts[i] = time_floor(base + (int64_t) rng_below(rng, (uint64_t) span), HOUR);
				break;
			case 1: /* a burst: many rows in one minute */
				ts[i] = base + 7 * HOUR + (int64_t) rng_below(rng, (uint64_t) MINUTE);
				break;
			default: ts[i] = base + (int64_t) rng_below(rng, (uint64_t) span);
		}
	}
	qsort(ts, n, sizeof(int64_t), cmp_i64);
	return ts;
}

static void
test_every_row_before_cutoff_in_exactly_one_piece(void **state)
{
	TestRng rng = {42};
	int64_t base = SEC(1774746000) - 3 * USECS_PER_DAY;
	size_t n = 20000;
	int64_t *ts = random_timestamps(&rng, n, base, 4 * USECS_PER_DAY);
	/* A cutoff that is not hour-aligned, with rows exactly at it. */
	int64_t cutoff = base + 2 * USECS_PER_DAY + 17 * MINUTE + 3;
	ts[n / 2] = cutoff;
	qsort(ts, n, sizeof(int64_t), cmp_i64);

	for (int64_t max_rows = 1; max_rows <= 100000; max_rows *= 7)
	{
		ArrayProbe a;
		WindowProbe probe = array_probe(&a, ts, n);
		Plan plan = plan_all(&probe, HOUR, cutoff, max_rows);

		check_plan_invariants(&a, &plan, HOUR, cutoff, max_rows);
		assert_true(plan.n > 0);
		assert_true(plan.p[plan.n - 1].piece.end <= cutoff);
		free(plan.p);
	}
	free(ts);
}

static void
test_pre_1970_rows(void **state)
{
	/* Rows on both sides of the epoch and of 1900-03-01, with negative timestamps. */
	const int64_t ts[] = {SEC(INT64_C(-2203891200)) - 1,
						  SEC(INT64_C(-2203891200)),
						  -HOUR - 1,
						  -HOUR,
						  -1,
						  0,
						  HOUR / 2};
	ArrayProbe a;
	WindowProbe probe = array_probe(&a, ts, 7);
	Plan plan = plan_all(&probe, HOUR, HOUR, 1000);

	check_plan_invariants(&a, &plan, HOUR, HOUR, 1000);
	assert_int_equal(plan.n, 5);
	assert_true(plan.p[0].window.start == SEC(INT64_C(-2203891200)) - HOUR);
	assert_true(plan.p[1].window.start == SEC(INT64_C(-2203891200)));
	assert_true(plan.p[2].window.start == -2 * HOUR);
	assert_true(plan.p[3].window.start == -HOUR);
	assert_true(plan.p[4].window.start == 0);
	free(plan.p);
}

static void
test_big_window_split_into_pieces(void **state)
{
	TestRng rng = {7};
	int64_t base = SEC(1774746000);
	size_t n = 1000;
	int64_t ts[1000];
	int64_t max_rows = 64;

	for (size_t i = 0; i < n; i++)
		ts[i] = base + (int64_t) rng_below(&rng, (uint64_t) HOUR);
	qsort(ts, n, sizeof(int64_t), cmp_i64);
	ArrayProbe a;
	WindowProbe probe = array_probe(&a, ts, n);
	Plan plan = plan_all(&probe, HOUR, base + USECS_PER_DAY, max_rows);

	/* One window, split: the pieces tile it exactly, each within max_rows. */
	assert_true(plan.n >= (int) (n / (size_t) max_rows));
	assert_true(plan.p[0].piece.start == base);
	assert_true(plan.p[plan.n - 1].piece.end == base + HOUR);
	for (int i = 0; i < plan.n; i++)
	{
		assert_true(plan.p[i].window.start == base && plan.p[i].window.end == base + HOUR);
		assert_false(plan.p[i].oversize);
		assert_true(rows_in(&a, plan.p[i].piece) <= (size_t) max_rows);
		if (i > 0)
			assert_true(plan.p[i - 1].piece.end == plan.p[i].piece.start);
	}
	check_plan_invariants(&a, &plan, HOUR, base + USECS_PER_DAY, max_rows);
	free(plan.p);
}

static void
test_oversize_identical_timestamps(void **state)
{
	int64_t base = SEC(1774746000), t = base + 20 * MINUTE;
	int64_t ts[103];

	/* One row before, 100 rows at exactly t, two rows after: max_rows 10 cannot split t. */
	ts[0] = base + 1;
	for (int i = 1; i <= 100; i++)
		ts[i] = t;
	ts[101] = t + 1;
	ts[102] = base + 50 * MINUTE;
	ArrayProbe a;
	WindowProbe probe = array_probe(&a, ts, 103);
	Plan plan = plan_all(&probe, HOUR, base + USECS_PER_DAY, 10);
	int oversize = 0;

	for (int i = 0; i < plan.n; i++)
	{
		if (!plan.p[i].oversize)
			continue;
		oversize++;
		assert_true(plan.p[i].piece.start == t && plan.p[i].piece.end == t + 1);
		assert_int_equal(rows_in(&a, plan.p[i].piece), 100);
	}
	assert_int_equal(oversize, 1);
	assert_true(plan.p[0].piece.start == base && plan.p[plan.n - 1].piece.end == base + HOUR);
	check_plan_invariants(&a, &plan, HOUR, base + USECS_PER_DAY, 10);
	free(plan.p);
}

/* One row every 10 minutes over [from, to). */
static int64_t *
every_10_minutes(int64_t from, int64_t to, size_t *n)
{
	size_t count = (size_t) ((to - from) / (10 * MINUTE));
	int64_t *ts = malloc(sizeof(int64_t) * count);

	assert_non_null(ts);
	for (size_t i = 0; i < count; i++)
		ts[i] = from + (int64_t) i * 10 * MINUTE;
	*n = count;
	return ts;
}

/*
 * Windows for timestamptz are UTC hours: across a DST change each is exactly 3600 s, one
 * after the other, none missing or repeated, and named by its UTC hour.
 */
static void
check_utc_hours(const char *day, int first_hour, int hours)
{
	int y, m, d;
	assert_int_equal(sscanf(day, "%d-%d-%d", &y, &m, &d), 3);
	CivilTime c = {.year = y, .month = m, .day = d, .hour = first_hour};
	int64_t from = time_from_civil(&c), to = from + hours * HOUR;
	size_t n;
	int64_t *ts = every_10_minutes(from, to, &n);
	ArrayProbe a;
	WindowProbe probe = array_probe(&a, ts, n);
	Plan plan = plan_all(&probe, HOUR, to, 1000);

	assert_int_equal(plan.n, hours);
	for (int i = 0; i < plan.n; i++)
	{
		char got[64], expected[64];

		assert_true(plan.p[i].window.end - plan.p[i].window.start == SEC(3600));
		assert_true(plan.p[i].window.start == from + i * HOUR);
		assert_int_equal(rows_in(&a, plan.p[i].window), 6);
		time_format_sql(plan.p[i].window.start, true, got, sizeof(got));
		snprintf(expected, sizeof(expected), "%s %02d:00:00+00", day, first_hour + i);
		assert_string_equal(got, expected);
	}
	free(plan.p);
	free(ts);
}

static void
test_dst_changes_utc_windows(void **state)
{
	/* EU: clocks go forward 2026-03-29 01:00 UTC and back 2026-10-25 01:00 UTC. */
	check_utc_hours("2026-03-29", 0, 4);
	check_utc_hours("2026-10-25", 0, 4);
	/* US: forward 2026-03-08 07:00 UTC (02:00 EST), back 2026-11-01 06:00 UTC (02:00 EDT). */
	check_utc_hours("2026-03-08", 5, 4);
	check_utc_hours("2026-11-01", 4, 4);
}

static void
test_one_day_window_aligns_to_utc_midnight(void **state)
{
	CivilTime c = {.year = 2026, .month = 3, .day = 29, .hour = 23, .minute = 30};
	int64_t late = time_from_civil(&c);
	int64_t ts[] = {late, late + 40 * MINUTE, late + 25 * HOUR};
	ArrayProbe a;
	WindowProbe probe = array_probe(&a, ts, 3);
	Plan plan = plan_all(&probe, USECS_PER_DAY, late + 30 * USECS_PER_DAY, 1000);
	char s[64];

	assert_int_equal(plan.n, 3);
	time_format_sql(plan.p[0].window.start, true, s, sizeof(s));
	assert_string_equal(s, "2026-03-29 00:00:00+00");
	time_format_sql(plan.p[0].window.end, true, s, sizeof(s));
	assert_string_equal(s, "2026-03-30 00:00:00+00");
	time_format_sql(plan.p[1].window.start, true, s, sizeof(s));
	assert_string_equal(s, "2026-03-30 00:00:00+00");
	time_format_sql(plan.p[2].window.start, true, s, sizeof(s));
	assert_string_equal(s, "2026-03-31 00:00:00+00");
	free(plan.p);
}

static void
test_last_window_clipped_at_cutoff(void **state)
{
	int64_t base = SEC(1774746000);
	int64_t ts[] = {base + 10 * MINUTE, base + 44 * MINUTE, base + 45 * MINUTE, base + 50 * MINUTE};
	ArrayProbe a;
	WindowProbe probe = array_probe(&a, ts, 4);
	Plan plan = plan_all(&probe, HOUR, base + 45 * MINUTE, 1000);

	assert_int_equal(plan.n, 1);
	assert_true(plan.p[0].window.start == base);
	assert_true(plan.p[0].window.end == base + 45 * MINUTE);
	assert_int_equal(rows_in(&a, plan.p[0].piece), 2);
	free(plan.p);
}

static void
test_probe_error_propagates(void **state)
{
	int64_t ts[] = {HOUR};
	ArrayProbe a;
	WindowProbe probe = array_probe(&a, ts, 1);
	WindowPlanner pl;
	TimeRange piece, window;
	bool done = false, oversize;
	EbbError err;

	error_init(&err);
	a.fail = true;
	archive_planner_init(&pl, &probe, HOUR, 10 * HOUR, 100);
	assert_false(archive_planner_next(&pl, &done, &piece, &window, &oversize, &err));
	assert_string_equal(err.message, "probe failed");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_for_aligns_and_clips),
		cmocka_unit_test(test_window_for_before_1970),
		cmocka_unit_test(test_empty_table),
		cmocka_unit_test(test_all_rows_at_or_after_cutoff),
		cmocka_unit_test(test_ten_year_gap_is_skipped),
		cmocka_unit_test(test_every_row_before_cutoff_in_exactly_one_piece),
		cmocka_unit_test(test_pre_1970_rows),
		cmocka_unit_test(test_big_window_split_into_pieces),
		cmocka_unit_test(test_oversize_identical_timestamps),
		cmocka_unit_test(test_dst_changes_utc_windows),
		cmocka_unit_test(test_one_day_window_aligns_to_utc_midnight),
		cmocka_unit_test(test_last_window_clipped_at_cutoff),
		cmocka_unit_test(test_probe_error_propagates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
