/*
 * migrations.h: the numbered migrations of ebb's tables, oldest first. Migration n brings the
 * schema from version n-1 to n; catalog.c applies the due ones in one transaction and records
 * each in ebb.schema_version. A migration is never edited once released: a change is a new one.
 */
#ifndef EBB_CATALOG_MIGRATIONS_H
#define EBB_CATALOG_MIGRATIONS_H

typedef struct CatalogMigration
{
	int version;
	const char *summary; /* recorded in ebb.schema_version */
	const char *sql;     /* one or more statements, run inside the migration's transaction */
} CatalogMigration;

/* The migrations, numbered 1..*count in order; *count is CATALOG_VERSION. */
const CatalogMigration *catalog_migrations(int *count);

#endif
