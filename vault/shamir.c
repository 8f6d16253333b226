/* Shamir secret sharing of a 32-byte key over GF(2^8)/0x11B: byte j of the secret is the
 * constant term of its own random polynomial of degree k-1; share i holds the values at x = i. */
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

#include "vault/gf256.h"
#include "vault/vault_int.h"

/* Horner evaluation of coef[0..k-1] at x. */
static uint8_t poly_eval(const uint8_t *coef, unsigned k, uint8_t x)
{
	uint8_t y = 0;
	unsigned i;

	for (i = k; i-- > 0;)
		y = (uint8_t)(gf256_mul(y, x) ^ coef[i]);
	return y;
}

int vault_shamir_split(const uint8_t secret[VAULT_KEY_LEN], unsigned k, unsigned n,
    struct vault_share *shares)
{
	uint8_t *coef = NULL, set[3];
	unsigned i, j;
	int r = SK_ERR_ARG;

	if (secret == NULL || shares == NULL || k < 2 || k > n || n > 255) {
		vault_log("shamir: bad parameters k=%u n=%u", k, n);
		return SK_ERR_ARG;
	}
	if ((coef = vault_secret_alloc(k)) == NULL)
		return SK_ERR_NOMEM;
	r = SK_ERR_CRYPTO;
	if (RAND_bytes(set, sizeof(set)) != 1)
		goto out;
	for (i = 0; i < n; i++) {
		memcpy(shares[i].set, set, sizeof(set));
		shares[i].x = (uint8_t)(i + 1);
	}
	for (j = 0; j < VAULT_KEY_LEN; j++) {
		coef[0] = secret[j];
		if (RAND_bytes(coef + 1, (int)(k - 1)) != 1) {
			vault_log("shamir: no randomness");
			goto out;
		}
		for (i = 0; i < n; i++)
			shares[i].y[j] = poly_eval(coef, k, shares[i].x);
	}
	r = 0;
out:
	if (r != 0)
		vault_share_wipe(shares, n);
	vault_secret_free(&coef, k);
	return r;
}

static int check_shares(const struct vault_share *s, unsigned k)
{
	unsigned i, j;

	if (s == NULL || k < 2 || k > 255) {
		vault_log("shamir: need at least 2 shares");
		return SK_ERR_ARG;
	}
	for (i = 0; i < k; i++) {
		if (s[i].x == 0 || memcmp(s[i].set, s[0].set, sizeof(s[0].set)) != 0) {
			vault_log("shamir: share %u is from another split or has index 0", i + 1);
			return SK_ERR_ARG;
		}
		for (j = 0; j < i; j++)
			if (s[i].x == s[j].x) {
				vault_log("shamir: share index %u given twice", s[i].x);
				return SK_ERR_ARG;
			}
	}
	return 0;
}

/* Lagrange basis at 0 for point i: prod_{m != i} x_m / (x_m - x_i); x values are public. */
static uint8_t lagrange0(const struct vault_share *s, unsigned k, unsigned i)
{
	uint8_t num = 1, den = 1;
	unsigned m;

	for (m = 0; m < k; m++) {
		if (m == i)
			continue;
		num = gf256_mul(num, s[m].x);
		den = gf256_mul(den, (uint8_t)(s[m].x ^ s[i].x));
	}
	return gf256_mul(num, gf256_inv(den));
}

int vault_shamir_combine(const struct vault_share *shares, unsigned k,
    uint8_t secret[VAULT_KEY_LEN])
{
	uint8_t l;
	unsigned i, j;
	int r;

	if (secret == NULL)
		return SK_ERR_ARG;
	OPENSSL_cleanse(secret, VAULT_KEY_LEN);
	if ((r = check_shares(shares, k)) != 0)
		return r;
	for (i = 0; i < k; i++) {
		l = lagrange0(shares, k, i);
		for (j = 0; j < VAULT_KEY_LEN; j++)
			secret[j] ^= gf256_mul(l, shares[i].y[j]);
	}
	return 0;
}

void vault_share_wipe(struct vault_share *s, size_t n)
{
	if (s != NULL)
		OPENSSL_cleanse(s, n * sizeof(*s));
}
