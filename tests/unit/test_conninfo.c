/*
 * test_conninfo.c: pg/conninfo.c, the password scanner over libpq's connection-string and URI
 * syntax, and pg_check_dsn, which refuses a password given on the command line. libpq keeps
 * the last of repeated keys, so "password=hunter2 password=" passed its own check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "pg/conninfo.h"
#include "pg/pg.h"

/* Each sets a password (or the client key's passphrase) by libpq's rules. */
static const char *const with_password[] = {
	"host=h dbname=d password=hunter2 password=",
	"password=",
	"password=''",
	"password=hunter2 host=h",
	"host=h password = hunter2",
	"host=h\tpassword\t=\thunter2",
	"host=h\npassword\n=\nhunter2",
	"  password=x  ",
	"PASSWORD=x",
	"Password=x",
	"host='a b' password=x",
	"host='it\\'s' password=x",
	"host=a\\ b password=x",
	"application_name='a\\\\' password=x",
	"password='unterminated",
	"host=h password=x port",
	"sslpassword=x",
	"host=h sslpassword=",
	"postgresql://u:pw@h/d",
	"postgresql://u:@h/d",
	"postgresql://:pw@h",
	"postgresql://u:pw@",
	"postgres://u:pw@h",
	"postgresql://u:pw%zz@h/d",
	"postgresql://h/d?password=x",
	"postgresql://h/d?password=",
	"postgresql://h/d?sslmode=disable&password=",
	"postgresql://h/d?password=ab%zz",
	"postgresql://h/d?pass%77ord=x",
	"postgresql://h/d?%70%61%73%73%77%6F%72%64=x",
	"postgresql://h/d?%70%61%73%73%77%6f%72%64=x",
	"postgresql://h/d?PassWord=x",
	"postgresql://h?password=x",
	"postgresql://?password=x",
	"postgresql://u@h/d?password=x",
	"postgresql://h1:5432,h2:5433/d?password=x",
	"postgresql://[::1]:5432/d?password=x",
	"postgresql://h/d?sslpassword=x",
	"postgresql://h/d?a=1&&password=x",
	"postgresql://h/d?password=x=y",
};

/* None of these sets a password, though several mention one. */
static const char *const without_password[] = {
	"",
	"host=h dbname=d",
	"host=h dbname=password",
	"host=h application_name='password=x'",
	"host=h application_name='x password=y'",
	"host=h application_name=password\\ =x",
	"host=h options='-c password=x'",
	"host=h options='it\\'s password=x'",
	"passwords=x",
	"host=h password",
	"postgresql://u@h/d",
	"postgresql://h/d",
	"postgresql://h/d?application_name=password",
	"postgresql://h/d?application_name=a&sslmode=disable",
	"postgresql://h/d?pass%2577ord=x",
	"postgresql://h/d?pass%00word=x",
	"postgresql://h/d?pass%7word=x",
	"postgresql://h/pass:word",
	"postgresql://user%3Aname@h",
	"postgresql://h/d?password",
	"postgresql:/h?password=x", /* not a URI: key=value syntax, a syntax error for libpq */
};

static void
test_scanner_finds_every_password(void **state)
{
	for (size_t i = 0; i < sizeof(with_password) / sizeof(with_password[0]); i++)
		if (!pg_conninfo_has_password(with_password[i]))
			fail_msg("password not found in: %s", with_password[i]);
}

static void
test_scanner_no_false_alarm(void **state)
{
	for (size_t i = 0; i < sizeof(without_password) / sizeof(without_password[0]); i++)
		if (pg_conninfo_has_password(without_password[i]))
			fail_msg("password found in: %s", without_password[i]);
}

static void
assert_refused(const char *dsn)
{
	EbbError err;

	error_init(&err);
	if (pg_check_dsn(dsn, &err))
		fail_msg("accepted: %s", dsn);
	assert_string_equal(err.message,
						"the connection string given on the command line holds a password");
	assert_string_equal(err.detail, "Other users of this machine can read command lines.");
	assert_string_equal(err.hint, "Use PGPASSWORD, a password file (~/.pgpass or PGPASSFILE), "
								  "or the dsn parameter of the config file.");
	assert_int_equal(error_exit_status(err.code), 2);
	assert_null(strstr(err.message, "hunter2"));
}

/* Every string with a password is refused with the same message, never libpq's syntax error
 * (which could quote the password, e.g. "invalid percent-encoded token: "pw%zz""). */
static void
test_check_dsn_refuses_every_password(void **state)
{
	for (size_t i = 0; i < sizeof(with_password) / sizeof(with_password[0]); i++)
		assert_refused(with_password[i]);
}

static void
test_check_dsn_accepts_and_reports_syntax(void **state)
{
	EbbError err;

	error_init(&err);
	assert_true(pg_check_dsn(NULL, &err));
	assert_true(pg_check_dsn("host=h dbname=d application_name='password=x'", &err));
	assert_true(pg_check_dsn("postgresql://u@h/d?application_name=password", &err));
	assert_false(pg_check_dsn("host=x \x1b[31m", &err));
	/* libpq's message quotes argv: its bytes are escaped. */
	assert_string_equal(err.message, "invalid connection string: missing \"=\" after "
									 "\"\\x1b[31m\" in connection info string");
	assert_string_equal(err.hint, "Use a libpq key=value string or a postgresql:// URI.");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scanner_finds_every_password),
		cmocka_unit_test(test_scanner_no_false_alarm),
		cmocka_unit_test(test_check_dsn_refuses_every_password),
		cmocka_unit_test(test_check_dsn_accepts_and_reports_syntax),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
