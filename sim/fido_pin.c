/* fido_pin.c — authenticatorClientPIN, PIN protocol 1 (CTAP 2.0 §5.5): getRetries,
 * getKeyAgreement, setPIN, changePIN, getPINToken, and the pinAuth check that sets UV in
 * makeCredential / getAssertion. 8 retries; three wrong PINs in a row need a power cycle
 * (PIN_AUTH_BLOCKED); every mismatch regenerates the key agreement key. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "fido_int.h"
#include "sim_core.h"

struct pin_req {
	int64_t protocol, sub;
	struct blob pin_auth, new_pin_enc, pin_hash_enc;
	uint8_t peer[FIDO_PUB_LEN];
	int have_peer;
};

/* COSE_Key {1: 2, 3: -25, -1: 1, -2: x, -3: y} -> 04 | x | y */
static int parse_cose(struct cb *c, uint8_t out[FIDO_PUB_LEN])
{
	const uint8_t *v;
	size_t n, vl, i, got = 0;

	if (cb_map(c, &n) != 0)
		return -1;
	out[0] = 0x04;
	for (i = 0; i < n; i++) {
		int64_t k;

		if (cb_int(c, &k) != 0)
			return -1;
		if (k == -2 || k == -3) {
			if (cb_bytes(c, &v, &vl) != 0 || vl != 32)
				return -1;
			memcpy(out + (k == -2 ? 1 : 33), v, 32);
			got |= k == -2 ? 1u : 2u;
		} else if (cb_skip(c, 1) != 0) {
			return -1;
		}
	}
	return got == 3 ? 0 : -1;
}

static int pin_field(struct cb *c, int64_t key, void *vq)
{
	struct pin_req *q = vq;

	switch (key) {
	case 1: return cb_int(c, &q->protocol);
	case 2: return cb_int(c, &q->sub);
	case 3: q->have_peer = 1; return parse_cose(c, q->peer);
	case 4: return cb_bytes(c, &q->pin_auth.p, &q->pin_auth.n);
	case 5: return cb_bytes(c, &q->new_pin_enc.p, &q->new_pin_enc.n);
	case 6: return cb_bytes(c, &q->pin_hash_enc.p, &q->pin_hash_enc.n);
	default: return cb_skip(c, 1);
	}
}

void fido_pin_power_loss(struct fido *f)
{
	OPENSSL_cleanse(&f->ka, sizeof(f->ka));
	OPENSSL_cleanse(f->pin_token, sizeof(f->pin_token));
	f->ka_valid = 0;
	f->token_valid = 0;
	f->mismatches = 0;
}

static int ensure_ka(struct fido *f)
{
	if (f->ka_valid)
		return 0;
	if (fido_key_generate(&f->ka) != 0)
		return -1;
	f->ka_valid = 1;
	return 0;
}

static uint8_t get_key_agreement(struct fido *f, struct sim_rbuf *r)
{
	if (ensure_ka(f) != 0)
		return ST_OTHER;
	if (ce_head(r, 5, 1) || ce_int(r, 1) || ce_head(r, 5, 5) || ce_int(r, 1) || ce_int(r, 2) ||
	    ce_int(r, 3) || ce_int(r, -25) || ce_int(r, -1) || ce_int(r, 1) ||
	    ce_int(r, -2) || ce_bytes(r, f->ka.pub + 1, 32) || ce_int(r, -3) || ce_bytes(r, f->ka.pub + 33, 32))
		return ST_OTHER;
	return ST_OK;
}

/* pinAuth = LEFT(HMAC-SHA-256(shared, a || b), 16) */
static int auth_ok(const uint8_t shared[32], const struct blob *a, const struct blob *b,
    const struct blob *pin_auth)
{
	uint8_t buf[1024 + 16], mac[32];
	size_t n = a->n + (b ? b->n : 0);
	int ok;

	if (pin_auth->n != 16 || n > sizeof(buf))
		return 0;
	memcpy(buf, a->p, a->n);
	if (b != NULL)
		memcpy(buf + a->n, b->p, b->n);
	ok = fido_hmac256(shared, 32, buf, n, mac) == 0 && CRYPTO_memcmp(mac, pin_auth->p, 16) == 0;
	OPENSSL_cleanse(mac, sizeof(mac));
	return ok;
}

/* the new PIN: 64 (or more, multiple of 16) encrypted bytes, zero padded, 4..63 bytes long */
static uint8_t store_new_pin(struct fido *f, const uint8_t shared[32], const struct blob *enc,
    struct sim_env *env)
{
	uint8_t pin[1024];
	size_t len;

	if (enc->n < 64 || enc->n % 16 != 0 || enc->n > sizeof(pin))
		return ST_PIN_POLICY;
	if (fido_aes256cbc(shared, 0, enc->p, enc->n, pin) != 0)
		return ST_OTHER;
	len = strnlen((const char *)pin, enc->n);
	if (len < 4 || len > 63) {
		OPENSSL_cleanse(pin, sizeof(pin));
		return ST_PIN_POLICY;
	}
	SHA256(pin, len, pin + 512);
	memcpy(f->pin_hash, pin + 512, 16);
	OPENSSL_cleanse(pin, sizeof(pin));
	f->pin_set = 1;
	f->pin_retries = PIN_RETRIES;
	env->dirty = 1;
	return ST_OK;
}

/* pinHashEnc against the stored hash; counts retries the way CTAP 2.0 says */
static uint8_t check_pin_hash(struct fido *f, const uint8_t shared[32], const struct blob *enc,
    struct sim_env *env)
{
	uint8_t h[16];
	int ok;

	if (f->pin_retries == 0)
		return ST_PIN_BLOCKED;
	if (f->mismatches >= 3)
		return ST_PIN_AUTH_BLOCKED;
	if (enc->n != 16 || fido_aes256cbc(shared, 0, enc->p, 16, h) != 0)
		return ST_INVALID_CBOR;
	f->pin_retries--;
	env->dirty = 1;
	ok = CRYPTO_memcmp(h, f->pin_hash, 16) == 0;
	OPENSSL_cleanse(h, sizeof(h));
	if (!ok) {
		f->mismatches++;
		f->ka_valid = 0;              /* regenerate the key agreement key */
		if (f->pin_retries == 0)
			return ST_PIN_BLOCKED;
		return f->mismatches >= 3 ? ST_PIN_AUTH_BLOCKED : ST_PIN_INVALID;
	}
	f->mismatches = 0;
	f->pin_retries = PIN_RETRIES;
	return ST_OK;
}

static uint8_t set_or_change(struct fido *f, const struct pin_req *q, const uint8_t shared[32],
    struct sim_env *env)
{
	uint8_t st;

	if (q->new_pin_enc.p == NULL || q->pin_auth.p == NULL)
		return ST_MISSING_PARAM;
	if (q->sub == 3) {
		if (f->pin_set)
			return ST_NOT_ALLOWED;
		if (!auth_ok(shared, &q->new_pin_enc, NULL, &q->pin_auth))
			return ST_PIN_AUTH_INVALID;
		return store_new_pin(f, shared, &q->new_pin_enc, env);
	}
	if (!f->pin_set)
		return ST_PIN_NOT_SET;
	if (q->pin_hash_enc.p == NULL)
		return ST_MISSING_PARAM;
	if (!auth_ok(shared, &q->new_pin_enc, &q->pin_hash_enc, &q->pin_auth))
		return ST_PIN_AUTH_INVALID;
	if ((st = check_pin_hash(f, shared, &q->pin_hash_enc, env)) != ST_OK)
		return st;
	return store_new_pin(f, shared, &q->new_pin_enc, env);
}

static uint8_t get_pin_token(struct fido *f, const struct pin_req *q, const uint8_t shared[32],
    struct sim_rbuf *r, struct sim_env *env)
{
	uint8_t enc[32], st;

	if (!f->pin_set)
		return ST_PIN_NOT_SET;
	if (q->pin_hash_enc.p == NULL)
		return ST_MISSING_PARAM;
	if ((st = check_pin_hash(f, shared, &q->pin_hash_enc, env)) != ST_OK)
		return st;
	env->random(f->pin_token, sizeof(f->pin_token));
	f->token_valid = 1;
	if (fido_aes256cbc(shared, 1, f->pin_token, 32, enc) != 0 ||
	    ce_head(r, 5, 1) || ce_int(r, 2) || ce_bytes(r, enc, 32))
		return ST_OTHER;
	return ST_OK;
}

uint8_t fido_client_pin(struct fido *f, const uint8_t *p, size_t n, struct sim_rbuf *r,
    struct sim_env *env)
{
	struct pin_req q;
	uint8_t shared[32], st;

	memset(&q, 0, sizeof(q));
	if (fido_parse_req(p, n, &q, pin_field) != 0)
		return ST_INVALID_CBOR;
	if (q.protocol != 1)
		return q.protocol == 0 ? ST_MISSING_PARAM : ST_INVALID_CBOR;
	if (q.sub == 1)
		return ce_head(r, 5, 1) || ce_int(r, 3) || ce_int(r, f->pin_retries) ? ST_OTHER : ST_OK;
	if (q.sub == 2)
		return get_key_agreement(f, r);
	if (q.sub < 3 || q.sub > 5)
		return ST_INVALID_CMD;
	if (!q.have_peer || !f->ka_valid)
		return ST_MISSING_PARAM;
	if (fido_ecdh_secret(&f->ka, q.peer, shared) != 0)
		return ST_INVALID_CBOR;
	st = q.sub == 5 ? get_pin_token(f, &q, shared, r, env) : set_or_change(f, &q, shared, env);
	OPENSSL_cleanse(shared, sizeof(shared));
	return st;
}

uint8_t fido_check_pin_auth(struct fido *f, const struct blob *pin_auth, int64_t protocol,
    const uint8_t cdh[32], int *uv)
{
	struct blob c = { cdh, 32 };

	*uv = 0;
	if (pin_auth->n == 0)           /* platform probing for a PIN */
		return f->pin_set ? ST_PIN_INVALID : ST_PIN_NOT_SET;
	if (protocol != 1)
		return ST_MISSING_PARAM;
	if (!f->pin_set)
		return ST_PIN_NOT_SET;
	if (!f->token_valid || !auth_ok(f->pin_token, &c, NULL, pin_auth))
		return ST_PIN_AUTH_INVALID;
	*uv = 1;
	return ST_OK;
}

uint8_t fido_check_token_mac(struct fido *f, int64_t protocol, const struct blob *a,
    const struct blob *b, const struct blob *pin_auth)
{
	if (protocol != 1)
		return ST_MISSING_PARAM;
	if (!f->pin_set)
		return ST_PIN_NOT_SET;
	if (!f->token_valid || !auth_ok(f->pin_token, a, b, pin_auth))
		return ST_PIN_AUTH_INVALID;
	return ST_OK;
}
