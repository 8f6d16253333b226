/* buf.h — growable byte buffer with a hard maximum size (like OpenSSH's sshbuf).
 * Memory is wiped whenever it is released or moved (growth, reset, free), so a buffer may hold
 * secrets; sk_buf_new_secure() additionally keeps it in mlocked, non-dumpable memory. */
#ifndef SK_BUF_H
#define SK_BUF_H

#include <stddef.h>
#include <stdint.h>

struct sk_cur;
struct sk_buf;

#define SK_BUF_DEFAULT_MAX ((size_t)16 * 1024 * 1024)

/* max: hard cap on the length (0 = SK_BUF_DEFAULT_MAX). NULL when out of memory. */
struct sk_buf *sk_buf_new(size_t max);
struct sk_buf *sk_buf_new_secure(size_t max);  /* backed by sk_secure_alloc() */
/* Wipes and frees, sets *b to NULL; accepts NULL and *b == NULL. */
void sk_buf_free(struct sk_buf **b);

const uint8_t *sk_buf_ptr(const struct sk_buf *b);   /* never NULL */
uint8_t *sk_buf_mutable_ptr(struct sk_buf *b);
size_t sk_buf_len(const struct sk_buf *b);
size_t sk_buf_max(const struct sk_buf *b);
/* Empties the buffer (contents wiped, allocation kept). */
void sk_buf_reset(struct sk_buf *b);
/* Shortens to len bytes (wiping the tail); SK_ERR_ARG when len > current length. */
int sk_buf_truncate(struct sk_buf *b, size_t len);
/* Drops the first n bytes; SK_ERR_ARG when n > length. */
int sk_buf_consume(struct sk_buf *b, size_t n);

/* Appending: 0, SK_ERR_TOOBIG (would pass max; buffer unchanged) or SK_ERR_NOMEM. */
int sk_buf_reserve(struct sk_buf *b, size_t n, uint8_t **dst);  /* appends n bytes, *dst to them (may be NULL) */
int sk_buf_put(struct sk_buf *b, const void *p, size_t n);
int sk_buf_put_u8(struct sk_buf *b, uint8_t v);
int sk_buf_put_u16be(struct sk_buf *b, uint16_t v);
int sk_buf_put_u32be(struct sk_buf *b, uint32_t v);
int sk_buf_put_u16le(struct sk_buf *b, uint16_t v);
int sk_buf_put_u24le(struct sk_buf *b, uint32_t v);
int sk_buf_put_u32le(struct sk_buf *b, uint32_t v);
int sk_buf_put_buf(struct sk_buf *b, const struct sk_buf *src);

/* A cursor over the current contents (invalid once the buffer changes). */
void sk_buf_cur(const struct sk_buf *b, struct sk_cur *c);

#endif
