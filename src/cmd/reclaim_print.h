/*
 * reclaim_print.h: a table's reclaim on stdout, for ebb reclaim and archive's after-archive:
 * a line ("db: schema.table: vacuum: 812 MB -> 790 MB, 22 MB given back in 3.2 s"), or a
 * JSON object "reclaim_table" (keys are an interface: add, never rename). The ReclaimResult
 * and options are the caller's.
 */
#ifndef EBB_CMD_RECLAIM_PRINT_H
#define EBB_CMD_RECLAIM_PRINT_H

#include <stdbool.h>

#include "config/config.h"
#include "reclaim/reclaim.h"

/* ok: reclaim_table's return. */
void cmd_print_reclaim(const char *db, const Policy *p, ReclaimMode mode, const ReclaimResult *r,
					   bool ok, bool json);

/* The options of a reclaim from the run's settings: the maintenance window parsed, a usage
 * error when full has none. */
bool cmd_reclaim_options(const Settings *s, ReclaimMode mode, ReclaimOptions *o, EbbError *err);

#endif
