/*
 * test_config.c: config/config.c (INI loading), resolve.c (settings, qualified names) and
 * policy.c (per-table policies). Precedence: command line > [table] > [defaults] > built-in.
 * The command-line layer is built with options_parse_argv, as ebb builds it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/time.h"
#include "config/config.h"
#include "unit_util.h"

static char tmpdir[] = "/tmp/ebb-test-config-XXXXXX";

static int
group_setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int
group_teardown(void **state)
{
	return rmdir(tmpdir);
}

/* One test's fixture: a config file, the loaded Config, a CLI layer. */
typedef struct Fixture
{
	char *path;
	Config cfg;
	OptLayer cli;
	StrList positional;
	EbbError err;
	bool loaded;
} Fixture;

static int
fixture_setup(void **state)
{
	Fixture *fx = calloc(1, sizeof(Fixture));

	*state = fx;
	return fx ? 0 : -1;
}

static int
fixture_teardown(void **state)
{
	Fixture *fx = *state;

	config_free(&fx->cfg);
	opt_layer_free(&fx->cli);
	strlist_clear(&fx->positional);
	if (fx->path)
	{
		unlink(fx->path);
		free(fx->path);
	}
	free(fx);
	return 0;
}

static void
load(Fixture *fx, const char *text)
{
	fx->path = write_temp_file(tmpdir, "ebb.conf", text);
	fx->loaded = config_load(fx->path, &fx->cfg, &fx->err);
}

/* argv: the command word first, as ebb's main passes it. NULL-terminated. */
static bool
parse_cli(Fixture *fx, char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return options_parse_argv(CMD_ARCHIVE, "archive", argc, argv, &fx->cli, &fx->positional,
							  &fx->err);
}

/* The exact message for a key the file may not hold. */
static char *
unrecognized_msg(const char *name, const char *path, int line)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "unrecognized configuration parameter \"%s\" in file \"%s\" line %d",
			 name, path, line);
	return buf;
}

/* ---- a valid file and the precedence of layers ---- */

static const char valid_conf[] = "# ebb.conf\n"
								 "[defaults]\n"
								 "keep-days = 7\n"
								 "compress = gzip\n"
								 "time-column = created_at\n"
								 "dest = file:///srv/archive\n"
								 "jobs = 4\n"
								 "\n"
								 "[table analytics.events]\n"
								 "keep-days = 30\n"
								 "window = 15min\n"
								 "compress = none\n"
								 "\n"
								 "[table logs]\n"
								 "time-column = logged_at\n"
								 "max-rows-per-txn = 5000\n"
								 "allow-seqscan = true\n";

static const Policy *
find_policy(const Policy *p, int n, const char *schema, const char *table)
{
	for (int i = 0; i < n; i++)
		if (strcmp(p[i].schema, schema) == 0 && strcmp(p[i].table, table) == 0)
			return &p[i];
	fail_msg("no policy for %s.%s", schema, table);
	/* Not reached (fail_msg leaves the test), but cmocka does not say so to the compiler:
	 * returning NULL here fails an optimized build with -Werror=null-dereference. */
	abort();
}

static void
test_valid_file_sections(void **state)
{
	Fixture *fx = *state;

	load(fx, valid_conf);
	assert_true(fx->loaded);
	assert_int_equal(fx->cfg.ntables, 2);
	assert_string_equal(fx->cfg.tables[0].name, "analytics.events");
	assert_string_equal(fx->cfg.tables[1].name, "logs");
	assert_true(fx->cfg.defaults.slot[OPT_KEEP_DAYS].set);
	assert_string_equal(fx->cfg.defaults.slot[OPT_KEEP_DAYS].value, "7");
	/* The origin names the file and line, for later error messages. */
	char origin[512];
	snprintf(origin, sizeof(origin), "parameter \"keep-days\" in file \"%s\" line 3", fx->path);
	assert_string_equal(fx->cfg.defaults.slot[OPT_KEEP_DAYS].origin, origin);
}

static void
test_policies_without_cli_overrides(void **state)
{
	Fixture *fx = *state;
	char *argv[] = {"archive", NULL};
	Policy *p;
	int n;

	load(fx, valid_conf);
	assert_true(fx->loaded);
	assert_true(parse_cli(fx, argv));
	assert_true(policies_resolve(&fx->cli, &fx->cfg, CMD_ARCHIVE, &p, &n, &fx->err));
	assert_int_equal(n, 2);
	const Policy *ev = find_policy(p, n, "analytics", "events");
	const Policy *lg = find_policy(p, n, "public", "logs");
	assert_int_equal(ev->keep_days, 30);                 /* table */
	assert_int_equal(lg->keep_days, 7);                  /* defaults */
	assert_string_equal(ev->compress, "none");           /* table */
	assert_string_equal(lg->compress, "gzip");           /* defaults */
	assert_string_equal(ev->time_column, "created_at");  /* defaults */
	assert_string_equal(lg->time_column, "logged_at");   /* table */
	assert_true(ev->window_us == 15 * USECS_PER_MINUTE); /* table */
	assert_true(lg->window_us == USECS_PER_HOUR);        /* built-in 1h */
	assert_string_equal(ev->format, "csv");              /* built-in */
	assert_true(ev->max_rows_per_txn == 200000);         /* built-in */
	assert_true(lg->max_rows_per_txn == 5000);           /* table */
	assert_false(ev->allow_seqscan);
	assert_true(lg->allow_seqscan);
	assert_int_equal(ev->compress_level, -1); /* the compressor's default */
	assert_string_equal(ev->dest, "file:///srv/archive");
	policies_free(p, n);
}

static void
test_cli_wins_over_table_and_defaults(void **state)
{
	Fixture *fx = *state;
	char *argv[] = {"archive", "--compress",        "zstd", "--compress-level=5", "-k", "1",
					"--dest",  "file:///elsewhere", NULL};
	Policy *p;
	int n;

	load(fx, valid_conf);
	assert_true(fx->loaded);
	assert_true(parse_cli(fx, argv));
	assert_true(policies_resolve(&fx->cli, &fx->cfg, CMD_ARCHIVE, &p, &n, &fx->err));
	assert_int_equal(n, 2);
	for (int i = 0; i < n; i++)
	{
		assert_string_equal(p[i].compress, "zstd"); /* beats table "none" and defaults "gzip" */
		assert_int_equal(p[i].compress_level, 5);
		assert_int_equal(p[i].keep_days, 1); /* beats table 30 and defaults 7 */
		assert_string_equal(p[i].dest, "file:///elsewhere");
	}
	/* What the command line does not set still comes from the file. */
	assert_true(find_policy(p, n, "analytics", "events")->window_us == 15 * USECS_PER_MINUTE);
	policies_free(p, n);
}

static void
test_cli_table_selects_one_section(void **state)
{
	Fixture *fx = *state;
	char *argv[] = {"archive", "--table", "public.\"logs\"", NULL};
	Policy *p;
	int n;

	load(fx, valid_conf);
	assert_true(fx->loaded);
	assert_true(parse_cli(fx, argv));
	assert_true(policies_resolve(&fx->cli, &fx->cfg, CMD_ARCHIVE, &p, &n, &fx->err));
	assert_int_equal(n, 1);
	/* "logs" in the file and public."logs" on the command line name the same table. */
	assert_string_equal(p[0].schema, "public");
	assert_string_equal(p[0].table, "logs");
	assert_string_equal(p[0].time_column, "logged_at");
	assert_true(p[0].max_rows_per_txn == 5000);
	policies_free(p, n);
}

static void
test_same_table_name_in_two_schemas(void **state)
{
	Fixture *fx = *state;
	char *argv[] = {"archive", "--table", "b.events", NULL};
	Policy *p;
	int n;

	load(fx, "[defaults]\ntime-column = ts\ndest = file:///a\n"
			 "[table a.events]\nkeep-days = 1\n[table b.events]\nkeep-days = 2\n");
	assert_true(fx->loaded);
	assert_true(parse_cli(fx, argv));
	assert_true(policies_resolve(&fx->cli, &fx->cfg, CMD_ARCHIVE, &p, &n, &fx->err));
	assert_int_equal(n, 1);
	assert_string_equal(p[0].schema, "b");
	assert_int_equal(p[0].keep_days, 2); /* b's section, not a's */
	policies_free(p, n);
}

static void
test_settings_precedence(void **state)
{
	Fixture *fx = *state;
	char *argv[] = {"archive", NULL};
	char *argv_j[] = {"archive", "-j", "2", NULL};
	Settings s;

	load(fx, valid_conf);
	assert_true(fx->loaded);
	assert_true(parse_cli(fx, argv));
	assert_true(settings_resolve(&fx->cli, &fx->cfg, CMD_ARCHIVE, &s, &fx->err));
	assert_int_equal(s.jobs, 4);                           /* defaults */
	assert_true(s.lock_timeout_ms == 5000);                /* built-in 5s */
	assert_true(s.statement_timeout_ms == 30 * 60 * 1000); /* built-in 30min */
	settings_free(&s);
	assert_true(parse_cli(fx, argv_j));
	assert_true(settings_resolve(&fx->cli, &fx->cfg, CMD_ARCHIVE, &s, &fx->err));
	assert_int_equal(s.jobs, 2); /* command line */
	settings_free(&s);
	assert_true(settings_resolve(&fx->cli, NULL, CMD_ARCHIVE, &s, &fx->err));
	assert_int_equal(s.jobs, 2);
	settings_free(&s);
}

static void
test_builtin_defaults_without_file(void **state)
{
	Fixture *fx = *state;
	char *argv[] = {"archive", "-t", "events", "--time-column", "ts", "--dest", "file:///a", NULL};
	Policy *p;
	int n;

	assert_true(parse_cli(fx, argv));
	assert_true(policies_resolve(&fx->cli, NULL, CMD_ARCHIVE, &p, &n, &fx->err));
	assert_int_equal(n, 1);
	assert_int_equal(p[0].keep_days, 2);
	assert_true(p[0].window_us == USECS_PER_HOUR);
	assert_string_equal(p[0].format, "csv");
	assert_string_equal(p[0].compress, "zstd");
	assert_true(p[0].max_rows_per_txn == 200000);
	policies_free(p, n);
}

/* ---- errors ---- */

static void
test_unknown_key(void **state)
{
	Fixture *fx = *state;

	load(fx, "[defaults]\nkeep-days = 7\nbogus = 1\n");
	assert_false(fx->loaded);
	assert_string_equal(fx->err.message, unrecognized_msg("bogus", fx->path, 3));
	assert_int_equal(fx->err.code, EBB_ERR_CONFIG);
	assert_int_equal(error_exit_status(fx->err.code), 2);
}

static void
test_key_not_allowed_in_table_section(void **state)
{
	Fixture *fx = *state;

	load(fx, "[defaults]\njobs = 2\n[table events]\njobs = 2\n");
	assert_false(fx->loaded);
	assert_string_equal(fx->err.message, unrecognized_msg("jobs", fx->path, 4));
	assert_string_equal(fx->err.detail, "\"jobs\" is not allowed in a [table] section.");
	assert_int_equal(fx->err.code, EBB_ERR_CONFIG);
}

static void
test_cli_only_key_not_allowed_in_defaults(void **state)
{
	Fixture *fx = *state;

	load(fx, "[defaults]\ntable = events\n");
	assert_false(fx->loaded);
	assert_string_equal(fx->err.message, unrecognized_msg("table", fx->path, 2));
	assert_string_equal(fx->err.detail, "\"table\" is not allowed in a [defaults] section.");
}

static void
test_bad_section_name(void **state)
{
	Fixture *fx = *state;
	char expected[1024];

	/* The section's own line is named, even when no key follows it. */
	load(fx, "[defaults]\nkeep-days = 7\n[tables events]\nkeep-days = 1\n");
	assert_false(fx->loaded);
	snprintf(expected, sizeof(expected),
			 "invalid section \"[tables events]\" in file \"%s\" line 3", fx->path);
	assert_string_equal(fx->err.message, expected);
	assert_string_equal(fx->err.hint, "Sections are [defaults] and [table schema.name].");
	assert_int_equal(fx->err.code, EBB_ERR_CONFIG);
}

static void
test_table_section_without_name(void **state)
{
	Fixture *fx = *state;
	char expected[1024];

	load(fx, "[table ]\nkeep-days = 1\n");
	assert_false(fx->loaded);
	snprintf(expected, sizeof(expected), "invalid section \"[table ]\" in file \"%s\" line 1",
			 fx->path);
	assert_string_equal(fx->err.message, expected);
}

static void
test_key_before_any_section(void **state)
{
	Fixture *fx = *state;

	load(fx, "keep-days = 1\n");
	assert_false(fx->loaded);
	assert_int_equal(fx->err.code, EBB_ERR_CONFIG);
	assert_non_null(strstr(fx->err.message, "line 1"));
}

static void
test_bad_int_value_names_file_and_line(void **state)
{
	Fixture *fx = *state;
	char *argv[] = {"archive", NULL};
	char expected[1024];
	Policy *p = NULL;
	int n = -1;

	load(fx, "[defaults]\ndest = file:///a\n[table events]\nkeep-days = abc\ntime-column = ts\n");
	assert_true(fx->loaded); /* values are typed when a policy is resolved */
	assert_true(parse_cli(fx, argv));
	assert_false(policies_resolve(&fx->cli, &fx->cfg, CMD_ARCHIVE, &p, &n, &fx->err));
	snprintf(expected, sizeof(expected),
			 "invalid value \"abc\" for parameter \"keep-days\" in file \"%s\" line 4", fx->path);
	assert_string_equal(fx->err.message, expected);
	assert_string_equal(fx->err.hint, "Use a whole number from -1 to 36500.");
	assert_int_equal(fx->err.code, EBB_ERR_CONFIG);
	assert_null(p);
	assert_int_equal(n, 0);
}

static void
test_out_of_range_int_value(void **state)
{
	Fixture *fx = *state;
	char *argv[] = {"archive", NULL};
	char expected[1024];
	Settings s;

	load(fx, "[defaults]\njobs = 65\n");
	assert_true(fx->loaded);
	assert_true(parse_cli(fx, argv));
	assert_false(settings_resolve(&fx->cli, &fx->cfg, CMD_ARCHIVE, &s, &fx->err));
	settings_free(&s);
	snprintf(expected, sizeof(expected),
			 "invalid value \"65\" for parameter \"jobs\" in file \"%s\" line 2", fx->path);
	assert_string_equal(fx->err.message, expected);
	assert_string_equal(fx->err.hint, "Use a whole number from 1 to 64.");
}

static void
test_bad_window_value(void **state)
{
	Fixture *fx = *state;
	char *argv[] = {"archive", "--dest", "file:///a", NULL};
	char expected[1024];
	Policy *p;
	int n;

	/* 7min does not divide a day. */
	load(fx, "[table events]\ntime-column = ts\nwindow = 7min\n");
	assert_true(fx->loaded);
	assert_true(parse_cli(fx, argv));
	assert_false(policies_resolve(&fx->cli, &fx->cfg, CMD_ARCHIVE, &p, &n, &fx->err));
	snprintf(expected, sizeof(expected),
			 "invalid window \"7min\" for parameter \"window\" in file \"%s\" line 3", fx->path);
	assert_string_equal(fx->err.message, expected);
}

static void
test_syntax_error(void **state)
{
	Fixture *fx = *state;
	char expected[1024];

	load(fx, "[defaults]\nkeep-days = 7\nthis line is not ini\n");
	assert_false(fx->loaded);
	snprintf(expected, sizeof(expected), "syntax error in file \"%s\" line 3", fx->path);
	assert_string_equal(fx->err.message, expected);
	assert_int_equal(fx->err.code, EBB_ERR_CONFIG);
}

/*
 * The first error is the one reported, as ini_parse_stream's return value (the first error's
 * line) says and as PostgreSQL reports a config file; libinih goes on parsing after the
 * handler fails, and a later failure must not overwrite the first.
 */
static void
test_first_error_reported(void **state)
{
	Fixture *fx = *state;

	load(fx, "[defaults]\nbogus = 1\nkeep-days = 7\nother = 2\n");
	assert_false(fx->loaded);
	assert_string_equal(fx->err.message, unrecognized_msg("bogus", fx->path, 2));
}

/* The same when the first error is a syntax error and a bad key follows it. */
static void
test_first_error_reported_syntax_then_key(void **state)
{
	Fixture *fx = *state;
	char expected[1024];

	load(fx, "[defaults]\nnot ini at all\nkeep-days = 7\nother = 2\n");
	assert_false(fx->loaded);
	snprintf(expected, sizeof(expected), "syntax error in file \"%s\" line 2", fx->path);
	assert_string_equal(fx->err.message, expected);
}

/* A line of about 700 bytes: a realistic libpq connection string or a long comment. */
static char *
long_text(void)
{
	static char text[1024];
	size_t len = 0;

	len += (size_t) snprintf(text, sizeof(text), "host=db.example.com");
	for (int i = 0; len < 700; i++)
		len += (size_t) snprintf(text + len, sizeof(text) - len, " options=-cx%02d=y", i);
	return text;
}

/*
 * A line longer than libinih's buffer (INI_MAX_LINE, 200 bytes in Debian's build) comes back
 * in pieces: only the piece that starts a line counts as a line, so a long comment is one
 * comment line, not fragments parsed as keys with wrong line numbers.
 */
static void
test_long_comment_line(void **state)
{
	Fixture *fx = *state;
	char text[2048];

	snprintf(text, sizeof(text), "[defaults]\n# %s\nkeep-days = 3\n", long_text());
	load(fx, text);
	if (!fx->loaded)
		fail_msg("a long comment line was rejected: %s", fx->err.message);
	assert_string_equal(fx->cfg.defaults.slot[OPT_KEEP_DAYS].value, "3");
}

/* The same for a long value: it loads whole or is rejected naming its line, never cut. */
static void
test_long_value_whole_or_rejected(void **state)
{
	Fixture *fx = *state;
	char text[2048];

	snprintf(text, sizeof(text), "[defaults]\ndsn = %s\nkeep-days = 3\n", long_text());
	load(fx, text);
	if (fx->loaded)
		assert_string_equal(fx->cfg.defaults.slot[OPT_DSN].value, long_text());
	else if (!strstr(fx->err.message, "line 2"))
		fail_msg("a long value gave an error for the wrong line: %s", fx->err.message);
}

static void
test_missing_file(void **state)
{
	Fixture *fx = *state;
	char path[512], expected[1024];

	snprintf(path, sizeof(path), "%s/does-not-exist.conf", tmpdir);
	fx->loaded = config_load(path, &fx->cfg, &fx->err);
	assert_false(fx->loaded);
	snprintf(expected, sizeof(expected),
			 "could not open config file \"%s\": No such file or directory", path);
	assert_string_equal(fx->err.message, expected);
	assert_int_equal(error_exit_status(fx->err.code), 2);
}

/* ---- what --config may name: only a regular file, of a sane size ---- */

static void
load_path(Fixture *fx, const char *path)
{
	fx->loaded = config_load(path, &fx->cfg, &fx->err);
}

static void
assert_read_refused(Fixture *fx, const char *path, const char *reason)
{
	char expected[1024];

	assert_false(fx->loaded);
	snprintf(expected, sizeof(expected), "could not read config file \"%s\": %s", path, reason);
	assert_string_equal(fx->err.message, expected);
	assert_int_equal(error_exit_status(fx->err.code), 2);
	assert_int_equal(fx->cfg.ntables, 0);
}

/* A directory opens for reading and used to read as an empty file (EISDIR went unnoticed). */
static void
test_config_directory_refused(void **state)
{
	Fixture *fx = *state;

	load_path(fx, tmpdir);
	assert_read_refused(fx, tmpdir, "Is a directory");
}

/* Reading /dev/zero never ended; any device is refused before the first read. */
static void
test_config_device_refused(void **state)
{
	Fixture *fx = *state;

	load_path(fx, "/dev/zero");
	assert_read_refused(fx, "/dev/zero", "not a regular file");
	assert_string_equal(fx->err.detail,
						"A config file must be a regular file, not a FIFO, a device or a socket.");
}

/* Opening a FIFO without a writer used to wait forever; this test would hang, not fail. */
static void
test_config_fifo_refused(void **state)
{
	Fixture *fx = *state;
	char path[512];

	snprintf(path, sizeof(path), "%s/fifo.conf", tmpdir);
	assert_int_equal(mkfifo(path, 0600), 0);
	load_path(fx, path);
	unlink(path);
	assert_read_refused(fx, path, "not a regular file");
}

static char *
file_of_size(size_t size)
{
	char *text = malloc(size + 1);

	assert_non_null(text);
	/* A valid file padded with comment lines ("#xxx...x\n", 64 bytes or what is left): only
	 * its size is wrong. */
	snprintf(text, size + 1, "[defaults]\nkeep-days = 3\n");
	for (size_t len = strlen(text); len < size; len += 64)
	{
		size_t n = size - len < 64 ? size - len : 64;
		memset(text + len, 'x', n);
		text[len] = '#';
		text[len + n - 1] = '\n';
	}
	text[size] = '\0';
	return text;
}

static void
test_config_size_limit(void **state)
{
	Fixture *fx = *state;
	char *at_limit = file_of_size(1024 * 1024);
	char *over = file_of_size(1024 * 1024 + 1);
	char expected[1024];

	load(fx, at_limit);
	if (!fx->loaded)
		fail_msg("a file of exactly 1MiB was refused: %s", fx->err.message);
	assert_string_equal(fx->cfg.defaults.slot[OPT_KEEP_DAYS].value, "3");
	config_free(&fx->cfg);
	unlink(fx->path);
	free(fx->path);
	load(fx, over);
	assert_false(fx->loaded);
	snprintf(expected, sizeof(expected), "config file \"%s\" is too large", fx->path);
	assert_string_equal(fx->err.message, expected);
	assert_string_equal(fx->err.detail, "A config file may hold at most 1MiB (1048576 bytes).");
	assert_int_equal(error_exit_status(fx->err.code), 2);
	free(at_limit);
	free(over);
}

/* ---- a key given twice; keys with underscores ---- */

static void
test_duplicate_key_names_both_lines(void **state)
{
	Fixture *fx = *state;
	char expected[1024];

	load(fx, "[defaults]\nkeep-days = 7\n[table events]\nkeep-days = 30\nwindow = 1h\n"
			 "keep-days = 3\n");
	assert_false(fx->loaded);
	snprintf(expected, sizeof(expected),
			 "parameter \"keep-days\" specified more than once in file \"%s\" line 6", fx->path);
	assert_string_equal(fx->err.message, expected);
	assert_string_equal(fx->err.detail, "Line 4 of the same section sets it too.");
	assert_string_equal(fx->err.hint, "Keep one of the two lines.");
	assert_int_equal(error_exit_status(fx->err.code), 2);
}

/* The two spellings of a key are one key. */
static void
test_duplicate_key_in_two_spellings(void **state)
{
	Fixture *fx = *state;
	char expected[1024];

	load(fx, "[defaults]\ntime_column = a\ntime-column = b\n");
	assert_false(fx->loaded);
	snprintf(expected, sizeof(expected),
			 "parameter \"time-column\" specified more than once in file \"%s\" line 3", fx->path);
	assert_string_equal(fx->err.message, expected);
	assert_string_equal(fx->err.detail, "Line 2 of the same section sets it too.");
}

/* The same key in [defaults] and in a [table] section is a policy, not a duplicate; a list
 * key (database, include, exclude) collects one value per line. */
static void
test_same_key_in_two_sections_and_list_keys(void **state)
{
	Fixture *fx = *state;

	load(fx, "[defaults]\nkeep-days = 7\ndatabase = a\ndatabase = b\n"
			 "[table events]\nkeep-days = 30\n");
	if (!fx->loaded)
		fail_msg("refused: %s", fx->err.message);
	const OptSlot *db = &fx->cfg.defaults.slot[OPT_DATABASE];
	assert_int_equal(db->list.count, 2);
	assert_string_equal(db->list.items[0], "a");
	assert_string_equal(db->list.items[1], "b");
	assert_string_equal(fx->cfg.tables[0].layer.slot[OPT_KEEP_DAYS].value, "30");
}

static void
test_underscore_keys(void **state)
{
	Fixture *fx = *state;
	char *argv[] = {"archive", NULL};
	char origin[512];
	Policy *p;
	int n;

	load(fx, "[defaults]\ndest = file:///a\nmax_rows_per_txn = 5000\nlock_timeout = 2s\n"
			 "[table events]\ntime_column = ts\nkeep_days = 9\n");
	if (!fx->loaded)
		fail_msg("underscore keys refused: %s", fx->err.message);
	assert_true(parse_cli(fx, argv));
	assert_true(policies_resolve(&fx->cli, &fx->cfg, CMD_ARCHIVE, &p, &n, &fx->err));
	assert_int_equal(n, 1);
	assert_string_equal(p[0].time_column, "ts");
	assert_int_equal(p[0].keep_days, 9);
	assert_true(p[0].max_rows_per_txn == 5000);
	policies_free(p, n);
	/* Origins, and so messages, name the key by its canonical spelling. */
	snprintf(origin, sizeof(origin), "parameter \"keep-days\" in file \"%s\" line 7", fx->path);
	assert_string_equal(fx->cfg.tables[0].layer.slot[OPT_KEEP_DAYS].origin, origin);
}

static void
test_underscore_key_bad_value_named_canonically(void **state)
{
	Fixture *fx = *state;
	char *argv[] = {"archive", NULL};
	char expected[1024];
	Settings s;

	load(fx, "[defaults]\nlock_timeout = soon\n");
	assert_true(fx->loaded);
	assert_true(parse_cli(fx, argv));
	assert_false(settings_resolve(&fx->cli, &fx->cfg, CMD_ARCHIVE, &s, &fx->err));
	settings_free(&s);
	snprintf(expected, sizeof(expected),
			 "invalid value \"soon\" for parameter \"lock-timeout\" in file \"%s\" line 2",
			 fx->path);
	assert_string_equal(fx->err.message, expected);
}

/* ---- bytes from the file are escaped in messages ---- */

static void
test_control_bytes_escaped_in_key(void **state)
{
	Fixture *fx = *state;

	load(fx, "[defaults]\nkeep\x1b[2Jdays = 1\n");
	assert_false(fx->loaded);
	assert_string_equal(fx->err.message, unrecognized_msg("keep\\x1b[2Jdays", fx->path, 2));
}

static void
test_control_bytes_escaped_in_value_and_section(void **state)
{
	Fixture *fx = *state;
	char *argv[] = {"archive", NULL};
	char expected[1024];
	Policy *p;
	int n;

	load(fx, "[table events]\ntime-column = ts\ndest = file:///a\nwindow = 1h\x07\xff\n");
	assert_true(fx->loaded);
	assert_true(parse_cli(fx, argv));
	assert_false(policies_resolve(&fx->cli, &fx->cfg, CMD_ARCHIVE, &p, &n, &fx->err));
	snprintf(expected, sizeof(expected),
			 "invalid window \"1h\\x07\\xff\" for parameter \"window\" in file \"%s\" line 4",
			 fx->path);
	assert_string_equal(fx->err.message, expected);
	config_free(&fx->cfg);
	unlink(fx->path);
	free(fx->path);
	load(fx, "[defaults\r]\n");
	assert_false(fx->loaded);
	snprintf(expected, sizeof(expected),
			 "invalid section \"[defaults\\x0d]\" in file \"%s\" line 1", fx->path);
	assert_string_equal(fx->err.message, expected);
}

/* ---- compression levels ---- */

static void
check_no_level(Fixture *fx, char **argv, const char *method)
{
	char detail[128];
	Policy *p;
	int n;

	assert_true(parse_cli(fx, argv));
	assert_false(policies_resolve(&fx->cli, NULL, CMD_ARCHIVE, &p, &n, &fx->err));
	assert_string_equal(fx->err.message, "invalid value \"5\" for option --compress-level");
	snprintf(detail, sizeof(detail), "Compression method \"%s\" takes no level.", method);
	assert_string_equal(fx->err.detail, detail);
	assert_string_equal(fx->err.hint,
						"Remove the level, or choose a method that has levels (zstd or gzip).");
	opt_layer_free(&fx->cli);
}

/* "Use a whole number from 0 to 0" was the only answer for a method without levels. */
static void
test_method_without_levels_refuses_a_level(void **state)
{
	Fixture *fx = *state;
	char *none[] = {"archive",   "-t", "e",    "--time-column",    "ts", "--dest",
					"file:///a", "-Z", "none", "--compress-level", "5",  NULL};
	char *snappy[] = {
		"archive", "-t", "e",      "--time-column",    "ts", "--dest", "file:///a", "-F",
		"parquet", "-Z", "snappy", "--compress-level", "5",  NULL};
	char *pq_none[] = {
		"archive", "-t", "e",    "--time-column",    "ts", "--dest", "file:///a", "-F",
		"parquet", "-Z", "none", "--compress-level", "5",  NULL};

	check_no_level(fx, none, "none");
	check_no_level(fx, snappy, "snappy");
	check_no_level(fx, pq_none, "none");
}

static void
test_no_table_given(void **state)
{
	Fixture *fx = *state;
	char *argv[] = {"archive", NULL};
	Policy *p;
	int n;

	assert_true(parse_cli(fx, argv));
	assert_false(policies_resolve(&fx->cli, NULL, CMD_ARCHIVE, &p, &n, &fx->err));
	assert_string_equal(fx->err.message, "no table given");
	assert_int_equal(fx->err.code, EBB_ERR_USAGE);
}

static void
test_missing_required_key(void **state)
{
	Fixture *fx = *state;
	char *argv[] = {"archive", "--table", "analytics.events", "--dest", "file:///a", NULL};
	Policy *p;
	int n;

	assert_true(parse_cli(fx, argv));
	assert_false(policies_resolve(&fx->cli, NULL, CMD_ARCHIVE, &p, &n, &fx->err));
	assert_string_equal(fx->err.message, "no time-column given for table \"analytics.events\"");
	assert_string_equal(fx->err.hint, "Use --time-column, or \"time-column\" in the table's "
									  "section of the config file.");
}

/* verify reads the time column from the ledger: --table alone is a policy, --dest optional. */
static void
test_verify_needs_no_time_column(void **state)
{
	Fixture *fx = *state;
	char *argv[] = {"verify", "--table", "analytics.events", "--gc", "--older-than", "1ms", NULL};
	Settings s;
	Policy *p;
	int n;

	assert_true(
		options_parse_argv(CMD_VERIFY, "verify", 6, argv, &fx->cli, &fx->positional, &fx->err));
	assert_true(policies_resolve(&fx->cli, NULL, CMD_VERIFY, &p, &n, &fx->err));
	assert_int_equal(n, 1);
	assert_null(p[0].time_column);
	assert_null(p[0].dest);
	policies_free(p, n);
	assert_true(settings_resolve(&fx->cli, NULL, CMD_VERIFY, &s, &fx->err));
	assert_true(s.gc);
	assert_int_equal(s.older_than_ms, 1);
	assert_null(s.from);
	settings_free(&s);
}

static void
test_invalid_section_table_name(void **state)
{
	Fixture *fx = *state;
	char *argv[] = {"archive", NULL};
	char expected[1024];
	Policy *p;
	int n;

	load(fx, "[table a.b.c]\ntime-column = ts\ndest = file:///a\n");
	assert_true(fx->loaded);
	assert_true(parse_cli(fx, argv));
	assert_false(policies_resolve(&fx->cli, &fx->cfg, CMD_ARCHIVE, &p, &n, &fx->err));
	snprintf(expected, sizeof(expected), "in file \"%s\": invalid table name \"a.b.c\"", fx->path);
	assert_string_equal(fx->err.message, expected);
}

/* ---- qualified names ---- */

static void
check_name(const char *text, const char *schema, const char *table)
{
	char *s = NULL, *t = NULL;
	EbbError err;

	error_init(&err);
	if (!config_parse_qualified_name(text, &s, &t, &err))
		fail_msg("%s rejected: %s", text, err.message);
	assert_string_equal(s, schema);
	assert_string_equal(t, table);
	free(s);
	free(t);
}

static void
test_qualified_names(void **state)
{
	check_name("analytics.events", "analytics", "events");
	check_name("events", "public", "events");
	check_name("analytics.\"we\"\"ird\"", "analytics", "we\"ird");
	check_name("\"a.b\".\"c.d\"", "a.b", "c.d");
	check_name("Events", "public", "Events"); /* exact names: case kept */
	check_name("\"Mixed Case\".t", "Mixed Case", "t");
	check_name("\"events.v2\"", "public", "events.v2");
}

static void
check_bad_name(const char *text)
{
	char *s = NULL, *t = NULL;
	EbbError err;
	char expected[256];

	error_init(&err);
	if (config_parse_qualified_name(text, &s, &t, &err))
		fail_msg("%s accepted as %s . %s", text, s, t);
	snprintf(expected, sizeof(expected), "invalid table name \"%s\"", text);
	assert_string_equal(err.message, expected);
	assert_int_equal(err.code, EBB_ERR_USAGE);
	assert_null(s);
	assert_null(t);
}

static void
test_qualified_names_invalid(void **state)
{
	check_bad_name("a.");
	check_bad_name(".b");
	check_bad_name("\"unterminated");
	check_bad_name("a.\"unterminated");
	check_bad_name("a.b.c");
	check_bad_name("");
	check_bad_name("\"\"");
	check_bad_name("\"a\"b");
}

#define FX_TEST(f) cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		FX_TEST(test_valid_file_sections),
		FX_TEST(test_policies_without_cli_overrides),
		FX_TEST(test_cli_wins_over_table_and_defaults),
		FX_TEST(test_cli_table_selects_one_section),
		FX_TEST(test_same_table_name_in_two_schemas),
		FX_TEST(test_settings_precedence),
		FX_TEST(test_builtin_defaults_without_file),
		FX_TEST(test_unknown_key),
		FX_TEST(test_key_not_allowed_in_table_section),
		FX_TEST(test_cli_only_key_not_allowed_in_defaults),
		FX_TEST(test_bad_section_name),
		FX_TEST(test_table_section_without_name),
		FX_TEST(test_key_before_any_section),
		FX_TEST(test_bad_int_value_names_file_and_line),
		FX_TEST(test_out_of_range_int_value),
		FX_TEST(test_bad_window_value),
		FX_TEST(test_syntax_error),
		FX_TEST(test_first_error_reported),
		FX_TEST(test_first_error_reported_syntax_then_key),
		FX_TEST(test_long_comment_line),
		FX_TEST(test_long_value_whole_or_rejected),
		FX_TEST(test_missing_file),
		FX_TEST(test_config_directory_refused),
		FX_TEST(test_config_device_refused),
		FX_TEST(test_config_fifo_refused),
		FX_TEST(test_config_size_limit),
		FX_TEST(test_duplicate_key_names_both_lines),
		FX_TEST(test_duplicate_key_in_two_spellings),
		FX_TEST(test_same_key_in_two_sections_and_list_keys),
		FX_TEST(test_underscore_keys),
		FX_TEST(test_underscore_key_bad_value_named_canonically),
		FX_TEST(test_control_bytes_escaped_in_key),
		FX_TEST(test_control_bytes_escaped_in_value_and_section),
		FX_TEST(test_method_without_levels_refuses_a_level),
		FX_TEST(test_no_table_given),
		FX_TEST(test_missing_required_key),
		FX_TEST(test_verify_needs_no_time_column),
		FX_TEST(test_invalid_section_table_name),
		cmocka_unit_test(test_qualified_names),
		cmocka_unit_test(test_qualified_names_invalid),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
