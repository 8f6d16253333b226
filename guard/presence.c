/* presence.c — continuous presence (issue 12): while a session is unlocked (the chip accepted
 * PW1/82 at any door: skinkeyd's `unlock` event), a liveness check every presence-interval
 * (skinkeyd's LIVENESS: INTERNAL AUTHENTICATE over a fresh challenge, verified with the key
 * pinned at unlock, or the enrolled HMAC proof when the chip's PIN state is gone). The chip
 * leaving (`chip-left`), a failed check or skinkeyd's event stream
 * dropping (fail-closed) starts presence-grace (a wrong proof, which only another chip gives,
 * runs the actions at once); a proof that succeeds within it cancels (the
 * chip coming back within grace is checked at once); when it
 * runs out, presence-actions run and the session ends until the next unlock.
 *
 * No timer exists unless a session is unlocked and presence-interval is set: the thread sleeps
 * on its condition variable without a timeout otherwise. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef GUARD_HAVE_SDBUS
#include <systemd/sd-bus.h>
#endif

#include "audit/audit.h"
#include "client.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "guard.h"

extern char **environ;

enum pstate { P_IDLE = 0, P_PRESENT, P_GRACE };

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static pthread_t thr;
static int thr_started, quit;
static enum pstate state;
static char chip[64];
static char reason[128];
static int64_t deadline_ms, next_check_ms, left_at_ms;
static int stream_down, grace_recorded;
static struct guard_ssh_pids ssh;   /* ssh clients that used the chip in this session */
static assuan_context_t actx;   /* the presence thread's own connection to skinkeyd */

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *state_name(enum pstate s)
{
	return s == P_PRESENT ? "present" : s == P_GRACE ? "grace" : "idle";
}

/* <socket dir>/presence.state for `skinkey presence status` (under mu). */
static void write_state_file(void)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], tmp[PATH_MAX + 40];
	FILE *fp;

	if (skc_socket_dir(dir, sizeof(dir)) != 0)
		return;
	snprintf(path, sizeof(path), "%s/presence.state", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fp = fopen(tmp, "we")) == NULL)
		return;
	fprintf(fp, "state=%s\nchip=%s\nreason=%s\nsince_ms=%lld\ninterval_ms=%lld\ngrace_ms=%lld\n"
	    "pid=%ld\n", state_name(state), chip, reason, (long long)real_ms(),
	    (long long)guard_config.presence_interval_ms, (long long)guard_config.presence_grace_ms,
	    (long)getpid());
	if (fclose(fp) != 0 || rename(tmp, path) != 0)
		unlink(tmp);
}

/* A connection for LIVENESS/PRESENCE/DROPPINS (presence thread only). */
static int cmd(const char *line, gpg_error_t (*st)(void *, const char *), void *arg)
{
	int r;

	if (actx == NULL && (r = skc_connect_noautostart(&actx)) != 0)
		return r;
	if ((r = skc_transact(actx, line, NULL, st, arg, NULL)) == SK_ERR_IO ||
	    r == SK_ERR_PROTO) {
		assuan_release(actx);
		actx = NULL;
	}
	return r;
}

static int cmd_plain(const char *line)
{
	return cmd(line, NULL, NULL);
}

/* Record a presence change through skinkeyd's outbox (it comes back to us as an event: the
 * audit writer chains it). Without skinkeyd it is only logged. */
static void record(const char *st, const char *detail)
{
	char line[512], esc[300];
	size_t j = 0;

	for (const char *p = detail ? detail : ""; *p && j + 4 < sizeof(esc); p++) {
		if (*p == ' ' || *p == '%' || *p == '+' || (unsigned char)*p < 0x20) {
			snprintf(esc + j, 4, "%%%02X", (unsigned char)*p);
			j += 3;
		} else {
			esc[j++] = *p;
		}
	}
	esc[j] = '\0';
	snprintf(line, sizeof(line), "PRESENCE %s %s %s", st, chip[0] ? chip : "-", esc);
	if (cmd(line, NULL, NULL) != 0)
		sk_warn("presence: %s (%s) not recorded: skinkeyd does not answer", st,
		    detail ? detail : "");
}

/* ---- actions ---- */

/* Called with mu released. */
static void run_actions(const char *why)
{
	unsigned a = guard_config.presence_actions;
	int64_t t0 = mono_ms();
	char done[160] = "";

	sk_warn("presence: %s: chip %s gone or unproven: running the absence actions", why, chip);
	guard_actions_run(a, guard_config.presence_exec, "SKINKEY_PRESENCE_REASON", why, chip,
	    cmd_plain, &ssh, done, sizeof(done));
	sk_info("presence: actions done in %lld ms:%s", (long long)(mono_ms() - t0), done);
	{
		char d[400];
		snprintf(d, sizeof(d), "reason=%s actions=%s", why, done[0] ? done + 1 : "none");
		record("locked", d);
	}
}

/* ---- the consumer: events from the stream (stream thread) ---- */

static void enter_grace(const char *why, int64_t now)
{
	if (state != P_PRESENT)
		return;
	state = P_GRACE;
	grace_recorded = 0;
	snprintf(reason, sizeof(reason), "%s", why);
	deadline_ms = now + (int64_t)guard_config.presence_grace_ms;
	left_at_ms = now;
	write_state_file();
	pthread_cond_broadcast(&cv);
}

static int presence_apply(const struct guard_batch *b)
{
	char c[64];
	int64_t now = mono_ms();

	if (guard_config.presence_interval_ms == 0)
		return 0;
	pthread_mutex_lock(&mu);
	stream_down = 0;
	for (int i = 0; i < b->n; i++) {
		const struct guard_event *ev = &b->ev[i];

		audit_detail(ev->details, "chip", c, sizeof(c));
		if (strcmp(ev->kind, "unlock") == 0 && c[0] != '\0' && state == P_GRACE &&
		    strcmp(chip, c) == 0) {
			/* a PIN accepted under this chip id (a cached one re-verified after a reset)
			 * proves nothing: a clone with the same serial accepts it too. Only a proof
			 * ends the grace; the PIN state is back, so check now. */
			next_check_ms = now;
			pthread_cond_broadcast(&cv);
		} else if (strcmp(ev->kind, "unlock") == 0 && c[0] != '\0') {
			if (state != P_PRESENT || strcmp(chip, c) != 0) {
				sk_info("presence: session unlocked with chip %s", c);
				/* only a new session sets the clock: unlocks arriving faster than the
				 * interval (every operation re-verifying) must not postpone checks */
				next_check_ms = now + (int64_t)guard_config.presence_interval_ms;
			}
			snprintf(chip, sizeof(chip), "%s", c);
			state = P_PRESENT;
			reason[0] = '\0';
			write_state_file();
			pthread_cond_broadcast(&cv);
		} else if (strcmp(ev->kind, "chip-left") == 0 && strcmp(c, chip) == 0) {
			enter_grace("chip-left", now);
		} else if (strcmp(ev->kind, "chip-seen") == 0 && strcmp(c, chip) == 0 &&
		    state == P_GRACE) {
			/* back within grace (a field dropout): prove it now, not at the next tick */
			next_check_ms = now;
			pthread_cond_broadcast(&cv);
		} else if (strcmp(ev->kind, "key-op") == 0 && state != P_IDLE) {
			guard_ssh_note(&ssh, ev->details);
		}
	}
	pthread_mutex_unlock(&mu);
	return 0;
}

void guard_presence_stream_lost(void)
{
	pthread_mutex_lock(&mu);
	stream_down = 1;
	enter_grace("skinkeyd-gone", mono_ms());
	pthread_mutex_unlock(&mu);
}

int guard_presence_idle(char *c, size_t n)
{
	pthread_mutex_lock(&mu);
	snprintf(c, n, "%s", chip);
	if (state != P_IDLE) {
		sk_info("presence: session idle: the watch of chip %s ends (no actions)", chip);
		state = P_IDLE;
		snprintf(reason, sizeof(reason), "session-idle");
		write_state_file();
		pthread_cond_broadcast(&cv);
	}
	pthread_mutex_unlock(&mu);
	return 0;
}

/* ---- the thread: checks and deadlines ---- */

struct live { char why[32]; long long us; int apdus; char proof[16]; };

static gpg_error_t on_live(void *arg, const char *line)
{
	struct live *l = arg;

	if (strncmp(line, "LIVENESS ", 9) == 0 &&
	    sscanf(line + 9, "%31s %lld %d %15s", l->why, &l->us, &l->apdus, l->proof) < 1)
		l->why[0] = '\0';
	return 0;
}

static void abs_deadline(struct timespec *ts, int64_t mono_target)
{
	int64_t ms = mono_target < 0 ? 0 : mono_target;

	ts->tv_sec = (time_t)(ms / 1000);
	ts->tv_nsec = (long)(ms % 1000) * 1000000L;
}

static void *presence_thread(void *arg)
{
	struct timespec ts;
	char line[96], why[128], rec[160];
	struct live l;
	int r;

	(void)arg;
	pthread_mutex_lock(&mu);
	while (!quit) {
		int64_t now = mono_ms(), wake;

		if (state == P_IDLE) {
			pthread_cond_wait(&cv, &mu);   /* no session: no timer at all */
			continue;
		}
		if (state == P_GRACE && now >= deadline_ms) {
			snprintf(why, sizeof(why), "%s", reason);
			state = P_IDLE;
			write_state_file();
			sk_info("presence: grace over %lld ms after %s", (long long)(now - left_at_ms), why);
			pthread_mutex_unlock(&mu);
			run_actions(why);
			pthread_mutex_lock(&mu);
			pthread_cond_broadcast(&cv);
			continue;
		}
		if (state == P_GRACE && !grace_recorded) {
			grace_recorded = 1;
			snprintf(rec, sizeof(rec), "reason=%s", reason);
			pthread_mutex_unlock(&mu);
			record("grace", rec);
			pthread_mutex_lock(&mu);
			continue;
		}
		if (now >= next_check_ms && !stream_down) {
			next_check_ms = now + (int64_t)guard_config.presence_interval_ms;
			snprintf(line, sizeof(line), "LIVENESS %s", chip);
			pthread_mutex_unlock(&mu);
			memset(&l, 0, sizeof(l));
			r = cmd(line, on_live, &l);
			pthread_mutex_lock(&mu);
			if (state == P_IDLE)
				continue;
			now = mono_ms();
			if (r == 0)
				sk_debug("presence: chip %s proved itself (%lld us on the chip, %d APDU, %s)",
				    chip, l.us, l.apdus, l.proof);
			if (r == 0 && state == P_GRACE) {
				sk_info("presence: chip %s proved itself within grace", chip);
				state = P_PRESENT;
				reason[0] = '\0';
				write_state_file();
				pthread_mutex_unlock(&mu);
				record("present", "reason=proof-within-grace");
				pthread_mutex_lock(&mu);
			} else if (r != 0 && strcmp(l.why, "wrong-answer") == 0) {
				/* a proof that does not verify is no dropout: another chip answered (a
				 * clone), so there is nothing to wait for */
				snprintf(why, sizeof(why), "liveness:%s", l.why);
				sk_warn("presence: chip %s gave a wrong proof: the actions run now, no grace",
				    chip);
				enter_grace(why, now);
				snprintf(reason, sizeof(reason), "%s", why);
				deadline_ms = now;
				grace_recorded = 1;
			} else if (r != 0 && state == P_PRESENT) {
				snprintf(why, sizeof(why), "liveness:%s", l.why[0] ? l.why : sk_strerror(r));
				sk_warn("presence: chip %s: %s", chip, why);
				enter_grace(why, now);
			}
			continue;
		}
		wake = next_check_ms;
		if (state == P_GRACE && (deadline_ms < wake || stream_down))
			wake = deadline_ms;
		abs_deadline(&ts, wake);
		pthread_cond_timedwait(&cv, &mu, &ts);
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

static int presence_start(void)
{
	pthread_condattr_t ca;

	if (guard_config.presence_interval_ms == 0)
		return 0;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&thr, NULL, presence_thread, NULL) != 0) {
		sk_error("presence: no thread");
		return SK_ERR_INTERNAL;
	}
	thr_started = 1;
	(void)guard_presence_idle_start();
	sk_info("presence: interval %lld ms, grace %lld ms", (long long)guard_config.presence_interval_ms,
	    (long long)guard_config.presence_grace_ms);
	return 0;
}

/* The guard exits (skinkeyd gone for good): a session still open is closed first, at its
 * deadline (fail-closed). */
static void presence_stop(void)
{
	int64_t now;

	if (!thr_started)
		return;
	guard_presence_idle_stop();
	pthread_mutex_lock(&mu);
	stream_down = 1;
	now = mono_ms();
	enter_grace("skinkeyd-gone", now);
	while (state == P_GRACE)   /* the thread runs the actions at the deadline */
		pthread_cond_wait(&cv, &mu);
	quit = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(thr, NULL);
	if (actx != NULL)
		assuan_release(actx);
	actx = NULL;
}

const struct guard_consumer guard_presence = {
	.name = "presence",
	.start = presence_start,
	.apply = presence_apply,
	.stop = presence_stop,
};
