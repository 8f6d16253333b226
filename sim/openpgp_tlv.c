/* openpgp_tlv.c — the OpenPGP applet's own bounds-checked BER-TLV reader and writers. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "openpgp_int.h"

void
opgp_cur_init(struct opgp_cur *c, const uint8_t *p, size_t len)
{
	c->p = p;
	c->len = p != NULL ? len : 0;
	c->off = 0;
}

size_t
opgp_cur_left(const struct opgp_cur *c)
{
	return c->len - c->off;
}

static int
cur_u8(struct opgp_cur *c, uint8_t *v)
{
	if (c->off >= c->len)
		return -1;
	*v = c->p[c->off++];
	return 0;
}

static int
cur_tag(struct opgp_cur *c, unsigned *tag)
{
	uint8_t b, b2;

	if (cur_u8(c, &b) != 0)
		return -1;
	*tag = b;
	if ((b & 0x1Fu) != 0x1Fu)
		return 0;
	if (cur_u8(c, &b2) != 0 || (b2 & 0x80u) != 0)
		return -1;  /* tags longer than two bytes are not used by OpenPGP */
	*tag = (unsigned)b << 8 | b2;
	return 0;
}

static int
cur_len(struct opgp_cur *c, size_t *len)
{
	uint8_t b, x;
	size_t n, i;

	if (cur_u8(c, &b) != 0)
		return -1;
	if (b < 0x80u) {
		*len = b;
		return 0;
	}
	n = b & 0x7Fu;
	if (n == 0 || n > 2)
		return -1;  /* indefinite or absurd */
	*len = 0;
	for (i = 0; i < n; i++) {
		if (cur_u8(c, &x) != 0)
			return -1;
		if (i == 0 && x == 0)
			return -1;  /* non-minimal */
		*len = *len << 8 | x;
	}
	if (n == 1 && *len < 0x80u)
		return -1;
	return 0;
}

int
opgp_cur_tlv(struct opgp_cur *c, unsigned *tag, const uint8_t **val, size_t *vlen)
{
	size_t len;

	if (cur_tag(c, tag) != 0 || cur_len(c, &len) != 0)
		return -1;
	if (len > c->len - c->off)
		return -1;
	*val = c->p + c->off;
	*vlen = len;
	c->off += len;
	return 0;
}

int
opgp_cur_taglen(struct opgp_cur *c, unsigned *tag, size_t *len)
{
	return cur_tag(c, tag) != 0 || cur_len(c, len) != 0 ? -1 : 0;
}

int
opgp_cur_take(struct opgp_cur *c, size_t n, const uint8_t **p)
{
	if (n > c->len - c->off)
		return -1;
	*p = c->p + c->off;
	c->off += n;
	return 0;
}

int
opgp_tlv_find(const uint8_t *p, size_t len, unsigned tag, const uint8_t **val, size_t *vlen)
{
	struct opgp_cur c;
	unsigned t;

	opgp_cur_init(&c, p, len);
	while (opgp_cur_left(&c) > 0) {
		if (opgp_cur_tlv(&c, &t, val, vlen) != 0)
			return -1;
		if (t == tag)
			return 0;
	}
	return -1;
}

int
opgp_put_tag(struct sim_rbuf *r, unsigned tag)
{
	if (tag > 0xFFu && sim_rbuf_u8(r, (uint8_t)(tag >> 8)) != 0)
		return -1;
	return sim_rbuf_u8(r, (uint8_t)tag);
}

static size_t
len_size(size_t len)
{
	return len < 0x80u ? 1 : len < 0x100u ? 2 : 3;
}

static void
len_encode(uint8_t *o, size_t len)
{
	if (len < 0x80u) {
		o[0] = (uint8_t)len;
	} else if (len < 0x100u) {
		o[0] = 0x81;
		o[1] = (uint8_t)len;
	} else {
		o[0] = 0x82;
		o[1] = (uint8_t)(len >> 8);
		o[2] = (uint8_t)len;
	}
}

/* The length field for an answer: minimal, or in the real-card encodings one size longer
 * (81 xx for 00-7F, 82 00 xx for 80-FF) for primitives and always 82 xx xx for templates. */
static size_t
len_encode_for(uint8_t *o, size_t len, int constructed)
{
	if (sim_encoding() == SIM_ENC_MINIMAL || len > 0xFFFFu) {
		len_encode(o, len);
		return len_size(len);
	}
	if (constructed || len >= 0x80u) {
		o[0] = 0x82;
		o[1] = (uint8_t)(len >> 8);
		o[2] = (uint8_t)len;
		return 3;
	}
	o[0] = 0x81;
	o[1] = (uint8_t)len;
	return 2;
}

int
opgp_put_len(struct sim_rbuf *r, size_t len)
{
	uint8_t b[3];
	size_t n;

	if (len > 0xFFFFu)
		return -1;
	n = len_encode_for(b, len, 0);
	return sim_rbuf_put(r, b, n);
}

int
opgp_put_tlv(struct sim_rbuf *r, unsigned tag, const void *v, size_t len)
{
	if (opgp_put_tag(r, tag) != 0 || opgp_put_len(r, len) != 0)
		return -1;
	return len == 0 ? 0 : sim_rbuf_put(r, v, len);
}

int
opgp_wrap(struct sim_rbuf *r, size_t start, unsigned tag)
{
	uint8_t hdr[5];
	size_t hl = 0, vlen;

	if (start > r->len)
		return -1;
	vlen = r->len - start;
	if (vlen > 0xFFFFu)
		return -1;
	if (tag > 0xFFu)
		hdr[hl++] = (uint8_t)(tag >> 8);
	hdr[hl++] = (uint8_t)tag;
	hl += len_encode_for(hdr + hl, vlen, 1);
	/* grow by the header size, then shift the value right */
	if (sim_rbuf_put(r, hdr, hl) != 0)
		return -1;
	memmove(r->p + start + hl, r->p + start, vlen);
	memcpy(r->p + start, hdr, hl);
	return 0;
}

int
opgp_blob_set(struct opgp_blob *b, const uint8_t *p, size_t len)
{
	uint8_t *n = NULL;

	if (len > 0) {
		n = malloc(len);
		if (n == NULL)
			return -1;
		memcpy(n, p, len);
	}
	opgp_blob_clear(b);
	b->p = n;
	b->len = len;
	return 0;
}

void
opgp_blob_clear(struct opgp_blob *b)
{
	if (b->p != NULL) {
		OPENSSL_cleanse(b->p, b->len);
		free(b->p);
	}
	b->p = NULL;
	b->len = 0;
}
