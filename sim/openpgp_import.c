/* openpgp_import.c — key import through PUT DATA (odd INS DB, 3FFF) with the extended header
 * list 4D { CRT, 7F48 tag/length list, 5F48 concatenated values }. */
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/params.h>

#include "openpgp_int.h"

/* The components we use; 94..97 (CRT parts, n) and 99 (public key) are recomputed. */
struct import_parts {
	const uint8_t *e, *p, *q, *d;
	size_t elen, plen, qlen, dlen;
};

static int
split_parts(const uint8_t *hdr, size_t hlen, const uint8_t *val, size_t vlen,
    struct import_parts *ip)
{
	struct opgp_cur h, v;
	const uint8_t *x;
	unsigned tag;
	size_t len;

	opgp_cur_init(&h, hdr, hlen);
	opgp_cur_init(&v, val, vlen);
	while (opgp_cur_left(&h) > 0) {
		if (opgp_cur_taglen(&h, &tag, &len) != 0 || opgp_cur_take(&v, len, &x) != 0)
			return -1;
		switch (tag) {
		case 0x91: ip->e = x; ip->elen = len; break;
		case 0x92: ip->p = x; ip->plen = len; ip->d = x; ip->dlen = len; break;
		case 0x93: ip->q = x; ip->qlen = len; break;
		default: break;
		}
	}
	return opgp_cur_left(&v) == 0 ? 0 : -1;
}

static int
push_bn(OSSL_PARAM_BLD *b, const char *name, const BIGNUM *bn)
{
	return OSSL_PARAM_BLD_push_BN(b, name, bn) == 1 ? 0 : -1;
}

static EVP_PKEY *
from_params(const char *type, OSSL_PARAM_BLD *b)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(b);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *k = NULL;

	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_KEYPAIR, params) <= 0)
		k = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return k;
}

/* n, d, dp, dq, qinv from e, p, q. */
static int
rsa_derive(BIGNUM *const in[3], BIGNUM *out[5], BN_CTX *bc)
{
	BIGNUM *p1 = BN_new(), *q1 = BN_new(), *phi = BN_new();
	int r = -1;

	if (p1 == NULL || q1 == NULL || phi == NULL)
		goto out;
	if (!BN_mul(out[0], in[1], in[2], bc) || !BN_sub(p1, in[1], BN_value_one()) ||
	    !BN_sub(q1, in[2], BN_value_one()) || !BN_mul(phi, p1, q1, bc) ||
	    BN_mod_inverse(out[1], in[0], phi, bc) == NULL || !BN_mod(out[2], out[1], p1, bc) ||
	    !BN_mod(out[3], out[1], q1, bc) || BN_mod_inverse(out[4], in[2], in[1], bc) == NULL)
		goto out;
	r = 0;
out:
	BN_clear_free(p1);
	BN_clear_free(q1);
	BN_clear_free(phi);
	return r;
}

static EVP_PKEY *
rsa_from_parts(const struct import_parts *ip, unsigned nbits)
{
	static const char *const names[5] = { OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_D,
		OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
		OSSL_PKEY_PARAM_RSA_COEFFICIENT1 };
	BIGNUM *in[3] = { NULL, NULL, NULL }, *out[5] = { NULL, NULL, NULL, NULL, NULL };
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	BN_CTX *bc = BN_CTX_new();
	EVP_PKEY *k = NULL;
	int i, e = 0;

	if (ip->e == NULL || ip->p == NULL || ip->q == NULL || b == NULL || bc == NULL)
		goto out;
	in[0] = BN_bin2bn(ip->e, (int)ip->elen, NULL);
	in[1] = BN_bin2bn(ip->p, (int)ip->plen, NULL);
	in[2] = BN_bin2bn(ip->q, (int)ip->qlen, NULL);
	for (i = 0; i < 5; i++)
		if ((out[i] = BN_secure_new()) == NULL)
			goto out;
	if (in[0] == NULL || in[1] == NULL || in[2] == NULL || rsa_derive(in, out, bc) != 0)
		goto out;
	if ((unsigned)BN_num_bits(out[0]) != nbits) {
		fprintf(stderr, "sim openpgp: imported RSA modulus has %d bits, attributes say %u\n",
		    BN_num_bits(out[0]), nbits);
		goto out;
	}
	e |= push_bn(b, OSSL_PKEY_PARAM_RSA_E, in[0]);
	e |= push_bn(b, OSSL_PKEY_PARAM_RSA_FACTOR1, in[1]);
	e |= push_bn(b, OSSL_PKEY_PARAM_RSA_FACTOR2, in[2]);
	for (i = 0; i < 5; i++)
		e |= push_bn(b, names[i], out[i]);
	if (e == 0)
		k = from_params("RSA", b);
out:
	for (i = 0; i < 3; i++)
		BN_clear_free(in[i]);
	for (i = 0; i < 5; i++)
		BN_clear_free(out[i]);
	OSSL_PARAM_BLD_free(b);
	BN_CTX_free(bc);
	return k;
}

static EVP_PKEY *
ec_from_scalar(const char *group, int nid, const uint8_t *d, size_t dlen)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(nid);
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	BIGNUM *priv = BN_bin2bn(d, (int)dlen, NULL);
	EC_POINT *pt = NULL;
	uint8_t pub[160];
	size_t plen;
	EVP_PKEY *k = NULL;

	if (g == NULL || b == NULL || priv == NULL || (pt = EC_POINT_new(g)) == NULL)
		goto out;
	if (BN_is_zero(priv) || BN_cmp(priv, EC_GROUP_get0_order(g)) >= 0 ||
	    !EC_POINT_mul(g, pt, priv, NULL, NULL, NULL))
		goto out;
	plen = EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, pub, sizeof(pub), NULL);
	if (plen == 0)
		goto out;
	if (OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
	    push_bn(b, OSSL_PKEY_PARAM_PRIV_KEY, priv) != 0 ||
	    OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pub, plen) != 1)
		goto out;
	k = from_params("EC", b);
out:
	EC_POINT_free(pt);
	BN_clear_free(priv);
	OSSL_PARAM_BLD_free(b);
	EC_GROUP_free(g);
	return k;
}

/* Ed25519 and X25519 secrets are 32 bytes; a host may strip leading zeros (MPI style). */
static EVP_PKEY *
raw_from_scalar(int type, const uint8_t *d, size_t dlen)
{
	uint8_t buf[32] = { 0 };
	EVP_PKEY *k;

	if (dlen == 0 || dlen > sizeof(buf))
		return NULL;
	memcpy(buf + sizeof(buf) - dlen, d, dlen);
	k = EVP_PKEY_new_raw_private_key(type, NULL, buf, sizeof(buf));
	OPENSSL_cleanse(buf, sizeof(buf));
	return k;
}

static EVP_PKEY *
key_from_parts(const uint8_t *algo, size_t alen, const struct import_parts *ip)
{
	enum opgp_alg kind = opgp_algo_kind(algo, alen);

	if (kind == OPGP_ALG_RSA)
		return rsa_from_parts(ip, (unsigned)algo[1] << 8 | algo[2]);
	if (ip->d == NULL)
		return NULL;
	switch (kind) {
	case OPGP_ALG_P256: return ec_from_scalar("prime256v1", NID_X9_62_prime256v1, ip->d, ip->dlen);
	case OPGP_ALG_P384: return ec_from_scalar("secp384r1", NID_secp384r1, ip->d, ip->dlen);
	case OPGP_ALG_ED25519: return raw_from_scalar(EVP_PKEY_ED25519, ip->d, ip->dlen);
	case OPGP_ALG_X25519: return raw_from_scalar(EVP_PKEY_X25519, ip->d, ip->dlen);
	default: return NULL;
	}
}

static int
parse_4d(const uint8_t *d, size_t n, int *ref, struct import_parts *ip)
{
	const uint8_t *v, *crt, *x, *hdr = NULL, *val = NULL;
	size_t vlen, crtlen, xlen, hlen = 0, vallen = 0;
	struct opgp_cur c;
	unsigned tag;

	if (opgp_tlv_find(d, n, 0x4D, &v, &vlen) != 0)
		return -1;
	opgp_cur_init(&c, v, vlen);
	if (opgp_cur_tlv(&c, &tag, &crt, &crtlen) != 0)
		return -1;
	if (opgp_crt_key_ref(v, (size_t)(crt - v) + crtlen, ref) != 0)
		return -1;
	while (opgp_cur_left(&c) > 0) {
		if (opgp_cur_tlv(&c, &tag, &x, &xlen) != 0)
			return -1;
		if (tag == 0x7F48) {
			hdr = x;
			hlen = xlen;
		} else if (tag == 0x5F48) {
			val = x;
			vallen = xlen;
		}
	}
	if (hdr == NULL || val == NULL)
		return -1;
	return split_parts(hdr, hlen, val, vallen, ip);
}

uint16_t
opgp_import(struct opgp_state *s, const uint8_t *d, size_t n, struct sim_env *env)
{
	struct import_parts ip;
	EVP_PKEY *k;
	int ref;

	memset(&ip, 0, sizeof(ip));
	if (parse_4d(d, n, &ref, &ip) != 0) {
		fprintf(stderr, "sim openpgp: key import: extended header list does not parse\n");
		return OPGP_SW_WRONG_DATA;
	}
	k = key_from_parts(s->algo[ref], s->algo_len[ref], &ip);
	if (k == NULL) {
		fprintf(stderr, "sim openpgp: key import: components do not form a key of the "
		    "configured algorithm\n");
		return OPGP_SW_WRONG_DATA;
	}
	EVP_PKEY_free(s->key[ref]);
	s->key[ref] = k;
	s->key_origin[ref] = 2;
	if (ref == OPGP_KEY_SIG)
		s->sig_count = 0;
	env->dirty = 1;
	return OPGP_SW_OK;
}
