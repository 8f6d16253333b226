/* Unit tests for GF(2^8)/0x11B and Shamir 3-of-5: field axioms against a reference, every
 * 3-subset of 5 reconstructs, 2 shares leave every secret byte value equally possible. */
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "vault/gf256.h"
#include "vault/vault.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", \
	__FILE__, __LINE__, #c); failures++; } } while (0)

/* Textbook shift-and-reduce multiply with branches: the reference for the constant-time one. */
static uint8_t ref_mul(uint8_t a, uint8_t b)
{
	unsigned p = 0, x = a, i;

	for (i = 0; i < 8; i++)
		if (b & (1u << i))
			p ^= x << i;
	for (i = 15; i >= 8; i--)
		if (p & (1u << i))
			p ^= 0x11Bu << (i - 8);
	return (uint8_t)p;
}

static void test_field(void)
{
	unsigned a, b;

	CHECK(gf256_mul(0x57, 0x83) == 0xC1);  /* FIPS-197 §4.2 example */
	CHECK(gf256_mul(0x57, 0x13) == 0xFE);
	CHECK(gf256_inv(0) == 0);
	CHECK(gf256_inv(1) == 1);
	CHECK(gf256_inv(0x53) == 0xCA);        /* FIPS-197 S-box derivation example */
	for (a = 0; a < 256; a++) {
		for (b = 0; b < 256; b++)
			if (gf256_mul((uint8_t)a, (uint8_t)b) != ref_mul((uint8_t)a, (uint8_t)b)) {
				CHECK(0 && "mul differs from reference");
				return;
			}
		if (a != 0)
			CHECK(gf256_mul((uint8_t)a, gf256_inv((uint8_t)a)) == 1);
	}
}

static void test_subsets(void)
{
	uint8_t secret[VAULT_KEY_LEN], out[VAULT_KEY_LEN];
	struct vault_share sh[VAULT_SHARES_N], pick[5];
	unsigned i, j, k, count = 0;

	CHECK(RAND_bytes(secret, sizeof(secret)) == 1);
	CHECK(vault_shamir_split(secret, 3, 5, sh) == 0);
	for (i = 0; i < 5; i++) {
		CHECK(sh[i].x == i + 1);
		CHECK(memcmp(sh[i].set, sh[0].set, 3) == 0);
		CHECK(memcmp(sh[i].y, secret, sizeof(secret)) != 0);
	}
	for (i = 0; i < 5; i++)
		for (j = i + 1; j < 5; j++)
			for (k = j + 1; k < 5; k++) {
				pick[0] = sh[k];   /* order must not matter */
				pick[1] = sh[i];
				pick[2] = sh[j];
				CHECK(vault_shamir_combine(pick, 3, out) == 0);
				CHECK(memcmp(out, secret, sizeof(out)) == 0);
				count++;
			}
	CHECK(count == 10);
	/* 4 and 5 shares also reconstruct (a degree-2 polynomial through more points) */
	CHECK(vault_shamir_combine(sh, 5, out) == 0 && memcmp(out, secret, 32) == 0);
	CHECK(vault_shamir_combine(sh + 1, 4, out) == 0 && memcmp(out, secret, 32) == 0);
	/* 2 shares give a different key (with overwhelming probability) */
	CHECK(vault_shamir_combine(sh, 2, out) == 0 && memcmp(out, secret, 32) != 0);
	/* misuse */
	CHECK(vault_shamir_combine(sh, 1, out) == SK_ERR_ARG);
	pick[0] = sh[0];
	pick[1] = sh[0];
	pick[2] = sh[1];
	CHECK(vault_shamir_combine(pick, 3, out) == SK_ERR_ARG);
	pick[1] = sh[2];
	pick[1].set[0] ^= 1;
	CHECK(vault_shamir_combine(pick, 3, out) == SK_ERR_ARG);
	pick[1] = sh[2];
	pick[1].x = 0;
	CHECK(vault_shamir_combine(pick, 3, out) == SK_ERR_ARG);
	/* a corrupted share silently gives a wrong key: that is why the store checks hashes */
	pick[1] = sh[2];
	pick[1].y[5] ^= 1;
	CHECK(vault_shamir_combine(pick, 3, out) == 0 && memcmp(out, secret, 32) != 0);
	CHECK(vault_shamir_split(secret, 1, 5, sh) == SK_ERR_ARG);
	CHECK(vault_shamir_split(secret, 6, 5, sh) == SK_ERR_ARG);
	vault_share_wipe(sh, 5);
}

/* Information-theoretic hiding: fix two shares of a 3-of-n split. For each of the 256 possible
 * values of a third share at x = 3, the reconstructed secret byte is different, so every secret
 * byte is consistent with the two shares, exactly once: they reveal nothing checkable. */
static void test_two_reveal_nothing(void)
{
	uint8_t secret[VAULT_KEY_LEN], out[VAULT_KEY_LEN];
	struct vault_share sh[5], pick[3];
	unsigned seen[256], v, j;

	CHECK(RAND_bytes(secret, sizeof(secret)) == 1);
	CHECK(vault_shamir_split(secret, 3, 5, sh) == 0);
	for (j = 0; j < VAULT_KEY_LEN; j += 7) {
		memset(seen, 0, sizeof(seen));
		pick[0] = sh[0];
		pick[1] = sh[4];
		pick[2] = sh[2];
		for (v = 0; v < 256; v++) {
			pick[2].y[j] = (uint8_t)v;
			CHECK(vault_shamir_combine(pick, 3, out) == 0);
			seen[out[j]]++;
		}
		for (v = 0; v < 256; v++)
			CHECK(seen[v] == 1);
	}
}

int main(void)
{
	test_field();
	test_subsets();
	test_two_reveal_nothing();
	if (failures != 0) {
		fprintf(stderr, "%d failures\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
