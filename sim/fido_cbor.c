/* fido_cbor.c — the CBOR subset CTAP2 needs (RFC 8949): unsigned/negative ints, byte and text
 * strings, arrays, maps, booleans; definite lengths only; nesting capped. Input is untrusted. */
#include <string.h>

#include "fido_int.h"

int cb_peek_major(const struct cb *c)
{
	if (c->off >= c->len)
		return -1;
	return c->p[c->off] >> 5;
}

int cb_head(struct cb *c, uint8_t *major, uint64_t *val)
{
	uint8_t ib, ai;
	size_t n, i;

	if (c->off >= c->len)
		return -1;
	ib = c->p[c->off++];
	*major = ib >> 5;
	ai = ib & 0x1F;
	if (ai < 24) {
		*val = ai;
		return 0;
	}
	if (ai > 27)
		return -1;             /* indefinite lengths and reserved values */
	n = (size_t)1 << (ai - 24);
	if (n > c->len - c->off)
		return -1;
	*val = 0;
	for (i = 0; i < n; i++)
		*val = *val << 8 | c->p[c->off++];
	return 0;
}

static int expect(struct cb *c, uint8_t want, uint64_t *val)
{
	uint8_t major;

	if (cb_head(c, &major, val) != 0 || major != want)
		return -1;
	return 0;
}

static int string_of(struct cb *c, uint8_t major, const uint8_t **p, size_t *n)
{
	uint64_t v;

	if (expect(c, major, &v) != 0 || v > c->len - c->off)
		return -1;
	*p = c->p + c->off;
	*n = (size_t)v;
	c->off += (size_t)v;
	return 0;
}

int cb_bytes(struct cb *c, const uint8_t **p, size_t *n)
{
	return string_of(c, 2, p, n);
}

int cb_text(struct cb *c, const uint8_t **p, size_t *n)
{
	return string_of(c, 3, p, n);
}

static int count_of(struct cb *c, uint8_t major, size_t *n)
{
	uint64_t v;

	/* every element takes at least one byte: a count past the end is a lie */
	if (expect(c, major, &v) != 0 || v > c->len - c->off)
		return -1;
	*n = (size_t)v;
	return 0;
}

int cb_map(struct cb *c, size_t *n)
{
	return count_of(c, 5, n);
}

int cb_array(struct cb *c, size_t *n)
{
	return count_of(c, 4, n);
}

int cb_int(struct cb *c, int64_t *v)
{
	uint8_t major;
	uint64_t u;

	if (cb_head(c, &major, &u) != 0 || major > 1 || u > (uint64_t)INT64_MAX)
		return -1;
	*v = major == 0 ? (int64_t)u : -1 - (int64_t)u;
	return 0;
}

int cb_bool(struct cb *c, int *v)
{
	uint8_t major;
	uint64_t u;

	if (cb_head(c, &major, &u) != 0 || major != 7 || (u != 20 && u != 21))
		return -1;
	*v = u == 21;
	return 0;
}

int cb_skip(struct cb *c, int depth)
{
	uint8_t major;
	uint64_t v, i;

	if (depth > CB_MAX_DEPTH || cb_head(c, &major, &v) != 0)
		return -1;
	switch (major) {
	case 0: case 1: case 7:
		return 0;
	case 2: case 3:
		if (v > c->len - c->off)
			return -1;
		c->off += (size_t)v;
		return 0;
	case 4: case 5:
		if (v > c->len - c->off)
			return -1;
		for (i = 0; i < (major == 5 ? 2 * v : v); i++)
			if (cb_skip(c, depth + 1) != 0)
				return -1;
		return 0;
	default:
		return -1;                 /* tags (6) are not used by CTAP2 */
	}
}

int cb_text_is(const uint8_t *p, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(p, s, n) == 0;
}

int ce_head(struct sim_rbuf *r, uint8_t major, uint64_t v)
{
	uint8_t b[9];
	size_t n, i;

	if (v < 24) {
		b[0] = (uint8_t)((uint64_t)major << 5 | v);
		return sim_rbuf_put(r, b, 1);
	}
	n = v <= 0xFF ? 1 : v <= 0xFFFF ? 2 : v <= 0xFFFFFFFFu ? 4 : 8;
	b[0] = (uint8_t)(major << 5 | (n == 1 ? 24 : n == 2 ? 25 : n == 4 ? 26 : 27));
	for (i = 0; i < n; i++)
		b[1 + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	return sim_rbuf_put(r, b, 1 + n);
}

int ce_int(struct sim_rbuf *r, int64_t v)
{
	if (v >= 0)
		return ce_head(r, 0, (uint64_t)v);
	return ce_head(r, 1, (uint64_t)(-1 - v));
}

int ce_bytes(struct sim_rbuf *r, const uint8_t *p, size_t n)
{
	return ce_head(r, 2, n) || sim_rbuf_put(r, p, n);
}

int ce_textn(struct sim_rbuf *r, const uint8_t *s, size_t n)
{
	return ce_head(r, 3, n) || sim_rbuf_put(r, s, n);
}

int ce_text(struct sim_rbuf *r, const char *s)
{
	return ce_textn(r, (const uint8_t *)s, strlen(s));
}

int ce_bool(struct sim_rbuf *r, int v)
{
	return ce_head(r, 7, v ? 21 : 20);
}
