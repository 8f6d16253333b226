/* ctxrec.h — the per-context record store (doc/DURESS.md, "Disk"): one file of fixed-size
 * encrypted records, one slot per DuressApplet context, the same on every install whether no,
 * one or three contexts are set up (the slots nobody opens are random bytes).
 *
 * File (CTXREC_FILE_LEN bytes, always): a 64-byte header — "SKCTXREC", version (u16 BE, 1),
 * slots (u16 BE, 3), record size (u32 BE), 16 zero bytes, the install's random salt (32) — then
 * CTXREC_SLOTS records of CTXREC_SIZE bytes. A record: nonce (12) ‖ AES-256-GCM ciphertext of
 * CTXREC_PT_LEN bytes ‖ tag (16); AAD = the header ‖ the slot number. Its key: HKDF-SHA256(ikm =
 * the context's CHALLENGE answer, salt = the file's salt, info = "skinkey-ctxrec-v1" ‖ slot).
 * The plaintext: 0x01, then entries (key length u8 1..CTXREC_KEY_MAX, key bytes 0x21..0x7e,
 * value length u16 BE, value), then a zero key length; zero padding up to CTXREC_PT_LEN.
 *
 * Slot = context id: a context's key writes only its own slot. The file is replaced as a whole
 * (temporary file, fsync, rename, directory fsync): a writer killed at any point leaves the
 * previous file or the new one, never a mix. */
#ifndef SKD_CTXREC_H
#define SKD_CTXREC_H

#include <stddef.h>
#include <stdint.h>

#define CTXREC_SLOTS       3
#define CTXREC_SIZE        16384
#define CTXREC_NONCE_LEN   12
#define CTXREC_TAG_LEN     16
#define CTXREC_PT_LEN      (CTXREC_SIZE - CTXREC_NONCE_LEN - CTXREC_TAG_LEN)
#define CTXREC_HDR_LEN     64
#define CTXREC_SALT_LEN    32
#define CTXREC_FILE_LEN    (CTXREC_HDR_LEN + CTXREC_SLOTS * CTXREC_SIZE)
#define CTXREC_KEY_LEN     32
#define CTXREC_KEY_MAX     63    /* longest entry key */
#define CTXREC_MAX_ENTRIES 128

/* ---- a record's entries, in memory ---- */
struct ctxrec;
struct ctxrec *ctxrec_new(void);
void ctxrec_free(struct ctxrec **rec);   /* wipes the values */
size_t ctxrec_count(const struct ctxrec *rec);
/* Entry i (0 .. count-1), pointers into rec. 0 or SK_ERR_NOT_FOUND. */
int ctxrec_entry_at(const struct ctxrec *rec, size_t i, const char **key, const uint8_t **val,
    size_t *len);
/* *val points into rec (valid until the next change). 0 or SK_ERR_NOT_FOUND. */
int ctxrec_get(const struct ctxrec *rec, const char *key, const uint8_t **val, size_t *len);
/* Add or replace. SK_ERR_ARG (bad key), SK_ERR_TOOBIG (the record would not fit: nothing
 * changed), SK_ERR_NOMEM. */
int ctxrec_put(struct ctxrec *rec, const char *key, const uint8_t *val, size_t len);
/* Remove the entry key: 0 or SK_ERR_NOT_FOUND. */
int ctxrec_del(struct ctxrec *rec, const char *key);
/* Remove every entry whose key starts with prefix ("" = all); how many went. */
size_t ctxrec_del_prefix(struct ctxrec *rec, const char *prefix);
/* Bytes the encoded entries take (at most CTXREC_PT_LEN once put accepted them). */
size_t ctxrec_encoded_len(const struct ctxrec *rec);
/* Plaintext of a record: pt[CTXREC_PT_LEN]. */
int ctxrec_encode(const struct ctxrec *rec, uint8_t *pt);
/* Parse a plaintext (any length up to CTXREC_PT_LEN; what follows the end mark is ignored):
 * SK_ERR_FORMAT for anything malformed (duplicate keys included), rec untouched then. */
int ctxrec_parse(const uint8_t *pt, size_t len, struct ctxrec *rec);

/* ---- sealing ---- */
/* HKDF-SHA256 to 32 bytes. */
int ctxrec_hkdf(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt, size_t salt_len,
    const void *info, size_t info_len, uint8_t out[CTXREC_KEY_LEN]);
/* The slot's key from the context's secret and the file's salt. */
int ctxrec_derive(const uint8_t *secret, size_t secret_len, const uint8_t salt[CTXREC_SALT_LEN],
    int slot, uint8_t key[CTXREC_KEY_LEN]);
/* hdr = the file's header (it is authenticated with the record). out[CTXREC_SIZE]. */
int ctxrec_seal(const uint8_t key[CTXREC_KEY_LEN], const uint8_t hdr[CTXREC_HDR_LEN], int slot,
    const struct ctxrec *rec, uint8_t *out);
/* SK_ERR_CRYPTO: not this key's record (random, another context's, or tampered). */
int ctxrec_unseal(const uint8_t key[CTXREC_KEY_LEN], const uint8_t hdr[CTXREC_HDR_LEN], int slot,
    const uint8_t *in, struct ctxrec *rec);

/* ---- the file ---- */
/* Create it (random salt, random records) when missing; check an existing one. 0,
 * SK_ERR_FORMAT (an existing file that is not a record file: left as it is), SK_ERR_IO,
 * SK_ERR_FULL. */
int ctxrec_file_init(const char *path);
/* Header and one slot's bytes. */
int ctxrec_file_read(const char *path, int slot, uint8_t hdr[CTXREC_HDR_LEN], uint8_t *rec);
/* Replace one slot (whole file rewritten atomically, the others byte for byte as they were). */
int ctxrec_file_write(const char *path, int slot, const uint8_t *rec);
/* Check a whole file image (n bytes): 0 or SK_ERR_FORMAT. */
int ctxrec_file_check(const uint8_t *img, size_t n);

#endif
