/* pcsc_watch.c — reader hotplug and card insert/remove events via SCardGetStatusChange. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "pcsc_int.h"
#include "sk_err.h"

#define PNP_READER "\\\\?PnP?\\Notification"
/* Without PnP notifications, new readers are only seen by looking: the longest single wait then.
 * With them (pcsc-lite has them), a watch without a deadline waits until pcscd reports a change
 * (sk_pcsc_cancel() ends it; a caller racing its cancel with the start of the wait repeats it).
 * Not INFINITE: libpcsclite turns INFINITE into 60 s waits that it renews with pcscd (one
 * exchange a minute, for ever); a long finite wait is one wait. */
#define WAIT_SLICE_MS 1000
#define WAIT_FOREVER_MS (24u * 3600u * 1000u)

const char *sk_pcsc_event_name(enum sk_pcsc_event ev)
{
	switch (ev) {
	case SK_PCSC_READER_ADDED: return "reader-added";
	case SK_PCSC_READER_REMOVED: return "reader-removed";
	case SK_PCSC_CARD_INSERTED: return "card-inserted";
	case SK_PCSC_CARD_REMOVED: return "card-removed";
	default: return "unknown";
	}
}

int sk_pcsc_cancel(struct sk_pcsc *p)
{
	__atomic_store_n(&p->cancel, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&p->wlock);
	if (p->have_wctx)
		(void)SCardCancel(p->wctx);
	pthread_mutex_unlock(&p->wlock);
	return 0;
}

static int watch_context(struct sk_pcsc *p)
{
	LONG rv = SCARD_S_SUCCESS;

	pthread_mutex_lock(&p->wlock);
	if (!p->have_wctx) {
		rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &p->wctx);
		p->have_wctx = rv == SCARD_S_SUCCESS;
	}
	pthread_mutex_unlock(&p->wlock);
	if (rv != SCARD_S_SUCCESS) {
		/* said once; a caller retrying until pcscd is back must not flood the log */
		sk_log(p->lost_logged ? SK_LOG_DEBUG : SK_LOG_WARN,
		    "pcsc: watcher cannot reach pcscd: %s", pcsc_stringify_error(rv));
		p->lost_logged = 1;
		return SK_ERR_NO_READER;
	}
	p->lost_logged = 0;
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int in_list(char **list, const char *name)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], name) == 0)
			return 1;
	return 0;
}

/* Drops reader i (reporting its card and then the reader as gone). *stop when fn said so. */
static void drop_reader(struct sk_pcsc *p, size_t i, sk_pcsc_watch_fn fn, void *arg, int *stop)
{
	struct watch_reader *w = &p->wr[i];

	if (w->present && !*stop)
		*stop = fn(SK_PCSC_CARD_REMOVED, w->name, arg) != 0;
	if (!*stop)
		*stop = fn(SK_PCSC_READER_REMOVED, w->name, arg) != 0;
	free(w->name);
	memmove(w, w + 1, (p->nwr - i - 1) * sizeof(*w));
	p->nwr--;
}

static int add_reader(struct sk_pcsc *p, const char *name, sk_pcsc_watch_fn fn, void *arg,
    int *stop)
{
	struct watch_reader *w;

	if ((w = reallocarray(p->wr, p->nwr + 1, sizeof(*w))) == NULL)
		return SK_ERR_NOMEM;
	p->wr = w;
	w = &p->wr[p->nwr];
	if ((w->name = strdup(name)) == NULL)
		return SK_ERR_NOMEM;
	w->cur = SCARD_STATE_UNAWARE;  /* the next wait reports its card at once */
	w->present = 0;
	p->nwr++;
	*stop = fn(SK_PCSC_READER_ADDED, name, arg) != 0;
	return 0;
}

/* Brings the reader table in line with pcscd's list, reporting the differences. */
static int refresh_readers(struct sk_pcsc *p, sk_pcsc_watch_fn fn, void *arg, int *stop)
{
	char **names = NULL;
	size_t i;
	int r;

	if ((r = sk_pcsc_list_ctx(p->wctx, &names)) != 0)
		return r;
	for (i = p->nwr; i > 0 && !*stop; i--)
		if (!in_list(names, p->wr[i - 1].name))
			drop_reader(p, i - 1, fn, arg, stop);
	for (i = 0; names[i] != NULL && !*stop && r == 0; i++) {
		size_t k;
		for (k = 0; k < p->nwr && strcmp(p->wr[k].name, names[i]) != 0; k++)
			;
		if (k == p->nwr)
			r = add_reader(p, names[i], fn, arg, stop);
	}
	sk_pcsc_readers_free(&names);
	if (*stop)
		p->refresh_pending = 1;  /* finish the comparison on the next call */
	return r;
}

/* Compares one reader's new state with what we reported. */
static void reader_changed(struct watch_reader *w, DWORD ev, sk_pcsc_watch_fn fn, void *arg,
    int *stop)
{
	int now = (ev & SCARD_STATE_PRESENT) && !(ev & SCARD_STATE_MUTE);
	int recycled = w->present && now && w->cur != SCARD_STATE_UNAWARE &&
	    ((ev >> 16) & 0xFFFF) != ((w->cur >> 16) & 0xFFFF);

	if (w->present && (!now || recycled)) {
		w->present = 0;
		if ((*stop = fn(SK_PCSC_CARD_REMOVED, w->name, arg) != 0) && now) {
			w->cur = SCARD_STATE_UNAWARE;  /* the insertion is reported next time */
			return;
		}
	}
	if (!w->present && now && !*stop) {
		w->present = 1;
		*stop = fn(SK_PCSC_CARD_INSERTED, w->name, arg) != 0;
	}
	w->cur = ev & ~(DWORD)SCARD_STATE_CHANGED;
}

/* One SCardGetStatusChange over every reader plus the PnP pseudo-reader. */
static int wait_once(struct sk_pcsc *p, DWORD ms, sk_pcsc_watch_fn fn, void *arg, int *stop)
{
	SCARD_READERSTATE *st;
	size_t i, n = p->nwr + (p->pnp_ok ? 1 : 0);
	int r = 0, refresh = 0;
	LONG rv;

	if (p->refresh_pending) {
		p->refresh_pending = 0;
		if ((r = refresh_readers(p, fn, arg, stop)) != 0 || *stop)
			return r;
		n = p->nwr + (p->pnp_ok ? 1 : 0);
	}
	if (n == 0) {
		/* nothing pcscd could wake us for (no readers, no PnP): wait, then look again */
		struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		return refresh_readers(p, fn, arg, stop);
	}
	if ((st = calloc(n + 1, sizeof(*st))) == NULL)
		return SK_ERR_NOMEM;
	for (i = 0; i < p->nwr; i++) {
		st[i].szReader = p->wr[i].name;
		st[i].dwCurrentState = p->wr[i].cur;
	}
	if (p->pnp_ok) {
		st[p->nwr].szReader = PNP_READER;
		st[p->nwr].dwCurrentState = p->pnp_cur;
	}
	rv = SCardGetStatusChange(p->wctx, ms, st, (DWORD)n);
	if (rv == SCARD_E_TIMEOUT) {
		refresh = !p->pnp_ok;  /* without PnP support, look for new readers now and then */
	} else if (rv == SCARD_E_UNKNOWN_READER || rv == SCARD_E_READER_UNAVAILABLE) {
		refresh = 1;
	} else if (rv == SCARD_E_CANCELLED) {
		r = 0;
	} else if (rv != SCARD_S_SUCCESS) {
		sk_log(SK_LOG_WARN, "pcsc: watching readers: %s", pcsc_stringify_error(rv));
		r = SK_PCSC_SERVICE_LOST(rv) ? SK_ERR_NO_READER : sk_pcsc_map_error(rv);
	} else {
		for (i = 0; i < p->nwr && !*stop; i++) {
			if (st[i].dwEventState & (SCARD_STATE_UNKNOWN | SCARD_STATE_IGNORE)) {
				/* remember it, so a reader pcscd still lists does not wake us again */
				p->wr[i].cur = st[i].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
				refresh = 1;
			}
			else if (st[i].dwEventState & SCARD_STATE_CHANGED) {
				sk_log(SK_LOG_DEBUG, "pcsc: %s: state %08lx -> %08lx", p->wr[i].name,
				    (unsigned long)p->wr[i].cur, (unsigned long)st[i].dwEventState);
				reader_changed(&p->wr[i], st[i].dwEventState, fn, arg, stop);
			}
		}
		if (p->pnp_ok && (st[p->nwr].dwEventState & SCARD_STATE_CHANGED)) {
			p->pnp_cur = st[p->nwr].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
			if (p->pnp_cur & SCARD_STATE_UNKNOWN)
				p->pnp_ok = 0;
			refresh = 1;
		}
	}
	free(st);
	if (r == 0 && refresh && *stop)
		p->refresh_pending = 1;
	else if (r == 0 && refresh)
		r = refresh_readers(p, fn, arg, stop);
	return r;
}

/* pcscd went away: every reader and card is gone with it; the next sk_pcsc_watch starts over
 * with a new context and reports what the new pcscd has. */
static void watch_lost(struct sk_pcsc *p, sk_pcsc_watch_fn fn, void *arg)
{
	int stop = 0;

	while (p->nwr > 0) {
		stop = 0;  /* the caller must hear all of it, whatever fn answers */
		drop_reader(p, p->nwr - 1, fn, arg, &stop);
	}
	p->watch_started = 0;
	p->refresh_pending = 0;
	pthread_mutex_lock(&p->wlock);
	if (p->have_wctx)
		(void)SCardReleaseContext(p->wctx);
	p->have_wctx = 0;
	pthread_mutex_unlock(&p->wlock);
}

static int watch_start(struct sk_pcsc *p, sk_pcsc_watch_fn fn, void *arg, int *stop)
{
	int r;

	if (p->watch_started)
		return 0;
	p->pnp_ok = 1;
	p->pnp_cur = SCARD_STATE_UNAWARE;
	if ((r = refresh_readers(p, fn, arg, stop)) != 0)
		return r;
	p->watch_started = 1;
	return 0;
}

int sk_pcsc_watch(struct sk_pcsc *p, int timeout_ms, sk_pcsc_watch_fn fn, void *arg)
{
	uint64_t deadline = timeout_ms < 0 ? UINT64_MAX : now_ms() + (uint64_t)timeout_ms;
	uint64_t left, t;
	DWORD wait_ms;
	int r, stop = 0;

	if ((r = watch_context(p)) != 0)
		return r;
	if ((r = watch_start(p, fn, arg, &stop)) != 0) {
		if (r == SK_ERR_NO_READER)
			watch_lost(p, fn, arg);
		return r;
	}
	for (;;) {
		if (stop)
			return 0;
		if (__atomic_exchange_n(&p->cancel, 0, __ATOMIC_SEQ_CST))
			return SK_ERR_CANCELED;
		t = now_ms();
		left = deadline > t ? deadline - t : 0;
		if (deadline == UINT64_MAX && p->pnp_ok)
			wait_ms = WAIT_FOREVER_MS;
		else if (!p->pnp_ok && left > WAIT_SLICE_MS)
			wait_ms = WAIT_SLICE_MS;
		else
			wait_ms = left > 0x7fffffffu ? 0x7fffffffu : (DWORD)left;
		r = wait_once(p, wait_ms, fn, arg, &stop);
		if (r == SK_ERR_NO_READER)
			watch_lost(p, fn, arg);
		if (r != 0)
			return r;
		if (!stop && left == 0 && !__atomic_load_n(&p->cancel, __ATOMIC_SEQ_CST))
			return SK_ERR_TIMEOUT;
	}
}
