/* auditbox.h — an audit event of a duress context, sealed so that nothing in the outbox
 * (state.db) or the chain (audit.db) names the context or what it did (issue 13,
 * doc/DURESS.md "The audit chain and contexts"). skinkeyd seals the event when it writes it to
 * the outbox (kind SK_AUDITBOX_KIND, details "box=<hex>"), skinkey-guard stores it as it came,
 * `skinkey audit tail|show|export` open the rows the active context's key opens.
 *
 * box = nonce (12) ‖ AES-256-GCM(key, plain) (SK_AUDITBOX_PLAIN) ‖ tag (16), as lowercase hex;
 * plain = length (2 bytes, big-endian) ‖ "kind=<kind> <details>" ‖ zero padding: every box has
 * the same size whatever the event (longer text is cut). AAD = "skinkey-audit-box-v1".
 * key = HKDF-SHA256(ikm = the guard's context key (agent/ctxkey.c), no salt,
 * info "skinkey-audit-box-v1"). */
#ifndef SK_AUDITBOX_H
#define SK_AUDITBOX_H

#include <stddef.h>
#include <stdint.h>

#define SK_AUDITBOX_KIND "context"   /* the outbox kind / the chain's action of a sealed event */
#define SK_AUDITBOX_KEY_LEN 32
/* The box travels on one S EVENT line of skinkeyd's stream (assuan's 1000-byte lines): 384
 * bytes of text (a key operation's details take about 300) make 828 characters of details. */
#define SK_AUDITBOX_PLAIN 384
#define SK_AUDITBOX_HEX_LEN (2 * (12 + SK_AUDITBOX_PLAIN + 16))

/* The box key from the guard's context key. 0 or SK_ERR_CRYPTO. */
int sk_auditbox_key(const uint8_t ctxkey[32], uint8_t out[SK_AUDITBOX_KEY_LEN]);
/* *out = "box=<hex>" (malloc'd; free it) sealing kind and details. 0, SK_ERR_NOMEM,
 * SK_ERR_CRYPTO. */
int sk_auditbox_seal(const uint8_t key[SK_AUDITBOX_KEY_LEN], const char *kind,
    const char *details, char **out);
/* Open the box= value found in details ("... box=<hex> ..."): its kind into kind[kn] and its
 * details into plain[pn] (both cut to fit, NUL-terminated). SK_ERR_NOT_FOUND: no box;
 * SK_ERR_CRYPTO: the box does not open with key (another context's, or changed). */
int sk_auditbox_open(const uint8_t key[SK_AUDITBOX_KEY_LEN], const char *details, char *kind,
    size_t kn, char *plain, size_t pn);

#endif
