/* fido_ext.c — extension inputs (hmac-secret, credProtect) and the hmac-secret extension: a per-credential CredRandom (derived from the card's
 * master key and the credential ID, nothing stored) and the salted HMAC outputs encrypted
 * under the ECDH shared secret of the clientPIN key agreement. */
#include <string.h>

#include <openssl/crypto.h>

#include "fido_int.h"
#include "sim_core.h"

/* {1: COSE_Key, 2: saltEnc, 3: saltAuth, 4: protocol} */
static int parse_hs_input(struct cb *c, struct fido_ga_ext *e)
{
	const uint8_t *v;
	size_t n, vl, i;
	unsigned got = 0;

	if (cb_map(c, &n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		int64_t k;
		int rc;

		if (cb_int(c, &k) != 0)
			return -1;
		if (k == 1) {
			size_t m, j;

			rc = cb_map(c, &m);
			for (j = 0; rc == 0 && j < m; j++) {
				int64_t ck;

				if ((rc = cb_int(c, &ck)) != 0)
					break;
				if (ck == -2 || ck == -3) {
					if ((rc = cb_bytes(c, &v, &vl)) == 0 && vl != 32)
						rc = -1;
					if (rc == 0)
						memcpy(e->peer + (ck == -2 ? 1 : 33), v, 32);
				} else {
					rc = cb_skip(c, 1);
				}
			}
			e->peer[0] = 0x04;
			got |= 1;
		} else if (k == 2) {
			rc = cb_bytes(c, &e->salt_enc.p, &e->salt_enc.n);
			got |= 2;
		} else if (k == 3) {
			rc = cb_bytes(c, &e->salt_auth.p, &e->salt_auth.n);
			got |= 4;
		} else {
			rc = cb_skip(c, 1);
		}
		if (rc != 0)
			return -1;
	}
	return got == 7 ? 0 : -1;
}

int fido_ext_parse_mc(struct cb *c, int *hmac_secret, int *protect)
{
	const uint8_t *k;
	size_t n, kl, i;

	if (cb_map(c, &n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		int64_t v;
		int rc;

		if (cb_text(c, &k, &kl) != 0)
			return -1;
		if (cb_text_is(k, kl, "hmac-secret")) {
			rc = cb_bool(c, hmac_secret);
		} else if (cb_text_is(k, kl, "credProtect")) {
			if ((rc = cb_int(c, &v)) == 0 && (v < 1 || v > 3))
				rc = -1;
			if (rc == 0)
				*protect = (int)v;
		} else {
			rc = cb_skip(c, 1);
		}
		if (rc != 0)
			return -1;
	}
	return 0;
}

int fido_ext_parse_ga(struct cb *c, struct fido_ga_ext *e)
{
	const uint8_t *k;
	size_t n, kl, i;

	if (cb_map(c, &n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		int rc;

		if (cb_text(c, &k, &kl) != 0)
			return -1;
		if (cb_text_is(k, kl, "hmac-secret")) {
			e->hmac_secret = 1;
			rc = parse_hs_input(c, e);
		} else {
			rc = cb_skip(c, 1);
		}
		if (rc != 0)
			return -1;
	}
	return 0;
}

uint8_t fido_hmac_secret(struct fido *f, const uint8_t *cred_id, const struct fido_ga_ext *e,
    struct sim_rbuf *out)
{
	static const char label[] = "skinkey-sim hmac-secret";
	uint8_t shared[32], cred_random[32], salts[64], outs[64], enc[64], mac[32];
	size_t ns = e->salt_enc.n, i;
	uint8_t st = ST_OTHER;

	if (!f->ka_valid)
		return ST_MISSING_PARAM;          /* no getKeyAgreement in this session */
	if ((ns != 32 && ns != 64) || e->salt_auth.n != 16)
		return ST_INVALID_CBOR;
	if (fido_ecdh_secret(&f->ka, e->peer, shared) != 0)
		return ST_INVALID_CBOR;
	if (fido_hmac256(shared, 32, e->salt_enc.p, ns, mac) != 0)
		goto out;
	if (CRYPTO_memcmp(mac, e->salt_auth.p, 16) != 0) {
		st = ST_PIN_AUTH_INVALID;
		goto out;
	}
	memcpy(outs, label, sizeof(label) - 1);
	memcpy(outs + sizeof(label) - 1, cred_id, 32);
	if (fido_hmac256(f->master, 32, outs, sizeof(label) - 1 + 32, cred_random) != 0 ||
	    fido_aes256cbc(shared, 0, e->salt_enc.p, ns, salts) != 0)
		goto out;
	for (i = 0; i < ns; i += 32)
		if (fido_hmac256(cred_random, 32, salts + i, 32, outs + i) != 0)
			goto out;
	if (fido_aes256cbc(shared, 1, outs, ns, enc) != 0 ||
	    ce_head(out, 5, 1) || ce_text(out, "hmac-secret") || ce_bytes(out, enc, ns))
		goto out;
	st = ST_OK;
out:
	OPENSSL_cleanse(shared, sizeof(shared));
	OPENSSL_cleanse(cred_random, sizeof(cred_random));
	OPENSSL_cleanse(salts, sizeof(salts));
	OPENSSL_cleanse(outs, sizeof(outs));
	OPENSSL_cleanse(mac, sizeof(mac));
	return st;
}
