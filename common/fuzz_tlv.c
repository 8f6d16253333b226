/* fuzz_tlv.c — BER-TLV and DOL parsing; every accepted TLV must re-encode to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sk_err.h"
#include "tlv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parsing accepts every definite length form and writing is minimal: writing back what was read
 * must read as the same object, and be the input itself when the input was minimal. */
static void roundtrip(struct sk_buf *b, const struct sk_tlv *t)
{
	struct sk_tlv back;
	size_t hdr = t->rawlen - t->len;

	sk_buf_reset(b);
	if (sk_tlv_put(b, t->tag, t->value, t->len) != 0) {
		if (t->len <= SK_TLV_MAX_LEN)
			abort();
		return;
	}
	if (sk_tlv_parse_one(sk_buf_ptr(b), sk_buf_len(b), &back) != 0 || back.tag != t->tag ||
	    back.len != t->len || memcmp(back.value, t->value, t->len) != 0)
		abort();
	if (hdr == sk_tlv_tag_size(t->tag) + sk_tlv_len_size(t->len) &&
	    (sk_buf_len(b) != t->rawlen || memcmp(sk_buf_ptr(b), t->raw, t->rawlen) != 0))
		abort();
}

static void walk(struct sk_buf *b, const uint8_t *p, size_t n, int depth)
{
	struct sk_tlv_iter it;
	struct sk_tlv t;

	sk_tlv_iter_init(&it, p, n);
	while (sk_tlv_iter_next(&it, &t) == 1) {
		if (t.value + t.len > p + n || t.raw < p)
			abort();
		roundtrip(b, &t);
		if (t.constructed && depth < SK_TLV_MAX_DEPTH)
			walk(b, t.value, t.len, depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_buf *b = sk_buf_new(0);
	struct sk_tlv t;
	struct sk_cur c;
	struct sk_dol_item d;
	const uint8_t *v;
	size_t len, half = size / 2;

	if (b == NULL)
		return 0;
	walk(b, data, size, 0);
	(void)sk_tlv_parse_one(data, size, &t);
	if (sk_tlv_find(data, size, 0x7F49, 1, &t) == 0 && t.tag != 0x7F49)
		abort();
	(void)sk_tlv_find(data, size, 0x5F50, 0, &t);
	sk_cur_init(&c, data, size);
	while (sk_dol_next(&c, &d) == 0) {
		sk_buf_reset(b);
		if (sk_dol_put(b, d.tag, d.len) != 0)
			abort();
	}
	if (size > 0)
		(void)sk_dol_value(data, half, data + half, size - half, data[0], &v, &len);
	sk_buf_free(&b);
	return 0;
}
