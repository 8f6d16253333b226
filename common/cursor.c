/* cursor.c — bounds-checked reads: lengths checked by subtraction, never by addition. */
#include "cursor.h"

#include <string.h>

#include "sk_err.h"

void sk_cur_init(struct sk_cur *c, const uint8_t *p, size_t len)
{
	c->p = p;
	c->len = p == NULL ? 0 : len;
	c->off = 0;
}

size_t sk_cur_left(const struct sk_cur *c)
{
	return c->off > c->len ? 0 : c->len - c->off;
}

const uint8_t *sk_cur_ptr(const struct sk_cur *c)
{
	return c->p == NULL ? NULL : c->p + c->off;
}

int sk_cur_bytes(struct sk_cur *c, size_t n, const uint8_t **out)
{
	if (n > sk_cur_left(c))
		return SK_ERR_FORMAT;
	if (out != NULL)
		*out = c->p == NULL ? NULL : c->p + c->off;
	c->off += n;
	return 0;
}

int sk_cur_skip(struct sk_cur *c, size_t n)
{
	return sk_cur_bytes(c, n, NULL);
}

int sk_cur_copy(struct sk_cur *c, void *dst, size_t n)
{
	const uint8_t *p;
	int r;

	if ((r = sk_cur_bytes(c, n, &p)) != 0)
		return r;
	if (n > 0)
		memcpy(dst, p, n);
	return 0;
}

int sk_cur_sub(struct sk_cur *c, size_t n, struct sk_cur *sub)
{
	const uint8_t *p;
	int r;

	if ((r = sk_cur_bytes(c, n, &p)) != 0)
		return r;
	sk_cur_init(sub, p, n);
	return 0;
}

int sk_cur_u8(struct sk_cur *c, uint8_t *v)
{
	const uint8_t *p;
	int r;

	if ((r = sk_cur_bytes(c, 1, &p)) != 0)
		return r;
	*v = p[0];
	return 0;
}

/* Reads n (<= 4) bytes as an unsigned number, big or little endian. */
static int cur_uint(struct sk_cur *c, size_t n, int little, uint32_t *v)
{
	const uint8_t *p;
	uint32_t x = 0;
	size_t i;
	int r;

	if ((r = sk_cur_bytes(c, n, &p)) != 0)
		return r;
	for (i = 0; i < n; i++)
		x = (x << 8) | p[little ? n - 1 - i : i];
	*v = x;
	return 0;
}

int sk_cur_u16be(struct sk_cur *c, uint16_t *v)
{
	uint32_t x;
	int r;

	if ((r = cur_uint(c, 2, 0, &x)) == 0)
		*v = (uint16_t)x;
	return r;
}

int sk_cur_u32be(struct sk_cur *c, uint32_t *v)
{
	return cur_uint(c, 4, 0, v);
}

int sk_cur_u16le(struct sk_cur *c, uint16_t *v)
{
	uint32_t x;
	int r;

	if ((r = cur_uint(c, 2, 1, &x)) == 0)
		*v = (uint16_t)x;
	return r;
}

int sk_cur_u24le(struct sk_cur *c, uint32_t *v)
{
	return cur_uint(c, 3, 1, v);
}

int sk_cur_u32le(struct sk_cur *c, uint32_t *v)
{
	return cur_uint(c, 4, 1, v);
}

int sk_cur_end(const struct sk_cur *c)
{
	return sk_cur_left(c) == 0 ? 0 : SK_ERR_FORMAT;
}
