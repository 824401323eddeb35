/* vacuum.h: VACUUM (ANALYZE), and VACUUM FULL inside the maintenance window. */
#ifndef EBB_RECLAIM_VACUUM_H
#define EBB_RECLAIM_VACUUM_H

#include "reclaim/method.h"

extern const ReclaimMethod reclaim_vacuum_method;
extern const ReclaimMethod reclaim_full_method;

#endif
