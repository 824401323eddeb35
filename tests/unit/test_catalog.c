/*
 * test_catalog.c: catalog/migrations.c. The migrations are numbered 1..CATALOG_VERSION in
 * order (catalog.c applies those above the version it reads, by position), and migration 1
 * is idempotent statement by statement: it runs over tables that an ebb from before schema
 * versions made, so every CREATE and ADD COLUMN in it must say IF NOT EXISTS.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"
#include "catalog/migrations.h"

static void
test_migrations_are_numbered_in_order(void **state)
{
	int n;
	const CatalogMigration *m = catalog_migrations(&n);

	assert_int_equal(n, CATALOG_VERSION);
	for (int i = 0; i < n; i++)
	{
		assert_int_equal(m[i].version, i + 1);
		assert_true(m[i].summary && *m[i].summary);
		assert_true(m[i].sql && *m[i].sql);
	}
}

/* Every occurrence of `what` in sql is followed by " IF NOT EXISTS"; returns how many. */
static int
count_guarded(const char *sql, const char *what)
{
	int found = 0;

	for (const char *p = strstr(sql, what); p; p = strstr(p + 1, what))
	{
		if (strncmp(p + strlen(what), " IF NOT EXISTS", 14) != 0)
			fail_msg("\"%s\" without IF NOT EXISTS at: %.60s", what, p);
		found++;
	}
	return found;
}

static void
test_migration_1_is_idempotent(void **state)
{
	int n;
	const char *sql = catalog_migrations(&n)[0].sql;

	assert_int_equal(count_guarded(sql, "CREATE SCHEMA"), 1);
	assert_int_equal(count_guarded(sql, "CREATE TABLE"), 3); /* ledger, runs, version */
	assert_int_equal(count_guarded(sql, "CREATE INDEX"), 1);
	assert_int_equal(count_guarded(sql, "ADD COLUMN"), 5); /* the partition columns */
	assert_null(strstr(sql, "DROP "));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrations_are_numbered_in_order),
		cmocka_unit_test(test_migration_1_is_idempotent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
