/* liveness.c — proof that the chip which accepted the PIN is still the one in the field
 * (issue 12, doc/PROTOCOL.md "Presence").
 *
 * At unlock (the chip accepted PW1 for other uses, 82) a session starts for the chip and the AUT
 * public key cached for it is pinned here, in memory. A check has two proofs, never a UID, ATR,
 * label or serial (a clone copies those), never a PIN, never a write:
 * - while our OpenPGP selection and its PIN state stand: INTERNAL AUTHENTICATE over a fresh
 *   random challenge, verified with the pinned key (1 APDU, no host secret; INTERNAL
 *   AUTHENTICATE moves no counter, PSO:CDS would);
 * - when that PIN state is gone (a field dropout reset the chip, another program selected another
 *   applet) or there is no AUT key, and the chip is enrolled (`skinkey presence enroll`): the
 *   HMAC-SHA1 challenge-response of liveness_hmac.c (2 APDUs, a secret the host keeps 0600).
 * A wrong INTERNAL AUTHENTICATE signature is a failure, never a reason to try the other proof.
 * The check runs under the card lock like any operation. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "common/card.h"
#include "common/log.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "event.h"
#include "otp.h"
#include "pgp.h"
#include "skd_int.h"
#include "sshag.h"

#define PINNED_MAX 8

struct pinned {
	char chip[SKD_CHIPID_MAX];
	uint8_t *sexp;
	size_t len;
};

static pthread_mutex_t pin_mu = PTHREAD_MUTEX_INITIALIZER;
static struct pinned pinned[PINNED_MAX];
static int agents_locked;

static const uint8_t opgp_aid[] = { 0xD2, 0x76, 0x00, 0x01, 0x24, 0x01 };

static void pinned_clear(struct pinned *p)
{
	free(p->sexp);
	memset(p, 0, sizeof(*p));
}

void skd_liveness_unlocked(const char *chip)
{
	struct skd_event ev = { .kind = SKD_EV_UNLOCK, .chip = chip, .pinref = OPGP_PW1_OTHER,
		.counter = -1, .retries = -1 };
	uint8_t *sx = NULL;
	size_t len = 0;
	struct pinned *slot = NULL;

	if (chip == NULL || chip[0] == '\0')
		return;
	if (skd_pgp_cached_sexp(chip, OPGP_KEY_AUT, &sx, &len) != 0)
		sk_info("%s: no authentication key cached: liveness checks need the enrolled HMAC "
		    "proof (skinkey presence enroll)", chip);
	pthread_mutex_lock(&pin_mu);
	agents_locked = 0;
	for (int i = 0; i < PINNED_MAX && slot == NULL; i++)
		if (strcmp(pinned[i].chip, chip) == 0)
			slot = &pinned[i];
	for (int i = 0; i < PINNED_MAX && slot == NULL; i++)
		if (pinned[i].chip[0] == '\0')
			slot = &pinned[i];
	if (slot == NULL)
		slot = &pinned[0];
	pinned_clear(slot);
	snprintf(slot->chip, sizeof(slot->chip), "%s", chip);
	slot->sexp = sx;
	slot->len = len;
	sx = NULL;
	pthread_mutex_unlock(&pin_mu);
	free(sx);
	if (skd_event_publish(&ev) != 0)
		sk_warn("%s: the unlock event was not recorded", chip);
}

int skd_liveness_session(const char *chip)
{
	int found = 0;

	pthread_mutex_lock(&pin_mu);
	for (int i = 0; i < PINNED_MAX && !found; i++)
		found = pinned[i].chip[0] != '\0' && strcmp(pinned[i].chip, chip) == 0;
	pthread_mutex_unlock(&pin_mu);
	return found;
}

void skd_liveness_forget(const char *chip)
{
	pthread_mutex_lock(&pin_mu);
	for (int i = 0; i < PINNED_MAX; i++)
		if (chip == NULL || strcmp(pinned[i].chip, chip) == 0)
			pinned_clear(&pinned[i]);
	pthread_mutex_unlock(&pin_mu);
}

void skd_agents_lock(int on)
{
	pthread_mutex_lock(&pin_mu);
	agents_locked = on;
	pthread_mutex_unlock(&pin_mu);
}

int skd_agents_locked(void)
{
	int v;

	pthread_mutex_lock(&pin_mu);
	v = agents_locked;
	pthread_mutex_unlock(&pin_mu);
	return v;
}

/* 1 when a session is unlocked for chip; *pk the pinned AUT key (NULL when none). */
static int pinned_session(const char *chip, EVP_PKEY **pk)
{
	int found = 0;

	*pk = NULL;
	pthread_mutex_lock(&pin_mu);
	for (int i = 0; i < PINNED_MAX; i++)
		if (pinned[i].chip[0] != '\0' && strcmp(pinned[i].chip, chip) == 0) {
			found = 1;
			if (pinned[i].sexp != NULL)
				*pk = skd_pkey_from_sexp(pinned[i].sexp, pinned[i].len);
		}
	pthread_mutex_unlock(&pin_mu);
	return found;
}

/* What INTERNAL AUTHENTICATE gets for this key type: RSA the DigestInfo of SHA-256(challenge),
 * ECDSA the 32-byte challenge as the hash, EdDSA the challenge itself. */
static int make_input(EVP_PKEY *pk, const uint8_t ch[32], uint8_t *in, size_t *in_len)
{
	static const uint8_t di[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
		0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };

	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA) {
		memcpy(in, di, sizeof(di));
		if (EVP_Digest(ch, 32, in + sizeof(di), NULL, EVP_sha256(), NULL) != 1)
			return SK_ERR_INTERNAL;
		*in_len = sizeof(di) + 32;
		return 0;
	}
	memcpy(in, ch, 32);
	*in_len = 32;
	return 0;
}

static int verify_sig(EVP_PKEY *pk, const uint8_t *in, size_t in_len, const uint8_t *sig,
    size_t sig_len)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_MD_CTX *md = NULL;
	ECDSA_SIG *es = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	unsigned char *der = NULL;
	int id = EVP_PKEY_get_base_id(pk), derlen, r = SK_ERR_DENIED;

	if (id == EVP_PKEY_ED25519) {
		if ((md = EVP_MD_CTX_new()) != NULL &&
		    EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) == 1 &&
		    EVP_DigestVerify(md, sig, sig_len, in, in_len) == 1)
			r = 0;
		goto out;
	}
	if ((ctx = EVP_PKEY_CTX_new(pk, NULL)) == NULL || EVP_PKEY_verify_init(ctx) != 1)
		goto out;
	if (id == EVP_PKEY_RSA) {
		if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
		    EVP_PKEY_verify(ctx, sig, sig_len, in, in_len) == 1)
			r = 0;
		goto out;
	}
	/* ECDSA: the card answers r || s */
	if (sig_len == 0 || sig_len % 2 != 0 || sig_len > 2 * 66)
		goto out;
	if ((es = ECDSA_SIG_new()) == NULL ||
	    (br = BN_bin2bn(sig, (int)(sig_len / 2), NULL)) == NULL ||
	    (bs = BN_bin2bn(sig + sig_len / 2, (int)(sig_len / 2), NULL)) == NULL)
		goto out;
	if (ECDSA_SIG_set0(es, br, bs) != 1)
		goto out;
	br = bs = NULL;
	if ((derlen = i2d_ECDSA_SIG(es, &der)) <= 0)
		goto out;
	if (EVP_PKEY_verify(ctx, der, (size_t)derlen, in, in_len) == 1)
		r = 0;
out:
	if (r != 0)
		sk_debug("liveness: the answer does not verify with the key pinned at unlock");
	OPENSSL_free(der);
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(es);
	EVP_PKEY_CTX_free(ctx);
	EVP_MD_CTX_free(md);
	return r;
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void record_failure(const char *chip, const char *why, int r)
{
	struct skd_event ev = { .kind = SKD_EV_LIVENESS, .chip = chip, .op = "check",
		.result = r != 0 ? r : SK_ERR_DENIED, .counter = -1, .retries = -1, .detail = why };

	if (skd_event_publish(&ev) != 0)
		sk_warn("%s: the liveness failure was not recorded", chip);
}

int skd_liveness_check(struct skd_conn *c, const char *chip, const char **why,
    const char **proof, long long *us, int *apdus)
{
	struct skd_card *h = NULL;
	struct sk_card *sc;
	EVP_PKEY *pk = NULL;
	uint8_t ch[32], in[64], *sig = NULL, key[OTP_HMAC_KEY_LEN];
	size_t in_len = 0, sig_len = 0;
	long long t0 = 0;
	int r, slot = 0, enrolled;

	*why = "ok";
	*proof = "-";
	*us = 0;
	*apdus = 0;
	if (!pinned_session(chip, &pk)) {
		*why = "no-session";     /* no PIN accepted since skinkeyd started or pins dropped */
		r = SK_ERR_DENIED;
		goto out;
	}
	enrolled = skd_presence_key_load(chip, &slot, key) == 0;
	if (pk == NULL && !enrolled) {
		*why = "no-proof";       /* no AUT key and no enrolment: nothing to prove with */
		r = SK_ERR_DENIED;
		goto out;
	}
	if (skd_cardmgr_present(chip, NULL, 0) != 1) {
		*why = "absent";
		r = SK_ERR_NO_CARD;
		goto out;
	}
	if (pk != NULL && (RAND_bytes(ch, sizeof(ch)) != 1 ||
	    (r = make_input(pk, ch, in, &in_len)) != 0)) {
		*why = "internal";
		r = SK_ERR_INTERNAL;
		goto out;
	}
	if ((r = skd_card_acquire(c, chip, &h)) != 0) {
		*why = "absent";
		goto out;
	}
	sc = skd_card_raw(h);
	t0 = now_us();
	/* INTERNAL AUTHENTICATE only while our SELECT stands: a new one would reset the PIN state,
	 * and another applet's selection already has. */
	if (pk != NULL && sk_card_is_selected(sc, opgp_aid, sizeof(opgp_aid))) {
		*proof = "aut";
		(*apdus)++;
		if ((r = opgp_internal_auth(sc, in, in_len, &sig, &sig_len)) == 0) {
			if ((r = verify_sig(pk, in, in_len, sig, sig_len)) != 0)
				*why = "wrong-answer";
			goto release;
		}
		if (r == SK_ERR_CARD_REMOVED) {
			*why = "absent";
			goto release;
		}
		/* 6982: PW1 not verified in this chip session (a reset, another program) */
		*why = "refused";
		if (!enrolled)
			goto release;
		sk_debug("liveness: %s: INTERNAL AUTHENTICATE refused (%s): the HMAC proof", chip,
		    sk_strerror(r));
	} else if (!enrolled) {
		*why = "pin-state-gone";
		r = SK_ERR_DENIED;
		goto release;
	}
	*proof = "hmac";
	r = skd_liveness_hmac(sc, slot, key, apdus, why);
release:
	*us = now_us() - t0;
	if (r == SK_ERR_CARD_REMOVED)
		skd_card_lost(h);
	skd_card_release(&h);
out:
	if (r != 0 && strcmp(*why, "no-session") != 0)
		record_failure(chip, *why, r);
	sk_wipe(key, sizeof(key));
	free(sig);
	EVP_PKEY_free(pk);
	return r;
}
