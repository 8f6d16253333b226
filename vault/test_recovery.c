/* Unit tests for recovery path B through the store: split, parse the printed shares back,
 * every 3-subset recovers K_vault and decrypts a credential, a mistyped or foreign share is
 * caught, fewer than 3 refused, and the stored hashes alone confirm nothing. */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "vault/vault.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", \
	__FILE__, __LINE__, #c); failures++; } } while (0)

int main(void)
{
	char dir[] = "/tmp/skvault-rec.XXXXXX", cmd[64], text[VAULT_SHARES_N][VAULT_SHARE_TEXT_MAX];
	struct vault_store *st = NULL;
	struct vault_share sh[VAULT_SHARES_N], pick[3], old[VAULT_SHARES_N];
	uint8_t kv[VAULT_KEY_LEN], out[VAULT_KEY_LEN], *p = NULL;
	uint64_t id = 0;
	size_t n = 0;
	unsigned i, j, k, ok = 0;

	CHECK(mkdtemp(dir) != NULL);
	CHECK(RAND_bytes(kv, sizeof(kv)) == 1);
	CHECK(vault_store_open(dir, &st) == 0);
	CHECK(vault_cred_add(st, kv, VAULT_TYPE_PASSWORD, "site", "me", (const uint8_t *)"s3cret",
	    6, &id) == 0);
	CHECK(vault_key_check_verify(st, kv) == SK_ERR_NOT_FOUND);
	CHECK(vault_recovery_split(st, kv, old) == 0);
	CHECK(vault_recovery_split(st, kv, sh) == 0);   /* a new split replaces the old one */
	CHECK(vault_key_check_verify(st, kv) == 0);
	for (i = 0; i < VAULT_SHARES_N; i++) {
		CHECK(vault_share_format(&sh[i], text[i]) == 0);
		CHECK(vault_recovery_check_share(st, &sh[i]) == 0);
		CHECK(vault_recovery_check_share(st, &old[i]) == SK_ERR_NOT_FOUND);
	}
	vault_store_close(&st);
	/* later, from paper: parse, combine every 3-subset, decrypt */
	CHECK(vault_store_open(dir, &st) == 0);
	for (i = 0; i < 5; i++)
		for (j = i + 1; j < 5; j++)
			for (k = j + 1; k < 5; k++) {
				CHECK(vault_share_parse(text[i], &pick[0]) == 0);
				CHECK(vault_share_parse(text[j], &pick[1]) == 0);
				CHECK(vault_share_parse(text[k], &pick[2]) == 0);
				CHECK(vault_recovery_combine(st, pick, 3, out) == 0);
				CHECK(memcmp(out, kv, sizeof(kv)) == 0);
				CHECK(vault_cred_get(st, out, id, &p, &n) == 0 && n == 6 &&
				    memcmp(p, "s3cret", 6) == 0);
				vault_secret_free(&p, n);
				ok++;
			}
	CHECK(ok == 10);
	/* two shares: refused, and nothing they give verifies */
	CHECK(vault_recovery_combine(st, pick, 2, out) == SK_ERR_ARG);
	CHECK(vault_shamir_combine(pick, 2, out) == 0);
	CHECK(vault_key_check_verify(st, out) == SK_ERR_CRYPTO);
	/* a share altered after its checksum (bypassing the printed form) fails its hash */
	pick[1].y[0] ^= 0x40;
	CHECK(vault_recovery_check_share(st, &pick[1]) == SK_ERR_CRYPTO);
	CHECK(vault_recovery_combine(st, pick, 3, out) == SK_ERR_CRYPTO);
	for (i = 0; i < VAULT_KEY_LEN; i++)
		CHECK(out[i] == 0);   /* nothing half-recovered left behind */
	/* a mistyped printed share is caught by its checksum */
	text[2][20] = text[2][20] == 'A' ? 'B' : 'A';
	CHECK(vault_share_parse(text[2], &pick[0]) == SK_ERR_CRYPTO);
	/* a share from the old split is refused */
	CHECK(vault_recovery_combine(st, old, 3, out) == SK_ERR_NOT_FOUND);
	vault_store_close(&st);
	vault_share_wipe(sh, VAULT_SHARES_N);
	vault_share_wipe(old, VAULT_SHARES_N);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	if (failures != 0) {
		fprintf(stderr, "%d failures\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
