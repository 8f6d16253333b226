/* audit.c — the audit log's storage: open, append (chained, sealed when the chain is), meta,
 * head, anchors, listing. Seals are audit_seal.c, verification audit_verify.c. */
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
#include "audit_int.h"
#include "common/fsdir.h"
#include "common/log.h"
#include "common/sk_err.h"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS audit(seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL,"
	" actor TEXT NOT NULL, action TEXT NOT NULL, details TEXT NOT NULL,"
	" prev_hash BLOB NOT NULL, row_hash BLOB NOT NULL, kidx INTEGER, seal BLOB);"
	"CREATE TABLE IF NOT EXISTS seal_state(id INTEGER PRIMARY KEY CHECK (id = 1),"
	" kidx INTEGER NOT NULL, key BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS recovery(id INTEGER PRIMARY KEY CHECK (id = 1), key BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL)";

#define exec audit_exec

/* A new audit.db gets 16 KiB pages: verification reads the file through one read() per page,
 * and 4 KiB pages made those system calls a fifth of its time; a commit writes a few pages to
 * the WAL either way. (An existing file keeps its page size.) */
#ifndef AUDIT_PAGE_SIZE_PRAGMA
#define AUDIT_PAGE_SIZE_PRAGMA "PRAGMA page_size=16384"
#endif

int audit_exec(sqlite3 *db, const char *sql)
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
/* decimal digits of v at the end of buf[0..n): returns the first digit */
static char *dec(char *end, uint64_t v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return end;
}

int audit_hash_row(struct audit_log *l, const uint8_t prev[AUDIT_HASH_LEN], uint64_t seq,
    int64_t ts, const char *actor, const char *action, const char *details,
    uint8_t out[AUDIT_HASH_LEN])
{
	const char *f[3] = { actor, action, details };
	const size_t len[3] = { strlen(actor), strlen(action), strlen(details) };

	return audit_hash_fields(l, prev, seq, ts, f, len, out);
}

int audit_hash_fields(struct audit_log *l, const uint8_t prev[AUDIT_HASH_LEN], uint64_t seq,
    int64_t ts, const char *const f[3], const size_t len[3], uint8_t out[AUDIT_HASH_LEN])
{
	size_t o = 0;
	char buf[1024], s1[24], s2[24], *p1, *p2;
	int ok, i;

	/* one digest update for a typical row (verification walks millions of them) */
	p1 = dec(s1 + sizeof(s1), seq);
	p2 = dec(s2 + sizeof(s2), ts < 0 ? (uint64_t)-(ts + 1) + 1 : (uint64_t)ts);
	if (ts < 0)
		*--p2 = '-';
	ok = EVP_DigestInit_ex(l->md, l->sha256, NULL) == 1;
	if (AUDIT_HASH_LEN + 2 + 48 + 3 + len[0] + len[1] + len[2] <= sizeof(buf)) {
		memcpy(buf, prev, AUDIT_HASH_LEN);
		o = AUDIT_HASH_LEN;
		buf[o++] = 0x1f;
		memcpy(buf + o, p1, (size_t)(s1 + sizeof(s1) - p1));
		o += (size_t)(s1 + sizeof(s1) - p1);
		buf[o++] = 0x1f;
		memcpy(buf + o, p2, (size_t)(s2 + sizeof(s2) - p2));
		o += (size_t)(s2 + sizeof(s2) - p2);
		for (i = 0; i < 3; i++) {
			buf[o++] = 0x1f;
			memcpy(buf + o, f[i], len[i]);
			o += len[i];
		}
		ok = ok && EVP_DigestUpdate(l->md, buf, o) == 1;
	} else {
		ok = ok && EVP_DigestUpdate(l->md, prev, AUDIT_HASH_LEN) == 1 &&
		    EVP_DigestUpdate(l->md, "\x1f", 1) == 1 &&
		    EVP_DigestUpdate(l->md, p1, (size_t)(s1 + sizeof(s1) - p1)) == 1 &&
		    EVP_DigestUpdate(l->md, "\x1f", 1) == 1 &&
		    EVP_DigestUpdate(l->md, p2, (size_t)(s2 + sizeof(s2) - p2)) == 1;
		for (i = 0; ok && i < 3; i++)
			ok = EVP_DigestUpdate(l->md, "\x1f", 1) == 1 &&
			    EVP_DigestUpdate(l->md, f[i], len[i]) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(l->md, out, NULL) == 1;
	return ok ? 0 : SK_ERR_CRYPTO;
}

static int log_crypto_init(struct audit_log *l)
{
	if ((l->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
	    (l->md = EVP_MD_CTX_new()) == NULL)
		return SK_ERR_CRYPTO;
	return 0;
}

int audit_row_hash(const uint8_t prev[AUDIT_HASH_LEN], uint64_t seq, int64_t ts,
    const char *actor, const char *action, const char *details, uint8_t out[AUDIT_HASH_LEN])
{
	struct audit_log l = { NULL, NULL, NULL, 0 };
	int r;

	if ((r = log_crypto_init(&l)) == 0)
		r = audit_hash_row(&l, prev, seq, ts, actor, action, details, out);
	EVP_MD_CTX_free(l.md);
	EVP_MD_free(l.sha256);
	return r;
}

int audit_default_path(char *path, size_t size)
{
	const char *x = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	int n;

	if (x != NULL && x[0] == '/')
		n = snprintf(path, size, "%s/skinkey/audit.db", x);
	else if (home != NULL && home[0] == '/')
		n = snprintf(path, size, "%s/.local/share/skinkey/audit.db", home);
	else
		return SK_ERR_CONFIG;
	if (n < 0 || (size_t)n >= size)
		return SK_ERR_ARG;
	return 0;
}

static int open_path(const char *dir, sqlite3 **db)
{
	char path[4096];
	int fd, n, r;

	if (dir != NULL) {
		n = snprintf(path, sizeof(path), "%s/audit.db", dir);
		if (n < 0 || (size_t)n >= sizeof(path))
			return SK_ERR_ARG;
	} else if ((r = audit_default_path(path, sizeof(path))) != 0) {
		return r;
	}
	{
		/* the directory may not exist yet (first start, a new account) */
		char d[4096];
		char *slash;
		snprintf(d, sizeof(d), "%s", path);
		if ((slash = strrchr(d, '/')) != NULL && slash != d) {
			*slash = '\0';
			if ((r = sk_mkdir_p(d)) != 0)
				return r;
		}
	}
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
	if ((r = log_crypto_init(l)) != 0 || (r = open_path(dir, &l->db)) != 0 ||
	    (r = exec(l->db, AUDIT_PAGE_SIZE_PRAGMA)) != 0 ||
	    (r = exec(l->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	    " PRAGMA secure_delete=ON")) != 0 ||
	    (r = exec(l->db, schema)) != 0) {
		audit_close(&l);
		return r;
	}
	*out = l;
	return 0;
}

int audit_open_ro(const char *path, struct audit_log **out)
{
	char def[4096];
	struct audit_log *l;
	int r;

	*out = NULL;
	if (path == NULL) {
		if ((r = audit_default_path(def, sizeof(def))) != 0)
			return r;
		path = def;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return SK_ERR_NOMEM;
	l->ro = 1;
	if ((r = log_crypto_init(l)) != 0) {
		audit_close(&l);
		return r;
	}
	/* one thread reads (verification, listing): no connection mutex taken on every column
	 * call (a tenth of a hash-only verification's time) */
	if (sqlite3_open_v2(path, &l->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK || exec(l->db, "PRAGMA cache_size=-16384") != 0 ||
	    exec(l->db, "SELECT 1 FROM audit LIMIT 1") != 0) {
		sk_warn("audit: %s: cannot open an audit log there", path);
		audit_close(&l);
		return SK_ERR_NOT_FOUND;
	}
	sqlite3_busy_timeout(l->db, 10000);
	*out = l;
	return 0;
}

int audit_begin(struct audit_log *l)
{
	return exec(l->db, "BEGIN IMMEDIATE");
}

int audit_commit(struct audit_log *l)
{
	return exec(l->db, "COMMIT");
}

void audit_rollback(struct audit_log *l)
{
	if (!sqlite3_get_autocommit(l->db))
		exec(l->db, "ROLLBACK");
}

void audit_close(struct audit_log **lp)
{
	if (lp == NULL || *lp == NULL)
		return;
	sqlite3_close((*lp)->db);
	EVP_MD_CTX_free((*lp)->md);
	EVP_MD_free((*lp)->sha256);
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
    const char *action, const char *details, const uint8_t *prev, const uint8_t *hash,
    const uint8_t *seal)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (sqlite3_prepare_v2(db, "INSERT INTO audit(seq, ts, actor, action, details, prev_hash,"
	    " row_hash, kidx, seal) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return SK_ERR_DB;
	if (seal != NULL) {
		sqlite3_bind_int64(st, 8, (sqlite3_int64)seq);
		sqlite3_bind_blob(st, 9, seal, AUDIT_HASH_LEN, SQLITE_STATIC);
	}
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
	uint8_t prev[AUDIT_HASH_LEN], h[AUDIT_HASH_LEN], seal[AUDIT_HASH_LEN];
	uint64_t seq = 0;
	int r, own, sealed = 0;

	if (seq_out != NULL)
		*seq_out = 0;
	if (l == NULL || l->ro || (r = check_field(actor, "actor")) != 0 ||
	    (r = check_field(action, "action")) != 0 || (r = check_field(details, "details")) != 0)
		return SK_ERR_ARG;
	if (ts == 0)
		ts = (int64_t)time(NULL);
	own = sqlite3_get_autocommit(l->db);
	if (own && (r = exec(l->db, "BEGIN IMMEDIATE")) != 0)
		return r;
	if ((r = last_row(l->db, &seq, prev)) != 0 ||
	    (r = audit_hash_row(l, prev, seq + 1, ts, actor, action, details, h)) != 0 ||
	    (r = audit_seal_row(l, seq + 1, h, seal, &sealed)) != 0 ||
	    (r = insert_row(l->db, seq + 1, ts, actor, action, details, prev, h,
	    sealed ? seal : NULL)) != 0 ||
	    (own && (r = exec(l->db, "COMMIT")) != 0)) {
		if (own)
			exec(l->db, "ROLLBACK");
		return r;
	}
	if (seq_out != NULL)
		*seq_out = seq + 1;
	return 0;
}

/* One row against the running chain: 0 or SK_ERR_CRYPTO. */
static int verify_row(struct audit_log *l, sqlite3_stmt *st, uint64_t expect_seq,
    uint8_t prev[AUDIT_HASH_LEN])
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
	if (audit_hash_row(l, prev, expect_seq, sqlite3_column_int64(st, 1),
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
		if (verify_row(l, st, seq, prev) != 0) {
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

int audit_meta_get(struct audit_log *l, const char *key, char *buf, size_t n)
{
	sqlite3_stmt *st = NULL;
	int r = SK_ERR_NOT_FOUND;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(l->db, "SELECT v FROM meta WHERE k = ?", -1, &st, NULL) != SQLITE_OK)
		return SK_ERR_DB;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(buf, n, "%s", (const char *)sqlite3_column_text(st, 0));
		r = 0;
	}
	sqlite3_finalize(st);
	return r;
}

int audit_meta_set(struct audit_log *l, const char *key, const char *value)
{
	sqlite3_stmt *st = NULL;
	int r = SK_ERR_DB;

	if (l->ro)
		return SK_ERR_ARG;
	if (sqlite3_prepare_v2(l->db, "INSERT INTO meta(k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE"
	    " SET v = excluded.v", -1, &st, NULL) != SQLITE_OK)
		return SK_ERR_DB;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE)
		r = 0;
	sqlite3_finalize(st);
	return r;
}

int audit_foreach(struct audit_log *l, uint64_t from, uint64_t max, audit_row_fn fn, void *arg)
{
	sqlite3_stmt *st = NULL;
	struct audit_row row;
	int r = 0, rc;

	if (sqlite3_prepare_v2(l->db, "SELECT seq, ts, actor, action, details, row_hash FROM audit"
	    " WHERE seq >= ? ORDER BY seq LIMIT ?", -1, &st, NULL) != SQLITE_OK)
		return SK_ERR_DB;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)from);
	sqlite3_bind_int64(st, 2, max == 0 ? -1 : (sqlite3_int64)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row.seq = (uint64_t)sqlite3_column_int64(st, 0);
		row.ts = sqlite3_column_int64(st, 1);
		row.actor = (const char *)sqlite3_column_text(st, 2);
		row.action = (const char *)sqlite3_column_text(st, 3);
		row.details = (const char *)sqlite3_column_text(st, 4);
		row.hash = sqlite3_column_bytes(st, 5) == AUDIT_HASH_LEN ? sqlite3_column_blob(st, 5) :
		    NULL;
		if (row.actor == NULL || row.action == NULL || row.details == NULL || row.hash == NULL)
			continue;   /* a malformed row: verify names it */
		if (fn(&row, arg) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = SK_ERR_DB;
	sqlite3_finalize(st);
	return r;
}

uint64_t audit_count(struct audit_log *l)
{
	sqlite3_stmt *st = NULL;
	uint64_t n = 0;

	if (sqlite3_prepare_v2(l->db, "SELECT COUNT(*) FROM audit", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}
