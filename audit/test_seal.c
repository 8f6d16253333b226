/* Unit tests for the sealed chain: each corruption audit.h promises to detect, made on a fresh
 * copy, is reported with its kind at the right row; the intact chain verifies with and without
 * the verification key; HMAC matches OpenSSL's; the recovery code is handed out once. */
#include <openssl/hmac.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/log.h"
#include "common/sk_err.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", \
	__FILE__, __LINE__, #c); failures++; } } while (0)

#define ROWS 20
static char dir[64], path[128];
static uint8_t key0[AUDIT_KEY_LEN];

static void sql(sqlite3 *db, const char *s)
{
	char *err = NULL;

	if (sqlite3_exec(db, s, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "sql: %s: %s\n", s, err);
		failures++;
	}
	sqlite3_free(err);
}

static void fresh(void)
{
	struct audit_log *l = NULL;
	uint8_t again[AUDIT_KEY_LEN];
	char details[64];

	snprintf(dir, sizeof(dir), "/tmp/sk-audit-seal-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/audit.db", dir);
	CHECK(audit_open(dir, &l) == 0);
	CHECK(audit_seal_start(l) == 0);
	CHECK(audit_seal_start(l) == SK_ERR_EXISTS);
	CHECK(audit_take_recovery(l, key0) == 0);
	CHECK(audit_take_recovery(l, again) == SK_ERR_NOT_FOUND);   /* printed once */
	for (int i = 1; i <= ROWS; i++) {
		snprintf(details, sizeof(details), "op=sign n=%d", i);
		CHECK(audit_append(l, 1700000000 + i, "gpg", "key-op", details, NULL) == 0);
	}
	audit_close(&l);
}

static void cleanup(void)
{
	char p[160];

	snprintf(p, sizeof(p), "%s/audit.db-wal", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/audit.db-shm", dir);
	unlink(p);
	unlink(path);
	rmdir(dir);
}

/* Recompute prev_hash/row_hash from row `from` on, as an attacker without keys can. */
static void rechain(sqlite3 *db, uint64_t from)
{
	sqlite3_stmt *st = NULL, *up = NULL;
	uint8_t prev[AUDIT_HASH_LEN], h[AUDIT_HASH_LEN];

	memset(prev, 0, sizeof(prev));
	CHECK(sqlite3_prepare_v2(db, "SELECT seq, ts, actor, action, details, row_hash FROM audit"
	    " ORDER BY seq", -1, &st, NULL) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, "UPDATE audit SET prev_hash = ?, row_hash = ? WHERE seq = ?",
	    -1, &up, NULL) == SQLITE_OK);
	sql(db, "BEGIN");
	while (sqlite3_step(st) == SQLITE_ROW) {
		uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
		if (seq < from) {
			memcpy(prev, sqlite3_column_blob(st, 5), AUDIT_HASH_LEN);
			continue;
		}
		CHECK(audit_row_hash(prev, seq, sqlite3_column_int64(st, 1),
		    (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3),
		    (const char *)sqlite3_column_text(st, 4), h) == 0);
		sqlite3_bind_blob(up, 1, prev, AUDIT_HASH_LEN, SQLITE_TRANSIENT);
		sqlite3_bind_blob(up, 2, h, AUDIT_HASH_LEN, SQLITE_TRANSIENT);
		sqlite3_bind_int64(up, 3, (sqlite3_int64)seq);
		CHECK(sqlite3_step(up) == SQLITE_DONE);
		sqlite3_reset(up);
		memcpy(prev, h, AUDIT_HASH_LEN);
	}
	sql(db, "COMMIT");
	sqlite3_finalize(st);
	sqlite3_finalize(up);
}

/* Re-seal row seq with the key the host holds now (what an intruder has). */
static void reseal_with_current(sqlite3 *db, uint64_t seq)
{
	sqlite3_stmt *st = NULL;
	uint8_t k[AUDIT_KEY_LEN], h[AUDIT_HASH_LEN], s[AUDIT_HASH_LEN];
	char q[128];

	CHECK(sqlite3_prepare_v2(db, "SELECT key FROM seal_state", -1, &st, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	memcpy(k, sqlite3_column_blob(st, 0), AUDIT_KEY_LEN);
	sqlite3_finalize(st);
	snprintf(q, sizeof(q), "SELECT row_hash FROM audit WHERE seq = %llu", (unsigned long long)seq);
	CHECK(sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	memcpy(h, sqlite3_column_blob(st, 0), AUDIT_HASH_LEN);
	sqlite3_finalize(st);
	CHECK(audit_seal_of(k, h, s) == 0);
	CHECK(sqlite3_prepare_v2(db, "UPDATE audit SET seal = ? WHERE seq = ?", -1, &st, NULL) ==
	    SQLITE_OK);
	sqlite3_bind_blob(st, 1, s, AUDIT_HASH_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	CHECK(sqlite3_step(st) == SQLITE_DONE);
	sqlite3_finalize(st);
}

static void expect(const char *name, enum audit_fault f, uint64_t at, const uint8_t *key)
{
	struct audit_log *l = NULL;
	struct audit_report rep;
	int r;

	CHECK(audit_open_ro(path, &l) == 0);
	r = audit_verify_full(l, key, &rep);
	if (rep.fault != f || rep.first_bad != at || (r == 0) != (f == AUDIT_OK)) {
		fprintf(stderr, "%s: expected %s at %llu, got %s at %llu (%s)\n", name,
		    audit_fault_name(f), (unsigned long long)at, audit_fault_name(rep.fault),
		    (unsigned long long)rep.first_bad, rep.why);
		failures++;
	}
	audit_close(&l);
}

static sqlite3 *raw(void)
{
	sqlite3 *db = NULL;

	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	return db;
}

int main(void)
{
	sqlite3 *db;
	uint8_t wrong[AUDIT_KEY_LEN], h[AUDIT_HASH_LEN], s1[AUDIT_HASH_LEN], s2[EVP_MAX_MD_SIZE];
	unsigned int s2len = 0;
	char code[AUDIT_CODE_LEN];

	sk_log_set_level(SK_LOG_ERROR);

	/* HMAC is RFC 2104 HMAC-SHA-256 */
	memset(wrong, 0x42, sizeof(wrong));
	memset(h, 0x17, sizeof(h));
	CHECK(audit_seal_of(wrong, h, s1) == 0);
	CHECK(HMAC(EVP_sha256(), wrong, sizeof(wrong), h, sizeof(h), s2, &s2len) != NULL);
	CHECK(s2len == 32 && memcmp(s1, s2, 32) == 0);

	fresh();
	audit_code_format(key0, code);
	CHECK(strlen(code) == 79);
	CHECK(audit_code_parse(code, wrong) == 0 && memcmp(wrong, key0, sizeof(key0)) == 0);
	CHECK(audit_code_parse("zz", wrong) == SK_ERR_FORMAT);
	expect("intact, key", AUDIT_OK, 0, key0);
	expect("intact, hashes only", AUDIT_OK, 0, NULL);
	memset(wrong, 0, sizeof(wrong));
	expect("wrong key", AUDIT_BAD_SEAL, 1, wrong);
	cleanup();

	fresh();
	db = raw();
	sql(db, "UPDATE audit SET details = 'op=sign n=999' WHERE seq = 7");
	sqlite3_close(db);
	expect("edited", AUDIT_EDITED, 7, key0);
	expect("edited, hashes only", AUDIT_EDITED, 7, NULL);
	cleanup();

	fresh();
	db = raw();
	sql(db, "DELETE FROM audit WHERE seq = 7");
	sqlite3_close(db);
	expect("deleted", AUDIT_DELETED, 7, key0);
	cleanup();

	fresh();
	db = raw();
	sql(db, "CREATE TEMP TABLE t AS SELECT * FROM audit WHERE seq IN (5, 9);"
	    "UPDATE audit SET (ts, actor, action, details, prev_hash, row_hash, kidx, seal) ="
	    " (SELECT ts, actor, action, details, prev_hash, row_hash, kidx, seal FROM t"
	    "  WHERE t.seq = 14 - audit.seq) WHERE seq IN (5, 9)");
	sqlite3_close(db);
	expect("reordered", AUDIT_REORDERED, 5, key0);
	cleanup();

	fresh();
	db = raw();
	sql(db, "UPDATE audit SET details = 'op=sign n=forged' WHERE seq = 12");
	rechain(db, 12);
	reseal_with_current(db, 12);
	sqlite3_close(db);
	expect("re-sealed", AUDIT_RESEALED, 12, key0);
	cleanup();

	fresh();
	db = raw();
	sql(db, "DELETE FROM audit WHERE seq > 15");
	sqlite3_close(db);
	expect("truncated", AUDIT_TRUNCATED, 16, key0);
	expect("truncated, hashes only", AUDIT_TRUNCATED, 16, NULL);
	cleanup();

	fresh();
	db = raw();
	sql(db, "DELETE FROM audit WHERE seq = 8; UPDATE audit SET seq = -(seq - 1) WHERE seq > 8;"
	    " UPDATE audit SET seq = -seq WHERE seq < 0");
	rechain(db, 8);
	sqlite3_close(db);
	expect("epoch gap", AUDIT_EPOCH_GAP, 8, key0);
	cleanup();

	/* truncated, and the key index set back to fit (the key itself cannot be set back) */
	fresh();
	db = raw();
	sql(db, "DELETE FROM audit WHERE seq > 15; UPDATE seal_state SET kidx = 16");
	sqlite3_close(db);
	expect("truncated, index set back", AUDIT_TRUNCATED, 16, key0);
	cleanup();

	/* the key state removed: the chain would look unsealed to a reader without the key */
	fresh();
	db = raw();
	sql(db, "DELETE FROM seal_state");
	sqlite3_close(db);
	expect("key state removed", AUDIT_KEY_STATE, ROWS, key0);
	cleanup();

	fresh();
	db = raw();
	sql(db, "UPDATE audit SET seal = NULL, kidx = NULL WHERE seq = 3");
	sqlite3_close(db);
	expect("unsealed", AUDIT_UNSEALED, 3, key0);
	cleanup();

	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
