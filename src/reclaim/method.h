/*
 * method.h: the interface every reclaim method implements (vacuum.c: vacuum and full;
 * repack.c: online). reclaim.c measures the table around run(); a method reads the table
 * through the ReclaimTarget and fills only skip or err of the result.
 */
#ifndef EBB_RECLAIM_METHOD_H
#define EBB_RECLAIM_METHOD_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "reclaim/reclaim.h"

typedef struct ReclaimTarget
{
	const char *schema, *table;
	const char *quoted; /* "schema"."table" */
	char oid_text[16];
	char relkind; /* 'r', or 'p' for a partitioned table */
} ReclaimTarget;

typedef struct ReclaimMethod
{
	ReclaimMode mode;
	/* Can it run now (extension, program, window, keys)? False with r->err for a failure;
	 * true with r->skipped set when it should not run now. */
	bool (*ready)(PGconn *conn, const ReclaimOptions *o, const ReclaimTarget *t, ReclaimResult *r);
	bool (*run)(PGconn *conn, const ReclaimOptions *o, const ReclaimTarget *t, ReclaimResult *r);
} ReclaimMethod;

#endif
