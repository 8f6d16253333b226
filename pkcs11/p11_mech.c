/* p11_mech.c — which mechanisms each token offers, and the host-side encodings: hashing,
 * PKCS#1 DigestInfo, ECDSA signature normalisation to PKCS#11's r||s. RSA-PSS and raw RSA
 * are not offered: OpenPGP cards only sign PKCS#1 v1.5 (the card pads). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include "common/digestinfo.h"
#include "common/sk_err.h"
#include "p11.h"

struct mech {
	CK_MECHANISM_TYPE type;
	CK_ULONG min, max;
	CK_FLAGS flags;
	const char *md;     /* host hash, or NULL */
	int rsa;            /* DigestInfo for RSA */
};

static const struct mech pgp_mechs[] = {
	{ CKM_RSA_PKCS, 2048, 4096, CKF_HW | CKF_SIGN | CKF_DECRYPT, NULL, 0 },
	{ CKM_SHA1_RSA_PKCS, 2048, 4096, CKF_HW | CKF_SIGN, "SHA1", 1 },
	{ CKM_SHA224_RSA_PKCS, 2048, 4096, CKF_HW | CKF_SIGN, "SHA224", 1 },
	{ CKM_SHA256_RSA_PKCS, 2048, 4096, CKF_HW | CKF_SIGN, "SHA256", 1 },
	{ CKM_SHA384_RSA_PKCS, 2048, 4096, CKF_HW | CKF_SIGN, "SHA384", 1 },
	{ CKM_SHA512_RSA_PKCS, 2048, 4096, CKF_HW | CKF_SIGN, "SHA512", 1 },
	{ CKM_RSA_PKCS_KEY_PAIR_GEN, 2048, 4096, CKF_HW | CKF_GENERATE_KEY_PAIR, NULL, 0 },
	{ CKM_ECDSA, 256, 384, CKF_HW | CKF_SIGN | CKF_EC_F_P | CKF_EC_NAMEDCURVE |
	    CKF_EC_UNCOMPRESS, NULL, 0 },
	{ CKM_ECDSA_SHA1, 256, 384, CKF_HW | CKF_SIGN | CKF_EC_F_P | CKF_EC_NAMEDCURVE |
	    CKF_EC_UNCOMPRESS, "SHA1", 0 },
	{ CKM_ECDSA_SHA224, 256, 384, CKF_HW | CKF_SIGN | CKF_EC_F_P | CKF_EC_NAMEDCURVE |
	    CKF_EC_UNCOMPRESS, "SHA224", 0 },
	{ CKM_ECDSA_SHA256, 256, 384, CKF_HW | CKF_SIGN | CKF_EC_F_P | CKF_EC_NAMEDCURVE |
	    CKF_EC_UNCOMPRESS, "SHA256", 0 },
	{ CKM_ECDSA_SHA384, 256, 384, CKF_HW | CKF_SIGN | CKF_EC_F_P | CKF_EC_NAMEDCURVE |
	    CKF_EC_UNCOMPRESS, "SHA384", 0 },
	{ CKM_ECDSA_SHA512, 256, 384, CKF_HW | CKF_SIGN | CKF_EC_F_P | CKF_EC_NAMEDCURVE |
	    CKF_EC_UNCOMPRESS, "SHA512", 0 },
	{ CKM_ECDH1_DERIVE, 255, 384, CKF_HW | CKF_DERIVE | CKF_EC_F_P | CKF_EC_NAMEDCURVE |
	    CKF_EC_UNCOMPRESS, NULL, 0 },
	{ CKM_EC_KEY_PAIR_GEN, 256, 384, CKF_HW | CKF_GENERATE_KEY_PAIR | CKF_EC_F_P |
	    CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS, NULL, 0 },
	{ CKM_EDDSA, 255, 255, CKF_HW | CKF_SIGN, NULL, 0 },
	{ CKM_EC_EDWARDS_KEY_PAIR_GEN, 255, 255, CKF_HW | CKF_GENERATE_KEY_PAIR, NULL, 0 },
	{ CKM_EC_MONTGOMERY_KEY_PAIR_GEN, 255, 255, CKF_HW | CKF_GENERATE_KEY_PAIR, NULL, 0 },
};

static const struct mech hmac_mechs[] = {
	{ CKM_SHA_1_HMAC, 20, 20, CKF_HW | CKF_SIGN, NULL, 0 },
};

static const struct mech *
table(const struct p11_slot *s, size_t *n)
{
	if (s->kind == P11_KIND_OPENPGP) {
		*n = sizeof(pgp_mechs) / sizeof(pgp_mechs[0]);
		return pgp_mechs;
	}
	if (s->kind == P11_KIND_HMAC) {
		*n = sizeof(hmac_mechs) / sizeof(hmac_mechs[0]);
		return hmac_mechs;
	}
	*n = 0;
	return NULL;
}

CK_RV
p11_mech_list(const struct p11_slot *s, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR n)
{
	size_t cnt, i;
	const struct mech *t = table(s, &cnt);

	if (list == NULL) {
		*n = cnt;
		return CKR_OK;
	}
	if (*n < cnt) {
		*n = cnt;
		return CKR_BUFFER_TOO_SMALL;
	}
	for (i = 0; i < cnt; i++)
		list[i] = t[i].type;
	*n = cnt;
	return CKR_OK;
}

CK_RV
p11_mech_info(const struct p11_slot *s, CK_MECHANISM_TYPE m, CK_MECHANISM_INFO_PTR info)
{
	size_t cnt, i;
	const struct mech *t = table(s, &cnt);

	for (i = 0; i < cnt; i++) {
		if (t[i].type != m)
			continue;
		info->ulMinKeySize = t[i].min;
		info->ulMaxKeySize = t[i].max;
		info->flags = t[i].flags;
		return CKR_OK;
	}
	return CKR_MECHANISM_INVALID;
}

/* 0 when the mechanism is known to the OpenPGP table (md may be NULL). */
int
p11_mech_hash(CK_MECHANISM_TYPE m, const char **md, int *rsa)
{
	size_t i;

	*md = NULL;
	*rsa = 0;
	for (i = 0; i < sizeof(pgp_mechs) / sizeof(pgp_mechs[0]); i++) {
		if (pgp_mechs[i].type != m)
			continue;
		*md = pgp_mechs[i].md;
		*rsa = pgp_mechs[i].rsa;
		return 0;
	}
	return SK_ERR_UNSUPPORTED;
}

int
p11_hash(const char *md, const uint8_t *in, size_t len, uint8_t *out, size_t *out_len)
{
	const EVP_MD *m = EVP_get_digestbyname(md);
	unsigned int n = 0;

	*out_len = 0;
	if (m == NULL || EVP_Digest(in, len, out, &n, m, NULL) != 1) {
		p11_log("hashing with %s failed", md);
		return SK_ERR_CRYPTO;
	}
	*out_len = n;
	return 0;
}

/* Hashes `in` and wraps the hash in a DigestInfo. */
int
p11_digestinfo(const char *md, const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
	/* SHA-1 and SHA-2 only: the module offers no MD5 or RIPEMD-160 mechanisms */
	const struct sk_digestinfo *d = strncasecmp(md, "SHA", 3) == 0 ? sk_digestinfo_by_name(md) :
	    NULL;
	uint8_t h[EVP_MAX_MD_SIZE];
	size_t hl = 0;
	uint8_t *b;
	int r;

	*out = NULL;
	*out_len = 0;
	if (d == NULL)
		return SK_ERR_UNSUPPORTED;
	if ((r = p11_hash(md, in, len, h, &hl)) != 0)
		return r;
	if (hl != d->hlen || (b = malloc(d->plen + hl)) == NULL)
		return hl != d->hlen ? SK_ERR_INTERNAL : SK_ERR_NOMEM;
	memcpy(b, d->prefix, d->plen);
	memcpy(b + d->plen, h, hl);
	*out = b;
	*out_len = d->plen + hl;
	return 0;
}

int
p11_left_pad(const uint8_t *in, size_t len, size_t want, uint8_t **out, size_t *out_len)
{
	uint8_t *b;

	*out = NULL;
	*out_len = 0;
	while (len > want && len > 0 && in[0] == 0) {   /* drop surplus leading zeros */
		in++;
		len--;
	}
	if (len > want)
		return SK_ERR_BAD_RESPONSE;
	if ((b = calloc(1, want > 0 ? want : 1)) == NULL)
		return SK_ERR_NOMEM;
	memcpy(b + (want - len), in, len);
	*out = b;
	*out_len = want;
	return 0;
}

static int
der_to_raw(const uint8_t *sig, size_t len, size_t half, uint8_t *out)
{
	const unsigned char *p = sig;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM *r = NULL, *s = NULL;
	int rc = SK_ERR_BAD_RESPONSE;

	if (es == NULL || p != sig + len)
		goto out;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, out, (int)half) < 0 || BN_bn2binpad(s, out + half, (int)half) < 0)
		goto out;
	rc = 0;
out:
	ECDSA_SIG_free(es);
	return rc;
}

/* PKCS#11 wants r||s, each `half` bytes. OpenPGP cards answer r||s already; a DER
 * ECDSA-Sig-Value (what a generic signer may return) is converted. */
int
p11_ecdsa_raw(const uint8_t *sig, size_t len, size_t half, uint8_t **out, size_t *out_len)
{
	uint8_t *b;
	int r;

	*out = NULL;
	*out_len = 0;
	if (half == 0 || half > 66)
		return SK_ERR_ARG;
	if ((b = calloc(2, half)) == NULL)
		return SK_ERR_NOMEM;
	if (len == 2 * half) {
		memcpy(b, sig, len);
	} else if (len > 2 && sig[0] == 0x30) {
		if ((r = der_to_raw(sig, len, half, b)) != 0) {
			free(b);
			return r;
		}
	} else {
		free(b);
		return SK_ERR_BAD_RESPONSE;
	}
	*out = b;
	*out_len = 2 * half;
	return 0;
}
