/* Credentials in vault.db: add/update (encrypt inside one transaction, the id being part of the
 * key and AAD), get (decrypt), remove, and find by site/user through the indexes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vault/vault_int.h"

static int step_done(sqlite3 *db, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE) {
		vault_log("sqlite: %s", sqlite3_errmsg(db));
		return SK_ERR_DB;
	}
	return 0;
}

static int write_blob(struct vault_store *s, const uint8_t *k_vault, uint64_t id, int type,
    const char *site, const char *user, const uint8_t *secret, size_t len)
{
	sqlite3_stmt *st = NULL;
	uint8_t *blob = NULL;
	size_t blob_len = 0;
	int r;

	if ((r = vault_cred_encrypt(k_vault, type, id, user, site, secret, len, &blob,
	    &blob_len)) != 0)
		goto out;
	if ((r = vault_db_prepare(s->db, "UPDATE credentials SET blob = ?, updated = ? "
	    "WHERE id = ?", &st)) != 0)
		goto out;
	sqlite3_bind_blob(st, 1, blob, (int)blob_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, vault_now());
	sqlite3_bind_int64(st, 3, (sqlite3_int64)id);
	if ((r = step_done(s->db, st)) == 0 && sqlite3_changes(s->db) != 1)
		r = SK_ERR_NOT_FOUND;
out:
	sqlite3_finalize(st);
	free(blob);
	return r;
}

static int insert_row(struct vault_store *s, int type, const char *site, const char *user,
    uint64_t *id)
{
	sqlite3_stmt *st = NULL;
	int64_t now = vault_now();
	int r;

	if ((r = vault_db_prepare(s->db, "INSERT INTO credentials(site, user, type, blob, created,"
	    " updated) VALUES (?, ?, ?, x'', ?, ?)", &st)) != 0)
		return r;
	sqlite3_bind_text(st, 1, site, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, type);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, now);
	if ((r = step_done(s->db, st)) == 0)
		*id = (uint64_t)sqlite3_last_insert_rowid(s->db);
	sqlite3_finalize(st);
	return r;
}

int vault_cred_add(struct vault_store *s, const uint8_t k_vault[VAULT_KEY_LEN], int type,
    const char *site, const char *user, const uint8_t *secret, size_t len, uint64_t *id)
{
	uint64_t nid = 0;
	int r, nested = 0;

	if (id != NULL)
		*id = 0;
	if (s == NULL || k_vault == NULL || site == NULL || user == NULL)
		return SK_ERR_ARG;
	if (vault_type_name(type) == NULL) {
		vault_log("credential type %d unknown", type);
		return SK_ERR_ARG;
	}
	if ((r = vault_tx_begin(s->db, &nested)) != 0)
		return r;
	if ((r = insert_row(s, type, site, user, &nid)) != 0 ||
	    (r = write_blob(s, k_vault, nid, type, site, user, secret, len)) != 0 ||
	    (r = vault_tx_commit(s->db, nested)) != 0)
		goto out;
	if (id != NULL)
		*id = nid;
out:
	if (r != 0)
		vault_tx_rollback(s->db, nested);
	return r;
}

static char *col_text(sqlite3_stmt *st, int i, int *corrupt)
{
	const unsigned char *t;

	if (sqlite3_column_type(st, i) != SQLITE_TEXT ||
	    (t = sqlite3_column_text(st, i)) == NULL) {
		*corrupt = 1;
		return strdup("");
	}
	return strdup((const char *)t);
}

/* Fill c from a row (id, site, user, type, created, updated); a wrong column type marks it
 * corrupt instead of failing, so one bad row never hides the others. */
int vault_row_to_cred(sqlite3_stmt *st, struct vault_cred *c)
{
	memset(c, 0, sizeof(*c));
	c->id = (uint64_t)sqlite3_column_int64(st, 0);
	c->site = col_text(st, 1, &c->corrupt);
	c->user = col_text(st, 2, &c->corrupt);
	if (sqlite3_column_type(st, 3) != SQLITE_INTEGER ||
	    vault_type_name(sqlite3_column_int(st, 3)) == NULL)
		c->corrupt = 1;
	else
		c->type = sqlite3_column_int(st, 3);
	c->created = sqlite3_column_int64(st, 4);
	c->updated = sqlite3_column_int64(st, 5);
	if (c->site == NULL || c->user == NULL) {
		vault_cred_clear(c);
		return SK_ERR_NOMEM;
	}
	return 0;
}

void vault_cred_clear(struct vault_cred *c)
{
	if (c == NULL)
		return;
	free(c->site);
	free(c->user);
	memset(c, 0, sizeof(*c));
}

int vault_cred_info(struct vault_store *s, uint64_t id, struct vault_cred *out)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	if (out == NULL)
		return SK_ERR_ARG;
	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return SK_ERR_ARG;
	if ((r = vault_db_prepare(s->db, "SELECT id, site, user, type, created, updated "
	    "FROM credentials WHERE id = ?", &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		r = vault_row_to_cred(st, out);
	else if (rc == SQLITE_DONE)
		r = SK_ERR_NOT_FOUND;
	else {
		vault_log("sqlite: %s", sqlite3_errmsg(s->db));
		r = vault_db_err(s->db);
	}
	sqlite3_finalize(st);
	return r;
}

static int decrypt_row(sqlite3_stmt *st, const uint8_t *k_vault, uint64_t id,
    uint8_t **secret, size_t *len)
{
	int type = sqlite3_column_int(st, 2);
	int n;

	if (sqlite3_column_type(st, 0) != SQLITE_TEXT || sqlite3_column_type(st, 1) != SQLITE_TEXT ||
	    sqlite3_column_type(st, 2) != SQLITE_INTEGER || vault_type_name(type) == NULL ||
	    sqlite3_column_type(st, 3) != SQLITE_BLOB) {
		vault_log("credential %llu: row has wrong column types", (unsigned long long)id);
		return SK_ERR_FORMAT;
	}
	n = sqlite3_column_bytes(st, 3);
	return vault_cred_decrypt(k_vault, type, id, (const char *)sqlite3_column_text(st, 1),
	    (const char *)sqlite3_column_text(st, 0), sqlite3_column_blob(st, 3), (size_t)n,
	    secret, len);
}

int vault_cred_get(struct vault_store *s, const uint8_t k_vault[VAULT_KEY_LEN], uint64_t id,
    uint8_t **secret, size_t *len)
{
	sqlite3_stmt *st = NULL;
	int r, rc;

	if (secret == NULL || len == NULL)
		return SK_ERR_ARG;
	*secret = NULL;
	*len = 0;
	if (s == NULL || k_vault == NULL)
		return SK_ERR_ARG;
	if ((r = vault_db_prepare(s->db, "SELECT site, user, type, blob FROM credentials "
	    "WHERE id = ?", &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		r = decrypt_row(st, k_vault, id, secret, len);
	else if (rc == SQLITE_DONE)
		r = SK_ERR_NOT_FOUND;
	else {
		vault_log("sqlite: %s", sqlite3_errmsg(s->db));
		r = vault_db_err(s->db);
	}
	if (r != 0 && r != SK_ERR_NOT_FOUND && r != SK_ERR_DB)
		vault_log("credential %llu cannot be decrypted", (unsigned long long)id);
	sqlite3_finalize(st);
	return r;
}

int vault_cred_update(struct vault_store *s, const uint8_t k_vault[VAULT_KEY_LEN], uint64_t id,
    const uint8_t *secret, size_t len)
{
	struct vault_cred c;
	int r, nested = 0;

	if (s == NULL || k_vault == NULL)
		return SK_ERR_ARG;
	if ((r = vault_tx_begin(s->db, &nested)) != 0)
		return r;
	if ((r = vault_cred_info(s, id, &c)) != 0)
		goto out;
	if (c.corrupt) {
		vault_log("credential %llu is corrupt; remove it instead", (unsigned long long)id);
		r = SK_ERR_FORMAT;
		goto out;
	}
	if ((r = write_blob(s, k_vault, id, c.type, c.site, c.user, secret, len)) != 0)
		goto out;
	r = vault_tx_commit(s->db, nested);
out:
	if (r != 0)
		vault_tx_rollback(s->db, nested);
	vault_cred_clear(&c);
	return r;
}

int vault_cred_remove(struct vault_store *s, uint64_t id)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (s == NULL)
		return SK_ERR_ARG;
	if ((r = vault_db_prepare(s->db, "DELETE FROM credentials WHERE id = ?", &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	if ((r = step_done(s->db, st)) == 0 && sqlite3_changes(s->db) == 0)
		r = SK_ERR_NOT_FOUND;
	sqlite3_finalize(st);
	return r;
}

int vault_cred_count(struct vault_store *s, uint64_t *n)
{
	sqlite3_stmt *st = NULL;
	int r;

	*n = 0;
	if ((r = vault_db_prepare(s->db, "SELECT count(*) FROM credentials", &st)) != 0)
		return r;
	if (sqlite3_step(st) == SQLITE_ROW)
		*n = (uint64_t)sqlite3_column_int64(st, 0);
	else
		r = SK_ERR_DB;
	sqlite3_finalize(st);
	return r;
}
