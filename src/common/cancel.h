/*
 * cancel.h: a stop asked for by a signal (SIGINT, SIGTERM, SIGHUP, SIGPIPE). The handler calls
 * cancel_request(), which sets cancel_requested and runs the hook registered by whoever is
 * blocked in a long wait that the flag alone would not end (the database session: PQcancel).
 * Long loops check cancel_requested between steps; the S3 client checks it as it transfers.
 */
#ifndef EBB_COMMON_CANCEL_H
#define EBB_COMMON_CANCEL_H

#include <signal.h>

extern volatile sig_atomic_t cancel_requested;

/* Async-signal-safe: sets the flag, then runs the hook (which must be signal-safe too). */
void cancel_request(void);

/* One hook at a time (NULL removes it); set and cleared outside signal handlers. */
void cancel_set_hook(void (*hook)(void));

#endif
