/* duress_ctx.c — duress contexts inside skinkeyd (doc/DURESS.md). With `duress = on` a chip that
 * has a DuressApplet is listed locked (SKD_LOCKED_CHIP: no instance serial, no keys). The first
 * door that needs it (gpg's SERIALNO, the ssh-agent's key list, PKCS#11's login, DURESS UNLOCK)
 * asks one PIN; the DuressApplet gets it first (its SELECT just before, same transaction), with
 * a CHALLENGE over skinkey's fixed nonce; the context it chose names the OpenPGP instance that
 * every door then reaches (the card handle's SELECT redirect from the partial OpenPGP AID to the
 * instance's full AID), and the same PIN goes to that instance's VERIFY. A refused PIN is never
 * retried. The chip id becomes the instance's (fs-<serial>), so every cache follows the context.
 *
 * SKD_EV_CONTEXT carries the context id and the CHALLENGE answer when a context begins, and the
 * id with no secret when it ends (removal, lock, dropped PINs). Nothing here logs which context
 * was chosen: a primary and a decoy unlock write the same lines, and no log line of skinkeyd
 * names a context's chip id (they read "fs-context"). */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/card.h"
#include "common/log.h"
#include "common/logmask.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "duress.h"
#include "duress_inst.h"
#include "event.h"
#include "pgp.h"
#include "skd_int.h"

/* The CHALLENGE every unlock sends: fixed, so that a context's answer is its stable secret. */
static const uint8_t ctx_nonce[32] = "skinkey-duress-context-nonce-v1";

static pthread_mutex_t unlock_mu = PTHREAD_MUTEX_INITIALIZER;   /* one unlock at a time */
static pthread_mutex_t du_mu = PTHREAD_MUTEX_INITIALIZER;       /* guards the two below */
static char active_chip[SKD_CHIPID_MAX];   /* the context's chip id, "" when none */
static int active_ctx = -1;
/* Every chip id that was a context's in this process is masked in log lines (common/logmask.h):
 * a log file would otherwise keep the primary's serial after a primary unlock. */

int skd_duress_masked(const char *chip)
{
	return sk_logmask_has(chip);
}

int skd_duress_answer(const uint8_t key[32], uint8_t out[32])
{
	unsigned int n = 0;

	/* the applet's CHALLENGE: HMAC-SHA256 under the context key (seed 000 §5.3) */
	if (HMAC(EVP_sha256(), key, 32, ctx_nonce, sizeof(ctx_nonce), out, &n) == NULL || n != 32)
		return SK_ERR_CRYPTO;
	return 0;
}

int skd_duress_probe(struct sk_card *sc)
{
	int r = duress_probe(sc, NULL);

	if (r == 0)
		return 1;
	if (r == SK_ERR_CARD_REMOVED)
		return r;
	return 0;
}

int skd_duress_locked_present(void)
{
	return skd_config.duress && skd_cardmgr_present(SKD_LOCKED_CHIP, NULL, 0);
}

int skd_duress_active(char *chip, size_t n)
{
	int on;

	pthread_mutex_lock(&du_mu);
	on = active_chip[0] != '\0';
	if (chip != NULL)
		snprintf(chip, n, "%s", active_chip);
	pthread_mutex_unlock(&du_mu);
	return on;
}

static void publish_context(const char *chip, int ctx, const uint8_t *secret)
{
	struct skd_event ev = { .kind = SKD_EV_CONTEXT, .chip = chip, .context = ctx,
		.ctx_secret = secret, .ctx_secret_len = secret != NULL ? DURESS_MAC_LEN : 0,
		.counter = -1, .retries = -1 };

	skd_event_publish(&ev);
}

/* The context of chip ended: tell the subscribers, forget its rows. */
static void end_context(const char *chip)
{
	char was[SKD_CHIPID_MAX];
	int ctx;

	pthread_mutex_lock(&du_mu);
	if (active_chip[0] == '\0' || strcmp(active_chip, chip) != 0) {
		pthread_mutex_unlock(&du_mu);
		return;
	}
	snprintf(was, sizeof(was), "%s", active_chip);
	ctx = active_ctx;
	active_chip[0] = '\0';
	active_ctx = -1;
	pthread_mutex_unlock(&du_mu);
	publish_context(was, ctx, NULL);
	skd_liveness_forget(was);
	/* The context's rows live in its record (ctxrec_skd.c); anything of it state.db got all
	 * the same (written before the record opened) goes, overwritten. */
	skd_state_chip_forget(was);
	sk_info("duress: the chip's context ended: the next PIN goes to the DuressApplet again");
}

static int on_chip_left(const struct skd_event *ev, void *arg)
{
	(void)arg;
	if (ev->chip != NULL)
		end_context(ev->chip);
	return 0;
}

int skd_duress_events_init(void)
{
	sk_logmask_install();
	return skd_event_subscribe(SKD_EV_MASK(SKD_EV_CHIP_LEFT), on_chip_left, NULL);
}

/* The chip id of an instance's full AID: fs-<manufacturer><serial>, as the card manager names
 * chips without duress. */
static int chip_of_aid(const uint8_t aid[DURESS_INST_AID_LEN], char *chip, size_t n)
{
	snprintf(chip, n, "fs-%02x%02x%02x%02x%02x%02x", aid[8], aid[9], aid[10], aid[11], aid[12],
	    aid[13]);
	return 0;
}

/* Back to the locked view after a failed unlock (h held). */
static void relock_held(struct skd_card *h)
{
	struct sk_card *sc = skd_card_raw(h);

	sk_card_set_select_redirect(sc, NULL, 0, NULL, 0);
	sk_card_forget_selection(sc);
	if (skd_card_become(h, SKD_LOCKED_CHIP) != 0)
		sk_info("duress: the chip left before it was shown locked again");
}

/* Under the held locked chip: the applet's context, its instance, the same PIN there. */
static int unlock_held(struct skd_conn *c, struct skd_card *h, const char *pin, char *chip,
    size_t n)
{
	static const uint8_t partial[] = { 0xD2, 0x76, 0x00, 0x01, 0x24, 0x01 };
	uint8_t dpin[DURESS_PIN_LEN], mac[DURESS_MAC_LEN], aid[DURESS_INST_AID_LEN], ctx = 0;
	struct sk_card *sc = skd_card_raw(h);
	struct opgp_info info;
	char id[SKD_CHIPID_MAX];
	int r;

	if ((r = duress_pin_derive(pin, strlen(pin), dpin)) != 0)
		goto out;
	if ((r = duress_unlock(sc, dpin, ctx_nonce, sizeof(ctx_nonce), mac, &ctx)) != 0) {
		sk_warn("duress: the DuressApplet refused the PIN (%s): not retried", sk_strerror(r));
		skd_event_note(SKD_EV_PIN_FAIL, SKD_LOCKED_CHIP, "unlock", NULL, 0, -1, r);
		goto out;
	}
	if ((r = skd_duress_instance(sc, ctx, mac, aid)) != 0) {
		sk_warn("duress: no OpenPGP instance for the chosen context: %s", sk_strerror(r));
		goto out;
	}
	chip_of_aid(aid, id, sizeof(id));
	if ((r = sk_card_set_select_redirect(sc, partial, sizeof(partial), aid, sizeof(aid))) != 0)
		goto out;
	sk_card_forget_selection(sc);
	pthread_mutex_lock(&du_mu);
	snprintf(active_chip, sizeof(active_chip), "%s", id);
	active_ctx = ctx;
	sk_logmask_add(id);
	pthread_mutex_unlock(&du_mu);
	publish_context(id, ctx, mac);   /* before chip-seen: the context's own records follow */
	sk_wipe(mac, sizeof(mac));
	if ((r = skd_card_become(h, id)) != 0)
		goto fail;
	if ((r = skd_pgp_info(id, &info)) != 0) {
		sk_warn("duress: %s: the instance's OpenPGP data did not read", id);
		goto fail;
	}
	if ((r = skd_pgp_verify_given(c, h, OPGP_PW1_OTHER, &info, pin)) != 0) {
		sk_warn("duress: %s: the instance refused the PIN (%s): not retried", id,
		    sk_strerror(r));
		goto fail;
	}
	snprintf(chip, n, "%s", id);
	sk_info("duress: %s unlocked", id);
	r = 0;
	goto out;
fail:
	if (r != SK_ERR_CARD_REMOVED)
		relock_held(h);
	end_context(id);
out:
	sk_wipe(dpin, sizeof(dpin));
	sk_wipe(mac, sizeof(mac));
	return r;
}

int skd_duress_unlock(struct skd_conn *c, const char *given, char *chip, size_t n)
{
	struct skd_card *h = NULL;
	char *pin = NULL;
	int r, cached = 0;

	chip[0] = '\0';
	pthread_mutex_lock(&unlock_mu);
	/* another door unlocked it meanwhile; or a context of another chip is active: one at a
	 * time, that one (a second chip with the applet stays locked until it ends) */
	if (skd_duress_active(chip, n) || !skd_duress_locked_present()) {
		r = chip[0] != '\0' ? 0 : SK_ERR_NO_CARD;
		goto out;
	}
	/* asked before the card is taken: no client answer is awaited with the card held */
	if (given != NULL) {
		if ((pin = sk_secure_alloc(strlen(given) + 1)) == NULL) {
			r = SK_ERR_NOMEM;
			goto out;
		}
		memcpy(pin, given, strlen(given) + 1);
	} else if ((r = skd_pin_obtain(c, SKD_LOCKED_CHIP, OPGP_PW1_OTHER,
	    "||Please unlock the card", &pin, &cached)) != 0) {
		goto out;
	}
	if ((r = skd_card_acquire(c, SKD_LOCKED_CHIP, &h)) != 0)
		goto out;
	r = unlock_held(c, h, pin, chip, n);
	if (r == SK_ERR_CARD_REMOVED)
		skd_card_lost(h);
	skd_card_release(&h);
out:
	skd_pin_free(&pin);
	pthread_mutex_unlock(&unlock_mu);
	return r;
}

void skd_duress_alias(char *chip, size_t n)
{
	char active[SKD_CHIPID_MAX];

	if (strcmp(chip, SKD_LOCKED_CHIP) == 0 && skd_duress_active(active, sizeof(active)))
		snprintf(chip, n, "%s", active);
}

void skd_duress_lock(const char *why)
{
	struct skd_card *h = NULL;
	char chip[SKD_CHIPID_MAX];

	if (!skd_duress_active(chip, sizeof(chip)))
		return;
	pthread_mutex_lock(&unlock_mu);
	if (skd_cardmgr_present(chip, NULL, 0) && skd_card_acquire(NULL, chip, &h) == 0) {
		relock_held(h);   /* chip-left of the context's id: end_context() */
		skd_card_release(&h);
	}
	end_context(chip);   /* (the chip had left: nothing on it to change) */
	pthread_mutex_unlock(&unlock_mu);
	sk_info("duress: locked (%s)", why);
}
