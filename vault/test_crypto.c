/* Unit tests for vault/crypto.c: round trip, tamper, swaps, wrong key, domain separation,
 * truncated/oversized blobs, unknown version, AAD injectivity. */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "vault/vault.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", \
	__FILE__, __LINE__, #c); failures++; } } while (0)

static uint8_t kv[VAULT_KEY_LEN];

static int dec(const uint8_t *key, int type, uint64_t id, const char *u, const char *s,
    const uint8_t *b, size_t n)
{
	uint8_t *pt = NULL;
	size_t len = 0;
	int r = vault_cred_decrypt(key, type, id, u, s, b, n, &pt, &len);

	if (r == 0)
		CHECK(pt != NULL);
	else
		CHECK(pt == NULL && len == 0);
	vault_secret_free(&pt, len);
	return r;
}

static void test_roundtrip(void)
{
	const char *secret = "correct horse battery staple";
	uint8_t *b = NULL, *pt = NULL, *b2 = NULL;
	size_t n = 0, len = 0, n2 = 0;

	CHECK(vault_cred_encrypt(kv, VAULT_TYPE_PASSWORD, 42, "alice", "example.com",
	    (const uint8_t *)secret, strlen(secret), &b, &n) == 0);
	CHECK(n == strlen(secret) + VAULT_BLOB_OVERHEAD);
	CHECK(b[0] == 0x01);
	CHECK(vault_cred_decrypt(kv, VAULT_TYPE_PASSWORD, 42, "alice", "example.com", b, n,
	    &pt, &len) == 0);
	CHECK(len == strlen(secret) && memcmp(pt, secret, len) == 0 && pt[len] == 0);
	vault_secret_free(&pt, len);
	CHECK(pt == NULL);
	/* fresh nonce per write: the same input never gives the same blob */
	CHECK(vault_cred_encrypt(kv, VAULT_TYPE_PASSWORD, 42, "alice", "example.com",
	    (const uint8_t *)secret, strlen(secret), &b2, &n2) == 0);
	CHECK(n2 == n && memcmp(b + 1, b2 + 1, VAULT_NONCE_LEN) != 0);
	free(b);
	free(b2);
	/* empty secret round-trips */
	CHECK(vault_cred_encrypt(kv, VAULT_TYPE_NOTE, 1, "", "", NULL, 0, &b, &n) == 0);
	CHECK(n == VAULT_BLOB_OVERHEAD);
	CHECK(dec(kv, VAULT_TYPE_NOTE, 1, "", "", b, n) == 0);
	free(b);
}

static void test_tamper(void)
{
	uint8_t *b = NULL;
	size_t n = 0, i;
	int bit;

	CHECK(vault_cred_encrypt(kv, VAULT_TYPE_PASSWORD, 7, "bob", "mail.example",
	    (const uint8_t *)"hunter2", 7, &b, &n) == 0);
	for (i = 0; i < n; i++)
		for (bit = 0; bit < 8; bit++) {
			int r;

			b[i] ^= (uint8_t)(1u << bit);
			r = dec(kv, VAULT_TYPE_PASSWORD, 7, "bob", "mail.example", b, n);
			CHECK(r == (i == 0 ? SK_ERR_UNSUPPORTED : SK_ERR_CRYPTO));
			b[i] ^= (uint8_t)(1u << bit);
		}
	CHECK(dec(kv, VAULT_TYPE_PASSWORD, 7, "bob", "mail.example", b, n) == 0);
	free(b);
}

static void test_swaps(void)
{
	uint8_t *b = NULL, other[VAULT_KEY_LEN];
	size_t n = 0;

	CHECK(vault_cred_encrypt(kv, VAULT_TYPE_PASSWORD, 100, "carol", "bank.example",
	    (const uint8_t *)"pw", 2, &b, &n) == 0);
	CHECK(dec(kv, VAULT_TYPE_PASSWORD, 100, "carol", "bank.example", b, n) == 0);
	CHECK(dec(kv, VAULT_TYPE_PASSWORD, 100, "dave", "bank.example", b, n) == SK_ERR_CRYPTO);
	CHECK(dec(kv, VAULT_TYPE_PASSWORD, 100, "carol", "evil.example", b, n) == SK_ERR_CRYPTO);
	CHECK(dec(kv, VAULT_TYPE_PASSWORD, 101, "carol", "bank.example", b, n) == SK_ERR_CRYPTO);
	CHECK(dec(kv, VAULT_TYPE_PASSWORD, 100 + (1ull << 32), "carol", "bank.example", b, n) ==
	    SK_ERR_CRYPTO);
	/* domain separation: same id, other type */
	CHECK(dec(kv, VAULT_TYPE_NOTE, 100, "carol", "bank.example", b, n) == SK_ERR_CRYPTO);
	CHECK(dec(kv, VAULT_TYPE_FIDO, 100, "carol", "bank.example", b, n) == SK_ERR_CRYPTO);
	CHECK(dec(kv, VAULT_TYPE_TOTP, 100, "carol", "bank.example", b, n) == SK_ERR_CRYPTO);
	CHECK(dec(kv, 99, 100, "carol", "bank.example", b, n) == SK_ERR_ARG);
	/* wrong key, including one differing in a single bit */
	memcpy(other, kv, sizeof(other));
	other[31] ^= 0x80;
	CHECK(dec(other, VAULT_TYPE_PASSWORD, 100, "carol", "bank.example", b, n) ==
	    SK_ERR_CRYPTO);
	/* separator injection: user "a;rp=b" at site "c" vs user "a" at site "b;rp=c" */
	free(b);
	CHECK(vault_cred_encrypt(kv, VAULT_TYPE_PASSWORD, 5, "a;rp=b", "c", (const uint8_t *)"x", 1,
	    &b, &n) == 0);
	CHECK(dec(kv, VAULT_TYPE_PASSWORD, 5, "a", "b;rp=c", b, n) == SK_ERR_CRYPTO);
	CHECK(dec(kv, VAULT_TYPE_PASSWORD, 5, "a;rp=b", "c", b, n) == 0);
	free(b);
}

static void test_aad(void)
{
	static const char *const tricky[][2] = {
		{ "a;rp=b", "c" }, { "a", "b;rp=c" }, { "a%3B", "b" }, { "a;", "b" },
		{ "a", ";b" }, { "a=", "b" }, { "a%", "b" }, { "", "u=;rp=" }, { "u=", "" },
		{ "a;c=1", "b" }, { "a", "b;c=1" },
	};
	size_t i, j, n = sizeof(tricky) / sizeof(tricky[0]);
	char *x = NULL, *y = NULL;
	size_t xl, yl;

	CHECK(vault_aad("al;ice", "ex=am%ple", 9, &x, &xl) == 0);
	CHECK(x != NULL && strcmp(x, "u=al%3Bice;rp=ex%3Dam%25ple;c=9") == 0 && xl == strlen(x));
	free(x);
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++) {
			if (i == j)
				continue;
			CHECK(vault_aad(tricky[i][0], tricky[i][1], 1, &x, &xl) == 0);
			CHECK(vault_aad(tricky[j][0], tricky[j][1], 1, &y, &yl) == 0);
			CHECK(xl != yl || memcmp(x, y, xl) != 0);
			free(x);
			free(y);
		}
	CHECK(vault_aad("a", "b", 12, &x, &xl) == 0);
	CHECK(vault_aad("a", "b", 1, &y, &yl) == 0);
	CHECK(strcmp(x, y) != 0);
	free(x);
	free(y);
}

static void test_lengths(void)
{
	uint8_t *b = NULL, *big = NULL;
	size_t n = 0, i;

	CHECK(vault_cred_encrypt(kv, VAULT_TYPE_PASSWORD, 3, "u", "s", (const uint8_t *)"abc", 3,
	    &b, &n) == 0);
	for (i = 0; i < n; i++) {
		int r = dec(kv, VAULT_TYPE_PASSWORD, 3, "u", "s", b, i);

		CHECK(r == (i < VAULT_BLOB_OVERHEAD ? SK_ERR_FORMAT : SK_ERR_CRYPTO) ||
		    (i == 0 && r == SK_ERR_FORMAT));
	}
	CHECK(dec(kv, VAULT_TYPE_PASSWORD, 3, "u", "s", NULL, 0) == SK_ERR_FORMAT);
	/* trailing byte appended: the tag moves, so it fails */
	b = realloc(b, n + 1);
	b[n] = 0;
	CHECK(dec(kv, VAULT_TYPE_PASSWORD, 3, "u", "s", b, n + 1) == SK_ERR_CRYPTO);
	/* unknown versions */
	b[0] = 0x02;
	CHECK(dec(kv, VAULT_TYPE_PASSWORD, 3, "u", "s", b, n) == SK_ERR_UNSUPPORTED);
	b[0] = 0x00;
	CHECK(dec(kv, VAULT_TYPE_PASSWORD, 3, "u", "s", b, n) == SK_ERR_UNSUPPORTED);
	free(b);
	/* oversized: encrypt refuses, decrypt refuses before touching the AEAD */
	big = calloc(1, VAULT_MAX_SECRET + VAULT_BLOB_OVERHEAD + 1);
	CHECK(big != NULL);
	CHECK(vault_cred_encrypt(kv, VAULT_TYPE_NOTE, 1, "u", "s", big, VAULT_MAX_SECRET + 1,
	    &b, &n) == SK_ERR_TOOBIG && b == NULL);
	big[0] = VAULT_BLOB_VERSION;
	CHECK(dec(kv, VAULT_TYPE_NOTE, 1, "u", "s", big, VAULT_MAX_SECRET + VAULT_BLOB_OVERHEAD + 1)
	    == SK_ERR_TOOBIG);
	/* the maximum itself works */
	CHECK(vault_cred_encrypt(kv, VAULT_TYPE_NOTE, 1, "u", "s", big, VAULT_MAX_SECRET,
	    &b, &n) == 0);
	CHECK(dec(kv, VAULT_TYPE_NOTE, 1, "u", "s", b, n) == 0);
	free(b);
	free(big);
	/* over-long fields */
	big = calloc(1, VAULT_MAX_FIELD + 2);
	memset(big, 'a', VAULT_MAX_FIELD + 1);
	CHECK(vault_cred_encrypt(kv, VAULT_TYPE_NOTE, 1, (char *)big, "s", (const uint8_t *)"x", 1,
	    &b, &n) == SK_ERR_ARG);
	CHECK(vault_cred_encrypt(kv, VAULT_TYPE_NOTE, 1, NULL, "s", (const uint8_t *)"x", 1,
	    &b, &n) == SK_ERR_ARG);
	free(big);
}

static void test_wrap(void)
{
	uint8_t kek[32], k[16], *b = NULL, *out = NULL;
	size_t n = 0, len = 0;

	RAND_bytes(kek, sizeof(kek));
	RAND_bytes(k, sizeof(k));
	CHECK(vault_wrap(kek, "kchip;df-01", k, sizeof(k), &b, &n) == 0);
	CHECK(vault_unwrap(kek, "kchip;df-01", b, n, &out, &len) == 0);
	CHECK(len == 16 && memcmp(out, k, 16) == 0);
	vault_secret_free(&out, len);
	CHECK(vault_unwrap(kek, "kchip;df-02", b, n, &out, &len) == SK_ERR_CRYPTO);
	kek[0] ^= 1;
	CHECK(vault_unwrap(kek, "kchip;df-01", b, n, &out, &len) == SK_ERR_CRYPTO);
	free(b);
}

int main(void)
{
	sk_log_set_level(SK_LOG_ERROR);   /* the tamper loops log hundreds of expected failures */
	CHECK(RAND_bytes(kv, sizeof(kv)) == 1);
	CHECK(vault_type_from_name("password") == VAULT_TYPE_PASSWORD);
	CHECK(vault_type_from_name("bogus") == SK_ERR_ARG);
	CHECK(strcmp(vault_type_name(VAULT_TYPE_NOTE), "note") == 0);
	CHECK(vault_type_name(0) == NULL && vault_type_name(5) == NULL);
	test_roundtrip();
	test_tamper();
	test_swaps();
	test_aad();
	test_lengths();
	test_wrap();
	if (failures != 0) {
		fprintf(stderr, "%d failures\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
