/* The provisioning journal: a new DESFire key is wrapped and committed to vault.db BEFORE the
 * ChangeKey that installs it. After a crash, pending entries name every key the chip may now
 * hold, so the driver can try them instead of locking the user out of their own chip. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vault/vault_int.h"

enum { JOURNAL_PENDING = 0, JOURNAL_COMMITTED = 1, JOURNAL_ABANDONED = 2 };

static int journal_context(int64_t id, const char *chip_id, unsigned key_no, unsigned ver,
    char *ctx, size_t cap)
{
	if ((size_t)snprintf(ctx, cap, "skinkey-journal-v1;e=%lld;chip=%s;k=%u;v=%u",
	    (long long)id, chip_id, key_no, ver) >= cap)
		return SK_ERR_ARG;
	return 0;
}

/* The entry id is part of the wrap context, so insert a placeholder first, then the key. */
static int journal_insert(struct vault_store *s, const char *chip_id, unsigned key_no,
    unsigned ver, int64_t *id)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = vault_db_prepare(s->db, "INSERT INTO journal(chip_id, key_no, key_version, key,"
	    " created) VALUES (?, ?, ?, x'', ?)", &st)) != 0)
		return r;
	sqlite3_bind_text(st, 1, chip_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, key_no);
	sqlite3_bind_int64(st, 3, ver);
	sqlite3_bind_int64(st, 4, vault_now());
	if (sqlite3_step(st) != SQLITE_DONE) {
		vault_log("journal: %s", sqlite3_errmsg(s->db));
		r = vault_db_err(s->db);
	} else
		*id = sqlite3_last_insert_rowid(s->db);
	sqlite3_finalize(st);
	return r;
}

static int journal_set_key(struct vault_store *s, int64_t id, const uint8_t *w, size_t wlen)
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = vault_db_prepare(s->db, "UPDATE journal SET key = ? WHERE id = ?", &st)) != 0)
		return r;
	sqlite3_bind_blob(st, 1, w, (int)wlen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	if (sqlite3_step(st) != SQLITE_DONE) {
		vault_log("journal: %s", sqlite3_errmsg(s->db));
		r = vault_db_err(s->db);
	}
	sqlite3_finalize(st);
	return r;
}

int vault_journal_record(struct vault_store *s, const char *chip_id, unsigned key_no,
    unsigned key_version, const uint8_t *key, size_t key_len, int64_t *entry_id)
{
	char ctx[160];
	uint8_t *w = NULL;
	size_t wlen = 0;
	int64_t id = 0;
	int r, nested = 0;

	if (entry_id != NULL)
		*entry_id = 0;
	if (s == NULL || chip_id == NULL || strlen(chip_id) >= 64 || key == NULL ||
	    key_len == 0 || key_len > 64)
		return SK_ERR_ARG;
	if (!sqlite3_get_autocommit(s->db)) {
		/* the entry must be durable before the ChangeKey, not at some outer commit */
		vault_log("journal: refusing to record inside an open transaction");
		return SK_ERR_BUSY;
	}
	if ((r = vault_tx_begin(s->db, &nested)) != 0)
		return r;
	if ((r = journal_insert(s, chip_id, key_no, key_version, &id)) != 0 ||
	    (r = journal_context(id, chip_id, key_no, key_version, ctx, sizeof(ctx))) != 0 ||
	    (r = vault_wrap(s->kek, ctx, key, key_len, &w, &wlen)) != 0 ||
	    (r = journal_set_key(s, id, w, wlen)) != 0)
		goto out;
	/* synchronous=FULL: when COMMIT returns, the key is on disk before any ChangeKey */
	if ((r = vault_tx_commit(s->db, nested)) != 0)
		goto out;
	if (entry_id != NULL)
		*entry_id = id;
out:
	if (r != 0)
		vault_tx_rollback(s->db, nested);
	free(w);
	return r;
}

static int journal_set_state(struct vault_store *s, int64_t id, int state)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (s == NULL)
		return SK_ERR_ARG;
	if ((r = vault_db_prepare(s->db, "UPDATE journal SET state = ? WHERE id = ? AND state = 0",
	    &st)) != 0)
		return r;
	sqlite3_bind_int(st, 1, state);
	sqlite3_bind_int64(st, 2, id);
	if (sqlite3_step(st) != SQLITE_DONE) {
		vault_log("journal: %s", sqlite3_errmsg(s->db));
		r = vault_db_err(s->db);
	} else if (sqlite3_changes(s->db) != 1) {
		vault_log("journal entry %lld is not pending", (long long)id);
		r = SK_ERR_NOT_FOUND;
	}
	sqlite3_finalize(st);
	return r;
}

int vault_journal_commit(struct vault_store *s, int64_t entry_id)
{
	return journal_set_state(s, entry_id, JOURNAL_COMMITTED);
}

int vault_journal_abandon(struct vault_store *s, int64_t entry_id)
{
	return journal_set_state(s, entry_id, JOURNAL_ABANDONED);
}

int vault_journal_pending(struct vault_store *s, struct vault_journal_entry **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	struct vault_journal_entry *v = NULL, *nv;
	size_t cnt = 0;
	int r, rc;

	*out = NULL;
	*n = 0;
	if ((r = vault_db_prepare(s->db, "SELECT id, chip_id, key_no, key_version, created "
	    "FROM journal WHERE state = 0 ORDER BY id", &st)) != 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((nv = realloc(v, (cnt + 1) * sizeof(*v))) == NULL) {
			r = SK_ERR_NOMEM;
			goto out;
		}
		v = nv;
		memset(&v[cnt], 0, sizeof(v[cnt]));
		v[cnt].id = sqlite3_column_int64(st, 0);
		if (sqlite3_column_type(st, 1) == SQLITE_TEXT)
			snprintf(v[cnt].chip_id, sizeof(v[cnt].chip_id), "%s",
			    (const char *)sqlite3_column_text(st, 1));
		v[cnt].key_no = (unsigned)sqlite3_column_int64(st, 2);
		v[cnt].key_version = (unsigned)sqlite3_column_int64(st, 3);
		v[cnt].created = sqlite3_column_int64(st, 4);
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

int vault_journal_key(struct vault_store *s, int64_t entry_id, uint8_t **key, size_t *len)
{
	sqlite3_stmt *st = NULL;
	char ctx[160];
	int r;

	*key = NULL;
	*len = 0;
	if ((r = vault_db_prepare(s->db, "SELECT chip_id, key_no, key_version, key FROM journal "
	    "WHERE id = ?", &st)) != 0)
		return r;
	sqlite3_bind_int64(st, 1, entry_id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		r = SK_ERR_NOT_FOUND;
		goto out;
	}
	if (sqlite3_column_type(st, 0) != SQLITE_TEXT || sqlite3_column_type(st, 3) != SQLITE_BLOB) {
		vault_log("journal entry %lld is corrupt", (long long)entry_id);
		r = SK_ERR_FORMAT;
		goto out;
	}
	if ((r = journal_context(entry_id, (const char *)sqlite3_column_text(st, 0),
	    (unsigned)sqlite3_column_int64(st, 1), (unsigned)sqlite3_column_int64(st, 2), ctx,
	    sizeof(ctx))) != 0)
		goto out;
	r = vault_unwrap(s->kek, ctx, sqlite3_column_blob(st, 3),
	    (size_t)sqlite3_column_bytes(st, 3), key, len);
out:
	sqlite3_finalize(st);
	return r;
}

#define PROV_CONTEXT "skinkey-prov-record-v1"

int vault_prov_record_store(struct vault_store *s, const uint8_t *rec, size_t len)
{
	uint8_t *w = NULL;
	size_t wlen = 0;
	int r;

	if (s == NULL || rec == NULL || len == 0 || len > 1024)
		return SK_ERR_ARG;
	if (!sqlite3_get_autocommit(s->db)) {
		vault_log("provisioning record: refusing to store inside an open transaction");
		return SK_ERR_BUSY;
	}
	if ((r = vault_wrap(s->kek, PROV_CONTEXT, rec, len, &w, &wlen)) != 0)
		return r;
	r = vault_meta_put(s, "prov_record", w, wlen);
	free(w);
	return r;
}

int vault_prov_record_load(struct vault_store *s, uint8_t *rec, size_t len)
{
	sqlite3_stmt *st = NULL;
	uint8_t *p = NULL;
	size_t plen = 0;
	int r;

	if (s == NULL || rec == NULL)
		return SK_ERR_ARG;
	if ((r = vault_db_prepare(s->db, "SELECT value FROM meta WHERE key = 'prov_record'",
	    &st)) != 0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW) {
		r = SK_ERR_NOT_FOUND;
		goto out;
	}
	if ((r = vault_unwrap(s->kek, PROV_CONTEXT, sqlite3_column_blob(st, 0),
	    (size_t)sqlite3_column_bytes(st, 0), &p, &plen)) != 0)
		goto out;
	if (plen != len) {
		vault_log("provisioning record has %zu bytes, expected %zu", plen, len);
		r = SK_ERR_FORMAT;
		goto out;
	}
	memcpy(rec, p, len);
out:
	vault_secret_free(&p, plen);
	sqlite3_finalize(st);
	return r;
}

int vault_prov_record_clear(struct vault_store *s)
{
	if (s == NULL)
		return SK_ERR_ARG;
	return vault_db_exec(s->db, "DELETE FROM meta WHERE key = 'prov_record'");
}
