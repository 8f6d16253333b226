/* vault_bench.c — host-side vault numbers at scale: N credentials (default 100,000) in a fresh
 * vault.db, then lookup / search / list / decrypt times. Prints key=value lines.
 *   vault-bench [--check] [N]
 * --check turns it into a test: it fails when a search that should walk an index takes long
 * enough to mean a table scan (the limits are ~50x what an index walk takes on a laptop). */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "vault/vault.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int fill(struct vault_store *st, const uint8_t *kv, unsigned n)
{
	char site[64], user[64], pw[64];
	unsigned i;

	if (vault_store_begin(st) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		snprintf(site, sizeof(site), "site%05u.example", i / 10);
		snprintf(user, sizeof(user), "user%u", i % 1000);
		snprintf(pw, sizeof(pw), "password-%u", i);
		if (vault_cred_add(st, kv, VAULT_TYPE_PASSWORD, site, user, (const uint8_t *)pw,
		    strlen(pw), NULL) != 0) {
			vault_store_end(st, 0);
			return -1;
		}
	}
	return vault_store_end(st, 1);
}

static int check(int on, const char *what, double ms, double limit)
{
	printf("%s_ms=%.3f\n", what, ms);
	if (on && ms > limit) {
		fprintf(stderr, "vault-bench: %s took %.3f ms (limit %.1f): an index is not used?\n",
		    what, ms, limit);
		return 1;
	}
	return 0;
}

/* Timed lookups, searches and decrypts; returns the number of limits exceeded. */
static int measure(struct vault_store *st, const uint8_t *kv, unsigned n, int chk)
{
	struct vault_cred_list *l = NULL;
	char site[64], user[64];
	uint64_t id = 0;
	uint8_t *p = NULL;
	size_t len = 0;
	unsigned i, reps = 1000, bad = 0;
	double t;

	t = now_ms();
	for (i = 0; i < reps; i++) {
		unsigned k = (i * 7919u) % n;

		snprintf(site, sizeof(site), "site%05u.example", k / 10);
		snprintf(user, sizeof(user), "user%u", k % 1000);
		bad += vault_cred_lookup(st, site, user, &id) != 0;
	}
	bad += (unsigned)check(chk, "lookup_site_user_avg", (now_ms() - t) / reps, 2.0);
	t = now_ms();
	bad += vault_cred_find(st, "site00123.example", NULL, 0, &l) != 0 || l->n != 10;
	bad += (unsigned)check(chk, "find_site_exact", now_ms() - t, 20.0);
	vault_cred_list_free(&l);
	t = now_ms();
	bad += vault_cred_find(st, "site001*", NULL, 0, &l) != 0 || l->n != (n >= 10000 ? 1000 : l->n);
	printf("find_site_prefix_rows=%zu\n", l != NULL ? l->n : 0);
	bad += (unsigned)check(chk, "find_site_prefix", now_ms() - t, 50.0);
	vault_cred_list_free(&l);
	t = now_ms();
	bad += vault_cred_find(st, NULL, "user42", 0, &l) != 0;
	printf("find_user_rows=%zu\n", l != NULL ? l->n : 0);
	bad += (unsigned)check(chk, "find_user_exact", now_ms() - t, 50.0);
	vault_cred_list_free(&l);
	t = now_ms();
	bad += vault_cred_find(st, NULL, NULL, 0, &l) != 0 || l->n != n;
	bad += (unsigned)check(chk, "list_all", now_ms() - t, 5000.0);
	vault_cred_list_free(&l);
	t = now_ms();
	for (i = 0; i < reps; i++) {
		bad += vault_cred_get(st, kv, 1 + (i * 7919u) % n, &p, &len) != 0;
		vault_secret_free(&p, len);
	}
	bad += (unsigned)check(chk, "decrypt_one_avg", (now_ms() - t) / reps, 2.0);
	return (int)bad;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/vault-bench.XXXXXX", cmd[64];
	struct vault_store *st = NULL;
	uint8_t kv[VAULT_KEY_LEN];
	unsigned n = 100000;
	int chk = 0, bad = 1;
	double t;

	if (argc > 1 && strcmp(argv[1], "--check") == 0) {
		chk = 1;
		argc--;
		argv++;
	}
	if (argc > 1)
		n = (unsigned)strtoul(argv[1], NULL, 10);
	if (n < 1000 || mkdtemp(dir) == NULL || RAND_bytes(kv, sizeof(kv)) != 1)
		return 2;
	sk_log_set_level(SK_LOG_ERROR);
	if (vault_store_open(dir, &st) != 0)
		goto out;
	t = now_ms();
	if (fill(st, kv, n) != 0)
		goto out;
	printf("credentials=%u\ninsert_total_ms=%.1f\n", n, now_ms() - t);
	bad = measure(st, kv, n, chk);
out:
	vault_store_close(&st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "vault-bench: cannot remove %s\n", dir);
	if (bad != 0)
		fprintf(stderr, "vault-bench: %d problems\n", bad);
	return bad != 0;
}
