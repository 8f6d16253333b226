/* Unit tests for cloaked rows: fillers look like sealed rows (marker site, random handle, type
 * password, times 0, blob starting like a sealed one), a row sealed under one key opens with
 * that key only, a wipe makes it a filler again, an ordinary row is never touched. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "vault/vault.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", \
	__FILE__, __LINE__, #c); failures++; } } while (0)

static void quiet(int level, const char *line, void *arg)
{
	(void)level; (void)line; (void)arg;
}

int main(void)
{
	char dir[] = "/tmp/vault-cloak-XXXXXX", cmd[64];
	uint8_t ka[VAULT_KEY_LEN], kb[VAULT_KEY_LEN], *sec = NULL;
	struct vault_store *st = NULL;
	struct vault_cred c;
	uint64_t *ids = NULL, plain = 0;
	size_t n = 0, len = 0;

	sk_log_set_sink(quiet, NULL);
	if (mkdtemp(dir) == NULL)
		return 1;
	memset(ka, 0xa1, sizeof(ka));
	memset(kb, 0xb2, sizeof(kb));
	CHECK(vault_store_open(dir, &st) == 0);
	CHECK(vault_cred_add(st, ka, VAULT_TYPE_NOTE, "plain.example", "bob",
	    (const uint8_t *)"clear", 5, &plain) == 0);
	CHECK(vault_cloak_ids(st, &ids, &n) == 0 && n == 0);
	free(ids);
	CHECK(vault_cloak_fill(st, 0) == SK_ERR_ARG);
	CHECK(vault_cloak_fill(st, 6) == 0);
	CHECK(vault_cloak_ids(st, &ids, &n) == 0 && n == 6);
	for (size_t i = 0; ids != NULL && i < n; i++) {
		CHECK(ids[i] != plain);
		CHECK(vault_cred_info(st, ids[i], &c) == 0);
		CHECK(strcmp(c.site, VAULT_CLOAK_SITE) == 0 && strlen(c.user) == 32 &&
		    c.type == VAULT_TYPE_PASSWORD && c.created == 0 && c.updated == 0);
		vault_cred_clear(&c);
		/* a filler opens with no key */
		CHECK(vault_cred_get(st, ka, ids[i], &sec, &len) == SK_ERR_CRYPTO);
	}
	CHECK(n == 6 && vault_cloak_write(st, ka, ids[1], (const uint8_t *)"hunter2", 7) == 0);
	CHECK(vault_cred_get(st, ka, ids[1], &sec, &len) == 0 && len == 7 &&
	    memcmp(sec, "hunter2", 7) == 0);
	vault_secret_free(&sec, len);
	CHECK(vault_cred_get(st, kb, ids[1], &sec, &len) == SK_ERR_CRYPTO);
	CHECK(vault_cred_info(st, ids[1], &c) == 0 && c.updated == 0 && c.created == 0);
	vault_cred_clear(&c);
	CHECK(vault_cloak_wipe(st, ids[1]) == 0);
	CHECK(vault_cred_get(st, ka, ids[1], &sec, &len) == SK_ERR_CRYPTO);
	/* an ordinary credential is not a cloaked row: untouched */
	CHECK(vault_cloak_write(st, ka, plain, (const uint8_t *)"x", 1) == SK_ERR_NOT_FOUND);
	CHECK(vault_cloak_wipe(st, plain) == SK_ERR_NOT_FOUND);
	CHECK(vault_cred_get(st, ka, plain, &sec, &len) == 0 && len == 5);
	vault_secret_free(&sec, len);
	CHECK(vault_cloak_write(st, ka, 999999, (const uint8_t *)"x", 1) == SK_ERR_NOT_FOUND);
	free(ids);
	vault_store_close(&st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return failures ? 1 : 0;
}
