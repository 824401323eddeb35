#include "archive/plan.h"

#include "common/time.h"

TimeRange
archive_window_for(int64_t ts, int64_t width, int64_t cutoff)
{
	TimeRange w;

	w.start = time_floor(ts, width);
	w.end = w.start + width;
	if (w.end > cutoff)
		w.end = cutoff;
	return w;
}

void
archive_planner_init(WindowPlanner *pl, const WindowProbe *probe, int64_t width, int64_t cutoff,
					 int64_t max_rows)
{
	pl->probe = probe;
	pl->width = width;
	pl->cutoff = cutoff;
	pl->max_rows = max_rows;
	pl->cursor = TIME_UNBOUNDED;
	pl->in_window = false;
	pl->started = false;
}

/* Moves to the window of the next row at or after the cursor, skipping empty stretches. */
static bool
planner_enter_window(WindowPlanner *pl, bool *done, EbbError *err)
{
	bool found;
	int64_t ts;

	if (pl->started && pl->cursor >= pl->cutoff)
		return (*done = true);
	if (!pl->probe->first(pl->probe->ctx, pl->cursor, pl->cutoff, &found, &ts, err))
		return false;
	pl->started = true;
	if (!found)
		return (*done = true);
	if (ts == TIME_NEG_INFINITY)
	{
		pl->window.start = pl->window.end = TIME_NEG_INFINITY;
		pl->in_window = true;
		return true;
	}
	pl->window = archive_window_for(ts, pl->width, pl->cutoff);
	/* The first piece starts at the window's start, or where the last one ended if later. */
	if (pl->cursor < pl->window.start)
		pl->cursor = pl->window.start;
	pl->in_window = true;
	return true;
}

bool
archive_planner_next(WindowPlanner *pl, bool *done, TimeRange *piece, TimeRange *window,
					 bool *oversize, EbbError *err)
{
	bool found;
	int64_t ts;

	*done = false;
	*oversize = false;
	if (!pl->in_window)
	{
		if (!planner_enter_window(pl, done, err))
			return false;
		if (*done)
			return true;
	}
	*window = pl->window;
	if (range_is_neg_infinity(pl->window))
	{
		*piece = pl->window;
		pl->cursor = TIME_AFTER_NEG_INFINITY;
		pl->in_window = false;
		return true;
	}
	piece->start = pl->cursor;
	if (!pl->probe->nth(pl->probe->ctx, pl->cursor, pl->window.end, pl->max_rows, &found, &ts, err))
		return false;
	if (!found)
		piece->end = pl->window.end; /* the rest of the window fits */
	else if (ts > pl->cursor)
		piece->end = ts; /* [cursor, ts) holds at most max_rows rows */
	else
	{
		/* More than max_rows rows at exactly `cursor`: one microsecond cannot be split. */
		piece->end = pl->cursor + 1;
		*oversize = true;
	}
	pl->cursor = piece->end;
	if (pl->cursor >= pl->window.end)
		pl->in_window = false;
	return true;
}
