/*
 * test_reclaim_window.c: reclaim/window.c, the maintenance window: what parses, and which
 * minutes of the day fall inside (start included, end excluded, across midnight when the end
 * comes first).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "reclaim/window.h"

#define AT(h, m) ((h) *60 + (m))

static ReclaimWindow
window(const char *start, const char *end)
{
	ReclaimWindow w;
	EbbError err;

	error_init(&err);
	assert_true(reclaim_window_parse(start, end, &w, &err));
	return w;
}

static void
test_a_day_window(void **state)
{
	(void) state;
	ReclaimWindow w = window("01:00", "05:30");
	assert_true(w.set);
	assert_string_equal(w.text, "01:00-05:30");
	assert_false(reclaim_window_contains(&w, AT(0, 59)));
	assert_true(reclaim_window_contains(&w, AT(1, 0)));
	assert_true(reclaim_window_contains(&w, AT(5, 29)));
	assert_false(reclaim_window_contains(&w, AT(5, 30)));
	assert_false(reclaim_window_contains(&w, AT(13, 0)));
}

static void
test_across_midnight(void **state)
{
	(void) state;
	ReclaimWindow w = window("22:00", "04:00");
	assert_true(reclaim_window_contains(&w, AT(22, 0)));
	assert_true(reclaim_window_contains(&w, AT(23, 59)));
	assert_true(reclaim_window_contains(&w, AT(0, 0)));
	assert_true(reclaim_window_contains(&w, AT(3, 59)));
	assert_false(reclaim_window_contains(&w, AT(4, 0)));
	assert_false(reclaim_window_contains(&w, AT(21, 59)));
	/* 24:00 is midnight, as an end. */
	w = window("20:00", "24:00");
	assert_string_equal(w.text, "20:00-00:00");
	assert_true(reclaim_window_contains(&w, AT(23, 59)));
	assert_false(reclaim_window_contains(&w, AT(0, 0)));
	/* 00:00 to 24:00: any time. */
	w = window("00:00", "24:00");
	for (int m = 0; m < 24 * 60; m++)
		assert_true(reclaim_window_contains(&w, m));
}

static void
test_none_given(void **state)
{
	(void) state;
	ReclaimWindow w;
	EbbError err;
	error_init(&err);
	assert_true(reclaim_window_parse(NULL, NULL, &w, &err));
	assert_false(w.set);
}

static void
test_refused(void **state)
{
	(void) state;
	static const struct
	{
		const char *start, *end, *message;
	} cases[] = {
		{"01:00", NULL, "option --window-start requires --window-end"},
		{NULL, "01:00", "option --window-end requires --window-start"},
		{"1:00", "02:00", "invalid value \"1:00\" for option --window-start"},
		{" 1:00", "02:00", "invalid value \" 1:00\" for option --window-start"},
		{"01:00", "02:60", "invalid value \"02:60\" for option --window-end"},
		{"24:01", "02:00", "invalid value \"24:01\" for option --window-start"},
		{"01:00", "02:00x", "invalid value \"02:00x\" for option --window-end"},
		{"03:00", "03:00", "the maintenance window 03:00 to 03:00 is empty"},
		{"24:00", "00:00", "the maintenance window 24:00 to 00:00 is empty"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		ReclaimWindow w;
		EbbError err;
		error_init(&err);
		assert_false(reclaim_window_parse(cases[i].start, cases[i].end, &w, &err));
		assert_int_equal(err.code, EBB_ERR_USAGE);
		assert_string_equal(err.message, cases[i].message);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_day_window),
		cmocka_unit_test(test_across_midnight),
		cmocka_unit_test(test_none_given),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
