#include "common/retry.h"

#include <stdlib.h>
#include <time.h>

int64_t
retry_backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms, unsigned *rand_state)
{
	int64_t ceiling = base_ms << (attempt < 16 ? attempt : 16);

	if (ceiling > cap_ms)
		ceiling = cap_ms;
	return (int64_t) (rand_r(rand_state) % (unsigned) (ceiling + 1));
}

void
retry_sleep_ms(int64_t ms)
{
	struct timespec ts = {(time_t) (ms / 1000), (long) (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}
