/*
 * probe.h: the planner's probes (plan.h's WindowProbe) over the table's time index. The
 * bounded forms are statements prepared once per table under t->probe_names (dropped by
 * archive_sql_deallocate); the probe points at the target, which must outlive it.
 */
#ifndef EBB_ARCHIVE_PROBE_H
#define EBB_ARCHIVE_PROBE_H

#include "archive/plan.h"
#include "archive/target.h"

void archive_probe_init(ArchiveTarget *t, WindowProbe *probe);

#endif
