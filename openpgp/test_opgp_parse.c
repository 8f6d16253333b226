/* test_opgp_parse.c — 6E / 65 / 7A / C4 / F9 parsers (accepting and rejecting), the KDF against
 * an independent S2K computation (Python hashlib), and the opgp_read_info APDU sequence. */
#include <string.h>

#include "card.h"
#include "mockcard.h"
#include "openpgp.h"
#include "opgp_int.h"
#include "sk_err.h"
#include "test_util.h"

static const char app6e[] =
	"6E81FA4F10D2760001240103040001DEADBEEF00005F520A0031C573C001C00590007F660802020BFE02020BFE"
	"7F74038101007381C7C00A7D000BFE080000FF0000C109132A8648CE3D030107C20B122B060104019755010501"
	"C306010800002000C40700202020030003C53C000102030405060708090A0B0C0D0E0F10111213141516171819"
	"1A1B1C1D1E1F202122232425262728292A2B2C2D2E2F303132333435363738393A3BC63C000000000000000000"
	"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"000000000000CD0C5E0BE100000000000000000ADE06010102000302";

/* The same data as a real card may encode it (issue 9): 6E 82 00 FD, 73 82 00 C8, 7F66 81 08 and
 * C5 81 3C, long forms where short ones would do; ISO 7816-4 BER allows them. */
static const char app6e_long[] =
	"6E8200FD4F10D2760001240103040001DEADBEEF00005F520A0031C573C001C00590007F66810802020BFE0202"
	"0BFE7F7403810100738200C8C00A7D000BFE080000FF0000C109132A8648CE3D030107C20B122B060104019755"
	"010501C306010800002000C40700202020030003C5813C000102030405060708090A0B0C0D0E0F101112131415"
	"161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F303132333435363738393A3BC63C0000000000"
	"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"00000000000000000000CD0C5E0BE100000000000000000ADE06010102000302";

static uint8_t blob[512];
static size_t blob_len;

static void test_app_data_ok(void)
{
	struct opgp_info info;

	blob_len = mock_hex(app6e, blob, sizeof(blob));
	memset(&info, 0, sizeof(info));
	CHECK_EQ(opgp_parse_app_data(blob, blob_len, &info), 0);
	CHECK_EQ(info.version_major, 3);
	CHECK_EQ(info.version_minor, 4);
	CHECK_EQ(info.manufacturer, 0x0001);
	CHECK_EQ(info.serial, 0xDEADBEEF);
	CHECK_EQ(info.hist_len, 10);
	CHECK_EQ(info.max_cmd, 0x0BFE);
	CHECK_EQ(info.max_rsp, 0x0BFE);
	CHECK_EQ(info.caps.flags, 0x7D);
	CHECK_EQ(info.caps.max_challenge, 0x0BFE);
	CHECK_EQ(info.caps.max_special, 0xFF);
	CHECK_EQ(info.algo[0].id, OPGP_ALGO_ID_ECDSA);
	CHECK_EQ(info.algo[0].curve, OPGP_CURVE_P256);
	CHECK_EQ(info.algo[1].id, OPGP_ALGO_ID_ECDH);
	CHECK_EQ(info.algo[1].curve, OPGP_CURVE_X25519);
	CHECK_EQ(info.algo[2].id, OPGP_ALGO_ID_RSA);
	CHECK_EQ(info.algo[2].rsa_bits, 2048);
	CHECK_EQ(info.algo[2].rsa_e_bits, 32);
	CHECK_EQ(info.pw.pw1_multi, 0);
	CHECK_EQ(info.pw.pw1_max, 0x20);
	CHECK_EQ(info.pw.pw1_tries, 3);
	CHECK_EQ(info.pw.rc_tries, 0);
	CHECK_EQ(info.pw.pw3_tries, 3);
	CHECK_EQ(info.fpr[1][0], 20);
	CHECK_EQ(info.fpr[2][19], 59);
	CHECK_EQ(info.gen_time[0], 1577836800u);
	CHECK_EQ(info.gen_time[2], 10);
	CHECK_EQ(info.has_key_info, 1);
	CHECK_EQ(info.key_status[0], 1);
	CHECK_EQ(info.key_status[2], 2);
	/* also without the outer 6E (the value alone) */
	memset(&info, 0, sizeof(info));
	CHECK_EQ(opgp_parse_app_data(blob + 3, blob_len - 3, &info), 0);
	CHECK_EQ(info.serial, 0xDEADBEEF);
}

static void test_app_data_longform(void)
{
	struct opgp_info want, got;
	uint8_t b[600];
	size_t n;

	memset(&want, 0, sizeof(want));
	memset(&got, 0, sizeof(got));
	CHECK_EQ(opgp_parse_app_data(blob, blob_len, &want), 0);
	n = mock_hex(app6e_long, b, sizeof(b));
	CHECK_EQ(n, 257);
	CHECK_EQ(opgp_parse_app_data(b, n, &got), 0);
	CHECK(memcmp(&want, &got, sizeof(want)) == 0);
	/* 00/FF padding after the template (erased data, ISO 7816-4 5.2.2) changes nothing */
	b[n] = 0xFF;
	b[n + 1] = 0x00;
	memset(&got, 0, sizeof(got));
	CHECK_EQ(opgp_parse_app_data(b, n + 2, &got), 0);
	CHECK(memcmp(&want, &got, sizeof(want)) == 0);
	/* 7F66 with long-form lengths on its INTEGERs too */
	{
		uint16_t mc = 0, mr = 0;
		n = mock_hex("7F668110 0282000208 00 028400000002 0400", b, sizeof(b));
		CHECK_EQ(opgp_parse_ext_len(b, n, &mc, &mr), SK_ERR_BAD_RESPONSE);   /* 16 announced */
		n = mock_hex("7F660E 028200020800 028400000002 0400", b, sizeof(b));
		CHECK_EQ(opgp_parse_ext_len(b, n, &mc, &mr), 0);
		CHECK_EQ(mc, 0x0800);
		CHECK_EQ(mr, 0x0400);
		n = mock_hex("7F660F 028200020800 028400000002 0400 01", b, sizeof(b));
		CHECK_EQ(opgp_parse_ext_len(b, n, &mc, &mr), SK_ERR_BAD_RESPONSE);
	}
}

static void test_app_data_bad(void)
{
	struct opgp_info info;
	uint8_t b[512];

	/* every truncation is refused, none crashes */
	for (size_t n = 0; n < blob_len; n++) {
		memset(&info, 0, sizeof(info));
		if (opgp_parse_app_data(blob, n, &info) != SK_ERR_BAD_RESPONSE) {
			fprintf(stderr, "truncated 6E of %zu bytes accepted\n", n);
			test_failures++;
			break;
		}
	}
	/* trailing garbage after 6E (00 or FF would be padding) */
	memcpy(b, blob, blob_len);
	b[blob_len] = 0x01;
	CHECK_EQ(opgp_parse_app_data(b, blob_len + 1, &info), SK_ERR_BAD_RESPONSE);
	/* AID with a foreign RID */
	memcpy(b, blob, blob_len);
	b[8] = 0xD3;
	CHECK_EQ(opgp_parse_app_data(b, blob_len, &info), SK_ERR_BAD_RESPONSE);
	/* C4 of 6 bytes inside: change its length byte and the following tag shifts -> refused */
	memcpy(b, blob, blob_len);
	for (size_t i = 0; i + 1 < blob_len; i++)
		if (b[i] == 0xC4 && b[i + 1] == 0x07) {
			b[i + 1] = 0x08;
			break;
		}
	CHECK_EQ(opgp_parse_app_data(b, blob_len, &info), SK_ERR_BAD_RESPONSE);
	/* a 6E without C4 */
	{
		uint8_t small[40];
		size_t n = mock_hex("6E12 4F10D2760001240103040001DEADBEEF0000", small, sizeof(small));
		CHECK_EQ(opgp_parse_app_data(small, n, &info), SK_ERR_BAD_RESPONSE);
		n = mock_hex("6E1B 4F10D2760001240103040001DEADBEEF0000 C407 00202020030003", small,
		    sizeof(small));
		CHECK_EQ(opgp_parse_app_data(small, n, &info), 0);
		/* indefinite length is refused; a non-minimal length is valid BER */
		n = mock_hex("6E80 4F00 0000", small, sizeof(small));
		CHECK_EQ(opgp_parse_app_data(small, n, &info), SK_ERR_BAD_RESPONSE);
		n = mock_hex("6E811B 4F10D2760001240103040001DEADBEEF0000 C407 00202020030003", small,
		    sizeof(small));
		CHECK_EQ(opgp_parse_app_data(small, n, &info), 0);
		n = mock_hex("6E84 0000001C 4F10D2760001240103040001DEADBEEF0000 C48107 00202020030003",
		    small, sizeof(small));
		CHECK_EQ(opgp_parse_app_data(small, n, &info), 0);
		n = mock_hex("6E85 000000001B 4F10D2760001240103040001DEADBEEF0000 C407 00202020030003",
		    small, sizeof(small));
		CHECK_EQ(opgp_parse_app_data(small, n, &info), SK_ERR_BAD_RESPONSE);
	}
}

static void test_small_dos(void)
{
	struct opgp_pw_status pw;
	struct opgp_algo_attr a;
	struct opgp_info info;
	uint32_t ctr;
	uint8_t b[64];
	size_t n;

	n = mock_hex("01 FF 20 A0 03 03 03", b, sizeof(b));
	CHECK_EQ(opgp_parse_pw_status(b, n, &pw), 0);
	CHECK_EQ(pw.pw1_multi, 1);
	CHECK_EQ(pw.pw1_max, 0x7F);
	CHECK_EQ(pw.pw3_max, 0x20);
	CHECK_EQ(opgp_parse_pw_status(b, n - 1, &pw), SK_ERR_BAD_RESPONSE);
	n = mock_hex("00 20 20 20 03 03 03 00", b, sizeof(b));
	CHECK_EQ(opgp_parse_pw_status(b, n, &pw), SK_ERR_BAD_RESPONSE);
	n = mock_hex("00 20 20 20 33 03 03", b, sizeof(b));
	CHECK_EQ(opgp_parse_pw_status(b, n, &pw), SK_ERR_BAD_RESPONSE);

	n = mock_hex("13 2B81040022 FF", b, sizeof(b));
	CHECK_EQ(opgp_parse_algo_attr(b, n, &a), 0);
	CHECK_EQ(a.curve, OPGP_CURVE_P384);
	CHECK_EQ(a.import_format, 0xFF);
	CHECK_EQ(opgp_parse_algo_attr(b, 1, &a), SK_ERR_BAD_RESPONSE);
	n = mock_hex("01 1000 0011", b, sizeof(b));
	CHECK_EQ(opgp_parse_algo_attr(b, n, &a), 0);
	CHECK_EQ(a.rsa_bits, 4096);
	n = mock_hex("01 1000 00", b, sizeof(b));
	CHECK_EQ(opgp_parse_algo_attr(b, n, &a), SK_ERR_BAD_RESPONSE);
	n = mock_hex("01 1000 0011 00 00", b, sizeof(b));
	CHECK_EQ(opgp_parse_algo_attr(b, n, &a), SK_ERR_BAD_RESPONSE);
	n = mock_hex("42 2B81040022", b, sizeof(b));
	CHECK_EQ(opgp_parse_algo_attr(b, n, &a), SK_ERR_BAD_RESPONSE);

	memset(&info, 0, sizeof(info));
	n = mock_hex("65 11 5B06 446F653C3C4A 5F2D02 656E 5F3501 31", b, sizeof(b));
	CHECK_EQ(opgp_parse_cardholder(b, n, &info), 0);
	CHECK(strcmp(info.name, "Doe<<J") == 0);
	CHECK(strcmp(info.lang, "en") == 0);
	CHECK_EQ(info.sex, '1');
	n = mock_hex("65 09 5F2D09 656E656E656E656E65", b, sizeof(b));
	CHECK_EQ(opgp_parse_cardholder(b, n, &info), SK_ERR_BAD_RESPONSE);   /* lang > 8 */
	n = mock_hex("65 04 5B03 410042", b, sizeof(b));
	CHECK_EQ(opgp_parse_cardholder(b, n, &info), SK_ERR_BAD_RESPONSE);   /* embedded NUL */
	n = mock_hex("65 05 5B05 41", b, sizeof(b));
	CHECK_EQ(opgp_parse_cardholder(b, n, &info), SK_ERR_BAD_RESPONSE);   /* past the end */

	n = mock_hex("7A 05 93 03 01 02 03", b, sizeof(b));
	CHECK_EQ(opgp_parse_sst(b, n, &ctr), 0);
	CHECK_EQ(ctr, 0x010203);
	n = mock_hex("7A 04 93 02 01 02", b, sizeof(b));
	CHECK_EQ(opgp_parse_sst(b, n, &ctr), SK_ERR_BAD_RESPONSE);
}

static void test_kdf(void)
{
	struct opgp_kdf kdf;
	uint8_t b[128], out[64], want[64];
	size_t n, on = 0;

	n = mock_hex("810103 820108 830400 0186A0 8408 0102030405060708 8608 2122232425262728",
	    b, sizeof(b));
	CHECK_EQ(opgp_parse_kdf(b, n, &kdf), 0);
	CHECK_EQ(kdf.algo, OPGP_KDF_ITERSALTED_S2K);
	CHECK_EQ(kdf.iterations, 100000);
	CHECK_EQ(kdf.has_salt_rc, 0);
	CHECK_EQ(opgp_kdf_apply(&kdf, OPGP_PW1_SIGN, "123456", 6, out, sizeof(out), &on), 0);
	CHECK_EQ(on, 32);
	mock_hex("8FC77436DED3825377DA921ACC4FB1E0C619E426B926C30F06FBB428C6AC9701", want, 32);
	CHECK(memcmp(out, want, 32) == 0);
	/* PW3 uses its own salt */
	kdf.iterations = 65536;
	CHECK_EQ(opgp_kdf_apply(&kdf, OPGP_PW3, "12345678", 8, out, sizeof(out), &on), 0);
	mock_hex("2F9F42C88A4AFC6D5825602F18E29C6FC01D2DA7C49DE0A11DC1029A6E43FCCF", want, 32);
	CHECK(memcmp(out, want, 32) == 0);
	/* SHA-512, F9 wrapped */
	n = mock_hex("F9 16 810103 82010A 830400 0186A0 8408 1112131415161718", b, sizeof(b));
	CHECK_EQ(opgp_parse_kdf(b, n, &kdf), 0);
	CHECK_EQ(opgp_kdf_apply(&kdf, OPGP_PW3, "12345678", 8, out, sizeof(out), &on), 0);
	CHECK_EQ(on, 64);
	mock_hex("05C4D017D42BC0AD1A708D0C66134C6907857C4C2BC187B33F5E6E99A96EE8948FDF4476CE677BBB"
	    "0152AA036375FA2BE0372096DF29AD00D06BEC98F5BE8F2F", want, 64);
	CHECK(memcmp(out, want, 64) == 0);
	/* none: PIN verbatim; empty F9 is none */
	CHECK_EQ(opgp_parse_kdf(b, 0, &kdf), 0);
	CHECK_EQ(opgp_kdf_apply(&kdf, OPGP_PW1_SIGN, "123456", 6, out, sizeof(out), &on), 0);
	CHECK(on == 6 && memcmp(out, "123456", 6) == 0);
	/* rejected: unknown hash, missing salt, salt of 7 bytes, unknown algorithm */
	n = mock_hex("810103 820109 830400 0186A0 8408 0102030405060708", b, sizeof(b));
	CHECK_EQ(opgp_parse_kdf(b, n, &kdf), SK_ERR_BAD_RESPONSE);
	n = mock_hex("810103 820108 830400 0186A0", b, sizeof(b));
	CHECK_EQ(opgp_parse_kdf(b, n, &kdf), SK_ERR_BAD_RESPONSE);
	n = mock_hex("810103 820108 830400 0186A0 8407 01020304050607", b, sizeof(b));
	CHECK_EQ(opgp_parse_kdf(b, n, &kdf), SK_ERR_BAD_RESPONSE);
	n = mock_hex("810102", b, sizeof(b));
	CHECK_EQ(opgp_parse_kdf(b, n, &kdf), SK_ERR_BAD_RESPONSE);
}

/* The whole opgp_read_info exchange: 7 APDUs, absent DOs tolerated, extended length enabled. */
static void test_read_info(void)
{
	static char rsp6e[sizeof(app6e) + 8];
	struct mock_step steps[] = {
		{ "00 A4 04 00 06 D2 76 00 01 24 01", "9000" },
		{ "00 CA 00 6E 00", rsp6e },
		{ "00 CA 00 65 00", "65 0A 5B00 5F2D02 6465 5F3500 9000" },
		{ "00 CA 5F 50 00", "68747470733A2F2F782E6F7267 9000" },
		{ "00 CA 00 5E 00", "6A88" },
		{ "00 CA 00 7A 00", "7A 05 93 03 00 00 2A 9000" },
		{ "00 CA 00 F9 00", "810100 9000" },
	};
	struct mock m;
	struct sk_card *c;
	struct opgp_info info;

	snprintf(rsp6e, sizeof(rsp6e), "%s9000", app6e);
	c = mock_card(&m, steps, sizeof(steps) / sizeof(steps[0]));
	CHECK_EQ(opgp_read_info(c, &info), 0);
	CHECK(mock_done(&m));
	CHECK(strcmp(info.lang, "de") == 0);
	CHECK(strcmp(info.url, "https://x.org") == 0);
	CHECK(info.login[0] == '\0');
	CHECK_EQ(info.sig_counter, 42);
	CHECK_EQ(info.kdf.algo, OPGP_KDF_NONE);
	CHECK((sk_card_caps(c) & SK_CAP_EXTENDED) != 0);
	sk_card_free(&c);

	/* a wrong SW on 6E is an error and info is cleared */
	steps[1].rsp = "6F00";
	c = mock_card(&m, steps, 2);
	CHECK_EQ(opgp_read_info(c, &info), SK_ERR_SW);
	CHECK_EQ(info.serial, 0);
	CHECK(mock_done(&m));
	sk_card_free(&c);
	/* a truncated 6E */
	steps[1].rsp = "6E81FA4F10D276000124010304 9000";
	c = mock_card(&m, steps, 2);
	CHECK_EQ(opgp_read_info(c, &info), SK_ERR_BAD_RESPONSE);
	CHECK(mock_done(&m));
	sk_card_free(&c);
	/* no applet */
	steps[0].rsp = "6A82";
	c = mock_card(&m, steps, 1);
	CHECK_EQ(opgp_read_info(c, &info), SK_ERR_NOT_FOUND);
	CHECK(mock_done(&m));
	sk_card_free(&c);
}

int main(void)
{
	test_app_data_ok();
	test_app_data_longform();
	test_app_data_bad();
	test_small_dos();
	test_kdf();
	test_read_info();
	return test_result("test_opgp_parse");
}
