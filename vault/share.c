/* Printable recovery shares: "SKV1-" + Crockford base32 (16 groups of 4) of
 * set(3) ‖ x(1) ‖ y(32) ‖ check(4), check = SHA-256("skinkey-share-v1" ‖ set ‖ x ‖ y)[0..3].
 * 40 bytes = 320 bits = exactly 64 symbols, so there are no pad bits to get wrong. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>
#include <strings.h>

#include "vault/vault_int.h"

#define SHARE_RAW   40
#define SHARE_SYMS  64
#define SHARE_BODY  (3 + 1 + VAULT_KEY_LEN)

static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static int share_check(const uint8_t body[SHARE_BODY], uint8_t check[4])
{
	static const char tag[] = "skinkey-share-v1";
	uint8_t md[32];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int r = SK_ERR_CRYPTO;

	if (c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(c, tag, sizeof(tag) - 1) == 1 &&
	    EVP_DigestUpdate(c, body, SHARE_BODY) == 1 &&
	    EVP_DigestFinal_ex(c, md, NULL) == 1) {
		memcpy(check, md, 4);
		r = 0;
	}
	EVP_MD_CTX_free(c);
	OPENSSL_cleanse(md, sizeof(md));
	return r;
}

static void share_body(const struct vault_share *s, uint8_t body[SHARE_BODY])
{
	memcpy(body, s->set, 3);
	body[3] = s->x;
	memcpy(body + 4, s->y, VAULT_KEY_LEN);
}

int vault_share_format(const struct vault_share *s, char out[VAULT_SHARE_TEXT_MAX])
{
	uint8_t raw[SHARE_RAW];
	size_t i, o = 0;
	int r;

	if (s == NULL || out == NULL || s->x == 0)
		return SK_ERR_ARG;
	share_body(s, raw);
	if ((r = share_check(raw, raw + SHARE_BODY)) != 0)
		goto out;
	memcpy(out, "SKV1", 4), o = 4;
	for (i = 0; i < SHARE_SYMS; i++) {
		size_t bit = i * 5, byte = bit / 8, sh = bit % 8;
		unsigned v = (unsigned)raw[byte] << 8 | (byte + 1 < SHARE_RAW ? raw[byte + 1] : 0);

		if (i % 4 == 0)
			out[o++] = '-';
		out[o++] = b32[(v >> (11 - sh)) & 0x1f];
	}
	out[o] = '\0';
	r = 0;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	return r;
}

/* Crockford decoding: case-insensitive, O->0, I/L->1; -1 for anything else. */
static int b32_value(char ch)
{
	const char *p;

	if (ch >= 'a' && ch <= 'z')
		ch = (char)(ch - 'a' + 'A');
	if (ch == 'O')
		ch = '0';
	if (ch == 'I' || ch == 'L')
		ch = '1';
	if (ch == '\0' || (p = strchr(b32, ch)) == NULL)
		return -1;
	return (int)(p - b32);
}

static int share_symbols(const char *text, uint8_t sym[SHARE_SYMS])
{
	size_t n = 0;
	int v;

	for (; *text != '\0'; text++) {
		if (*text == '-' || *text == ' ' || *text == '\t')
			continue;
		if ((v = b32_value(*text)) < 0) {
			vault_log("share: character '%c' is not base32", *text >= 0x20 &&
			    *text < 0x7f ? *text : '?');
			return SK_ERR_FORMAT;
		}
		if (n >= SHARE_SYMS) {
			vault_log("share: too long");
			return SK_ERR_FORMAT;
		}
		sym[n++] = (uint8_t)v;
	}
	if (n != SHARE_SYMS) {
		vault_log("share: %zu symbols, expected %d", n, SHARE_SYMS);
		return SK_ERR_FORMAT;
	}
	return 0;
}

static int share_prefix(const char **text)
{
	const char *t = *text;

	while (*t == ' ' || *t == '\t')
		t++;
	if (strncasecmp(t, "SKV1", 4) != 0) {
		vault_log("share: does not start with SKV1");
		return SK_ERR_FORMAT;
	}
	*text = t + 4;
	return 0;
}

int vault_share_parse(const char *text, struct vault_share *s)
{
	uint8_t sym[SHARE_SYMS], raw[SHARE_RAW], check[4];
	size_t i;
	int r;

	if (s == NULL)
		return SK_ERR_ARG;
	memset(s, 0, sizeof(*s));
	if (text == NULL)
		return SK_ERR_ARG;
	memset(raw, 0, sizeof(raw));
	if ((r = share_prefix(&text)) != 0 || (r = share_symbols(text, sym)) != 0)
		goto out;
	for (i = 0; i < SHARE_SYMS; i++) {
		size_t bit = i * 5, byte = bit / 8, sh = bit % 8;
		unsigned v = (unsigned)sym[i] << (11 - sh);

		raw[byte] |= (uint8_t)(v >> 8);
		if (byte + 1 < SHARE_RAW)
			raw[byte + 1] |= (uint8_t)v;
	}
	r = SK_ERR_CRYPTO;
	if (share_check(raw, check) != 0)
		goto out;
	if (CRYPTO_memcmp(check, raw + SHARE_BODY, 4) != 0) {
		vault_log("share: checksum does not match (a typo?)");
		goto out;
	}
	r = SK_ERR_FORMAT;
	if (raw[3] == 0) {
		vault_log("share: index 0 is not a share");
		goto out;
	}
	memcpy(s->set, raw, 3);
	s->x = raw[3];
	memcpy(s->y, raw + 4, VAULT_KEY_LEN);
	r = 0;
out:
	OPENSSL_cleanse(sym, sizeof(sym));
	OPENSSL_cleanse(raw, sizeof(raw));
	return r;
}

int vault_share_hash(const struct vault_share *s, const uint8_t salt[16], uint8_t hash[32])
{
	uint8_t body[SHARE_BODY];
	EVP_MD_CTX *c = NULL;
	int r = SK_ERR_CRYPTO;

	if (s == NULL || salt == NULL || hash == NULL)
		return SK_ERR_ARG;
	share_body(s, body);
	if ((c = EVP_MD_CTX_new()) != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(c, salt, 16) == 1 && EVP_DigestUpdate(c, body, sizeof(body)) == 1 &&
	    EVP_DigestFinal_ex(c, hash, NULL) == 1)
		r = 0;
	else
		vault_log("share: SHA-256 failed");
	EVP_MD_CTX_free(c);
	OPENSSL_cleanse(body, sizeof(body));
	return r;
}
