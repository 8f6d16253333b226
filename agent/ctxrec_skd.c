/* ctxrec_skd.c — skinkeyd's per-context records (ctxrec.h, doc/DURESS.md "Disk").
 *
 * contexts.rec sits next to state.db and is made at the first start on every install, duress
 * or not. While a duress context is active (SKD_EV_CONTEXT start .. end), everything state.c
 * would write for the context's chip id — its chips row and its cached public data — lives in
 * the context's record instead, in memory, sealed into the context's slot (slot = context id)
 * when it changes durably (the instance mapping, a label) and when the context ends. Nothing of
 * the context reaches state.db. The key is derived from the context's CHALLENGE answer and
 * wiped at the end. Nothing here logs which context or slot is in use. */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "ctxrec.h"
#include "event.h"
#include "skd_int.h"

#define CACHE_PREFIX "c."
#define AID_KEY      "inst.aid"
#define LABEL_KEY    "chip.label"
#define APPLETS_KEY  "chip.applets"
#define FIRST_KEY    "chip.first"
#define LAST_KEY     "chip.last"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char rec_path[PATH_MAX];   /* "" when the file cannot be used */

static struct {
	char chip[SKD_CHIPID_MAX];        /* "" when no context is active */
	int slot;
	uint8_t *key;                     /* secure memory, CTXREC_KEY_LEN */
	uint8_t hdr[CTXREC_HDR_LEN];
	int have_hdr;
	struct ctxrec *rec;
	int dirty;
} act;

/* Chip ids of contexts that ended in this daemon's life: a write for one that comes late (an
 * operation still running at the lock) is dropped, never sent to state.db in clear. */
#define ENDED_MAX 8
static char ended[ENDED_MAX][SKD_CHIPID_MAX];
static size_t n_ended;

int skd_ctxrec_open(const char *path)
{
	char def[PATH_MAX];
	int r;

	pthread_mutex_lock(&mu);
	rec_path[0] = '\0';
	if (path == NULL) {
		if ((r = skd_data_path("contexts.rec", def, sizeof(def))) != 0)
			goto out;
		path = def;
	}
	if ((r = ctxrec_file_init(path)) != 0)
		goto out;
	snprintf(rec_path, sizeof(rec_path), "%s", path);
out:
	if (r != 0)
		sk_error("contexts.rec cannot be used (%s): duress contexts keep their state in "
		    "memory only", sk_strerror(r));
	pthread_mutex_unlock(&mu);
	return 0;   /* never fatal: nothing of a context goes to state.db either way */
}

const char *skd_ctxrec_path(void)
{
	return rec_path;
}

/* Seal the active record into its slot (mu held). */
static int flush_held(void)
{
	static uint8_t sealed[CTXREC_SIZE];
	int r;

	if (act.chip[0] == '\0' || !act.dirty)
		return 0;
	if (rec_path[0] == '\0' || !act.have_hdr || act.key == NULL)
		return SK_ERR_IO;   /* kept in memory for the context's life */
	if ((r = ctxrec_seal(act.key, act.hdr, act.slot, act.rec, sealed)) == 0 &&
	    (r = ctxrec_file_write(rec_path, act.slot, sealed)) == 0)
		act.dirty = 0;
	if (r != 0)
		sk_warn("the active context's record was not written: %s", sk_strerror(r));
	return r;
}

static int ended_held(const char *chip)
{
	for (size_t i = 0; chip != NULL && i < n_ended; i++)
		if (strcmp(ended[i], chip) == 0)
			return 1;
	return 0;
}

static void end_held(void)
{
	if (act.chip[0] == '\0')
		return;
	if (!ended_held(act.chip)) {
		if (n_ended == ENDED_MAX)
			memmove(ended[0], ended[1], sizeof(ended[0]) * (ENDED_MAX - 1));
		else
			n_ended++;
		snprintf(ended[n_ended - 1], sizeof(ended[0]), "%s", act.chip);
	}
	flush_held();
	ctxrec_free(&act.rec);
	sk_secure_free(act.key);
	act.key = NULL;
	sk_wipe(act.hdr, sizeof(act.hdr));
	act.have_hdr = 0;
	act.dirty = 0;
	act.chip[0] = '\0';
}

void skd_ctxrec_close(void)
{
	pthread_mutex_lock(&mu);
	end_held();
	pthread_mutex_unlock(&mu);
}

/* The record of slot, opened with secret: *rec (empty when the slot holds no record of this
 * secret: random, or written under an older key), key and header kept for sealing. */
static int load(int slot, const uint8_t *secret, size_t len, uint8_t *key, uint8_t *hdr,
    int *have_hdr, struct ctxrec **rec)
{
	static uint8_t sealed[CTXREC_SIZE];
	int r;

	*have_hdr = 0;
	if ((*rec = ctxrec_new()) == NULL)
		return SK_ERR_NOMEM;
	if (rec_path[0] == '\0' || ctxrec_file_read(rec_path, slot, hdr, sealed) != 0)
		return 0;
	*have_hdr = 1;
	if ((r = ctxrec_derive(secret, len, hdr + CTXREC_HDR_LEN - CTXREC_SALT_LEN, slot, key)) != 0)
		return r;
	if ((r = ctxrec_unseal(key, hdr, slot, sealed, *rec)) != 0 && r != SK_ERR_CRYPTO)
		sk_warn("the context's record does not parse: starting it again");
	return 0;
}

static int on_context(const struct skd_event *ev, void *arg)
{
	int r = 0;

	(void)arg;
	pthread_mutex_lock(&mu);
	if (ev->ctx_secret == NULL) {
		if (ev->chip == NULL || strcmp(ev->chip, act.chip) == 0)
			end_held();
		goto out;
	}
	end_held();   /* one context at a time */
	if (ev->chip == NULL)
		goto out;
	act.slot = ev->context;
	act.dirty = 0;
	act.have_hdr = 0;
	if (ev->context < 0 || ev->context >= CTXREC_SLOTS || ev->ctx_secret_len == 0 ||
	    (act.key = sk_secure_alloc(CTXREC_KEY_LEN)) == NULL ||
	    (r = load(ev->context, ev->ctx_secret, ev->ctx_secret_len, act.key, act.hdr,
	    &act.have_hdr, &act.rec)) != 0) {
		/* no record to open or seal: the context's state is held in memory only (never
		 * in state.db), and lost at its end */
		sk_warn("a context's record cannot be used: its state stays in memory");
		ctxrec_free(&act.rec);
		sk_secure_free(act.key);
		act.key = NULL;
		act.have_hdr = 0;
		if ((act.rec = ctxrec_new()) == NULL)
			goto out;
	}
	snprintf(act.chip, sizeof(act.chip), "%s", ev->chip);
out:
	pthread_mutex_unlock(&mu);
	return 0;   /* the unlock goes on: the context's state is then memory only */
}

int skd_ctxrec_events_init(void)
{
	return skd_event_subscribe(SKD_EV_MASK(SKD_EV_CONTEXT), on_context, NULL);
}

static int owns_held(const char *chip)
{
	return chip != NULL && act.chip[0] != '\0' && act.rec != NULL && strcmp(chip, act.chip) == 0;
}

int skd_ctxrec_owns(const char *chip)
{
	int on;

	pthread_mutex_lock(&mu);
	on = owns_held(chip) || ended_held(chip);
	pthread_mutex_unlock(&mu);
	return on;
}

/* rk = CACHE_PREFIX key, or the record's own keys when raw. */
static int rec_key(const char *key, int raw, char *rk, size_t n)
{
	if (snprintf(rk, n, "%s%s", raw ? "" : CACHE_PREFIX, key) >= (int)n)
		return SK_ERR_TOOBIG;
	return 0;
}

static int get_held(const char *key, int raw, uint8_t **val, size_t *len)
{
	char rk[CTXREC_KEY_MAX + 1];
	const uint8_t *v;
	size_t n;
	int r;

	*val = NULL;
	*len = 0;
	if ((r = rec_key(key, raw, rk, sizeof(rk))) != 0 ||
	    (r = ctxrec_get(act.rec, rk, &v, &n)) != 0)
		return r == SK_ERR_TOOBIG ? SK_ERR_NOT_FOUND : r;
	if ((*val = malloc(n + 1)) == NULL)
		return SK_ERR_NOMEM;
	if (n > 0)
		memcpy(*val, v, n);
	(*val)[n] = 0;   /* text values can be used as C strings, as state.db's */
	*len = n;
	return 0;
}

static int put_held(const char *key, int raw, const uint8_t *val, size_t len, int durable)
{
	char rk[CTXREC_KEY_MAX + 1];
	const uint8_t *old;
	size_t on;
	int r;

	if ((r = rec_key(key, raw, rk, sizeof(rk))) != 0)
		goto out;
	if (ctxrec_get(act.rec, rk, &old, &on) == 0 && on == len &&
	    (len == 0 || memcmp(old, val, len) == 0))
		return durable ? flush_held() : 0;   /* unchanged */
	if ((r = ctxrec_put(act.rec, rk, val, len)) != 0)
		goto out;
	act.dirty = 1;
	if (durable)
		r = flush_held();
out:
	if (r == SK_ERR_TOOBIG || r == SK_ERR_ARG)
		sk_debug("%s: %s does not fit the context's record", act.chip, key);
	return r;
}

int skd_ctxrec_get(const char *chip, const char *key, uint8_t **val, size_t *len)
{
	int r = SK_ERR_NOT_FOUND;

	*val = NULL;
	*len = 0;
	pthread_mutex_lock(&mu);
	if (owns_held(chip))
		r = get_held(key, 0, val, len);
	pthread_mutex_unlock(&mu);
	return r;
}

int skd_ctxrec_put(const char *chip, const char *key, const uint8_t *val, size_t len)
{
	int r = SK_ERR_NOT_FOUND;

	pthread_mutex_lock(&mu);
	if (owns_held(chip))
		r = put_held(key, 0, val, len, 0);
	pthread_mutex_unlock(&mu);
	return r;
}

int skd_ctxrec_del(const char *chip, const char *prefix)
{
	char rk[CTXREC_KEY_MAX + 1];
	int r = SK_ERR_NOT_FOUND;

	pthread_mutex_lock(&mu);
	if (owns_held(chip) && (r = rec_key(prefix, 0, rk, sizeof(rk))) == 0 &&
	    ctxrec_del_prefix(act.rec, rk) > 0)
		act.dirty = 1;
	pthread_mutex_unlock(&mu);
	return r == SK_ERR_TOOBIG ? 0 : r;
}

static int64_t i64_of(const char *key)
{
	uint8_t *v = NULL;
	size_t n = 0;
	int64_t t = 0;

	if (get_held(key, 1, &v, &n) == 0 && n == sizeof(t))
		memcpy(&t, v, sizeof(t));
	free(v);
	return t;
}

int skd_ctxrec_chip_seen(const char *chip, const char *applets, int64_t now)
{
	int r = SK_ERR_NOT_FOUND, was;

	pthread_mutex_lock(&mu);
	if (!owns_held(chip)) {
		if (ended_held(chip))
			r = 0;   /* a late chip-seen of an ended context: dropped */
		goto out;
	}
	if (i64_of(FIRST_KEY) == 0)
		put_held(FIRST_KEY, 1, (const uint8_t *)&now, sizeof(now), 0);
	was = act.dirty;   /* last-seen alone is no reason to write the record (an fsync) */
	put_held(LAST_KEY, 1, (const uint8_t *)&now, sizeof(now), 0);
	act.dirty = was;
	if (applets != NULL)
		put_held(APPLETS_KEY, 1, (const uint8_t *)applets, strlen(applets), 0);
	r = 0;
out:
	pthread_mutex_unlock(&mu);
	return r;
}

int skd_ctxrec_chip_get(const char *chip, struct skd_chip_info *out)
{
	uint8_t *v = NULL;
	size_t n = 0;
	int r = SK_ERR_NOT_FOUND;

	pthread_mutex_lock(&mu);
	if (chip != NULL && !owns_held(chip))
		goto out;
	if (chip == NULL && act.chip[0] == '\0')
		goto out;
	memset(out, 0, sizeof(*out));
	snprintf(out->id, sizeof(out->id), "%s", act.chip);
	if (get_held(LABEL_KEY, 1, &v, &n) == 0)
		snprintf(out->label, sizeof(out->label), "%s", (char *)v);
	free(v);
	if (get_held(APPLETS_KEY, 1, &v, &n) == 0)
		snprintf(out->applets, sizeof(out->applets), "%s", (char *)v);
	free(v);
	out->first_seen = i64_of(FIRST_KEY);
	out->last_seen = i64_of(LAST_KEY);
	r = 0;
out:
	pthread_mutex_unlock(&mu);
	return r;
}

int skd_ctxrec_chip_label(const char *chip, const char *label)
{
	int r = SK_ERR_NOT_FOUND;

	pthread_mutex_lock(&mu);
	if (owns_held(chip))
		r = put_held(LABEL_KEY, 1, (const uint8_t *)label, strlen(label), 1);
	pthread_mutex_unlock(&mu);
	return r;
}

int skd_ctxrec_instance(int ctx, const uint8_t *secret, size_t len, uint8_t aid[16])
{
	uint8_t *key, hdr[CTXREC_HDR_LEN];
	struct ctxrec *rec = NULL;
	const uint8_t *v;
	size_t n;
	int r = SK_ERR_NOMEM, have_hdr;

	if (ctx < 0 || ctx >= CTXREC_SLOTS)
		return SK_ERR_ARG;
	key = sk_secure_alloc(CTXREC_KEY_LEN);   /* after the check: no early return leaks it */
	pthread_mutex_lock(&mu);
	if (key == NULL || (r = load(ctx, secret, len, key, hdr, &have_hdr, &rec)) != 0)
		goto out;
	r = SK_ERR_NOT_FOUND;
	if (ctxrec_get(rec, AID_KEY, &v, &n) == 0 && n == 16) {
		memcpy(aid, v, 16);
		r = 0;
	}
out:
	pthread_mutex_unlock(&mu);
	ctxrec_free(&rec);
	sk_secure_free(key);
	return r;
}

int skd_ctxrec_instance_store(int ctx, const uint8_t *secret, size_t len, const uint8_t aid[16])
{
	static uint8_t sealed[CTXREC_SIZE];
	uint8_t *key, hdr[CTXREC_HDR_LEN];
	struct ctxrec *rec = NULL;
	int r = SK_ERR_NOMEM, have_hdr = 0;

	if (ctx < 0 || ctx >= CTXREC_SLOTS)
		return SK_ERR_ARG;
	key = sk_secure_alloc(CTXREC_KEY_LEN);   /* after the check: no early return leaks it */
	pthread_mutex_lock(&mu);
	if (key == NULL || (r = load(ctx, secret, len, key, hdr, &have_hdr, &rec)) != 0)
		goto out;
	r = SK_ERR_IO;
	if (!have_hdr)
		goto out;
	if ((r = ctxrec_put(rec, AID_KEY, aid, 16)) != 0 ||
	    (r = ctxrec_seal(key, hdr, ctx, rec, sealed)) != 0 ||
	    (r = ctxrec_file_write(rec_path, ctx, sealed)) != 0)
		goto out;
out:
	if (r != 0)
		sk_warn("the context's instance was not recorded: %s", sk_strerror(r));
	pthread_mutex_unlock(&mu);
	ctxrec_free(&rec);
	sk_secure_free(key);
	return r;
}

/* ---- for command files (skd.h): the active context's key and entries ---- */

int skd_ctxrec_derive(const uint8_t *ikm, size_t ikm_len, const char *info, uint8_t out[32],
    int *ctx)
{
	int r = SK_ERR_LOCKED;

	pthread_mutex_lock(&mu);
	if (act.chip[0] != '\0' && act.key != NULL) {
		r = ctxrec_hkdf(ikm, ikm_len, act.key, CTXREC_KEY_LEN, info, strlen(info), out);
		*ctx = act.slot;
	}
	pthread_mutex_unlock(&mu);
	return r;
}

int skd_ctxrec_entry_put(const char *key, const uint8_t *val, size_t len)
{
	int r = SK_ERR_LOCKED;

	pthread_mutex_lock(&mu);
	if (act.chip[0] != '\0' && act.rec != NULL)
		r = put_held(key, 1, val, len, 1);
	pthread_mutex_unlock(&mu);
	return r;
}

int skd_ctxrec_entry_del(const char *key)
{
	int r = SK_ERR_LOCKED;

	pthread_mutex_lock(&mu);
	if (act.chip[0] != '\0' && act.rec != NULL) {
		r = 0;
		if (ctxrec_del(act.rec, key) == 0) {
			act.dirty = 1;
			r = flush_held();
		}
	}
	pthread_mutex_unlock(&mu);
	return r;
}

void skd_ctxrec_entries_free(char **keys, uint8_t **vals, size_t *lens, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (keys != NULL)
			free(keys[i]);
		if (vals != NULL && lens != NULL)
			sk_freezero(vals[i], lens[i] + 1);
	}
	free(keys);
	free(vals);
	free(lens);
}

int skd_ctxrec_entries(const char *prefix, char ***keys, uint8_t ***vals, size_t **lens,
    size_t *n)
{
	size_t pl = strlen(prefix), cnt = 0, total;
	char **k = NULL;
	uint8_t **v = NULL;
	size_t *l = NULL;
	int r = SK_ERR_LOCKED;

	*keys = NULL;
	*vals = NULL;
	*lens = NULL;
	*n = 0;
	pthread_mutex_lock(&mu);
	if (act.chip[0] == '\0' || act.rec == NULL)
		goto out;
	total = ctxrec_count(act.rec);
	r = SK_ERR_NOMEM;
	if ((k = calloc(total + 1, sizeof(*k))) == NULL || (v = calloc(total + 1, sizeof(*v))) == NULL ||
	    (l = calloc(total + 1, sizeof(*l))) == NULL)
		goto out;
	for (size_t i = 0; i < total; i++) {
		const char *ek;
		const uint8_t *ev;
		size_t el;

		if (ctxrec_entry_at(act.rec, i, &ek, &ev, &el) != 0 || strncmp(ek, prefix, pl) != 0)
			continue;
		if ((k[cnt] = strdup(ek)) == NULL || (v[cnt] = malloc(el + 1)) == NULL) {
			free(k[cnt]);
			k[cnt] = NULL;
			goto out;
		}
		if (el > 0)
			memcpy(v[cnt], ev, el);
		v[cnt][el] = 0;
		l[cnt++] = el;
	}
	*keys = k;
	*vals = v;
	*lens = l;
	*n = cnt;
	k = NULL;
	v = NULL;
	l = NULL;
	r = 0;
out:
	pthread_mutex_unlock(&mu);
	skd_ctxrec_entries_free(k, v, l, cnt);
	return r;
}

int skd_ctxrec_rekey(int ctx, const uint8_t *secret, size_t len, const uint8_t *aid)
{
	static uint8_t sealed[CTXREC_SIZE];
	uint8_t *key, hdr[CTXREC_HDR_LEN];
	struct ctxrec *rec = NULL, *use;
	int r = SK_ERR_NOMEM, active;

	if (ctx < 0 || ctx >= CTXREC_SLOTS)
		return SK_ERR_ARG;
	key = sk_secure_alloc(CTXREC_KEY_LEN);   /* after the check: no early return leaks it */
	pthread_mutex_lock(&mu);
	active = act.chip[0] != '\0' && act.rec != NULL && act.slot == ctx;
	if (key == NULL || (!active && (rec = ctxrec_new()) == NULL))
		goto out;
	r = SK_ERR_IO;
	if (rec_path[0] == '\0' || ctxrec_file_read(rec_path, ctx, hdr, sealed) != 0)
		goto out;
	if ((r = ctxrec_derive(secret, len, hdr + CTXREC_HDR_LEN - CTXREC_SALT_LEN, ctx, key)) != 0)
		goto out;
	use = active ? act.rec : rec;
	if (aid != NULL && (r = ctxrec_put(use, AID_KEY, aid, 16)) != 0)
		goto out;
	if (active) {   /* the live context goes on under its new key */
		if (act.key == NULL && (act.key = sk_secure_alloc(CTXREC_KEY_LEN)) == NULL) {
			r = SK_ERR_NOMEM;
			goto out;
		}
		memcpy(act.key, key, CTXREC_KEY_LEN);
		memcpy(act.hdr, hdr, sizeof(hdr));
		act.have_hdr = 1;
		act.dirty = 1;
		r = flush_held();
	} else if ((r = ctxrec_seal(key, hdr, ctx, use, sealed)) == 0) {
		r = ctxrec_file_write(rec_path, ctx, sealed);
	}
out:
	if (r != 0)
		sk_warn("a context's record was not written under its new key: %s", sk_strerror(r));
	pthread_mutex_unlock(&mu);
	ctxrec_free(&rec);
	sk_secure_free(key);
	return r;
}
