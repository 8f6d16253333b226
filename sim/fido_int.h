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
 * (AES-256-GCM, nonce 12 | private 32 | public 65 | credProtect 1 | tag 16), bound to the
 * rpIdHash. */
#define FIDO_CRED_ID_LEN (12 + 32 + 65 + 1 + 16)
#define FIDO_PUB_LEN 65
struct fido_key {
	uint8_t priv[32];
	uint8_t pub[FIDO_PUB_LEN];    /* 04 | x | y */
	uint8_t protect;              /* credProtect level 1..3 */
};
int fido_key_generate(struct fido_key *k);
int fido_cred_wrap(const uint8_t master[32], const uint8_t rp_hash[32], const struct fido_key *k,
    uint8_t id[FIDO_CRED_ID_LEN]);
int fido_cred_unwrap(const uint8_t master[32], const uint8_t rp_hash[32], const uint8_t *id,
    size_t id_len, struct fido_key *k);                         /* 0, or -1 not ours */
/* ECDSA-SHA256 over a || b, DER signature into sig (cap 80); returns length or -1. */
int fido_sign(const struct fido_key *k, const uint8_t *a, size_t alen, const uint8_t *b,
    size_t blen, uint8_t *sig, size_t cap);

#define ST_OK              0x00
#define ST_INVALID_CMD     0x01
#define ST_INVALID_CBOR    0x12
#define ST_MISSING_PARAM   0x14
#define ST_EXCLUDED        0x19
#define ST_UNSUPPORTED_ALG 0x26
#define ST_STORE_FULL      0x28
#define ST_UNSUPPORTED_OPT 0x2B
#define ST_INVALID_OPT     0x2C
#define ST_NO_CREDENTIALS  0x2E
#define ST_NOT_ALLOWED     0x30
#define ST_PIN_INVALID     0x31
#define ST_PIN_BLOCKED     0x32
#define ST_PIN_AUTH_INVALID 0x33
#define ST_PIN_AUTH_BLOCKED 0x34
#define ST_PIN_NOT_SET     0x35
#define ST_PIN_REQUIRED    0x36
#define ST_PIN_POLICY      0x37
#define ST_OTHER           0x7F

#define MAX_RK   16
#define TXT_MAX  64
#define LIST_MAX 16

struct fido_rk {
	uint8_t used;
	uint8_t rp_hash[32];
	uint8_t user_id[TXT_MAX];
	uint8_t user_id_len;
	uint8_t user_name[TXT_MAX];
	uint8_t user_name_len;
	uint8_t rp_id[TXT_MAX];      /* cut to TXT_MAX, as CTAP 2.1 lets credential management do */
	uint8_t rp_id_len;
	uint8_t cred_id[FIDO_CRED_ID_LEN];
	uint32_t created;            /* counter value at creation: newest first */
	uint8_t protect;             /* credProtect level 1..3 */
};

struct fido {
	uint8_t master[32];
	uint8_t aaguid[16];
	uint32_t counter;
	struct fido_rk rk[MAX_RK];
	/* clientPIN (protocol 1) */
	uint8_t pin_hash[16];        /* LEFT(SHA-256(PIN), 16) */
	uint8_t pin_set;
	uint8_t pin_retries;
	/* volatile: clientPIN session */
	struct fido_key ka;          /* key agreement key, regenerated per power cycle / mismatch */
	int ka_valid;
	uint8_t pin_token[32];
	int token_valid;
	int mismatches;              /* consecutive wrong PINs since power-up */
	/* volatile: getNextAssertion */
	uint8_t next[LIST_MAX];
	size_t nnext, inext;
	uint8_t next_cdh[32];
	uint8_t next_flags;
	/* volatile: credential management enumeration (kind 2 RPs, 4 credentials) */
	uint8_t cm_list[MAX_RK];
	int cm_n, cm_i, cm_kind;
	/* volatile: keep-alive mode (sim_fido_set_keepalive): the answer held back, its SW, and
	 * how many 9100 polls are still answered before it */
	struct sim_rbuf pend;
	uint16_t pend_sw;
	int pend_left, pending;
};

struct blob {
	const uint8_t *p;
	size_t n;
};

#define PIN_RETRIES 8

/* fido_pin.c: authenticatorClientPIN (0x06) and the pinAuth check of make/getAssertion.
 * pin_auth NULL: no pinAuth parameter. Returns ST_OK with *uv = 1 when pinAuth verified. */
uint8_t fido_client_pin(struct fido *f, const uint8_t *p, size_t n, struct sim_rbuf *r,
    struct sim_env *env);
uint8_t fido_check_pin_auth(struct fido *f, const struct blob *pin_auth, int64_t protocol,
    const uint8_t cdh[32], int *uv);
void fido_pin_power_loss(struct fido *f);
/* pinAuth = LEFT(HMAC-SHA-256(pinToken, a || b), 16) with the current pinToken (b may be NULL) */
uint8_t fido_check_token_mac(struct fido *f, int64_t protocol, const struct blob *a,
    const struct blob *b, const struct blob *pin_auth);

/* fido_cm.c: authenticatorCredentialManagement (0x0A / 0x41) */
uint8_t fido_cred_mgmt(struct fido *f, const uint8_t *p, size_t n, struct sim_rbuf *r,
    struct sim_env *env);

/* fido_ext.c: the hmac-secret extension (CTAP 2.0 §12.5) */
struct fido_ga_ext {
	int hmac_secret;                 /* the request carried an hmac-secret input */
	uint8_t peer[FIDO_PUB_LEN];
	struct blob salt_enc, salt_auth;
};
/* makeCredential extensions map: {"hmac-secret": true} sets *hmac_secret, {"credProtect": n}
 * sets *protect (1..3; other values are refused) */
int fido_ext_parse_mc(struct cb *c, int *hmac_secret, int *protect);
int fido_ext_parse_ga(struct cb *c, struct fido_ga_ext *e);
/* CBOR extensions map {"hmac-secret": enc(outputs)} for one credential, into out */
uint8_t fido_hmac_secret(struct fido *f, const uint8_t *cred_id, const struct fido_ga_ext *e,
    struct sim_rbuf *out);

/* fido_crypto.c additions */
int fido_ecdh_secret(const struct fido_key *mine, const uint8_t peer[FIDO_PUB_LEN],
    uint8_t secret[32]);                                         /* SHA-256 of the x coordinate */
int fido_aes256cbc(const uint8_t key[32], int enc, const uint8_t *in, size_t n, uint8_t *out);
int fido_hmac256(const uint8_t *key, size_t klen, const uint8_t *a, size_t alen, uint8_t out[32]);
/* parse_req helper shared with fido_pin.c */
int fido_parse_req(const uint8_t *p, size_t n, void *q, int (*field)(struct cb *, int64_t, void *));

#endif
