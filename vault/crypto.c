/* Credential encryption: HKDF-SHA256 per-credential keys, ChaCha20-Poly1305 with an AAD that
 * binds user, site and credential id, versioned blobs (seed 004 §4). */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hkdf.h"
#include "common/secmem.h"
#include "vault/vault_int.h"

static const char *const type_info[] = {
	[VAULT_TYPE_PASSWORD] = "skinkey-vault-password-v1",
	[VAULT_TYPE_NOTE] = "skinkey-vault-note-v1",
	[VAULT_TYPE_FIDO] = "skinkey-vault-fido-v1",
	[VAULT_TYPE_TOTP] = "skinkey-vault-totp-v1",
};
static const char *const type_names[] = {
	[VAULT_TYPE_PASSWORD] = "password",
	[VAULT_TYPE_NOTE] = "note",
	[VAULT_TYPE_FIDO] = "fido",
	[VAULT_TYPE_TOTP] = "totp",
};
#define N_TYPES (sizeof(type_info) / sizeof(type_info[0]))

const char *vault_type_name(int type)
{
	if (type <= 0 || (size_t)type >= N_TYPES)
		return NULL;
	return type_names[type];
}

int vault_type_from_name(const char *name)
{
	size_t i;

	for (i = 1; name != NULL && i < N_TYPES; i++)
		if (strcmp(name, type_names[i]) == 0)
			return (int)i;
	return SK_ERR_ARG;
}

/* Secrets live in common/secmem.h pages: mlocked, not dumped, wiped on free. */
uint8_t *vault_secret_alloc(size_t len)
{
	return sk_secure_alloc(len == 0 ? 1 : len);
}

void vault_secret_free(uint8_t **p, size_t len)
{
	(void)len;
	if (p == NULL || *p == NULL)
		return;
	sk_secure_free(*p);
	*p = NULL;
}

int vault_hkdf(const uint8_t *key, size_t key_len, const uint8_t *salt, size_t salt_len,
    const char *info, uint8_t *out, size_t out_len)
{
	int r = sk_hkdf_sha256(key, key_len, salt, salt_len, info, strlen(info), out, out_len);

	if (r != 0)
		vault_log("HKDF failed");
	return r == SK_ERR_ARG ? SK_ERR_CRYPTO : r;
}

/* Percent-escape '%', ';', '=' so the field can never forge a separator: the map is injective
 * and the separators only ever appear unescaped, so two triples never share an AAD. */
static size_t aad_escape(const char *s, char *out)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (*s == '%' || *s == ';' || *s == '=') {
			if (out != NULL)
				sprintf(out + n, "%%%02X", (unsigned char)*s);
			n += 3;
		} else {
			if (out != NULL)
				out[n] = *s;
			n++;
		}
	}
	return n;
}

static int check_field(const char *s, const char *what)
{
	if (s == NULL || strnlen(s, VAULT_MAX_FIELD + 1) > VAULT_MAX_FIELD) {
		vault_log("%s missing or longer than %d bytes", what, VAULT_MAX_FIELD);
		return SK_ERR_ARG;
	}
	return 0;
}

int vault_aad(const char *user, const char *site, uint64_t id, char **out, size_t *out_len)
{
	char idbuf[24];
	size_t n, off;
	char *p = NULL;
	int r;

	*out = NULL;
	*out_len = 0;
	if ((r = check_field(user, "user")) != 0 || (r = check_field(site, "site")) != 0)
		return r;
	snprintf(idbuf, sizeof(idbuf), "%llu", (unsigned long long)id);
	n = 2 + aad_escape(user, NULL) + 4 + aad_escape(site, NULL) + 3 + strlen(idbuf);
	if ((p = malloc(n + 1)) == NULL)
		return SK_ERR_NOMEM;
	off = 0;
	memcpy(p + off, "u=", 2), off += 2;
	off += aad_escape(user, p + off);
	memcpy(p + off, ";rp=", 4), off += 4;
	off += aad_escape(site, p + off);
	memcpy(p + off, ";c=", 3), off += 3;
	memcpy(p + off, idbuf, strlen(idbuf)), off += strlen(idbuf);
	p[off] = '\0';
	*out = p;
	*out_len = off;
	return 0;
}

/* ChaCha20-Poly1305 seal into blob = ver ‖ nonce ‖ ct ‖ tag, with a fresh nonce. */
static int aead_seal(const uint8_t key[32], const uint8_t *aad, size_t aad_len,
    const uint8_t *pt, size_t pt_len, uint8_t **blob, size_t *blob_len)
{
	EVP_CIPHER_CTX *c = NULL;
	uint8_t *b = NULL, *nonce, *ct;
	size_t n = VAULT_BLOB_OVERHEAD + pt_len;
	int len, r = SK_ERR_CRYPTO;

	if ((b = malloc(n)) == NULL) {
		r = SK_ERR_NOMEM;
		goto out;
	}
	b[0] = VAULT_BLOB_VERSION;
	nonce = b + 1;
	ct = nonce + VAULT_NONCE_LEN;
	if (RAND_bytes(nonce, VAULT_NONCE_LEN) != 1) {
		vault_log("no randomness for the nonce");
		goto out;
	}
	if ((c = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(c, EVP_chacha20_poly1305(), NULL, key, nonce) != 1 ||
	    EVP_EncryptUpdate(c, NULL, &len, aad, (int)aad_len) != 1 ||
	    EVP_EncryptUpdate(c, ct, &len, pt, (int)pt_len) != 1 || (size_t)len != pt_len ||
	    EVP_EncryptFinal_ex(c, ct + len, &len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, VAULT_TAG_LEN, ct + pt_len) != 1) {
		vault_log("ChaCha20-Poly1305 encryption failed");
		goto out;
	}
	*blob = b;
	*blob_len = n;
	b = NULL;
	r = 0;
out:
	EVP_CIPHER_CTX_free(c);
	free(b);
	return r;
}

/* Parse and open a blob. The plaintext lands in secure memory with a trailing NUL. */
static int aead_open(const uint8_t key[32], const uint8_t *aad, size_t aad_len,
    const uint8_t *blob, size_t blob_len, uint8_t **pt, size_t *pt_len)
{
	EVP_CIPHER_CTX *c = NULL;
	uint8_t *p = NULL;
	const uint8_t *nonce, *ct;
	size_t ct_len = 0;
	int len, r = SK_ERR_FORMAT;

	if (blob_len < 1) {
		vault_log("blob is empty");
		goto out;
	}
	if (blob[0] != VAULT_BLOB_VERSION) {
		vault_log("blob version 0x%02x unknown", blob[0]);
		r = SK_ERR_UNSUPPORTED;
		goto out;
	}
	if (blob_len < VAULT_BLOB_OVERHEAD) {
		vault_log("blob truncated (%zu bytes)", blob_len);
		goto out;
	}
	ct_len = blob_len - VAULT_BLOB_OVERHEAD;
	if (ct_len > VAULT_MAX_SECRET) {
		vault_log("blob over the %d-byte cap", VAULT_MAX_SECRET);
		r = SK_ERR_TOOBIG;
		goto out;
	}
	nonce = blob + 1;
	ct = nonce + VAULT_NONCE_LEN;
	r = SK_ERR_NOMEM;
	if ((p = vault_secret_alloc(ct_len + 1)) == NULL)
		goto out;
	r = SK_ERR_CRYPTO;
	if ((c = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex(c, EVP_chacha20_poly1305(), NULL, key, nonce) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, VAULT_TAG_LEN,
	        (void *)(ct + ct_len)) != 1 ||
	    EVP_DecryptUpdate(c, NULL, &len, aad, (int)aad_len) != 1 ||
	    EVP_DecryptUpdate(c, p, &len, ct, (int)ct_len) != 1 ||
	    EVP_DecryptFinal_ex(c, p + len, &len) != 1) {
		vault_log("blob does not authenticate (wrong key, or tampered or moved)");
		goto out;
	}
	*pt = p;
	*pt_len = ct_len;
	p = NULL;
	r = 0;
out:
	EVP_CIPHER_CTX_free(c);
	vault_secret_free(&p, ct_len + 1);
	return r;
}

static int cred_key(const uint8_t k_vault[VAULT_KEY_LEN], int type, uint64_t id, uint8_t **key)
{
	uint8_t salt[8];
	int i, r;

	*key = NULL;
	if (vault_type_name(type) == NULL) {
		vault_log("credential type %d unknown", type);
		return SK_ERR_ARG;
	}
	for (i = 0; i < 8; i++)
		salt[i] = (uint8_t)(id >> (8 * i));
	if ((*key = vault_secret_alloc(32)) == NULL)
		return SK_ERR_NOMEM;
	if ((r = vault_hkdf(k_vault, VAULT_KEY_LEN, salt, sizeof(salt), type_info[type],
	    *key, 32)) != 0)
		vault_secret_free(key, 32);
	return r;
}

int vault_cred_encrypt(const uint8_t k_vault[VAULT_KEY_LEN], int type, uint64_t id,
    const char *user, const char *site, const uint8_t *pt, size_t pt_len,
    uint8_t **blob, size_t *blob_len)
{
	uint8_t *key = NULL;
	char *aad = NULL;
	size_t aad_len = 0;
	int r;

	*blob = NULL;
	*blob_len = 0;
	if (k_vault == NULL || (pt == NULL && pt_len != 0))
		return SK_ERR_ARG;
	if (pt_len > VAULT_MAX_SECRET) {
		vault_log("secret over the %d-byte cap", VAULT_MAX_SECRET);
		return SK_ERR_TOOBIG;
	}
	if ((r = vault_aad(user, site, id, &aad, &aad_len)) != 0 ||
	    (r = cred_key(k_vault, type, id, &key)) != 0)
		goto out;
	r = aead_seal(key, (const uint8_t *)aad, aad_len, pt == NULL ? (const uint8_t *)"" : pt,
	    pt_len, blob, blob_len);
out:
	vault_secret_free(&key, 32);
	free(aad);
	return r;
}

int vault_cred_decrypt(const uint8_t k_vault[VAULT_KEY_LEN], int type, uint64_t id,
    const char *user, const char *site, const uint8_t *blob, size_t blob_len,
    uint8_t **pt, size_t *pt_len)
{
	uint8_t *key = NULL;
	char *aad = NULL;
	size_t aad_len = 0;
	int r;

	*pt = NULL;
	*pt_len = 0;
	if (k_vault == NULL || (blob == NULL && blob_len != 0))
		return SK_ERR_ARG;
	if ((r = vault_aad(user, site, id, &aad, &aad_len)) != 0 ||
	    (r = cred_key(k_vault, type, id, &key)) != 0)
		goto out;
	r = aead_open(key, (const uint8_t *)aad, aad_len, blob, blob_len, pt, pt_len);
out:
	vault_secret_free(&key, 32);
	free(aad);
	return r;
}

static int wrap_key(const uint8_t kek[VAULT_KEY_LEN], uint8_t **key)
{
	int r;

	if ((*key = vault_secret_alloc(32)) == NULL)
		return SK_ERR_NOMEM;
	if ((r = vault_hkdf(kek, VAULT_KEY_LEN, NULL, 0, "skinkey-kek-wrap-v1", *key, 32)) != 0)
		vault_secret_free(key, 32);
	return r;
}

int vault_wrap(const uint8_t kek[VAULT_KEY_LEN], const char *context,
    const uint8_t *secret, size_t len, uint8_t **blob, size_t *blob_len)
{
	uint8_t *key = NULL;
	int r;

	*blob = NULL;
	*blob_len = 0;
	if (kek == NULL || context == NULL || secret == NULL || len > VAULT_MAX_SECRET)
		return SK_ERR_ARG;
	if ((r = wrap_key(kek, &key)) != 0)
		return r;
	r = aead_seal(key, (const uint8_t *)context, strlen(context), secret, len, blob, blob_len);
	vault_secret_free(&key, 32);
	return r;
}

int vault_unwrap(const uint8_t kek[VAULT_KEY_LEN], const char *context,
    const uint8_t *blob, size_t blob_len, uint8_t **secret, size_t *len)
{
	uint8_t *key = NULL;
	int r;

	*secret = NULL;
	*len = 0;
	if (kek == NULL || context == NULL || (blob == NULL && blob_len != 0))
		return SK_ERR_ARG;
	if ((r = wrap_key(kek, &key)) != 0)
		return r;
	r = aead_open(key, (const uint8_t *)context, strlen(context), blob, blob_len, secret, len);
	vault_secret_free(&key, 32);
	return r;
}
