/* cursor.h — bounds-checked reader over untrusted bytes. Every read checks the remaining length
 * by subtraction and fails with SK_ERR_FORMAT without moving the cursor. */
#ifndef SK_CURSOR_H
#define SK_CURSOR_H

#include <stddef.h>
#include <stdint.h>

struct sk_cur {
	const uint8_t *p;  /* start of the input (not owned) */
	size_t len;        /* input length */
	size_t off;        /* bytes consumed */
};

void sk_cur_init(struct sk_cur *c, const uint8_t *p, size_t len);
size_t sk_cur_left(const struct sk_cur *c);
/* Pointer to the next unread byte (valid for sk_cur_left() bytes). */
const uint8_t *sk_cur_ptr(const struct sk_cur *c);

/* Each returns 0, or SK_ERR_FORMAT (input too short; the cursor does not move). */
int sk_cur_u8(struct sk_cur *c, uint8_t *v);
int sk_cur_u16be(struct sk_cur *c, uint16_t *v);
int sk_cur_u32be(struct sk_cur *c, uint32_t *v);
int sk_cur_u16le(struct sk_cur *c, uint16_t *v);   /* DESFire sizes and offsets */
int sk_cur_u24le(struct sk_cur *c, uint32_t *v);
int sk_cur_u32le(struct sk_cur *c, uint32_t *v);
/* *out points into the input (no copy); n may be 0. */
int sk_cur_bytes(struct sk_cur *c, size_t n, const uint8_t **out);
int sk_cur_copy(struct sk_cur *c, void *dst, size_t n);
int sk_cur_skip(struct sk_cur *c, size_t n);
/* Takes the next n bytes as a cursor of their own. */
int sk_cur_sub(struct sk_cur *c, size_t n, struct sk_cur *sub);
/* 0 when every byte was consumed, SK_ERR_FORMAT when bytes remain (trailing garbage). */
int sk_cur_end(const struct sk_cur *c);

#endif
