/*
 * build.h: an index built (or dropped) online: CREATE INDEX CONCURRENTLY and DROP INDEX
 * CONCURRENTLY under the session's lock_timeout, so that the build gives up instead of
 * queueing writers behind it. A build that fails (a lock timeout while it waits for older
 * transactions, a cancel) leaves an INVALID index: it is dropped CONCURRENTLY at once, and the
 * build tried again after a backoff, up to --index-retries times. While it runs, a second
 * session reads pg_stat_progress_create_index for the caller's progress callback.
 */
#ifndef EBB_DOCTOR_BUILD_H
#define EBB_DOCTOR_BUILD_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "common/error.h"
#include "doctor/doctor.h"

typedef struct DoctorBuild
{
	PGconn *conn;
	const char *dsn;
	const char *dbname;
	const char *timezone;
	int retries;
	uint32_t table_oid;
	const DoctorReport *report;
} DoctorBuild;

/* Runs `create` (a CREATE INDEX CONCURRENTLY statement) for the index to be named `name`
 * (for messages). */
bool doctor_build_index(const DoctorBuild *b, const char *create, const char *name, EbbError *err);
/* DROP INDEX CONCURRENTLY IF EXISTS qualified. */
bool doctor_build_drop(const DoctorBuild *b, const char *qualified, EbbError *err);

#endif
