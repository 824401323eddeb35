/*
 * testpoint.h: the crash and stop hooks of the tests, compiled in only with EBB_TEST_HOOKS.
 * EBB_TEST_CRASH_AT=stage[:n] kills the process (SIGKILL) the n-th time (default the first)
 * it reaches that stage; EBB_TEST_STOP_AT=stage[:n] stops it (SIGSTOP) there. A stage is a
 * static string naming a point of the protocol ("after-commit", "restore-loaded"...).
 */
#ifndef EBB_COMMON_TESTPOINT_H
#define EBB_COMMON_TESTPOINT_H

#ifdef EBB_TEST_HOOKS
void testpoint_reached(const char *stage);
#else
#define testpoint_reached(stage) ((void) 0)
#endif

#endif
