/* testpoint.c: see testpoint.h. */
#include "common/testpoint.h"

#ifdef EBB_TEST_HOOKS
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Does the spec "stage[:n][,stage[:n]...]" name this stage, reached for the n-th time
 * (default first)? */
static bool
testpoint_hit(const char *spec, const char *stage, int hits)
{
	size_t n = strlen(stage);

	for (; spec && *spec; spec = strchr(spec, ',') ? strchr(spec, ',') + 1 : NULL)
	{
		if (strncmp(spec, stage, n) != 0 || (spec[n] != '\0' && spec[n] != ':' && spec[n] != ','))
			continue;
		if (hits == (spec[n] == ':' ? atoi(spec + n + 1) : 1))
			return true;
	}
	return false;
}

void
testpoint_reached(const char *stage)
{
	static const char *names[32];
	static int hits[32];
	int k = 0;

	while (k < 31 && names[k] && strcmp(names[k], stage) != 0)
		k++;
	names[k] = stage;
	hits[k]++;
	if (testpoint_hit(getenv("EBB_TEST_CRASH_AT"), stage, hits[k]))
		kill(getpid(), SIGKILL);
	if (testpoint_hit(getenv("EBB_TEST_STOP_AT"), stage, hits[k]))
		raise(SIGSTOP);
}
#else
typedef int testpoint_unused; /* ISO C forbids an empty translation unit */
#endif
