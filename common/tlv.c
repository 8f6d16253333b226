/* tlv.c — BER-TLV reader and writer (ISO 7816-4 subset used by OpenPGP cards), and DOLs.
 * Liberal in what cards send (any definite length form, 00/FF padding between objects), minimal
 * in what it writes. */
#include "tlv.h"

#include <string.h>

#include "buf.h"
#include "log.h"
#include "sk_err.h"

/* Tag: 1 byte, or first byte xxx11111 then 1-2 more (bit 8 = more follows). ISO 7816-4: the
 * second byte is 1F-7F for a 2-byte tag and 81-FF for a 3-byte tag; 00 and FF are no tags. */
static int tlv_read_tag(struct sk_cur *c, uint32_t *tag)
{
	uint8_t b0, b1, b2;

	if (sk_cur_u8(c, &b0) != 0 || b0 == 0x00 || b0 == 0xFF)
		return SK_ERR_FORMAT;
	*tag = b0;
	if ((b0 & 0x1F) != 0x1F)
		return 0;
	if (sk_cur_u8(c, &b1) != 0 || b1 < 0x1F || b1 == 0x80)
		return SK_ERR_FORMAT;
	*tag = (*tag << 8) | b1;
	if ((b1 & 0x80) == 0)
		return 0;
	if (sk_cur_u8(c, &b2) != 0 || (b2 & 0x80) != 0)
		return SK_ERR_FORMAT;
	*tag = (*tag << 8) | b2;
	return 0;
}

/* Length: 00-7F, or 81-84 followed by that many bytes of big-endian length. ISO 7816-4 BER has
 * no minimal-length rule and cards do send 81 05 or 82 00 FF; 80 (indefinite) and 85 and longer
 * are rejected. Whether the value fits is the caller's bounds check. */
static int tlv_read_len(struct sk_cur *c, size_t *len)
{
	uint8_t b0, b;
	uint32_t v = 0;

	if (sk_cur_u8(c, &b0) != 0)
		return SK_ERR_FORMAT;
	if (b0 < 0x80) {
		*len = b0;
		return 0;
	}
	if (b0 == 0x80 || b0 > 0x84)
		return SK_ERR_FORMAT;
	for (unsigned i = 0; i < (unsigned)(b0 & 0x7F); i++) {
		if (sk_cur_u8(c, &b) != 0)
			return SK_ERR_FORMAT;
		v = (v << 8) | b;
	}
	*len = v;
	return 0;
}

/* Tag and length; the cursor is left unchanged on failure. */
static int tlv_read_header(struct sk_cur *c, uint32_t *tag, size_t *len)
{
	struct sk_cur t = *c;

	if (tlv_read_tag(&t, tag) != 0 || tlv_read_len(&t, len) != 0)
		return SK_ERR_FORMAT;
	*c = t;
	return 0;
}

int sk_tlv_next(struct sk_cur *c, struct sk_tlv *out)
{
	struct sk_cur t = *c;
	const uint8_t *start = sk_cur_ptr(c);
	uint32_t tag;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (tlv_read_header(&t, &tag, &len) != 0 || sk_cur_bytes(&t, len, &out->value) != 0)
		return SK_ERR_FORMAT;
	out->tag = tag;
	out->constructed = ((tag >> (8 * (sk_tlv_tag_size(tag) - 1))) & 0x20) != 0;
	out->len = len;
	out->raw = start;
	out->rawlen = t.off - c->off;
	*c = t;
	return 0;
}

/* ISO 7816-4 5.2.2: 00 or FF bytes without meaning may come before, between or after BER-TLV
 * objects (erased or rewritten data); neither is a valid first tag byte, so skipping is safe. */
static void tlv_skip_padding(struct sk_cur *c)
{
	const uint8_t *p;

	while (sk_cur_left(c) > 0) {
		p = sk_cur_ptr(c);
		if (*p != 0x00 && *p != 0xFF)
			break;
		(void)sk_cur_skip(c, 1);
	}
}

int sk_tlv_parse_one(const uint8_t *p, size_t len, struct sk_tlv *out)
{
	struct sk_cur c;
	int r;

	sk_cur_init(&c, p, len);
	tlv_skip_padding(&c);
	if ((r = sk_tlv_next(&c, out)) != 0)
		return r;
	tlv_skip_padding(&c);
	if (sk_cur_end(&c) != 0) {
		memset(out, 0, sizeof(*out));
		return SK_ERR_FORMAT;
	}
	return 0;
}

static int tlv_find_depth(const uint8_t *p, size_t len, uint32_t tag, int recurse, int depth,
    struct sk_tlv *out)
{
	struct sk_tlv_iter it;
	struct sk_tlv t;
	int r;

	sk_tlv_iter_init(&it, p, len);
	while ((r = sk_tlv_iter_next(&it, &t)) == 1) {
		if (t.tag == tag) {
			*out = t;
			return 0;
		}
		if (!recurse || !t.constructed)
			continue;
		if (depth + 1 >= SK_TLV_MAX_DEPTH)
			return SK_ERR_FORMAT;
		r = tlv_find_depth(t.value, t.len, tag, recurse, depth + 1, out);
		if (r != SK_ERR_NOT_FOUND)
			return r;
	}
	return r == 0 ? SK_ERR_NOT_FOUND : r;
}

int sk_tlv_find(const uint8_t *p, size_t len, uint32_t tag, int recurse, struct sk_tlv *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	r = tlv_find_depth(p, len, tag, recurse, 0, out);
	if (r != 0)
		memset(out, 0, sizeof(*out));
	return r;
}

void sk_tlv_iter_init(struct sk_tlv_iter *it, const uint8_t *p, size_t len)
{
	sk_cur_init(&it->cur, p, len);
}

void sk_tlv_iter_children(struct sk_tlv_iter *it, const struct sk_tlv *parent)
{
	sk_cur_init(&it->cur, parent->value, parent->len);
}

int sk_tlv_iter_next(struct sk_tlv_iter *it, struct sk_tlv *out)
{
	tlv_skip_padding(&it->cur);
	if (sk_cur_left(&it->cur) == 0)
		return 0;
	if (sk_tlv_next(&it->cur, out) != 0) {
		sk_log(SK_LOG_DEBUG, "tlv: malformed TLV at offset %zu", it->cur.off);
		return SK_ERR_FORMAT;
	}
	return 1;
}

size_t sk_tlv_tag_size(uint32_t tag)
{
	if (tag > 0xFFFF)
		return 3;
	return tag > 0xFF ? 2 : 1;
}

size_t sk_tlv_len_size(size_t len)
{
	if (len < 0x80)
		return 1;
	if (len <= 0xFF)
		return 2;
	return len <= SK_TLV_MAX_LEN ? 3 : 0;
}

/* Encodes tag into out (1-3 bytes) after checking it is one tlv_read_tag would accept. */
static int tlv_encode_tag(uint32_t tag, uint8_t out[3], size_t *n)
{
	struct sk_cur c;
	uint32_t back;
	size_t i;

	*n = sk_tlv_tag_size(tag);
	if (tag > 0xFFFFFF)
		return SK_ERR_ARG;
	for (i = 0; i < *n; i++)
		out[i] = (uint8_t)(tag >> (8 * (*n - 1 - i)));
	sk_cur_init(&c, out, *n);
	if (tlv_read_tag(&c, &back) != 0 || back != tag || sk_cur_end(&c) != 0)
		return SK_ERR_ARG;
	return 0;
}

int sk_tlv_put_tag(struct sk_buf *b, uint32_t tag)
{
	uint8_t t[3];
	size_t n;
	int r;

	if ((r = tlv_encode_tag(tag, t, &n)) != 0)
		return r;
	return sk_buf_put(b, t, n);
}

static size_t tlv_encode_len(size_t len, uint8_t out[3])
{
	size_t n = sk_tlv_len_size(len);

	if (n == 1) {
		out[0] = (uint8_t)len;
	} else if (n == 2) {
		out[0] = 0x81;
		out[1] = (uint8_t)len;
	} else if (n == 3) {
		out[0] = 0x82;
		out[1] = (uint8_t)(len >> 8);
		out[2] = (uint8_t)len;
	}
	return n;
}

int sk_tlv_put_len(struct sk_buf *b, size_t len)
{
	uint8_t l[3];
	size_t n = tlv_encode_len(len, l);

	if (n == 0)
		return SK_ERR_ARG;
	return sk_buf_put(b, l, n);
}

int sk_tlv_put(struct sk_buf *b, uint32_t tag, const void *value, size_t len)
{
	size_t before = sk_buf_len(b);
	int r;

	if (len > SK_TLV_MAX_LEN)
		return SK_ERR_ARG;
	if ((r = sk_tlv_put_tag(b, tag)) != 0 || (r = sk_tlv_put_len(b, len)) != 0 ||
	    (r = sk_buf_put(b, value, len)) != 0)
		(void)sk_buf_truncate(b, before);
	return r;
}

int sk_tlv_begin(struct sk_buf *b, uint32_t tag, size_t *mark)
{
	int r;

	if ((r = sk_tlv_put_tag(b, tag)) != 0)
		return r;
	*mark = sk_buf_len(b);
	return 0;
}

int sk_tlv_end(struct sk_buf *b, size_t mark)
{
	size_t len, n;
	uint8_t l[3], *dst, *d;
	int r;

	if (mark > sk_buf_len(b))
		return SK_ERR_ARG;
	len = sk_buf_len(b) - mark;
	if ((n = tlv_encode_len(len, l)) == 0)
		return SK_ERR_TOOBIG;
	if ((r = sk_buf_reserve(b, n, &dst)) != 0)
		return r;
	d = sk_buf_mutable_ptr(b);
	memmove(d + mark + n, d + mark, len);
	memcpy(d + mark, l, n);
	return 0;
}

int sk_dol_next(struct sk_cur *c, struct sk_dol_item *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = tlv_read_header(c, &out->tag, &out->len)) != 0)
		return r;
	/* a DOL entry sizes data that follows in the same exchange: beyond what any APDU carries
	 * (an 83/84 length form allows up to 4 GiB) it is out of bounds, not an encoding choice */
	if (out->len > SK_TLV_MAX_LEN) {
		memset(out, 0, sizeof(*out));
		return SK_ERR_FORMAT;
	}
	return 0;
}

int sk_dol_put(struct sk_buf *b, uint32_t tag, size_t len)
{
	size_t before = sk_buf_len(b);
	int r;

	if ((r = sk_tlv_put_tag(b, tag)) != 0 || (r = sk_tlv_put_len(b, len)) != 0)
		(void)sk_buf_truncate(b, before);
	return r;
}

int sk_dol_value(const uint8_t *dol, size_t dollen, const uint8_t *data, size_t datalen,
    uint32_t tag, const uint8_t **value, size_t *len)
{
	struct sk_cur dc, vc;
	struct sk_dol_item it;
	const uint8_t *v;
	int found = 0;

	*value = NULL;
	*len = 0;
	sk_cur_init(&dc, dol, dollen);
	sk_cur_init(&vc, data, datalen);
	while (sk_cur_left(&dc) > 0) {
		if (sk_dol_next(&dc, &it) != 0 || sk_cur_bytes(&vc, it.len, &v) != 0) {
			*value = NULL;
			*len = 0;
			return SK_ERR_FORMAT;
		}
		if (it.tag == tag && !found) {
			*value = v;
			*len = it.len;
			found = 1;
		}
	}
	if (sk_cur_end(&vc) != 0) {
		*value = NULL;
		*len = 0;
		return SK_ERR_FORMAT;
	}
	return found ? 0 : SK_ERR_NOT_FOUND;
}
