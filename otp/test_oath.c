/* test_oath.c — YKOATH client against scripted APDUs: SELECT parsing, PUT encoding, LIST,
 * CALCULATE (RFC 4226 vectors), CALCULATE ALL, SEND REMAINING continuation, VALIDATE refusing
 * an answer that does not prove the key, parser rejections. */
#include <stdlib.h>
#include <string.h>

#include "card.h"
#include "mockcard.h"
#include "otp.h"
#include "sk_err.h"
#include "test_util.h"

#define SELECT "00 A4 04 00 07 A0 00 00 05 27 21 01"

static void test_truncate(void)
{
	uint8_t h[20];
	uint32_t code = 1;

	mock_hex("cc93cf18508d94934c64b65d8ba7667fb7cde4b0", h, sizeof(h));
	CHECK_EQ(oath_truncate(h, 20, 6, &code), 0);
	CHECK_EQ(code, 755224);
	mock_hex("75a48a19d4cbe100644e8ac1397eea747a2d33ab", h, sizeof(h));
	CHECK_EQ(oath_truncate(h, 20, 6, &code), 0);
	CHECK_EQ(code, 287082);
	CHECK_EQ(oath_truncate(h, 20, 9, &code), SK_ERR_ARG);
	CHECK_EQ(oath_truncate(h, 19, 6, &code), SK_ERR_ARG);
}

static void test_select_put_list(void)
{
	static const struct mock_step steps[] = {
		{ SELECT, "790304030071080102030405060708 7403AABBCC 9000" },   /* bad challenge size */
		{ SELECT, "790304030071080102030405060708 9000" },
		{ "00 01 00 00 1B 71 01 61 73 16 21 06 3132333435363738393031323334353637383930",
		  "9000" },
		{ "00 01 00 00 1B 71 01 62 73 10 11 08 01 00000000000000000000000000 7A 04 00000005",
		  "9000" },
		{ "00 A1 00 00", "72022161 7204127879 61 05" },                /* more to come */
		{ "00 A5 00 00", "7A 9000" },
		{ "00 02 00 00 03 71 01 61", "6984" },
	};
	struct mock m;
	struct sk_card *c = mock_card(&m, steps, sizeof(steps) / sizeof(steps[0]));
	struct oath_info info;
	struct oath_cred *creds = NULL;
	size_t n = 0;
	const uint8_t one[1] = { 1 };

	CHECK_EQ(oath_select(c, &info), SK_ERR_BAD_RESPONSE);
	CHECK_EQ(oath_select(c, &info), 0);
	CHECK(info.version[0] == 4 && info.salt[7] == 8 && !info.has_challenge);
	CHECK_EQ(oath_put(c, "a", OATH_TYPE_TOTP, OATH_ALG_SHA1, 6,
	    (const uint8_t *)"12345678901234567890", 20, 0), 0);
	/* a 1-byte HOTP key is zero-padded to 14 bytes; initial counter 5 */
	CHECK_EQ(oath_put(c, "b", OATH_TYPE_HOTP, OATH_ALG_SHA1, 8, one, 1, 5), 0);
	CHECK_EQ(oath_list(c, &creds, &n), 0);
	CHECK_EQ(n, 2);
	if (n == 2) {
		CHECK(strcmp(creds[0].name, "a") == 0 && creds[0].type == OATH_TYPE_TOTP &&
		    creds[0].algo == OATH_ALG_SHA1);
		CHECK(strcmp(creds[1].name, "xyz") == 0 && creds[1].type == OATH_TYPE_HOTP &&
		    creds[1].algo == OATH_ALG_SHA256);
	}
	free(creds);
	CHECK_EQ(oath_delete(c, "a"), SK_ERR_SW);
	CHECK_EQ(oath_put(c, "", OATH_TYPE_TOTP, OATH_ALG_SHA1, 6, one, 1, 0), SK_ERR_ARG);
	CHECK_EQ(oath_put(c, "a", 0x30, OATH_ALG_SHA1, 6, one, 1, 0), SK_ERR_ARG);
	CHECK(mock_done(&m));
	sk_card_free(&c);
}

static void test_calculate(void)
{
	static const struct mock_step steps[] = {
		{ "00 A2 00 00 0D 71 01 61 74 08 0000000000000001",
		  "75 15 06 75a48a19d4cbe100644e8ac1397eea747a2d33ab 9000" },
		{ "00 A2 00 00 05 71 01 62 74 00",
		  "75 15 06 cc93cf18508d94934c64b65d8ba7667fb7cde4b0 9000" },
		{ "00 A2 00 00 05 71 01 62 74 00", "75 05 06 01020304 9000" },
		{ "00 A4 00 01 0A 74 08 0000000003197A6C",
		  "71 01 61 76 05 06 4C93CF18  71 01 62 77 01 08  71 01 63 7C 01 06 9000" },
		{ "00 A4 00 01 0A 74 08 0000000003197A6C", "71 01 61 76 04 06 4C93CF 9000" },
	};
	struct mock m;
	struct sk_card *c = mock_card(&m, steps, sizeof(steps) / sizeof(steps[0]));
	struct oath_cred *creds = NULL;
	uint32_t code = 0;
	uint8_t digits = 0;
	size_t n = 0;

	CHECK_EQ(oath_calculate(c, "a", OATH_TYPE_TOTP, 1, &code, &digits), 0);
	CHECK(code == 287082 && digits == 6);
	CHECK_EQ(oath_calculate(c, "b", OATH_TYPE_HOTP, 0, &code, &digits), 0);
	CHECK_EQ(code, 755224);
	CHECK_EQ(oath_calculate(c, "b", OATH_TYPE_HOTP, 0, &code, &digits), SK_ERR_BAD_RESPONSE);
	CHECK_EQ(oath_calculate_all(c, 52001388, &creds, &n), 0);
	CHECK_EQ(n, 3);
	if (n == 3) {
		CHECK(creds[0].has_code && creds[0].code == 755224 && creds[0].digits == 6);
		CHECK(!creds[1].has_code && creds[1].type == OATH_TYPE_HOTP && creds[1].digits == 8);
		CHECK(!creds[2].has_code && strcmp(creds[2].name, "c") == 0);
	}
	free(creds);
	CHECK_EQ(oath_calculate_all(c, 52001388, &creds, &n), SK_ERR_BAD_RESPONSE);
	CHECK(creds == NULL && n == 0);
	CHECK(mock_done(&m));
	sk_card_free(&c);
}

static void test_validate(void)
{
	/* the applet answers with a MAC that is not HMAC(key, our challenge): refused */
	static const struct mock_step steps[] = {
		{ SELECT, "790304030071080102030405060708 7408 1122334455667788 7B0101 9000" },
		{ "*", "75 14 0000000000000000000000000000000000000000 9000" },
		{ "*", "6A80" },
	};
	struct mock m;
	struct sk_card *c = mock_card(&m, steps, 3);
	struct oath_info info;

	CHECK_EQ(oath_select(c, &info), 0);
	CHECK(info.has_challenge && info.algo == 1 && info.challenge[0] == 0x11);
	CHECK_EQ(oath_validate(c, &info, "pw", 2), SK_ERR_CRYPTO);
	CHECK_EQ(oath_validate(c, &info, "pw", 2), SK_ERR_SW);
	CHECK(mock_done(&m));
	sk_card_free(&c);
}

static void test_parsers(void)
{
	struct oath_cred *creds = NULL;
	struct oath_info info;
	uint8_t b[64];
	size_t n, count = 1;

	n = mock_hex("72 01 21", b, sizeof(b));           /* entry without a name */
	CHECK_EQ(oath_parse_list(b, n, &creds, &count), SK_ERR_BAD_RESPONSE);
	CHECK(creds == NULL && count == 0);
	n = mock_hex("72 03 21 61", b, sizeof(b));        /* length past the end */
	CHECK_EQ(oath_parse_list(b, n, &creds, &count), SK_ERR_BAD_RESPONSE);
	n = mock_hex("72 03 21 61 00", b, sizeof(b));     /* NUL in a name */
	CHECK_EQ(oath_parse_list(b, n, &creds, &count), SK_ERR_BAD_RESPONSE);
	n = mock_hex("71 01 61", b, sizeof(b));           /* name without a value */
	CHECK_EQ(oath_parse_calc_all(b, n, &creds, &count), SK_ERR_BAD_RESPONSE);
	n = mock_hex("71 01 61 76 05 09 00000000", b, sizeof(b));   /* 9 digits */
	CHECK_EQ(oath_parse_calc_all(b, n, &creds, &count), SK_ERR_BAD_RESPONSE);
	n = mock_hex("7903040300", b, sizeof(b));         /* no applet id */
	CHECK_EQ(oath_parse_select(b, n, &info), SK_ERR_BAD_RESPONSE);
	CHECK_EQ(oath_parse_list(b, 0, &creds, &count), 0);
	CHECK(count == 0);
}

int main(void)
{
	test_truncate();
	test_select_put_list();
	test_calculate();
	test_validate();
	test_parsers();
	return test_result("test_oath");
}
