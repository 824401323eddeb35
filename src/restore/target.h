/*
 * target.h: the table rows are restored into, and how an object's columns map onto it. Columns
 * match by name: an object column the target lacks is an error unless --ignore-columns names
 * it; a target column the object lacks gets its default; generated columns are computed.
 */
#ifndef EBB_RESTORE_TARGET_H
#define EBB_RESTORE_TARGET_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

typedef struct RestoreColumn
{
	char *name;
	char *type;     /* format_type() */
	bool generated; /* stored generated: never inserted */
	bool identity_always;
	bool key;       /* part of the conflict key */
	char *sequence; /* its owned sequence (serial, identity), or NULL */
} RestoreColumn;

typedef struct RestoreTarget
{
	char *schema;
	char *table;
	uint32_t oid;
	char relkind;
	Buf qualified; /* quoted schema.table */
	int ncolumns;
	RestoreColumn *columns;
	int nkey; /* columns of the conflict key: --key, else the primary key; 0: none */
} RestoreTarget;

/* key: --key as given (comma-separated names) or NULL for the primary key. Fails with
 * EBB_ERR_CONFIG when the table or a key column does not exist. */
bool restore_target_load(PGconn *conn, const char *schema, const char *table, const char *key,
						 RestoreTarget *t, EbbError *err);
void restore_target_free(RestoreTarget *t);
const RestoreColumn *restore_target_column(const RestoreTarget *t, const char *name);
/* Is there a unique index (or constraint) on exactly the key's columns, as ON CONFLICT needs? */
bool restore_target_key_unique(PGconn *conn, const RestoreTarget *t, bool *unique, EbbError *err);
/* Moves each owned sequence past the largest value its column now holds (as pg_dump does), so
 * that the table's next inserts do not collide with restored rows. */
bool restore_target_sync_sequences(PGconn *conn, const RestoreTarget *t, EbbError *err);

#endif
