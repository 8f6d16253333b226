/* test_fido_cbor.c — the FIDO applet's CBOR reader and writer: round trips of every type it
 * uses, and refusal of indefinite lengths, reserved values, counts and strings past the end,
 * and nesting past the cap. */
#include "fido_int.h"
#include "test_sim_util.h"

int main(void);

static struct cb cb_of(const char *hex, uint8_t *buf, size_t cap)
{
	struct cb c = { buf, test_unhex(hex, buf, cap), 0 };

	return c;
}

static void test_read(void)
{
	uint8_t b[64];
	struct cb c;
	const uint8_t *p;
	size_t n;
	int64_t v;
	int t;

	c = cb_of("1864", b, sizeof(b));
	CHECK(cb_int(&c, &v) == 0 && v == 100 && c.off == c.len);
	c = cb_of("3863", b, sizeof(b));
	CHECK(cb_int(&c, &v) == 0 && v == -100);
	c = cb_of("26", b, sizeof(b));
	CHECK(cb_int(&c, &v) == 0 && v == -7);
	c = cb_of("43010203", b, sizeof(b));
	CHECK(cb_bytes(&c, &p, &n) == 0 && n == 3 && p[2] == 3);
	c = cb_of("6269640a", b, sizeof(b));
	CHECK(cb_text(&c, &p, &n) == 0 && cb_text_is(p, n, "id"));
	c = cb_of("f5", b, sizeof(b));
	CHECK(cb_bool(&c, &t) == 0 && t == 1);
	c = cb_of("a2 01 02 03 82 04 05", b, sizeof(b));
	CHECK(cb_skip(&c, 0) == 0 && c.off == c.len);
	/* refused */
	c = cb_of("5f", b, sizeof(b));
	CHECK(cb_skip(&c, 0) != 0);                 /* indefinite byte string */
	c = cb_of("bf", b, sizeof(b));
	CHECK(cb_skip(&c, 0) != 0);                 /* indefinite map */
	c = cb_of("1c", b, sizeof(b));
	CHECK(cb_skip(&c, 0) != 0);                 /* reserved additional info */
	c = cb_of("4401", b, sizeof(b));
	CHECK(cb_bytes(&c, &p, &n) != 0);           /* string past the end */
	c = cb_of("9a ffffffff", b, sizeof(b));
	CHECK(cb_skip(&c, 0) != 0);                 /* count past the end */
	c = cb_of("a1", b, sizeof(b));
	CHECK(cb_map(&c, &n) != 0);
	c = cb_of("19 01", b, sizeof(b));
	CHECK(cb_int(&c, &v) != 0);                 /* truncated argument */
	c = cb_of("818181818181818181818101", b, sizeof(b));
	CHECK(cb_skip(&c, 0) != 0);                 /* nesting past CB_MAX_DEPTH */
	c = cb_of("c0 01", b, sizeof(b));
	CHECK(cb_skip(&c, 0) != 0);                 /* tags are not CTAP2 */
	c = cb_of("1b ffffffffffffffff", b, sizeof(b));
	CHECK(cb_int(&c, &v) != 0);                 /* beyond int64 */
}

static void test_write(void)
{
	struct sim_rbuf r = { NULL, 0, 0 };
	struct cb c;
	const uint8_t *p;
	size_t n;
	int64_t v;
	int t;

	CHECK(ce_head(&r, 5, 3) == 0 && ce_int(&r, 1) == 0 && ce_int(&r, -25) == 0 &&
	    ce_int(&r, 70000) == 0 && ce_text(&r, "public-key") == 0 && ce_bool(&r, 0) == 0 &&
	    ce_bytes(&r, (const uint8_t *)"abc", 3) == 0);
	c.p = r.p;
	c.len = r.len;
	c.off = 0;
	CHECK(cb_map(&c, &n) == 0 && n == 3);
	CHECK(cb_int(&c, &v) == 0 && v == 1 && cb_int(&c, &v) == 0 && v == -25);
	CHECK(cb_int(&c, &v) == 0 && v == 70000);
	CHECK(cb_text(&c, &p, &n) == 0 && cb_text_is(p, n, "public-key"));
	CHECK(cb_bool(&c, &t) == 0 && t == 0);
	CHECK(cb_bytes(&c, &p, &n) == 0 && n == 3 && c.off == c.len);
	CHECK(r.p[0] == 0xA3 && r.p[2] == 0x38 && r.p[3] == 0x18);   /* -25 = 38 18 */
	sim_rbuf_free(&r);
}

int main(void)
{
	test_read();
	test_write();
	if (test_failures)
		fprintf(stderr, "%d check(s) failed\n", test_failures);
	return test_failures ? 1 : 0;
}
