/*
 * plan.h: the window planner. Windows are aligned ranges [k*width, (k+1)*width) of the time
 * column (UTC for timestamptz, naive wall-clock for timestamp), the last one clipped at the
 * cutoff. Empty stretches are skipped by asking the probe for the next row (an index probe),
 * and a window holding more than max_rows rows is split at row boundaries into pieces.
 * The planner is pure logic over a WindowProbe, so unit tests drive it with plain arrays.
 */
#ifndef EBB_ARCHIVE_PLAN_H
#define EBB_ARCHIVE_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

/* A lower bound of TIME_UNBOUNDED takes every row, -infinity included; TIME_AFTER_NEG_INFINITY
 * takes every row but -infinity ones. Rows at -infinity (older than any cutoff) are one piece
 * of their own, {TIME_NEG_INFINITY, TIME_NEG_INFINITY}, planned before the finite ones. */
#define TIME_UNBOUNDED          INT64_MIN
#define TIME_AFTER_NEG_INFINITY (INT64_MIN + 1)

typedef struct TimeRange
{
	int64_t start;
	int64_t end; /* exclusive */
} TimeRange;

typedef struct WindowProbe
{
	void *ctx;
	/* The smallest time in [from, to) (from may be TIME_UNBOUNDED). */
	bool (*first)(void *ctx, int64_t from, int64_t to, bool *found, int64_t *ts, EbbError *err);
	/* The time of the row at 0-based position n in [from, to) ordered by time. */
	bool (*nth)(void *ctx, int64_t from, int64_t to, int64_t n, bool *found, int64_t *ts,
				EbbError *err);
} WindowProbe;

typedef struct WindowPlanner
{
	const WindowProbe *probe;
	int64_t width;
	int64_t cutoff;
	int64_t max_rows;
	int64_t cursor; /* next piece starts here */
	TimeRange window;
	bool in_window;
	bool started;
} WindowPlanner;

void archive_planner_init(WindowPlanner *pl, const WindowProbe *probe, int64_t width,
						  int64_t cutoff, int64_t max_rows);

/*
 * The next piece to archive and the window it belongs to. *oversize is set when more than
 * max_rows rows share one timestamp, so that the piece cannot be split further.
 */
bool archive_planner_next(WindowPlanner *pl, bool *done, TimeRange *piece, TimeRange *window,
						  bool *oversize, EbbError *err);

static inline bool
range_is_neg_infinity(TimeRange r)
{
	return r.start == INT64_MIN && r.end == INT64_MIN;
}

/* The aligned window holding ts, clipped at cutoff. */
TimeRange archive_window_for(int64_t ts, int64_t width, int64_t cutoff);

#endif
