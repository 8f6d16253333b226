/* pgp_op.c — one private-key operation on the OpenPGP applet with its PIN: the one path shared
 * by PKSIGN/PKAUTH/PKDECRYPT, the PKCS#11 key operations and the ssh-agent socket.
 *
 * Fast path: when this presence already verified the PIN (it is cached), the PIN stays valid
 * across operations (PW1/82, or PW1/81 when not forced per signature) and this daemon's SELECT
 * of the applet still stands on the card handle, the operation goes alone: one APDU. An
 * OpenPGP SELECT resets the PIN state, so re-selecting on every operation would force a VERIFY
 * each time. No PIN travels on the fast path; if another program selected something else in
 * between, the card answers an error and the slow path runs once (HACKING.md rule 4).
 * Slow path: SELECT, VERIFY (skd_pgp_verify: cache or INQUIRE/pinentry, never retried), run. */
#include <stdio.h>
#include <string.h>

#include "common/card.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "event.h"
#include "pgp.h"
#include "skd_int.h"

static const uint8_t opgp_aid[] = { 0xD2, 0x76, 0x00, 0x01, 0x24, 0x01 };

/* What a card says when our SELECT no longer stands or the PIN state is gone. */
static int state_lost(int r, int fast)
{
	if (r == SK_ERR_CARD_RESET || r == SK_ERR_DENIED)
		return 1;
	return fast && (r == SK_ERR_UNSUPPORTED || r == SK_ERR_NOT_FOUND || r == SK_ERR_SW);
}

static int pin_stays_valid(const struct opgp_info *info, int ref)
{
	return ref == OPGP_PW1_OTHER || (ref == OPGP_PW1_SIGN && info->pw.pw1_multi);
}

/* The operation's event, in the outbox before the caller answers (or the answer is an error). */
static int record(const char *chip, const struct opgp_info *info, int ref, int r,
    const struct skd_keyop_rec *rec)
{
	struct skd_event ev = { .kind = SKD_EV_KEY_OP, .chip = chip, .result = r, .counter = -1,
		.retries = -1, .pinref = ref };
	struct opgp_info now;
	char fpr[41] = "";
	int e;

	if (rec != NULL) {
		ev.op = rec->op;
		ev.signed_data = rec->in;
		ev.signed_len = rec->in_len;
		if (rec->slot >= 0 && rec->slot < OPGP_NKEYS) {
			for (int i = 0; i < 20; i++)
				snprintf(fpr + 2 * i, 3, "%02X", info->fpr[rec->slot][i]);
			ev.object = fpr;
		}
	}
	if (r == 0 && ref == OPGP_PW1_SIGN) {
		skd_pgp_note_signature(chip);   /* no re-read: the counter moved by one */
		if (skd_pgp_info(chip, &now) == 0)
			ev.counter = (int64_t)now.sig_counter;
	}
	if ((e = skd_event_publish(&ev)) != 0 && r == 0) {
		sk_warn("%s: the operation's event was not recorded (%s): result withheld", chip,
		    sk_strerror(e));
		return skd_config.audit == SKD_AUDIT_OFF ? 0 : SK_ERR_UNRECORDED;
	}
	return skd_guard_confirm(r, SKD_EV_KEY_OP, chip, ev.op, ev.object);
}

/* A forced signature PIN (PW1/81 valid for one PSO:CDS) needs our SELECT, and a SELECT resets
 * PW1/82 as well: while skinkey-guard runs liveness checks (INTERNAL AUTHENTICATE needs PW1/82,
 * and a check never sends a PIN), every gpg signature would leave the next check failing. So
 * with presence-interval set, PW1/82 is verified again in the same transaction with the PIN
 * this chip already accepted for it (what the next PKAUTH would send anyway): one APDU, never
 * retried, no unlock event (the session is the same one). */
static void restore_other_pin(struct sk_card *sc, const char *chip, const struct opgp_info *info)
{
	struct opgp_info cur = *info;
	char *pin;
	int r, tries = -1;

	/* only a session that was unlocked (PW1/82 at a door): a signature alone starts none */
	if (!skd_config.presence_watch || !skd_liveness_session(chip) ||
	    (pin = skd_pincache_get(chip, OPGP_PW1_OTHER)) == NULL)
		return;
	r = opgp_verify_selected(sc, OPGP_PW1_OTHER, pin, strlen(pin), &cur.pw, &cur.kdf, &tries);
	skd_pin_free(&pin);
	if (r == 0)
		return;
	sk_warn("%s: PW1/82 after the signature: %s", chip, sk_strerror(r));
	skd_pgp_note_pin(sc, chip, OPGP_PW1_OTHER, r, tries);
	if (r == SK_ERR_PIN_WRONG || r == SK_ERR_PIN_BLOCKED) {
		skd_pin_cache_drop(chip, OPGP_PW1_OTHER);
		skd_pin_cache_drop(chip, OPGP_PW1_SIGN);
	}
}

int skd_pgp_with_pin(struct skd_conn *c, const char *chip, const struct opgp_info *info, int ref,
    skd_pgp_op_fn fn, void *arg, const struct skd_keyop_rec *rec)
{
	struct skd_card *h = NULL;
	struct sk_card *sc;
	char *known = NULL, *given = NULL;
	int fast, r = SK_ERR_INTERNAL;

	if ((r = skd_guard_gate()) != 0)
		return record(chip, info, ref, r, rec);
	if (skd_agents_locked() && (strcmp(skd_event_door(), "ssh-agent") == 0 ||
	    strcmp(skd_event_door(), "pkcs11") == 0)) {
		sk_info("%s: %s door locked by presence: a PIN at another door unlocks", chip,
		    skd_event_door());
		return record(chip, info, ref, SK_ERR_LOCKED, rec);
	}
	known = pin_stays_valid(info, ref) ? skd_pincache_get(chip, ref) : NULL;
	fast = known != NULL;
	skd_pin_free(&known);
	/* A PIN the client must give is asked for before the card is taken: no card lock, no PC/SC
	 * transaction while a person types (or a client stalls) */
	if (!fast && (r = skd_pgp_ask_pin(c, chip, ref, info, &given)) != 0)
		return record(chip, info, ref, r, rec);
	for (int attempt = 0; attempt < 2; attempt++) {
		if ((r = skd_card_acquire(c, chip, &h)) != 0)
			break;
		sc = skd_card_raw(h);
		fast = fast && attempt == 0 && sk_card_is_selected(sc, opgp_aid, sizeof(opgp_aid));
		if (fast) {
			r = fn(sc, arg);
		} else {
			if ((r = opgp_select(sc)) == SK_ERR_CARD_RESET)
				r = opgp_select(sc);   /* another program reset the card: once more */
			if (r == 0 && (r = skd_pgp_verify_given(c, h, ref, info, given)) == 0)
				r = fn(sc, arg);
			if (r == 0 && ref == OPGP_PW1_SIGN)
				restore_other_pin(sc, chip, info);
		}
		if (attempt == 0 && state_lost(r, fast)) {
			sk_info("%s: card state lost (%s); select, verify and retry once", chip,
			    sk_strerror(r));
			sk_card_forget_selection(sc);
			skd_card_release(&h);
			continue;
		}
		if (r == SK_ERR_CARD_REMOVED)
			skd_card_lost(h);
		skd_card_release(&h);
		break;
	}
	skd_pin_free(&given);
	return record(chip, info, ref, r, rec);
}
