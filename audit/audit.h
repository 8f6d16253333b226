/* audit.h — a hash-chained, forward-sealed audit log in sqlite (audit.db).
 *
 * Chain: row_hash = SHA-256(prev_hash ‖ 0x1f ‖ seq ‖ 0x1f ‖ ts ‖ 0x1f ‖ actor ‖ 0x1f ‖ action ‖
 * 0x1f ‖ details), seq and ts in decimal, prev_hash of the first row = 32 zero bytes. Fields may
 * not contain 0x1f, so the hashed string names exactly one row.
 *
 * Seals (forward-secure): a chain started with audit_seal_start() has a sealing key that
 * evolves with every row: row i (its key index kidx = i) carries seal = HMAC-SHA-256(key_i,
 * row_hash), then key_{i+1} = SHA-256("skinkey-audit-evolve" ‖ key_i) replaces key_i in
 * audit.db (secure_delete on) and key_i is wiped. Whoever takes the host at row n holds key_n
 * only: rows before n can be neither changed, dropped, re-sealed nor truncated without
 * verification with key_1 (the verification key, which leaves the host as a recovery code)
 * noticing, because key_n cannot be evolved backwards. The stored key index itself shows a
 * truncated tail: it must be the last row's index + 1.
 *
 * Functions return 0 or a negative SK_ERR_* (common/sk_err.h). */
#ifndef SK_AUDIT_H
#define SK_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#define AUDIT_HASH_LEN 32
#define AUDIT_KEY_LEN 32
#define AUDIT_FIELD_MAX 4096
#define AUDIT_CODE_LEN 80    /* recovery code text: 16 groups of 4 hex digits, '-' between */

struct audit_log;

/* dir/audit.db (dir NULL = $XDG_DATA_HOME/skinkey); WAL, synchronous=FULL, secure_delete.
 * audit_open_ro opens an existing file read-only (verification, listing, a copy). */
int audit_open(const char *dir, struct audit_log **out);
int audit_open_ro(const char *path, struct audit_log **out);
/* The default audit.db path. */
int audit_default_path(char *buf, size_t n);
void audit_close(struct audit_log **log);

/* A transaction around several appends and meta updates (one fsync). audit_append alone
 * makes its own. */
int audit_begin(struct audit_log *log);
int audit_commit(struct audit_log *log);
void audit_rollback(struct audit_log *log);

/* Append one row (ts: unix seconds, 0 = now), sealed when the chain has a sealing key.
 * *seq_out (may be NULL) = its sequence number. */
int audit_append(struct audit_log *log, int64_t ts, const char *actor, const char *action,
    const char *details, uint64_t *seq_out);
/* Small key/value store in the same file (the guard's last applied event). */
int audit_meta_get(struct audit_log *log, const char *key, char *buf, size_t n);
int audit_meta_set(struct audit_log *log, const char *key, const char *value);

/* Start sealing an empty chain: a random key_1, kept as the pending recovery code too
 * (audit_take_recovery hands it out once). SK_ERR_EXISTS when the chain is sealed or has rows. */
int audit_seal_start(struct audit_log *log);
/* 1 when the chain is sealed. */
int audit_sealed(struct audit_log *log);
/* The verification key, once: SK_ERR_NOT_FOUND when already taken (or never made). */
int audit_take_recovery(struct audit_log *log, uint8_t key[AUDIT_KEY_LEN]);
/* key <-> "xxxx-xxxx-...": parsing ignores case, spaces and dashes. */
void audit_code_format(const uint8_t key[AUDIT_KEY_LEN], char out[AUDIT_CODE_LEN]);
int audit_code_parse(const char *text, uint8_t key[AUDIT_KEY_LEN]);

/* Walk the whole chain (hashes only). 0 when intact (*first_bad = 0); SK_ERR_CRYPTO when a
 * row's hash or link is wrong or a sequence number is missing: *first_bad = the first such seq. */
int audit_verify(struct audit_log *log, uint64_t *rows, uint64_t *first_bad);

enum audit_fault {
	AUDIT_OK = 0,
	AUDIT_EDITED,          /* a row's content does not match its hash */
	AUDIT_DELETED,         /* a sequence number is missing */
	AUDIT_REORDERED,       /* a row holds another position's content */
	AUDIT_LINK,            /* prev_hash is not the previous row's hash */
	AUDIT_RESEALED,        /* sealed with a later key than its own */
	AUDIT_EPOCH_GAP,       /* the key index jumps: sealing epochs are missing */
	AUDIT_BAD_SEAL,        /* the seal matches no key */
	AUDIT_UNSEALED,        /* a row without a seal in a sealed chain */
	AUDIT_TRUNCATED,       /* rows at the end are gone (key state, anchor or chip counter) */
	AUDIT_KEY_STATE,       /* the stored sealing key does not follow from the verification key */
};
struct audit_report {
	uint64_t rows;         /* rows checked before the first fault */
	uint64_t first_bad;    /* seq (position) of the first bad row; 0 when none */
	enum audit_fault fault;
	int sealed;            /* seals were checked */
	char why[256];
};
/* Full verification: chain, and with key (the verification key; NULL = hashes only) every
 * seal and the stored key state. 0 when intact, SK_ERR_CRYPTO with rep filled otherwise. */
int audit_verify_full(struct audit_log *log, const uint8_t *key, struct audit_report *rep);
const char *audit_fault_name(enum audit_fault f);

/* The last row's seq and hash (seq 0 and zero hash for an empty log). */
int audit_head(struct audit_log *log, uint64_t *seq, uint8_t hash[AUDIT_HASH_LEN]);
/* Check that an anchored (seq, hash) is still in the chain: SK_ERR_CRYPTO if not. */
int audit_check_anchor(struct audit_log *log, uint64_t seq, const uint8_t hash[AUDIT_HASH_LEN]);

/* Rows with seq >= from, in order (at most max; 0 = all). fn returns non-zero to stop. */
struct audit_row {
	uint64_t seq;
	int64_t ts;
	const char *actor, *action, *details;
	const uint8_t *hash;   /* AUDIT_HASH_LEN bytes */
};
typedef int (*audit_row_fn)(const struct audit_row *row, void *arg);
int audit_foreach(struct audit_log *log, uint64_t from, uint64_t max, audit_row_fn fn, void *arg);
uint64_t audit_count(struct audit_log *log);

/* A row's details are "key=value ..." with percent-escaped values (audit_detail.c): the value of
 * key unescaped into buf ("" when absent; returns buf), and a walk over all pairs (1 while there
 * is one, cursor moves on). */
const char *audit_detail(const char *details, const char *key, char *buf, size_t n);
int audit_detail_next(const char **cursor, char *key, size_t kn, char *val, size_t vn);

/* Tests and tools: the hash of a row as the chain defines it. */
int audit_row_hash(const uint8_t prev[AUDIT_HASH_LEN], uint64_t seq, int64_t ts,
    const char *actor, const char *action, const char *details, uint8_t out[AUDIT_HASH_LEN]);
/* Tests: key_{i+1} from key_i, and the seal of a row hash. */
void audit_key_evolve(uint8_t key[AUDIT_KEY_LEN]);
int audit_seal_of(const uint8_t key[AUDIT_KEY_LEN], const uint8_t hash[AUDIT_HASH_LEN],
    uint8_t seal[AUDIT_HASH_LEN]);

#endif
