/* Unit tests for the vault store: credentials round trip and persistence, find/lookup, update,
 * remove, corrupt rows reported without losing others, schema version and refusal of a newer
 * schema, KEK file permissions, chips (path A promote), provisioning journal. */
#include <openssl/rand.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "vault/vault.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", \
	__FILE__, __LINE__, #c); failures++; } } while (0)

static char dir[256];
static uint8_t kv[VAULT_KEY_LEN];

static void raw_sql(const char *sql)
{
	char path[512];
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/vault.db", dir);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
}

static int get_str(struct vault_store *st, uint64_t id, const char *expect)
{
	uint8_t *p = NULL;
	size_t n = 0;
	int r = vault_cred_get(st, kv, id, &p, &n);

	if (r == 0 && (n != strlen(expect) || memcmp(p, expect, n) != 0))
		r = 99;
	vault_secret_free(&p, n);
	return r;
}

static void test_creds(void)
{
	struct vault_store *st = NULL;
	struct vault_cred_list *l = NULL;
	struct vault_cred c;
	uint64_t a = 0, b = 0, d = 0, id = 0, n = 0;

	CHECK(vault_store_open(dir, &st) == 0);
	CHECK(vault_store_schema_version(st) == 1);
	CHECK(vault_cred_add(st, kv, VAULT_TYPE_PASSWORD, "example.com", "alice",
	    (const uint8_t *)"pw-a", 4, &a) == 0);
	CHECK(vault_cred_add(st, kv, VAULT_TYPE_PASSWORD, "example.com", "bob",
	    (const uint8_t *)"pw-b", 4, &b) == 0);
	CHECK(vault_cred_add(st, kv, VAULT_TYPE_NOTE, "example.org", "alice",
	    (const uint8_t *)"note", 4, &d) == 0);
	CHECK(a != 0 && b == a + 1 && d == b + 1);
	CHECK(vault_cred_add(st, kv, 77, "x", "y", (const uint8_t *)"z", 1, &id) == SK_ERR_ARG);
	CHECK(get_str(st, a, "pw-a") == 0 && get_str(st, b, "pw-b") == 0 && get_str(st, d, "note") == 0);
	CHECK(get_str(st, 12345, "") == SK_ERR_NOT_FOUND);
	CHECK(vault_cred_count(st, &n) == 0 && n == 3);
	CHECK(vault_cred_find(st, "example.com", NULL, 0, &l) == 0 && l->n == 2);
	CHECK(l->n == 2 && strcmp(l->v[0].user, "alice") == 0 && strcmp(l->v[1].user, "bob") == 0);
	vault_cred_list_free(&l);
	CHECK(l == NULL);
	CHECK(vault_cred_find(st, "example*", NULL, 0, &l) == 0 && l->n == 3);
	vault_cred_list_free(&l);
	CHECK(vault_cred_find(st, "example.o*", "alice", 0, &l) == 0 && l->n == 1 && l->v[0].id == d);
	vault_cred_list_free(&l);
	CHECK(vault_cred_find(st, NULL, "alice", 0, &l) == 0 && l->n == 2);
	vault_cred_list_free(&l);
	CHECK(vault_cred_find(st, NULL, NULL, 2, &l) == 0 && l->n == 2);
	vault_cred_list_free(&l);
	CHECK(vault_cred_find(st, "*", NULL, 0, &l) == 0 && l->n == 3);
	vault_cred_list_free(&l);
	CHECK(vault_cred_find(st, "nothing*", NULL, 0, &l) == 0 && l->n == 0);
	vault_cred_list_free(&l);
	CHECK(vault_cred_lookup(st, "example.com", "bob", &id) == 0 && id == b);
	CHECK(vault_cred_lookup(st, "example.*", "bob", &id) == SK_ERR_NOT_FOUND);
	CHECK(vault_cred_info(st, d, &c) == 0 && c.type == VAULT_TYPE_NOTE && !c.corrupt &&
	    strcmp(c.site, "example.org") == 0);
	vault_cred_clear(&c);
	CHECK(vault_cred_update(st, kv, a, (const uint8_t *)"new", 3) == 0);
	CHECK(get_str(st, a, "new") == 0);
	CHECK(vault_cred_update(st, kv, 999, (const uint8_t *)"new", 3) == SK_ERR_NOT_FOUND);
	CHECK(vault_cred_remove(st, b) == 0);
	CHECK(vault_cred_remove(st, b) == SK_ERR_NOT_FOUND);
	CHECK(get_str(st, b, "") == SK_ERR_NOT_FOUND);
	/* a batch in one transaction; an inner failure rolls back only itself */
	CHECK(vault_store_begin(st) == 0);
	CHECK(vault_cred_add(st, kv, VAULT_TYPE_PASSWORD, "batch", "u1", (const uint8_t *)"1", 1,
	    &id) == 0);
	CHECK(vault_cred_add(st, kv, VAULT_TYPE_PASSWORD, "batch", "u2", NULL, 5, &id) ==
	    SK_ERR_ARG);
	CHECK(vault_store_end(st, 1) == 0);
	CHECK(vault_cred_find(st, "batch", NULL, 0, &l) == 0 && l->n == 1);
	vault_cred_list_free(&l);
	vault_store_close(&st);
	CHECK(st == NULL);
	/* persistence: a fresh open sees the same data; ids are never reused */
	CHECK(vault_store_open(dir, &st) == 0);
	CHECK(get_str(st, a, "new") == 0 && get_str(st, d, "note") == 0);
	CHECK(vault_cred_add(st, kv, VAULT_TYPE_PASSWORD, "example.com", "carol",
	    (const uint8_t *)"c", 1, &id) == 0 && id > d + 1);
	vault_store_close(&st);
}

static void test_corrupt(void)
{
	struct vault_store *st = NULL;
	struct vault_cred_list *l = NULL;
	uint64_t ids[6], n = 0;
	size_t i, bad = 0;
	char sql[1024];

	CHECK(vault_store_open(dir, &st) == 0);
	for (i = 0; i < 6; i++)
		CHECK(vault_cred_add(st, kv, VAULT_TYPE_PASSWORD, "corrupt.test", "u",
		    (const uint8_t *)"secret", 6, &ids[i]) == 0);
	vault_store_close(&st);
	snprintf(sql, sizeof(sql),
	    "UPDATE credentials SET blob = substr(blob, 1, 10) WHERE id = %llu;"
	    "UPDATE credentials SET blob = 'text' WHERE id = %llu;"
	    "UPDATE credentials SET type = 'abc' WHERE id = %llu;"
	    "UPDATE credentials SET user = x'00ff' WHERE id = %llu;"
	    "UPDATE credentials SET blob = CAST(x'02' || substr(blob, 2) AS BLOB) WHERE id = %llu;",
	    (unsigned long long)ids[0], (unsigned long long)ids[1], (unsigned long long)ids[2],
	    (unsigned long long)ids[3], (unsigned long long)ids[4]);
	raw_sql(sql);
	CHECK(vault_store_open(dir, &st) == 0);
	CHECK(get_str(st, ids[0], "secret") == SK_ERR_FORMAT);
	CHECK(get_str(st, ids[1], "secret") == SK_ERR_FORMAT);
	CHECK(get_str(st, ids[2], "secret") == SK_ERR_FORMAT);
	CHECK(get_str(st, ids[3], "secret") == SK_ERR_FORMAT);
	CHECK(get_str(st, ids[4], "secret") == SK_ERR_UNSUPPORTED);
	CHECK(get_str(st, ids[5], "secret") == 0);
	/* listing shows every row, flags the broken ones, and loses nothing */
	CHECK(vault_cred_find(st, "corrupt.test", NULL, 0, &l) == 0);
	CHECK(l != NULL && l->n == 6);
	vault_cred_list_free(&l);
	CHECK(vault_cred_find(st, NULL, NULL, 0, &l) == 0);
	for (i = 0; l != NULL && i < l->n; i++)
		bad += (size_t)l->v[i].corrupt;
	CHECK(bad == 2);                  /* wrong type column and the blob-typed user */
	vault_cred_list_free(&l);
	CHECK(vault_cred_count(st, &n) == 0 && n >= 6);
	CHECK(vault_cred_update(st, kv, ids[2], (const uint8_t *)"x", 1) == SK_ERR_FORMAT);
	CHECK(vault_cred_remove(st, ids[2]) == 0);
	vault_store_close(&st);
}

static void test_schema_and_kek(void)
{
	struct vault_store *st = NULL;
	char path[512];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/vault.kek", dir);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600 && sb.st_size == 32);
	snprintf(path, sizeof(path), "%s/vault.db", dir);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 077) == 0);
	snprintf(path, sizeof(path), "%s/vault.kek", dir);
	CHECK(chmod(path, 0644) == 0);
	CHECK(vault_store_open(dir, &st) == SK_ERR_DENIED && st == NULL);
	CHECK(chmod(path, 0600) == 0);
	raw_sql("INSERT INTO schema_version(version) VALUES (99)");
	CHECK(vault_store_open(dir, &st) == SK_ERR_UNSUPPORTED && st == NULL);
	raw_sql("DELETE FROM schema_version WHERE version = 99");
	CHECK(vault_store_open(dir, &st) == 0);
	CHECK(vault_store_schema_version(st) == 1);
	vault_store_close(&st);
}

static void test_chips(void)
{
	struct vault_store *st = NULL;
	struct vault_chip c, *list = NULL;
	uint8_t k1[16], k2[16], uid1[7] = { 4, 1, 2, 3, 4, 5, 6 }, uid2[7] = { 4, 9, 9, 9, 9, 9, 9 };
	uint8_t *k = NULL;
	size_t n = 0;

	RAND_bytes(k1, 16);
	RAND_bytes(k2, 16);
	CHECK(vault_store_open(dir, &st) == 0);
	CHECK(vault_chip_add(st, "df-04010203040506", uid1, 7, VAULT_ROLE_PRIMARY, k1, 1, 1) == 0);
	CHECK(vault_chip_add(st, "df-04999999999999", uid2, 7, VAULT_ROLE_BACKUP, k2, 1, 1) == 0);
	CHECK(vault_chip_add(st, "df-04999999999999", uid2, 7, VAULT_ROLE_BACKUP, k2, 1, 1) ==
	    SK_ERR_EXISTS);
	CHECK(vault_chip_add(st, "df-x", uid2, 7, VAULT_ROLE_RETIRED, k2, 1, 1) == SK_ERR_ARG);
	CHECK(vault_chip_primary(st, &c) == 0 && strcmp(c.chip_id, "df-04010203040506") == 0);
	CHECK(c.uid_len == 7 && memcmp(c.uid, uid1, 7) == 0 && c.has_kchip);
	CHECK(vault_chip_kchip(st, "df-04010203040506", &k) == 0 && memcmp(k, k1, 16) == 0);
	vault_secret_free(&k, 16);
	CHECK(vault_chip_set_originality(st, "df-04010203040506", 1700000000) == 0);
	CHECK(vault_chip_get(st, "df-04010203040506", &c) == 0 &&
	    c.originality_verified_at == 1700000000);
	/* the wrapped K_chip is bound to its chip id: moving it to another row fails */
	raw_sql("UPDATE chips SET kchip = (SELECT kchip FROM chips WHERE chip_id = "
	    "'df-04010203040506') WHERE chip_id = 'df-04999999999999'");
	CHECK(vault_chip_kchip(st, "df-04999999999999", &k) == SK_ERR_CRYPTO && k == NULL);
	vault_store_close(&st);
	/* restore: re-register the backup */
	raw_sql("DELETE FROM chips WHERE chip_id = 'df-04999999999999'");
	CHECK(vault_store_open(dir, &st) == 0);
	CHECK(vault_chip_add(st, "df-04999999999999", uid2, 7, VAULT_ROLE_BACKUP, k2, 1, 1) == 0);
	/* path A: the backup becomes primary, the lost one retired and its K_chip forgotten */
	CHECK(vault_chip_promote(st, "df-04010203040506") == SK_ERR_ARG);
	CHECK(vault_chip_promote(st, "df-04999999999999") == 0);
	CHECK(vault_chip_primary(st, &c) == 0 && strcmp(c.chip_id, "df-04999999999999") == 0);
	CHECK(vault_chip_get(st, "df-04010203040506", &c) == 0 && c.role == VAULT_ROLE_RETIRED &&
	    !c.has_kchip);
	CHECK(vault_chip_kchip(st, "df-04010203040506", &k) == SK_ERR_NOT_FOUND && k == NULL);
	CHECK(vault_chip_kchip(st, "df-04999999999999", &k) == 0 && memcmp(k, k2, 16) == 0);
	vault_secret_free(&k, 16);
	CHECK(vault_chip_list(st, &list, &n) == 0 && n == 2);
	free(list);
	vault_store_close(&st);
}

static void test_journal(void)
{
	struct vault_store *st = NULL;
	struct vault_journal_entry *e = NULL;
	uint8_t key[16], *k = NULL;
	int64_t id1 = 0, id2 = 0;
	size_t n = 0, len = 0;

	RAND_bytes(key, sizeof(key));
	CHECK(vault_store_open(dir, &st) == 0);
	CHECK(vault_journal_record(st, "df-01", 0, 1, key, 16, &id1) == 0);
	CHECK(vault_journal_record(st, "df-01", 1, 1, key, 16, &id2) == 0);
	vault_store_close(&st);   /* "crash" before ChangeKey */
	CHECK(vault_store_open(dir, &st) == 0);
	CHECK(vault_journal_pending(st, &e, &n) == 0 && n == 2);
	CHECK(n == 2 && e[0].id == id1 && e[1].key_no == 1 && strcmp(e[0].chip_id, "df-01") == 0);
	free(e);
	CHECK(vault_journal_key(st, id1, &k, &len) == 0 && len == 16 && memcmp(k, key, 16) == 0);
	vault_secret_free(&k, len);
	CHECK(vault_journal_commit(st, id1) == 0);
	CHECK(vault_journal_commit(st, id1) == SK_ERR_NOT_FOUND);
	CHECK(vault_journal_abandon(st, id2) == 0);
	CHECK(vault_journal_pending(st, &e, &n) == 0 && n == 0);
	free(e);
	CHECK(vault_store_begin(st) == 0);
	CHECK(vault_journal_record(st, "df-01", 0, 2, key, 16, &id1) == SK_ERR_BUSY);
	CHECK(vault_store_end(st, 0) == 0);
	vault_store_close(&st);
}

static void test_prov_record(void)
{
	struct vault_store *st = NULL;
	uint8_t rec[69], back[69];

	RAND_bytes(rec, sizeof(rec));
	CHECK(vault_store_open(dir, &st) == 0);
	CHECK(vault_prov_record_load(st, back, sizeof(back)) == SK_ERR_NOT_FOUND);
	CHECK(vault_prov_record_store(st, rec, sizeof(rec)) == 0);
	vault_store_close(&st);
	CHECK(vault_store_open(dir, &st) == 0);
	CHECK(vault_prov_record_load(st, back, sizeof(back)) == 0 &&
	    memcmp(rec, back, sizeof(rec)) == 0);
	CHECK(vault_prov_record_load(st, back, 68) == SK_ERR_FORMAT);
	rec[0] ^= 1;
	CHECK(vault_prov_record_store(st, rec, sizeof(rec)) == 0);
	CHECK(vault_prov_record_load(st, back, sizeof(back)) == 0 &&
	    memcmp(rec, back, sizeof(rec)) == 0);
	raw_sql("UPDATE meta SET value = CAST(substr(value, 1, 40) AS BLOB) "
	    "WHERE key = 'prov_record'");
	CHECK(vault_prov_record_load(st, back, sizeof(back)) == SK_ERR_CRYPTO);
	CHECK(vault_prov_record_clear(st) == 0);
	CHECK(vault_prov_record_load(st, back, sizeof(back)) == SK_ERR_NOT_FOUND);
	vault_store_close(&st);
}

int main(void)
{
	char cmd[300];

	snprintf(dir, sizeof(dir), "/tmp/skvault-test.XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	strcat(dir, "/sub/dir");        /* created on open */
	CHECK(RAND_bytes(kv, sizeof(kv)) == 1);
	test_creds();
	test_corrupt();
	test_schema_and_kek();
	test_chips();
	test_journal();
	test_prov_record();
	snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", (int)(strlen(dir) - 8), dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	if (failures != 0) {
		fprintf(stderr, "%d failures\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
