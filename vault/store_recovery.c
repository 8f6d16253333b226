/* Recovery path B in the store: K_vault split 3-of-5; only SHA-256(salt ‖ share) is kept,
 * with a random salt per vault split and per index, so the db alone confirms nothing about
 * a guessed share faster than guessing 256 bits. A key check value recognises K_vault. */
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vault/vault_int.h"

#define KEYCHECK_INFO "skinkey-vault-keycheck-v1"

static int key_check_value(const uint8_t *k_vault, uint8_t out[32])
{
	return vault_hkdf(k_vault, VAULT_KEY_LEN, NULL, 0, KEYCHECK_INFO, out, 32);
}

int vault_key_check_set(struct vault_store *s, const uint8_t k_vault[VAULT_KEY_LEN])
{
	uint8_t kcv[32];
	int r;

	if (s == NULL || k_vault == NULL)
		return SK_ERR_ARG;
	if ((r = key_check_value(k_vault, kcv)) == 0)
		r = vault_meta_put(s, "key_check", kcv, sizeof(kcv));
	OPENSSL_cleanse(kcv, sizeof(kcv));
	return r;
}

int vault_key_check_verify(struct vault_store *s, const uint8_t k_vault[VAULT_KEY_LEN])
{
	uint8_t kcv[32], stored[32];
	int r;

	if (s == NULL || k_vault == NULL)
		return SK_ERR_ARG;
	if ((r = vault_meta_get(s, "key_check", stored, sizeof(stored))) != 0 ||
	    (r = key_check_value(k_vault, kcv)) != 0)
		goto out;
	if (CRYPTO_memcmp(kcv, stored, sizeof(kcv)) != 0) {
		vault_log("this is not the vault's key");
		r = SK_ERR_CRYPTO;
	}
out:
	OPENSSL_cleanse(kcv, sizeof(kcv));
	return r;
}

static int store_share(struct vault_store *s, const struct vault_share *sh)
{
	sqlite3_stmt *st = NULL;
	uint8_t salt[16], hash[32];
	int r;

	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return SK_ERR_CRYPTO;
	if ((r = vault_share_hash(sh, salt, hash)) != 0 ||
	    (r = vault_db_prepare(s->db, "INSERT INTO recovery_shares(x, split, salt, hash,"
	    " created) VALUES (?, ?, ?, ?, ?)", &st)) != 0)
		return r;
	sqlite3_bind_int(st, 1, sh->x);
	sqlite3_bind_blob(st, 2, sh->set, sizeof(sh->set), SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, salt, sizeof(salt), SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, hash, sizeof(hash), SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, vault_now());
	if (sqlite3_step(st) != SQLITE_DONE) {
		vault_log("recovery: %s", sqlite3_errmsg(s->db));
		r = vault_db_err(s->db);
	}
	sqlite3_finalize(st);
	return r;
}

int vault_recovery_split(struct vault_store *s, const uint8_t k_vault[VAULT_KEY_LEN],
    struct vault_share shares[VAULT_SHARES_N])
{
	unsigned i;
	int r, nested = 0;

	if (s == NULL || k_vault == NULL || shares == NULL)
		return SK_ERR_ARG;
	if ((r = vault_shamir_split(k_vault, VAULT_SHARES_K, VAULT_SHARES_N, shares)) != 0)
		return r;
	if ((r = vault_tx_begin(s->db, &nested)) != 0)
		goto out;
	if ((r = vault_db_exec(s->db, "DELETE FROM recovery_shares")) != 0)
		goto out;
	for (i = 0; i < VAULT_SHARES_N; i++)
		if ((r = store_share(s, &shares[i])) != 0)
			goto out;
	if ((r = vault_key_check_set(s, k_vault)) != 0)
		goto out;
	r = vault_tx_commit(s->db, nested);
out:
	if (r != 0) {
		vault_tx_rollback(s->db, nested);
		vault_share_wipe(shares, VAULT_SHARES_N);
	}
	return r;
}

int vault_recovery_check_share(struct vault_store *s, const struct vault_share *sh)
{
	sqlite3_stmt *st = NULL;
	uint8_t hash[32];
	int r;

	if (s == NULL || sh == NULL)
		return SK_ERR_ARG;
	if ((r = vault_db_prepare(s->db, "SELECT split, salt, hash FROM recovery_shares "
	    "WHERE x = ?", &st)) != 0)
		return r;
	sqlite3_bind_int(st, 1, sh->x);
	r = SK_ERR_NOT_FOUND;
	if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_bytes(st, 0) != sizeof(sh->set) ||
	    memcmp(sqlite3_column_blob(st, 0), sh->set, sizeof(sh->set)) != 0) {
		vault_log("share %u: no such share in the current split", sh->x);
		goto out;
	}
	r = SK_ERR_FORMAT;
	if (sqlite3_column_bytes(st, 1) != 16 || sqlite3_column_bytes(st, 2) != 32) {
		vault_log("recovery_shares row %u is corrupt", sh->x);
		goto out;
	}
	if ((r = vault_share_hash(sh, sqlite3_column_blob(st, 1), hash)) != 0)
		goto out;
	if (CRYPTO_memcmp(hash, sqlite3_column_blob(st, 2), sizeof(hash)) != 0) {
		vault_log("share %u does not match its stored hash", sh->x);
		r = SK_ERR_CRYPTO;
	}
out:
	sqlite3_finalize(st);
	return r;
}

int vault_recovery_combine(struct vault_store *s, const struct vault_share *shares, unsigned k,
    uint8_t k_vault[VAULT_KEY_LEN])
{
	unsigned i;
	int r;

	if (s == NULL || shares == NULL || k_vault == NULL)
		return SK_ERR_ARG;
	OPENSSL_cleanse(k_vault, VAULT_KEY_LEN);
	if (k < VAULT_SHARES_K) {
		vault_log("recovery needs %d shares, got %u", VAULT_SHARES_K, k);
		return SK_ERR_ARG;
	}
	for (i = 0; i < k; i++)
		if ((r = vault_recovery_check_share(s, &shares[i])) != 0)
			return r;
	if ((r = vault_shamir_combine(shares, k, k_vault)) == 0 &&
	    (r = vault_key_check_verify(s, k_vault)) != 0)
		OPENSSL_cleanse(k_vault, VAULT_KEY_LEN);
	return r;
}
