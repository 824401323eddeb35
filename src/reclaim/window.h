/*
 * window.h: a daily maintenance window, "HH:MM" to "HH:MM" in the session's TimeZone (the
 * server's clock, --timezone's zone). A window whose end is before its start spans midnight
 * (22:00 to 04:00).
 */
#ifndef EBB_RECLAIM_WINDOW_H
#define EBB_RECLAIM_WINDOW_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "common/error.h"

typedef struct ReclaimWindow
{
	bool set;
	int start_min, end_min; /* minutes after midnight */
	bool all_day;           /* 00:00 to 24:00 */
	char text[16];          /* "HH:MM-HH:MM", for messages */
} ReclaimWindow;

/* Parses --window-start and --window-end (both given or neither); a usage error otherwise. */
bool reclaim_window_parse(const char *start, const char *end, ReclaimWindow *w, EbbError *err);

/* Is the minute of the day inside the window (start included, end excluded)? */
bool reclaim_window_contains(const ReclaimWindow *w, int minute_of_day);

/* The session's minute of the day, and the time as text ("14:02") for a message. */
bool reclaim_window_now(PGconn *conn, int *minute_of_day, char text[6], EbbError *err);

#endif
