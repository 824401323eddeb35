/*
 * test_error.c: common/error.c. Exit statuses as DESIGN.md promises users: 0 done, 1 runtime
 * failure, 2 usage or config error, 3 busy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "common/error.h"

static void
test_exit_statuses(void **state)
{
	assert_int_equal(error_exit_status(EBB_OK), 0);
	assert_int_equal(error_exit_status(EBB_ERR_USAGE), 2);
	assert_int_equal(error_exit_status(EBB_ERR_CONFIG), 2);
	assert_int_equal(error_exit_status(EBB_ERR_BUSY), 3);
	assert_int_equal(error_exit_status(EBB_ERR_CONNECT), 1);
	assert_int_equal(error_exit_status(EBB_ERR_QUERY), 1);
	assert_int_equal(error_exit_status(EBB_ERR_IO), 1);
	assert_int_equal(error_exit_status(EBB_ERR_VERIFY), 1);
	assert_int_equal(error_exit_status(EBB_ERR_CANCELED), 1);
	assert_int_equal(error_exit_status(EBB_ERR_INTERNAL), 1);
}

static void
test_code_names(void **state)
{
	assert_string_equal(error_code_name(EBB_ERR_CONFIG), "config");
	assert_string_equal(error_code_name(EBB_ERR_BUSY), "busy");
	assert_string_equal(error_code_name(EBB_OK), "ok");
}

static void
test_set_clears_detail_and_hint(void **state)
{
	EbbError err;

	error_init(&err);
	assert_int_equal(err.code, EBB_OK);
	assert_string_equal(err.message, "");
	assert_false(error_set(&err, EBB_ERR_IO, "could not open file \"%s\": %s", "x", "gone"));
	error_detail(&err, "Detail %d.", 1);
	error_hint(&err, "Hint %d.", 2);
	assert_string_equal(err.message, "could not open file \"x\": gone");
	assert_string_equal(err.detail, "Detail 1.");
	assert_string_equal(err.hint, "Hint 2.");
	/* A new error does not inherit the old one's detail or hint. */
	error_set(&err, EBB_ERR_QUERY, "second");
	assert_int_equal(err.code, EBB_ERR_QUERY);
	assert_string_equal(err.detail, "");
	assert_string_equal(err.hint, "");
}

static void
test_prefix(void **state)
{
	EbbError err;

	error_init(&err);
	error_set(&err, EBB_ERR_QUERY, "relation \"t\" does not exist");
	error_hint(&err, "Check the name.");
	error_prefix(&err, "database \"%s\": ", "tenant_a");
	assert_string_equal(err.message, "database \"tenant_a\": relation \"t\" does not exist");
	assert_string_equal(err.hint, "Check the name.");
	assert_int_equal(err.code, EBB_ERR_QUERY);
}

static void
test_long_message_truncated_not_overflowed(void **state)
{
	EbbError err;
	char big[4096];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	error_init(&err);
	error_set(&err, EBB_ERR_IO, "%s", big);
	assert_int_equal(strlen(err.message), sizeof(err.message) - 1);
	error_prefix(&err, "p: ");
	assert_int_equal(strlen(err.message), sizeof(err.message) - 1);
	assert_memory_equal(err.message, "p: xxx", 6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_statuses),
		cmocka_unit_test(test_code_names),
		cmocka_unit_test(test_set_clears_detail_and_hint),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_long_message_truncated_not_overflowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
