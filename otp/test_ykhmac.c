/* test_ykhmac.c — the ykhmac client against scripted APDUs: SELECT status parsing, HMAC
 * (including the bare-9000 "slot not programmed" quirk), serial, the config structure (CRC
 * residual, field placement) and programming. */
#include <string.h>

#include "card.h"
#include "mockcard.h"
#include "otp.h"
#include "sk_err.h"
#include "test_util.h"

#define SELECT "00 A4 04 00 07 A0 00 00 05 27 20 01 00"

static void test_status(void)
{
	struct otp_status st;
	uint8_t b[16];
	size_t n;

	n = mock_hex("030400 05 0300 020F0000", b, sizeof(b));
	CHECK_EQ(otp_parse_status(b, n, &st), 0);
	CHECK(st.major == 3 && st.minor == 4 && st.build == 0 && st.seq == 5);
	CHECK_EQ(st.touch_level, 3);
	CHECK_EQ(otp_parse_status(b, 6, &st), 0);
	CHECK_EQ(otp_parse_status(b, 5, &st), SK_ERR_BAD_RESPONSE);
	CHECK_EQ(otp_parse_status(b, 7, &st), SK_ERR_BAD_RESPONSE);
}

static void test_hmac(void)
{
	static const struct mock_step steps[] = {
		{ SELECT, "030400 00 0000 020F0000 9000" },
		{ "00 01 30 00 08 4869205468657265 00",
		  "b617318655057264e28bc0b6fb378c8ef146be00 9000" },
		{ "00 01 38 00 01 AA 00", "9000" },                 /* slot 2 empty */
		{ "00 01 30 00 01 AA 00", "0102 9000" },            /* short answer */
		{ "00 01 30 00 01 AA 00", "6700" },
		{ "00 01 10 00 00", "00BC614E 9000" },
		{ "00 01 10 00 00", "00BC61 9000" },
	};
	struct mock m;
	struct sk_card *c = mock_card(&m, steps, sizeof(steps) / sizeof(steps[0]));
	struct otp_status st;
	uint8_t mac[20], chal[65];
	uint32_t serial = 1;

	memset(chal, 0xAA, sizeof(chal));
	CHECK_EQ(otp_select(c, &st), 0);
	CHECK_EQ(st.touch_level, 0);
	CHECK_EQ(otp_hmac(c, 1, (const uint8_t *)"Hi There", 8, mac), 0);
	CHECK(mac[0] == 0xb6 && mac[19] == 0x00);
	CHECK_EQ(otp_hmac(c, 2, chal, 1, mac), SK_ERR_NOT_FOUND);
	CHECK_EQ(otp_hmac(c, 1, chal, 1, mac), SK_ERR_BAD_RESPONSE);
	CHECK_EQ(otp_hmac(c, 1, chal, 1, mac), SK_ERR_FORMAT);
	/* refused before any APDU */
	CHECK_EQ(otp_hmac(c, 1, chal, 65, mac), SK_ERR_ARG);
	CHECK_EQ(otp_hmac(c, 1, chal, 0, mac), SK_ERR_ARG);
	CHECK_EQ(otp_hmac(c, 3, chal, 1, mac), SK_ERR_ARG);
	CHECK_EQ(otp_serial(c, &serial), 0);
	CHECK_EQ(serial, 12345678);
	CHECK_EQ(otp_serial(c, &serial), SK_ERR_BAD_RESPONSE);
	CHECK_EQ(serial, 0);
	CHECK(mock_done(&m));
	sk_card_free(&c);
}

static void test_config(void)
{
	uint8_t key[20], cfg[OTP_CONFIG_LEN];

	for (int i = 0; i < 20; i++)
		key[i] = (uint8_t)(i + 1);
	CHECK_EQ(otp_build_hmac_config(key, NULL, cfg), 0);
	/* a correct YubiKey CRC leaves the X.25 residual over the whole structure */
	CHECK_EQ(otp_crc16(cfg, sizeof(cfg)), 0xF0B8);
	CHECK(memcmp(cfg + 22, key, 16) == 0);         /* key field */
	CHECK(memcmp(cfg + 16, key + 16, 4) == 0);     /* uid field carries key bytes 16..19 */
	CHECK_EQ(cfg[46], 0x40);                       /* CHAL_RESP */
	CHECK_EQ(cfg[47], 0x26);                       /* CHAL_HMAC | HMAC_LT64 */
	/* CRC-16/X.25 check value of "123456789" is ~0x906E */
	CHECK_EQ((uint16_t)~otp_crc16((const uint8_t *)"123456789", 9), 0x906E);
}

static void test_program(void)
{
	static char prog[256];
	struct mock_step steps[] = {
		{ SELECT, "030400 00 0000 020F0000 9000" },
		{ prog, "030400 01 0100 020F0000 9000" },
		{ SELECT, "030400 01 0100 020F0000 9000" },
		{ "*", "030400 01 0100 020F0000 9000" },        /* slot 2 not marked: refused */
	};
	struct mock m;
	struct sk_card *c;
	struct otp_status st;
	uint8_t key[20], cfg[OTP_CONFIG_LEN];
	size_t o;

	memset(key, 0x5A, sizeof(key));
	otp_build_hmac_config(key, NULL, cfg);
	o = (size_t)snprintf(prog, sizeof(prog), "00 01 01 00 34 ");
	for (size_t i = 0; i < sizeof(cfg); i++)
		o += (size_t)snprintf(prog + o, sizeof(prog) - o, "%02X", cfg[i]);
	snprintf(prog + o, sizeof(prog) - o, " 00");
	c = mock_card(&m, steps, 4);
	CHECK_EQ(otp_program_hmac(c, 1, key, NULL, &st), 0);
	CHECK_EQ(st.seq, 1);
	CHECK_EQ(otp_program_hmac(c, 2, key, NULL, &st), SK_ERR_BAD_RESPONSE);
	CHECK(mock_done(&m));
	sk_card_free(&c);
}

int main(void)
{
	test_status();
	test_hmac();
	test_config();
	test_program();
	return test_result("test_ykhmac");
}
