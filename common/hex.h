/* hex.h — hex encoding and strict decoding (one place instead of one per folder). */
#ifndef SK_HEX_H
#define SK_HEX_H

#include <stddef.h>
#include <stdint.h>

struct sk_buf;

#define SK_HEX_UPPER 0x1u   /* "AB01" instead of "ab01" */

/* Writes 2*n hex digits and a NUL into out (room: 2*n + 1). 0 or SK_ERR_TOOBIG. */
int sk_hex_encode(const uint8_t *p, size_t n, char *out, size_t room, unsigned flags);
/* The same into a new malloc'd string (NULL when out of memory). */
char *sk_hex_dup(const uint8_t *p, size_t n, unsigned flags);
/* Appends the bytes of len hex digits (either case) to out. Odd length or any other character
 * is SK_ERR_FORMAT (out unchanged). */
int sk_hex_decode(const char *s, size_t len, struct sk_buf *out);
/* Decodes into a fixed array: exactly room bytes must result (else SK_ERR_FORMAT). */
int sk_hex_decode_exact(const char *s, size_t len, uint8_t *out, size_t room);

#endif
