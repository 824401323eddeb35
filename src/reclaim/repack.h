/* repack.h: pg_repack's client program, driven by ebb (the online rewrite). */
#ifndef EBB_RECLAIM_REPACK_H
#define EBB_RECLAIM_REPACK_H

#include "reclaim/method.h"

extern const ReclaimMethod reclaim_online_method;

#endif
