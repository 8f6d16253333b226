/* cmd_p11.c — skinkeyd commands for skinkey-pkcs11.so (pkcs11/p11_assuan.c is the client).
 * Every command names its chip explicitly (a PKCS#11 application drives several tokens over one
 * connection), reads public data from the cache when it can (listing needs no chip), takes PINs
 * only through INQUIRE (never on a command line) and sends each PIN to the card at most once.
 *
 *   P11READKEY <chip> <ref>        D canonical S-expression (cache)      ref 1 SIG, 2 DEC, 3 AUT
 *   P11READCERT <chip> <ref>       D DER from DO 7F21 (cached; empty D = no certificate)
 *   P11PINSTATUS <chip> [--live]   S P11PIN <pw1 held 0|1> <pw1 tries> <pw3 held 0|1> <pw3 tries>
 *   P11LOGIN <chip> user|so [--cached]   INQUIRE NEEDPIN, one VERIFY (82 / 83), cache on success
 *   P11LOGOUT <chip>               forget the chip's cached PINs
 *   P11SETPIN <chip> user|so       INQUIRE OLDPIN + NEWPIN, CHANGE REFERENCE DATA (81 / 83)
 *   P11INITPIN <chip>              INQUIRE NEWPIN; PW3 from cache or NEEDPIN |A|; RESET RETRY COUNTER
 *   P11SIGN <chip> <1|3>           INQUIRE DATA; PSO:CDS (1) / INTERNAL AUTHENTICATE (3); D sig
 *   P11DECRYPT <chip> 2            INQUIRE DATA; PSO:DECIPHER (RSA cryptogram or ECDH point); D
 *   P11GENKEY <chip> <ref> <algo>  PW3; algo rsa2048 rsa4096 nistp256 nistp384 ed25519 cv25519
 *   P11WRITECERT <chip> <ref>      INQUIRE DATA; PW3; PUT DATA 7F21 via SELECT DATA */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/card.h"
#include "common/log.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "event.h"
#include "openpgp.h"
#include "pgp.h"
#include "skd.h"
#include "skd_int.h"   /* skd_pincache_get: is a PIN held? (see report: wants a skd.h call) */

#define DATA_MAX  8192     /* sign input / cryptogram / certificate cap */
#define CERT_KEY  "p11.cert.%d"

/* "<chip> <n> [word]" */
static int
parse_args(char *line, char *chip, size_t clen, int *num, char *word, size_t wlen)
{
	char c[SKD_CHIPID_MAX], w[32] = "";
	int n = 0, got;

	got = sscanf(line, "%47s %d %31s", c, &n, w);
	if (got < 1 || (num != NULL && got < 2))
		return SK_ERR_ARG;
	snprintf(chip, clen, "%s", c);
	skd_duress_alias(chip, clen);
	if (num != NULL)
		*num = n;
	if (word != NULL)
		snprintf(word, wlen, "%s", w);
	return 0;
}

static int
parse_ref(char *line, char *chip, size_t clen, int *ref)
{
	int r = parse_args(line, chip, clen, ref, NULL, 0);

	if (r == 0 && (*ref < 1 || *ref > 3))
		r = SK_ERR_ARG;
	return r;
}

/* Data from the client through INQUIRE <kw>; *out secure memory (sk_secure_free). */
static int
inquire_bytes(assuan_context_t ctx, const char *kw, size_t max, uint8_t **out, size_t *len)
{
	unsigned char *buf = NULL;
	size_t n = 0;
	gpg_error_t e;
	int r = SK_ERR_NOMEM;

	*out = NULL;
	*len = 0;
	if ((e = skd_inquire(ctx, kw, &buf, &n, max)) != 0)
		return gpg_err_code(e) == GPG_ERR_TOO_LARGE ? SK_ERR_TOOBIG : SK_ERR_CANCELED;
	if (n == 0) {
		r = SK_ERR_CANCELED;
		goto out;
	}
	if ((*out = sk_secure_alloc(n + 1)) == NULL)
		goto out;
	memcpy(*out, buf, n);
	*len = n;
	r = 0;
out:
	if (buf != NULL) {
		sk_wipe(buf, n);
		assuan_free(ctx, buf);
	}
	return r;
}

static int
inquire_pin(assuan_context_t ctx, const char *kw, char **pin)
{
	uint8_t *p = NULL;
	size_t n = 0;
	int r;

	*pin = NULL;
	if ((r = inquire_bytes(ctx, kw, OPGP_PIN_MAX, &p, &n)) != 0)
		return r == SK_ERR_CANCELED ? SK_ERR_PIN_REQUIRED : r;
	if (memchr(p, 0, n) != NULL) {
		sk_secure_free(p);
		return SK_ERR_PIN_FORMAT;
	}
	*pin = (char *)p;   /* NUL-terminated: sk_secure_alloc zeroes */
	return 0;
}

static int
chip_present(const char *chip, int *present)
{
	struct skd_chip_info ci;
	int r;

	*present = 0;
	if ((r = skd_chip_find(chip, &ci)) != 0)
		return r;
	if (strcmp(ci.id, chip) != 0)
		return SK_ERR_NOT_FOUND;
	*present = ci.present;
	return 0;
}

/* ---- public data (no chip needed once cached) ---- */

/* The locked chip of a DuressApplet (no context chosen yet): no OpenPGP APDU goes to it. Its
 * partial AID would reach whichever instance the provisioning installed first (normally the
 * primary's: doc/DURESS.md), so a PIN sent there would bypass the DuressApplet and cost that
 * instance a try, and its certificate or counters would show. Only P11LOGIN's PIN goes to it,
 * through skd_duress_unlock. */
static int
locked_chip(const char *chip)
{
	return strcmp(chip, SKD_LOCKED_CHIP) == 0;
}

static gpg_error_t
cmd_readkey(assuan_context_t ctx, char *line)
{
	char chip[SKD_CHIPID_MAX];
	uint8_t *sexp = NULL;
	size_t len = 0;
	gpg_error_t e;
	int ref, r, present;

	if ((r = parse_ref(line, chip, sizeof(chip), &ref)) != 0)
		return skd_fail(ctx, r, "P11READKEY <chip> <1|2|3>");
	if ((r = chip_present(chip, &present)) != 0)
		return skd_fail(ctx, r, "P11READKEY: unknown chip");
	if ((r = skd_pgp_cached_sexp(chip, ref - 1, &sexp, &len)) != 0)
		return skd_fail(ctx, r, "P11READKEY: no key in that slot");
	e = skd_send_data(ctx, sexp, len);
	free(sexp);
	return e;
}

static const uint8_t p11_opgp_aid[] = { 0xD2, 0x76, 0x00, 0x01, 0x24, 0x01 };

/* Reads 7F21 from the card when the chip is here and caches it (also "none"). */
static int
cert_from_card(assuan_context_t ctx, const char *chip, int ref, uint8_t **der, size_t *len)
{
	struct skd_card *h = NULL;
	char key[32];
	int r;

	if (locked_chip(chip))
		return SK_ERR_NOT_FOUND;   /* no certificate shown before a context is chosen */
	if ((r = skd_card_acquire(skd_conn_get(ctx), chip, &h)) != 0)
		return r;
	/* (no new SELECT when ours stands: it would drop the PIN state; see live_tries) */
	for (int attempt = 0; attempt < 2; attempt++) {
		int kept = attempt == 0 && sk_card_is_selected(skd_card_raw(h), p11_opgp_aid,
		    sizeof(p11_opgp_aid));
		if (kept || (r = opgp_select(skd_card_raw(h))) == 0)
			r = opgp_read_cert(skd_card_raw(h), (enum opgp_key)(ref - 1), der, len);
		if (r == 0 || !kept || r == SK_ERR_CARD_REMOVED)
			break;
		sk_card_forget_selection(skd_card_raw(h));
	}
	if (r == SK_ERR_CARD_REMOVED)
		skd_card_lost(h);
	skd_card_release(&h);
	if (r == 0) {
		snprintf(key, sizeof(key), CERT_KEY, ref);
		skd_cache_put(chip, key, *der, *len);
	}
	return r;
}

static gpg_error_t
cmd_readcert(assuan_context_t ctx, char *line)
{
	char chip[SKD_CHIPID_MAX], key[32];
	uint8_t *der = NULL;
	size_t len = 0;
	gpg_error_t e = 0;
	int ref, r, present;

	if ((r = parse_ref(line, chip, sizeof(chip), &ref)) != 0)
		return skd_fail(ctx, r, "P11READCERT <chip> <1|2|3>");
	if ((r = chip_present(chip, &present)) != 0)
		return skd_fail(ctx, r, "P11READCERT: unknown chip");
	snprintf(key, sizeof(key), CERT_KEY, ref);
	r = skd_cache_get(chip, key, &der, &len);
	if (r == SK_ERR_NOT_FOUND && present)
		r = cert_from_card(ctx, chip, ref, &der, &len);
	if (r == SK_ERR_NOT_FOUND)
		r = 0, len = 0;   /* chip away and never read: no certificate known */
	if (r != 0)
		e = skd_fail(ctx, r, "P11READCERT");
	else if (len > 0)
		e = skd_send_data(ctx, der, len);
	free(der);
	return e;
}

static int
pin_held(const char *chip, int ref)
{
	char *p = skd_pincache_get(chip, ref);
	int held = p != NULL;

	sk_secure_free(p);
	return held;
}

/* Live retry counters (C4) when the chip is in the field: SELECT + GET DATA, no PIN sent. */
static int
live_tries(assuan_context_t ctx, const char *chip, int *u, int *a)
{
	struct skd_card *h = NULL;
	struct opgp_pw_status pw;
	uint8_t *c4 = NULL;
	size_t n = 0;
	int r;

	if (locked_chip(chip))
		return SK_ERR_NOT_FOUND;
	if ((r = skd_card_acquire(skd_conn_get(ctx), chip, &h)) != 0)
		return r;
	/* Our SELECT of the applet still standing on the handle: GET DATA alone, so the PIN state
	 * (and a presence session's liveness proof) survives; else, or when the applet does not
	 * answer it (another program selected something), SELECT first. */
	for (int attempt = 0; attempt < 2; attempt++) {
		int kept = attempt == 0 && sk_card_is_selected(skd_card_raw(h), p11_opgp_aid,
		    sizeof(p11_opgp_aid));
		free(c4);
		c4 = NULL;
		if ((kept || (r = opgp_select(skd_card_raw(h))) == 0) &&
		    (r = opgp_get_data(skd_card_raw(h), 0xC4, &c4, &n)) == 0 &&
		    (r = opgp_parse_pw_status(c4, n, &pw)) == 0) {
			*u = pw.pw1_tries;
			*a = pw.pw3_tries;
		}
		if (r == 0 || !kept || r == SK_ERR_CARD_REMOVED)
			break;
		sk_card_forget_selection(skd_card_raw(h));
	}
	if (r == SK_ERR_CARD_REMOVED)
		skd_card_lost(h);
	skd_card_release(&h);
	free(c4);
	return r;
}

static gpg_error_t
cmd_pinstatus(assuan_context_t ctx, char *line)
{
	char chip[SKD_CHIPID_MAX];
	struct opgp_info info;
	int r, u_tries = -1, a_tries = -1, present = 0;

	if ((r = parse_args(line, chip, sizeof(chip), NULL, NULL, 0)) != 0)
		return skd_fail(ctx, r, "P11PINSTATUS <chip>");
	/* The cache is current: read at every tap and updated by every VERIFY and PIN change made
	 * through skinkeyd. A C4 read here (--live) would cost APDUs on every C_GetTokenInfo, and
	 * its SELECT would drop the PIN state the next operation needs; it is done only when the
	 * cache has nothing for this chip. */
	if (skd_pgp_info(chip, &info) == 0) {
		u_tries = info.pw.pw1_tries;
		a_tries = info.pw.pw3_tries;
	} else if (strstr(line, "--live") != NULL && chip_present(chip, &present) == 0 && present) {
		(void)live_tries(ctx, chip, &u_tries, &a_tries);
	}
	return skd_status(ctx, "P11PIN", "%d %d %d %d", pin_held(chip, OPGP_PW1_OTHER), u_tries,
	    pin_held(chip, OPGP_PW3), a_tries);
}

/* ---- PINs ---- */

static int
parse_who(char *line, char *chip, size_t clen, int *so, int *cached)
{
	char c[SKD_CHIPID_MAX], w[16] = "", opt[16] = "";

	if (sscanf(line, "%47s %15s %15s", c, w, opt) < 2)
		return SK_ERR_ARG;
	if (strcmp(w, "user") != 0 && strcmp(w, "so") != 0)
		return SK_ERR_ARG;
	snprintf(chip, clen, "%s", c);
	skd_duress_alias(chip, clen);
	*so = strcmp(w, "so") == 0;
	if (cached != NULL)
		*cached = strcmp(opt, "--cached") == 0;
	return 0;
}

/* One VERIFY with exactly this PIN (never the cache, never retried). */
static int
verify_given(struct skd_conn *c, const char *chip, int ref, const char *pin)
{
	struct skd_card *h = NULL;
	struct opgp_info info;
	int r, tries = -1, known = skd_pgp_info(chip, &info) == 0;

	skd_event_set_door("pkcs11");   /* a refused PIN is recorded (skd_pgp_note_pin) */
	if ((r = skd_card_acquire(c, chip, &h)) != 0)
		return r;
	/* the cached PW status words nothing here; the KDF-DO is read fresh either way */
	if (known)
		r = opgp_verify_known_pw(skd_card_raw(h), (uint8_t)ref, pin, strlen(pin), &info.pw,
		    &tries);
	else
		r = opgp_verify(skd_card_raw(h), (uint8_t)ref, pin, strlen(pin), &tries);
	if (r != SK_ERR_CARD_REMOVED)
		skd_pgp_note_pin(skd_card_raw(h), chip, ref, r, tries);   /* counters stay current */
	else
		skd_card_lost(h);
	skd_card_release(&h);
	if (r == 0) {
		skd_pin_cache_put(chip, ref, pin);
		if (ref == OPGP_PW1_OTHER) {
			skd_pin_cache_put(chip, OPGP_PW1_SIGN, pin);
			skd_liveness_unlocked(chip);
		}
	} else if (r == SK_ERR_PIN_WRONG) {
		sk_warn("%s: PKCS#11 login: the chip refused PIN %02X (%d tries left)", chip, ref, tries);
		skd_pin_cache_drop(chip, ref);
		if (ref == OPGP_PW1_OTHER)
			skd_pin_cache_drop(chip, OPGP_PW1_SIGN);
	}
	return r;
}

/* The chip accepted exactly this PIN while it stayed in the field: a new C_Login with it (every
 * ssh -I, every pkcs11-tool) needs no VERIFY. A different PIN is verified as given. */
static int
same_as_cached(const char *chip, int ref, const char *pin)
{
	char *known = skd_pincache_get(chip, ref);
	size_t n = strlen(pin);
	int same = known != NULL && strlen(known) == n && CRYPTO_memcmp(known, pin, n) == 0;

	skd_pin_free(&known);
	return same;
}

static gpg_error_t
cmd_login(assuan_context_t ctx, char *line)
{
	char chip[SKD_CHIPID_MAX], *pin = NULL;
	int so, cached, r, present, ref;

	if ((r = parse_who(line, chip, sizeof(chip), &so, &cached)) != 0)
		return skd_fail(ctx, r, "P11LOGIN <chip> user|so [--cached]");
	if ((r = chip_present(chip, &present)) != 0)
		return skd_fail(ctx, r, "P11LOGIN: unknown chip");
	ref = so ? OPGP_PW3 : OPGP_PW1_OTHER;
	if (cached)
		return pin_held(chip, ref) ? 0 : skd_fail(ctx, SK_ERR_PIN_REQUIRED, "P11LOGIN");
	r = inquire_pin(ctx, so ? "NEEDPIN |A|Admin PIN (PKCS#11 SO)" :
	    "NEEDPIN ||PIN (PKCS#11 user)", &pin);
	/* the locked chip of a DuressApplet: this PIN picks the context the token shows */
	if (r == 0 && strcmp(chip, SKD_LOCKED_CHIP) == 0) {
		char unlocked[SKD_CHIPID_MAX];

		skd_event_set_door("pkcs11");
		r = so ? SK_ERR_PIN_REQUIRED : skd_duress_unlock(skd_conn_get(ctx), pin, unlocked,
		    sizeof(unlocked));
		sk_secure_free(pin);
		return r == 0 ? 0 : skd_fail(ctx, r, "P11LOGIN");
	}
	if (r == 0 && same_as_cached(chip, ref, pin))
		sk_debug("%s: PKCS#11 login with the PIN the chip accepted in this presence", chip);
	else if (r == 0)
		r = verify_given(skd_conn_get(ctx), chip, ref, pin);
	sk_secure_free(pin);
	return r == 0 ? 0 : skd_fail(ctx, r, "P11LOGIN");
}

static gpg_error_t
cmd_logout(assuan_context_t ctx, char *line)
{
	char chip[SKD_CHIPID_MAX];
	int r;

	if ((r = parse_args(line, chip, sizeof(chip), NULL, NULL, 0)) != 0)
		return skd_fail(ctx, r, "P11LOGOUT <chip>");
	skd_pin_cache_drop(chip, 0);
	return 0;
}

static int
change_pin(struct skd_conn *c, const char *chip, int so, const char *o, const char *n)
{
	struct skd_card *h = NULL;
	int r, ref = so ? OPGP_PW3 : OPGP_PW1_SIGN;

	if (locked_chip(chip))
		return SK_ERR_PIN_REQUIRED;   /* C_Login's PIN picks the context first */
	if ((r = skd_card_acquire(c, chip, &h)) != 0)
		return r;
	r = opgp_change_pin(skd_card_raw(h), (uint8_t)ref, o, strlen(o), n, strlen(n));
	if (r == SK_ERR_PIN_WRONG)
		skd_pgp_refresh(skd_card_raw(h), chip, NULL, 0);   /* the retry counter moved */
	if (r == SK_ERR_CARD_REMOVED)
		skd_card_lost(h);
	skd_card_release(&h);
	if (r != 0 && r != SK_ERR_PIN_WRONG)
		return r;
	/* whatever happened, the old cached value is no longer trustworthy */
	skd_pin_cache_drop(chip, so ? OPGP_PW3 : 0);
	if (r == 0 && !so) {
		skd_pin_cache_put(chip, OPGP_PW1_SIGN, n);
		skd_pin_cache_put(chip, OPGP_PW1_OTHER, n);
	} else if (r == 0) {
		skd_pin_cache_put(chip, OPGP_PW3, n);
	}
	return r;
}

static gpg_error_t
cmd_setpin(assuan_context_t ctx, char *line)
{
	char chip[SKD_CHIPID_MAX], *o = NULL, *n = NULL;
	int so, r;

	if ((r = parse_who(line, chip, sizeof(chip), &so, NULL)) != 0)
		return skd_fail(ctx, r, "P11SETPIN <chip> user|so");
	if ((r = inquire_pin(ctx, "OLDPIN", &o)) == 0 && (r = inquire_pin(ctx, "NEWPIN", &n)) == 0)
		r = change_pin(skd_conn_get(ctx), chip, so, o, n);
	skd_event_set_door("pkcs11");
	if (r == SK_ERR_PIN_WRONG)
		skd_event_note(SKD_EV_PIN_FAIL, chip, "change", NULL, so ? OPGP_PW3 : OPGP_PW1_SIGN, -1,
		    r);
	skd_event_note(SKD_EV_PIN_CHANGE, chip, "change", NULL, so ? OPGP_PW3 : OPGP_PW1_SIGN, -1, r);
	sk_secure_free(o);
	sk_secure_free(n);
	return r == 0 ? 0 : skd_fail(ctx, r, "P11SETPIN");
}

/* Card work under PW3 (verified from the cache or NEEDPIN |A|). */
typedef int (*admin_fn)(struct sk_card *sc, void *arg);

static int
with_admin(assuan_context_t ctx, const char *chip, admin_fn fn, void *arg)
{
	struct skd_conn *c = skd_conn_get(ctx);
	struct skd_card *h = NULL;
	struct opgp_info info;
	int r;

	if ((r = skd_pgp_info(chip, &info)) != 0)
		return r;
	if ((r = skd_card_acquire(c, chip, &h)) != 0)
		return r;
	if ((r = opgp_select(skd_card_raw(h))) == 0 &&
	    (r = skd_pgp_verify(c, h, OPGP_PW3, &info)) == 0)
		r = fn(skd_card_raw(h), arg);
	if (r == SK_ERR_CARD_REMOVED)
		skd_card_lost(h);
	skd_card_release(&h);
	return r;
}

static int
do_reset_pw1(struct sk_card *sc, void *arg)
{
	const char *n = arg;

	return opgp_reset_retry_counter(sc, NULL, 0, n, strlen(n));
}

static gpg_error_t
cmd_initpin(assuan_context_t ctx, char *line)
{
	char chip[SKD_CHIPID_MAX], *n = NULL;
	int r;

	if ((r = parse_args(line, chip, sizeof(chip), NULL, NULL, 0)) != 0)
		return skd_fail(ctx, r, "P11INITPIN <chip>");
	if ((r = inquire_pin(ctx, "NEWPIN", &n)) == 0)
		r = with_admin(ctx, chip, do_reset_pw1, n);
	skd_event_set_door("pkcs11");
	skd_event_note(SKD_EV_PIN_CHANGE, chip, "reset", NULL, OPGP_PW1_SIGN, -1, r);
	if (r == 0) {
		skd_pin_cache_drop(chip, OPGP_PW1_SIGN);
		skd_pin_cache_drop(chip, OPGP_PW1_OTHER);
	}
	sk_secure_free(n);
	return r == 0 ? 0 : skd_fail(ctx, r, "P11INITPIN");
}

/* ---- private-key operations ---- */

struct keyop {
	int ref;
	const uint8_t *in;
	size_t in_len;
	uint8_t *out;
	size_t out_len;
	int rsa;
};

static int
keyop_run(struct sk_card *sc, struct keyop *k)
{
	if (k->ref == 1)
		return opgp_sign(sc, k->in, k->in_len, &k->out, &k->out_len);
	if (k->ref == 3)
		return opgp_internal_auth(sc, k->in, k->in_len, &k->out, &k->out_len);
	if (k->rsa)
		return opgp_decipher_rsa(sc, k->in, k->in_len, &k->out, &k->out_len);
	return opgp_decipher_ecdh(sc, k->in, k->in_len, &k->out, &k->out_len);
}

static int keyop_on_card(struct sk_card *sc, void *arg)
{
	return keyop_run(sc, arg);
}

/* PW1 (81 for SIG, 82 otherwise) verified, run: skd_pgp_with_pin (fast path, retry once). */
static int
keyop(assuan_context_t ctx, const char *chip, struct keyop *k)
{
	struct opgp_info info;
	int r;

	if ((r = skd_pgp_info(chip, &info)) != 0)
		return r;
	k->rsa = info.algo[k->ref - 1].id == OPGP_ALGO_ID_RSA;
	struct skd_keyop_rec rec = { k->ref == 1 ? "sign" : k->ref == 3 ? "auth" : "decrypt",
		k->ref - 1, k->in, k->in_len };
	skd_event_set_door("pkcs11");
	return skd_pgp_with_pin(skd_conn_get(ctx), chip, &info,
	    k->ref == 1 ? OPGP_PW1_SIGN : OPGP_PW1_OTHER, keyop_on_card, k, &rec);
}

static gpg_error_t
keyop_cmd(assuan_context_t ctx, char *line, int decrypt)
{
	char chip[SKD_CHIPID_MAX];
	struct keyop k;
	uint8_t *in = NULL;
	size_t in_len = 0;
	gpg_error_t e;
	int r;

	memset(&k, 0, sizeof(k));
	if ((r = parse_ref(line, chip, sizeof(chip), &k.ref)) != 0 || (decrypt != (k.ref == 2)))
		return skd_fail(ctx, r ? r : SK_ERR_ARG, decrypt ? "P11DECRYPT <chip> 2" :
		    "P11SIGN <chip> <1|3>");
	if ((r = inquire_bytes(ctx, "DATA", DATA_MAX, &in, &in_len)) == 0) {
		k.in = in;
		k.in_len = in_len;
		r = keyop(ctx, chip, &k);
	}
	sk_secure_free(in);
	if (r != 0) {
		free(k.out);
		return skd_fail(ctx, r, decrypt ? "P11DECRYPT" : "P11SIGN");
	}
	e = skd_send_data(ctx, k.out, k.out_len);
	sk_freezero(k.out, k.out_len);
	return e;
}

static gpg_error_t
cmd_sign(assuan_context_t ctx, char *line)
{
	return keyop_cmd(ctx, line, 0);
}

static gpg_error_t
cmd_decrypt(assuan_context_t ctx, char *line)
{
	return keyop_cmd(ctx, line, 1);
}

/* ---- key generation and certificates ---- */

struct genarg {
	int ref;
	enum opgp_algo algo;
	const char *chip;
	struct opgp_pubkey pk;
};

static int
do_genkey(struct sk_card *sc, void *arg)
{
	struct genarg *g = arg;
	enum opgp_key key = (enum opgp_key)(g->ref - 1);
	int r;

	if ((r = opgp_set_algo_attr(sc, key, g->algo)) != 0)
		return r;
	if ((r = opgp_generate(sc, key, 0, &g->pk)) != 0)
		return r;
	/* new fingerprint: the cache re-reads this key's public part */
	return skd_pgp_refresh(sc, g->chip, NULL, 0);
}

static int
algo_of(const char *s, int ref, enum opgp_algo *a)
{
	static const struct { const char *name; enum opgp_algo algo; } t[] = {
		{ "rsa2048", OPGP_ALGO_RSA2048 }, { "rsa4096", OPGP_ALGO_RSA4096 },
		{ "nistp256", OPGP_ALGO_P256 }, { "nistp384", OPGP_ALGO_P384 },
		{ "ed25519", OPGP_ALGO_ED25519 }, { "cv25519", OPGP_ALGO_X25519 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (strcmp(s, t[i].name) != 0)
			continue;
		if ((t[i].algo == OPGP_ALGO_ED25519 && ref == 2) ||
		    (t[i].algo == OPGP_ALGO_X25519 && ref != 2))
			return SK_ERR_UNSUPPORTED;
		*a = t[i].algo;
		return 0;
	}
	return SK_ERR_UNSUPPORTED;
}

static gpg_error_t
cmd_genkey(assuan_context_t ctx, char *line)
{
	char chip[SKD_CHIPID_MAX], name[32], key[32];
	struct genarg g;
	uint8_t *sexp = NULL;
	size_t len = 0;
	gpg_error_t e;
	int r;

	memset(&g, 0, sizeof(g));
	if ((r = parse_args(line, chip, sizeof(chip), &g.ref, name, sizeof(name))) != 0 ||
	    g.ref < 1 || g.ref > 3)
		return skd_fail(ctx, r ? r : SK_ERR_ARG, "P11GENKEY <chip> <ref> <algo>");
	if ((r = algo_of(name, g.ref, &g.algo)) != 0)
		return skd_fail(ctx, r, "P11GENKEY: algorithm");
	g.chip = chip;
	r = with_admin(ctx, chip, do_genkey, &g);
	skd_event_set_door("pkcs11");
	skd_event_note(SKD_EV_KEYGEN, chip, "generate", name, 0, -1, r);
	if (r != 0)
		return skd_fail(ctx, r, "P11GENKEY");
	/* the old certificate belonged to the old key */
	snprintf(key, sizeof(key), CERT_KEY, g.ref);
	skd_cache_del(chip, key);
	if ((r = skd_pgp_pubkey_sexp(&g.pk, &sexp, &len)) != 0)
		return skd_fail(ctx, r, "P11GENKEY: public key");
	e = skd_send_data(ctx, sexp, len);
	free(sexp);
	return e;
}

struct certarg {
	int ref;
	const uint8_t *der;
	size_t len;
};

static int
do_writecert(struct sk_card *sc, void *arg)
{
	struct certarg *a = arg;

	return opgp_write_cert(sc, (enum opgp_key)(a->ref - 1), a->der, a->len);
}

static gpg_error_t
cmd_writecert(assuan_context_t ctx, char *line)
{
	char chip[SKD_CHIPID_MAX], key[32];
	struct certarg a;
	uint8_t *der = NULL;
	size_t len = 0;
	int r;

	memset(&a, 0, sizeof(a));
	if ((r = parse_ref(line, chip, sizeof(chip), &a.ref)) != 0)
		return skd_fail(ctx, r, "P11WRITECERT <chip> <1|2|3>");
	if ((r = inquire_bytes(ctx, "DATA", DATA_MAX, &der, &len)) == 0) {
		a.der = der;
		a.len = len;
		r = with_admin(ctx, chip, do_writecert, &a);
	}
	if (r == 0) {
		snprintf(key, sizeof(key), CERT_KEY, a.ref);
		skd_cache_put(chip, key, der, len);
	}
	sk_secure_free(der);
	return r == 0 ? 0 : skd_fail(ctx, r, "P11WRITECERT");
}

const struct skd_cmd skd_cmds_p11[] = {
	{ "P11READKEY", cmd_readkey, "P11READKEY <chip> <ref>: D public key S-expression" },
	{ "P11READCERT", cmd_readcert, "P11READCERT <chip> <ref>: D DER certificate (7F21)" },
	{ "P11PINSTATUS", cmd_pinstatus, "P11PINSTATUS <chip>: S P11PIN <pw1> <tries> <pw3> <tries>" },
	{ "P11LOGIN", cmd_login, "P11LOGIN <chip> user|so [--cached]: INQUIRE NEEDPIN, VERIFY" },
	{ "P11LOGOUT", cmd_logout, "P11LOGOUT <chip>: forget cached PINs" },
	{ "P11SETPIN", cmd_setpin, "P11SETPIN <chip> user|so: INQUIRE OLDPIN NEWPIN" },
	{ "P11INITPIN", cmd_initpin, "P11INITPIN <chip>: INQUIRE NEWPIN, PW3 resets PW1" },
	{ "P11SIGN", cmd_sign, "P11SIGN <chip> <1|3>: INQUIRE DATA, D signature" },
	{ "P11DECRYPT", cmd_decrypt, "P11DECRYPT <chip> 2: INQUIRE DATA, D plaintext/secret" },
	{ "P11GENKEY", cmd_genkey, "P11GENKEY <chip> <ref> <algo>: D public key" },
	{ "P11WRITECERT", cmd_writecert, "P11WRITECERT <chip> <ref>: INQUIRE DATA" },
	{ NULL, NULL, NULL }
};
