/* vault_int.h — shared between the files of vault/ only; never included from another folder. */
#ifndef SK_VAULT_INT_H
#define SK_VAULT_INT_H

#include <sqlite3.h>
#include <stdarg.h>

#include "vault/vault.h"

/* Diagnostics on failing branches: why, never a secret. */
void vault_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* HKDF-SHA256 into out[out_len]. */
int vault_hkdf(const uint8_t *key, size_t key_len, const uint8_t *salt, size_t salt_len,
    const char *info, uint8_t *out, size_t out_len);
/* Secure-heap allocation (zeroed); NULL on failure. Free with vault_secret_free. */
uint8_t *vault_secret_alloc(size_t len);

struct vault_store {
	sqlite3 *db;
	uint8_t *kek;          /* VAULT_KEY_LEN bytes, secure memory */
	char *dir;
};

int vault_kek_load(const char *dir, uint8_t **kek);
int vault_schema_migrate(sqlite3 *db);
int vault_db_exec(sqlite3 *db, const char *sql);
/* The last failure on db: SK_ERR_FULL when the disk is full (nothing was written), else
 * SK_ERR_DB. */
int vault_db_err(sqlite3 *db);
int vault_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st);
int64_t vault_now(void);
int vault_meta_put(struct vault_store *s, const char *key, const uint8_t *v, size_t n);
/* Exactly n bytes, else SK_ERR_FORMAT; SK_ERR_NOT_FOUND when absent. */
int vault_meta_get(struct vault_store *s, const char *key, uint8_t *v, size_t n);
int vault_tx_begin(sqlite3 *db, int *nested);
int vault_tx_commit(sqlite3 *db, int nested);
void vault_tx_rollback(sqlite3 *db, int nested);
/* Row (id, site, user, type, created, updated) to a vault_cred; wrong types mark it corrupt. */
int vault_row_to_cred(sqlite3_stmt *st, struct vault_cred *c);

#endif
