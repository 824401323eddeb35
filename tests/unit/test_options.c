/*
 * test_options.c: config/cli.c (options_parse_argv over getopt_long) and config/options.c
 * (the option table, layers and typed reads). options_parse_argv resets getopt's global
 * state itself, so each test parses a fresh argv.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/options.h"

typedef struct Parsed
{
	OptLayer cli;
	StrList positional;
	EbbError err;
	bool ok;
} Parsed;

static int
parsed_setup(void **state)
{
	Parsed *p = calloc(1, sizeof(Parsed));

	*state = p;
	return p ? 0 : -1;
}

static int
parsed_teardown(void **state)
{
	Parsed *p = *state;

	opt_layer_free(&p->cli);
	strlist_clear(&p->positional);
	free(p);
	return 0;
}

/* argv: NULL-terminated, the command word first. */
static bool
parse(Parsed *p, unsigned command, const char *name, char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	error_init(&p->err);
	p->ok = options_parse_argv(command, name, argc, argv, &p->cli, &p->positional, &p->err);
	return p->ok;
}

static void
assert_usage_error(const Parsed *p, const char *message, const char *command_name)
{
	char hint[128];

	assert_false(p->ok);
	assert_string_equal(p->err.message, message);
	snprintf(hint, sizeof(hint), "Try \"ebb %s --help\" for more information.", command_name);
	assert_string_equal(p->err.hint, hint);
	assert_int_equal(p->err.code, EBB_ERR_USAGE);
	assert_int_equal(error_exit_status(p->err.code), 2);
}

static void
test_unknown_long_option(void **state)
{
	Parsed *p = *state;
	char *argv[] = {"archive", "--bogus", NULL};

	parse(p, CMD_ARCHIVE, "archive", argv);
	assert_usage_error(p, "unrecognized option \"--bogus\"", "archive");
}

static void
test_unknown_short_option(void **state)
{
	Parsed *p = *state;
	char *argv[] = {"archive", "-q", NULL};

	parse(p, CMD_ARCHIVE, "archive", argv);
	assert_usage_error(p, "unrecognized option \"-q\"", "archive");
}

static void
test_option_of_another_command(void **state)
{
	Parsed *p = *state;
	char *argv[] = {"archive", "--rows", "5", NULL};
	char *argv2[] = {"generate", "--config", "x.conf", NULL};

	/* --rows belongs to generate, --config to archive and status. */
	parse(p, CMD_ARCHIVE, "archive", argv);
	assert_usage_error(p, "unrecognized option \"--rows\"", "archive");
	parse(p, CMD_GENERATE, "generate", argv2);
	assert_usage_error(p, "unrecognized option \"--config\"", "generate");
}

static void
test_missing_argument_short(void **state)
{
	Parsed *p = *state;
	char *argv[] = {"archive", "-t", NULL};

	parse(p, CMD_ARCHIVE, "archive", argv);
	assert_usage_error(p, "option \"-t\" requires an argument", "archive");
}

/*
 * The message names the long option. For a long option glibc sets optopt to the option's val
 * (1000 + index here), not 0: read as a short option it printed "-" and a garbage byte.
 */
static void
test_missing_argument_long(void **state)
{
	Parsed *p = *state;
	char *argv[] = {"archive", "--table", NULL};

	parse(p, CMD_ARCHIVE, "archive", argv);
	assert_usage_error(p, "option \"--table\" requires an argument", "archive");
}

/* The same for a flag given a value: the message names the flag, not "-" and a stray byte. */
static void
test_flag_given_an_argument(void **state)
{
	Parsed *p = *state;
	char *argv[] = {"archive", "--dry-run=yes", NULL};

	/* A flag takes no value: the error must name the option the user typed. */
	parse(p, CMD_ARCHIVE, "archive", argv);
	assert_false(p->ok);
	assert_int_equal(p->err.code, EBB_ERR_USAGE);
	assert_non_null(strstr(p->err.message, "--dry-run"));
}

static void
test_repeated_database_accumulates(void **state)
{
	Parsed *p = *state;
	char *argv[] = {"archive", "--database", "a", "-d", "b", "--database=c", "-dd", NULL};

	assert_true(parse(p, CMD_ARCHIVE, "archive", argv));
	const OptSlot *s = &p->cli.slot[OPT_DATABASE];
	assert_true(s->set);
	assert_int_equal(s->list.count, 4);
	assert_string_equal(s->list.items[0], "a");
	assert_string_equal(s->list.items[1], "b");
	assert_string_equal(s->list.items[2], "c");
	assert_string_equal(s->list.items[3], "d");
	assert_string_equal(s->value, "d");
	assert_string_equal(s->origin, "option --database");
}

static void
test_values_and_forms(void **state)
{
	Parsed *p = *state;
	char *argv[] = {"archive", "--keep-days=5", "-j3",      "--table", "analytics.events",
					"-Z",      "gzip",          "--window", "15min",   NULL};

	assert_true(parse(p, CMD_ARCHIVE, "archive", argv));
	assert_string_equal(p->cli.slot[OPT_KEEP_DAYS].value, "5");
	assert_string_equal(p->cli.slot[OPT_KEEP_DAYS].origin, "option --keep-days");
	assert_string_equal(p->cli.slot[OPT_JOBS].value, "3");
	assert_string_equal(p->cli.slot[OPT_TABLE].value, "analytics.events");
	assert_string_equal(p->cli.slot[OPT_COMPRESS].value, "gzip");
	assert_string_equal(p->cli.slot[OPT_WINDOW].value, "15min");
	assert_false(p->cli.slot[OPT_DEST].set);
	assert_int_equal(p->positional.count, 0);
}

static void
test_repeated_verbose_counts(void **state)
{
	Parsed *p = *state;
	char *argv[] = {"archive", "-v", "--verbose", "-vv", "--dry-run", NULL};

	assert_true(parse(p, CMD_ARCHIVE, "archive", argv));
	assert_string_equal(p->cli.slot[OPT_VERBOSE].value, "4");
	assert_true(p->cli.slot[OPT_DRY_RUN].set);
	assert_false(p->cli.slot[OPT_JSON].set);
}

static void
test_positional_stops_option_parsing(void **state)
{
	Parsed *p = *state;
	char *argv[] = {"archive", "-k", "3", "extra", "--table", "x", NULL};

	/* Options end at the first non-option (no reordering of argv). */
	assert_true(parse(p, CMD_ARCHIVE, "archive", argv));
	assert_string_equal(p->cli.slot[OPT_KEEP_DAYS].value, "3");
	assert_false(p->cli.slot[OPT_TABLE].set);
	assert_int_equal(p->positional.count, 3);
	assert_string_equal(p->positional.items[0], "extra");
	assert_string_equal(p->positional.items[1], "--table");
	assert_string_equal(p->positional.items[2], "x");
}

static void
test_double_dash_ends_options(void **state)
{
	Parsed *p = *state;
	char *argv[] = {"archive", "--", "--table", NULL};

	assert_true(parse(p, CMD_ARCHIVE, "archive", argv));
	assert_false(p->cli.slot[OPT_TABLE].set);
	assert_int_equal(p->positional.count, 1);
	assert_string_equal(p->positional.items[0], "--table");
}

/*
 * Each parse starts afresh, even after one that stopped inside a cluster of short options
 * (here at q in -qv). `optind = 1` does not reset glibc's getopt there: the next call would
 * resume at the stale "v", set --verbose, skip "--table" and take "t" as a positional
 * argument. glibc documents `optind = 0` for a full reset.
 */
static void
test_parses_are_independent(void **state)
{
	Parsed *p = *state;
	char first[] = "-qv"; /* fails at q, with v still pending inside getopt */
	char *argv1[] = {"archive", first, NULL};
	char *argv2[] = {"archive", "--table", "t", NULL};

	parse(p, CMD_ARCHIVE, "archive", argv1);
	assert_usage_error(p, "unrecognized option \"-q\"", "archive");
	opt_layer_free(&p->cli);
	/* A second parse must see only its own argv, not what was left of the first. */
	assert_true(parse(p, CMD_ARCHIVE, "archive", argv2));
	assert_false(p->cli.slot[OPT_VERBOSE].set);
	assert_true(p->cli.slot[OPT_TABLE].set);
	assert_string_equal(p->cli.slot[OPT_TABLE].value, "t");
	assert_int_equal(p->positional.count, 0);
}

/* ---- repeated options ---- */

static void
assert_repeated(const Parsed *p, const char *name)
{
	char message[128];

	assert_false(p->ok);
	snprintf(message, sizeof(message), "option --%s specified more than once", name);
	assert_string_equal(p->err.message, message);
	assert_string_equal(p->err.hint, "Give each option once; only --database, --include and "
									 "--exclude may be repeated.");
	assert_int_equal(error_exit_status(p->err.code), 2);
}

/* -t A -t B archived only B, silently. */
static void
test_repeated_table_refused(void **state)
{
	Parsed *p = *state;
	char *argv[] = {"archive", "-t", "a", "-t", "b", NULL};

	parse(p, CMD_ARCHIVE, "archive", argv);
	assert_repeated(p, "table");
}

static void
test_repeated_value_options_refused_in_any_spelling(void **state)
{
	char *cases[][6] = {
		{"archive", "--table=a", "-tb", NULL},
		{"archive", "--keep-days", "3", "--keep_days=3", NULL}, /* same value: still twice */
		{"archive", "--dest", "file:///a", "--dest=file:///b", NULL},
		{"archive", "-Z", "gzip", "--compress", "gzip", NULL},
		{"archive", "--time-column", "a", "--time_col", "b", NULL}, /* an abbreviation */
	};
	const char *names[] = {"table", "keep-days", "dest", "compress", "time-column"};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		Parsed *p = calloc(1, sizeof(Parsed));
		assert_non_null(p);
		parse(p, CMD_ARCHIVE, "archive", cases[i]);
		assert_repeated(p, names[i]);
		opt_layer_free(&p->cli);
		strlist_clear(&p->positional);
		free(p);
	}
	(void) state;
}

/* Flags repeat harmlessly and list options collect (see also the verbose and database tests). */
static void
test_repeated_flags_and_lists_allowed(void **state)
{
	Parsed *p = *state;
	char *argv[] = {"archive",
					"--all-databases",
					"-a",
					"--include",
					"a*",
					"--include",
					"b*",
					"--exclude",
					"c",
					"--exclude",
					"d",
					"--dry-run",
					"--dry-run",
					"--allow-seqscan",
					"--allow_seqscan",
					NULL};

	assert_true(parse(p, CMD_ARCHIVE, "archive", argv));
	assert_int_equal(p->cli.slot[OPT_INCLUDE].list.count, 2);
	assert_int_equal(p->cli.slot[OPT_EXCLUDE].list.count, 2);
	assert_true(p->cli.slot[OPT_ALL_DATABASES].set);
	assert_true(p->cli.slot[OPT_ALLOW_SEQSCAN].set);
}

/* ---- underscore spellings ---- */

static void
test_underscore_flags(void **state)
{
	Parsed *p = *state;
	char *argv[] = {"archive",
					"--time_column",
					"ts",
					"--max_rows_per_txn=10",
					"--allow_seqscan",
					"--s3_part_size",
					"8MiB",
					"--dry_run",
					"--keep-days",
					"4",
					NULL};

	assert_true(parse(p, CMD_ARCHIVE, "archive", argv));
	assert_string_equal(p->cli.slot[OPT_TIME_COLUMN].value, "ts");
	/* Messages name the canonical spelling. */
	assert_string_equal(p->cli.slot[OPT_TIME_COLUMN].origin, "option --time-column");
	assert_string_equal(p->cli.slot[OPT_MAX_ROWS_PER_TXN].value, "10");
	assert_true(p->cli.slot[OPT_ALLOW_SEQSCAN].set);
	assert_string_equal(p->cli.slot[OPT_S3_PART_SIZE].value, "8MiB");
	assert_true(p->cli.slot[OPT_DRY_RUN].set);
	assert_string_equal(p->cli.slot[OPT_KEEP_DAYS].value, "4");
}

static void
test_underscore_flag_errors_name_canonical_option(void **state)
{
	Parsed *p = *state;
	char *missing[] = {"archive", "--time_column", NULL};
	char *flag_arg[] = {"archive", "--dry_run=yes", NULL};

	parse(p, CMD_ARCHIVE, "archive", missing);
	assert_usage_error(p, "option \"--time-column\" requires an argument", "archive");
	parse(p, CMD_ARCHIVE, "archive", flag_arg);
	assert_usage_error(p, "option \"--dry-run\" does not take an argument", "archive");
}

/* ---- bytes from argv are escaped in messages ---- */

static void
test_control_bytes_escaped_in_option_messages(void **state)
{
	Parsed *p = *state;
	char *argv[] = {"archive", "--bo\x1b[31mgus", NULL};
	char *argv2[] = {"archive", "-\x01", NULL};
	EbbError err;
	long long v;

	parse(p, CMD_ARCHIVE, "archive", argv);
	assert_usage_error(p, "unrecognized option \"--bo\\x1b[31mgus\"", "archive");
	parse(p, CMD_ARCHIVE, "archive", argv2);
	assert_usage_error(p, "unrecognized option \"-\\x01\"", "archive");
	opt_layer_free(&p->cli);
	opt_layer_set(&p->cli, OPT_KEEP_DAYS, "3\n\xc3(", "option --keep-days");
	assert_false(opt_get_int(OPT_KEEP_DAYS, &p->cli.slot[OPT_KEEP_DAYS], -1, 36500, &v, &err));
	assert_string_equal(err.message, "invalid value \"3\\x0a\\xc3(\" for option --keep-days");
}

/* ---- the option table and typed reads ---- */

static void
test_option_by_name(void **state)
{
	assert_int_equal(option_by_name("keep-days")->id, OPT_KEEP_DAYS);
	assert_int_equal(option_by_name("max-rows-per-txn")->id, OPT_MAX_ROWS_PER_TXN);
	/* Underscores for dashes, in any mix; nothing else is loosened. */
	assert_int_equal(option_by_name("keep_days")->id, OPT_KEEP_DAYS);
	assert_int_equal(option_by_name("max_rows-per_txn")->id, OPT_MAX_ROWS_PER_TXN);
	assert_null(option_by_name("keepdays"));
	assert_null(option_by_name("keep_days_"));
	assert_null(option_by_name("keep"));
	assert_null(option_by_name("Keep-Days"));
	assert_null(option_by_name("dsn_"));
	assert_null(option_by_name("_dsn"));
	assert_null(option_by_name("bogus"));
	/* The table is indexed by id. */
	for (int i = 0; i < OPT_COUNT; i++)
		assert_int_equal(option_table[i].id, i);
}

static void
test_opt_lookup_order(void **state)
{
	OptLayer a, b, c;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	opt_layer_set(&c, OPT_KEEP_DAYS, "7", "c");
	assert_string_equal(opt_lookup(OPT_KEEP_DAYS, &a, &b, &c)->value, "7");
	opt_layer_set(&b, OPT_KEEP_DAYS, "30", "b");
	assert_string_equal(opt_lookup(OPT_KEEP_DAYS, &a, &b, &c)->value, "30");
	opt_layer_set(&a, OPT_KEEP_DAYS, "1", "a");
	assert_string_equal(opt_lookup(OPT_KEEP_DAYS, &a, &b, &c)->value, "1");
	assert_string_equal(opt_lookup(OPT_KEEP_DAYS, NULL, NULL, &c)->value, "7");
	assert_null(opt_lookup(OPT_WINDOW, &a, &b, &c));
	opt_layer_free(&a);
	opt_layer_free(&b);
	opt_layer_free(&c);
}

static void
test_opt_get_int(void **state)
{
	OptLayer l;
	EbbError err;
	long long v = 0;

	memset(&l, 0, sizeof(l));
	error_init(&err);
	/* No slot: the table's default ("2" for keep-days). */
	assert_true(opt_get_int(OPT_KEEP_DAYS, NULL, -1, 36500, &v, &err));
	assert_int_equal(v, 2);
	opt_layer_set(&l, OPT_KEEP_DAYS, "-1", "option --keep-days");
	assert_true(opt_get_int(OPT_KEEP_DAYS, &l.slot[OPT_KEEP_DAYS], -1, 36500, &v, &err));
	assert_int_equal(v, -1);
	const char *bad[] = {"12abc", "", "36501", "-2", "99999999999999999999", "1.0"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		char expected[128];
		opt_layer_set(&l, OPT_KEEP_DAYS, bad[i], "option --keep-days");
		assert_false(opt_get_int(OPT_KEEP_DAYS, &l.slot[OPT_KEEP_DAYS], -1, 36500, &v, &err));
		snprintf(expected, sizeof(expected), "invalid value \"%s\" for option --keep-days", bad[i]);
		assert_string_equal(err.message, expected);
		assert_string_equal(err.hint, "Use a whole number from -1 to 36500.");
		assert_int_equal(err.code, EBB_ERR_USAGE);
	}
	opt_layer_free(&l);
}

static void
test_opt_bools(void **state)
{
	const char *yes[] = {"1", "true", "TRUE", "on", "yes", "Yes"};
	const char *no[] = {"0", "false", "off", "no", "NO"};
	bool b;

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
	{
		b = false;
		assert_true(opt_parse_bool(yes[i], &b));
		assert_true(b);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
	{
		b = true;
		assert_true(opt_parse_bool(no[i], &b));
		assert_false(b);
	}
	assert_false(opt_parse_bool("maybe", &b));
	assert_false(opt_parse_bool("", &b));
}

static void
test_opt_get_bool_error(void **state)
{
	OptLayer l;
	EbbError err;
	bool b = true;

	memset(&l, 0, sizeof(l));
	error_init(&err);
	assert_true(opt_get_bool(OPT_ALLOW_SEQSCAN, NULL, &b, &err));
	assert_false(b); /* no default: false */
	opt_layer_set(&l, OPT_ALLOW_SEQSCAN, "sure",
				  "parameter \"allow-seqscan\" in file \"f\" line 9");
	assert_false(opt_get_bool(OPT_ALLOW_SEQSCAN, &l.slot[OPT_ALLOW_SEQSCAN], &b, &err));
	assert_string_equal(
		err.message, "invalid value \"sure\" for parameter \"allow-seqscan\" in file \"f\" line 9");
	assert_string_equal(err.hint, "Use true or false.");
	opt_layer_free(&l);
}

static void
test_opt_origin(void **state)
{
	OptLayer l;

	memset(&l, 0, sizeof(l));
	assert_string_equal(opt_origin(OPT_KEEP_DAYS, NULL), "option --keep-days");
	opt_layer_set(&l, OPT_WINDOW, "1h", "parameter \"window\" in file \"x\" line 3");
	assert_string_equal(opt_origin(OPT_WINDOW, &l.slot[OPT_WINDOW]),
						"parameter \"window\" in file \"x\" line 3");
	opt_layer_free(&l);
}

#define P_TEST(f) cmocka_unit_test_setup_teardown(f, parsed_setup, parsed_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		P_TEST(test_unknown_long_option),
		P_TEST(test_unknown_short_option),
		P_TEST(test_option_of_another_command),
		P_TEST(test_missing_argument_short),
		P_TEST(test_missing_argument_long),
		P_TEST(test_flag_given_an_argument),
		P_TEST(test_repeated_database_accumulates),
		P_TEST(test_values_and_forms),
		P_TEST(test_repeated_verbose_counts),
		P_TEST(test_positional_stops_option_parsing),
		P_TEST(test_double_dash_ends_options),
		P_TEST(test_parses_are_independent),
		P_TEST(test_repeated_table_refused),
		cmocka_unit_test(test_repeated_value_options_refused_in_any_spelling),
		P_TEST(test_repeated_flags_and_lists_allowed),
		P_TEST(test_underscore_flags),
		P_TEST(test_underscore_flag_errors_name_canonical_option),
		P_TEST(test_control_bytes_escaped_in_option_messages),
		cmocka_unit_test(test_option_by_name),
		cmocka_unit_test(test_opt_lookup_order),
		cmocka_unit_test(test_opt_get_int),
		cmocka_unit_test(test_opt_bools),
		cmocka_unit_test(test_opt_get_bool_error),
		cmocka_unit_test(test_opt_origin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
