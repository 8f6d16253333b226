/* state.c — state.db: the chips skinkeyd has seen and a cache of their public data.
 * $XDG_DATA_HOME/skinkey/state.db, WAL, synchronous=FULL, secure_delete (a deleted row's bytes
 * are overwritten, not left in free pages). One connection, one mutex.
 * The chip of an active duress context is never written here: its row and its cache go to the
 * context's own record (ctxrec_skd.c, doc/DURESS.md "Disk"). */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsdir.h"
#include "common/sk_err.h"
#include "skd_int.h"

static sqlite3 *db;
static pthread_mutex_t db_mu = PTHREAD_MUTEX_INITIALIZER;
static char db_path[PATH_MAX];
static int db_exclusive;

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "PRAGMA secure_delete=ON;"
    "CREATE TABLE IF NOT EXISTS chips ("
    "  id TEXT PRIMARY KEY, label TEXT NOT NULL DEFAULT '', applets TEXT NOT NULL DEFAULT '',"
    "  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS cache ("
    "  chip TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, updated INTEGER NOT NULL,"
    "  PRIMARY KEY (chip, key));";

int skd_data_path(const char *name, char *buf, size_t n)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	char dir[PATH_MAX];
	int r;

	if (xdg != NULL && xdg[0] == '/')
		snprintf(dir, sizeof(dir), "%s/skinkey", xdg);
	else if (home != NULL && home[0] == '/')
		snprintf(dir, sizeof(dir), "%s/.local/share/skinkey", home);
	else
		return SK_ERR_IO;
	/* a fresh account has no ~/.local at all: create every missing level (0700) */
	if ((r = sk_mkdir_p(dir)) != 0)
		return r;
	if (snprintf(buf, n, "%s/%s", dir, name) >= (int)n)
		return SK_ERR_TOOBIG;
	return 0;
}

static void private_if_exists(const char *db_file, const char *suffix)
{
	char p[PATH_MAX + 8];

	snprintf(p, sizeof(p), "%s%s", db_file, suffix);
	if (access(p, F_OK) == 0)
		(void)sk_private_file(p);
}

static int db_err(void)
{
	int c = db != NULL ? sqlite3_errcode(db) & 0xff : SQLITE_ERROR;
	int e = db != NULL ? sqlite3_system_errno(db) : 0;

	return c == SQLITE_FULL || (c == SQLITE_IOERR && (e == ENOSPC || e == EDQUOT)) ?
	    SK_ERR_FULL : SK_ERR_DB;
}

static int open_db(const char *path, int exclusive)
{
	char *err = NULL;
	int r;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		sk_error("cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "no memory");
		skd_state_close();
		return SK_ERR_DB;
	}
	sqlite3_busy_timeout(db, 5000);
	if ((exclusive && sqlite3_exec(db, "PRAGMA locking_mode=EXCLUSIVE;", NULL, NULL, &err) !=
	    SQLITE_OK) || sqlite3_exec(db, schema, NULL, NULL, &err) != SQLITE_OK) {
		r = db_err();
		sk_error("state.db schema: %s", err ? err : "?");
		sqlite3_free(err);
		skd_state_close();
		return r;
	}
	return 0;
}

int skd_state_open(const char *path)
{
	char def[PATH_MAX];
	int r;

	if (path == NULL) {
		if ((r = skd_data_path("state.db", def, sizeof(def))) != 0) {
			sk_error("no place for state.db (XDG_DATA_HOME and HOME unset, or not creatable)");
			return r;
		}
		path = def;
	}
	/* 0600 before sqlite creates it (it would honour the umask), and sqlite gives -wal and
	 * -shm the database's mode; files of older versions are tightened */
	if ((r = sk_private_file(path)) != 0) {
		sk_error("state.db cannot be made (%s): serving without the cache of chips' public "
		    "data", sk_strerror(r));
		return 0;
	}
	private_if_exists(path, "-wal");
	private_if_exists(path, "-shm");
	snprintf(db_path, sizeof(db_path), "%s", path);
	if ((r = open_db(path, 0)) == 0)
		return 0;
	/* A full disk: WAL's shared-memory file cannot be made. Exclusive locking keeps the
	 * wal-index in memory, so the cache can still be read (writes fail: SK_ERR_FULL). */
	sk_warn("state.db: trying again without its shared-memory file (a full disk?)");
	if ((r = open_db(path, 1)) == 0) {
		db_exclusive = 1;
		sk_warn("state.db open for this daemon alone (the event outbox cannot share it)");
		return 0;
	}
	/* Not fatal either: chips are then known only while present, nothing is remembered. */
	sk_error("state.db cannot be used (%s): serving without the cache of chips' public data",
	    sk_strerror(r));
	return 0;
}

int skd_state_shareable(void)
{
	return db != NULL && !db_exclusive;
}

const char *skd_state_path(void)
{
	return db_path;
}

void skd_state_close(void)
{
	if (db != NULL)
		sqlite3_close(db);
	db = NULL;
}

int skd_state_chip_seen(const char *chipid, const char *applets, int64_t now)
{
	static const char sql[] =
	    "INSERT INTO chips (id, applets, first_seen, last_seen) VALUES (?1, COALESCE(?2, ''), ?3, ?3) "
	    "ON CONFLICT(id) DO UPDATE SET applets = COALESCE(?2, applets), last_seen = ?3";
	sqlite3_stmt *st = NULL;
	int r = SK_ERR_DB;

	if (skd_ctxrec_chip_seen(chipid, applets, now) == 0)
		return 0;
	pthread_mutex_lock(&db_mu);
	if (db == NULL || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, chipid, -1, SQLITE_TRANSIENT);
	if (applets != NULL)
		sqlite3_bind_text(st, 2, applets, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_int64(st, 3, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto out;
	r = 0;
out:
	if (r != 0)
		sk_error("state.db: recording chip %s: %s", chipid,
		    db ? sqlite3_errmsg(db) : "not open");
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db_mu);
	return r;
}

static void row_to_info(sqlite3_stmt *st, struct skd_chip_info *ci)
{
	const unsigned char *t;

	memset(ci, 0, sizeof(*ci));
	if ((t = sqlite3_column_text(st, 0)) != NULL)
		snprintf(ci->id, sizeof(ci->id), "%s", t);
	if ((t = sqlite3_column_text(st, 1)) != NULL)
		snprintf(ci->label, sizeof(ci->label), "%s", t);
	if ((t = sqlite3_column_text(st, 2)) != NULL)
		snprintf(ci->applets, sizeof(ci->applets), "%s", t);
	ci->first_seen = sqlite3_column_int64(st, 3);
	ci->last_seen = sqlite3_column_int64(st, 4);
}

int skd_state_chip_list(struct skd_chip_info **out, size_t *n)
{
	static const char sql[] =
	    "SELECT id, label, applets, first_seen, last_seen FROM chips ORDER BY last_seen DESC, id";
	sqlite3_stmt *st = NULL;
	struct skd_chip_info *v = NULL, *nv;
	size_t cnt = 0;
	int r = SK_ERR_DB, s;

	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&db_mu);
	if (db == NULL || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto out;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt >= 1024 || (nv = realloc(v, (cnt + 1) * sizeof(*v))) == NULL) {
			r = SK_ERR_NOMEM;
			goto out;
		}
		v = nv;
		row_to_info(st, &v[cnt++]);
	}
	if (s != SQLITE_DONE)
		goto out;
	if ((nv = realloc(v, (cnt + 1) * sizeof(*v))) == NULL) {
		r = SK_ERR_NOMEM;
		goto out;
	}
	v = nv;
	if (skd_ctxrec_chip_get(NULL, &v[cnt]) == 0)   /* the active context's chip */
		cnt++;
	*out = v;
	*n = cnt;
	v = NULL;
	r = 0;
out:
	free(v);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db_mu);
	return r;
}

int skd_state_chip_get(const char *chipid, struct skd_chip_info *out)
{
	static const char sql[] =
	    "SELECT id, label, applets, first_seen, last_seen FROM chips WHERE id = ?1";
	sqlite3_stmt *st = NULL;
	int r = SK_ERR_DB, s;

	memset(out, 0, sizeof(*out));
	if (skd_ctxrec_chip_get(chipid, out) == 0)
		return 0;
	pthread_mutex_lock(&db_mu);
	if (db == NULL || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, chipid, -1, SQLITE_TRANSIENT);
	if ((s = sqlite3_step(st)) == SQLITE_ROW) {
		row_to_info(st, out);
		r = 0;
	} else if (s == SQLITE_DONE) {
		r = SK_ERR_NOT_FOUND;
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db_mu);
	return r;
}

int skd_state_chip_label(const char *chipid, const char *label)
{
	static const char sql[] = "UPDATE chips SET label = ?2 WHERE id = ?1";
	sqlite3_stmt *st = NULL;
	int r = SK_ERR_DB;

	if (skd_ctxrec_owns(chipid))
		return skd_ctxrec_chip_label(chipid, label);
	pthread_mutex_lock(&db_mu);
	if (db == NULL || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, chipid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, label, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto out;
	r = sqlite3_changes(db) == 1 ? 0 : SK_ERR_NOT_FOUND;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db_mu);
	return r;
}

int skd_cache_get(const char *chipid, const char *key, uint8_t **val, size_t *len)
{
	static const char sql[] = "SELECT value FROM cache WHERE chip = ?1 AND key = ?2";
	sqlite3_stmt *st = NULL;
	const void *blob;
	int r = SK_ERR_DB, s, n;

	*val = NULL;
	*len = 0;
	if (skd_ctxrec_owns(chipid))
		return skd_ctxrec_get(chipid, key, val, len);
	pthread_mutex_lock(&db_mu);
	if (db == NULL || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, chipid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	if ((s = sqlite3_step(st)) == SQLITE_DONE) {
		r = SK_ERR_NOT_FOUND;
		goto out;
	}
	if (s != SQLITE_ROW)
		goto out;
	blob = sqlite3_column_blob(st, 0);
	n = sqlite3_column_bytes(st, 0);
	if ((*val = malloc((size_t)n + 1)) == NULL) {
		r = SK_ERR_NOMEM;
		goto out;
	}
	if (n > 0)
		memcpy(*val, blob, (size_t)n);
	(*val)[n] = 0;   /* text values can be used as C strings */
	*len = (size_t)n;
	r = 0;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db_mu);
	return r;
}

int skd_cache_put(const char *chipid, const char *key, const uint8_t *val, size_t len)
{
	static const char sql[] =
	    "INSERT OR REPLACE INTO cache (chip, key, value, updated) VALUES (?1, ?2, ?3, ?4)";
	sqlite3_stmt *st = NULL;
	int r = SK_ERR_DB;

	if (len > 1u << 20)
		return SK_ERR_TOOBIG;
	if (skd_ctxrec_owns(chipid))
		return skd_ctxrec_put(chipid, key, val, len);
	pthread_mutex_lock(&db_mu);
	if (db == NULL || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, chipid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 3, len ? (const void *)val : "", (int)len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
	if (sqlite3_step(st) != SQLITE_DONE)
		goto out;
	r = 0;
out:
	if (r != 0)
		sk_error("state.db: caching %s/%s failed", chipid, key);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db_mu);
	return r;
}

int skd_cache_del(const char *chipid, const char *prefix)
{
	static const char sql[] =
	    "DELETE FROM cache WHERE chip = ?1 AND substr(key, 1, length(?2)) = ?2";
	sqlite3_stmt *st = NULL;
	int r = SK_ERR_DB;

	if (skd_ctxrec_owns(chipid))
		return skd_ctxrec_del(chipid, prefix);
	pthread_mutex_lock(&db_mu);
	if (db == NULL || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, chipid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, prefix, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto out;
	r = 0;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db_mu);
	return r;
}

int skd_state_chip_forget(const char *chipid)
{
	static const char sql[] =
	    "DELETE FROM cache WHERE chip = ?1; DELETE FROM chips WHERE id = ?1";
	const char *tail = sql;
	sqlite3_stmt *st = NULL;
	int r = SK_ERR_DB;

	pthread_mutex_lock(&db_mu);
	/* overwrite what is deleted (not just unlink it) */
	if (db == NULL || sqlite3_exec(db, "PRAGMA secure_delete = ON", NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	while (tail != NULL && *tail != '\0') {
		if (sqlite3_prepare_v2(db, tail, -1, &st, &tail) != SQLITE_OK)
			goto out;
		if (st == NULL)
			break;
		sqlite3_bind_text(st, 1, chipid, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto out;
		sqlite3_finalize(st);
		st = NULL;
	}
	/* the WAL still holds the pages as they were: copy back and empty it */
	if (sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) != SQLITE_OK)
		sk_warn("state.db: checkpoint after forgetting a chip: %s", sqlite3_errmsg(db));
	r = 0;
out:
	if (r != 0)
		sk_error("state.db: forgetting chip %s: %s", chipid, db ? sqlite3_errmsg(db) : "not open");
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db_mu);
	return r;
}
