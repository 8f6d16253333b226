/* desfire_crypto.c — card-side primitives: AES-128 and 2TDEA CBC, AES-CMAC, CRC32 (DESFire
 * flavour: no final inversion), EV2 session keys and IVs, and the originality signature with
 * the simulator's own secp224r1 key (a test key: hosts accept it only when configured to). */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "desfire_int.h"

/* The simulator's originality key pair (public half: 04 3a96..0c, see the host's
 * desfire_sim_test_pubkey). Not a secret: it only proves "this is skinkey-sim". */
static const uint8_t sim_orig_priv[28] = {
	0xe0, 0xd8, 0x22, 0xf6, 0x28, 0x16, 0x5d, 0xef, 0x72, 0xd2, 0x51, 0x89, 0xe3, 0x92,
	0xda, 0xb0, 0x63, 0xca, 0xa2, 0xa0, 0xef, 0x2e, 0x09, 0xe0, 0xcb, 0xb2, 0xd7, 0x3d,
};

void sdf_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		OPENSSL_cleanse(p, n);
}

static int run(const EVP_CIPHER *ci, int enc, const uint8_t *key, const uint8_t *iv,
    const uint8_t *in, size_t n, uint8_t *out)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int l1 = 0, l2 = 0, r = -1;

	if (x == NULL || n > 65536)
		goto out;
	if (EVP_CipherInit_ex(x, ci, NULL, key, iv, enc) == 1 &&
	    EVP_CIPHER_CTX_set_padding(x, 0) == 1 &&
	    EVP_CipherUpdate(x, out, &l1, in, (int)n) == 1 &&
	    EVP_CipherFinal_ex(x, out + l1, &l2) == 1 && (size_t)(l1 + l2) == n)
		r = 0;
out:
	EVP_CIPHER_CTX_free(x);
	return r;
}

int sdf_aes_cbc(int enc, const uint8_t key[16], const uint8_t iv[16], const uint8_t *in,
    size_t n, uint8_t *out)
{
	if (n == 0 || n % 16 != 0)
		return -1;
	return run(EVP_aes_128_cbc(), enc, key, iv, in, n, out);
}

int sdf_tdes_cbc(int enc, const uint8_t key[16], uint8_t iv[8], const uint8_t *in, size_t n,
    uint8_t *out)
{
	uint8_t last[8];

	if (n == 0 || n % 8 != 0)
		return -1;
	if (!enc)
		memcpy(last, in + n - 8, 8);
	if (run(EVP_des_ede_cbc(), enc, key, iv, in, n, out) != 0)
		return -1;
	memcpy(iv, enc ? out + n - 8 : last, 8);
	return 0;
}

/* AES-CMAC over a || b (either may be empty). */
static int cmac2(const uint8_t key[16], const uint8_t *a, size_t an, const uint8_t *b,
    size_t bn, uint8_t out[16])
{
	EVP_MAC *m = EVP_MAC_fetch(NULL, "CMAC", NULL);
	EVP_MAC_CTX *x = m ? EVP_MAC_CTX_new(m) : NULL;
	OSSL_PARAM prm[2];
	size_t ol = 0;
	int r = -1;

	prm[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)"AES-128-CBC", 0);
	prm[1] = OSSL_PARAM_construct_end();
	if (x != NULL && EVP_MAC_init(x, key, 16, prm) == 1 &&
	    (an == 0 || EVP_MAC_update(x, a, an) == 1) &&
	    (bn == 0 || EVP_MAC_update(x, b, bn) == 1) &&
	    EVP_MAC_final(x, out, &ol, 16) == 1 && ol == 16)
		r = 0;
	EVP_MAC_CTX_free(x);
	EVP_MAC_free(m);
	return r;
}

int sdf_cmac(const uint8_t key[16], const uint8_t *in, size_t n, uint8_t out[16])
{
	return cmac2(key, in, n, NULL, 0, out);
}

uint32_t sdf_crc32(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xFFFFFFFFu;
	size_t i;
	unsigned b;

	for (i = 0; i < n; i++) {
		crc ^= p[i];
		for (b = 0; b < 8; b++)
			crc = (crc & 1u) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
	}
	return crc;
}

void sdf_rotl(const uint8_t *in, uint8_t *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = in[(i + 1) % n];
}

static int one_key(const uint8_t key[16], uint8_t a, uint8_t b, const uint8_t ra[16],
    const uint8_t rb[16], uint8_t out[16])
{
	uint8_t sv[32];
	size_t i;
	int r;

	sv[0] = a;
	sv[1] = b;
	sv[2] = 0x00;
	sv[3] = 0x01;
	sv[4] = 0x00;
	sv[5] = 0x80;
	sv[6] = ra[0];
	sv[7] = ra[1];
	for (i = 0; i < 6; i++)
		sv[8 + i] = (uint8_t)(ra[2 + i] ^ rb[i]);
	for (i = 0; i < 10; i++)
		sv[14 + i] = rb[6 + i];
	for (i = 0; i < 8; i++)
		sv[24 + i] = ra[8 + i];
	r = sdf_cmac(key, sv, sizeof(sv), out);
	sdf_wipe(sv, sizeof(sv));
	return r;
}

int sdf_session_keys(const uint8_t key[16], const uint8_t rnda[16], const uint8_t rndb[16],
    uint8_t kenc[16], uint8_t kmac[16])
{
	if (one_key(key, 0xA5, 0x5A, rnda, rndb, kenc) != 0)
		return -1;
	return one_key(key, 0x5A, 0xA5, rnda, rndb, kmac);
}

int sdf_iv(const struct sdf_card *c, int resp, uint16_t ctr, uint8_t iv[16])
{
	uint8_t blk[16] = { 0 }, zero[16] = { 0 };

	blk[0] = resp ? 0x5A : 0xA5;
	blk[1] = resp ? 0xA5 : 0x5A;
	memcpy(blk + 2, c->ti, 4);
	blk[6] = (uint8_t)ctr;
	blk[7] = (uint8_t)(ctr >> 8);
	return sdf_aes_cbc(1, c->kenc, zero, blk, 16, iv);   /* one block: CBC with 0 IV = ECB */
}

int sdf_mac(const struct sdf_card *c, uint8_t code, uint16_t ctr, const uint8_t *p, size_t n,
    uint8_t mact[8])
{
	uint8_t head[7], full[16];
	size_t i;

	head[0] = code;
	head[1] = (uint8_t)ctr;
	head[2] = (uint8_t)(ctr >> 8);
	memcpy(head + 3, c->ti, 4);
	if (cmac2(c->kmac, head, sizeof(head), p, n, full) != 0)
		return -1;
	for (i = 0; i < 8; i++)
		mact[i] = full[1 + 2 * i];
	return 0;
}

static EVP_PKEY *orig_key(void)
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *prm = NULL;
	EVP_PKEY_CTX *x = NULL;
	EVP_PKEY *pk = NULL;
	BIGNUM *d = BN_bin2bn(sim_orig_priv, sizeof(sim_orig_priv), NULL);

	if (b == NULL || d == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "secp224r1", 0) != 1 ||
	    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1 ||
	    (prm = OSSL_PARAM_BLD_to_param(b)) == NULL ||
	    (x = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(x) != 1 || EVP_PKEY_fromdata(x, &pk, EVP_PKEY_KEYPAIR, prm) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(x);
	OSSL_PARAM_free(prm);
	OSSL_PARAM_BLD_free(b);
	BN_clear_free(d);
	return pk;
}

int sdf_sign_uid(const uint8_t uid[7], uint8_t sig[56])
{
	EVP_PKEY *pk = orig_key();
	EVP_PKEY_CTX *x = NULL;
	ECDSA_SIG *es = NULL;
	uint8_t der[128];
	const uint8_t *dp = der;
	const BIGNUM *r = NULL, *s = NULL;
	size_t dl = sizeof(der);
	int rc = -1;

	if (pk == NULL || (x = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL ||
	    EVP_PKEY_sign_init(x) != 1 || EVP_PKEY_sign(x, der, &dl, uid, 7) != 1)
		goto out;
	if ((es = d2i_ECDSA_SIG(NULL, &dp, (long)dl)) == NULL)
		goto out;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, sig, 28) != 28 || BN_bn2binpad(s, sig + 28, 28) != 28)
		goto out;
	rc = 0;
out:
	ECDSA_SIG_free(es);
	EVP_PKEY_CTX_free(x);
	EVP_PKEY_free(pk);
	return rc;
}
