/* vault.db: open, pragmas (WAL, synchronous=FULL), schema version table and migrations. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/fsdir.h"
#include "vault/vault_int.h"

/* migrations[i] takes the schema from version i to i + 1. Append only; never edit one. */
static const char *const migrations[] = {
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);"
	"CREATE TABLE credentials(id INTEGER PRIMARY KEY AUTOINCREMENT, site TEXT NOT NULL,"
	" user TEXT NOT NULL, type INTEGER NOT NULL, blob BLOB NOT NULL,"
	" created INTEGER NOT NULL, updated INTEGER NOT NULL);"
	"CREATE INDEX cred_site_user ON credentials(site, user, id);"
	"CREATE INDEX cred_user ON credentials(user, site, id);"
	"CREATE TABLE chips(chip_id TEXT PRIMARY KEY, uid BLOB NOT NULL,"
	" role INTEGER NOT NULL CHECK (role IN (1, 2, 3)), kchip BLOB,"
	" kchip_version INTEGER NOT NULL, vault_version INTEGER NOT NULL,"
	" originality_verified_at INTEGER, created INTEGER NOT NULL);"
	"CREATE TABLE journal(id INTEGER PRIMARY KEY AUTOINCREMENT, chip_id TEXT NOT NULL,"
	" key_no INTEGER NOT NULL, key_version INTEGER NOT NULL, key BLOB NOT NULL,"
	" state INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL);"
	"CREATE INDEX journal_state ON journal(state, id);"
	"CREATE TABLE recovery_shares(x INTEGER PRIMARY KEY, split BLOB NOT NULL,"
	" salt BLOB NOT NULL, hash BLOB NOT NULL, created INTEGER NOT NULL);",
};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

int64_t vault_now(void)
{
	return (int64_t)time(NULL);
}

int vault_db_err(sqlite3 *db)
{
	int c = sqlite3_errcode(db) & 0xff, e = sqlite3_system_errno(db);

	return c == SQLITE_FULL || (c == SQLITE_IOERR && (e == ENOSPC || e == EDQUOT)) ?
	    SK_ERR_FULL : SK_ERR_DB;
}

int vault_db_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	int r;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		r = vault_db_err(db);
		vault_log("sqlite: %s", err != NULL ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return r;
	}
	return 0;
}

int vault_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
	*st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
		vault_log("sqlite prepare: %s", sqlite3_errmsg(db));
		return SK_ERR_DB;
	}
	return 0;
}

/* Transactions nest: inside a caller's vault_store_begin() a savepoint, else BEGIN IMMEDIATE
 * (take the write lock up front, so the busy timeout applies instead of a failed upgrade). */
int vault_tx_begin(sqlite3 *db, int *nested)
{
	*nested = !sqlite3_get_autocommit(db);
	return vault_db_exec(db, *nested ? "SAVEPOINT vtx" : "BEGIN IMMEDIATE");
}

int vault_tx_commit(sqlite3 *db, int nested)
{
	return vault_db_exec(db, nested ? "RELEASE vtx" : "COMMIT");
}

void vault_tx_rollback(sqlite3 *db, int nested)
{
	vault_db_exec(db, nested ? "ROLLBACK TO vtx; RELEASE vtx" : "ROLLBACK");
}

int vault_store_begin(struct vault_store *st)
{
	if (st == NULL || !sqlite3_get_autocommit(st->db))
		return SK_ERR_ARG;
	return vault_db_exec(st->db, "BEGIN IMMEDIATE");
}

int vault_store_end(struct vault_store *st, int commit)
{
	int r;

	if (st == NULL || sqlite3_get_autocommit(st->db))
		return SK_ERR_ARG;
	if (commit && (r = vault_db_exec(st->db, "COMMIT")) == 0)
		return 0;
	vault_db_exec(st->db, "ROLLBACK");
	return commit ? r : 0;
}

/* meta: small named values of the vault (key check, provisioning record). */
int vault_meta_put(struct vault_store *s, const char *key, const uint8_t *v, size_t n)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = vault_db_prepare(s->db, "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
	    &st)) != 0)
		return r;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, v, (int)n, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		vault_log("meta: %s", sqlite3_errmsg(s->db));
		r = vault_db_err(s->db);
	}
	sqlite3_finalize(st);
	return r;
}

int vault_meta_get(struct vault_store *s, const char *key, uint8_t *v, size_t n)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = vault_db_prepare(s->db, "SELECT value FROM meta WHERE key = ?", &st)) != 0)
		return r;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		r = SK_ERR_NOT_FOUND;
	else if (sqlite3_column_type(st, 0) != SQLITE_BLOB ||
	    (size_t)sqlite3_column_bytes(st, 0) != n) {
		vault_log("meta %s: wrong type or size", key);
		r = SK_ERR_FORMAT;
	} else
		memcpy(v, sqlite3_column_blob(st, 0), n);
	sqlite3_finalize(st);
	return r;
}

static int read_version(sqlite3 *db, int *version)
{
	sqlite3_stmt *st = NULL;
	int r = SK_ERR_DB;

	*version = 0;
	if (vault_db_prepare(db, "SELECT max(version) FROM schema_version", &st) != 0)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW) {
		vault_log("sqlite: %s", sqlite3_errmsg(db));
		goto out;
	}
	*version = sqlite3_column_type(st, 0) == SQLITE_INTEGER ? sqlite3_column_int(st, 0) : 0;
	r = 0;
out:
	sqlite3_finalize(st);
	return r;
}

static int migrate_one(sqlite3 *db, int from)
{
	char sql[96];
	int r;

	if ((r = vault_db_exec(db, migrations[from])) != 0)
		return r;
	snprintf(sql, sizeof(sql), "INSERT INTO schema_version(version) VALUES (%d)", from + 1);
	return vault_db_exec(db, sql);
}

int vault_schema_migrate(sqlite3 *db)
{
	int r, v;

	if ((r = vault_db_exec(db, "BEGIN IMMEDIATE")) != 0)
		return r;
	if ((r = vault_db_exec(db, "CREATE TABLE IF NOT EXISTS schema_version("
	    "version INTEGER NOT NULL)")) != 0 || (r = read_version(db, &v)) != 0)
		goto out;
	if (v > SCHEMA_VERSION) {
		vault_log("vault.db has schema %d, newer than this skinkey (%d)", v, SCHEMA_VERSION);
		r = SK_ERR_UNSUPPORTED;
		goto out;
	}
	for (; v < SCHEMA_VERSION; v++)
		if ((r = migrate_one(db, v)) != 0)
			goto out;
	r = vault_db_exec(db, "COMMIT");
out:
	if (r != 0)
		vault_db_exec(db, "ROLLBACK");
	return r;
}

int vault_store_schema_version(struct vault_store *st)
{
	int v;

	if (st == NULL || read_version(st->db, &v) != 0)
		return SK_ERR_DB;
	return v;
}

static int default_dir(char **out)
{
	const char *x = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	char buf[4096];
	int n;

	if (x != NULL && x[0] == '/')
		n = snprintf(buf, sizeof(buf), "%s/skinkey", x);
	else if (home != NULL && home[0] == '/')
		n = snprintf(buf, sizeof(buf), "%s/.local/share/skinkey", home);
	else {
		vault_log("neither XDG_DATA_HOME nor HOME is set");
		return SK_ERR_CONFIG;
	}
	if (n < 0 || (size_t)n >= sizeof(buf))
		return SK_ERR_ARG;
	if ((*out = strdup(buf)) == NULL)
		return SK_ERR_NOMEM;
	return 0;
}

/* mkdir -p with 0700 for what we create. */
static int make_dir(const char *dir)
{
	int r;

	if ((r = sk_mkdir_p(dir)) != 0)
		vault_log("%s: cannot create the directory", dir);
	return r;
}

/* Create vault.db 0600 before sqlite does (it would honour the umask). */
static int open_db(const char *dir, sqlite3 **db)
{
	char path[4096];
	int fd;

	*db = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/vault.db", dir) >= sizeof(path))
		return SK_ERR_ARG;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		vault_log("%s: %s", path, strerror(errno));
		return SK_ERR_IO;
	}
	close(fd);
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) !=
	    SQLITE_OK) {
		vault_log("%s: %s", path, *db != NULL ? sqlite3_errmsg(*db) : "cannot open");
		sqlite3_close(*db);
		*db = NULL;
		return SK_ERR_DB;
	}
	sqlite3_busy_timeout(*db, 10000);
	return 0;
}

int vault_store_open(const char *dir, struct vault_store **out)
{
	struct vault_store *st = NULL;
	int r = SK_ERR_NOMEM;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		goto out;
	if (dir != NULL)
		r = (st->dir = strdup(dir)) == NULL ? SK_ERR_NOMEM : 0;
	else
		r = default_dir(&st->dir);
	if (r != 0 || (r = make_dir(st->dir)) != 0 || (r = open_db(st->dir, &st->db)) != 0)
		goto out;
	if ((r = vault_db_exec(st->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	    "PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON")) != 0 ||
	    (r = vault_schema_migrate(st->db)) != 0 ||
	    (r = vault_kek_load(st->dir, &st->kek)) != 0)
		goto out;
	*out = st;
	st = NULL;
out:
	vault_store_close(&st);
	return r;
}

void vault_store_close(struct vault_store **stp)
{
	struct vault_store *st;

	if (stp == NULL || (st = *stp) == NULL)
		return;
	if (st->db != NULL)
		sqlite3_close(st->db);
	vault_secret_free(&st->kek, VAULT_KEY_LEN);
	free(st->dir);
	free(st);
	*stp = NULL;
}
