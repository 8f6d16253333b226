/* audit.h — a hash-chained audit log in sqlite (audit.db): append, verify, head for anchoring.
 * row_hash = SHA-256(prev_hash ‖ 0x1f ‖ seq ‖ 0x1f ‖ ts ‖ 0x1f ‖ actor ‖ 0x1f ‖ action ‖ 0x1f ‖
 * details), seq and ts in decimal, prev_hash of the first row = 32 zero bytes. Fields may not
 * contain 0x1f, so the hashed string names exactly one row. Changing any row breaks the chain
 * from that row on; dropping rows at the end is only visible against an anchored head, which
 * is why audit_head() exists: publish it somewhere the host cannot rewrite.
 * Functions return 0 or a negative SK_ERR_* (common/sk_err.h). */
#ifndef SK_AUDIT_H
#define SK_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#define AUDIT_HASH_LEN 32
#define AUDIT_FIELD_MAX 4096

struct audit_log;

/* dir/audit.db (dir NULL = $XDG_DATA_HOME/skinkey); WAL, synchronous=FULL. */
int audit_open(const char *dir, struct audit_log **out);
void audit_close(struct audit_log **log);
/* Append one row (ts: unix seconds, 0 = now). *seq_out (may be NULL) = its sequence number. */
int audit_append(struct audit_log *log, int64_t ts, const char *actor, const char *action,
    const char *details, uint64_t *seq_out);
/* Walk the whole chain. 0 when intact (*first_bad = 0); SK_ERR_CRYPTO when a row's hash or
 * link is wrong or a sequence number is missing: *first_bad = the first such seq. */
int audit_verify(struct audit_log *log, uint64_t *rows, uint64_t *first_bad);
/* The last row's seq and hash (seq 0 and zero hash for an empty log). */
int audit_head(struct audit_log *log, uint64_t *seq, uint8_t hash[AUDIT_HASH_LEN]);
/* Check that an anchored (seq, hash) is still in the chain: SK_ERR_CRYPTO if not. */
int audit_check_anchor(struct audit_log *log, uint64_t seq, const uint8_t hash[AUDIT_HASH_LEN]);

#endif
