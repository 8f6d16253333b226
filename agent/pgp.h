/* pgp.h — skinkeyd's glue to the OpenPGP applet: identification, the public-data cache, PIN
 * verification with the cache/INQUIRE policy, public keys as S-expressions. */
#ifndef SKD_PGP_H
#define SKD_PGP_H

#include <stddef.h>
#include <stdint.h>

#include "openpgp.h"
#include "skd.h"

/* Under a held card: select, read everything public, cache it (info, KDF-DO, public keys with
 * their S-expressions and keygrips). chip may be NULL: the chip id is then derived and written
 * to chip_out. */
int skd_pgp_refresh(struct sk_card *sc, const char *chip, char *chip_out, size_t chip_len);
/* What skd_pgp_refresh_ex reads. FULL: everything. TAP (cardmgr, at a tap): the DOs only an admin
 * write changes (65, 5F50, 5E, private DOs 1/2) come from the cache when it holds a copy less
 * than an hour old. APP (after a write to keys, key attributes or PINs): 6E and 7A alone, the
 * rest from the cache (FULL when nothing is cached). */
enum skd_refresh { SKD_REFRESH_FULL, SKD_REFRESH_TAP, SKD_REFRESH_APP };
/* app/app_len: the answer to GET DATA 6E read in this transaction (NULL: read it). */
int skd_pgp_refresh_ex(struct sk_card *sc, const char *chip, const uint8_t *app, size_t app_len,
    enum skd_refresh mode, char *chip_out, size_t chip_len);
/* After GENERATE: cache the public key the card just returned (and its fingerprint, so the
 * refresh that follows does not read the key again). */
int skd_pgp_cache_generated(const char *chip, int slot, const struct opgp_pubkey *pk,
    uint32_t created);
/* A chip whose OpenPGP data skd_pgp_refresh could not read (malformed, or an error status):
 * 0 with "the card's application data could not be read: <why>" in why, else SK_ERR_NOT_FOUND.
 * A successful refresh clears it. */
int skd_pgp_unreadable(const char *chip, char *why, size_t n);
/* The cached application data of a chip (no card needed). */
int skd_pgp_info(const char *chip, struct opgp_info *info);
/* "D276000124010304FFFE4CB871470000" from the AID. */
void skd_pgp_serialno(const struct opgp_info *info, char out[33]);
/* Chip id from a serialno (the demand string of SERIALNO --demand). */
int skd_pgp_chip_from_serialno(const char *sn, char *chip, size_t n);

/* Canonical S-expression of a public key and its keygrip (hex, 40 chars + NUL). */
int skd_pgp_pubkey_sexp(const struct opgp_pubkey *pk, uint8_t **sexp, size_t *len);
int skd_pgp_keygrip(const uint8_t *sexp, size_t len, char grip[41]);
/* Cached public key S-expression of key slot 0..2. */
int skd_pgp_cached_sexp(const char *chip, int slot, uint8_t **sexp, size_t *len);
int skd_pgp_cached_grip(const char *chip, int slot, char grip[41]);

/* Make sure PIN ref (0x81/0x82/0x83) is verified on the held card: already verified -> 0;
 * else the cached PIN (policy) or INQUIRE NEEDPIN, one VERIFY, never retried. */
/* One private-key operation with PIN ref verified (pgp_op.c): fn runs on the selected applet
 * under the card lock; the fast path sends it alone when the PIN state still stands. */
typedef int (*skd_pgp_op_fn)(struct sk_card *sc, void *arg);
/* What the event of the operation records (the door comes from skd_event_set_door()). Before
 * it runs, the operation passes skd_guard_gate() (audit = required); after it, its event is in
 * the outbox before the caller answers, or the caller gets SK_ERR_UNRECORDED. A signature with
 * the signature key bumps the cached signature counter, which the event records. */
struct skd_keyop_rec {
	const char *op;              /* "sign", "auth", "decrypt" */
	int slot;                    /* OPGP_KEY_SIG / DEC / AUT */
	const uint8_t *in;           /* what goes to the chip: its SHA-256 is recorded */
	size_t in_len;
};
int skd_pgp_with_pin(struct skd_conn *c, const char *chip, const struct opgp_info *info, int ref,
    skd_pgp_op_fn fn, void *arg, const struct skd_keyop_rec *rec);

/* Cache bookkeeping after a VERIFY (result r, tries as opgp_verify reports) and after a
 * PSO:CDS the card accepted (its signature counter moved by one). */
void skd_pgp_note_pin(struct sk_card *sc, const char *chip, int ref, int r, int tries);
void skd_pgp_note_signature(const char *chip);
int skd_pgp_verify(struct skd_conn *c, struct skd_card *h, int ref, const struct opgp_info *info);
/* The same with a PIN the caller asked for before taking the card (skd_pgp_ask_pin), so that no
 * client answer is waited for with the card held; given NULL: ask now (the card is given back
 * meanwhile: skd_inquire). */
int skd_pgp_verify_given(struct skd_conn *c, struct skd_card *h, int ref,
    const struct opgp_info *info, const char *given);
/* Before taking the card: the PIN for ref from the client (INQUIRE NEEDPIN or pinentry), or
 * *pin NULL when the cache holds one. */
int skd_pgp_ask_pin(struct skd_conn *c, const char *chip, int ref, const struct opgp_info *info,
    char **pin);

#endif
