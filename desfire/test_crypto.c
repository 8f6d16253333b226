/* test_crypto.c — DESFire CRC32, padding, AES-CMAC, MAC truncation and EV2 session keys
 * against published vectors (CRC catalogue, RFC 4493, NXP AN12196 §5.3 and §6.6). */
#include "df_int.h"
#include "sk_err.h"
#include "test_util.h"

static void test_crc32(void)
{
	/* JAMCRC check value (CRC-32 without the final inversion) of "123456789" */
	CHECK(desfire_crc32((const uint8_t *)"123456789", 9) == 0x340BC6D9u);
	CHECK(desfire_crc32(NULL, 0) == 0xFFFFFFFFu);
}

static void test_padding(void)
{
	uint8_t b[48] = { 1, 2, 3 };
	size_t n;

	CHECK(df_pad(b, 3, sizeof(b)) == 16);
	CHECK(b[3] == 0x80 && b[4] == 0 && b[15] == 0);
	CHECK(df_unpad(b, 16, &n) == 0 && n == 3);
	memset(b, 0x11, 16);
	CHECK(df_pad(b, 16, sizeof(b)) == 32);    /* always added: a full block of padding */
	CHECK(b[16] == 0x80 && b[31] == 0);
	CHECK(df_unpad(b, 32, &n) == 0 && n == 16);
	CHECK(df_pad(b, 40, 48) == 48);
	CHECK(df_pad(b, 48, 48) == 0);            /* no room */
	memset(b, 0, 16);
	CHECK(df_unpad(b, 16, &n) == SK_ERR_CRYPTO);   /* no 80 marker */
	memset(b, 0x22, 16);
	CHECK(df_unpad(b, 16, &n) == SK_ERR_CRYPTO);   /* no padding at all */
	CHECK(df_unpad(b, 15, &n) == SK_ERR_CRYPTO);   /* not a block multiple */
	b[15] = 0x80;
	CHECK(df_unpad(b, 16, &n) == 0 && n == 15);
}

static void test_cmac(void)
{
	uint8_t k[16], m[16], out[16];

	t_unhex("2b7e151628aed2a6abf7158809cf4f3c", k, 16);
	CHECK(df_cmac(k, NULL, 0, out) == 0 && t_eqhex(out, 16, "bb1d6929e95937287fa37d129b756746"));
	t_unhex("6bc1bee22e409f96e93d7e117393172a", m, 16);
	CHECK(df_cmac(k, m, 16, out) == 0 && t_eqhex(out, 16, "070a16b46b4d4144f79bdd9dd04a287c"));
}

static void test_mact(void)
{
	/* AN12196 §5.3: MACt over F5 || CmdCtr 0000 || TI 7A21085E || 02 */
	uint8_t k[16], m[8], cm[16], t[8];

	t_unhex("8248134A386E86EB7FAF54A52E536CB6", k, 16);
	t_unhex("F500007A21085E02", m, 8);
	CHECK(df_cmac(k, m, 8, cm) == 0);
	df_mac_trunc(cm, t);
	CHECK(t_eqhex(t, 8, "6597A457C8CD442C"));
}

static void test_session_keys(void)
{
	/* AN12196 §6.6: AuthenticateEV2First with the all-zero key */
	uint8_t key[16] = { 0 }, rnda[16], rndb[16], enc[16], mac[16], sv[32];

	t_unhex("13C5DB8A5930439FC3DEF9A4C675360F", rnda, 16);
	t_unhex("B9E2FC789B64BF237CCCAA20EC7E6E48", rndb, 16);
	df_ev2_sv(0xA5, 0x5A, rnda, rndb, sv);
	CHECK(t_eqhex(sv, 32, "A55A0001008013C56268A548D8FBBF237CCCAA20EC7E6E48C3DEF9A4C675360F"));
	CHECK(df_ev2_session_keys(key, rnda, rndb, enc, mac) == 0);
	CHECK(t_eqhex(enc, 16, "1309C877509E5A215007FF0ED19CA564"));
	CHECK(t_eqhex(mac, 16, "4C6626F5E72EA694202139295C7A7FC7"));
}

static void test_rotl_and_iso_key(void)
{
	uint8_t a[4] = { 1, 2, 3, 4 }, b[4];
	uint8_t des[16] = { 0 }, tdes[16], ra[8], rb[8], out[16];

	df_rotl(a, b, 4);
	CHECK(b[0] == 2 && b[3] == 1);
	t_unhex("0001020304050607", ra, 8);
	t_unhex("1011121314151617", rb, 8);
	df_iso_session_key(des, ra, rb, out);
	CHECK(t_eqhex(out, 16, "00010203101112130001020310111213"));
	memset(tdes, 0, 8);
	memset(tdes + 8, 1, 8);
	df_iso_session_key(tdes, ra, rb, out);
	CHECK(t_eqhex(out, 16, "00010203101112130405060714151617"));
}

static void test_tdes_chain(void)
{
	/* CBC across calls equals one CBC call: the IV carries the last ciphertext block */
	uint8_t key[16], iv[8] = { 0 }, iv2[8] = { 0 }, in[16], one[16], two[16];

	t_unhex("00112233445566778899AABBCCDDEEFF", key, 16);
	t_unhex("000102030405060708090A0B0C0D0E0F", in, 16);
	CHECK(df_tdes_cbc(1, key, iv, in, 16, one) == 0);
	CHECK(df_tdes_cbc(1, key, iv2, in, 8, two) == 0);
	CHECK(df_tdes_cbc(1, key, iv2, in + 8, 8, two + 8) == 0);
	CHECK(memcmp(one, two, 16) == 0 && memcmp(iv, iv2, 8) == 0);
	memset(iv, 0, 8);
	CHECK(df_tdes_cbc(0, key, iv, one, 16, two) == 0 && memcmp(two, in, 16) == 0);
}

int main(void)
{
	test_crc32();
	test_padding();
	test_cmac();
	test_mact();
	test_session_keys();
	test_rotl_and_iso_key();
	test_tdes_chain();
	return t_done("test_crypto");
}
