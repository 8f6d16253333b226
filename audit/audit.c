/* audit.c — the hash-chained audit log (see audit.h for the chaining rule). */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/log.h"
#include "common/sk_err.h"

struct audit_log {
	sqlite3 *db;
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS audit(seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL,"
	" actor TEXT NOT NULL, action TEXT NOT NULL, details TEXT NOT NULL,"
	" prev_hash BLOB NOT NULL, row_hash BLOB NOT NULL)";

static int exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		sk_warn("audit: sqlite: %s", err != NULL ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return SK_ERR_DB;
	}
	return 0;
}

static int check_field(const char *s, const char *what)
{
	if (s == NULL || strnlen(s, AUDIT_FIELD_MAX + 1) > AUDIT_FIELD_MAX ||
	    strchr(s, 0x1f) != NULL) {
		sk_warn("audit: %s missing, too long or containing 0x1f", what);
		return SK_ERR_ARG;
	}
	return 0;
}

/* SHA-256(prev ‖ 0x1f ‖ seq ‖ 0x1f ‖ ts ‖ 0x1f ‖ actor ‖ 0x1f ‖ action ‖ 0x1f ‖ details). */
static int row_hash(const uint8_t prev[AUDIT_HASH_LEN], uint64_t seq, int64_t ts,
    const char *actor, const char *action, const char *details, uint8_t out[AUDIT_HASH_LEN])
{
	const char *f[3] = { actor, action, details };
	char num[48];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int i, ok;

	snprintf(num, sizeof(num), "\x1f%llu\x1f%lld", (unsigned long long)seq, (long long)ts);
	ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(c, prev, AUDIT_HASH_LEN) == 1 &&
	    EVP_DigestUpdate(c, num, strlen(num)) == 1;
	for (i = 0; ok && i < 3; i++)
		ok = EVP_DigestUpdate(c, "\x1f", 1) == 1 && EVP_DigestUpdate(c, f[i], strlen(f[i])) == 1;
	ok = ok && EVP_DigestFinal_ex(c, out, NULL) == 1;
	EVP_MD_CTX_free(c);
	return ok ? 0 : SK_ERR_CRYPTO;
}

static int open_path(const char *dir, sqlite3 **db)
{
	char path[4096];
	const char *x = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	int fd, n;

	if (dir != NULL)
		n = snprintf(path, sizeof(path), "%s/audit.db", dir);
	else if (x != NULL && x[0] == '/')
		n = snprintf(path, sizeof(path), "%s/skinkey/audit.db", x);
	else if (home != NULL && home[0] == '/')
		n = snprintf(path, sizeof(path), "%s/.local/share/skinkey/audit.db", home);
	else
		return SK_ERR_CONFIG;
	if (n < 0 || (size_t)n >= sizeof(path))
		return SK_ERR_ARG;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		sk_warn("audit: %s: %s", path, strerror(errno));
		return SK_ERR_IO;
	}
	close(fd);
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) !=
	    SQLITE_OK) {
		sk_warn("audit: %s: cannot open", path);
		sqlite3_close(*db);
		*db = NULL;
		return SK_ERR_DB;
	}
	sqlite3_busy_timeout(*db, 10000);
	return 0;
}

int audit_open(const char *dir, struct audit_log **out)
{
	struct audit_log *l;
	int r;

	*out = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return SK_ERR_NOMEM;
	if ((r = open_path(dir, &l->db)) != 0 ||
	    (r = exec(l->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL")) != 0 ||
	    (r = exec(l->db, schema)) != 0) {
		audit_close(&l);
		return r;
	}
	*out = l;
	return 0;
}

void audit_close(struct audit_log **lp)
{
	if (lp == NULL || *lp == NULL)
		return;
	sqlite3_close((*lp)->db);
	free(*lp);
	*lp = NULL;
}

/* The last row inside the caller's transaction (seq 0 + zero hash when empty). */
static int last_row(sqlite3 *db, uint64_t *seq, uint8_t hash[AUDIT_HASH_LEN])
{
	sqlite3_stmt *st = NULL;
	int r = 0, rc;

	*seq = 0;
	memset(hash, 0, AUDIT_HASH_LEN);
	if (sqlite3_prepare_v2(db, "SELECT seq, row_hash FROM audit ORDER BY seq DESC LIMIT 1",
	    -1, &st, NULL) != SQLITE_OK)
		return SK_ERR_DB;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 1) != AUDIT_HASH_LEN) {
			sk_warn("audit: last row has a malformed hash");
			r = SK_ERR_FORMAT;
		} else {
			*seq = (uint64_t)sqlite3_column_int64(st, 0);
			memcpy(hash, sqlite3_column_blob(st, 1), AUDIT_HASH_LEN);
		}
	} else if (rc != SQLITE_DONE)
		r = SK_ERR_DB;
	sqlite3_finalize(st);
	return r;
}

static int insert_row(sqlite3 *db, uint64_t seq, int64_t ts, const char *actor,
    const char *action, const char *details, const uint8_t *prev, const uint8_t *hash)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (sqlite3_prepare_v2(db, "INSERT INTO audit(seq, ts, actor, action, details, prev_hash,"
	    " row_hash) VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return SK_ERR_DB;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_int64(st, 2, ts);
	sqlite3_bind_text(st, 3, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, details, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, prev, AUDIT_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, hash, AUDIT_HASH_LEN, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sk_warn("audit: insert: %s", sqlite3_errmsg(db));
		r = SK_ERR_DB;
	}
	sqlite3_finalize(st);
	return r;
}

int audit_append(struct audit_log *l, int64_t ts, const char *actor, const char *action,
    const char *details, uint64_t *seq_out)
{
	uint8_t prev[AUDIT_HASH_LEN], h[AUDIT_HASH_LEN];
	uint64_t seq = 0;
	int r;

	if (seq_out != NULL)
		*seq_out = 0;
	if (l == NULL || (r = check_field(actor, "actor")) != 0 ||
	    (r = check_field(action, "action")) != 0 || (r = check_field(details, "details")) != 0)
		return SK_ERR_ARG;
	if (ts == 0)
		ts = (int64_t)time(NULL);
	if ((r = exec(l->db, "BEGIN IMMEDIATE")) != 0)
		return r;
	if ((r = last_row(l->db, &seq, prev)) != 0 ||
	    (r = row_hash(prev, seq + 1, ts, actor, action, details, h)) != 0 ||
	    (r = insert_row(l->db, seq + 1, ts, actor, action, details, prev, h)) != 0 ||
	    (r = exec(l->db, "COMMIT")) != 0) {
		exec(l->db, "ROLLBACK");
		return r;
	}
	if (seq_out != NULL)
		*seq_out = seq + 1;
	return 0;
}

/* One row against the running chain: 0 or SK_ERR_CRYPTO. */
static int verify_row(sqlite3_stmt *st, uint64_t expect_seq, uint8_t prev[AUDIT_HASH_LEN])
{
	uint8_t h[AUDIT_HASH_LEN];
	const void *ph = sqlite3_column_blob(st, 5), *rh = sqlite3_column_blob(st, 6);

	if ((uint64_t)sqlite3_column_int64(st, 0) != expect_seq ||
	    sqlite3_column_type(st, 2) != SQLITE_TEXT || sqlite3_column_type(st, 3) != SQLITE_TEXT ||
	    sqlite3_column_type(st, 4) != SQLITE_TEXT ||
	    sqlite3_column_bytes(st, 5) != AUDIT_HASH_LEN ||
	    sqlite3_column_bytes(st, 6) != AUDIT_HASH_LEN ||
	    CRYPTO_memcmp(ph, prev, AUDIT_HASH_LEN) != 0)
		return SK_ERR_CRYPTO;
	if (row_hash(prev, expect_seq, sqlite3_column_int64(st, 1),
	    (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3),
	    (const char *)sqlite3_column_text(st, 4), h) != 0 ||
	    CRYPTO_memcmp(h, rh, AUDIT_HASH_LEN) != 0)
		return SK_ERR_CRYPTO;
	memcpy(prev, h, AUDIT_HASH_LEN);
	return 0;
}

int audit_verify(struct audit_log *l, uint64_t *rows, uint64_t *first_bad)
{
	sqlite3_stmt *st = NULL;
	uint8_t prev[AUDIT_HASH_LEN];
	uint64_t seq = 0;
	int r = 0, rc;

	*rows = 0;
	*first_bad = 0;
	memset(prev, 0, sizeof(prev));
	if (sqlite3_prepare_v2(l->db, "SELECT seq, ts, actor, action, details, prev_hash, row_hash"
	    " FROM audit ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		return SK_ERR_DB;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		seq++;
		if (verify_row(st, seq, prev) != 0) {
			sk_warn("audit: chain broken at row %llu", (unsigned long long)seq);
			*first_bad = seq;
			r = SK_ERR_CRYPTO;
			break;
		}
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = SK_ERR_DB;
	*rows = r == 0 ? seq : seq - 1;
	sqlite3_finalize(st);
	return r;
}

int audit_head(struct audit_log *l, uint64_t *seq, uint8_t hash[AUDIT_HASH_LEN])
{
	return last_row(l->db, seq, hash);
}

int audit_check_anchor(struct audit_log *l, uint64_t seq, const uint8_t hash[AUDIT_HASH_LEN])
{
	sqlite3_stmt *st = NULL;
	int r = SK_ERR_CRYPTO;

	if (sqlite3_prepare_v2(l->db, "SELECT row_hash FROM audit WHERE seq = ?", -1, &st, NULL) !=
	    SQLITE_OK)
		return SK_ERR_DB;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == AUDIT_HASH_LEN &&
	    CRYPTO_memcmp(sqlite3_column_blob(st, 0), hash, AUDIT_HASH_LEN) == 0)
		r = 0;
	else
		sk_warn("audit: anchored row %llu is gone or differs", (unsigned long long)seq);
	sqlite3_finalize(st);
	return r;
}
