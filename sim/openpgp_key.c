/* openpgp_key.c — algorithm attributes, GENERATE ASYMMETRIC KEY PAIR and the public key
 * template 7F49 of the OpenPGP applet. Key import (4D) lives in openpgp_import.c. */
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include "openpgp_int.h"

static const uint8_t oid_p256[] = { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07 };
static const uint8_t oid_p384[] = { 0x2B, 0x81, 0x04, 0x00, 0x22 };
static const uint8_t oid_ed25519[] = { 0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01 };
static const uint8_t oid_cv25519[] = { 0x2B, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05,
	0x01 };

static int
oid_is(const uint8_t *o, size_t n, const uint8_t *want, size_t wn)
{
	return n == wn && memcmp(o, want, n) == 0;
}

static enum opgp_alg
rsa_kind(const uint8_t *a, size_t len)
{
	unsigned nbits, ebits;

	if (len < 5 || len > 6)
		return OPGP_ALG_NONE;
	nbits = (unsigned)a[1] << 8 | a[2];
	ebits = (unsigned)a[3] << 8 | a[4];
	if (nbits != 2048 && nbits != 3072 && nbits != 4096)
		return OPGP_ALG_NONE;
	if (ebits < 17 || ebits > 32)
		return OPGP_ALG_NONE;
	if (len == 6 && a[5] > 3)
		return OPGP_ALG_NONE;
	return OPGP_ALG_RSA;
}

enum opgp_alg
opgp_algo_kind(const uint8_t *a, size_t len)
{
	size_t olen;

	if (len == 0)
		return OPGP_ALG_NONE;
	if (a[0] == 0x01)
		return rsa_kind(a, len);
	olen = len - 1;
	if (olen > 0 && a[len - 1] == 0xFF)
		olen--;  /* "public key import format" byte */
	if (a[0] == 0x12 || a[0] == 0x13) {
		if (oid_is(a + 1, olen, oid_p256, sizeof(oid_p256)))
			return OPGP_ALG_P256;
		if (oid_is(a + 1, olen, oid_p384, sizeof(oid_p384)))
			return OPGP_ALG_P384;
	}
	if (a[0] == 0x12 && oid_is(a + 1, olen, oid_cv25519, sizeof(oid_cv25519)))
		return OPGP_ALG_X25519;
	if (a[0] == 0x16 && oid_is(a + 1, olen, oid_ed25519, sizeof(oid_ed25519)))
		return OPGP_ALG_ED25519;
	return OPGP_ALG_NONE;
}

int
opgp_algo_valid(const uint8_t *a, size_t len)
{
	return opgp_algo_kind(a, len) != OPGP_ALG_NONE;
}

/* Control reference template: B6 (SIG), B8 (DEC) or A4 (AUT), empty or with 84 01 <ref>. */
int
opgp_crt_key_ref(const uint8_t *d, size_t n, int *ref)
{
	struct opgp_cur c;
	const uint8_t *v;
	size_t vlen;
	unsigned tag;

	opgp_cur_init(&c, d, n);
	if (opgp_cur_tlv(&c, &tag, &v, &vlen) != 0 || opgp_cur_left(&c) != 0)
		return -1;
	switch (tag) {
	case 0xB6: *ref = OPGP_KEY_SIG; return 0;
	case 0xB8: *ref = OPGP_KEY_DEC; return 0;
	case 0xA4: *ref = OPGP_KEY_AUT; return 0;
	default: return -1;
	}
}

static EVP_PKEY *
gen_rsa(unsigned bits)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *k = NULL;

	if (ctx == NULL)
		return NULL;
	if (EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) <= 0 ||
	    EVP_PKEY_keygen(ctx, &k) <= 0) {
		fprintf(stderr, "sim openpgp: RSA-%u key generation failed\n", bits);
		k = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	return k;
}

static EVP_PKEY *
gen_key(const uint8_t *a, size_t len)
{
	switch (opgp_algo_kind(a, len)) {
	case OPGP_ALG_RSA: return gen_rsa((unsigned)a[1] << 8 | a[2]);
	case OPGP_ALG_P256: return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	case OPGP_ALG_P384: return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	case OPGP_ALG_ED25519: return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	case OPGP_ALG_X25519: return EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	default: return NULL;
	}
}

static int
put_bn_param(EVP_PKEY *k, const char *name, unsigned tag, struct sim_rbuf *r)
{
	BIGNUM *bn = NULL;
	uint8_t buf[1024];
	int n, e = -1;

	if (EVP_PKEY_get_bn_param(k, name, &bn) != 1)
		return -1;
	n = BN_num_bytes(bn);
	if (n > 0 && (size_t)n <= sizeof(buf) && BN_bn2bin(bn, buf) == n)
		e = opgp_put_tlv(r, tag, buf, (size_t)n);
	BN_free(bn);
	return e;
}

static int
put_point(EVP_PKEY *k, struct sim_rbuf *r)
{
	uint8_t buf[160];
	size_t n = 0;

	if (EVP_PKEY_is_a(k, "EC")) {
		if (EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf,
		    sizeof(buf), &n) != 1)
			return -1;
	} else {
		n = sizeof(buf);
		if (EVP_PKEY_get_raw_public_key(k, buf, &n) != 1)
			return -1;
	}
	return opgp_put_tlv(r, 0x86, buf, n);
}

int
opgp_put_pubkey(EVP_PKEY *k, struct sim_rbuf *r)
{
	size_t start = r->len;
	int e;

	if (EVP_PKEY_is_a(k, "RSA"))
		e = put_bn_param(k, OSSL_PKEY_PARAM_RSA_N, 0x81, r) != 0 ||
		    put_bn_param(k, OSSL_PKEY_PARAM_RSA_E, 0x82, r) != 0;
	else
		e = put_point(k, r) != 0;
	return e ? -1 : opgp_wrap(r, start, 0x7F49);
}

uint16_t
opgp_generate(struct opgp_state *s, const struct sim_apdu *a, struct sim_rbuf *r,
    struct sim_env *env)
{
	EVP_PKEY *k;
	int ref;

	if ((a->p1 != 0x80 && a->p1 != 0x81) || a->p2 != 0x00)
		return OPGP_SW_WRONG_P1P2;
	if (opgp_crt_key_ref(a->data, a->lc, &ref) != 0) {
		fprintf(stderr, "sim openpgp: GENERATE: no B6/B8/A4 control reference template\n");
		return OPGP_SW_WRONG_DATA;
	}
	if (a->p1 == 0x81) {
		if (s->key[ref] == NULL)
			return OPGP_SW_NOT_FOUND;
		return opgp_put_pubkey(s->key[ref], r) == 0 ? OPGP_SW_OK : OPGP_SW_NO_MEMORY;
	}
	if (!s->pw3_83) {
		fprintf(stderr, "sim openpgp: GENERATE refused: PW3 not verified\n");
		return OPGP_SW_SEC_STATUS;
	}
	k = gen_key(s->algo[ref], s->algo_len[ref]);
	if (k == NULL)
		return OPGP_SW_UNKNOWN;
	EVP_PKEY_free(s->key[ref]);
	s->key[ref] = k;
	s->key_origin[ref] = 1;
	if (ref == OPGP_KEY_SIG)
		s->sig_count = 0;
	env->dirty = 1;
	return opgp_put_pubkey(k, r) == 0 ? OPGP_SW_OK : OPGP_SW_NO_MEMORY;
}
