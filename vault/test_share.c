/* Unit tests for printable shares: round trip, every single-symbol typo and every adjacent
 * transposition is caught, lenient input (case, spaces, O/I/L), malformed input refused. */
#include <ctype.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "vault/vault.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", \
	__FILE__, __LINE__, #c); failures++; } } while (0)

static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static int same(const struct vault_share *a, const struct vault_share *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static void test_roundtrip(struct vault_share *sh, char *text)
{
	struct vault_share back;
	char lower[VAULT_SHARE_TEXT_MAX], spaced[2 * VAULT_SHARE_TEXT_MAX];
	size_t i, o = 0;

	CHECK(vault_share_format(sh, text) == 0);
	CHECK(strncmp(text, "SKV1-", 5) == 0);
	CHECK(strlen(text) == 5 + 64 + 15);
	CHECK(vault_share_parse(text, &back) == 0 && same(&back, sh));
	for (i = 0; text[i] != '\0'; i++)
		lower[i] = (char)tolower((unsigned char)text[i]);
	lower[i] = '\0';
	CHECK(vault_share_parse(lower, &back) == 0 && same(&back, sh));
	/* spaces instead of dashes, and O/I/L look-alikes typed for 0/1 */
	for (i = 0; text[i] != '\0'; i++) {
		char ch = text[i] == '-' ? ' ' : text[i];

		if (i > 4 && ch == '0')
			ch = 'O';
		if (i > 4 && ch == '1')
			ch = (i & 1) ? 'l' : 'I';
		spaced[o++] = ch;
		if (i >= 4 && i % 3 == 0)
			spaced[o++] = ' ';
	}
	spaced[o] = '\0';
	CHECK(vault_share_parse(spaced, &back) == 0 && same(&back, sh));
}

static void test_typos(const struct vault_share *sh, const char *text)
{
	char t[VAULT_SHARE_TEXT_MAX];
	struct vault_share back;
	size_t i, j, caught = 0, tried = 0;

	for (i = 5; text[i] != '\0'; i++) {
		if (text[i] == '-')
			continue;
		for (j = 0; j < 32; j++) {
			if (b32[j] == text[i])
				continue;
			strcpy(t, text);
			t[i] = b32[j];
			tried++;
			if (vault_share_parse(t, &back) == SK_ERR_CRYPTO)
				caught++;
		}
	}
	CHECK(tried == 64 * 31);
	CHECK(caught == tried);
	/* adjacent transpositions (skipping the dashes) */
	for (i = 5; text[i + 1] != '\0'; i++) {
		size_t k = text[i + 1] == '-' ? i + 2 : i + 1;

		if (text[i] == '-' || text[i] == text[k])
			continue;
		strcpy(t, text);
		t[i] = text[k];
		t[k] = text[i];
		CHECK(vault_share_parse(t, &back) == SK_ERR_CRYPTO);
	}
	(void)sh;
}

static void test_malformed(const char *text)
{
	char t[2 * VAULT_SHARE_TEXT_MAX];
	struct vault_share back;

	CHECK(vault_share_parse("", &back) == SK_ERR_FORMAT);
	CHECK(vault_share_parse("SKV1", &back) == SK_ERR_FORMAT);
	CHECK(vault_share_parse(text + 1, &back) == SK_ERR_FORMAT);   /* "KV1-..." */
	strcpy(t, text);
	t[3] = '2';
	CHECK(vault_share_parse(t, &back) == SK_ERR_FORMAT);          /* SKV2 */
	strcpy(t, text);
	t[strlen(t) - 1] = '\0';
	CHECK(vault_share_parse(t, &back) == SK_ERR_FORMAT);          /* one symbol short */
	snprintf(t, sizeof(t), "%sA", text);
	CHECK(vault_share_parse(t, &back) == SK_ERR_FORMAT);          /* one symbol more */
	strcpy(t, text);
	t[10] = 'U';                                                  /* not in Crockford */
	CHECK(vault_share_parse(t, &back) == SK_ERR_FORMAT);
	strcpy(t, text);
	t[10] = '*';
	CHECK(vault_share_parse(t, &back) == SK_ERR_FORMAT);
	CHECK(back.x == 0);   /* cleared on failure */
	CHECK(vault_share_parse(NULL, &back) == SK_ERR_ARG);
}

static void test_hash(const struct vault_share *sh)
{
	uint8_t salt[16] = { 1 }, h1[32], h2[32], h3[32];
	struct vault_share other = *sh;

	CHECK(vault_share_hash(sh, salt, h1) == 0);
	CHECK(vault_share_hash(sh, salt, h2) == 0 && memcmp(h1, h2, 32) == 0);
	salt[15] = 1;
	CHECK(vault_share_hash(sh, salt, h3) == 0 && memcmp(h1, h3, 32) != 0);
	other.y[31] ^= 1;
	CHECK(vault_share_hash(&other, salt, h2) == 0 && memcmp(h3, h2, 32) != 0);
}

int main(void)
{
	uint8_t secret[VAULT_KEY_LEN];
	struct vault_share sh[VAULT_SHARES_N], zero;
	char text[VAULT_SHARE_TEXT_MAX];
	int i;

	sk_log_set_level(SK_LOG_ERROR);   /* the typo loops log thousands of expected failures */
	CHECK(RAND_bytes(secret, sizeof(secret)) == 1);
	CHECK(vault_shamir_split(secret, 3, 5, sh) == 0);
	for (i = 0; i < VAULT_SHARES_N; i++)
		test_roundtrip(&sh[i], text);
	CHECK(vault_share_format(&sh[1], text) == 0);
	test_typos(&sh[1], text);
	test_malformed(text);
	test_hash(&sh[0]);
	memset(&zero, 0, sizeof(zero));
	CHECK(vault_share_format(&zero, text) == SK_ERR_ARG);
	vault_share_wipe(sh, VAULT_SHARES_N);
	if (failures != 0) {
		fprintf(stderr, "%d failures\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
