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
	/* Before each attempt: is what the build is for there now (another session built it:
	 * *yes), or being built by another session (*pending: wait, do not build a second)?
	 * NULL: never asked. */
	bool (*satisfied)(void *arg, bool *yes, bool *pending, EbbError *err);
	void *satisfied_arg;
} DoctorBuild;

/* Runs `create` (CREATE INDEX CONCURRENTLY, or REINDEX INDEX CONCURRENTLY) for the index
 * `name` (for messages). INVALID indexes that another session is building are never dropped.
 * After a cancel, or a last attempt whose leftover cannot be dropped, err's detail names what
 * stays INVALID. */
bool doctor_build_index(const DoctorBuild *b, const char *create, const char *name, EbbError *err);
/* DROP INDEX CONCURRENTLY IF EXISTS qualified. */
bool doctor_build_drop(const DoctorBuild *b, const char *qualified, EbbError *err);

#endif
