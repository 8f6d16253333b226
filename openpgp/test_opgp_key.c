/* test_opgp_key.c — fingerprints against gpg 2.2.40 (keys made with --faked-system-time
 * 20200101T000000), 7F49 parsing, EVP conversion, ECDSA DER, key generation APDU flow. */
#include <string.h>

#include <openssl/evp.h>

#include "card.h"
#include "mockcard.h"
#include "openpgp.h"
#include "sk_err.h"
#include "test_util.h"

#define T2020 1577836800u

static void hex(const char *h, uint8_t *out, size_t *n, size_t cap)
{
	*n = mock_hex(h, out, cap);
}

static void check_fpr(uint8_t algo_id, enum opgp_curve curve, const char *point, const char *want)
{
	struct opgp_pubkey pk;
	uint8_t fpr[20], exp[20];

	memset(&pk, 0, sizeof(pk));
	pk.algo_id = algo_id;
	pk.curve = curve;
	hex(point, pk.point, &pk.point_len, sizeof(pk.point));
	mock_hex(want, exp, sizeof(exp));
	CHECK_EQ(opgp_fingerprint_v4(&pk, T2020, fpr), 0);
	CHECK(memcmp(fpr, exp, 20) == 0);
}

static void test_fingerprints(void)
{
	struct opgp_pubkey pk;
	uint8_t fpr[20], exp[20];

	check_fpr(OPGP_ALGO_ID_EDDSA, OPGP_CURVE_ED25519,
	    "5007E695E45AC92C47B9EA448D3B0B407B5083F15E9A93CEBBD7CA13A3A6363B",
	    "54A9A630324169F59B073F0BAB36D7235304CF57");
	check_fpr(OPGP_ALGO_ID_ECDH, OPGP_CURVE_X25519,
	    "6D35D821E9DB02D47DDE29373490B9E4F12454548FF06232341BE969FF4FB47E",
	    "A17BAFAB6D720AD8769BCDC8F1EF61AC7BD9489C");
	check_fpr(OPGP_ALGO_ID_ECDH, OPGP_CURVE_P256,
	    "04A474C7CF892C0C68A01AB36312AD1EFE87FA8ADC877700F7B743395B491D75AD2E30F7BF0379BA63B8F05"
	    "35ACA509F36C4B7F0C2A3044F82DED70A59488E7A72",
	    "4E7C89E015B6C39E64CD1D1001BC18D8050F4A55");
	check_fpr(OPGP_ALGO_ID_ECDH, OPGP_CURVE_P384,
	    "04A25A91C69AC8FDC04BB1D50F1E707755E5F04CEBEDB4B0764FA9CD1945B5230E05D583ABB6BCC306F66"
	    "39D4839D05017355753C6DECEBFBF7CB943C2732E224C391757D0B110122291B921701B988BAFC8D0A3EC"
	    "33FEAFF2D99B8C205E2DE435",
	    "7C1D2C68C0751625428EC1680C99CC6CA72E3E17");
	check_fpr(OPGP_ALGO_ID_ECDSA, OPGP_CURVE_P256,
	    "047CCD0BFBA42163FF1DC4B8F685DC3CC24BEB50128DE6875538F356191C42B626353B3C8DAE2DA62B61F68"
	    "56291B5C0F96274EA89BC63A692358715DA3659101C",
	    "7F97CF74EFD0B08408BEAF67BE3BE28C19E725BA");
	memset(&pk, 0, sizeof(pk));
	pk.algo_id = OPGP_ALGO_ID_RSA;
	hex("DED93B01913691349CBAF2B299765E19023A9E29E4E0BE03A13633B1E4390F15C8EAD1CDF463B729265AE38"
	    "18F8D3B43A8F1F08083B1B87583ABE8E78FBD377CE9E41AB3567619D83A03992E6CE1F06D404E2B20C641E9"
	    "F1E152B712F8007A49674D5345007B6B0F066DD96347A92C2C1520035372F80E6C60498B3EB131D1F7E8BD3"
	    "0380221C2E3ED3F1087B977677E67E6FD55F623B162A1047635BECDF891319F86250B7C1C19B54F358B6B2F"
	    "16CBDBBDCAE04FC5CFA15C8E30FDA9FA46FD4BD0DCB583F5087BE9CA52A1EE33CD5F981E07814ED5CD8CFB9"
	    "89C3BBFAA53897FBD282E81FE429FD366489769B1A1372B9F928201D11C0FFE34103247A0CED7",
	    pk.n, &pk.n_len, sizeof(pk.n));
	hex("00010001", pk.e, &pk.e_len, sizeof(pk.e));   /* leading zero must not matter */
	mock_hex("71EC93F7490BA9293140B32D14DA47B7435E8A11", exp, sizeof(exp));
	CHECK_EQ(pk.n_len, 256);
	CHECK_EQ(opgp_fingerprint_v4(&pk, T2020, fpr), 0);
	CHECK(memcmp(fpr, exp, 20) == 0);
	pk.algo_id = 0x42;
	CHECK_EQ(opgp_fingerprint_v4(&pk, T2020, fpr), SK_ERR_UNSUPPORTED);
}

static const struct opgp_algo_attr attr_p256 = { OPGP_ALGO_ID_ECDSA, 0, 0, 0, OPGP_CURVE_P256,
	{ 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07 }, 8 };
static const struct opgp_algo_attr attr_ed = { OPGP_ALGO_ID_EDDSA, 0, 0, 0, OPGP_CURVE_ED25519,
	{ 0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01 }, 9 };
static const struct opgp_algo_attr attr_rsa = { OPGP_ALGO_ID_RSA, 2048, 32, 0, OPGP_CURVE_NONE,
	{ 0 }, 0 };

static void test_parse_pubkey(void)
{
	struct opgp_pubkey pk;
	EVP_PKEY *k = NULL;
	uint8_t b[300];
	size_t n;

	/* a real P-256 point (from the gpg key above) */
	n = mock_hex("7F4943 8641 047CCD0BFBA42163FF1DC4B8F685DC3CC24BEB50128DE6875538F356191C42B6"
	    "26353B3C8DAE2DA62B61F6856291B5C0F96274EA89BC63A692358715DA3659101C", b, sizeof(b));
	CHECK_EQ(opgp_parse_pubkey(b, n, &attr_p256, &pk), 0);
	CHECK_EQ(pk.point_len, 65);
	CHECK_EQ(opgp_pubkey_to_evp(&pk, &k), 0);
	CHECK(k != NULL && EVP_PKEY_get_bits(k) == 256);
	EVP_PKEY_free(k);
	k = NULL;
	/* a point not on the curve is refused by OpenSSL */
	pk.point[10] ^= 1;
	CHECK(opgp_pubkey_to_evp(&pk, &k) != 0 && k == NULL);
	/* wrong length for the curve, compressed point, truncated, trailing bytes */
	n = mock_hex("7F4903 8601 04", b, sizeof(b));
	CHECK_EQ(opgp_parse_pubkey(b, n, &attr_p256, &pk), SK_ERR_BAD_RESPONSE);
	n = mock_hex("7F4943 8641 02", b, sizeof(b));
	CHECK_EQ(opgp_parse_pubkey(b, n, &attr_p256, &pk), SK_ERR_BAD_RESPONSE);
	/* long-form lengths where short ones would do are valid BER (cards send them) */
	n = mock_hex("7F49820023 868120 5007E695E45AC92C47B9EA448D3B0B407B5083F15E9A93CEBBD7CA13A3A6363B",
	    b, sizeof(b));
	CHECK_EQ(opgp_parse_pubkey(b, n, &attr_ed, &pk), 0);
	CHECK_EQ(pk.point_len, 32);
	n = mock_hex("7F4922 8620 5007E695E45AC92C47B9EA448D3B0B407B5083F15E9A93CEBBD7CA13A3A6363B 01",
	    b, sizeof(b));
	CHECK_EQ(opgp_parse_pubkey(b, n, &attr_ed, &pk), SK_ERR_BAD_RESPONSE);
	CHECK_EQ(opgp_parse_pubkey(b, n - 1, &attr_ed, &pk), 0);
	CHECK_EQ(pk.point_len, 32);
	CHECK_EQ(opgp_pubkey_to_evp(&pk, &k), 0);
	CHECK(k != NULL && EVP_PKEY_get_id(k) == EVP_PKEY_ED25519);
	EVP_PKEY_free(k);
	k = NULL;
	/* 0x40-prefixed native point accepted */
	n = mock_hex("7F4923 8621 40 5007E695E45AC92C47B9EA448D3B0B407B5083F15E9A93CEBBD7CA13A3A6363B",
	    b, sizeof(b));
	CHECK_EQ(opgp_parse_pubkey(b, n, &attr_ed, &pk), 0);
	CHECK_EQ(pk.point_len, 32);
	CHECK_EQ(pk.point[0], 0x50);
	/* RSA: missing exponent; then a tiny valid one */
	n = mock_hex("7F4904 8102 C001", b, sizeof(b));
	CHECK_EQ(opgp_parse_pubkey(b, n, &attr_rsa, &pk), SK_ERR_BAD_RESPONSE);
	n = mock_hex("7F4909 8102 C001 8203 010001", b, sizeof(b));
	CHECK_EQ(opgp_parse_pubkey(b, n, &attr_rsa, &pk), 0);
	CHECK_EQ(pk.n_len, 2);
	CHECK_EQ(pk.e_len, 3);
	/* not 7F49 at all; length past the end */
	n = mock_hex("7F4A03 860104", b, sizeof(b));
	CHECK_EQ(opgp_parse_pubkey(b, n, &attr_p256, &pk), SK_ERR_BAD_RESPONSE);
	n = mock_hex("7F4950 860104", b, sizeof(b));
	CHECK_EQ(opgp_parse_pubkey(b, n, &attr_p256, &pk), SK_ERR_BAD_RESPONSE);
}

static void test_ecdsa_der(void)
{
	uint8_t rs[64], *der = NULL;
	size_t n = 0;
	uint8_t want[] = { 0x30, 0x45, 0x02, 0x21, 0x00, 0x80 };

	memset(rs, 0, sizeof(rs));
	rs[0] = 0x80;   /* r needs a leading zero in DER */
	rs[63] = 0x05;
	CHECK_EQ(opgp_ecdsa_sig_to_der(rs, sizeof(rs), &der, &n), 0);
	CHECK_EQ(n, 2 + 2 + 33 + 2 + 1);
	n = n < sizeof(want) ? n : sizeof(want);
	want[1] = 0x26;
	CHECK(der != NULL && memcmp(der, want, sizeof(want)) == 0);
	free(der);
	CHECK_EQ(opgp_ecdsa_sig_to_der(rs, 63, &der, &n), SK_ERR_ARG);
	CHECK(der == NULL);
}

/* Generation: attributes read, GENERATE, then fingerprint + time written (values checked). */
static void test_generate_flow(void)
{
	static const struct mock_step steps[] = {
		{ "00 CA 00 C1 00", "13 2A8648CE3D030107 9000" },
		{ "00 47 80 00 02 B6 00 00", "7F4943 8641 047CCD0BFBA42163FF1DC4B8F685DC3CC24BEB50128DE"
		  "6875538F356191C42B626353B3C8DAE2DA62B61F6856291B5C0F96274EA89BC63A692358715DA3659101C"
		  " 9000" },
		{ "00 DA 00 C7 14 7F97CF74EFD0B08408BEAF67BE3BE28C19E725BA", "9000" },
		{ "00 DA 00 CE 04 5E0BE100", "9000" },
	};
	struct mock m;
	struct sk_card *c = mock_card(&m, steps, sizeof(steps) / sizeof(steps[0]));
	struct opgp_pubkey pk;

	CHECK(c != NULL);
	CHECK_EQ(opgp_generate(c, OPGP_KEY_SIG, T2020, &pk), 0);
	CHECK(mock_done(&m));
	sk_card_free(&c);
}

static void test_set_algo(void)
{
	static const struct mock_step steps[] = {
		{ "00 DA 00 C1 0A 16 2B06010401DA470F01", "9000" },
		{ "00 DA 00 C2 0B 12 2B060104019755010501", "9000" },
		{ "00 DA 00 C2 09 12 2A8648CE3D030107", "9000" },
		{ "00 DA 00 C3 06 01 0800 0020 00", "6A80" },
	};
	struct mock m;
	struct sk_card *c = mock_card(&m, steps, sizeof(steps) / sizeof(steps[0]));

	CHECK_EQ(opgp_set_algo_attr(c, OPGP_KEY_SIG, OPGP_ALGO_ED25519), 0);
	CHECK_EQ(opgp_set_algo_attr(c, OPGP_KEY_DEC, OPGP_ALGO_X25519), 0);
	CHECK_EQ(opgp_set_algo_attr(c, OPGP_KEY_DEC, OPGP_ALGO_P256), 0);
	/* impossible combinations never reach the card */
	CHECK_EQ(opgp_set_algo_attr(c, OPGP_KEY_DEC, OPGP_ALGO_ED25519), SK_ERR_UNSUPPORTED);
	CHECK_EQ(opgp_set_algo_attr(c, OPGP_KEY_SIG, OPGP_ALGO_X25519), SK_ERR_UNSUPPORTED);
	CHECK_EQ(opgp_set_algo_attr(c, OPGP_KEY_AUT, OPGP_ALGO_RSA2048), SK_ERR_SW);
	CHECK(mock_done(&m));
	sk_card_free(&c);
}

static void test_import(void)
{
	static const struct mock_step steps[] = {
		{ "00 DB 3F FF 0E 4D 0C B8 00 7F48 02 92 02 5F48 02 AA BB", "9000" },
	};
	static const uint8_t scalar[2] = { 0xAA, 0xBB };
	struct opgp_privkey k = { 0 };
	struct mock m;
	struct sk_card *c = mock_card(&m, steps, 1);

	k.algo_id = OPGP_ALGO_ID_ECDH;
	k.curve = OPGP_CURVE_X25519;
	k.scalar = scalar;
	k.scalar_len = sizeof(scalar);
	CHECK_EQ(opgp_import_key(c, OPGP_KEY_DEC, &k), 0);
	k.scalar = NULL;
	CHECK_EQ(opgp_import_key(c, OPGP_KEY_DEC, &k), SK_ERR_ARG);
	CHECK(mock_done(&m));
	sk_card_free(&c);
}

/* A card that only answers C1..C3 inside 6E: the algorithm comes from there. */
static void test_read_pubkey_fallback(void)
{
	static const struct mock_step steps[] = {
		{ "00 CA 00 C3 00", "6A88" },
		{ "00 CA 00 6E 00", "6E 28 4F10 D2760001240103040001DEADBEEF0000 "
		  "73 14 C309 132A8648CE3D030107 C407 00202020030003 9000" },
		{ "00 47 81 00 02 A4 00 00", "7F4943 8641 047CCD0BFBA42163FF1DC4B8F685DC3CC24BEB5012"
		  "8DE6875538F356191C42B626353B3C8DAE2DA62B61F6856291B5C0F96274EA89BC63A692358715DA36"
		  "59101C 9000" },
		{ "00 CA 00 C3 00", "6F00" },
	};
	struct mock m;
	struct sk_card *c = mock_card(&m, steps, sizeof(steps) / sizeof(steps[0]));
	struct opgp_pubkey pk;

	CHECK_EQ(opgp_read_pubkey(c, OPGP_KEY_AUT, &pk), 0);
	CHECK(pk.algo_id == OPGP_ALGO_ID_ECDSA && pk.curve == OPGP_CURVE_P256 && pk.point_len == 65);
	CHECK_EQ(opgp_read_pubkey(c, OPGP_KEY_AUT, &pk), SK_ERR_SW);
	CHECK(mock_done(&m));
	sk_card_free(&c);
}

int main(void)
{
	test_read_pubkey_fallback();
	test_fingerprints();
	test_parse_pubkey();
	test_ecdsa_der();
	test_generate_flow();
	test_set_algo();
	test_import();
	return test_result("test_opgp_key");
}
