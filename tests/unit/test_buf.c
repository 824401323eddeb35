/* test_buf.c: common/buf.c, the growable buffer and string list every stage uses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

static void
test_append_and_cstr(void **state)
{
	Buf b;

	buf_init(&b);
	assert_string_equal(buf_cstr(&b), "");
	buf_append(&b, "ab\0cd", 5); /* binary-safe: len counts the NUL */
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "ab\0cd", 5);
	buf_reset(&b);
	buf_append_str(&b, "x");
	buf_append_char(&b, 'y');
	buf_printf(&b, "%d-%s", 42, "z");
	assert_string_equal(buf_cstr(&b), "xy42-z");
	assert_int_equal(b.len, 6);
	buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static void
test_growth_keeps_content(void **state)
{
	Buf b;

	buf_init(&b);
	for (int i = 0; i < 100000; i++)
		buf_append_char(&b, (char) ('a' + i % 26));
	assert_int_equal(b.len, 100000);
	assert_true(b.cap > b.len); /* room for the NUL of buf_cstr */
	for (int i = 0; i < 100000; i++)
		assert_int_equal(b.data[i], 'a' + i % 26);
	buf_free(&b);
}

static void
test_printf_long(void **state)
{
	Buf b;
	char big[5000];

	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_init(&b);
	buf_append_str(&b, "<");
	buf_printf(&b, "%s>", big);
	assert_int_equal(b.len, 1 + 4999 + 1);
	assert_int_equal(b.data[0], '<');
	assert_int_equal(b.data[5000], '>');
	buf_free(&b);
}

static void
test_strlist(void **state)
{
	StrList l = {0};
	char s[] = "mutable";

	for (int i = 0; i < 20; i++)
		strlist_add(&l, i % 2 ? "odd" : "even");
	strlist_add(&l, s);
	s[0] = 'M'; /* the list holds copies */
	assert_int_equal(l.count, 21);
	assert_string_equal(l.items[20], "mutable");
	assert_true(strlist_contains(&l, "odd"));
	assert_true(strlist_contains(&l, "mutable"));
	assert_false(strlist_contains(&l, "Mutable"));
	assert_false(strlist_contains(&l, "od"));
	strlist_clear(&l);
	assert_int_equal(l.count, 0);
	assert_false(strlist_contains(&l, "odd"));
}

static void
test_asprintf_and_strdup(void **state)
{
	char *a = ebb_asprintf("%s.%s", "analytics", "events");
	char *d = ebb_strdup("");

	assert_string_equal(a, "analytics.events");
	assert_string_equal(d, "");
	free(a);
	free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_cstr),     cmocka_unit_test(test_growth_keeps_content),
		cmocka_unit_test(test_printf_long),         cmocka_unit_test(test_strlist),
		cmocka_unit_test(test_asprintf_and_strdup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
