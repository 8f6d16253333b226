/* audit_int.h — audit/'s private pieces shared by its files (not part of the face). */
#ifndef SK_AUDIT_INT_H
#define SK_AUDIT_INT_H

#include <openssl/evp.h>
#include <sqlite3.h>

#include "audit/audit.h"

struct audit_log {
	sqlite3 *db;
	EVP_MD *sha256;          /* fetched once: an implicit fetch per row costs more than the hash */
	EVP_MD_CTX *md;
	int ro;
};

int audit_exec(sqlite3 *db, const char *sql);
/* row_hash with the log's digest context. */
int audit_hash_row(struct audit_log *l, const uint8_t prev[AUDIT_HASH_LEN], uint64_t seq,
    int64_t ts, const char *actor, const char *action, const char *details,
    uint8_t out[AUDIT_HASH_LEN]);
/* The same with the field lengths known (verification has them from sqlite). */
int audit_hash_fields(struct audit_log *l, const uint8_t prev[AUDIT_HASH_LEN], uint64_t seq,
    int64_t ts, const char *const f[3], const size_t len[3], uint8_t out[AUDIT_HASH_LEN]);
/* HMAC-SHA-256(key, hash) and key evolution with the log's digest context. */
int audit_hmac(struct audit_log *l, const uint8_t key[AUDIT_KEY_LEN],
    const uint8_t hash[AUDIT_HASH_LEN], uint8_t seal[AUDIT_HASH_LEN]);
int audit_evolve(struct audit_log *l, uint8_t key[AUDIT_KEY_LEN]);
/* Inside the append transaction: seal the new row seq (0 and *sealed = 0 when unsealed). */
int audit_seal_row(struct audit_log *l, uint64_t seq, const uint8_t hash[AUDIT_HASH_LEN],
    uint8_t seal[AUDIT_HASH_LEN], int *sealed);
/* The stored key state: SK_ERR_NOT_FOUND when the chain is not sealed. key may be NULL. */
int audit_key_state(struct audit_log *l, uint64_t *kidx, uint8_t key[AUDIT_KEY_LEN]);

#endif
