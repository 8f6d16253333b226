/* Unit tests for the audit chain: append and verify, tamper each field of a row, its hashes,
 * delete a middle row, anchors, and 0x1f refused in fields. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "common/log.h"
#include "common/sk_err.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", \
	__FILE__, __LINE__, #c); failures++; } } while (0)

static char dir[64];

static void raw_sql(const char *sql)
{
	char path[128];
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/audit.db", dir);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
}

static uint64_t broken_at(void)
{
	struct audit_log *l = NULL;
	uint64_t rows = 0, bad = 0;
	int r;

	CHECK(audit_open(dir, &l) == 0);
	r = audit_verify(l, &rows, &bad);
	CHECK((r == 0) == (bad == 0));
	CHECK(r == 0 || r == SK_ERR_CRYPTO);
	CHECK(r != 0 || rows == 10);
	CHECK(r == 0 || rows == bad - 1);
	audit_close(&l);
	return bad;
}

static void fill(void)
{
	struct audit_log *l = NULL;
	char details[64];
	uint64_t seq = 0;
	int i;

	CHECK(audit_open(dir, &l) == 0);
	raw_sql("DELETE FROM audit");
	for (i = 1; i <= 10; i++) {
		snprintf(details, sizeof(details), "{\"n\":%d}", i);
		CHECK(audit_append(l, 1700000000 + i, "op1", "vault.get", details, &seq) == 0);
		CHECK(seq == (uint64_t)i);
	}
	audit_close(&l);
}

int main(void)
{
	static const char *const tamper[] = {
		"UPDATE audit SET details = '{\"n\":99}' WHERE seq = 4",
		"UPDATE audit SET actor = 'op2' WHERE seq = 4",
		"UPDATE audit SET action = 'vault.rm' WHERE seq = 4",
		"UPDATE audit SET ts = ts + 1 WHERE seq = 4",
		"UPDATE audit SET row_hash = zeroblob(32) WHERE seq = 4",
		"UPDATE audit SET prev_hash = zeroblob(32) WHERE seq = 4",
		"DELETE FROM audit WHERE seq = 4",
		"UPDATE audit SET details = x'7b7d' WHERE seq = 4",   /* a blob, not text */
	};
	struct audit_log *l = NULL;
	uint8_t head[32], head2[32];
	uint64_t seq = 0, rows = 0, bad = 0;
	size_t i;
	char cmd[96];

	sk_log_set_level(SK_LOG_ERROR);
	snprintf(dir, sizeof(dir), "/tmp/skaudit.XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	CHECK(audit_open(dir, &l) == 0);
	CHECK(audit_head(l, &seq, head) == 0 && seq == 0);
	CHECK(audit_verify(l, &rows, &bad) == 0 && rows == 0 && bad == 0);
	CHECK(audit_append(l, 0, "op", "x\x1fy", "", NULL) == SK_ERR_ARG);
	CHECK(audit_append(l, 0, "op", NULL, "", NULL) == SK_ERR_ARG);
	audit_close(&l);
	fill();
	CHECK(broken_at() == 0);
	for (i = 0; i < sizeof(tamper) / sizeof(tamper[0]); i++) {
		fill();
		raw_sql(tamper[i]);
		bad = broken_at();
		if (bad != 4)
			fprintf(stderr, "tamper %zu: broken at %llu\n", i, (unsigned long long)bad);
		CHECK(bad == 4);
	}
	/* tampering the last row only: detected at 10 */
	fill();
	raw_sql("UPDATE audit SET details = 'x' WHERE seq = 10");
	CHECK(broken_at() == 10);
	/* anchors: a published head stays valid while appending, and catches a rewrite */
	fill();
	CHECK(audit_open(dir, &l) == 0);
	CHECK(audit_head(l, &seq, head) == 0 && seq == 10);
	CHECK(audit_append(l, 0, "op1", "vault.add", "{}", NULL) == 0);
	CHECK(audit_head(l, &seq, head2) == 0 && seq == 11 && memcmp(head, head2, 32) != 0);
	CHECK(audit_check_anchor(l, 10, head) == 0);
	audit_close(&l);
	raw_sql("DELETE FROM audit WHERE seq >= 10");   /* truncation: the chain itself still verifies */
	CHECK(audit_open(dir, &l) == 0);
	CHECK(audit_verify(l, &rows, &bad) == 0 && rows == 9);
	CHECK(audit_check_anchor(l, 10, head) == SK_ERR_CRYPTO);   /* ...but the anchor does not */
	audit_close(&l);
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
