/* cardmgr.c — the card manager: a watcher thread on sk_pcsc_watch tracks readers and cards,
 * identifies each chip on insert (OpenPGP AID -> fs-<serial>, then which applets answer), records
 * it in state.db, and hands cards to operations one at a time (skd_card_acquire). Presence is
 * updated before identification so that listing never waits for a card operation. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/card.h"
#include "common/pcsc.h"
#include "common/tlv.h"
#include "common/sk_err.h"
#include "desfire.h"
#include "event.h"
#include "notify.h"
#include "skd_int.h"

#define MAX_READERS 16

struct reader {
	int used;
	char name[128];
	int card;                        /* a card is in the field */
	char chip[SKD_CHIPID_MAX];       /* identified chip ("" until identified or unknown) */
	char applets[96];
	struct sk_card *sc;              /* open connection; guarded by card_mu */
	uint64_t seq;                    /* insert sequence: detects remove + reinsert */
};

struct skd_card {
	struct sk_card *sc;
	char chip[SKD_CHIPID_MAX];
	int idx;
	uint64_t seq;
	int held;                        /* card_mu and the PC/SC transaction are ours */
};

/* The card this thread holds (one at most: card_mu is not recursive), so that waiting for the
 * client (skd_pin_obtain) can give it back meanwhile. */
static __thread struct skd_card *thread_held;

static struct sk_pcsc *pcsc;
static pthread_t watch_thread;
static int watch_running;
static struct reader readers[MAX_READERS];
static uint64_t generation, insert_seq;
/* mgr_mu guards readers[] (except .sc) and generation; card_mu serializes card use and .sc.
 * Order: card_mu before mgr_mu. */
static pthread_mutex_t mgr_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t card_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t mgr_cv;

static const struct {
	const char *name;
	uint8_t aid[8];
	size_t len;
} extra_applets[] = {
	{ "ykhmac", { 0xA0, 0x00, 0x00, 0x05, 0x27, 0x20, 0x01 }, 7 },
	{ "oath", { 0xA0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01 }, 7 },
	{ "fido2", { 0xA0, 0x00, 0x00, 0x06, 0x47, 0x2F, 0x00, 0x01 }, 8 },
};

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static int find_reader(const char *name)
{
	for (int i = 0; i < MAX_READERS; i++)
		if (readers[i].used && strcmp(readers[i].name, name) == 0)
			return i;
	return -1;
}

static void changed_locked(void)
{
	generation++;
	pthread_cond_broadcast(&mgr_cv);
}

static int select_aid(struct sk_card *sc, const uint8_t *aid, size_t len, struct sk_buf *rsp)
{
	struct sk_apdu a = { 0x00, 0xA4, 0x04, 0x00, aid, len, 256, 0 };
	uint16_t sw = 0;
	int r;

	if ((r = sk_card_apdu(sc, &a, rsp, &sw)) != 0)
		return r;
	return sk_sw_to_err(sw);
}

static void applets_add(char *list, size_t n, const char *name)
{
	size_t used = strlen(list);
	snprintf(list + used, n - used, "%s%s", used ? "," : "", name);
}

/* The chip id from the OpenPGP AID (4F, 16 bytes). */
static int chip_from_aid(const uint8_t *p, size_t n, char *chip, size_t len)
{
	static const uint8_t rid[] = { 0xD2, 0x76, 0x00, 0x01, 0x24, 0x01 };

	if (n != 16 || memcmp(p, rid, sizeof(rid)) != 0) {
		sk_warn("the OpenPGP AID (%zu bytes) does not parse", n);
		return SK_ERR_BAD_RESPONSE;
	}
	snprintf(chip, len, "fs-%02x%02x%02x%02x%02x%02x", p[8], p[9], p[10], p[11], p[12], p[13]);
	return 0;
}

/* SELECT OpenPGP + GET DATA 6E: the AID inside names the chip, and the rest is what the refresh
 * needs anyway (app keeps the answer). When 6E does not parse, GET DATA 4F alone still names the
 * chip, so it can be listed with the reason its data could not be read. */
static int quick_id(struct sk_card *sc, char *chip, size_t n, struct sk_buf *app)
{
	static const uint8_t aid[] = { 0xD2, 0x76, 0x00, 0x01, 0x24, 0x01 };
	struct sk_apdu a6e = { 0x00, 0xCA, 0x00, 0x6E, NULL, 0, 256, 0 };
	struct sk_apdu a4f = { 0x00, 0xCA, 0x00, 0x4F, NULL, 0, 256, 0 };
	struct sk_buf *rsp = sk_buf_new(4096);
	struct sk_tlv t;
	uint16_t sw = 0;
	int r = SK_ERR_NOMEM;

	sk_buf_reset(app);
	if (rsp == NULL)
		goto out;
	if ((r = select_aid(sc, aid, sizeof(aid), rsp)) != 0)
		goto out;
	if ((r = sk_card_apdu(sc, &a6e, app, &sw)) != 0)
		goto out;
	if (sk_sw_to_err(sw) == 0 &&
	    sk_tlv_find(sk_buf_ptr(app), sk_buf_len(app), 0x4F, 1, &t) == 0) {
		r = chip_from_aid(t.value, t.len, chip, n);
		goto out;
	}
	sk_info("GET DATA 6E (SW %04X) names no chip: reading the AID alone", sw);
	sk_buf_reset(app);
	if ((r = sk_card_apdu(sc, &a4f, rsp, &sw)) != 0 || (r = sk_sw_to_err(sw)) != 0)
		goto out;
	r = chip_from_aid(sk_buf_ptr(rsp), sk_buf_len(rsp), chip, n);
out:
	sk_buf_free(&rsp);
	return r;
}

/* Which applets answer; a chip seen before keeps its list (applets rarely change). */
static int probe_applets(struct sk_card *sc, const char *chip, char *applets, size_t alen)
{
	struct skd_chip_info known;
	struct sk_buf *rsp;
	int r = 0;

	if (skd_state_chip_get(chip, &known) == 0 && known.applets[0] != '\0') {
		snprintf(applets, alen, "%s", known.applets);
		return 0;
	}
	if ((rsp = sk_buf_new(4096)) == NULL)
		return SK_ERR_NOMEM;
	snprintf(applets, alen, "openpgp");
	for (size_t i = 0; i < sizeof(extra_applets) / sizeof(extra_applets[0]); i++) {
		int e = select_aid(sc, extra_applets[i].aid, extra_applets[i].len, rsp);
		if (e == SK_ERR_CARD_REMOVED) {
			r = e;
			break;
		}
		if (e == 0)
			applets_add(applets, alen, extra_applets[i].name);
	}
	sk_buf_free(&rsp);
	return r;
}

static void set_identified(int idx, uint64_t seq, const char *chip, const char *applets)
{
	pthread_mutex_lock(&mgr_mu);
	if (readers[idx].card && readers[idx].seq == seq) {
		snprintf(readers[idx].chip, sizeof(readers[idx].chip), "%s", chip);
		snprintf(readers[idx].applets, sizeof(readers[idx].applets), "%s", applets);
		changed_locked();
	}
	pthread_mutex_unlock(&mgr_mu);
}

/* A MIFARE DESFire (the vault chip): GetVersion (three frames) carries the 7-byte UID. */
static int desfire_id(struct sk_card *sc, char *chip, size_t n)
{
	struct desfire_io io;
	struct desfire *df = NULL;
	struct desfire_version v;
	int r;

	desfire_io_from_card(sc, &io);
	if ((r = desfire_new(&io, &df)) != 0)
		return r;
	/* A process killed mid-operation leaves the chip authenticated (pcscd disconnects it with
	 * SCARD_LEAVE_CARD), and a plain GetVersion then fails: selecting the PICC ends that. */
	if ((r = desfire_select_app(df, desfire_picc_aid)) != 0)
		sk_debug("DESFire: selecting the PICC level: %s", sk_strerror(r));
	if ((r = desfire_get_version(df, &v)) == 0) {
		static const uint8_t zero[7];
		if (memcmp(v.uid, zero, sizeof(zero)) == 0) {
			/* random-ID chips hide the UID until authenticated: not supported yet */
			sk_warn("DESFire chip with a random UID: cannot identify it");
			r = SK_ERR_UNSUPPORTED;
		} else {
			snprintf(chip, n, "df-%02x%02x%02x%02x%02x%02x%02x", v.uid[0], v.uid[1],
			    v.uid[2], v.uid[3], v.uid[4], v.uid[5], v.uid[6]);
			if (v.hw_major != DESFIRE_HW_MAJOR_EV3)
				sk_info("%s: DESFire hardware %u.%u, not EV3", chip, v.hw_major,
				    v.hw_minor);
		}
	}
	desfire_free(&df);
	return r;
}

/* Subscribers (OpenPGP cache, PIN cache, outbox) learn of the chip with the card still held;
 * app: the answer to GET DATA 6E read while identifying (the OpenPGP cache does not read it again). */
static void chip_seen(struct sk_card *sc, const char *chip, const char *reader, const char *applets,
    const struct sk_buf *app)
{
	struct skd_event ev = { .kind = SKD_EV_CHIP_SEEN, .chip = chip, .reader = reader,
		.applets = applets, .card = sc, .counter = -1, .retries = -1 };

	if (app != NULL && sk_buf_len(app) > 0) {
		ev.app = sk_buf_ptr(app);
		ev.app_len = sk_buf_len(app);
	}
	skd_event_publish(&ev);
}

static void chip_left(const char *chip, const char *reader, const char *why)
{
	struct skd_event ev = { .kind = SKD_EV_CHIP_LEFT, .chip = chip, .reader = reader,
		.detail = why, .counter = -1, .retries = -1 };

	skd_event_publish(&ev);
}

/* duress = on and the chip has a DuressApplet: it is listed locked, under a chip id no context
 * shares, and nothing of any OpenPGP instance is read until an unlock picks one (doc/DURESS.md). */
static int identify_locked(int idx, uint64_t seq, const char *name, struct sk_card *sc)
{
	set_identified(idx, seq, SKD_LOCKED_CHIP, SKD_LOCKED_APPLETS);
	sk_info("chip %s in %s (applets %s)", SKD_LOCKED_CHIP, name, SKD_LOCKED_APPLETS);
	chip_seen(sc, SKD_LOCKED_CHIP, name, "duress", NULL);   /* no OpenPGP cache for it */
	return 0;
}

static int identify_with(int idx, uint64_t seq, const char *name, struct sk_card *sc,
    struct sk_buf *app, char *chip, size_t clen, char *applets, size_t alen)
{
	int r;

	if (skd_config.duress) {
		if ((r = skd_duress_probe(sc)) == 1)
			return identify_locked(idx, seq, name, sc);
		if (r == SK_ERR_CARD_REMOVED)
			return r;
	}
	if ((r = quick_id(sc, chip, clen, app)) != 0) {
		if (r != SK_ERR_CARD_REMOVED && desfire_id(sc, chip, clen) == 0) {
			skd_state_chip_seen(chip, "desfire", now_s());
			skd_cache_put(chip, "reader", (const uint8_t *)name, strlen(name));
			set_identified(idx, seq, chip, "desfire");
			sk_info("chip %s in %s (DESFire)", chip, name);
			chip_seen(sc, chip, name, "desfire", NULL);
			return 0;
		}
		sk_info("%s: no usable OpenPGP applet (%s): unknown chip", name, sk_strerror(r));
		return r;
	}
	if ((r = probe_applets(sc, chip, applets, alen)) != 0)
		return r;
	skd_state_chip_seen(chip, applets, now_s());
	skd_cache_put(chip, "reader", (const uint8_t *)name, strlen(name));
	set_identified(idx, seq, chip, applets);
	sk_info("chip %s in %s (applets %s)", chip, name, applets);
	chip_seen(sc, chip, name, applets, app);   /* the OpenPGP glue caches the public data */
	return 0;
}

/* Under card_mu with a transaction open. */
static int identify(int idx, uint64_t seq, const char *name, struct sk_card *sc)
{
	char chip[SKD_CHIPID_MAX], applets[96];
	struct sk_buf *app = sk_buf_new(4096);
	int r;

	if (app == NULL)
		return SK_ERR_NOMEM;
	r = identify_with(idx, seq, name, sc, app, chip, sizeof(chip), applets, sizeof(applets));
	sk_buf_free(&app);
	return r;
}

static void on_card_inserted(int idx, const char *name)
{
	struct sk_card *sc = NULL;
	char old[SKD_CHIPID_MAX];
	uint64_t seq;
	int r;

	pthread_mutex_lock(&mgr_mu);
	snprintf(old, sizeof(old), "%s", readers[idx].chip);
	readers[idx].card = 1;
	readers[idx].chip[0] = '\0';
	seq = readers[idx].seq = ++insert_seq;
	changed_locked();
	pthread_mutex_unlock(&mgr_mu);
	if (old[0] != '\0')   /* a new insert without a removal in between */
		chip_left(old, name, "replaced");

	pthread_mutex_lock(&card_mu);
	sk_card_free(&readers[idx].sc);
	if ((r = sk_pcsc_connect(pcsc, name, &sc)) != 0) {
		sk_warn("%s: cannot connect to the card: %s", name, sk_strerror(r));
		goto out;
	}
	if ((r = sk_card_begin(sc)) == 0) {
		if (identify(idx, seq, name, sc) != 0)
			sk_warn("%s: card not identified", name);
		sk_card_end(sc);
	}
out:
	readers[idx].sc = sc;
	pthread_mutex_unlock(&card_mu);
}

static void on_card_removed(int idx)
{
	char chip[SKD_CHIPID_MAX];

	pthread_mutex_lock(&mgr_mu);
	snprintf(chip, sizeof(chip), "%s", readers[idx].chip);
	readers[idx].card = 0;
	readers[idx].chip[0] = '\0';
	readers[idx].applets[0] = '\0';
	changed_locked();
	pthread_mutex_unlock(&mgr_mu);
	if (chip[0] != '\0') {
		sk_info("chip %s left %s", chip, readers[idx].name);
		skd_state_chip_seen(chip, NULL, now_s());
		chip_left(chip, readers[idx].name, "removed");
	}
	pthread_mutex_lock(&card_mu);
	sk_card_free(&readers[idx].sc);
	pthread_mutex_unlock(&card_mu);
}

static int add_reader(const char *name)
{
	int idx;

	pthread_mutex_lock(&mgr_mu);
	if ((idx = find_reader(name)) < 0) {
		for (idx = 0; idx < MAX_READERS && readers[idx].used; idx++)
			;
		if (idx == MAX_READERS) {
			idx = -1;
		} else {
			memset(&readers[idx], 0, sizeof(readers[idx]));
			readers[idx].used = 1;
			snprintf(readers[idx].name, sizeof(readers[idx].name), "%s", name);
			changed_locked();
		}
	}
	pthread_mutex_unlock(&mgr_mu);
	return idx;
}

static int on_event(enum sk_pcsc_event ev, const char *name, void *arg)
{
	int idx;

	(void)arg;
	if (!skd_conf_reader_allowed(&skd_config, name)) {
		sk_debug("reader %s ignored (reader-allow/reader-deny)", name);
		return 0;
	}
	sk_debug("pcsc event %s: %s", sk_pcsc_event_name(ev), name);
	switch (ev) {
	case SK_PCSC_READER_ADDED:
		if (add_reader(name) < 0)
			sk_warn("too many readers: %s ignored", name);
		break;
	case SK_PCSC_CARD_INSERTED:
		if ((idx = add_reader(name)) >= 0)
			on_card_inserted(idx, name);
		break;
	case SK_PCSC_CARD_REMOVED:
		if ((idx = find_reader(name)) >= 0)
			on_card_removed(idx);
		break;
	case SK_PCSC_READER_REMOVED:
		if ((idx = find_reader(name)) >= 0) {
			on_card_removed(idx);
			pthread_mutex_lock(&mgr_mu);
			readers[idx].used = 0;
			changed_locked();
			pthread_mutex_unlock(&mgr_mu);
		}
		break;
	}
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Waits MS milliseconds or until skd_cardmgr_stop(), whichever comes first. */
static void watch_pause(long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&mgr_mu);
	while (watch_running && pthread_cond_timedwait(&mgr_cv, &mgr_mu, &ts) == 0)
		;
	pthread_mutex_unlock(&mgr_mu);
}

/* The watcher sleeps in SCardGetStatusChange until pcscd reports a change. Only while pcscd
 * cannot be reached does it look again, less and less often (1 s doubling up to 30 s), so an
 * idle daemon without pcscd does not wake every second either. */
static void *watch_main(void *arg)
{
	long backoff = 1000;
	int r;

	(void)arg;
	while (watch_running) {
		if (pcsc == NULL && (r = sk_pcsc_open(&pcsc)) != 0) {
			sk_debug("pcscd not reachable (%s); looking again in %ld s", sk_strerror(r),
			    backoff / 1000);
			watch_pause(backoff);
			backoff = backoff >= 15000 ? 30000 : backoff * 2;
			continue;
		}
		r = sk_pcsc_watch(pcsc, -1, on_event, NULL);
		if (r == SK_ERR_CANCELED || !watch_running)
			break;
		if (r != SK_ERR_NO_READER)
			backoff = 1000;
		sk_warn("reader watcher stopped (%s); restarting", sk_strerror(r));
		watch_pause(r == SK_ERR_NO_READER ? backoff : 500);
		if (r == SK_ERR_NO_READER)
			backoff = backoff >= 15000 ? 30000 : backoff * 2;
	}
	return NULL;
}

int skd_cardmgr_start(void)
{
	pthread_condattr_t ca;
	int r;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&mgr_cv, &ca);
	pthread_condattr_destroy(&ca);
	if (sk_pcsc_open(&pcsc) != 0)
		sk_warn("pcscd not reachable yet: readers appear when it starts");
	/* A first pass in this thread: a client that started us sees the chip at once. */
	else if ((r = sk_pcsc_watch(pcsc, 200, on_event, NULL)) != 0 && r != SK_ERR_TIMEOUT)
		sk_warn("first reader scan: %s", sk_strerror(r));
	watch_running = 1;
	if (pthread_create(&watch_thread, NULL, watch_main, NULL) != 0) {
		watch_running = 0;
		sk_error("cannot start the reader watcher thread");
		return SK_ERR_INTERNAL;
	}
	return 0;
}

void skd_cardmgr_stop(void)
{
	if (!watch_running)
		return;
	pthread_mutex_lock(&mgr_mu);
	watch_running = 0;
	pthread_cond_broadcast(&mgr_cv);
	pthread_mutex_unlock(&mgr_mu);
	/* The watcher waits without a timeout: a cancel that lands just before it enters
	 * SCardGetStatusChange would be lost, so cancel again until it is gone. */
	for (;;) {
		struct timespec ts;

		if (pcsc != NULL)
			sk_pcsc_cancel(pcsc);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (pthread_timedjoin_np(watch_thread, NULL, &ts) == 0)
			break;
	}
	pthread_mutex_lock(&card_mu);
	for (int i = 0; i < MAX_READERS; i++)
		sk_card_free(&readers[i].sc);
	pthread_mutex_unlock(&card_mu);
	sk_pcsc_close(&pcsc);
}

int skd_cardmgr_readers(struct skd_reader_info **out, size_t *n)
{
	struct skd_reader_info *v;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if ((v = calloc(MAX_READERS, sizeof(*v))) == NULL)
		return SK_ERR_NOMEM;
	pthread_mutex_lock(&mgr_mu);
	for (int i = 0; i < MAX_READERS; i++) {
		if (!readers[i].used)
			continue;
		snprintf(v[k].name, sizeof(v[k].name), "%s", readers[i].name);
		v[k].card = readers[i].card;
		snprintf(v[k].chip, sizeof(v[k].chip), "%s", readers[i].chip);
		k++;
	}
	pthread_mutex_unlock(&mgr_mu);
	*out = v;
	*n = k;
	return 0;
}

static int find_chip_locked(const char *chip)
{
	for (int i = 0; i < MAX_READERS; i++) {
		if (!readers[i].used || !readers[i].card || readers[i].chip[0] == '\0')
			continue;
		if (chip == NULL || chip[0] == '\0' || strcmp(readers[i].chip, chip) == 0)
			return i;
	}
	return -1;
}

int skd_cardmgr_present(const char *chipid, char *reader, size_t rlen)
{
	int idx;

	pthread_mutex_lock(&mgr_mu);
	idx = find_chip_locked(chipid);
	if (idx >= 0 && reader != NULL)
		snprintf(reader, rlen, "%s", readers[idx].name);
	pthread_mutex_unlock(&mgr_mu);
	return idx >= 0;
}

int skd_cardmgr_current(char *chipid, size_t n)
{
	int idx;

	pthread_mutex_lock(&mgr_mu);
	idx = find_chip_locked(NULL);
	snprintf(chipid, n, "%s", idx >= 0 ? readers[idx].chip : "");
	pthread_mutex_unlock(&mgr_mu);
	return idx >= 0 ? 0 : SK_ERR_NO_CARD;
}

uint64_t skd_cardmgr_generation(void)
{
	uint64_t g;

	pthread_mutex_lock(&mgr_mu);
	g = generation;
	pthread_mutex_unlock(&mgr_mu);
	return g;
}

/* A desktop notification for a client that cannot show the tap prompt (agent/notify.c). */
static void tap_notice(const char *chip, struct skd_notice **notice)
{
	struct skd_chip_info ci;
	int known = chip != NULL && chip[0] != '\0' && skd_chip_find(chip, &ci) == 0;

	skd_notify_tap(chip, known ? ci.label : NULL, skd_config.tap_timeout_ms, notice);
}

/* One wait on mgr_cv under mgr_mu: until the deadline, or for a client at most 250 ms so that
 * a client hanging up is noticed (these wake-ups exist only while someone waits for a tap).
 * ETIMEDOUT only when the deadline itself passed. */
static int wait_slice(struct skd_conn *c, const struct timespec *deadline)
{
	struct timespec now, until = *deadline;

	if (c != NULL) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		now.tv_nsec += 250000000L;
		if (now.tv_nsec >= 1000000000L) {
			now.tv_sec++;
			now.tv_nsec -= 1000000000L;
		}
		if (now.tv_sec < until.tv_sec || (now.tv_sec == until.tv_sec && now.tv_nsec < until.tv_nsec))
			until = now;
	}
	if (pthread_cond_timedwait(&mgr_cv, &mgr_mu, &until) != ETIMEDOUT)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec > deadline->tv_sec ||
	    (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec)) ? ETIMEDOUT : 0;
}

/* Waits until the chip is identified in a reader, the deadline passes (SK_ERR_TIMEOUT) or the
 * client hangs up (SK_ERR_CANCELED). */
static int wait_chip(struct skd_conn *c, const char *chip, const struct timespec *deadline,
    int *idx, uint64_t *seq)
{
	struct skd_notice *notice = NULL;
	int told = 0, r = 0;

	pthread_mutex_lock(&mgr_mu);
	while ((*idx = find_chip_locked(chip)) < 0) {
		if (!told) {
			told = 1;
			sk_info("waiting up to %d s: tap chip %s", skd_config.tap_timeout_ms / 1000,
			    chip && chip[0] ? chip : "(any)");
			pthread_mutex_unlock(&mgr_mu);
			struct skd_event ev = { .kind = SKD_EV_TAP_WANTED, .chip = chip, .conn = c,
				.tap_timeout_s = skd_config.tap_timeout_ms / 1000, .counter = -1,
				.retries = -1 };
			skd_event_publish(&ev);
			tap_notice(chip, &notice);
			pthread_mutex_lock(&mgr_mu);
			continue;
		}
		if (wait_slice(c, deadline) == ETIMEDOUT && find_chip_locked(chip) < 0) {
			r = SK_ERR_TIMEOUT;
			break;
		}
		/* a client that hung up (or shut its side down) cancels its wait */
		if (c != NULL && find_chip_locked(chip) < 0 && skd_conn_hungup(c)) {
			r = SK_ERR_CANCELED;
			break;
		}
	}
	if (*idx >= 0)
		*seq = readers[*idx].seq;
	pthread_mutex_unlock(&mgr_mu);
	skd_notify_close(&notice);   /* the tap came or the wait ended */
	return r;
}

int skd_card_acquire(struct skd_conn *c, const char *chipid, struct skd_card **out)
{
	struct timespec deadline;
	struct skd_card *h = NULL;
	uint64_t seq = 0;
	int idx, r;

	*out = NULL;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += skd_config.tap_timeout_ms / 1000;
	deadline.tv_nsec += (long)(skd_config.tap_timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return SK_ERR_NOMEM;
	for (;;) {
		if ((r = wait_chip(c, chipid, &deadline, &idx, &seq)) != 0) {
			if (r == SK_ERR_CANCELED)
				sk_info("the client gave up waiting for chip %s", chipid && *chipid ? chipid : "(any)");
			else
				sk_warn("no tap of chip %s within tap-timeout", chipid && *chipid ? chipid : "(any)");
			goto out;
		}
		pthread_mutex_lock(&card_mu);
		pthread_mutex_lock(&mgr_mu);
		r = (readers[idx].card && readers[idx].seq == seq && readers[idx].sc != NULL) ? 0 : -1;
		if (r == 0)
			snprintf(h->chip, sizeof(h->chip), "%s", readers[idx].chip);
		pthread_mutex_unlock(&mgr_mu);
		if (r == 0 && (r = sk_card_begin(readers[idx].sc)) == 0)
			break;
		pthread_mutex_unlock(&card_mu);
		sleep_ms(20);   /* the chip left between the wait and the lock: wait again */
	}
	h->sc = readers[idx].sc;
	h->idx = idx;
	h->seq = seq;
	h->held = 1;
	thread_held = h;
	*out = h;
	h = NULL;
	r = 0;
out:
	free(h);
	return r;
}

struct skd_card *skd_card_suspend(void)
{
	struct skd_card *h = thread_held;

	if (h == NULL || !h->held)
		return NULL;
	sk_debug("%s: card lock and transaction released while the client answers", h->chip);
	sk_card_end(h->sc);
	h->held = 0;
	pthread_mutex_unlock(&card_mu);
	return h;
}

int skd_card_resume(struct skd_card *h)
{
	int same, r;

	if (h == NULL)
		return 0;
	pthread_mutex_lock(&card_mu);
	pthread_mutex_lock(&mgr_mu);
	same = readers[h->idx].card && readers[h->idx].seq == h->seq && readers[h->idx].sc == h->sc;
	pthread_mutex_unlock(&mgr_mu);
	if (!same) {   /* the chip left meanwhile: h->sc may be gone, never touch it again */
		pthread_mutex_unlock(&card_mu);
		sk_info("%s: the chip left while the client answered", h->chip);
		h->sc = NULL;
		return SK_ERR_CARD_REMOVED;
	}
	if ((r = sk_card_begin(h->sc)) == SK_ERR_CARD_RESET)
		r = sk_card_begin(h->sc);   /* another program reset the card: reconnected */
	if (r != 0) {
		pthread_mutex_unlock(&card_mu);
		sk_warn("%s: card not taken back: %s", h->chip, sk_strerror(r));
		return r;
	}
	h->held = 1;
	return 0;
}

struct sk_card *skd_card_raw(struct skd_card *h)
{
	return h->sc;
}

const char *skd_card_chip(const struct skd_card *h)
{
	return h->chip;
}

int skd_card_become(struct skd_card *h, const char *chip)
{
	char applets[96], reader[128], old[SKD_CHIPID_MAX];
	int locked = strcmp(chip, SKD_LOCKED_CHIP) == 0, same, r = 0;

	pthread_mutex_lock(&mgr_mu);
	same = readers[h->idx].card && readers[h->idx].seq == h->seq;
	snprintf(reader, sizeof(reader), "%s", readers[h->idx].name);
	pthread_mutex_unlock(&mgr_mu);
	if (!same)
		return SK_ERR_CARD_REMOVED;
	if (locked)
		snprintf(applets, sizeof(applets), "%s", SKD_LOCKED_APPLETS);
	else if ((r = probe_applets(h->sc, chip, applets, sizeof(applets))) != 0)
		return r;
	pthread_mutex_lock(&mgr_mu);
	if (readers[h->idx].card && readers[h->idx].seq == h->seq) {
		snprintf(readers[h->idx].chip, sizeof(readers[h->idx].chip), "%s", chip);
		snprintf(readers[h->idx].applets, sizeof(readers[h->idx].applets), "%s", applets);
		changed_locked();
	} else {
		r = SK_ERR_CARD_REMOVED;
	}
	pthread_mutex_unlock(&mgr_mu);
	if (r != 0)
		return r;
	snprintf(old, sizeof(old), "%s", h->chip);
	snprintf(h->chip, sizeof(h->chip), "%s", chip);
	if (old[0] != '\0' && strcmp(old, chip) != 0 && strcmp(old, SKD_LOCKED_CHIP) != 0)
		chip_left(old, reader, "context ended");
	sk_info("chip %s in %s (applets %s)", chip, reader, applets);
	if (locked) {
		chip_seen(h->sc, chip, reader, "duress", NULL);
		return 0;
	}
	skd_state_chip_seen(chip, applets, now_s());
	skd_cache_put(chip, "reader", (const uint8_t *)reader, strlen(reader));
	chip_seen(h->sc, chip, reader, applets, NULL);   /* the OpenPGP glue caches the public data */
	return 0;
}

void skd_card_lost(struct skd_card *h)
{
	char reader[128];
	int lost = 0;

	pthread_mutex_lock(&mgr_mu);
	if (readers[h->idx].seq == h->seq && readers[h->idx].card &&
	    readers[h->idx].chip[0] != '\0') {
		readers[h->idx].chip[0] = '\0';
		snprintf(reader, sizeof(reader), "%s", readers[h->idx].name);
		changed_locked();
		lost = 1;
	}
	pthread_mutex_unlock(&mgr_mu);
	if (lost)
		chip_left(h->chip, reader, "lost during an operation");
}

void skd_card_release(struct skd_card **hp)
{
	struct skd_card *h;

	if (hp == NULL || (h = *hp) == NULL)
		return;
	if (h->held) {
		sk_card_end(h->sc);
		pthread_mutex_unlock(&card_mu);
	}
	if (thread_held == h)
		thread_held = NULL;
	free(h);
	*hp = NULL;
}
