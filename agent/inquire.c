/* inquire.c — every INQUIRE skinkeyd sends goes through skd_inquire(): the client has
 * inquire-timeout to answer (then its socket stops reading and the command fails with a
 * timeout), and a card this thread holds is given back while it answers
 * (skd_card_suspend/resume), so a client that never answers holds neither the card lock nor the
 * PC/SC transaction (other clients, KeePassXC, ykman go on). */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "common/log.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "skd_int.h"

/* libassuan retries a read that SO_RCVTIMEO ends (EAGAIN): a watchdog thread ends the read side
 * of the client's socket at the deadline instead, and the INQUIRE sees end of file. */
struct watchdog {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fd, ms, done, fired;
};

static void *watchdog_main(void *arg)
{
	struct watchdog *w = arg;
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += w->ms / 1000;
	until.tv_nsec += (long)(w->ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->mu);
	while (!w->done)
		if (pthread_cond_timedwait(&w->cv, &w->mu, &until) == ETIMEDOUT)
			break;
	if (!w->done) {
		w->fired = 1;
		(void)shutdown(w->fd, SHUT_RD);   /* the ERR can still be written */
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static int watchdog_start(struct watchdog *w, pthread_t *t, int fd, int ms)
{
	pthread_condattr_t ca;

	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->ms = ms;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (fd < 0 || pthread_create(t, NULL, watchdog_main, w) != 0) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		return 0;
	}
	return 1;
}

/* 1 when the deadline ended the INQUIRE. */
static int watchdog_stop(struct watchdog *w, pthread_t t)
{
	int fired;

	pthread_mutex_lock(&w->mu);
	w->done = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(t, NULL);
	fired = w->fired;
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	return fired;
}

gpg_error_t skd_inquire(assuan_context_t ctx, const char *keyword, unsigned char **buf,
    size_t *len, size_t max)
{
	struct skd_conn *c = skd_conn_get(ctx);
	struct skd_card *held;
	struct watchdog w;
	pthread_t t;
	int timed, r;
	gpg_error_t e;

	held = skd_card_suspend();
	/* (pipe mode: the client is the process that started us and owns our stdin) */
	timed = watchdog_start(&w, &t, c != NULL && !c->pipe_mode ? c->peer_fd : -1,
	    skd_config.inquire_timeout_ms);
	e = assuan_inquire(ctx, keyword, buf, len, max);
	if (timed && watchdog_stop(&w, t)) {
		sk_warn("conn %lu: no answer to INQUIRE %.20s within inquire-timeout (%d s): closing",
		    c->id, keyword, skd_config.inquire_timeout_ms / 1000);
		/* the client's socket no longer reads: end the connection after the ERR */
		assuan_set_flag(ctx, ASSUAN_FORCE_CLOSE, 1);
		if (e == 0 && *buf != NULL) {   /* answered in the very last moment: still refused */
			sk_wipe(*buf, *len);
			assuan_free(ctx, *buf);
			*buf = NULL;
			*len = 0;
		}
		e = gpg_error(GPG_ERR_TIMEOUT);
	}
	if ((r = skd_card_resume(held)) != 0 && e == 0) {
		if (*buf != NULL) {
			sk_wipe(*buf, *len);
			assuan_free(ctx, *buf);
			*buf = NULL;
		}
		*len = 0;
		e = skd_gpg_err(r);
	}
	return e;
}
