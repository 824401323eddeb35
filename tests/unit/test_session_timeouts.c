/*
 * test_session_timeouts.c: the session's idle_in_transaction_session_timeout as resolve.c
 * derives it when --idle-timeout is unset (5min, or 3 x --s3-timeout plus 1min when longer), and
 * the age floor of verify --gc (archive/gc.c) that follows from the same settings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>

#include "archive/verify.h"
#include "config/config.h"

#define MIN_MS (60 * 1000)

typedef struct Case
{
	const char *args[6];
	int64_t idle_ms;
	bool derived;
	int64_t floor_ms;
} Case;

static void
resolve(const char *const *args, unsigned command, Settings *s)
{
	char *argv[8] = {(char *) "verify"};
	int argc = 1;
	OptLayer cli = {0};
	StrList positional = {0};
	EbbError err;

	error_init(&err);
	for (; args[argc - 1]; argc++)
		argv[argc] = (char *) args[argc - 1];
	assert_true(options_parse_argv(command, "verify", argc, argv, &cli, &positional, &err));
	assert_true(settings_resolve(&cli, NULL, command, s, &err));
	opt_layer_free(&cli);
	strlist_clear(&positional);
}

static void
test_idle_timeout_and_gc_floor(void **state)
{
	static const Case cases[] = {
		/* the defaults: --s3-timeout 10min, so 3 x 10min + 1min; 3 x 30min + 2 x 31min */
		{{NULL}, 31 * MIN_MS, true, 152 * MIN_MS},
		{{"--s3-timeout", "1min", NULL}, 5 * MIN_MS, false, 100 * MIN_MS},
		{{"--s3-timeout", "2min", NULL}, 7 * MIN_MS, true, 104 * MIN_MS},
		{{"--s3-timeout", "1h", NULL}, 181 * MIN_MS, true, 452 * MIN_MS},
		/* given, it is taken as it is, shorter than --s3-timeout or not */
		{{"--s3-timeout", "1h", "--idle-timeout", "2s", NULL}, 2000, false, 90 * MIN_MS + 4000},
		{{"--statement-timeout", "1s", "--idle-timeout", "1s", NULL}, 1000, false, 5000},
	};

	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		Settings s;
		resolve(cases[i].args, CMD_VERIFY, &s);
		assert_int_equal(s.idle_timeout_ms, cases[i].idle_ms);
		assert_int_equal(s.idle_timeout_derived, cases[i].derived);
		assert_int_equal(verify_gc_floor_ms(&s), cases[i].floor_ms);
		settings_free(&s);
		/* archive resolves the same settings to the same session timeout */
		resolve(cases[i].args, CMD_ARCHIVE, &s);
		assert_int_equal(s.idle_timeout_ms, cases[i].idle_ms);
		settings_free(&s);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_timeout_and_gc_floor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
