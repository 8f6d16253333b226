/* vault.h — the credential vault: per-credential encryption under K_vault, the sqlite store
 * (credentials, chips, provisioning journal, recovery share hashes) and recovery (Shamir 3-of-5).
 * Every function returns 0 or a negative SK_ERR_* (common/sk_err.h). Secrets handed out by this
 * library live in OpenSSL secure memory and are released with vault_secret_free(). */
#ifndef SK_VAULT_H
#define SK_VAULT_H

#include <stddef.h>
#include <stdint.h>

#include "common/sk_err.h"

#define VAULT_KEY_LEN       32          /* K_vault */
#define VAULT_KCHIP_LEN     16          /* a DESFire AES-128 key */
#define VAULT_BLOB_VERSION  0x01
#define VAULT_NONCE_LEN     12
#define VAULT_TAG_LEN       16
#define VAULT_BLOB_OVERHEAD (1 + VAULT_NONCE_LEN + VAULT_TAG_LEN)  /* 29 bytes */
#define VAULT_MAX_SECRET    65536       /* largest plaintext a credential may hold */
#define VAULT_MAX_FIELD     1024        /* largest user or site string, in bytes */

/* Credential types: each derives its key with its own HKDF info string, so a blob of one type
 * never decrypts as another even under the same id. The numbers are stored in vault.db. */
enum vault_type {
	VAULT_TYPE_PASSWORD = 1,  /* "skinkey-vault-password-v1" */
	VAULT_TYPE_NOTE = 2,      /* "skinkey-vault-note-v1" */
	VAULT_TYPE_FIDO = 3,      /* "skinkey-vault-fido-v1" */
	VAULT_TYPE_TOTP = 4,      /* "skinkey-vault-totp-v1" */
};
const char *vault_type_name(int type);           /* "password", ... or NULL */
int vault_type_from_name(const char *name);      /* VAULT_TYPE_* or SK_ERR_ARG */

/* Wipe and free a secret returned by this library (len = its length); accepts NULL. */
void vault_secret_free(uint8_t **p, size_t len);

/* ---- crypto (vault/crypto.c) --------------------------------------------------------------- */

/* blob = 0x01 ‖ nonce(12) ‖ ChaCha20-Poly1305(HKDF-SHA256(K_vault, salt = le64(id), info(type)),
 * plaintext, AAD = "u=<user>;rp=<site>;c=<id>" with '%', ';' and '=' percent-escaped).
 * *blob is plain heap memory (ciphertext), free() it. */
int vault_cred_encrypt(const uint8_t k_vault[VAULT_KEY_LEN], int type, uint64_t id,
    const char *user, const char *site, const uint8_t *pt, size_t pt_len,
    uint8_t **blob, size_t *blob_len);
/* *pt is secure memory with a trailing NUL (not counted): vault_secret_free(pt, *pt_len).
 * SK_ERR_CRYPTO when the tag does not verify (wrong key, tampered, swapped),
 * SK_ERR_FORMAT when truncated, SK_ERR_UNSUPPORTED for an unknown version, SK_ERR_TOOBIG. */
int vault_cred_decrypt(const uint8_t k_vault[VAULT_KEY_LEN], int type, uint64_t id,
    const char *user, const char *site, const uint8_t *blob, size_t blob_len,
    uint8_t **pt, size_t *pt_len);
/* The AAD bytes (exposed for tests): heap string, free(). */
int vault_aad(const char *user, const char *site, uint64_t id, char **out, size_t *out_len);
/* Wrap a small secret (K_chip) under the local KEK with a context string as AAD.
 * Same blob format as credentials, key = HKDF(kek, salt = "", info = "skinkey-kek-wrap-v1"). */
int vault_wrap(const uint8_t kek[VAULT_KEY_LEN], const char *context,
    const uint8_t *secret, size_t len, uint8_t **blob, size_t *blob_len);
int vault_unwrap(const uint8_t kek[VAULT_KEY_LEN], const char *context,
    const uint8_t *blob, size_t blob_len, uint8_t **secret, size_t *len);

/* ---- Shamir over GF(2^8), polynomial 0x11B (vault/shamir.c, vault/share.c) ------------------ */

#define VAULT_SHARES_N        5
#define VAULT_SHARES_K        3
#define VAULT_SHARE_TEXT_MAX  96   /* "SKV1-" + 16 groups of 4 base32 chars separated by '-' */

struct vault_share {
	uint8_t set[3];                 /* split id: all shares of one split carry the same */
	uint8_t x;                      /* 1..255 */
	uint8_t y[VAULT_KEY_LEN];
};
/* Split a 32-byte secret into n shares (k needed), 2 <= k <= n <= 255. shares[n] is filled. */
int vault_shamir_split(const uint8_t secret[VAULT_KEY_LEN], unsigned k, unsigned n,
    struct vault_share *shares);
/* Combine exactly k distinct shares of one split. Needs k >= 2; with fewer than the split's
 * threshold the result is a wrong (uniformly distributed) key — callers check it. */
int vault_shamir_combine(const struct vault_share *shares, unsigned k,
    uint8_t secret[VAULT_KEY_LEN]);
/* Printable form: "SKV1-XXXX-XXXX-…" (Crockford base32 of set‖x‖y‖check4, check = first 4 bytes
 * of SHA-256("skinkey-share-v1" ‖ set ‖ x ‖ y)). Parsing ignores case, spaces and dashes, maps
 * O→0, I/L→1 and rejects anything whose checksum fails (SK_ERR_CRYPTO) or malformed (FORMAT). */
int vault_share_format(const struct vault_share *s, char out[VAULT_SHARE_TEXT_MAX]);
int vault_share_parse(const char *text, struct vault_share *s);
/* SHA-256(salt ‖ set ‖ x ‖ y): what the store keeps to check a share later. */
int vault_share_hash(const struct vault_share *s, const uint8_t salt[16], uint8_t hash[32]);
void vault_share_wipe(struct vault_share *s, size_t n);

/* ---- the store (vault/store*.c) ------------------------------------------------------------ */

struct vault_store;

/* Open (creating) dir/vault.db and dir/vault.kek; dir NULL = $XDG_DATA_HOME/skinkey
 * (~/.local/share/skinkey). WAL, synchronous=FULL, schema migrated to the current version. */
int vault_store_open(const char *dir, struct vault_store **out);
void vault_store_close(struct vault_store **st);
int vault_store_schema_version(struct vault_store *st);   /* >0, or SK_ERR_DB */
/* Group many writes into one transaction (one fsync): begin, calls..., end(commit 1 or 0). */
int vault_store_begin(struct vault_store *st);
int vault_store_end(struct vault_store *st, int commit);

struct vault_cred {
	uint64_t id;
	int type;
	char *site;
	char *user;
	int64_t created, updated;   /* unix seconds */
	int corrupt;                /* the row has wrong column types: reported, never dropped */
};
struct vault_cred_list {
	struct vault_cred *v;
	size_t n;
};
void vault_cred_list_free(struct vault_cred_list **l);

/* Add: encrypts under a fresh id inside one transaction (the id is part of key and AAD). */
int vault_cred_add(struct vault_store *st, const uint8_t k_vault[VAULT_KEY_LEN], int type,
    const char *site, const char *user, const uint8_t *secret, size_t len, uint64_t *id);
/* Replace the secret of an existing credential (fresh nonce). */
int vault_cred_update(struct vault_store *st, const uint8_t k_vault[VAULT_KEY_LEN], uint64_t id,
    const uint8_t *secret, size_t len);
/* Decrypt one credential: *secret as vault_cred_decrypt. A corrupt row gives SK_ERR_FORMAT /
 * SK_ERR_CRYPTO for that row only. */
int vault_cred_get(struct vault_store *st, const uint8_t k_vault[VAULT_KEY_LEN], uint64_t id,
    uint8_t **secret, size_t *len);
int vault_cred_info(struct vault_store *st, uint64_t id, struct vault_cred *out); /* free fields: vault_cred_clear */
void vault_cred_clear(struct vault_cred *c);
int vault_cred_remove(struct vault_store *st, uint64_t id);
/* List by site and/or user (NULL = any; exact match, or prefix match when the pattern ends
 * in '*'). Ordered by site, user, id; limit 0 = no limit. Needs no key. */
int vault_cred_find(struct vault_store *st, const char *site, const char *user, size_t limit,
    struct vault_cred_list **out);
/* Find the one credential for (site, user): SK_ERR_NOT_FOUND, or SK_ERR_EXISTS if several. */
int vault_cred_lookup(struct vault_store *st, const char *site, const char *user, uint64_t *id);
int vault_cred_count(struct vault_store *st, uint64_t *n);

/* Cloaked rows (duress contexts, doc/DURESS.md): site VAULT_CLOAK_SITE, a random user handle,
 * type password, times 0; a filler (random blob) or a credential sealed under a context's key
 * (vault_cred_get with that key opens it). vault_cred_find lists them too: callers skip them. */
#define VAULT_CLOAK_SITE "\x01cloak"
/* rows more filler rows, one transaction. */
int vault_cloak_fill(struct vault_store *st, unsigned rows);
/* Every cloaked row's id, ascending: free(*ids). */
int vault_cloak_ids(struct vault_store *st, uint64_t **ids, size_t *n);
/* Seal secret into cloaked row id under key (its times stay 0). SK_ERR_NOT_FOUND: not cloaked. */
int vault_cloak_write(struct vault_store *st, const uint8_t key[VAULT_KEY_LEN], uint64_t id,
    const uint8_t *secret, size_t len);
/* Back to a filler (random bytes). */
int vault_cloak_wipe(struct vault_store *st, uint64_t id);

/* Chips holding K_vault. */
enum vault_chip_role { VAULT_ROLE_PRIMARY = 1, VAULT_ROLE_BACKUP = 2, VAULT_ROLE_RETIRED = 3 };
struct vault_chip {
	char chip_id[64];            /* "df-<uid hex>" */
	uint8_t uid[16];
	size_t uid_len;
	int role;
	int has_kchip;               /* 0 once forgotten (retired) */
	unsigned kchip_version;
	unsigned vault_version;      /* version of K_vault it holds */
	int64_t originality_verified_at;  /* 0 = never */
	int64_t created;
};
/* Register a chip with its K_chip (wrapped under the KEK before it touches the db). */
int vault_chip_add(struct vault_store *st, const char *chip_id, const uint8_t *uid, size_t uid_len,
    int role, const uint8_t kchip[VAULT_KCHIP_LEN], unsigned kchip_version, unsigned vault_version);
int vault_chip_get(struct vault_store *st, const char *chip_id, struct vault_chip *out);
/* K_chip in secure memory (VAULT_KCHIP_LEN bytes): vault_secret_free(&k, VAULT_KCHIP_LEN). */
int vault_chip_kchip(struct vault_store *st, const char *chip_id, uint8_t **kchip);
int vault_chip_primary(struct vault_store *st, struct vault_chip *out);
int vault_chip_list(struct vault_store *st, struct vault_chip **out, size_t *n);  /* free(*out) */
int vault_chip_set_originality(struct vault_store *st, const char *chip_id, int64_t when);
/* Recovery path A: the backup becomes primary; every other primary is retired and its K_chip
 * forgotten (erased from the db), all in one transaction. */
int vault_chip_promote(struct vault_store *st, const char *backup_id);
int vault_chip_retire(struct vault_store *st, const char *chip_id);

/* Provisioning journal: every new key is recorded (wrapped) BEFORE the ChangeKey that installs
 * it, so a crash between the two loses nothing: on restart the pending entries say which keys
 * the chip may now hold. */
struct vault_journal_entry {
	int64_t id;
	char chip_id[64];
	unsigned key_no, key_version;
	int64_t created;
};
int vault_journal_record(struct vault_store *st, const char *chip_id, unsigned key_no,
    unsigned key_version, const uint8_t *key, size_t key_len, int64_t *entry_id);
int vault_journal_commit(struct vault_store *st, int64_t entry_id);   /* ChangeKey succeeded */
int vault_journal_abandon(struct vault_store *st, int64_t entry_id);  /* known not installed */
int vault_journal_pending(struct vault_store *st, struct vault_journal_entry **out, size_t *n);
int vault_journal_key(struct vault_store *st, int64_t entry_id, uint8_t **key, size_t *len);

/* The desfire driver's provisioning record (struct desfire_prov_record, opaque bytes here), kept
 * wrapped under the KEK in vault.db and durable (synchronous=FULL) when store returns: the
 * storage behind a struct desfire_journal. load: SK_ERR_NOT_FOUND when none, SK_ERR_FORMAT
 * when its size differs from len. */
int vault_prov_record_store(struct vault_store *st, const uint8_t *rec, size_t len);
int vault_prov_record_load(struct vault_store *st, uint8_t *rec, size_t len);
int vault_prov_record_clear(struct vault_store *st);

/* Recovery path B: split K_vault, store only salted hashes of the shares. Replaces any earlier
 * split. shares[VAULT_SHARES_N] are returned for printing (wipe them after). */
int vault_recovery_split(struct vault_store *st, const uint8_t k_vault[VAULT_KEY_LEN],
    struct vault_share shares[VAULT_SHARES_N]);
/* 0 if this share's hash matches the stored one, SK_ERR_CRYPTO if not, SK_ERR_NOT_FOUND if no
 * split is stored for its index or split id. */
int vault_recovery_check_share(struct vault_store *st, const struct vault_share *s);
/* Check each of k shares, then combine; also checks the result against the stored key check
 * (HMAC of K_vault) so a wrong combination never yields a silently wrong key. */
int vault_recovery_combine(struct vault_store *st, const struct vault_share *shares, unsigned k,
    uint8_t k_vault[VAULT_KEY_LEN]);

/* A value only K_vault can produce, kept to recognise the right key after recovery. */
int vault_key_check_set(struct vault_store *st, const uint8_t k_vault[VAULT_KEY_LEN]);
int vault_key_check_verify(struct vault_store *st, const uint8_t k_vault[VAULT_KEY_LEN]);

#endif
