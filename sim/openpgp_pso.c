/* openpgp_pso.c — private-key operations of the OpenPGP applet: PSO:COMPUTE DIGITAL SIGNATURE
 * (2A 9E 9A), PSO:DECIPHER (2A 80 86) and INTERNAL AUTHENTICATE (88). */
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/rsa.h>

#include "openpgp_int.h"

#define OPGP_SIG_MAX 1024u

/* PKCS#1 v1.5 type 1 over the bytes the host sent (a DigestInfo, or raw data for AUT). */
static int
rsa_sign_raw(EVP_PKEY *k, const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
	int r = -1;

	if (ctx == NULL)
		return -1;
	if ((size_t)EVP_PKEY_get_size(k) < 11 || inlen > (size_t)EVP_PKEY_get_size(k) - 11)
		goto out;
	if (EVP_PKEY_sign_init(ctx) <= 0 || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_PKEY_sign(ctx, out, outlen, in, inlen) <= 0)
		goto out;
	r = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return r;
}

static int
ecdsa_der_to_raw(const uint8_t *der, size_t dlen, size_t flen, uint8_t *out, size_t *outlen)
{
	const unsigned char *q = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &q, (long)dlen);
	const BIGNUM *r, *s;
	int e = -1;

	if (sig == NULL)
		return -1;
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, out, (int)flen) == (int)flen &&
	    BN_bn2binpad(s, out + flen, (int)flen) == (int)flen) {
		*outlen = 2 * flen;
		e = 0;
	}
	ECDSA_SIG_free(sig);
	return e;
}

/* ECDSA over the hash the host sent; the answer is r || s, each the size of the field. */
static int
ecdsa_sign_raw(EVP_PKEY *k, const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
	uint8_t der[160];
	size_t dlen = sizeof(der);
	size_t flen = ((size_t)EVP_PKEY_get_bits(k) + 7) / 8;
	int r = -1;

	if (ctx == NULL)
		return -1;
	if (inlen == 0 || EVP_PKEY_sign_init(ctx) <= 0 || EVP_PKEY_sign(ctx, der, &dlen, in, inlen) <= 0)
		goto out;
	r = ecdsa_der_to_raw(der, dlen, flen, out, outlen);
out:
	EVP_PKEY_CTX_free(ctx);
	return r;
}

static int
eddsa_sign(EVP_PKEY *k, const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int r = -1;

	if (md == NULL)
		return -1;
	if (EVP_DigestSignInit_ex(md, NULL, NULL, NULL, NULL, k, NULL) == 1 &&
	    EVP_DigestSign(md, out, outlen, in, inlen) == 1)
		r = 0;
	EVP_MD_CTX_free(md);
	return r;
}

static uint16_t
sign_with(EVP_PKEY *k, const struct sim_apdu *a, struct sim_rbuf *r)
{
	uint8_t sig[OPGP_SIG_MAX];
	size_t slen = sizeof(sig);
	int e;

	if (EVP_PKEY_is_a(k, "RSA"))
		e = rsa_sign_raw(k, a->data, a->lc, sig, &slen);
	else if (EVP_PKEY_is_a(k, "EC"))
		e = ecdsa_sign_raw(k, a->data, a->lc, sig, &slen);
	else if (EVP_PKEY_is_a(k, "ED25519"))
		e = eddsa_sign(k, a->data, a->lc, sig, &slen);
	else
		return OPGP_SW_COND_USE;
	if (e != 0) {
		fprintf(stderr, "sim openpgp: signature over %zu bytes refused\n", a->lc);
		return OPGP_SW_WRONG_DATA;
	}
	return sim_rbuf_put(r, sig, slen) == 0 ? OPGP_SW_OK : OPGP_SW_NO_MEMORY;
}

static uint16_t
pso_cds(struct opgp_state *s, const struct sim_apdu *a, struct sim_rbuf *r, struct sim_env *env)
{
	uint16_t sw;

	if (!s->pw1_81) {
		fprintf(stderr, "sim openpgp: PSO:CDS refused: PW1 (81) not verified\n");
		return OPGP_SW_SEC_STATUS;
	}
	if (s->pw1_multi == 0)
		s->pw1_81 = 0;  /* PW1 (81) is good for one signature only */
	if (s->key[OPGP_KEY_SIG] == NULL)
		return OPGP_SW_NOT_FOUND;
	sw = sign_with(s->key[OPGP_KEY_SIG], a, r);
	if (sw == OPGP_SW_OK) {
		if (s->sig_count < 0xFFFFFFu)
			s->sig_count++;
		env->dirty = 1;
	}
	return sw;
}

static int
rsa_decrypt(EVP_PKEY *k, const uint8_t *in, size_t inlen, uint8_t *out, size_t *outlen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
	int r = -1;

	if (ctx == NULL)
		return -1;
	if (EVP_PKEY_decrypt_init(ctx) > 0 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
	    EVP_PKEY_decrypt(ctx, out, outlen, in, inlen) > 0)
		r = 0;
	EVP_PKEY_CTX_free(ctx);
	return r;
}

static EVP_PKEY *
peer_key(EVP_PKEY *own, const uint8_t *pt, size_t plen)
{
	EVP_PKEY *peer;

	if (EVP_PKEY_is_a(own, "X25519")) {
		if (plen == 33 && pt[0] == 0x40) {  /* OpenPGP's native-point prefix */
			pt++;
			plen--;
		}
		return plen == 32 ? EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pt, plen) : NULL;
	}
	peer = EVP_PKEY_new();
	if (peer == NULL || EVP_PKEY_copy_parameters(peer, own) != 1 ||
	    EVP_PKEY_set1_encoded_public_key(peer, pt, plen) != 1) {
		EVP_PKEY_free(peer);
		return NULL;
	}
	return peer;
}

static int
ecdh_derive(EVP_PKEY *own, const uint8_t *pt, size_t plen, uint8_t *out, size_t *outlen)
{
	EVP_PKEY *peer = peer_key(own, pt, plen);
	EVP_PKEY_CTX *ctx = NULL;
	int r = -1;

	if (peer == NULL)
		return -1;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, own, NULL);
	if (ctx != NULL && EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_derive_set_peer(ctx, peer) > 0 &&
	    EVP_PKEY_derive(ctx, out, outlen) > 0)
		r = 0;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	return r;
}

/* A6 { 7F49 { 86 <ephemeral public point> } } */
static int
ecdh_point(const uint8_t *d, size_t n, const uint8_t **pt, size_t *plen)
{
	const uint8_t *a6, *pk;
	size_t a6len, pklen;

	if (opgp_tlv_find(d, n, 0xA6, &a6, &a6len) != 0 ||
	    opgp_tlv_find(a6, a6len, 0x7F49, &pk, &pklen) != 0 ||
	    opgp_tlv_find(pk, pklen, 0x86, pt, plen) != 0)
		return -1;
	return 0;
}

static uint16_t
pso_decipher(struct opgp_state *s, const struct sim_apdu *a, struct sim_rbuf *r)
{
	EVP_PKEY *k = s->key[OPGP_KEY_DEC];
	uint8_t out[OPGP_SIG_MAX];
	size_t olen = sizeof(out), plen;
	const uint8_t *pt;
	uint16_t sw = OPGP_SW_WRONG_DATA;
	int e;

	if (!s->pw1_82) {
		fprintf(stderr, "sim openpgp: PSO:DECIPHER refused: PW1 (82) not verified\n");
		return OPGP_SW_SEC_STATUS;
	}
	if (k == NULL)
		return OPGP_SW_NOT_FOUND;
	if (EVP_PKEY_is_a(k, "RSA"))
		e = a->lc < 2 || a->data[0] != 0x00 ? -1 :
		    rsa_decrypt(k, a->data + 1, a->lc - 1, out, &olen);
	else
		e = ecdh_point(a->data, a->lc, &pt, &plen) != 0 ? -1 :
		    ecdh_derive(k, pt, plen, out, &olen);
	if (e != 0) {
		fprintf(stderr, "sim openpgp: PSO:DECIPHER failed (bad cryptogram or point)\n");
		goto out;
	}
	sw = sim_rbuf_put(r, out, olen) == 0 ? OPGP_SW_OK : OPGP_SW_NO_MEMORY;
out:
	OPENSSL_cleanse(out, sizeof(out));
	return sw;
}

uint16_t
opgp_pso(struct opgp_state *s, const struct sim_apdu *a, struct sim_rbuf *r, struct sim_env *env)
{
	if (a->p1 == 0x9E && a->p2 == 0x9A)
		return pso_cds(s, a, r, env);
	if (a->p1 == 0x80 && a->p2 == 0x86)
		return pso_decipher(s, a, r);
	return OPGP_SW_WRONG_P1P2;
}

uint16_t
opgp_internal_auth(struct opgp_state *s, const struct sim_apdu *a, struct sim_rbuf *r)
{
	if (a->p1 != 0x00 || a->p2 != 0x00)
		return OPGP_SW_WRONG_P1P2;
	if (!s->pw1_82) {
		fprintf(stderr, "sim openpgp: INTERNAL AUTHENTICATE refused: PW1 (82) not verified\n");
		return OPGP_SW_SEC_STATUS;
	}
	if (s->key[OPGP_KEY_AUT] == NULL)
		return OPGP_SW_NOT_FOUND;
	return sign_with(s->key[OPGP_KEY_AUT], a, r);
}
