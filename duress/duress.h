/* duress.h — host-side client of the DuressApplet (seed 000 §5.3; private AID
 * F0 44 55 52 45 53 53 01): three PIN-gated contexts (0 primary, 1 decoy, 2 burn).
 *
 * Safety (HACKING.md rules 1 and 2): every call that sends a PIN or the admin key opens a PC/SC
 * transaction, SELECTs the applet in it and sends the secret right after; a refused PIN or admin
 * key is reported, never retried. The applet forgets its context as soon as another applet is
 * selected, so anything that needs the active context (CHALLENGE) is sent in the same
 * transaction as SELECT_CONTEXT (duress_unlock's optional challenge).
 *
 * The PIN: the applet takes exactly 4 bytes, equal across contexts. skinkey derives them from
 * the PIN as typed (any length, the same string the context's OpenPGP instance verifies):
 * the first 4 bytes of SHA-256("skinkey-duress-pin\0" || typed). One typed PIN thus opens both
 * the DuressApplet context and that context's OpenPGP instance. `skinkey duress setup` sets
 * the applet's PINs with the same derivation. Every call returns 0 or a negative SK_ERR_*. */
#ifndef SK_DURESS_H
#define SK_DURESS_H

#include <stddef.h>
#include <stdint.h>

struct sk_card;

#define DURESS_NCTX       3
#define DURESS_CTX_PRIMARY 0
#define DURESS_CTX_DECOY   1
#define DURESS_CTX_BURN    2
#define DURESS_CTX_NONE    0xFF   /* GET_CONTEXT_ID: no context selected */
#define DURESS_PIN_LEN    4
#define DURESS_KEY_LEN    32
#define DURESS_CHAL_MAX   64
#define DURESS_MAC_LEN    32
#define DURESS_TYPED_PIN_MAX 127

extern const uint8_t duress_aid[8];

struct duress_version {
	uint8_t major, minor, patch;
};

/* ---- answer parsers (pure; fuzzed) ---- */
/* GET_CONTEXT_ID: exactly one byte, 0..2 or FF. */
int duress_parse_ctx_id(const uint8_t *p, size_t n, uint8_t *ctx);
/* VERSION: 2 or 3 bytes (major, minor[, patch]). */
int duress_parse_version(const uint8_t *p, size_t n, struct duress_version *v);
/* CHALLENGE: exactly 32 bytes. */
int duress_parse_mac(const uint8_t *p, size_t n, uint8_t out[DURESS_MAC_LEN]);

/* The 4 applet PIN bytes of a typed PIN (1..DURESS_TYPED_PIN_MAX bytes, else SK_ERR_PIN_FORMAT). */
int duress_pin_derive(const char *typed, size_t len, uint8_t out[DURESS_PIN_LEN]);

/* SELECT the applet (own transaction); v (may be NULL) receives VERSION.
 * SK_ERR_NOT_FOUND: the chip has no DuressApplet. */
int duress_probe(struct sk_card *card, struct duress_version *v);

/* One transaction: SELECT, SELECT_CONTEXT(pin), GET_CONTEXT_ID, and when chal != NULL
 * (1..64 bytes) CHALLENGE into mac. *ctx receives the context the applet chose.
 * SK_ERR_PIN_WRONG: no context matched (the applet decremented every counter);
 * SK_ERR_PIN_BLOCKED: blocked; SK_ERR_NOT_FOUND: no applet. Never retried. */
int duress_unlock(struct sk_card *card, const uint8_t pin[DURESS_PIN_LEN], const uint8_t *chal,
    size_t chal_len, uint8_t mac[DURESS_MAC_LEN], uint8_t *ctx);

/* Admin changes for one context. */
struct duress_ctx_setup {
	int reset;                       /* RESET_CONTEXT first (random key, no PIN) */
	const uint8_t *pin;              /* DURESS_PIN_LEN bytes or NULL */
	const uint8_t *key;              /* DURESS_KEY_LEN bytes or NULL */
};

/* One transaction: SELECT, ADMIN_AUTH(admin_key), then for each context 0..2 in order its
 * reset / SET_PIN / SET_KEY, then (new_admin != NULL) SET_KEY P1=AD. A refused admin key is
 * SK_ERR_DENIED and nothing else is sent. ctx may be NULL (no context change). */
int duress_admin(struct sk_card *card, const uint8_t admin_key[DURESS_KEY_LEN],
    const struct duress_ctx_setup ctx[DURESS_NCTX], const uint8_t *new_admin);

/* "primary", "decoy", "burn" or "none" (never NULL). */
const char *duress_ctx_name(uint8_t ctx);

#endif
