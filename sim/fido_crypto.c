/* fido_crypto.c — P-256 credential keys of the simulated FIDO2 applet: generation, wrapping into
 * the credential ID under the card's master key (AES-256-GCM bound to the rpIdHash), and
 * ECDSA-SHA256 signatures. OpenSSL 3 only. */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "fido_int.h"
#include "sim_core.h"

#define NONCE_LEN 12
#define TAG_LEN 16
#define PLAIN_LEN (32 + FIDO_PUB_LEN + 1)

int fido_key_generate(struct fido_key *k)
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	BIGNUM *d = NULL;
	size_t publen = 0;
	int r = -1;

	if (pk == NULL || EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1 ||
	    BN_bn2binpad(d, k->priv, 32) != 32 ||
	    EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, k->pub, sizeof(k->pub),
	    &publen) != 1 || publen != FIDO_PUB_LEN || k->pub[0] != 0x04) {
		sim_log("fido: P-256 key generation failed");
		goto out;
	}
	r = 0;
out:
	BN_clear_free(d);
	EVP_PKEY_free(pk);
	return r;
}

int fido_cred_wrap(const uint8_t master[32], const uint8_t rp_hash[32], const struct fido_key *k,
    uint8_t id[FIDO_CRED_ID_LEN])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t plain[PLAIN_LEN];
	int n = 0, fin = 0, r = -1;

	memcpy(plain, k->priv, 32);
	memcpy(plain + 32, k->pub, FIDO_PUB_LEN);
	plain[32 + FIDO_PUB_LEN] = k->protect;
	if (ctx == NULL || RAND_bytes(id, NONCE_LEN) != 1 ||
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, master, id) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &n, rp_hash, 32) != 1 ||
	    EVP_EncryptUpdate(ctx, id + NONCE_LEN, &n, plain, PLAIN_LEN) != 1 || n != PLAIN_LEN ||
	    EVP_EncryptFinal_ex(ctx, id + NONCE_LEN + n, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, id + NONCE_LEN + PLAIN_LEN) != 1)
		goto out;
	r = 0;
out:
	OPENSSL_cleanse(plain, sizeof(plain));
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

int fido_cred_unwrap(const uint8_t master[32], const uint8_t rp_hash[32], const uint8_t *id,
    size_t id_len, struct fido_key *k)
{
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t plain[PLAIN_LEN], tag[TAG_LEN];
	int n = 0, fin = 0, r = -1;

	if (id_len != FIDO_CRED_ID_LEN)
		return -1;
	memcpy(tag, id + NONCE_LEN + PLAIN_LEN, TAG_LEN);
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, master, id) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, rp_hash, 32) != 1 ||
	    EVP_DecryptUpdate(ctx, plain, &n, id + NONCE_LEN, PLAIN_LEN) != 1 || n != PLAIN_LEN ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1 ||
	    EVP_DecryptFinal_ex(ctx, plain + n, &fin) != 1)
		goto out;      /* another card's, another RP's, or a forged credential */
	memcpy(k->priv, plain, 32);
	memcpy(k->pub, plain + 32, FIDO_PUB_LEN);
	k->protect = plain[32 + FIDO_PUB_LEN];
	r = 0;
out:
	OPENSSL_cleanse(plain, sizeof(plain));
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

static EVP_PKEY *key_of(const struct fido_key *k)
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	BIGNUM *d = BN_bin2bn(k->priv, 32, NULL);

	if (b == NULL || d == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
	    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, k->pub, FIDO_PUB_LEN) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(b)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_KEYPAIR, params) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	BN_clear_free(d);
	return pk;
}

int fido_sign(const struct fido_key *k, const uint8_t *a, size_t alen, const uint8_t *b,
    size_t blen, uint8_t *sig, size_t cap)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY *pk = key_of(k);
	size_t len = cap;
	int r = -1;

	if (mctx == NULL || pk == NULL ||
	    EVP_DigestSignInit(mctx, NULL, EVP_sha256(), NULL, pk) != 1 ||
	    EVP_DigestSignUpdate(mctx, a, alen) != 1 || EVP_DigestSignUpdate(mctx, b, blen) != 1 ||
	    EVP_DigestSignFinal(mctx, sig, &len) != 1) {
		sim_log("fido: ECDSA signature failed");
		goto out;
	}
	r = (int)len;
out:
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_free(pk);
	return r;
}

static EVP_PKEY *peer_key(const uint8_t pub[FIDO_PUB_LEN])
{
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *pk = NULL;
	char group[] = "prime256v1";

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)(uintptr_t)pub,
	    FIDO_PUB_LEN);
	params[2] = OSSL_PARAM_construct_end();
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;   /* not a point on P-256 */
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

int fido_ecdh_secret(const struct fido_key *mine, const uint8_t peer[FIDO_PUB_LEN],
    uint8_t secret[32])
{
	EVP_PKEY *me = key_of(mine), *them = peer_key(peer);
	EVP_PKEY_CTX *ctx = NULL;
	uint8_t z[32];
	size_t zlen = sizeof(z);
	int r = -1;

	if (me == NULL || them == NULL || (ctx = EVP_PKEY_CTX_new(me, NULL)) == NULL ||
	    EVP_PKEY_derive_init(ctx) != 1 || EVP_PKEY_derive_set_peer(ctx, them) != 1 ||
	    EVP_PKEY_derive(ctx, z, &zlen) != 1 || zlen != 32) {
		sim_log("fido: ECDH with the platform key failed");
		goto out;
	}
	SHA256(z, 32, secret);
	r = 0;
out:
	OPENSSL_cleanse(z, sizeof(z));
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(me);
	EVP_PKEY_free(them);
	return r;
}

int fido_aes256cbc(const uint8_t key[32], int enc, const uint8_t *in, size_t n, uint8_t *out)
{
	static const uint8_t iv[16];
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int k = 0, fin = 0, r = -1;

	if (ctx == NULL || n % 16 != 0 || n > 1024 ||
	    EVP_CipherInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, iv, enc) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
	    EVP_CipherUpdate(ctx, out, &k, in, (int)n) != 1 || EVP_CipherFinal_ex(ctx, out + k, &fin) != 1)
		goto out;
	r = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

int fido_hmac256(const uint8_t *key, size_t klen, const uint8_t *a, size_t alen, uint8_t out[32])
{
	unsigned int len = 0;

	if (HMAC(EVP_sha256(), key, (int)klen, a, alen, out, &len) == NULL || len != 32)
		return -1;
	return 0;
}
