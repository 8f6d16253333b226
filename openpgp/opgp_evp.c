/* opgp_evp.c — card public keys and signatures in OpenSSL's terms. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "log.h"
#include "opgp_int.h"
#include "sk_err.h"

static int fromdata(const char *type, OSSL_PARAM *params, EVP_PKEY **out)
{
	EVP_PKEY_CTX *ctx = NULL;
	int r = SK_ERR_CRYPTO;

	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		sk_debug("openpgp: OpenSSL refused the %s public key", type);
		goto out;
	}
	r = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return r;
}

static int rsa_to_evp(const struct opgp_pubkey *pk, EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *n = NULL, *e = NULL;
	int r = SK_ERR_CRYPTO;

	if ((n = BN_bin2bn(pk->n, (int)pk->n_len, NULL)) == NULL ||
	    (e = BN_bin2bn(pk->e, (int)pk->e_len, NULL)) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto out;
	r = fromdata("RSA", params, out);
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return r;
}

static int ec_to_evp(const struct opgp_pubkey *pk, const char *group, EVP_PKEY **out)
{
	OSSL_PARAM params[3];
	uint8_t point[sizeof(pk->point)];

	memcpy(point, pk->point, pk->point_len);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point,
	    pk->point_len);
	params[2] = OSSL_PARAM_construct_end();
	return fromdata("EC", params, out);
}

static int raw_to_evp(const struct opgp_pubkey *pk, int type, EVP_PKEY **out)
{
	if (pk->point_len != 32)
		return SK_ERR_ARG;
	if ((*out = EVP_PKEY_new_raw_public_key(type, NULL, pk->point, 32)) == NULL)
		return SK_ERR_CRYPTO;
	return 0;
}

int opgp_pubkey_to_evp(const struct opgp_pubkey *pk, EVP_PKEY **out)
{
	if (out != NULL)
		*out = NULL;
	if (pk == NULL || out == NULL)
		return SK_ERR_ARG;
	if (pk->algo_id == OPGP_ALGO_ID_RSA)
		return rsa_to_evp(pk, out);
	switch (pk->curve) {
	case OPGP_CURVE_P256: return ec_to_evp(pk, "prime256v1", out);
	case OPGP_CURVE_P384: return ec_to_evp(pk, "secp384r1", out);
	case OPGP_CURVE_ED25519: return raw_to_evp(pk, EVP_PKEY_ED25519, out);
	case OPGP_CURVE_X25519: return raw_to_evp(pk, EVP_PKEY_X25519, out);
	default: return SK_ERR_UNSUPPORTED;
	}
}

int opgp_ecdsa_sig_to_der(const uint8_t *rs, size_t rs_len, uint8_t **der, size_t *der_len)
{
	ECDSA_SIG *sig = NULL;
	BIGNUM *r_bn = NULL, *s_bn = NULL;
	unsigned char *p = NULL;
	int len, r = SK_ERR_CRYPTO;

	if (der != NULL)
		*der = NULL;
	if (der_len != NULL)
		*der_len = 0;
	if (rs == NULL || der == NULL || der_len == NULL || rs_len == 0 || rs_len % 2 != 0 ||
	    rs_len > 132)
		return SK_ERR_ARG;
	if ((sig = ECDSA_SIG_new()) == NULL ||
	    (r_bn = BN_bin2bn(rs, (int)(rs_len / 2), NULL)) == NULL ||
	    (s_bn = BN_bin2bn(rs + rs_len / 2, (int)(rs_len / 2), NULL)) == NULL ||
	    ECDSA_SIG_set0(sig, r_bn, s_bn) != 1)
		goto out;
	r_bn = s_bn = NULL;
	if ((len = i2d_ECDSA_SIG(sig, &p)) <= 0)
		goto out;
	if ((*der = malloc((size_t)len)) == NULL) {
		r = SK_ERR_NOMEM;
		goto out;
	}
	memcpy(*der, p, (size_t)len);
	*der_len = (size_t)len;
	r = 0;
out:
	OPENSSL_free(p);
	BN_free(r_bn);
	BN_free(s_bn);
	ECDSA_SIG_free(sig);
	return r;
}
