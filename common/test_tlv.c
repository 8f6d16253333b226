/* test_tlv.c — BER-TLV reading (every rejection rule), finding, iterating, writing, DOLs. */
#include <stdint.h>

#include "buf.h"
#include "sk_err.h"
#include "test_common.h"
#include "tlv.h"

int main(void);

static int parse(const uint8_t *p, size_t n, struct sk_tlv *t)
{
	return sk_tlv_parse_one(p, n, t);
}

static void test_lengths(void)
{
	static const uint8_t l0[] = { 0x5A, 0x00 };
	static const uint8_t l7f[2 + 0x7F] = { 0x5A, 0x7F };
	static const uint8_t l81[3 + 0x80] = { 0x5A, 0x81, 0x80 };
	static const uint8_t l82[4 + 0x100] = { 0x5A, 0x82, 0x01, 0x00 };
	static const uint8_t ind[] = { 0x5A, 0x80, 0x00, 0x00 };
	static const uint8_t nm81[] = { 0x5A, 0x81, 0x7F };
	static const uint8_t nm82[] = { 0x5A, 0x82, 0x00, 0xFF };
	static const uint8_t l83[] = { 0x5A, 0x83, 0x00, 0x00, 0x01, 0xAA };
	static const uint8_t l84[] = { 0x5A, 0x84, 0x00, 0x00, 0x00, 0x01, 0xAA };
	static const uint8_t l85[] = { 0x5A, 0x85, 0x00, 0x00, 0x00, 0x00, 0x01, 0xAA };
	static const uint8_t huge84[] = { 0x5A, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0xAA };
	static const uint8_t cut83[] = { 0x5A, 0x83, 0x00, 0x01 };
	static const uint8_t lm81[] = { 0x5A, 0x81, 0x02, 0xAA, 0xBB };
	static const uint8_t lm82[4 + 0xFF] = { 0x5A, 0x82, 0x00, 0xFF };
	static const uint8_t lm82z[] = { 0x5A, 0x82, 0x00, 0x00 };
	static const uint8_t ind0[] = { 0x7F, 0x49, 0x80, 0x86, 0x01, 0x04, 0x00, 0x00 };
	static const uint8_t past[] = { 0x5A, 0x03, 0x01, 0x02 };
	static const uint8_t past82[] = { 0x5A, 0x82, 0xFF, 0xFF, 0x00 };
	static const uint8_t nolen[] = { 0x5A };
	static const uint8_t short81[] = { 0x5A, 0x81 };
	static const uint8_t trailing[] = { 0x5A, 0x01, 0x01, 0x01 };
	struct sk_tlv t;

	CHECK_EQ(parse(l0, sizeof(l0), &t), 0);
	CHECK_EQ(t.tag, 0x5A);
	CHECK_EQ(t.len, 0);
	CHECK_EQ(t.rawlen, 2);
	CHECK_EQ(parse(l7f, sizeof(l7f), &t), 0);
	CHECK_EQ(t.len, 0x7F);
	CHECK_EQ(parse(l81, sizeof(l81), &t), 0);
	CHECK_EQ(t.len, 0x80);
	CHECK(t.value == l81 + 3);
	CHECK_EQ(parse(l82, sizeof(l82), &t), 0);
	CHECK_EQ(t.len, 0x100);
	CHECK_EQ(t.rawlen, sizeof(l82));
	CHECK_EQ(parse(ind, sizeof(ind), &t), SK_ERR_FORMAT);
	CHECK_EQ(parse(nm81, sizeof(nm81), &t), SK_ERR_FORMAT);   /* 7F bytes announced, 0 there */
	CHECK_EQ(parse(nm82, sizeof(nm82), &t), SK_ERR_FORMAT);
	CHECK_EQ(parse(l83, sizeof(l83), &t), 0);   /* non-minimal forms are valid BER */
	CHECK_EQ(t.len, 1);
	CHECK_EQ(t.rawlen, sizeof(l83));
	CHECK(t.value == l83 + 5);
	CHECK_EQ(parse(l84, sizeof(l84), &t), 0);
	CHECK_EQ(t.len, 1);
	CHECK(t.value == l84 + 6);
	CHECK_EQ(parse(l85, sizeof(l85), &t), SK_ERR_FORMAT);
	CHECK_EQ(parse(huge84, sizeof(huge84), &t), SK_ERR_FORMAT);
	CHECK_EQ(parse(cut83, sizeof(cut83), &t), SK_ERR_FORMAT);
	CHECK_EQ(parse(lm81, sizeof(lm81), &t), 0);
	CHECK_EQ(t.len, 2);
	CHECK_EQ(t.rawlen, sizeof(lm81));
	CHECK_EQ(parse(lm82, sizeof(lm82), &t), 0);
	CHECK_EQ(t.len, 0xFF);
	CHECK(t.value == lm82 + 4);
	CHECK_EQ(parse(lm82z, sizeof(lm82z), &t), 0);
	CHECK_EQ(t.len, 0);
	CHECK_EQ(parse(ind0, sizeof(ind0), &t), SK_ERR_FORMAT);
	CHECK_EQ(parse(past, sizeof(past), &t), SK_ERR_FORMAT);
	CHECK_EQ(parse(past82, sizeof(past82), &t), SK_ERR_FORMAT);
	CHECK_EQ(parse(nolen, sizeof(nolen), &t), SK_ERR_FORMAT);
	CHECK_EQ(parse(short81, sizeof(short81), &t), SK_ERR_FORMAT);
	CHECK_EQ(parse(trailing, sizeof(trailing), &t), SK_ERR_FORMAT);
	CHECK_EQ(parse(NULL, 0, &t), SK_ERR_FORMAT);
}

static void test_tags(void)
{
	static const uint8_t t2[] = { 0x5F, 0x50, 0x01, 0x41 };
	static const uint8_t t7f49[] = { 0x7F, 0x49, 0x03, 0x86, 0x01, 0x04 };
	static const uint8_t t3[] = { 0x5F, 0x81, 0x01, 0x00 };
	static const uint8_t t4[] = { 0x5F, 0x81, 0x81, 0x01, 0x00 };
	static const uint8_t lead0[] = { 0x5F, 0x80, 0x01, 0x00 };
	static const uint8_t low2[] = { 0x5F, 0x1E, 0x00 };
	static const uint8_t z[] = { 0x00, 0x00 };
	static const uint8_t ff[] = { 0xFF, 0x00 };
	static const uint8_t cut[] = { 0x5F };
	struct sk_tlv t;

	CHECK_EQ(parse(t2, sizeof(t2), &t), 0);
	CHECK_EQ(t.tag, 0x5F50);
	CHECK_EQ(t.constructed, 0);
	CHECK_EQ(parse(t7f49, sizeof(t7f49), &t), 0);
	CHECK_EQ(t.tag, 0x7F49);
	CHECK_EQ(t.constructed, 1);
	CHECK_EQ(t.len, 3);
	CHECK_EQ(parse(t3, sizeof(t3), &t), 0);
	CHECK_EQ(t.tag, 0x5F8101);
	CHECK_EQ(parse(t4, sizeof(t4), &t), SK_ERR_FORMAT);     /* 4-byte tag */
	CHECK_EQ(parse(lead0, sizeof(lead0), &t), SK_ERR_FORMAT);
	CHECK_EQ(parse(low2, sizeof(low2), &t), SK_ERR_FORMAT);
	CHECK_EQ(parse(z, sizeof(z), &t), SK_ERR_FORMAT);
	CHECK_EQ(parse(ff, sizeof(ff), &t), SK_ERR_FORMAT);
	CHECK_EQ(parse(cut, sizeof(cut), &t), SK_ERR_FORMAT);
	CHECK_EQ(sk_tlv_tag_size(0x5A), 1);
	CHECK_EQ(sk_tlv_tag_size(0x7F49), 2);
	CHECK_EQ(sk_tlv_tag_size(0x5F8101), 3);
}

/* 6E { 4F(2) 73 { C0(1) C5(2) } } 5F2D(1) — like OpenPGP application related data. */
static const uint8_t nested[] = {
	0x6E, 0x0D, 0x4F, 0x02, 0xD2, 0x76, 0x73, 0x07, 0xC0, 0x01, 0x7C, 0xC5, 0x02, 0xAA, 0xBB,
	0x5F, 0x2D, 0x01, 0x65,
};

static void test_find(void)
{
	struct sk_tlv t;
	struct sk_tlv_iter it;
	uint8_t deep[2 * 10 + 3];
	size_t i;
	int n = 0, r;

	CHECK_EQ(sk_tlv_find(nested, sizeof(nested), 0xC5, 1, &t), 0);
	CHECK_EQ(t.len, 2);
	CHECK_EQ(t.value[0], 0xAA);
	CHECK_EQ(sk_tlv_find(nested, sizeof(nested), 0xC5, 0, &t), SK_ERR_NOT_FOUND);
	CHECK_EQ(sk_tlv_find(nested, sizeof(nested), 0x5F2D, 0, &t), 0);
	CHECK_EQ(t.value[0], 0x65);
	CHECK_EQ(sk_tlv_find(nested, sizeof(nested), 0x99, 1, &t), SK_ERR_NOT_FOUND);
	CHECK_EQ(sk_tlv_find(nested, sizeof(nested) - 1, 0x99, 1, &t), SK_ERR_FORMAT);
	CHECK_EQ(sk_tlv_find(nested, sizeof(nested), 0x6E, 0, &t), 0);
	sk_tlv_iter_children(&it, &t);
	while ((r = sk_tlv_iter_next(&it, &t)) == 1)
		n++;
	CHECK_EQ(r, 0);
	CHECK_EQ(n, 2);
	/* nesting past SK_TLV_MAX_DEPTH is refused, not followed */
	for (i = 0; i < 10; i++) {
		deep[2 * i] = 0x70;
		deep[2 * i + 1] = (uint8_t)(sizeof(deep) - 2 * i - 2);
	}
	deep[20] = 0x5A; deep[21] = 0x01; deep[22] = 0x01;
	CHECK_EQ(sk_tlv_find(deep, sizeof(deep), 0x5A, 1, &t), SK_ERR_FORMAT);
	CHECK_EQ(sk_tlv_find(deep + 8, sizeof(deep) - 8, 0x5A, 1, &t), 0);
}

/* The 6E example again as a card may send it: 82 00 0F for 6E, 81 07 for 73, 00/FF padding
 * between, inside and after the objects (ISO 7816-4 5.2.2). */
static const uint8_t liberal[] = {
	0x00, 0x6E, 0x82, 0x00, 0x13, 0x4F, 0x82, 0x00, 0x02, 0xD2, 0x76, 0xFF, 0xFF,
	0x73, 0x81, 0x07, 0xC0, 0x01, 0x7C, 0xC5, 0x02, 0xAA, 0xBB,
	0x00, 0x5F, 0x2D, 0x83, 0x00, 0x00, 0x01, 0x65, 0xFF, 0x00,
};

static void test_liberal(void)
{
	struct sk_tlv t, c;
	struct sk_tlv_iter it;
	uint32_t tags[3] = { 0 };
	int n = 0, r;

	CHECK_EQ(sk_tlv_find(liberal, sizeof(liberal), 0xC5, 1, &t), 0);
	CHECK_EQ(t.len, 2);
	CHECK_EQ(t.value[1], 0xBB);
	CHECK_EQ(sk_tlv_find(liberal, sizeof(liberal), 0x5F2D, 0, &t), 0);
	CHECK_EQ(t.len, 1);
	CHECK_EQ(t.value[0], 0x65);
	CHECK_EQ(sk_tlv_find(liberal, sizeof(liberal), 0x6E, 0, &t), 0);
	sk_tlv_iter_children(&it, &t);
	while ((r = sk_tlv_iter_next(&it, &c)) == 1 && n < 3)
		tags[n++] = c.tag;
	CHECK_EQ(r, 0);
	CHECK_EQ(n, 2);
	CHECK_EQ(tags[0], 0x4F);
	CHECK_EQ(tags[1], 0x73);
	/* one object with padding around it is one object; padding alone is none */
	CHECK_EQ(sk_tlv_parse_one(liberal, 24, &t), 0);
	CHECK_EQ(t.tag, 0x6E);
	CHECK_EQ(t.len, 0x13);
	CHECK_EQ(sk_tlv_parse_one(liberal + 24, sizeof(liberal) - 24, &t), 0);
	CHECK_EQ(t.tag, 0x5F2D);
	CHECK_EQ(sk_tlv_parse_one(liberal + 31, 2, &t), SK_ERR_FORMAT);
	CHECK_EQ(sk_tlv_parse_one(liberal, sizeof(liberal), &t), SK_ERR_FORMAT);   /* two objects */
}

static void test_write(void)
{
	static const uint8_t v300[300] = { 0 };
	struct sk_buf *b = sk_buf_new(0);
	struct sk_tlv t;
	size_t m1, m2;

	CHECK(b != NULL);
	if (b == NULL)
		return;
	CHECK_EQ(sk_tlv_begin(b, 0x6E, &m1), 0);
	CHECK_EQ(sk_tlv_put(b, 0x4F, "\xD2\x76", 2), 0);
	CHECK_EQ(sk_tlv_begin(b, 0x73, &m2), 0);
	CHECK_EQ(sk_tlv_put(b, 0xC0, "\x7C", 1), 0);
	CHECK_EQ(sk_tlv_put(b, 0xC5, "\xAA\xBB", 2), 0);
	CHECK_EQ(sk_tlv_end(b, m2), 0);
	CHECK_EQ(sk_tlv_end(b, m1), 0);
	CHECK_EQ(sk_tlv_put(b, 0x5F2D, "\x65", 1), 0);
	CHECK_EQ(sk_buf_len(b), sizeof(nested));
	CHECK_MEM(sk_buf_ptr(b), nested, sizeof(nested));
	sk_buf_reset(b);
	/* minimal long forms */
	CHECK_EQ(sk_tlv_put(b, 0x7F49, v300, 128), 0);
	CHECK_MEM(sk_buf_ptr(b), "\x7F\x49\x81\x80", 4);
	sk_buf_reset(b);
	CHECK_EQ(sk_tlv_begin(b, 0x7F21, &m1), 0);
	CHECK_EQ(sk_buf_put(b, v300, 300), 0);
	CHECK_EQ(sk_tlv_end(b, m1), 0);
	CHECK_MEM(sk_buf_ptr(b), "\x7F\x21\x82\x01\x2C", 5);
	CHECK_EQ(sk_tlv_parse_one(sk_buf_ptr(b), sk_buf_len(b), &t), 0);
	CHECK_EQ(t.len, 300);
	sk_buf_reset(b);
	CHECK_EQ(sk_tlv_put(b, 0x5A, v300, 0x10000), SK_ERR_ARG);
	CHECK_EQ(sk_tlv_put(b, 0x1F05, v300, 1), SK_ERR_ARG);   /* not a valid 2-byte tag */
	CHECK_EQ(sk_tlv_put(b, 0x00, v300, 1), SK_ERR_ARG);
	CHECK_EQ(sk_tlv_put(b, 0x5F808001, v300, 1), SK_ERR_ARG);
	CHECK_EQ(sk_buf_len(b), 0);
	CHECK_EQ(sk_tlv_len_size(0x10000), 0);
	sk_buf_free(&b);
}

static void test_dol(void)
{
	/* 7F48 body for RSA import: 91 03, 92 82 0100, 93 82 0100 */
	static const uint8_t dol[] = { 0x91, 0x03, 0x92, 0x82, 0x01, 0x00, 0x93, 0x82, 0x01, 0x00 };
	static uint8_t data[3 + 256 + 256];
	struct sk_buf *b = sk_buf_new(0);
	struct sk_dol_item it;
	struct sk_cur c;
	const uint8_t *v;
	size_t len;

	CHECK(b != NULL);
	if (b == NULL)
		return;
	data[3] = 0x11;
	data[3 + 256] = 0x22;
	sk_cur_init(&c, dol, sizeof(dol));
	CHECK_EQ(sk_dol_next(&c, &it), 0);
	CHECK_EQ(it.tag, 0x91);
	CHECK_EQ(it.len, 3);
	CHECK_EQ(sk_dol_next(&c, &it), 0);
	CHECK_EQ(it.len, 256);
	CHECK_EQ(sk_dol_value(dol, sizeof(dol), data, sizeof(data), 0x92, &v, &len), 0);
	CHECK_EQ(len, 256);
	CHECK_EQ(v[0], 0x11);
	CHECK_EQ(sk_dol_value(dol, sizeof(dol), data, sizeof(data), 0x93, &v, &len), 0);
	CHECK_EQ(v[0], 0x22);
	CHECK_EQ(sk_dol_value(dol, sizeof(dol), data, sizeof(data), 0x94, &v, &len),
	    SK_ERR_NOT_FOUND);
	CHECK_EQ(sk_dol_value(dol, sizeof(dol), data, sizeof(data) - 1, 0x91, &v, &len),
	    SK_ERR_FORMAT);
	CHECK(v == NULL);
	CHECK_EQ(sk_dol_value(dol, sizeof(dol) - 1, data, sizeof(data), 0x91, &v, &len),
	    SK_ERR_FORMAT);
	CHECK_EQ(sk_dol_put(b, 0x91, 3), 0);
	CHECK_EQ(sk_dol_put(b, 0x92, 256), 0);
	CHECK_EQ(sk_dol_put(b, 0x93, 256), 0);
	CHECK_EQ(sk_buf_len(b), sizeof(dol));
	CHECK_MEM(sk_buf_ptr(b), dol, sizeof(dol));
	sk_buf_free(&b);
}

int main(void)
{
	test_lengths();
	test_tags();
	test_find();
	test_liberal();
	test_write();
	test_dol();
	return test_done("test_tlv");
}
