/* df_sig.c — Read_Sig (3C 00) and the originality check: ECDSA on secp224r1 with no hash
 * over the raw 7-byte UID, signature r || s (28 + 28 bytes). */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "df_int.h"
#include "log.h"
#include "sk_err.h"

/* NXP's MIFARE DESFire EV3 originality key as published in public tooling lists (e.g. the
 * Proxmark3 client's public key table, and the key NXP documents for MF3D(H)x3). */
const uint8_t desfire_nxp_ev3_pubkey[57] = {
	0x04, 0x1D, 0xB4, 0x6C, 0x14, 0x5D, 0x0A, 0x36, 0x53, 0x9C, 0x65, 0x44, 0xBD, 0x6D, 0x9B,
	0x0A, 0xA6, 0x2F, 0xF9, 0x1E, 0xC4, 0x8C, 0xBC, 0x6A, 0xBA, 0xE3, 0x6E, 0x00, 0x89, 0xA4,
	0x6F, 0x0D, 0x08, 0xC8, 0xA7, 0x15, 0xEA, 0x40, 0xA6, 0x33, 0x13, 0xB9, 0x2E, 0x90, 0xDD,
	0xC1, 0x73, 0x02, 0x30, 0xE0, 0x45, 0x8A, 0x33, 0x27, 0x6F, 0xB7, 0x43,
};

/* skinkey-sim's DESFire personality signs with this test key pair (its private half lives in
 * sim/desfire_*.c). Never accepted unless the caller asks for DESFIRE_ORIG_ALLOW_SIM. */
const uint8_t desfire_sim_test_pubkey[57] = {
	0x04, 0x3a, 0x96, 0x62, 0xbe, 0x20, 0x22, 0x07, 0x54, 0x80, 0xc1, 0xa5, 0xbd, 0x3a, 0x3b,
	0x1f, 0x55, 0xb1, 0xf8, 0x6c, 0x78, 0x36, 0x29, 0x18, 0xbd, 0x6d, 0x31, 0xc0, 0x93, 0x0b,
	0x47, 0x16, 0xc5, 0xeb, 0x68, 0xed, 0xcd, 0x75, 0xec, 0x69, 0xf5, 0xb3, 0xf5, 0x64, 0xd0,
	0xcf, 0xea, 0x81, 0xd5, 0xc4, 0xfd, 0x1e, 0xab, 0xf3, 0x6d, 0xef, 0x0c,
};

int desfire_read_sig(struct desfire *df, uint8_t sig[56])
{
	uint8_t arg = 0x00, buf[64];
	size_t n = sizeof(buf);
	uint8_t st = 0;
	int r;

	if (df->auth != DF_AUTH_NONE) {
		sk_info("desfire: Read_Sig is only sent unauthenticated (select first)");
		return SK_ERR_UNSUPPORTED;
	}
	if ((r = df_exchange(df, 0x3C, &arg, 1, buf, &n, &st)) != 0)
		return r;
	if (st != DESFIRE_ST_SIGNATURE) {
		sk_warn("desfire: Read_Sig answered 91%02X", st);
		return st == DESFIRE_ST_OK ? SK_ERR_BAD_RESPONSE : desfire_status_err(st);
	}
	if (n != 56) {
		sk_warn("desfire: Read_Sig gave %zu bytes", n);
		return SK_ERR_BAD_RESPONSE;
	}
	memcpy(sig, buf, 56);
	return 0;
}

static EVP_PKEY *pub_from_raw(const uint8_t *pub, size_t len)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;

	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "secp224r1", 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, len) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		sk_warn("desfire: cannot load a secp224r1 public key");
		pk = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return pk;
}

static int sig_to_der(const uint8_t sig[56], uint8_t **der, int *dlen)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	int rc = SK_ERR_CRYPTO;

	*der = NULL;
	if ((es = ECDSA_SIG_new()) == NULL || (r = BN_bin2bn(sig, 28, NULL)) == NULL ||
	    (s = BN_bin2bn(sig + 28, 28, NULL)) == NULL || ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL;   /* owned by es now */
	if ((*dlen = i2d_ECDSA_SIG(es, der)) <= 0) {
		*der = NULL;
		goto out;
	}
	rc = 0;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return rc;
}

int desfire_verify_sig_with(const uint8_t *pub, size_t pub_len, const uint8_t uid[7],
    const uint8_t sig[56])
{
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	uint8_t *der = NULL;
	int dlen = 0, r = SK_ERR_CRYPTO;

	if ((pk = pub_from_raw(pub, pub_len)) == NULL || sig_to_der(sig, &der, &dlen) != 0)
		goto out;
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL ||
	    EVP_PKEY_verify_init(ctx) != 1)
		goto out;
	/* no digest set: the 7 UID bytes are the "hash" input, as the chip signs them */
	if (EVP_PKEY_verify(ctx, der, (size_t)dlen, uid, 7) != 1)
		goto out;
	r = 0;
out:
	OPENSSL_free(der);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return r;
}

int desfire_verify_originality(const uint8_t uid[7], const uint8_t sig[56], unsigned flags,
    const char **which)
{
	if (which != NULL)
		*which = NULL;
	if (desfire_verify_sig_with(desfire_nxp_ev3_pubkey, sizeof(desfire_nxp_ev3_pubkey), uid,
	    sig) == 0) {
		if (which != NULL)
			*which = "nxp-ev3";
		return 0;
	}
	if ((flags & DESFIRE_ORIG_ALLOW_SIM) != 0 &&
	    desfire_verify_sig_with(desfire_sim_test_pubkey, sizeof(desfire_sim_test_pubkey), uid,
	    sig) == 0) {
		if (which != NULL)
			*which = "sim-test";
		return 0;
	}
	sk_warn("desfire: originality signature does not verify against an accepted key");
	return SK_ERR_CRYPTO;
}
