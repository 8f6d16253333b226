/* test_opgp_ops.c — APDUs of the private key operations, certificates, private DOs, factory
 * reset, and their handling of odd answers. */
#include <stdlib.h>
#include <string.h>

#include "card.h"
#include "mockcard.h"
#include "openpgp.h"
#include "sk_err.h"
#include "test_util.h"

#define SELECT "00 A4 04 00 06 D2 76 00 01 24 01"

static struct sk_card *card(struct mock *m, const struct mock_step *s, size_t n)
{
	return mock_card(m, s, n);
}

static void test_sign(void)
{
	static const struct mock_step steps[] = {
		{ "00 2A 9E 9A 03 AABBCC 00", "0102 9000" },
		{ "00 2A 9E 9A 01 AA 00", "9000" },          /* no signature bytes */
		{ "00 2A 9E 9A 01 AA 00", "6982" },
		{ "00 88 00 00 02 1122 00", "61 02" },       /* answer through GET RESPONSE */
		{ "00 C0 00 00 02", "3344 9000" },
	};
	struct mock m;
	struct sk_card *c = card(&m, steps, 5);
	uint8_t in[3] = { 0xAA, 0xBB, 0xCC }, *sig = NULL;
	size_t n = 0;

	CHECK_EQ(opgp_sign(c, in, 3, &sig, &n), 0);
	CHECK(n == 2 && sig[0] == 1 && sig[1] == 2);
	free(sig);
	CHECK_EQ(opgp_sign(c, in, 1, &sig, &n), SK_ERR_BAD_RESPONSE);
	CHECK(sig == NULL && n == 0);
	CHECK_EQ(opgp_sign(c, in, 1, &sig, &n), SK_ERR_DENIED);
	in[0] = 0x11;
	in[1] = 0x22;
	CHECK_EQ(opgp_internal_auth(c, in, 2, &sig, &n), 0);
	CHECK(n == 2 && sig[0] == 0x33);
	free(sig);
	CHECK(mock_done(&m));
	sk_card_free(&c);
}

static void test_decipher(void)
{
	static const struct mock_step steps[] = {
		{ "00 2A 80 86 27 A6 25 7F49 22 86 20"
		  "0101010101010101010101010101010101010101010101010101010101010101 00",
		  "0202020202020202020202020202020202020202020202020202020202020202 9000" },
		{ "00 2A 80 86 04 00 112233 00", "CAFE 9000" },
		{ "00 2A 80 86 27 A6 25 7F49 22 86 20"
		  "0101010101010101010101010101010101010101010101010101010101010101 00", "AB 9000" },
	};
	struct mock m;
	struct sk_card *c = card(&m, steps, 3);
	uint8_t pt[33], *out = NULL;
	size_t n = 0;

	memset(pt, 1, sizeof(pt));
	CHECK_EQ(opgp_decipher_ecdh(c, pt, 32, &out, &n), 0);
	CHECK(n == 32 && out[31] == 2);
	free(out);
	CHECK_EQ(opgp_decipher_rsa(c, (const uint8_t *)"\x11\x22\x33", 3, &out, &n), 0);
	CHECK(n == 2 && out[0] == 0xCA);
	free(out);
	pt[0] = 0x40;   /* gpg's prefixed form: same APDU */
	memset(pt + 1, 1, 32);
	CHECK_EQ(opgp_decipher_ecdh(c, pt, 33, &out, &n), 0);
	free(out);
	CHECK(mock_done(&m));
	sk_card_free(&c);
}

static void test_challenge(void)
{
	static const struct mock_step steps[] = {
		{ "00 84 00 00 08", "0102030405060708 9000" },
		{ "00 84 00 00 08", "01020304 9000" },
	};
	struct mock m;
	struct sk_card *c = card(&m, steps, 2);
	uint8_t buf[8];

	CHECK_EQ(opgp_get_challenge(c, buf, 8), 0);
	CHECK_EQ(buf[7], 8);
	CHECK_EQ(opgp_get_challenge(c, buf, 8), SK_ERR_BAD_RESPONSE);
	CHECK(mock_done(&m));
	sk_card_free(&c);
}

static void test_certs(void)
{
	static const struct mock_step steps[] = {
		{ "00 A5 02 04 06 60 04 5C 02 7F 21", "9000" },
		{ "00 CA 7F 21 00", "3003020100 9000" },
		{ "00 A5 00 04 06 60 04 5C 02 7F 21", "9000" },
		{ "00 CA 7F 21 00", "9000" },
		{ "00 A5 01 04 06 60 04 5C 02 7F 21", "9000" },
		{ "00 DA 7F 21 02 3000", "9000" },
		{ "00 CA 01 03 00", "6982" },
		{ "00 DA 01 01 01 41", "9000" },
	};
	struct mock m;
	struct sk_card *c = card(&m, steps, 8);
	uint8_t *out = NULL;
	size_t n = 0;
	const uint8_t der[2] = { 0x30, 0x00 };

	CHECK_EQ(opgp_read_cert(c, OPGP_KEY_SIG, &out, &n), 0);
	CHECK(n == 5 && out[0] == 0x30);
	free(out);
	CHECK_EQ(opgp_read_cert(c, OPGP_KEY_AUT, &out, &n), 0);
	CHECK(n == 0 && out == NULL);
	CHECK_EQ(opgp_write_cert(c, OPGP_KEY_DEC, der, sizeof(der)), 0);
	CHECK_EQ(opgp_read_private_do(c, 3, &out, &n), SK_ERR_DENIED);
	CHECK_EQ(opgp_write_private_do(c, 1, (const uint8_t *)"A", 1), 0);
	CHECK_EQ(opgp_write_private_do(c, 5, (const uint8_t *)"A", 1), SK_ERR_ARG);
	CHECK(mock_done(&m));
	sk_card_free(&c);
}

static void test_factory_reset(void)
{
	static const struct mock_step steps[] = {
		{ SELECT, "9000" },   /* one SELECT: opgp_verify sees it made in this transaction */
		{ "00 CA 00 C4 00", "00202020030003 9000" },
		{ "00 CA 00 F9 00", "6A88" },
		{ "00 20 00 83 08 3132333435363738", "9000" },
		{ "00 E6 00 00", "9000" },
		{ "00 44 00 00", "9000" },
		{ SELECT, "9000" },
		/* an interrupted reset: terminated, so only ACTIVATE */
		{ SELECT, "6285" },
		{ "00 44 00 00", "9000" },
		{ SELECT, "9000" },
		/* PW3 neither given nor blocked: the card refuses TERMINATE */
		{ SELECT, "9000" },
		{ "00 E6 00 00", "6982" },
		/* wrong admin PIN: nothing is terminated */
		{ SELECT, "9000" },   /* one SELECT: opgp_verify sees it made in this transaction */
		{ "00 CA 00 C4 00", "00202020030003 9000" },
		{ "00 CA 00 F9 00", "6A88" },
		{ "00 20 00 83 08 3132333435363738", "63C2" },
	};
	struct mock m;
	struct sk_card *c = card(&m, steps, sizeof(steps) / sizeof(steps[0]));

	CHECK_EQ(opgp_factory_reset(c, "12345678", 8), 0);
	CHECK_EQ(opgp_factory_reset(c, NULL, 0), 0);
	CHECK_EQ(opgp_factory_reset(c, NULL, 0), SK_ERR_DENIED);
	CHECK_EQ(opgp_factory_reset(c, "12345678", 8), SK_ERR_PIN_WRONG);
	CHECK(mock_done(&m));
	sk_card_free(&c);
}

/* A 257-byte RSA cryptogram does not fit a short APDU: it goes out chained (CLA 10). */
static void test_chaining(void)
{
	static char first[2 * 260 + 32], second[64];
	struct mock_step steps[2];
	struct mock m;
	struct sk_card *c;
	uint8_t ct[256], *out = NULL;
	size_t n = 0, o;

	memset(ct, 0xEE, sizeof(ct));
	o = (size_t)snprintf(first, sizeof(first), "10 2A 80 86 FF 00");
	for (size_t i = 0; i < 254; i++)
		o += (size_t)snprintf(first + o, sizeof(first) - o, "EE");
	snprintf(second, sizeof(second), "00 2A 80 86 02 EEEE 00");
	steps[0] = (struct mock_step){ first, "9000" };
	steps[1] = (struct mock_step){ second, "0102 9000" };
	c = card(&m, steps, 2);
	CHECK_EQ(opgp_decipher_rsa(c, ct, sizeof(ct), &out, &n), 0);
	CHECK_EQ(n, 2);
	free(out);
	CHECK(mock_done(&m));
	sk_card_free(&c);
}

int main(void)
{
	test_sign();
	test_decipher();
	test_challenge();
	test_certs();
	test_factory_reset();
	test_chaining();
	return test_result("test_opgp_ops");
}
