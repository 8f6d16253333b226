/* buf.c — growable byte buffer with a hard cap; old memory is wiped whenever it is released. */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "secmem.h"
#include "sk_err.h"

struct sk_buf {
	uint8_t *d;
	size_t len;
	size_t alloc;
	size_t max;
	int secure;
};

static const uint8_t buf_empty[1];

static struct sk_buf *buf_new(size_t max, int secure)
{
	struct sk_buf *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->max = max == 0 ? SK_BUF_DEFAULT_MAX : max;
	b->secure = secure;
	return b;
}

struct sk_buf *sk_buf_new(size_t max)
{
	return buf_new(max, 0);
}

struct sk_buf *sk_buf_new_secure(size_t max)
{
	return buf_new(max, 1);
}

static void buf_release(uint8_t *d, size_t alloc, int secure)
{
	if (d == NULL)
		return;
	if (secure)
		sk_secure_free(d);
	else
		sk_freezero(d, alloc);
}

void sk_buf_free(struct sk_buf **bp)
{
	struct sk_buf *b;

	if (bp == NULL || (b = *bp) == NULL)
		return;
	buf_release(b->d, b->alloc, b->secure);
	sk_freezero(b, sizeof(*b));
	*bp = NULL;
}

const uint8_t *sk_buf_ptr(const struct sk_buf *b)
{
	return b->d == NULL ? buf_empty : b->d;
}

uint8_t *sk_buf_mutable_ptr(struct sk_buf *b)
{
	return b->d;
}

size_t sk_buf_len(const struct sk_buf *b)
{
	return b->len;
}

size_t sk_buf_max(const struct sk_buf *b)
{
	return b->max;
}

void sk_buf_reset(struct sk_buf *b)
{
	sk_wipe(b->d, b->len);
	b->len = 0;
}

int sk_buf_truncate(struct sk_buf *b, size_t len)
{
	if (len > b->len)
		return SK_ERR_ARG;
	sk_wipe(b->d + len, b->len - len);
	b->len = len;
	return 0;
}

int sk_buf_consume(struct sk_buf *b, size_t n)
{
	if (n > b->len)
		return SK_ERR_ARG;
	if (n == 0)
		return 0;
	memmove(b->d, b->d + n, b->len - n);
	sk_wipe(b->d + (b->len - n), n);
	b->len -= n;
	return 0;
}

/* Grows the allocation to hold need bytes: doubles, never past max; the old block is wiped. */
static int buf_grow(struct sk_buf *b, size_t need)
{
	size_t alloc = b->alloc < 64 ? 64 : b->alloc;
	uint8_t *d;

	while (alloc < need)
		alloc = alloc > b->max / 2 ? b->max : alloc * 2;
	if (alloc > b->max)
		alloc = b->max;
	d = b->secure ? sk_secure_alloc(alloc) : calloc(1, alloc);
	if (d == NULL)
		return SK_ERR_NOMEM;
	if (b->len > 0)
		memcpy(d, b->d, b->len);
	buf_release(b->d, b->alloc, b->secure);
	b->d = d;
	b->alloc = alloc;
	return 0;
}

int sk_buf_reserve(struct sk_buf *b, size_t n, uint8_t **dst)
{
	int r;

	if (dst != NULL)
		*dst = NULL;
	if (n > b->max - b->len)
		return SK_ERR_TOOBIG;
	if (n > b->alloc - b->len && (r = buf_grow(b, b->len + n)) != 0)
		return r;
	if (dst != NULL)
		*dst = b->d == NULL ? (uint8_t *)(uintptr_t)buf_empty : b->d + b->len;
	b->len += n;
	return 0;
}

int sk_buf_put(struct sk_buf *b, const void *p, size_t n)
{
	uint8_t *dst;
	int r;

	if ((r = sk_buf_reserve(b, n, &dst)) != 0)
		return r;
	if (n > 0)
		memcpy(dst, p, n);
	return 0;
}

int sk_buf_put_buf(struct sk_buf *b, const struct sk_buf *src)
{
	return sk_buf_put(b, sk_buf_ptr(src), src->len);
}

/* Appends the n low bytes of v, big or little endian. */
static int buf_put_uint(struct sk_buf *b, uint32_t v, size_t n, int little)
{
	uint8_t tmp[4];
	size_t i;

	for (i = 0; i < n; i++)
		tmp[little ? i : n - 1 - i] = (uint8_t)(v >> (8 * i));
	return sk_buf_put(b, tmp, n);
}

int sk_buf_put_u8(struct sk_buf *b, uint8_t v)
{
	return sk_buf_put(b, &v, 1);
}

int sk_buf_put_u16be(struct sk_buf *b, uint16_t v)
{
	return buf_put_uint(b, v, 2, 0);
}

int sk_buf_put_u32be(struct sk_buf *b, uint32_t v)
{
	return buf_put_uint(b, v, 4, 0);
}

int sk_buf_put_u16le(struct sk_buf *b, uint16_t v)
{
	return buf_put_uint(b, v, 2, 1);
}

int sk_buf_put_u24le(struct sk_buf *b, uint32_t v)
{
	if (v > 0xFFFFFFu)
		return SK_ERR_ARG;
	return buf_put_uint(b, v, 3, 1);
}

int sk_buf_put_u32le(struct sk_buf *b, uint32_t v)
{
	return buf_put_uint(b, v, 4, 1);
}

void sk_buf_cur(const struct sk_buf *b, struct sk_cur *c)
{
	sk_cur_init(c, sk_buf_ptr(b), b->len);
}
