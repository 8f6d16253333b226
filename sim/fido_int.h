/* fido_int.h — internals of the simulated FIDO2 applet (fido_*.c): a small CBOR codec and the
 * credential crypto. Card side only. */
#ifndef FIDO_INT_H
#define FIDO_INT_H

#include <stddef.h>
#include <stdint.h>

#include "sim_applet.h"

/* CBOR reader over untrusted bytes: definite lengths only, nesting capped. */
struct cb {
	const uint8_t *p;
	size_t len, off;
};
#define CB_MAX_DEPTH 8
int cb_head(struct cb *c, uint8_t *major, uint64_t *val);       /* 0 or -1 */
int cb_skip(struct cb *c, int depth);                           /* skip one item */
int cb_map(struct cb *c, size_t *n);
int cb_array(struct cb *c, size_t *n);
int cb_bytes(struct cb *c, const uint8_t **p, size_t *n);
int cb_text(struct cb *c, const uint8_t **p, size_t *n);
int cb_int(struct cb *c, int64_t *v);
int cb_bool(struct cb *c, int *v);
int cb_peek_major(const struct cb *c);                          /* -1 at the end */
int cb_text_is(const uint8_t *p, size_t n, const char *s);

/* CBOR writer (canonical order is the caller's job) */
int ce_head(struct sim_rbuf *r, uint8_t major, uint64_t v);
int ce_int(struct sim_rbuf *r, int64_t v);
int ce_bytes(struct sim_rbuf *r, const uint8_t *p, size_t n);
int ce_text(struct sim_rbuf *r, const char *s);
int ce_textn(struct sim_rbuf *r, const uint8_t *s, size_t n);
int ce_bool(struct sim_rbuf *r, int v);

/* Credentials: a P-256 key wrapped under the card's master key into the credential ID
 * (AES-256-GCM, nonce 12 | private 32 | public 65 | tag 16), bound to the rpIdHash. */
#define FIDO_CRED_ID_LEN (12 + 32 + 65 + 16)
#define FIDO_PUB_LEN 65
struct fido_key {
	uint8_t priv[32];
	uint8_t pub[FIDO_PUB_LEN];    /* 04 | x | y */
};
int fido_key_generate(struct fido_key *k);
int fido_cred_wrap(const uint8_t master[32], const uint8_t rp_hash[32], const struct fido_key *k,
    uint8_t id[FIDO_CRED_ID_LEN]);
int fido_cred_unwrap(const uint8_t master[32], const uint8_t rp_hash[32], const uint8_t *id,
    size_t id_len, struct fido_key *k);                         /* 0, or -1 not ours */
/* ECDSA-SHA256 over a || b, DER signature into sig (cap 80); returns length or -1. */
int fido_sign(const struct fido_key *k, const uint8_t *a, size_t alen, const uint8_t *b,
    size_t blen, uint8_t *sig, size_t cap);

#endif
