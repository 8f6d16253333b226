/* ratelimit.c — at most a burst of log lines per interval for events a peer can cause at will
 * (aborted connections, refused peers, accept failures): 10,000 quick connects must not write
 * 10,000 lines. No timer: what was dropped is counted and told with the next line let through. */
#include <pthread.h>
#include <time.h>

#include "skd_int.h"

static long now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec;
}

int skd_ratelimit(struct skd_ratelimit *rl, unsigned *dropped)
{
	long now = now_s();
	int ok;

	pthread_mutex_lock(&rl->mu);
	if (rl->window == 0 || now - rl->window >= SKD_RATELIMIT_INTERVAL_S) {
		rl->window = now;
		rl->n = 0;
	}
	ok = rl->n < SKD_RATELIMIT_BURST;
	if (ok) {
		rl->n++;
		*dropped = rl->dropped;
		rl->dropped = 0;
	} else {
		rl->dropped++;
		*dropped = 0;
	}
	pthread_mutex_unlock(&rl->mu);
	return ok;
}
