/* opgp_fpr.c — RFC 4880 v4 fingerprints of card keys, computed the way gpg does when it
 * writes C7..C9 after an on-card generation: SHA-1 over 0x99, a 2-byte length and the public
 * key packet body (version 4, creation time, algorithm, algorithm-specific MPIs / OIDs). */
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"
#include "log.h"
#include "opgp_int.h"
#include "sk_err.h"

/* OpenPGP public key algorithm numbers (RFC 4880 / 6637 / 4880bis) */
#define PGP_PK_RSA   1
#define PGP_PK_ECDH  18
#define PGP_PK_ECDSA 19
#define PGP_PK_EDDSA 22

#define PGP_HASH_SHA256 8
#define PGP_HASH_SHA384 9
#define PGP_CIPHER_AES128 7
#define PGP_CIPHER_AES192 8

static int put_mpi(struct sk_buf *b, const uint8_t *p, size_t n)
{
	size_t bits;
	int r;

	while (n > 0 && p[0] == 0) {
		p++;
		n--;
	}
	if (n > 0xFFFF / 8)
		return SK_ERR_TOOBIG;
	bits = n * 8;
	if (n > 0)
		for (uint8_t top = p[0]; (top & 0x80) == 0; top = (uint8_t)(top << 1))
			bits--;
	if ((r = sk_buf_put_u16be(b, (uint16_t)bits)) != 0)
		return r;
	return sk_buf_put(b, p, n);
}

static int put_oid(struct sk_buf *b, enum opgp_curve curve)
{
	const uint8_t *oid;
	size_t len;
	int r;

	if ((oid = opgp_curve_oid(curve, &len)) == NULL)
		return SK_ERR_UNSUPPORTED;
	if ((r = sk_buf_put_u8(b, (uint8_t)len)) != 0)
		return r;
	return sk_buf_put(b, oid, len);
}

/* Native (Ed25519 / X25519) points are MPIs with the 0x40 prefix. */
static int put_ec_point(struct sk_buf *b, const struct opgp_pubkey *pk)
{
	uint8_t tmp[1 + 32];

	if (pk->curve != OPGP_CURVE_ED25519 && pk->curve != OPGP_CURVE_X25519)
		return put_mpi(b, pk->point, pk->point_len);
	if (pk->point_len != 32)
		return SK_ERR_ARG;
	tmp[0] = 0x40;
	memcpy(tmp + 1, pk->point, 32);
	return put_mpi(b, tmp, sizeof(tmp));
}

/* gpg's ECDH KDF parameters: SHA-256/AES-128 up to 256-bit curves, SHA-384/AES-192 for P-384
 * (as gpg 2.2 writes them; checked against its fingerprints in test_opgp_key.c). */
static int put_ecdh_kdf(struct sk_buf *b, enum opgp_curve curve)
{
	uint8_t p[4] = { 3, 1, PGP_HASH_SHA256, PGP_CIPHER_AES128 };

	if (curve == OPGP_CURVE_P384) {
		p[2] = PGP_HASH_SHA384;
		p[3] = PGP_CIPHER_AES192;
	}
	return sk_buf_put(b, p, sizeof(p));
}

static int put_key_material(struct sk_buf *b, const struct opgp_pubkey *pk)
{
	int r;

	switch (pk->algo_id) {
	case OPGP_ALGO_ID_RSA:
		if ((r = sk_buf_put_u8(b, PGP_PK_RSA)) != 0 || (r = put_mpi(b, pk->n, pk->n_len)) != 0)
			return r;
		return put_mpi(b, pk->e, pk->e_len);
	case OPGP_ALGO_ID_ECDSA:
	case OPGP_ALGO_ID_EDDSA:
		if ((r = sk_buf_put_u8(b, pk->algo_id == OPGP_ALGO_ID_ECDSA ? PGP_PK_ECDSA :
		    PGP_PK_EDDSA)) != 0 || (r = put_oid(b, pk->curve)) != 0)
			return r;
		return put_ec_point(b, pk);
	case OPGP_ALGO_ID_ECDH:
		if ((r = sk_buf_put_u8(b, PGP_PK_ECDH)) != 0 || (r = put_oid(b, pk->curve)) != 0 ||
		    (r = put_ec_point(b, pk)) != 0)
			return r;
		return put_ecdh_kdf(b, pk->curve);
	default:
		return SK_ERR_UNSUPPORTED;
	}
}

static int sha1(const uint8_t *p, size_t n, uint8_t out[20])
{
	unsigned int len = 0;

	if (EVP_Digest(p, n, out, &len, EVP_sha1(), NULL) != 1 || len != 20)
		return SK_ERR_CRYPTO;
	return 0;
}

int opgp_fingerprint_v4(const struct opgp_pubkey *pk, uint32_t created, uint8_t fpr[20])
{
	struct sk_buf *b = NULL;
	size_t body;
	uint8_t *hdr;
	int r = SK_ERR_INTERNAL;

	if (pk == NULL || fpr == NULL)
		return SK_ERR_ARG;
	memset(fpr, 0, 20);
	if ((b = sk_buf_new(4096)) == NULL)
		return SK_ERR_NOMEM;
	if ((r = sk_buf_reserve(b, 3, &hdr)) != 0 || (r = sk_buf_put_u8(b, 4)) != 0 ||
	    (r = sk_buf_put_u32be(b, created)) != 0 || (r = put_key_material(b, pk)) != 0)
		goto out;
	hdr = sk_buf_mutable_ptr(b);
	body = sk_buf_len(b) - 3;
	hdr[0] = 0x99;
	hdr[1] = (uint8_t)(body >> 8);
	hdr[2] = (uint8_t)body;
	r = sha1(sk_buf_ptr(b), sk_buf_len(b), fpr);
out:
	if (r != 0)
		sk_debug("openpgp: fingerprint failed: %s", sk_strerror(r));
	sk_buf_free(&b);
	return r;
}
