/* sexp.c — public keys as gpg wants them: canonical S-expressions (libgcrypt) and keygrips. */
#include <gcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/sk_err.h"
#include "pgp.h"

/* gpg's names (openpgp_oid_to_curve, canonical form). */
static const char *curve_name(enum opgp_curve c)
{
	switch (c) {
	case OPGP_CURVE_P256: return "NIST P-256";
	case OPGP_CURVE_P384: return "NIST P-384";
	case OPGP_CURVE_ED25519: return "Ed25519";
	case OPGP_CURVE_X25519: return "Curve25519";
	default: return NULL;
	}
}

static int build_rsa(const struct opgp_pubkey *pk, gcry_sexp_t *s)
{
	uint8_t n[513];
	size_t nl = pk->n_len;

	if (nl == 0 || nl > 512 || pk->e_len == 0)
		return SK_ERR_BAD_RESPONSE;
	/* a leading zero keeps the modulus positive, as scdaemon sends it */
	n[0] = 0;
	memcpy(n + 1, pk->n, nl);
	if ((pk->n[0] & 0x80) != 0)
		nl++;
	return gcry_sexp_build(s, NULL, "(public-key(rsa(n%b)(e%b)))", (int)nl,
	    (pk->n[0] & 0x80) ? n : n + 1, (int)pk->e_len, pk->e) ? SK_ERR_CRYPTO : 0;
}

static int build_ecc(const struct opgp_pubkey *pk, gcry_sexp_t *s)
{
	const char *curve = curve_name(pk->curve);
	uint8_t q[134];
	size_t ql = pk->point_len;
	gcry_error_t e;

	if (curve == NULL || ql == 0 || ql > 133)
		return SK_ERR_UNSUPPORTED;
	if (pk->curve == OPGP_CURVE_ED25519 || pk->curve == OPGP_CURVE_X25519) {
		if (ql != 32)
			return SK_ERR_BAD_RESPONSE;
		q[0] = 0x40;   /* gpg's native-point prefix */
		memcpy(q + 1, pk->point, 32);
		ql = 33;
	} else {
		memcpy(q, pk->point, ql);
	}
	if (pk->curve == OPGP_CURVE_ED25519)
		e = gcry_sexp_build(s, NULL, "(public-key(ecc(curve %s)(flags eddsa)(q%b)))", curve,
		    (int)ql, q);
	else if (pk->curve == OPGP_CURVE_X25519)
		e = gcry_sexp_build(s, NULL, "(public-key(ecc(curve %s)(flags djb-tweak)(q%b)))",
		    curve, (int)ql, q);
	else
		e = gcry_sexp_build(s, NULL, "(public-key(ecc(curve %s)(q%b)))", curve, (int)ql, q);
	return e ? SK_ERR_CRYPTO : 0;
}

int skd_pgp_pubkey_sexp(const struct opgp_pubkey *pk, uint8_t **out, size_t *len)
{
	gcry_sexp_t s = NULL;
	uint8_t *buf = NULL;
	size_t n;
	int r;

	*out = NULL;
	*len = 0;
	if (pk->algo_id == OPGP_ALGO_ID_RSA)
		r = build_rsa(pk, &s);
	else
		r = build_ecc(pk, &s);
	if (r != 0)
		goto out;
	r = SK_ERR_NOMEM;
	n = gcry_sexp_sprint(s, GCRYSEXP_FMT_CANON, NULL, 0);
	if (n == 0 || (buf = malloc(n)) == NULL)
		goto out;
	if ((n = gcry_sexp_sprint(s, GCRYSEXP_FMT_CANON, buf, n)) == 0) {
		r = SK_ERR_CRYPTO;
		goto out;
	}
	*len = n;
	*out = buf;
	buf = NULL;
	r = 0;
out:
	free(buf);
	gcry_sexp_release(s);
	return r;
}

int skd_pgp_keygrip(const uint8_t *sexp, size_t len, char grip[41])
{
	gcry_sexp_t s = NULL;
	uint8_t g[20];
	int r = SK_ERR_CRYPTO;

	if (gcry_sexp_new(&s, sexp, len, 0) != 0)
		goto out;
	if (gcry_pk_get_keygrip(s, g) == NULL)
		goto out;
	for (int i = 0; i < 20; i++)
		snprintf(grip + 2 * i, 3, "%02X", g[i]);
	r = 0;
out:
	gcry_sexp_release(s);
	return r;
}
