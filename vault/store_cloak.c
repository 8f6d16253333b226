/* store_cloak.c — cloaked rows for duress contexts (doc/DURESS.md, "The vault per context"):
 * rows of vault.db whose site is VAULT_CLOAK_SITE, whose user is a random handle, whose type is
 * `password` and whose times are 0. A row is either a filler (random blob bytes of a plausible
 * length) or a credential sealed under a context's key; nothing in the row says which. Which
 * rows are a context's, and their names, live in that context's own record (agent/). */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vault/vault_int.h"

static int random_blob(uint8_t **blob, size_t *len)
{
	uint8_t n = 0;

	/* a sealed password of 8..71 bytes: 1 + 12 + n + 16 */
	if (RAND_bytes(&n, 1) != 1)
		return SK_ERR_CRYPTO;
	*len = VAULT_BLOB_OVERHEAD + 8 + (n % 64);
	if ((*blob = malloc(*len)) == NULL)
		return SK_ERR_NOMEM;
	if (RAND_bytes(*blob, (int)*len) != 1) {
		free(*blob);
		*blob = NULL;
		return SK_ERR_CRYPTO;
	}
	(*blob)[0] = VAULT_BLOB_VERSION;   /* as a sealed blob starts */
	return 0;
}

static int set_blob(struct vault_store *s, uint64_t id, const uint8_t *blob, size_t len)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = vault_db_prepare(s->db, "UPDATE credentials SET blob = ?, created = 0, "
	    "updated = 0 WHERE id = ? AND site = ?", &st)) != 0)
		return r;
	sqlite3_bind_blob(st, 1, blob, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)id);
	sqlite3_bind_text(st, 3, VAULT_CLOAK_SITE, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		vault_log("sqlite: %s", sqlite3_errmsg(s->db));
		r = vault_db_err(s->db);
	} else if (sqlite3_changes(s->db) != 1) {
		r = SK_ERR_NOT_FOUND;
	}
	sqlite3_finalize(st);
	return r;
}

int vault_cloak_fill(struct vault_store *s, unsigned rows)
{
	sqlite3_stmt *st = NULL;
	uint8_t *blob = NULL, h[16];
	size_t len = 0;
	char user[33];
	int r, nested = 0;

	if (rows == 0 || rows > 4096)
		return SK_ERR_ARG;
	if ((r = vault_tx_begin(s->db, &nested)) != 0)
		return r;
	if ((r = vault_db_prepare(s->db, "INSERT INTO credentials(site, user, type, blob, created, "
	    "updated) VALUES (?, ?, ?, ?, 0, 0)", &st)) != 0)
		goto out;
	for (unsigned i = 0; i < rows; i++) {
		if (RAND_bytes(h, sizeof(h)) != 1 || (r = random_blob(&blob, &len)) != 0) {
			r = r != 0 ? r : SK_ERR_CRYPTO;
			goto out;
		}
		for (size_t k = 0; k < sizeof(h); k++)
			snprintf(user + 2 * k, 3, "%02x", h[k]);
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, VAULT_CLOAK_SITE, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, user, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 3, VAULT_TYPE_PASSWORD);
		sqlite3_bind_blob(st, 4, blob, (int)len, SQLITE_TRANSIENT);
		free(blob);
		blob = NULL;
		if (sqlite3_step(st) != SQLITE_DONE) {
			vault_log("sqlite: %s", sqlite3_errmsg(s->db));
			r = vault_db_err(s->db);
			goto out;
		}
	}
	r = 0;
out:
	sqlite3_finalize(st);
	free(blob);
	if (r == 0)
		r = vault_tx_commit(s->db, nested);
	else
		vault_tx_rollback(s->db, nested);
	return r;
}

int vault_cloak_ids(struct vault_store *s, uint64_t **ids, size_t *n)
{
	sqlite3_stmt *st = NULL;
	uint64_t *v = NULL, *nv;
	size_t cnt = 0, cap = 0;
	int r, sr;

	*ids = NULL;
	*n = 0;
	if ((r = vault_db_prepare(s->db, "SELECT id FROM credentials WHERE site = ? ORDER BY id",
	    &st)) != 0)
		return r;
	sqlite3_bind_text(st, 1, VAULT_CLOAK_SITE, -1, SQLITE_STATIC);
	while ((sr = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 128;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				r = SK_ERR_NOMEM;
				goto out;
			}
			v = nv;
		}
		v[cnt++] = (uint64_t)sqlite3_column_int64(st, 0);
	}
	if (sr != SQLITE_DONE) {
		vault_log("sqlite: %s", sqlite3_errmsg(s->db));
		r = SK_ERR_DB;
		goto out;
	}
	*ids = v;
	*n = cnt;
	v = NULL;
out:
	free(v);
	sqlite3_finalize(st);
	return r;
}

int vault_cloak_write(struct vault_store *s, const uint8_t key[VAULT_KEY_LEN], uint64_t id,
    const uint8_t *secret, size_t len)
{
	struct vault_cred c;
	uint8_t *blob = NULL;
	size_t blob_len = 0;
	int r;

	if ((r = vault_cred_info(s, id, &c)) != 0)
		return r;
	if (strcmp(c.site, VAULT_CLOAK_SITE) != 0) {
		r = SK_ERR_NOT_FOUND;
		goto out;
	}
	if ((r = vault_cred_encrypt(key, VAULT_TYPE_PASSWORD, id, c.user, c.site, secret, len,
	    &blob, &blob_len)) != 0)
		goto out;
	r = set_blob(s, id, blob, blob_len);
out:
	free(blob);
	vault_cred_clear(&c);
	return r;
}

int vault_cloak_wipe(struct vault_store *s, uint64_t id)
{
	uint8_t *blob = NULL;
	size_t len = 0;
	int r;

	if ((r = random_blob(&blob, &len)) != 0)
		return r;
	r = set_blob(s, id, blob, len);
	free(blob);
	return r;
}
