/* opgp_int.h — shared between the files of openpgp/ only (not part of the public face). */
#ifndef SK_OPGP_INT_H
#define SK_OPGP_INT_H

#include <stddef.h>
#include <stdint.h>

#include "openpgp.h"

struct sk_buf;

#define OPGP_RSP_MAX 8192u   /* cap on any single OpenPGP answer we buffer (certificates included) */

/* Sends one command; 0 only on SW 9000. Other SWs: sk_sw_to_err() mapping, logged with what. */
int opgp_cmd(struct sk_card *card, const char *what, uint8_t ins, uint8_t p1, uint8_t p2,
    const uint8_t *data, size_t lc, size_t le, unsigned flags, struct sk_buf *rsp, uint16_t *sw);
/* GET DATA into a caller's buffer (emptied first). */
int opgp_get_data_buf(struct sk_card *card, uint16_t tag, struct sk_buf *rsp);
/* Copy a buffer's contents into a fresh malloc'ed block (*out NULL when empty). */
int opgp_buf_dup(const struct sk_buf *b, uint8_t **out, size_t *out_len);

/* 7F66 (with or without its tag). */
extern __thread const char *opgp_parse_why;   /* static text; set by the parsers on refusal */
int opgp_parse_ext_len(const uint8_t *p, size_t n, uint16_t *max_cmd, uint16_t *max_rsp);

/* CRT tag for a key slot (B6, B8, A4) and the occurrence index of its 7F21 certificate. */
uint8_t opgp_crt_tag(enum opgp_key key);

/* OID table. */
enum opgp_curve opgp_curve_from_oid(const uint8_t *oid, size_t len);
/* OID bytes of a known curve (OpenPGP naming: X25519 is cv25519); NULL for others. */
const uint8_t *opgp_curve_oid(enum opgp_curve curve, size_t *len);

/* Reads the algorithm attributes of one slot (GET DATA C1..C3, falling back to 6E). */
int opgp_read_algo_attr(struct sk_card *card, enum opgp_key key, struct opgp_algo_attr *a);
/* Reads C4 and the KDF-DO (absent: algo NONE) for a PIN-bearing command. */
int opgp_read_pin_state(struct sk_card *card, struct opgp_pw_status *pw, struct opgp_kdf *kdf);

#endif
