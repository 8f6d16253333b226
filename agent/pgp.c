/* pgp.c — OpenPGP applet glue: identification, cache of public data, PIN verification. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/card.h"
#include "common/log.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "event.h"
#include "pgp.h"
#include "skd_int.h"

#define INFO_KEY "opgp.info.v1"
#define UNREADABLE_KEY "opgp.unreadable"
#define STATIC_TIME_KEY "opgp.static.time"
#define STATIC_MAX_AGE 3600   /* seconds */

void skd_pgp_serialno(const struct opgp_info *info, char out[33])
{
	size_t n = info->aid_len < 16 ? info->aid_len : 16;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02X", info->aid[i]);
}

int skd_pgp_chip_from_serialno(const char *sn, char *chip, size_t n)
{
	/* D2760001240 1 VVVV MMMM SSSSSSSS 0000: manufacturer at hex 16..19, serial 20..27 */
	if (strlen(sn) != 32 || strncasecmp(sn, "D27600012401", 12) != 0)
		return SK_ERR_NOT_FOUND;
	snprintf(chip, n, "fs-%.12s", sn + 16);
	for (char *p = chip; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	return 0;
}

static int chip_id(const struct opgp_info *info, char *chip, size_t n)
{
	const uint8_t *p = info->aid;

	if (info->aid_len != 16)
		return SK_ERR_BAD_RESPONSE;
	snprintf(chip, n, "fs-%02x%02x%02x%02x%02x%02x", p[8], p[9], p[10], p[11], p[12], p[13]);
	return 0;
}

static int fpr_zero(const uint8_t f[20])
{
	for (int i = 0; i < 20; i++)
		if (f[i] != 0)
			return 0;
	return 1;
}

static int cache_pubkey_from(const char *chip, int slot, const struct opgp_pubkey *pk)
{
	uint8_t *sexp = NULL;
	size_t len = 0;
	char key[32], grip[41];
	int r;

	if ((r = skd_pgp_pubkey_sexp(pk, &sexp, &len)) != 0)
		goto out;
	if ((r = skd_pgp_keygrip(sexp, len, grip)) != 0)
		goto out;
	snprintf(key, sizeof(key), "opgp.sexp.%d", slot + 1);
	if ((r = skd_cache_put(chip, key, sexp, len)) != 0)
		goto out;
	snprintf(key, sizeof(key), "opgp.grip.%d", slot + 1);
	r = skd_cache_put(chip, key, (const uint8_t *)grip, 40);
out:
	free(sexp);
	return r;
}

static int cache_pubkey(struct sk_card *sc, const char *chip, int slot)
{
	struct opgp_pubkey pk;
	int r;

	if ((r = opgp_read_pubkey(sc, (enum opgp_key)slot, &pk)) == 0)
		r = cache_pubkey_from(chip, slot, &pk);
	if (r != 0)
		sk_warn("%s: public key %d not cached: %s", chip, slot + 1, sk_strerror(r));
	return r;
}

/* Public keys are re-read only when their fingerprint changed since the cache was written. */
static void refresh_pubkeys(struct sk_card *sc, const char *chip, const struct opgp_info *now,
    const struct opgp_info *old)
{
	char key[32], grip[41];

	for (int i = 0; i < OPGP_NKEYS; i++) {
		if (fpr_zero(now->fpr[i])) {
			snprintf(key, sizeof(key), "opgp.sexp.%d", i + 1);
			skd_cache_del(chip, key);
			snprintf(key, sizeof(key), "opgp.grip.%d", i + 1);
			skd_cache_del(chip, key);
			continue;
		}
		if (old != NULL && memcmp(old->fpr[i], now->fpr[i], 20) == 0 &&
		    skd_pgp_cached_grip(chip, i, grip) == 0)
			continue;
		cache_pubkey(sc, chip, i);
	}
}

/* Private DOs 1 and 2 are readable without a PIN: LEARN shows them, as scdaemon does. */
static void cache_private_dos(struct sk_card *sc, const char *id, const struct opgp_info *info)
{
	for (uint16_t tag = 0x0101; tag <= 0x0102 && (info->caps.flags & OPGP_CAP_PRIVATE_DO); tag++) {
		char key[24];
		uint8_t *v = NULL;
		size_t vlen = 0;

		snprintf(key, sizeof(key), "opgp.do.%04X", tag);
		if (opgp_get_data(sc, tag, &v, &vlen) == 0)
			skd_cache_put(id, key, v, vlen);
		free(v);
	}
}

/* The DOs only an admin write changes (65, 5F50, 5E, private DOs 1/2) are kept from the cache
 * when skinkey read them less than STATIC_MAX_AGE ago; everything else is read at every tap. */
static int statics_fresh(const char *chip, int have_old)
{
	uint8_t *v = NULL;
	size_t n = 0;
	int64_t t = 0;
	int fresh = 0;

	if (have_old && skd_cache_get(chip, STATIC_TIME_KEY, &v, &n) == 0 && n == sizeof(t)) {
		memcpy(&t, v, sizeof(t));
		fresh = t <= (int64_t)time(NULL) && (int64_t)time(NULL) - t < STATIC_MAX_AGE;
	}
	free(v);
	return fresh;
}

static void keep_statics(struct opgp_info *info, const struct opgp_info *old)
{
	memcpy(info->name, old->name, sizeof(info->name));
	memcpy(info->lang, old->lang, sizeof(info->lang));
	info->sex = old->sex;
	memcpy(info->url, old->url, sizeof(info->url));
	memcpy(info->login, old->login, sizeof(info->login));
}

static void note_unreadable(const char *chip, int r)
{
	const char *why = opgp_read_info_error();

	if (chip == NULL || (r != SK_ERR_BAD_RESPONSE && r != SK_ERR_FORMAT && r != SK_ERR_SW))
		return;
	sk_warn("%s: the card's application data could not be read: %s", chip, why);
	skd_cache_put(chip, UNREADABLE_KEY, (const uint8_t *)why, strlen(why));
}

int skd_pgp_refresh_ex(struct sk_card *sc, const char *chip, const uint8_t *app, size_t app_len,
    enum skd_refresh mode, char *chip_out, size_t chip_len)
{
	struct opgp_read_opts o = { app, app_len, 0, 0 };
	struct opgp_info info, old;
	char id[SKD_CHIPID_MAX];
	int64_t now = (int64_t)time(NULL);
	int r, have_old = 0;

	if (chip != NULL) {
		have_old = skd_pgp_info(chip, &old) == 0;
		o.no_static = mode == SKD_REFRESH_TAP && statics_fresh(chip, have_old);
		o.app_only = mode == SKD_REFRESH_APP && have_old;
	}
	if ((r = opgp_read_info_ex(sc, &o, &info)) != 0) {
		note_unreadable(chip, r);
		return r;
	}
	if ((r = chip_id(&info, id, sizeof(id))) != 0)
		return r;
	if (chip != NULL && strcmp(chip, id) != 0) {
		sk_warn("expected chip %s, found %s", chip, id);
		return SK_ERR_NOT_FOUND;
	}
	if (chip == NULL)
		have_old = skd_pgp_info(id, &old) == 0;
	if (o.no_static || o.app_only)
		keep_statics(&info, &old);
	if (o.app_only) {
		info.kdf = old.kdf;
		memcpy(info.kdf_do, old.kdf_do, sizeof(info.kdf_do));
		info.kdf_do_len = old.kdf_do_len;
	}
	if ((r = skd_cache_put(id, INFO_KEY, (const uint8_t *)&info, sizeof(info))) != 0)
		return r;
	skd_cache_del(id, UNREADABLE_KEY);
	if (!o.app_only && info.kdf_do_len > 0)   /* read with the rest: no second GET DATA F9 */
		skd_cache_put(id, "opgp.do.F9", info.kdf_do, info.kdf_do_len);
	else if (!o.app_only)
		skd_cache_del(id, "opgp.do.F9");
	if (!o.no_static && !o.app_only) {
		cache_private_dos(sc, id, &info);
		skd_cache_put(id, STATIC_TIME_KEY, (const uint8_t *)&now, sizeof(now));
	}
	refresh_pubkeys(sc, id, &info, have_old ? &old : NULL);
	if (chip_out != NULL)
		snprintf(chip_out, chip_len, "%s", id);
	return 0;
}

int skd_pgp_refresh(struct sk_card *sc, const char *chip, char *chip_out, size_t chip_len)
{
	return skd_pgp_refresh_ex(sc, chip, NULL, 0, SKD_REFRESH_FULL, chip_out, chip_len);
}

int skd_pgp_cache_generated(const char *chip, int slot, const struct opgp_pubkey *pk,
    uint32_t created)
{
	struct opgp_info info;
	uint8_t fpr[20];
	int r;

	if ((r = opgp_fingerprint_v4(pk, created, fpr)) != 0 || (r = skd_pgp_info(chip, &info)) != 0)
		return r;
	if ((r = cache_pubkey_from(chip, slot, pk)) != 0)
		return r;
	/* the refresh that follows finds this fingerprint known: no second read of the key */
	memcpy(info.fpr[slot], fpr, 20);
	return skd_cache_put(chip, INFO_KEY, (const uint8_t *)&info, sizeof(info));
}

int skd_pgp_info(const char *chip, struct opgp_info *info)
{
	uint8_t *v = NULL;
	size_t n = 0;
	int r;

	memset(info, 0, sizeof(*info));
	if ((r = skd_cache_get(chip, INFO_KEY, &v, &n)) != 0)
		return r;
	if (n != sizeof(*info)) {
		r = SK_ERR_NOT_FOUND;   /* written by another build: read the chip again */
	} else {
		memcpy(info, v, n);
		info->name[sizeof(info->name) - 1] = '\0';
		info->lang[sizeof(info->lang) - 1] = '\0';
		info->url[sizeof(info->url) - 1] = '\0';
		info->login[sizeof(info->login) - 1] = '\0';
		info->aid_len = info->aid_len > 16 ? 16 : info->aid_len;
	}
	free(v);
	return r;
}

int skd_pgp_unreadable(const char *chip, char *why, size_t n)
{
	uint8_t *v = NULL;
	size_t len = 0;
	int r;

	if (n > 0)
		why[0] = '\0';
	if ((r = skd_cache_get(chip, UNREADABLE_KEY, &v, &len)) != 0)
		return r;
	snprintf(why, n, "the card's application data could not be read: %.*s",
	    (int)(len < 200 ? len : 200), (const char *)v);
	for (char *p = why; *p; p++)   /* card-derived text: keep protocol lines intact */
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	free(v);
	return 0;
}

int skd_pgp_cached_sexp(const char *chip, int slot, uint8_t **sexp, size_t *len)
{
	char key[32];

	snprintf(key, sizeof(key), "opgp.sexp.%d", slot + 1);
	return skd_cache_get(chip, key, sexp, len);
}

int skd_pgp_cached_grip(const char *chip, int slot, char grip[41])
{
	uint8_t *v = NULL;
	size_t n = 0;
	char key[32];
	int r;

	snprintf(key, sizeof(key), "opgp.grip.%d", slot + 1);
	if ((r = skd_cache_get(chip, key, &v, &n)) != 0)
		return r;
	if (n != 40) {
		r = SK_ERR_NOT_FOUND;
	} else {
		memcpy(grip, v, 40);
		grip[40] = '\0';
	}
	free(v);
	return r;
}

static void pin_prompt(const struct opgp_info *info, int ref, char *buf, size_t n)
{
	char sn[33];

	skd_pgp_serialno(info, sn);
	if (ref == OPGP_PW3)
		snprintf(buf, n, "|A|Please enter the Admin PIN%%0A%%0ANumber: %.4s %.8s%%0AHolder: %s",
		    sn + 16, sn + 20, info->name);
	else if (ref == OPGP_PW1_SIGN)
		snprintf(buf, n, "||Please unlock the card%%0A%%0ANumber: %.4s %.8s%%0AHolder: %s"
		    "%%0ACounter: %u", sn + 16, sn + 20, info->name, (unsigned)info->sig_counter);
	else
		snprintf(buf, n, "||Please unlock the card%%0A%%0ANumber: %.4s %.8s%%0AHolder: %s",
		    sn + 16, sn + 20, info->name);
	/* the holder name is user data: keep the inquire line free of control characters */
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
}

/* Keep the cached PIN counters true without re-reading the chip on the common path: a
 * refusal tells the tries left; an accepted VERIFY resets the counter to the card's maximum,
 * which only C4 tells: read it (one APDU, the applet is selected) only when the cache
 * remembers an earlier failure. */
void skd_pgp_note_pin(struct sk_card *sc, const char *chip, int ref, int r, int tries)
{
	struct opgp_info info;
	uint8_t *t, *c4 = NULL;
	size_t n = 0;

	if (skd_pgp_info(chip, &info) != 0)
		return;
	t = ref == OPGP_PW3 ? &info.pw.pw3_tries : &info.pw.pw1_tries;
	if (r == SK_ERR_PIN_WRONG || r == SK_ERR_PIN_BLOCKED)
		skd_event_note(SKD_EV_PIN_FAIL, chip, "verify", NULL, ref, tries, r);
	if (r == SK_ERR_PIN_WRONG || r == SK_ERR_PIN_BLOCKED) {
		if (tries < 0)
			return;
		*t = (uint8_t)tries;
	} else if (r == 0 && *t < 3) {
		if (opgp_get_data(sc, 0xC4, &c4, &n) != 0 || opgp_parse_pw_status(c4, n, &info.pw) != 0) {
			free(c4);
			return;
		}
		free(c4);
	} else {
		return;
	}
	skd_cache_put(chip, INFO_KEY, (const uint8_t *)&info, sizeof(info));
}

void skd_pgp_note_signature(const char *chip)
{
	struct opgp_info info;

	if (skd_pgp_info(chip, &info) != 0)
		return;
	info.sig_counter++;
	skd_cache_put(chip, INFO_KEY, (const uint8_t *)&info, sizeof(info));
}

int skd_pgp_ask_pin(struct skd_conn *c, const char *chip, int ref, const struct opgp_info *info,
    char **pin)
{
	char prompt[400], *known = skd_pincache_get(chip, ref);
	int cached = 0;

	*pin = NULL;
	if (known != NULL) {   /* verified with the cached one: nothing to ask */
		skd_pin_free(&known);
		return 0;
	}
	pin_prompt(info, ref, prompt, sizeof(prompt));
	return skd_pin_obtain(c, chip, ref, prompt, pin, &cached);
}

int skd_pgp_verify(struct skd_conn *c, struct skd_card *h, int ref, const struct opgp_info *info)
{
	return skd_pgp_verify_given(c, h, ref, info, NULL);
}

int skd_pgp_verify_given(struct skd_conn *c, struct skd_card *h, int ref,
    const struct opgp_info *info, const char *given)
{
	struct sk_card *sc = skd_card_raw(h);
	const char *chip = skd_card_chip(h);
	char prompt[400], *pin = NULL;
	int r, tries = -1, cached = 0;

	/* Nothing to ask the card when the answer is known: a forced signature PIN is never still
	 * valid, and right after a SELECT no PIN is (the applet resets its PIN state). */
	static const uint8_t aid[] = { 0xD2, 0x76, 0x00, 0x01, 0x24, 0x01 };
	if (!(ref == OPGP_PW1_SIGN && !info->pw.pw1_multi) &&
	    !sk_card_just_selected(sc, aid, sizeof(aid))) {
		if (opgp_verify_status(sc, (uint8_t)ref, &tries) == 0)
			return 0;
		if (tries == 0) {
			sk_warn("%s: PIN %02X is blocked: not sending a PIN", chip, ref);
			return SK_ERR_PIN_BLOCKED;
		}
	}
	if (given != NULL) {
		if ((pin = skd_pincache_get(chip, ref)) != NULL) {
			cached = 1;   /* cached meanwhile (another client): the chip accepted that one */
		} else if ((pin = sk_secure_alloc(strlen(given) + 1)) == NULL) {
			r = SK_ERR_NOMEM;
			goto out;
		} else {
			memcpy(pin, given, strlen(given) + 1);
		}
	} else {
		pin_prompt(info, ref, prompt, sizeof(prompt));
		if ((r = skd_pin_obtain(c, chip, ref, prompt, &pin, &cached)) != 0)
			goto out;
		/* the client answered with the card given back: a new transaction, whose SELECT
		 * opgp_verify_known_pw makes before the VERIFY */
		sc = skd_card_raw(h);
	}
	/* A PIN this chip already accepted goes with the cached PW status and KDF-DO (the caller
	 * selected the applet in this transaction); a newly entered one is checked against a
	 * fresh read of the KDF-DO, so a stale cache can never cost a retry for it (the cached
	 * counter only words the prompt; a card that is blocked refuses without spending one). */
	if (cached)
		r = opgp_verify_selected(sc, (uint8_t)ref, pin, strlen(pin), &info->pw, &info->kdf,
		    &tries);
	else
		r = opgp_verify_known_pw(sc, (uint8_t)ref, pin, strlen(pin), &info->pw, &tries);
	skd_pgp_note_pin(sc, chip, ref, r, tries);
	if (r == 0) {
		skd_pin_cache_put(chip, ref, pin);
		/* PW1 for signing also unlocks PW1 for other uses: same PIN */
		if (ref == OPGP_PW1_SIGN)
			skd_pin_cache_put(chip, OPGP_PW1_OTHER, pin);
		else if (ref == OPGP_PW1_OTHER)
			skd_pin_cache_put(chip, OPGP_PW1_SIGN, pin);
		if (ref == OPGP_PW1_OTHER)
			skd_liveness_unlocked(chip);
		/* (a spent counter that the good PIN reset is re-read by skd_pgp_note_pin with
		 * GET DATA C4 alone: a full refresh would SELECT, which drops the PIN just verified) */
	} else if (r == SK_ERR_PIN_WRONG) {
		sk_warn("%s: the chip refused PIN %02X (%d tries left)%s", chip, ref, tries,
		    cached ? "; dropped from the cache" : "");
		skd_pin_cache_drop(chip, ref);
		if (ref != OPGP_PW3)
			skd_pin_cache_drop(chip, ref == OPGP_PW1_SIGN ? OPGP_PW1_OTHER : OPGP_PW1_SIGN);
	} else {
		sk_info("%s: VERIFY %02X: %s", chip, ref, sk_strerror(r));
	}
out:
	skd_pin_free(&pin);
	return r;
}

/* A chip with an OpenPGP applet came: cache its public data while the card manager holds it,
 * for listing while the chip is away. */
static int on_chip_seen(const struct skd_event *ev, void *arg)
{
	int r;

	(void)arg;
	if (ev->card == NULL || ev->applets == NULL || strstr(ev->applets, "openpgp") == NULL)
		return 0;
	if ((r = skd_pgp_refresh_ex(ev->card, ev->chip, ev->app, ev->app_len, SKD_REFRESH_TAP, NULL,
	    0)) != 0)
		sk_warn("%s: OpenPGP data not cached: %s", ev->chip, sk_strerror(r));
	return 0;
}

int skd_pgp_events_init(void)
{
	return skd_event_subscribe(SKD_EV_MASK(SKD_EV_CHIP_SEEN), on_chip_seen, NULL);
}
