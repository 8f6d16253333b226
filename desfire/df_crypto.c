/* df_crypto.c — the cipher primitives EV2 secure messaging and the legacy authentication need:
 * AES-128 ECB/CBC, 2TDEA CBC, AES-CMAC (NIST SP 800-38B), MAC truncation, padding, session keys. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "df_int.h"
#include "log.h"
#include "sk_err.h"

void df_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		OPENSSL_cleanse(p, n);
}

static int cipher_run(const EVP_CIPHER *c, int enc, const uint8_t *key, const uint8_t *iv,
    const uint8_t *in, size_t n, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = NULL;
	int r = SK_ERR_CRYPTO, l1 = 0, l2 = 0;

	if (n > INT32_MAX || n % (size_t)EVP_CIPHER_get_block_size(c) != 0)
		return SK_ERR_ARG;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return SK_ERR_NOMEM;
	if (EVP_CipherInit_ex(ctx, c, NULL, key, iv, enc) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
	    EVP_CipherUpdate(ctx, out, &l1, in, (int)n) != 1 ||
	    EVP_CipherFinal_ex(ctx, out + l1, &l2) != 1 || (size_t)(l1 + l2) != n) {
		sk_error("desfire: cipher operation failed");
		goto out;
	}
	r = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

int df_aes_ecb_enc(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
	return cipher_run(EVP_aes_128_ecb(), 1, key, NULL, in, 16, out);
}

int df_aes_cbc(int enc, const uint8_t key[16], const uint8_t iv[16], const uint8_t *in,
    size_t n, uint8_t *out)
{
	return cipher_run(EVP_aes_128_cbc(), enc, key, iv, in, n, out);
}

int df_tdes_cbc(int enc, const uint8_t key[16], uint8_t iv[8], const uint8_t *in, size_t n,
    uint8_t *out)
{
	uint8_t next[8];
	int r;

	if (n < 8 || n % 8 != 0)
		return SK_ERR_ARG;
	if (!enc)
		memcpy(next, in + n - 8, 8);
	if ((r = cipher_run(EVP_des_ede_cbc(), enc, key, iv, in, n, out)) != 0)
		return r;
	if (enc)
		memcpy(next, out + n - 8, 8);
	memcpy(iv, next, 8);
	return 0;
}

int df_cmac(const uint8_t key[16], const uint8_t *in, size_t n, uint8_t out[16])
{
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t olen = 0;
	int r = SK_ERR_CRYPTO;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)"AES-128-CBC", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((mac = EVP_MAC_fetch(NULL, "CMAC", NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(mac)) == NULL) {
		sk_error("desfire: CMAC unavailable");
		goto out;
	}
	if (EVP_MAC_init(ctx, key, 16, params) != 1 || EVP_MAC_update(ctx, in, n) != 1 ||
	    EVP_MAC_final(ctx, out, &olen, 16) != 1 || olen != 16) {
		sk_error("desfire: CMAC failed");
		goto out;
	}
	r = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return r;
}

void df_mac_trunc(const uint8_t cmac[16], uint8_t mact[8])
{
	size_t i;

	/* NXP numbers bytes S15..S0 from the left; MACt keeps S14, S12, .., S0: the odd offsets. */
	for (i = 0; i < 8; i++)
		mact[i] = cmac[2 * i + 1];
}

size_t df_pad(uint8_t *buf, size_t len, size_t cap)
{
	size_t n = (len / 16 + 1) * 16;

	if (n > cap)
		return 0;
	buf[len] = 0x80;
	memset(buf + len + 1, 0, n - len - 1);
	return n;
}

int df_unpad(const uint8_t *buf, size_t n, size_t *len)
{
	size_t i = n;

	*len = 0;
	if (n == 0 || n % 16 != 0)
		return SK_ERR_CRYPTO;
	while (i > n - 16 && buf[i - 1] == 0x00)
		i--;
	if (i == n - 16 || buf[i - 1] != 0x80) {
		sk_warn("desfire: bad padding in a decrypted answer");
		return SK_ERR_CRYPTO;
	}
	*len = i - 1;
	return 0;
}

void df_rotl(const uint8_t *in, uint8_t *out, size_t n)
{
	uint8_t first = in[0];

	memmove(out, in + 1, n - 1);
	out[n - 1] = first;
}

void df_ev2_sv(uint8_t l0, uint8_t l1, const uint8_t rnda[16], const uint8_t rndb[16],
    uint8_t sv[32])
{
	size_t i;

	/* label || 00 01 00 80 || RndA[15:14] || (RndA[13:8] ^ RndB[15:10]) || RndB[9:0] ||
	 * RndA[7:0], with NXP's byte 15 being the first one sent. */
	sv[0] = l0;
	sv[1] = l1;
	sv[2] = 0x00;
	sv[3] = 0x01;
	sv[4] = 0x00;
	sv[5] = 0x80;
	memcpy(sv + 6, rnda, 2);
	for (i = 0; i < 6; i++)
		sv[8 + i] = rnda[2 + i] ^ rndb[i];
	memcpy(sv + 14, rndb + 6, 10);
	memcpy(sv + 24, rnda + 8, 8);
}

int df_ev2_session_keys(const uint8_t key[16], const uint8_t rnda[16], const uint8_t rndb[16],
    uint8_t kenc[16], uint8_t kmac[16])
{
	uint8_t sv[32];
	int r;

	df_ev2_sv(0xA5, 0x5A, rnda, rndb, sv);
	if ((r = df_cmac(key, sv, sizeof(sv), kenc)) != 0)
		goto out;
	df_ev2_sv(0x5A, 0xA5, rnda, rndb, sv);
	r = df_cmac(key, sv, sizeof(sv), kmac);
out:
	df_wipe(sv, sizeof(sv));
	return r;
}

int df_ev2_iv(const uint8_t kenc[16], int resp, const uint8_t ti[4], uint16_t ctr,
    uint8_t iv[16])
{
	uint8_t in[16] = { 0 };

	in[0] = resp ? 0x5A : 0xA5;
	in[1] = resp ? 0xA5 : 0x5A;
	memcpy(in + 2, ti, 4);
	in[6] = (uint8_t)(ctr & 0xff);
	in[7] = (uint8_t)(ctr >> 8);
	return df_aes_ecb_enc(kenc, in, iv);
}

void df_iso_session_key(const uint8_t key[16], const uint8_t rnda[8], const uint8_t rndb[8],
    uint8_t out[16])
{
	memcpy(out, rnda, 4);
	memcpy(out + 4, rndb, 4);
	if (CRYPTO_memcmp(key, key + 8, 8) == 0) {
		/* a DES key written as two equal halves keeps a single-DES session key */
		memcpy(out + 8, out, 8);
		return;
	}
	memcpy(out + 8, rnda + 4, 4);
	memcpy(out + 12, rndb + 4, 4);
}

uint32_t desfire_crc32(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xFFFFFFFFu;
	size_t i;
	int b;

	for (i = 0; i < n; i++) {
		crc ^= p[i];
		for (b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
	}
	return crc;
}

int df_random(struct desfire *df, uint8_t *buf, size_t n)
{
	if (df->io.random != NULL)
		return df->io.random(df->io.ctx, buf, n);
	if (n > INT32_MAX || RAND_bytes(buf, (int)n) != 1) {
		sk_error("desfire: no random bytes");
		return SK_ERR_CRYPTO;
	}
	return 0;
}
