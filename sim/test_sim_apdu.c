/* test_sim_apdu.c — command APDU decoding: every ISO 7816-4 case, short and extended, and the
 * malformed encodings the framework must answer with 6700. */
#include "test_sim_util.h"

int main(void);

static int parse_hex(const char *hex, struct sim_apdu *a)
{
	static uint8_t buf[70000];
	size_t n = test_unhex(hex, buf, sizeof(buf));

	return sim_apdu_parse(buf, n, a);
}

static void test_short(void)
{
	struct sim_apdu a;

	CHECK(parse_hex("00A40400", &a) == 0 && a.lc == 0 && a.le == 0 && !a.extended);
	CHECK(parse_hex("00CA006E00", &a) == 0 && a.lc == 0 && a.le == 256);
	CHECK(parse_hex("00CA006E10", &a) == 0 && a.le == 16 && a.ins == 0xCA && a.p2 == 0x6E);
	CHECK(parse_hex("00A4040003A00000", &a) == 0 && a.lc == 3 && a.le == 0 && a.data[0] == 0xA0);
	CHECK(parse_hex("00A4040003A0000000", &a) == 0 && a.lc == 3 && a.le == 256);
	CHECK(parse_hex("00A4040003A0000007", &a) == 0 && a.le == 7);
}

static void test_extended(void)
{
	struct sim_apdu a;

	CHECK(parse_hex("00CA006E000000", &a) == 0 && a.extended && a.le == 65536 && a.lc == 0);
	CHECK(parse_hex("00CA006E000102", &a) == 0 && a.le == 0x102);
	CHECK(parse_hex("002A9E9A000002AABB", &a) == 0 && a.extended && a.lc == 2 && a.le == 0);
	CHECK(parse_hex("002A9E9A000002AABB0000", &a) == 0 && a.lc == 2 && a.le == 65536);
	CHECK(parse_hex("002A9E9A000002AABB0010", &a) == 0 && a.le == 16);
}

static void test_malformed(void)
{
	struct sim_apdu a;

	CHECK(parse_hex("", &a) != 0);
	CHECK(parse_hex("00A404", &a) != 0);
	CHECK(parse_hex("00A4040000AA", &a) != 0);        /* 00 then one byte */
	CHECK(parse_hex("00A4040005AABB", &a) != 0);      /* Lc runs past the end */
	CHECK(parse_hex("00A4040002AABBCCDD", &a) != 0);  /* two trailing bytes in a short APDU */
	CHECK(parse_hex("00A40400000000", &a) == 0);      /* extended case 2, Le 0000 */
	CHECK(parse_hex("00A4040000000011", &a) != 0);    /* extended Lc 0 with data is not a case */
	CHECK(parse_hex("00A404000000FFAA", &a) != 0);    /* extended Lc past the end */
	CHECK(parse_hex("00A40400000001AA00", &a) != 0);  /* one byte of Le in extended form */
	CHECK(sim_apdu_parse(NULL, 0, &a) != 0);
}

int main(void)
{
	test_short();
	test_extended();
	test_malformed();
	if (test_failures)
		fprintf(stderr, "%d check(s) failed\n", test_failures);
	return test_failures ? 1 : 0;
}
