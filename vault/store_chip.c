/* Chips that hold K_vault: role (primary/backup/retired), K_chip wrapped under the local KEK,
 * key versions, originality check time; recovery path A (promote a backup, retire the rest). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vault/vault_int.h"

static int kchip_context(const char *chip_id, char *ctx, size_t cap)
{
	if ((size_t)snprintf(ctx, cap, "skinkey-kchip-v1;chip=%s", chip_id) >= cap)
		return SK_ERR_ARG;
	return 0;
}

static int check_chip_id(const char *chip_id)
{
	if (chip_id == NULL || chip_id[0] == '\0' || strlen(chip_id) >= 64) {
		vault_log("chip id missing or too long");
		return SK_ERR_ARG;
	}
	return 0;
}

static int insert_chip(struct vault_store *s, const char *chip_id, const uint8_t *uid,
    size_t uid_len, int role, const uint8_t *wrapped, size_t wlen, unsigned kv, unsigned vv)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	if ((r = vault_db_prepare(s->db, "INSERT INTO chips(chip_id, uid, role, kchip,"
	    " kchip_version, vault_version, created) VALUES (?, ?, ?, ?, ?, ?, ?)", &st)) != 0)
		return r;
	sqlite3_bind_text(st, 1, chip_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, uid, (int)uid_len, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, role);
	sqlite3_bind_blob(st, 4, wrapped, (int)wlen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, kv);
	sqlite3_bind_int64(st, 6, vv);
	sqlite3_bind_int64(st, 7, vault_now());
	rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT) {
		vault_log("chip %s already registered", chip_id);
		r = SK_ERR_EXISTS;
	} else if (rc != SQLITE_DONE) {
		vault_log("sqlite: %s", sqlite3_errmsg(s->db));
		r = vault_db_err(s->db);
	}
	sqlite3_finalize(st);
	return r;
}

int vault_chip_add(struct vault_store *s, const char *chip_id, const uint8_t *uid, size_t uid_len,
    int role, const uint8_t kchip[VAULT_KCHIP_LEN], unsigned kchip_version, unsigned vault_version)
{
	char ctx[128];
	uint8_t *w = NULL;
	size_t wlen = 0;
	int r;

	if (s == NULL || kchip == NULL || uid == NULL || uid_len == 0 || uid_len > 16 ||
	    (role != VAULT_ROLE_PRIMARY && role != VAULT_ROLE_BACKUP))
		return SK_ERR_ARG;
	if ((r = check_chip_id(chip_id)) != 0 || (r = kchip_context(chip_id, ctx, sizeof(ctx))) != 0)
		return r;
	if ((r = vault_wrap(s->kek, ctx, kchip, VAULT_KCHIP_LEN, &w, &wlen)) != 0)
		return r;
	r = insert_chip(s, chip_id, uid, uid_len, role, w, wlen, kchip_version, vault_version);
	free(w);
	return r;
}

static int row_to_chip(sqlite3_stmt *st, struct vault_chip *c)
{
	const void *uid = sqlite3_column_blob(st, 1);
	int n = sqlite3_column_bytes(st, 1);

	memset(c, 0, sizeof(*c));
	if (sqlite3_column_type(st, 0) != SQLITE_TEXT || sqlite3_column_type(st, 1) != SQLITE_BLOB ||
	    n <= 0 || n > (int)sizeof(c->uid) || sqlite3_column_bytes(st, 0) >= 64) {
		vault_log("chips: row has wrong column types or sizes");
		return SK_ERR_FORMAT;
	}
	snprintf(c->chip_id, sizeof(c->chip_id), "%s", (const char *)sqlite3_column_text(st, 0));
	memcpy(c->uid, uid, (size_t)n);
	c->uid_len = (size_t)n;
	c->role = sqlite3_column_int(st, 2);
	c->has_kchip = sqlite3_column_type(st, 3) == SQLITE_BLOB;
	c->kchip_version = (unsigned)sqlite3_column_int64(st, 4);
	c->vault_version = (unsigned)sqlite3_column_int64(st, 5);
	c->originality_verified_at = sqlite3_column_int64(st, 6);
	c->created = sqlite3_column_int64(st, 7);
	return 0;
}

#define CHIP_COLS "SELECT chip_id, uid, role, kchip, kchip_version, vault_version," \
	" originality_verified_at, created FROM chips "

static int chip_query_one(struct vault_store *s, const char *sql, const char *arg,
    struct vault_chip *out)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	memset(out, 0, sizeof(*out));
	if ((r = vault_db_prepare(s->db, sql, &st)) != 0)
		return r;
	if (arg != NULL)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		r = row_to_chip(st, out);
	else if (rc == SQLITE_DONE)
		r = SK_ERR_NOT_FOUND;
	else {
		vault_log("sqlite: %s", sqlite3_errmsg(s->db));
		r = vault_db_err(s->db);
	}
	sqlite3_finalize(st);
	return r;
}

int vault_chip_get(struct vault_store *s, const char *chip_id, struct vault_chip *out)
{
	int r;

	if (s == NULL || out == NULL || (r = check_chip_id(chip_id)) != 0)
		return SK_ERR_ARG;
	return chip_query_one(s, CHIP_COLS "WHERE chip_id = ?", chip_id, out);
}

int vault_chip_primary(struct vault_store *s, struct vault_chip *out)
{
	if (s == NULL || out == NULL)
		return SK_ERR_ARG;
	return chip_query_one(s, CHIP_COLS "WHERE role = 1 ORDER BY created DESC LIMIT 1", NULL,
	    out);
}

int vault_chip_list(struct vault_store *s, struct vault_chip **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	struct vault_chip *v = NULL, *nv;
	size_t cnt = 0;
	int r, rc;

	*out = NULL;
	*n = 0;
	if ((r = vault_db_prepare(s->db, CHIP_COLS "ORDER BY role, chip_id", &st)) != 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((nv = realloc(v, (cnt + 1) * sizeof(*v))) == NULL) {
			r = SK_ERR_NOMEM;
			goto out;
		}
		v = nv;
		if ((r = row_to_chip(st, &v[cnt])) != 0)
			goto out;
		cnt++;
	}
	if (rc != SQLITE_DONE) {
		r = SK_ERR_DB;
		goto out;
	}
	*out = v;
	*n = cnt;
	v = NULL;
out:
	free(v);
	sqlite3_finalize(st);
	return r;
}

int vault_chip_kchip(struct vault_store *s, const char *chip_id, uint8_t **kchip)
{
	sqlite3_stmt *st = NULL;
	char ctx[128];
	size_t len = 0;
	int r, rc;

	*kchip = NULL;
	if (s == NULL || (r = check_chip_id(chip_id)) != 0 ||
	    (r = kchip_context(chip_id, ctx, sizeof(ctx))) != 0)
		return SK_ERR_ARG;
	if ((r = vault_db_prepare(s->db, "SELECT kchip FROM chips WHERE chip_id = ?", &st)) != 0)
		return r;
	sqlite3_bind_text(st, 1, chip_id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW || sqlite3_column_type(st, 0) != SQLITE_BLOB) {
		vault_log("chip %s: %s", chip_id, rc == SQLITE_ROW ? "K_chip forgotten (retired)" :
		    "unknown");
		r = rc == SQLITE_ROW || rc == SQLITE_DONE ? SK_ERR_NOT_FOUND : SK_ERR_DB;
		goto out;
	}
	r = vault_unwrap(s->kek, ctx, sqlite3_column_blob(st, 0),
	    (size_t)sqlite3_column_bytes(st, 0), kchip, &len);
	if (r == 0 && len != VAULT_KCHIP_LEN) {
		vault_log("chip %s: wrapped K_chip has %zu bytes", chip_id, len);
		vault_secret_free(kchip, len);
		r = SK_ERR_FORMAT;
	}
out:
	sqlite3_finalize(st);
	return r;
}

static int exec_chip(struct vault_store *s, const char *sql, const char *chip_id, int64_t v)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = vault_db_prepare(s->db, sql, &st)) != 0)
		return r;
	sqlite3_bind_text(st, 1, chip_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	if (sqlite3_step(st) != SQLITE_DONE) {
		vault_log("sqlite: %s", sqlite3_errmsg(s->db));
		r = vault_db_err(s->db);
	} else if (sqlite3_changes(s->db) == 0)
		r = SK_ERR_NOT_FOUND;
	sqlite3_finalize(st);
	return r;
}

int vault_chip_set_originality(struct vault_store *s, const char *chip_id, int64_t when)
{
	if (s == NULL || check_chip_id(chip_id) != 0)
		return SK_ERR_ARG;
	return exec_chip(s, "UPDATE chips SET originality_verified_at = ?2 WHERE chip_id = ?1",
	    chip_id, when);
}

int vault_chip_retire(struct vault_store *s, const char *chip_id)
{
	if (s == NULL || check_chip_id(chip_id) != 0)
		return SK_ERR_ARG;
	return exec_chip(s, "UPDATE chips SET role = 3, kchip = NULL WHERE chip_id = ?1 AND ?2",
	    chip_id, 1);
}

int vault_chip_promote(struct vault_store *s, const char *backup_id)
{
	struct vault_chip c;
	int r, nested = 0;

	if (s == NULL || check_chip_id(backup_id) != 0)
		return SK_ERR_ARG;
	if ((r = vault_tx_begin(s->db, &nested)) != 0)
		return r;
	if ((r = vault_chip_get(s, backup_id, &c)) != 0)
		goto out;
	if (c.role != VAULT_ROLE_BACKUP || !c.has_kchip) {
		vault_log("chip %s is not a usable backup", backup_id);
		r = SK_ERR_ARG;
		goto out;
	}
	if ((r = exec_chip(s, "UPDATE chips SET role = 3, kchip = NULL WHERE role = ?2 AND "
	    "chip_id != ?1", backup_id, VAULT_ROLE_PRIMARY)) != 0 && r != SK_ERR_NOT_FOUND)
		goto out;
	if ((r = exec_chip(s, "UPDATE chips SET role = ?2 WHERE chip_id = ?1", backup_id,
	    VAULT_ROLE_PRIMARY)) != 0)
		goto out;
	if ((r = vault_tx_commit(s->db, nested)) != 0)
		goto out;
	/* secure_delete overwrote the old K_chip in the db; flush the WAL copy of it too */
	vault_db_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)");
out:
	if (r != 0)
		vault_tx_rollback(s->db, nested);
	return r;
}
