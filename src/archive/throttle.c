/* throttle.c: see throttle.h. */
#include "archive/throttle.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cancel.h"
#include "common/log.h"
#include "common/retry.h"
#include "common/text.h"
#include "common/time.h"

#define REPLICA_POLL_MS  1000
#define WAL_PAUSE_CAP_MS (60 * 1000)
#define WAITER_BASE_MS   1000
#define WAITER_CAP_MS    (30 * 1000)

/* Sleeps ms, counted as paused; false when a signal came. */
static bool
pause_ms(ArchiveTarget *t, int64_t ms, EbbError *err)
{
	double start = time_monotonic_s();

	for (int64_t left = ms; left > 0 && !cancel_requested; left -= 100)
		retry_sleep_ms(left < 100 ? left : 100);
	t->throttle.paused_us += (int64_t) ((time_monotonic_s() - start) * 1e6);
	if (cancel_requested)
		return error_set(err, EBB_ERR_CANCELED, "canceled by a signal");
	return true;
}

static bool
query_int64(ArchiveTarget *t, const char *sql, int nparams, const char *const *params, int64_t *out,
			bool *null, EbbError *err)
{
	PGresult *res;

	if (!pg_query(t->conn, sql, nparams, params, &res, err))
		return false;
	*null = PQgetisnull(res, 0, 0);
	*out = *null ? 0 : strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return true;
}

bool
archive_throttle_begin(ArchiveTarget *t, EbbError *err)
{
	PGresult *res;

	if (t->policy->max_wal_rate <= 0)
		return true;
	if (!pg_query(t->conn, "SELECT pg_catalog.pg_current_wal_lsn()", 0, NULL, &res, err))
		return false;
	snprintf(t->throttle.start_lsn, sizeof(t->throttle.start_lsn), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	t->throttle.start_s = time_monotonic_s();
	t->throttle.wal_started = true;
	return true;
}

bool
archive_throttle_measure(ArchiveTarget *t, EbbError *err)
{
	int64_t n;
	bool null;

	if (t->policy->max_lock_waiters < 0)
		return true;
	if (!query_int64(t,
					 "SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE"
					 " pg_catalog.pg_backend_pid() = ANY (pg_catalog.pg_blocking_pids(pid))",
					 0, NULL, &n, &null, err))
		return false;
	t->throttle.waiters = (int) n;
	return true;
}

/* The most WAL any connected standby has not replayed; NULL replay positions (a role that
 * may not read them) are an error, not "no lag". */
static bool
replica_lag(ArchiveTarget *t, int64_t *lag, EbbError *err)
{
	int64_t hidden;
	bool null;

	if (!query_int64(t,
					 /* A role that may not read them sees state NULL too. */
					 "SELECT count(*) FILTER (WHERE state IS NULL OR (replay_lsn IS NULL AND"
					 " state = 'streaming')) FROM pg_catalog.pg_stat_replication",
					 0, NULL, &hidden, &null, err))
		return false;
	if (hidden > 0)
	{
		error_set(err, EBB_ERR_QUERY,
				  "could not read the replay position of %" PRId64 " standby%s for max-replica-lag",
				  hidden, hidden == 1 ? "" : "s");
		error_hint(err, "Grant the role pg_read_all_stats (or pg_monitor): pg_stat_replication "
						"shows replay positions only to it and to superusers.");
		return false;
	}
	return query_int64(t,
					   "SELECT max(pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(),"
					   " replay_lsn))::bigint FROM pg_catalog.pg_stat_replication",
					   0, NULL, lag, &null, err);
}

static bool
wait_for_replicas(ArchiveTarget *t, EbbError *err)
{
	int64_t lag, limit = t->policy->max_replica_lag;
	bool said = false;

	for (;;)
	{
		if (!replica_lag(t, &lag, err))
			return false;
		if (lag <= limit)
			break;
		if (!said)
			log_info("pausing: a standby has %" PRId64 " bytes of WAL not replayed (limit %" PRId64
					 ")",
					 lag, limit);
		said = true;
		if (!pause_ms(t, REPLICA_POLL_MS, err))
			return false;
	}
	if (said)
		log_info("resuming: standbys are within %" PRId64 " bytes of WAL", limit);
	return true;
}

/* The time the WAL written since the start needs at the rate, minus the time that passed. */
static bool
wait_for_wal_rate(ArchiveTarget *t, EbbError *err)
{
	const char *params[] = {t->throttle.start_lsn};
	int64_t bytes;
	bool null;

	if (!t->throttle.wal_started)
		return true;
	if (!query_int64(t,
					 "SELECT pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(),"
					 " $1::pg_catalog.pg_lsn)::bigint",
					 1, params, &bytes, &null, err))
		return false;
	double due = (double) bytes / (double) t->policy->max_wal_rate;
	double ahead = due - (time_monotonic_s() - t->throttle.start_s);
	if (ahead <= 0)
		return true;
	int64_t ms = (int64_t) (ahead * 1000) + 1;
	if (ms > WAL_PAUSE_CAP_MS)
		ms = WAL_PAUSE_CAP_MS;
	log_debug("pausing %" PRId64 " ms: %" PRId64 " bytes of WAL since the start, limit %" PRId64
			  " bytes/s",
			  ms, bytes, t->policy->max_wal_rate);
	return pause_ms(t, ms, err);
}

static bool
wait_for_waiters(ArchiveTarget *t, EbbError *err)
{
	if (t->policy->max_lock_waiters < 0 || t->throttle.waiters <= t->policy->max_lock_waiters)
	{
		t->throttle.waiter_pauses = 0;
		return true;
	}
	int attempt = t->throttle.waiter_pauses++;
	int64_t ms = WAITER_BASE_MS << (attempt < 5 ? attempt : 5);
	if (ms > WAITER_CAP_MS)
		ms = WAITER_CAP_MS;
	log_info("pausing %" PRId64 " ms: %d session%s waited on the last window's locks (limit %d)",
			 ms, t->throttle.waiters, t->throttle.waiters == 1 ? "" : "s",
			 t->policy->max_lock_waiters);
	t->throttle.waiters = 0;
	return pause_ms(t, ms, err);
}

bool
archive_throttle_wait(ArchiveTarget *t, uint64_t rows, EbbError *err)
{
	const Policy *p = t->policy;

	if (rows > 0 && p->pause_between_ms > 0 && !pause_ms(t, p->pause_between_ms, err))
		return false;
	return wait_for_waiters(t, err) && (p->max_wal_rate <= 0 || wait_for_wal_rate(t, err)) &&
		   (p->max_replica_lag <= 0 || wait_for_replicas(t, err));
}
