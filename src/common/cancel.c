/* cancel.c: the flag and hook of cancel.h. */
#include "common/cancel.h"

#include <stddef.h>

volatile sig_atomic_t cancel_requested = 0;

static void (*volatile cancel_hook)(void) = NULL;

void
cancel_request(void)
{
	void (*hook)(void) = cancel_hook;

	cancel_requested = 1;
	if (hook)
		hook();
}

void
cancel_set_hook(void (*hook)(void))
{
	cancel_hook = hook;
}
