/* window.c: see window.h. */
#include "reclaim/window.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "pg/pg.h"

static bool
parse_clock(const char *text, int *minutes)
{
	if (!text || strlen(text) != 5 || text[2] != ':')
		return false;
	for (int i = 0; i < 5; i++)
		if (i != 2 && !isdigit((unsigned char) text[i]))
			return false;
	int h = (text[0] - '0') * 10 + (text[1] - '0'), m = (text[3] - '0') * 10 + (text[4] - '0');
	if (h > 24 || m > 59 || (h == 24 && m != 0))
		return false;
	*minutes = h * 60 + m;
	return true;
}

bool
reclaim_window_parse(const char *start, const char *end, ReclaimWindow *w, EbbError *err)
{
	memset(w, 0, sizeof(*w));
	if (!start && !end)
		return true;
	if (!start || !end)
	{
		error_set(err, EBB_ERR_USAGE, "option --%s requires --%s",
				  start ? "window-start" : "window-end", start ? "window-end" : "window-start");
		error_hint(err, "Give both ends of the maintenance window, such as --window-start 01:00 "
						"--window-end 05:00.");
		return false;
	}
	bool start_ok = parse_clock(start, &w->start_min);
	if (!start_ok || !parse_clock(end, &w->end_min))
	{
		error_set(err, EBB_ERR_USAGE, "invalid value \"%s\" for option --%s",
				  text_escape(start_ok ? end : start).s, start_ok ? "window-end" : "window-start");
		error_hint(err, "Use HH:MM on a 24-hour clock, such as 01:00 or 22:30.");
		return false;
	}
	/* 00:00 to 24:00: all day; otherwise 24:00 is midnight, the next day's 00:00. */
	w->all_day = w->end_min - w->start_min == 24 * 60;
	w->start_min %= 24 * 60;
	w->end_min %= 24 * 60;
	if (w->start_min == w->end_min && !w->all_day)
	{
		error_set(err, EBB_ERR_USAGE, "the maintenance window %s to %s is empty", start, end);
		error_hint(err, "A window spans from its start to its end, across midnight when the end "
						"comes first: 22:00 to 04:00.");
		return false;
	}
	snprintf(w->text, sizeof(w->text), "%02d:%02d-%02d:%02d", w->start_min / 60, w->start_min % 60,
			 w->end_min / 60, w->end_min % 60);
	w->set = true;
	return true;
}

bool
reclaim_window_contains(const ReclaimWindow *w, int minute)
{
	if (w->all_day)
		return true;
	if (w->start_min < w->end_min)
		return minute >= w->start_min && minute < w->end_min;
	return minute >= w->start_min || minute < w->end_min;
}

bool
reclaim_window_now(PGconn *conn, int *minute, char text[6], EbbError *err)
{
	PGresult *res;

	if (!pg_query(conn, "SELECT pg_catalog.to_char(pg_catalog.clock_timestamp(), 'HH24:MI')", 0,
				  NULL, &res, err))
		return false;
	snprintf(text, 6, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	int h = atoi(text), m = atoi(text + 3);
	*minute = h * 60 + m;
	return true;
}
