/*
 * throttle.h: back-pressure, between windows, each part off unless its policy key is set:
 *   max_replica_lag        pause while a standby has more WAL than this not replayed
 *                          (pg_stat_replication's replay_lsn; a standby not connected is not
 *                          seen), polling each second
 *   max_wal_rate           sleep so that the server's WAL written since the table's run
 *                          began, over the time since, stays under the rate (each sleep at
 *                          most a minute: a workload that alone writes more still lets
 *                          windows through, slowly)
 *   max_lock_waiters       after a window at whose end (before COMMIT) more than N sessions
 *                          waited on its locks, pause 1s, doubling to 30s while it goes on
 *   pause_between_windows  sleep after each window that archived rows
 * No pause holds a transaction open: each runs before a window's BEGIN (after the COMMIT of
 * the one before; none after the last window), with only the session's advisory lock on the
 * table held, as between any windows.
 */
#ifndef EBB_ARCHIVE_THROTTLE_H
#define EBB_ARCHIVE_THROTTLE_H

#include <stdbool.h>

#include "archive/target.h"

/* Reads the WAL position the rate is measured from (with max_wal_rate). */
bool archive_throttle_begin(ArchiveTarget *t, EbbError *err);

/* In the window's transaction, before COMMIT (with max_lock_waiters): how many sessions wait
 * on its locks. A failure is the window's. */
bool archive_throttle_measure(ArchiveTarget *t, EbbError *err);

/* Before a window (rows: what the window before archived, 0 for the first): the pauses the
 * policy asks for; false when the server could not be asked or a signal came. */
bool archive_throttle_wait(ArchiveTarget *t, uint64_t rows, EbbError *err);

#endif
