/* relay.c — the worker thread between the CTAPHID engine and skinkeyd (see relay.h).
 * The worker holds one Assuan connection (reconnected after a cancel or a failure); the main
 * thread hands it one job at a time and reads events from a pipe-signalled queue. */
#include "relay.h"

#include <assuan.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "ctaphid.h"
#include "log.h"
#include "sk_err.h"

#define ANSWER_MAX (CTAPHID_MAX_PAYLOAD + 16)

enum job_kind { JOB_NONE = 0, JOB_CTAP, JOB_CHIPS };

struct evnode {
	struct relay_ev ev;
	struct evnode *next;
};

struct relay {
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	/* the job (guarded by mu) */
	enum job_kind kind;
	int running;
	int cancelled;
	uint32_t tag;
	uint8_t cmd;
	uint8_t *data;
	size_t len;
	int conn_fd;          /* the running connection's socket (for shutdown), -1 */
	/* events */
	struct evnode *head, *tail;
	int pipe_rd, pipe_wr;
	/* worker-only */
	assuan_context_t ctx;
};

/* What one CTAP transaction collects. */
struct txn {
	struct relay *r;
	const uint8_t *msg;
	size_t len;
	uint8_t answer[ANSWER_MAX];
	size_t alen;
	int overflow;
	int fido;             /* CHIPS: a chip with the fido2 applet */
	uint8_t status;
};

static void push_event(struct relay *r, const struct relay_ev *ev)
{
	struct evnode *n = calloc(1, sizeof(*n));
	static const char one = 1;

	if (n == NULL) {
		sk_error("hidbridge: out of memory queueing an event");
		return;
	}
	n->ev = *ev;
	pthread_mutex_lock(&r->mu);
	if (r->tail != NULL)
		r->tail->next = n;
	else
		r->head = n;
	r->tail = n;
	pthread_mutex_unlock(&r->mu);
	if (write(r->pipe_wr, &one, 1) != 1)
		sk_debug("hidbridge: event pipe full (events stay queued)");
}

static gpg_error_t on_data(void *arg, const void *p, size_t n)
{
	struct txn *t = arg;

	if (n > sizeof(t->answer) - t->alen) {
		t->overflow = 1;
		return gpg_error(GPG_ERR_TOO_LARGE);
	}
	memcpy(t->answer + t->alen, p, n);
	t->alen += n;
	return 0;
}

static gpg_error_t on_inquire(void *arg, const char *line)
{
	struct txn *t = arg;

	if (strncmp(line, "CTAPMSG", 7) != 0 || (line[7] != '\0' && line[7] != ' '))
		return gpg_error(GPG_ERR_ASS_UNKNOWN_INQUIRE);
	return assuan_send_data(t->r->ctx, t->msg, t->len);
}

static void report_status(struct txn *t, uint8_t st)
{
	struct relay_ev ev = { .kind = RELAY_EV_STATUS, .status = st };

	if (st == t->status)
		return;
	t->status = st;
	pthread_mutex_lock(&t->r->mu);
	ev.tag = t->r->tag;
	pthread_mutex_unlock(&t->r->mu);
	push_event(t->r, &ev);
}

/* "PROGRESS tap ..." (waiting for the chip), "PROGRESS ctap <n>" (the chip's own keepalive). */
static gpg_error_t on_status(void *arg, const char *line)
{
	struct txn *t = arg;

	if (strncmp(line, "PROGRESS ", 9) == 0) {
		const char *a = line + 9;
		if (strncmp(a, "tap", 3) == 0 && (a[3] == ' ' || a[3] == '\0'))
			report_status(t, CTAPHID_STATUS_UPNEEDED);
		else if (strncmp(a, "ctap ", 5) == 0)
			report_status(t, a[5] == '2' ? CTAPHID_STATUS_UPNEEDED : CTAPHID_STATUS_PROCESSING);
	} else if (strncmp(line, "CHIP ", 5) == 0) {
		/* CHIP <id> <present> <applets> ... */
		char id[80], present[8], applets[128];
		if (sscanf(line + 5, "%79s %7s %127s", id, present, applets) == 3) {
			char *save = NULL;
			for (char *tok = strtok_r(applets, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
				if (strcmp(tok, "fido2") == 0)
					t->fido = 1;
		}
	}
	return 0;
}

static void disconnect(struct relay *r)
{
	pthread_mutex_lock(&r->mu);
	r->conn_fd = -1;
	pthread_mutex_unlock(&r->mu);
	assuan_release(r->ctx);
	r->ctx = NULL;
}

static int ensure_connected(struct relay *r)
{
	int fd = -1, rc;

	if (r->ctx != NULL)
		return 0;
	if ((rc = skc_connect_fd(&fd)) != 0) {
		sk_warn("hidbridge: cannot reach skinkeyd: %s", sk_strerror(rc));
		return rc;
	}
	if (assuan_new(&r->ctx) != 0) {
		close(fd);
		r->ctx = NULL;
		return SK_ERR_NOMEM;
	}
	if (assuan_socket_connect_fd(r->ctx, fd, 0) != 0) {
		/* the context owns fd now and closes it */
		assuan_release(r->ctx);
		r->ctx = NULL;
		sk_warn("hidbridge: Assuan handshake with skinkeyd failed");
		return SK_ERR_PROTO;
	}
	pthread_mutex_lock(&r->mu);
	r->conn_fd = fd;
	pthread_mutex_unlock(&r->mu);
	return 0;
}

/* Runs one job; its outcome goes to *ev (pushed by the caller once the job slot is free). */
static void run_job(struct relay *r, enum job_kind kind, uint32_t tag, uint8_t cmd,
    const uint8_t *data, size_t len, struct relay_ev *out)
{
	struct txn *t = calloc(1, sizeof(*t));
	struct relay_ev ev = { .tag = tag };
	gpg_error_t e = 0;
	int rc, cancelled;

	if (t == NULL) {
		ev.kind = kind == JOB_CHIPS ? RELAY_EV_CHIPS : RELAY_EV_FAIL;
		ev.err = SK_ERR_NOMEM;
		*out = ev;
		return;
	}
	t->r = r;
	t->msg = data;
	t->len = len;
	t->status = CTAPHID_STATUS_PROCESSING;
	if ((rc = ensure_connected(r)) == 0) {
		const char *line = kind == JOB_CHIPS ? "CHIPS" : cmd == CTAPHID_MSG ? "CTAP --u2f" : "CTAP";
		e = assuan_transact(r->ctx, line, on_data, t, on_inquire, t, on_status, t);
		rc = e == 0 ? 0 : t->overflow ? SK_ERR_TOOBIG : skc_err_from_gpg(e);
	}
	pthread_mutex_lock(&r->mu);
	cancelled = r->cancelled;
	pthread_mutex_unlock(&r->mu);
	if (rc != 0 || cancelled) {
		/* After a hang-up or a protocol error the connection is not trusted again. */
		if (r->ctx != NULL && (cancelled || gpg_err_source(e) != GPG_ERR_SOURCE_SCD))
			disconnect(r);
		if (cancelled)
			rc = SK_ERR_CANCELED;
	}
	if (kind == JOB_CHIPS) {
		ev.kind = RELAY_EV_CHIPS;
		ev.err = rc;
		ev.fido = t->fido;
	} else if (rc != 0) {
		ev.kind = RELAY_EV_FAIL;
		ev.err = rc;
		sk_info("hidbridge: CTAP request %u failed: %s", tag, sk_strerror(rc));
	} else if ((ev.data = malloc(t->alen ? t->alen : 1)) == NULL) {
		ev.kind = RELAY_EV_FAIL;
		ev.err = SK_ERR_NOMEM;
	} else {
		ev.kind = RELAY_EV_DONE;
		memcpy(ev.data, t->answer, t->alen);
		ev.len = t->alen;
	}
	*out = ev;
	explicit_bzero(t, sizeof(*t));
	free(t);
}

/* A cancel shuts the socket down under libassuan's feet; its next write would raise SIGPIPE.
 * The worker blocks every signal (relay_new), so the write fails with EPIPE; the pending
 * SIGPIPE is dropped here. */
static void sigpipe_drop(void)
{
	sigset_t s;
	struct timespec zero = { 0, 0 };

	sigemptyset(&s);
	sigaddset(&s, SIGPIPE);
	while (sigtimedwait(&s, NULL, &zero) == SIGPIPE)
		;
}

static void *worker(void *arg)
{
	struct relay *r = arg;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		while (!r->stop && (r->kind == JOB_NONE || r->running))
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->stop)
			break;
		enum job_kind kind = r->kind;
		uint32_t tag = r->tag;
		uint8_t cmd = r->cmd;
		uint8_t *data = r->data;
		size_t len = r->len;
		int cancelled = r->cancelled;
		struct relay_ev ev = { .kind = RELAY_EV_FAIL, .tag = tag, .err = SK_ERR_CANCELED };
		r->running = 1;
		pthread_mutex_unlock(&r->mu);
		if (!cancelled || kind != JOB_CTAP)
			run_job(r, kind, tag, cmd, data, len, &ev);
		sigpipe_drop();
		pthread_mutex_lock(&r->mu);
		if (r->data != NULL) {
			explicit_bzero(r->data, r->len);
			free(r->data);
		}
		r->data = NULL;
		r->len = 0;
		r->kind = JOB_NONE;
		r->running = 0;
		r->cancelled = 0;
		/* the slot is free before the event is seen: the next submit never finds it busy */
		pthread_mutex_unlock(&r->mu);
		push_event(r, &ev);
		pthread_mutex_lock(&r->mu);
	}
	pthread_mutex_unlock(&r->mu);
	if (r->ctx != NULL)
		disconnect(r);
	return NULL;
}

int relay_submit(struct relay *r, uint32_t tag, uint8_t cmd, const uint8_t *data, size_t len)
{
	uint8_t *copy;
	int rc = SK_ERR_BUSY;

	if (r == NULL || (len > 0 && data == NULL) || len > CTAPHID_MAX_PAYLOAD)
		return SK_ERR_ARG;
	if ((copy = malloc(len ? len : 1)) == NULL)
		return SK_ERR_NOMEM;
	if (len > 0)
		memcpy(copy, data, len);
	pthread_mutex_lock(&r->mu);
	if (r->kind == JOB_NONE) {
		r->kind = JOB_CTAP;
		r->tag = tag;
		r->cmd = cmd;
		r->data = copy;
		r->len = len;
		r->cancelled = 0;
		copy = NULL;
		rc = 0;
		pthread_cond_signal(&r->cv);
	}
	pthread_mutex_unlock(&r->mu);
	free(copy);
	return rc;
}

int relay_query_chips(struct relay *r)
{
	int rc = SK_ERR_BUSY;

	pthread_mutex_lock(&r->mu);
	if (r->kind == JOB_NONE) {
		r->kind = JOB_CHIPS;
		r->tag = 0;
		r->cancelled = 0;
		rc = 0;
		pthread_cond_signal(&r->cv);
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

void relay_cancel(struct relay *r, uint32_t tag)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	if (r->kind == JOB_CTAP && r->tag == tag && !r->cancelled) {
		r->cancelled = 1;
		/* skinkeyd aborts a CTAP (tap wait included) when its client hangs up */
		if (r->running && r->conn_fd >= 0)
			shutdown(r->conn_fd, SHUT_RDWR);
	}
	pthread_mutex_unlock(&r->mu);
}

int relay_fd(const struct relay *r)
{
	return r != NULL ? r->pipe_rd : -1;
}

int relay_next(struct relay *r, struct relay_ev *ev)
{
	struct evnode *n;
	char b;

	memset(ev, 0, sizeof(*ev));
	pthread_mutex_lock(&r->mu);
	n = r->head;
	if (n != NULL) {
		r->head = n->next;
		if (r->head == NULL)
			r->tail = NULL;
	}
	pthread_mutex_unlock(&r->mu);
	if (n == NULL) {
		while (read(r->pipe_rd, &b, 1) == 1)
			;   /* drain stale wake-ups */
		return 0;
	}
	if (read(r->pipe_rd, &b, 1) != 1)
		sk_debug("hidbridge: event without wake-up byte");
	*ev = n->ev;
	free(n);
	return 1;
}

void relay_ev_clear(struct relay_ev *ev)
{
	if (ev == NULL)
		return;
	if (ev->data != NULL) {
		explicit_bzero(ev->data, ev->len);
		free(ev->data);
	}
	memset(ev, 0, sizeof(*ev));
}

int relay_new(struct relay **out)
{
	struct relay *r = NULL;
	int p[2] = { -1, -1 }, rc = SK_ERR_INTERNAL;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return SK_ERR_NOMEM;
	r->pipe_rd = r->pipe_wr = r->conn_fd = -1;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) {
		sk_error("hidbridge: pipe: %s", strerror(errno));
		rc = SK_ERR_IO;
		goto out;
	}
	r->pipe_rd = p[0];
	r->pipe_wr = p[1];
	/* The worker is born with every signal blocked: SIGTERM and SIGINT must reach the thread
	 * that polls (a signal taken by the worker would leave the main loop asleep in poll). */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int e = pthread_create(&r->thread, NULL, worker, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		rc = SK_ERR_NOMEM;
		goto out;
	}
	r->started = 1;
	*out = r;
	r = NULL;
	rc = 0;
out:
	relay_free(&r);
	return rc;
}

void relay_free(struct relay **pr)
{
	struct relay *r;
	struct relay_ev ev;

	if (pr == NULL || (r = *pr) == NULL)
		return;
	if (r->started) {
		pthread_mutex_lock(&r->mu);
		r->stop = 1;
		r->cancelled = 1;
		if (r->conn_fd >= 0)
			shutdown(r->conn_fd, SHUT_RDWR);
		pthread_cond_signal(&r->cv);
		pthread_mutex_unlock(&r->mu);
		pthread_join(r->thread, NULL);
	}
	while (r->head != NULL && relay_next(r, &ev))
		relay_ev_clear(&ev);
	if (r->data != NULL) {
		explicit_bzero(r->data, r->len);
		free(r->data);
	}
	if (r->pipe_rd >= 0)
		close(r->pipe_rd);
	if (r->pipe_wr >= 0)
		close(r->pipe_wr);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
	*pr = NULL;
}
