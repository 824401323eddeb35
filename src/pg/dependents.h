/*
 * dependents.h: what else a DELETE on a table touches, read from the catalog: foreign keys
 * that reference it (or any of its partitions) and their ON DELETE action, DELETE triggers and
 * DELETE rules on it (or its partitions), and old-style inheritance children. The caller owns
 * the PgTableDependents and frees it with pg_dependents_free(). Names are regclass text
 * (schema-qualified, quoted where PostgreSQL needs it); deciding what is safe is archive's.
 */
#ifndef EBB_PG_DEPENDENTS_H
#define EBB_PG_DEPENDENTS_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

/* pg_constraint.confdeltype */
#define PG_FK_NO_ACTION   'a'
#define PG_FK_RESTRICT    'r'
#define PG_FK_CASCADE     'c'
#define PG_FK_SET_NULL    'n'
#define PG_FK_SET_DEFAULT 'd'

typedef struct PgDependent
{
	char *name;     /* constraint, trigger or rule name; the child's name for children */
	char *relation; /* the referencing table (foreign keys) or the relation it is on */
	char action;    /* foreign keys: confdeltype */
} PgDependent;

typedef struct PgDependentList
{
	PgDependent *items;
	int count;
} PgDependentList;

typedef struct PgTableDependents
{
	PgDependentList foreign_keys;       /* referencing the table or a partition of it */
	PgDependentList triggers;           /* enabled, user-defined, firing on DELETE */
	PgDependentList rules;              /* enabled rules ON DELETE */
	PgDependentList children;           /* inheritance children that are not partitions */
	PgDependentList foreign_partitions; /* foreign tables in its partition tree */
} PgTableDependents;

bool pg_dependents(PGconn *conn, uint32_t oid, PgTableDependents *out, EbbError *err);
void pg_dependents_free(PgTableDependents *d);

/*
 * A query (one row, one md5 text) fingerprinting what the archive relies on for relation `rel`
 * (a quoted qualified name, resolved now: a table swapped in under the name differs): its
 * columns, by name, with types, typmods and generation; and when `whole`, its oid and every
 * dependent above of the table whose oid is `oid`. Taken when the checks pass, and again in each
 * transaction once the relation is locked: equal fingerprints, the checks still hold.
 */
void pg_digest_sql(const char *rel, uint32_t oid, bool whole, Buf *sql);

/* "CASCADE", "SET NULL", ... for a confdeltype. */
const char *pg_fk_action_name(char action);

#endif
