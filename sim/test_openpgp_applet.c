/* test_openpgp_applet.c — unit tests of the simulator's OpenPGP applet, driven through its
 * process() entry point (no pcscd). Signatures and decryptions are checked with OpenSSL against
 * the public keys the card itself hands out (7F49). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "openpgp_int.h"

static int failures;

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", \
	__FILE__, __LINE__, #cond); failures++; } } while (0)
#define CHECK_SW(got, want) do { unsigned g_ = (got), w_ = (want); if (g_ != w_) { \
	fprintf(stderr, "%s:%d: SW %04X, expected %04X\n", __FILE__, __LINE__, g_, w_); \
	failures++; } } while (0)

static void
test_random(uint8_t *buf, size_t n)
{
	if (RAND_bytes(buf, (int)n) != 1)
		abort();
}

static const struct sim_applet_ops *ops = &sim_openpgp_applet;
static struct sim_env env = { .dirty = 0, .random = test_random };
static struct sim_rbuf rsp;

static unsigned
apdu(void *st, uint8_t ins, uint8_t p1, uint8_t p2, const void *data, size_t lc, size_t le)
{
	struct sim_apdu a = { 0x00, ins, p1, p2, data, lc, le, 1 };

	rsp.len = 0;
	return ops->process(st, &a, &rsp, &env);
}

static unsigned
verify(void *st, uint8_t ref, const char *pin)
{
	return apdu(st, 0x20, 0x00, ref, pin, strlen(pin), 0);
}

static unsigned
put(void *st, unsigned tag, const void *d, size_t n)
{
	return apdu(st, 0xDA, (uint8_t)(tag >> 8), (uint8_t)tag, d, n, 0);
}

static const uint8_t crt_sig[] = { 0xB6, 0x00 };
static const uint8_t crt_dec[] = { 0xB8, 0x00 };
static const uint8_t crt_aut[] = { 0xA4, 0x00 };

static const uint8_t attr_ed25519[] = { 0x16, 0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F,
	0x01 };
static const uint8_t attr_x25519[] = { 0x12, 0x2B, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01,
	0x05, 0x01 };
static const uint8_t attr_p256[] = { 0x13, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07 };
static const uint8_t attr_p256_ecdh[] = { 0x12, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07 };

/* Public key from a 7F49 template, for the algorithm the test asked for. */
static EVP_PKEY *
pub_from_7f49(const char *type, const uint8_t *p, size_t n)
{
	const uint8_t *t, *v, *e;
	size_t tlen, vlen, elen;
	OSSL_PARAM_BLD *b = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *k = NULL;
	BIGNUM *bn_n = NULL, *bn_e = NULL;

	if (opgp_tlv_find(p, n, 0x7F49, &t, &tlen) != 0)
		return NULL;
	if (strcmp(type, "ED25519") == 0 || strcmp(type, "X25519") == 0) {
		if (opgp_tlv_find(t, tlen, 0x86, &v, &vlen) != 0)
			return NULL;
		return EVP_PKEY_new_raw_public_key(strcmp(type, "X25519") == 0 ? EVP_PKEY_X25519 :
		    EVP_PKEY_ED25519, NULL, v, vlen);
	}
	b = OSSL_PARAM_BLD_new();
	if (strcmp(type, "RSA") == 0) {
		if (opgp_tlv_find(t, tlen, 0x81, &v, &vlen) != 0 ||
		    opgp_tlv_find(t, tlen, 0x82, &e, &elen) != 0)
			goto out;
		bn_n = BN_bin2bn(v, (int)vlen, NULL);
		bn_e = BN_bin2bn(e, (int)elen, NULL);
		OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, bn_n);
		OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, bn_e);
	} else {
		if (opgp_tlv_find(t, tlen, 0x86, &v, &vlen) != 0)
			goto out;
		OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, type, 0);
		OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, v, vlen);
		type = "EC";
	}
	params = OSSL_PARAM_BLD_to_param(b);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		k = NULL;
out:
	BN_free(bn_n);
	BN_free(bn_e);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	return k;
}

static EVP_PKEY *
generate(void *st, const uint8_t *crt, const char *type)
{
	CHECK_SW(apdu(st, 0x47, 0x80, 0x00, crt, 2, 0), 0x9000);
	return pub_from_7f49(type, rsp.p, rsp.len);
}

static void
test_fresh_card(void *st)
{
	const uint8_t *v, *d, *c4;
	size_t vlen, dlen, c4len;

	CHECK_SW(ops->select(st, &rsp, &env), 0x9000);
	CHECK_SW(apdu(st, 0xCA, 0x00, 0x4F, NULL, 0, 256), 0x9000);
	CHECK(rsp.len == 16 && memcmp(rsp.p, "\xD2\x76\x00\x01\x24\x01\x03\x04\xFF\xFE", 10) == 0);
	CHECK_SW(apdu(st, 0xCA, 0x00, 0x6E, NULL, 0, 256), 0x9000);
	CHECK(opgp_tlv_find(rsp.p, rsp.len, 0x6E, &v, &vlen) == 0);
	CHECK(opgp_tlv_find(v, vlen, 0x73, &d, &dlen) == 0);
	CHECK(opgp_tlv_find(d, dlen, 0xC4, &c4, &c4len) == 0 && c4len == 7);
	if (c4len == 7)
		CHECK(c4[0] == 0 && c4[4] == 3 && c4[5] == 0 && c4[6] == 3);
	CHECK(opgp_tlv_find(d, dlen, 0xC0, &c4, &c4len) == 0 && c4len == 10 && (c4[0] & 0x21) == 0x21);
	CHECK(opgp_tlv_find(d, dlen, 0xC1, &c4, &c4len) == 0 && c4len == 6 && c4[0] == 0x01);
	CHECK_SW(apdu(st, 0xCA, 0x00, 0xF9, NULL, 0, 256), 0x9000);
	CHECK(rsp.len == 3 && memcmp(rsp.p, "\x81\x01\x00", 3) == 0);
	CHECK_SW(apdu(st, 0x47, 0x81, 0x00, crt_sig, 2, 0), 0x6A88);
	CHECK_SW(apdu(st, 0x47, 0x80, 0x00, crt_sig, 2, 0), 0x6982);
	CHECK_SW(apdu(st, 0x11, 0x00, 0x00, NULL, 0, 0), 0x6D00);
	CHECK_SW(apdu(st, 0x84, 0x00, 0x00, NULL, 0, 8), 0x9000);
	CHECK(rsp.len == 8);
}

static void
test_pins(void *st)
{
	CHECK_SW(apdu(st, 0x20, 0x00, 0x81, NULL, 0, 0), 0x63C3);
	CHECK_SW(verify(st, 0x81, "654321"), 0x63C2);
	CHECK_SW(apdu(st, 0x20, 0x00, 0x82, NULL, 0, 0), 0x63C2);
	CHECK_SW(verify(st, 0x82, "123456"), 0x9000);
	CHECK_SW(apdu(st, 0x20, 0x00, 0x82, NULL, 0, 0), 0x9000);
	CHECK_SW(apdu(st, 0x20, 0x00, 0x81, NULL, 0, 0), 0x63C3);
	CHECK_SW(apdu(st, 0x20, 0xFF, 0x82, NULL, 0, 0), 0x9000);
	CHECK_SW(apdu(st, 0x20, 0x00, 0x82, NULL, 0, 0), 0x63C3);
	/* change PW1, then block it and unblock with the resetting code */
	CHECK_SW(apdu(st, 0x24, 0x00, 0x81, "123456abcdef", 12, 0), 0x9000);
	CHECK_SW(verify(st, 0x82, "123456"), 0x63C2);
	CHECK_SW(verify(st, 0x82, "123456"), 0x63C1);
	CHECK_SW(verify(st, 0x82, "123456"), 0x63C0);
	CHECK_SW(verify(st, 0x82, "abcdef"), 0x6983);
	CHECK_SW(apdu(st, 0x2C, 0x00, 0x81, "12345678123456", 14, 0), 0x6982);  /* no RC set */
	CHECK_SW(put(st, 0xD3, "resetcode", 9), 0x6982);                         /* needs PW3 */
	CHECK_SW(verify(st, 0x83, "12345678"), 0x9000);
	CHECK_SW(put(st, 0xD3, "resetcode", 9), 0x9000);
	CHECK_SW(apdu(st, 0x2C, 0x00, 0x81, "resetcodX123456", 15, 0), 0x6982);
	CHECK_SW(apdu(st, 0x2C, 0x00, 0x81, "resetcode123456", 15, 0), 0x9000);
	CHECK_SW(verify(st, 0x82, "123456"), 0x9000);
	CHECK_SW(apdu(st, 0x2C, 0x02, 0x81, "654321", 6, 0), 0x9000);          /* with PW3 */
	CHECK_SW(verify(st, 0x81, "654321"), 0x9000);
	CHECK_SW(apdu(st, 0x24, 0x00, 0x81, "654321123", 9, 0), 0x6700);       /* too short */
	CHECK_SW(apdu(st, 0x24, 0x00, 0x81, "654321abcdefgh", 14, 0), 0x9000);
	CHECK_SW(apdu(st, 0xCA, 0x00, 0xC4, NULL, 0, 0), 0x9000);
	CHECK(rsp.len == 7 && rsp.p[4] == 3 && rsp.p[5] == 3 && rsp.p[6] == 3);
}

static void
test_private_dos(void *st)
{
	ops->deselect(st);
	CHECK_SW(put(st, 0x0101, "one", 3), 0x6982);
	CHECK_SW(apdu(st, 0xCA, 0x01, 0x03, NULL, 0, 0), 0x6982);
	CHECK_SW(verify(st, 0x82, "abcdefgh"), 0x9000);
	CHECK_SW(put(st, 0x0101, "one", 3), 0x9000);
	CHECK_SW(put(st, 0x0103, "three", 5), 0x9000);
	CHECK_SW(put(st, 0x0102, "two", 3), 0x6982);
	CHECK_SW(apdu(st, 0xCA, 0x01, 0x03, NULL, 0, 0), 0x9000);
	CHECK(rsp.len == 5 && memcmp(rsp.p, "three", 5) == 0);
	CHECK_SW(verify(st, 0x83, "12345678"), 0x9000);
	CHECK_SW(put(st, 0x0104, "four", 4), 0x9000);
	CHECK_SW(put(st, 0x5B, "Doe<<John", 9), 0x9000);
	CHECK_SW(apdu(st, 0xCA, 0x00, 0x65, NULL, 0, 0), 0x9000);
	CHECK(rsp.len > 2 && rsp.p[0] == 0x65);
	/* cardholder certificates: three instances through SELECT DATA */
	CHECK_SW(apdu(st, 0xA5, 0x02, 0x04, "\x60\x04\x5C\x02\x7F\x21", 6, 0), 0x9000);
	CHECK_SW(put(st, 0x7F21, "sig-cert", 8), 0x9000);
	CHECK_SW(apdu(st, 0xA5, 0x00, 0x04, "\x60\x04\x5C\x02\x7F\x21", 6, 0), 0x9000);
	CHECK_SW(put(st, 0x7F21, "aut-cert", 8), 0x9000);
	CHECK_SW(apdu(st, 0xA5, 0x02, 0x04, "\x5C\x02\x7F\x21", 4, 0), 0x9000);
	CHECK_SW(apdu(st, 0xCA, 0x7F, 0x21, NULL, 0, 0), 0x9000);
	CHECK(rsp.len == 8 && memcmp(rsp.p, "sig-cert", 8) == 0);
	CHECK_SW(apdu(st, 0xA5, 0x03, 0x04, "\x5C\x02\x7F\x21", 4, 0), 0x6B00);
}

static int
verify_sig(EVP_PKEY *pub, const uint8_t *tbs, size_t tlen, const uint8_t *sig, size_t slen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);
	int ok = 0;

	if (ctx != NULL && EVP_PKEY_verify_init(ctx) > 0 &&
	    (!EVP_PKEY_is_a(pub, "RSA") || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0))
		ok = EVP_PKEY_verify(ctx, sig, slen, tbs, tlen) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

static int
verify_ecdsa_raw(EVP_PKEY *pub, const uint8_t *h, size_t hlen, const uint8_t *rs, size_t n)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	unsigned char *der = NULL;
	int dlen, ok = 0;

	ECDSA_SIG_set0(sig, BN_bin2bn(rs, (int)n / 2, NULL), BN_bin2bn(rs + n / 2, (int)n / 2, NULL));
	dlen = i2d_ECDSA_SIG(sig, &der);
	if (dlen > 0)
		ok = verify_sig(pub, h, hlen, der, (size_t)dlen);
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	return ok;
}

static int
verify_eddsa(EVP_PKEY *pub, const uint8_t *m, size_t mlen, const uint8_t *sig, size_t slen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = EVP_DigestVerifyInit(md, NULL, NULL, NULL, pub) == 1 &&
	    EVP_DigestVerify(md, sig, slen, m, mlen) == 1;

	EVP_MD_CTX_free(md);
	return ok;
}

static void
test_ed25519_sig(void *st)
{
	static const uint8_t msg[] = "message signed by the card";
	EVP_PKEY *pub;

	CHECK_SW(verify(st, 0x83, "12345678"), 0x9000);
	CHECK_SW(put(st, 0xC1, attr_ed25519, sizeof(attr_ed25519)), 0x9000);
	CHECK_SW(put(st, 0xC2, attr_ed25519, sizeof(attr_ed25519)), 0x6A80);
	pub = generate(st, crt_sig, "ED25519");
	CHECK(pub != NULL);
	CHECK_SW(apdu(st, 0x2A, 0x9E, 0x9A, msg, sizeof(msg), 0), 0x6982);
	CHECK_SW(verify(st, 0x81, "abcdefgh"), 0x9000);
	CHECK_SW(apdu(st, 0x2A, 0x9E, 0x9A, msg, sizeof(msg), 0), 0x9000);
	CHECK(rsp.len == 64 && pub != NULL && verify_eddsa(pub, msg, sizeof(msg), rsp.p, rsp.len));
	CHECK_SW(apdu(st, 0x2A, 0x9E, 0x9A, msg, sizeof(msg), 0), 0x6982);  /* PW1 81 used up */
	CHECK_SW(apdu(st, 0xCA, 0x00, 0x93, NULL, 0, 0), 0x9000);
	CHECK(rsp.len == 3 && rsp.p[2] == 1);
	/* C4 byte 1 = 01: PW1 stays valid for several signatures */
	CHECK_SW(put(st, 0xC4, "\x01", 1), 0x9000);
	CHECK_SW(verify(st, 0x81, "abcdefgh"), 0x9000);
	CHECK_SW(apdu(st, 0x2A, 0x9E, 0x9A, msg, 5, 0), 0x9000);
	CHECK_SW(apdu(st, 0x2A, 0x9E, 0x9A, msg, 5, 0), 0x9000);
	CHECK_SW(put(st, 0xC4, "\x00", 1), 0x9000);
	EVP_PKEY_free(pub);
}

static void
test_p256_auth(void *st)
{
	uint8_t h[32];
	EVP_PKEY *pub;

	test_random(h, sizeof(h));
	CHECK_SW(put(st, 0xC3, attr_p256, sizeof(attr_p256)), 0x9000);
	pub = generate(st, crt_aut, "P-256");
	CHECK(pub != NULL);
	CHECK_SW(verify(st, 0x82, "abcdefgh"), 0x9000);
	CHECK_SW(apdu(st, 0x88, 0x00, 0x00, h, sizeof(h), 0), 0x9000);
	CHECK(rsp.len == 64 && pub != NULL && verify_ecdsa_raw(pub, h, sizeof(h), rsp.p, rsp.len));
	EVP_PKEY_free(pub);
}

static void
test_x25519_decipher(void *st)
{
	EVP_PKEY *pub, *eph = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	uint8_t cmd[64], shared[32];
	size_t plen = 32, slen = sizeof(shared);
	EVP_PKEY_CTX *ctx;

	CHECK_SW(put(st, 0xC2, attr_x25519, sizeof(attr_x25519)), 0x9000);
	pub = generate(st, crt_dec, "X25519");
	CHECK(pub != NULL && eph != NULL);
	if (pub == NULL || eph == NULL)
		return;
	memcpy(cmd, "\xA6\x25\x7F\x49\x22\x86\x20", 7);
	EVP_PKEY_get_raw_public_key(eph, cmd + 7, &plen);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, eph, NULL);
	EVP_PKEY_derive_init(ctx);
	EVP_PKEY_derive_set_peer(ctx, pub);
	EVP_PKEY_derive(ctx, shared, &slen);
	EVP_PKEY_CTX_free(ctx);
	CHECK_SW(apdu(st, 0x2A, 0x80, 0x86, cmd, 39, 0), 0x9000);
	CHECK(rsp.len == 32 && memcmp(rsp.p, shared, 32) == 0);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(eph);
}

static void
test_rsa(void *st)
{
	static const uint8_t di[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
		0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
		11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
		32 };
	static const uint8_t rsa2k[] = { 0x01, 0x08, 0x00, 0x00, 0x20, 0x00 };
	uint8_t ct[1 + 256], secret[32];
	size_t ctlen = sizeof(ct) - 1;
	EVP_PKEY *pub, *dec;
	EVP_PKEY_CTX *ctx;

	CHECK_SW(put(st, 0xC1, rsa2k, sizeof(rsa2k)), 0x9000);
	pub = generate(st, crt_sig, "RSA");
	CHECK(pub != NULL && EVP_PKEY_get_bits(pub) == 2048);
	CHECK_SW(verify(st, 0x81, "abcdefgh"), 0x9000);
	CHECK_SW(apdu(st, 0x2A, 0x9E, 0x9A, di, sizeof(di), 0), 0x9000);
	CHECK(rsp.len == 256 && pub != NULL && verify_sig(pub, di, sizeof(di), rsp.p, rsp.len));
	/* decryption key, RSA too */
	CHECK_SW(put(st, 0xC2, rsa2k, sizeof(rsa2k)), 0x9000);
	dec = generate(st, crt_dec, "RSA");
	CHECK(dec != NULL);
	test_random(secret, sizeof(secret));
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dec, NULL);
	ct[0] = 0x00;
	CHECK(EVP_PKEY_encrypt_init(ctx) > 0 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0
	    && EVP_PKEY_encrypt(ctx, ct + 1, &ctlen, secret, sizeof(secret)) > 0);
	EVP_PKEY_CTX_free(ctx);
	CHECK_SW(verify(st, 0x82, "abcdefgh"), 0x9000);
	CHECK_SW(apdu(st, 0x2A, 0x80, 0x86, ct, 1 + ctlen, 0), 0x9000);
	CHECK(rsp.len == 32 && memcmp(rsp.p, secret, 32) == 0);
	ct[5] ^= 1;
	CHECK_SW(apdu(st, 0x2A, 0x80, 0x86, ct, 1 + ctlen, 0), 0x6A80);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(dec);
}

/* Imports a P-256 key through 4D and checks the card derived the right public key. */
static void
test_import_p256(void *st)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	BIGNUM *d = NULL;
	uint8_t cmd[64], pub[65], cardpub[65];
	size_t plen = 0;
	const uint8_t *t, *v;
	size_t tlen = 0, vlen = 0;

	CHECK(k != NULL && EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &d) == 1);
	EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub, sizeof(pub), &plen);
	/* 4D 2A { B8 00, 7F48 02 {92 20}, 5F48 20 <d> } */
	memcpy(cmd, "\x4D\x2A\xB8\x00\x7F\x48\x02\x92\x20\x5F\x48\x20", 12);
	BN_bn2binpad(d, cmd + 12, 32);
	CHECK_SW(put(st, 0xC2, attr_p256_ecdh, sizeof(attr_p256_ecdh)), 0x9000);
	CHECK_SW(apdu(st, 0xDB, 0x3F, 0xFF, cmd, 44, 0), 0x9000);
	CHECK_SW(apdu(st, 0x47, 0x81, 0x00, crt_dec, 2, 0), 0x9000);
	CHECK(opgp_tlv_find(rsp.p, rsp.len, 0x7F49, &t, &tlen) == 0 &&
	    opgp_tlv_find(t, tlen, 0x86, &v, &vlen) == 0 && vlen == 65);
	if (vlen == 65)
		memcpy(cardpub, v, 65);
	CHECK(plen == 65 && memcmp(cardpub, pub, 65) == 0);
	CHECK_SW(apdu(st, 0xCA, 0x00, 0xDE, NULL, 0, 0), 0x9000);
	CHECK(rsp.len == 6 && rsp.p[3] == 2 && rsp.p[1] == 1);
	cmd[1] = 0x2B;  /* inner lengths no longer add up */
	CHECK_SW(apdu(st, 0xDB, 0x3F, 0xFF, cmd, 44, 0), 0x6A80);
	BN_clear_free(d);
	EVP_PKEY_free(k);
}

static size_t
put_hdr(uint8_t *o, unsigned tag, size_t len)
{
	size_t i = 0;

	if (tag > 0xFF)
		o[i++] = (uint8_t)(tag >> 8);
	o[i++] = (uint8_t)tag;
	if (len >= 0x100) {
		o[i++] = 0x82;
		o[i++] = (uint8_t)(len >> 8);
	} else if (len >= 0x80) {
		o[i++] = 0x81;
	}
	o[i++] = (uint8_t)len;
	return i;
}

/* Imports an RSA-2048 key (e, p, q) through 4D; the card must sign so the host key verifies. */
static void
test_import_rsa(void *st)
{
	static const uint8_t di[] = { 0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02,
		0x1a, 0x05, 0x00, 0x04, 0x14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
		17, 18, 19, 20 };
	static const uint8_t rsa2k[] = { 0x01, 0x08, 0x00, 0x00, 0x20, 0x00 };
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	BIGNUM *e = NULL, *p = NULL, *q = NULL;
	uint8_t vals[3 + 128 + 128], hl[16], cmd[400], scratch[8];
	size_t hlen = 0, vlen, n, inner;
	int el, pl, ql;

	CHECK(k != NULL && EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e) == 1 &&
	    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_FACTOR1, &p) == 1 &&
	    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_FACTOR2, &q) == 1);
	if (e == NULL || p == NULL || q == NULL)
		goto out;
	el = BN_bn2bin(e, vals);
	pl = BN_bn2bin(p, vals + el);
	ql = BN_bn2bin(q, vals + el + pl);
	vlen = (size_t)(el + pl + ql);
	hlen += put_hdr(hl + hlen, 0x91, (size_t)el);
	hlen += put_hdr(hl + hlen, 0x92, (size_t)pl);
	hlen += put_hdr(hl + hlen, 0x93, (size_t)ql);
	inner = 2 + put_hdr(scratch, 0x7F48, hlen) + hlen + put_hdr(scratch, 0x5F48, vlen) + vlen;
	n = put_hdr(cmd, 0x4D, inner);
	memcpy(cmd + n, "\xB6\x00", 2);
	n += 2;
	n += put_hdr(cmd + n, 0x7F48, hlen);
	memcpy(cmd + n, hl, hlen);
	n += hlen;
	n += put_hdr(cmd + n, 0x5F48, vlen);
	memcpy(cmd + n, vals, vlen);
	n += vlen;
	CHECK_SW(put(st, 0xC1, rsa2k, sizeof(rsa2k)), 0x9000);
	CHECK_SW(apdu(st, 0xDB, 0x3F, 0xFF, cmd, n, 0), 0x9000);
	CHECK_SW(verify(st, 0x81, "abcdefgh"), 0x9000);
	CHECK_SW(apdu(st, 0x2A, 0x9E, 0x9A, di, sizeof(di), 0), 0x9000);
	CHECK(rsp.len == 256 && verify_sig(k, di, sizeof(di), rsp.p, rsp.len));
out:
	BN_free(e);
	BN_free(p);
	BN_free(q);
	EVP_PKEY_free(k);
}

/* P-384 decryption key: ECDH answers the x-coordinate of the shared point. */
static void
test_p384_ecdh(void *st)
{
	static const uint8_t attr[] = { 0x12, 0x2B, 0x81, 0x04, 0x00, 0x22 };
	EVP_PKEY *pub, *eph = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	uint8_t cmd[8 + 97], shared[48];
	size_t plen = 0, slen = sizeof(shared);
	EVP_PKEY_CTX *ctx;

	CHECK_SW(verify(st, 0x83, "12345678"), 0x9000);
	CHECK_SW(put(st, 0xC2, attr, sizeof(attr)), 0x9000);
	pub = generate(st, crt_dec, "P-384");
	CHECK(pub != NULL && eph != NULL);
	if (pub == NULL || eph == NULL)
		goto out;
	memcpy(cmd, "\xA6\x66\x7F\x49\x63\x86\x61", 7);
	EVP_PKEY_get_octet_string_param(eph, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, cmd + 7, 97, &plen);
	CHECK(plen == 97);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, eph, NULL);
	CHECK(EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_derive_set_peer(ctx, pub) > 0 &&
	    EVP_PKEY_derive(ctx, shared, &slen) > 0 && slen == 48);
	EVP_PKEY_CTX_free(ctx);
	CHECK_SW(verify(st, 0x82, "abcdefgh"), 0x9000);
	CHECK_SW(apdu(st, 0x2A, 0x80, 0x86, cmd, 7 + 97, 0), 0x9000);
	CHECK(rsp.len == 48 && memcmp(rsp.p, shared, 48) == 0);
	cmd[7 + 50] ^= 1;  /* not on the curve any more */
	CHECK_SW(apdu(st, 0x2A, 0x80, 0x86, cmd, 7 + 97, 0), 0x6A80);
out:
	EVP_PKEY_free(pub);
	EVP_PKEY_free(eph);
}

/* Ed25519 authentication key; attribute validation; informational DOs. */
static void
test_attrs_and_info(void *st)
{
	static const uint8_t msg[] = "ssh session id";
	static const uint8_t rsa4k[] = { 0x01, 0x10, 0x00, 0x00, 0x20, 0x00 };
	static const uint8_t rsa1k[] = { 0x01, 0x04, 0x00, 0x00, 0x20, 0x00 };
	static const uint8_t brainpool[] = { 0x13, 0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07 };
	const uint8_t *v;
	size_t vlen;
	EVP_PKEY *pub;

	CHECK_SW(verify(st, 0x83, "12345678"), 0x9000);
	CHECK_SW(verify(st, 0x82, "abcdefgh"), 0x9000);
	CHECK_SW(put(st, 0xC3, attr_ed25519, sizeof(attr_ed25519)), 0x9000);
	pub = generate(st, crt_aut, "ED25519");
	CHECK(pub != NULL);
	CHECK_SW(apdu(st, 0x88, 0x00, 0x00, msg, sizeof(msg), 0), 0x9000);
	CHECK(rsp.len == 64 && pub != NULL && verify_eddsa(pub, msg, sizeof(msg), rsp.p, rsp.len));
	EVP_PKEY_free(pub);
	CHECK_SW(put(st, 0xC3, rsa4k, sizeof(rsa4k)), 0x9000);
	CHECK_SW(apdu(st, 0x47, 0x81, 0x00, crt_aut, 2, 0), 0x6A88);  /* attribute change drops the key */
	CHECK_SW(put(st, 0xC3, rsa1k, sizeof(rsa1k)), 0x6A80);
	CHECK_SW(put(st, 0xC3, brainpool, sizeof(brainpool)), 0x6A80);
	CHECK_SW(put(st, 0xC2, attr_ed25519, sizeof(attr_ed25519)), 0x6A80);
	CHECK_SW(put(st, 0xC1, attr_x25519, sizeof(attr_x25519)), 0x6A80);
	CHECK_SW(apdu(st, 0xCA, 0x00, 0xC3, NULL, 0, 0), 0x9000);
	CHECK(rsp.len == sizeof(rsa4k) && memcmp(rsp.p, rsa4k, sizeof(rsa4k)) == 0);
	CHECK_SW(apdu(st, 0xCA, 0x7F, 0x66, NULL, 0, 0), 0x9000);
	CHECK(opgp_tlv_find(rsp.p, rsp.len, 0x7F66, &v, &vlen) == 0 && vlen == 8);
	CHECK_SW(apdu(st, 0xCA, 0x7F, 0x74, NULL, 0, 0), 0x9000);
	CHECK(opgp_tlv_find(rsp.p, rsp.len, 0x7F74, &v, &vlen) == 0);
	CHECK_SW(apdu(st, 0xCA, 0x00, 0xFA, NULL, 0, 0), 0x9000);
	CHECK(opgp_tlv_find(rsp.p, rsp.len, 0xFA, &v, &vlen) == 0 && vlen > 30);
	CHECK_SW(apdu(st, 0xCA, 0x00, 0x7A, NULL, 0, 0), 0x9000);
	CHECK(opgp_tlv_find(rsp.p, rsp.len, 0x7A, &v, &vlen) == 0 && vlen == 5);
	CHECK_SW(apdu(st, 0xCA, 0x00, 0x01, NULL, 0, 0), 0x6A88);
	CHECK_SW(apdu(st, 0x84, 0x00, 0x00, NULL, 0, 0), 0x6700);
}

static void *
save_and_reload(void *st)
{
	struct sim_rbuf img = { NULL, 0, 0 };
	void *st2 = ops->create();
	uint8_t pub1[600];
	size_t l1;

	CHECK_SW(apdu(st, 0x47, 0x81, 0x00, crt_aut, 2, 0), 0x9000);
	l1 = rsp.len < sizeof(pub1) ? rsp.len : sizeof(pub1);
	memcpy(pub1, rsp.p, l1);
	CHECK(ops->save(st, &img) == 0);
	CHECK(st2 != NULL && ops->load(st2, img.p, img.len) == 0);
	CHECK(ops->load(st2, img.p, img.len - 1) == -1);
	CHECK(ops->load(st2, img.p, img.len) == 0);
	ops->destroy(st);
	CHECK_SW(apdu(st2, 0x47, 0x81, 0x00, crt_aut, 2, 0), 0x9000);
	CHECK(rsp.len == l1 && memcmp(rsp.p, pub1, l1) == 0);
	CHECK_SW(verify(st2, 0x82, "abcdefgh"), 0x9000);
	CHECK_SW(apdu(st2, 0xCA, 0x01, 0x01, NULL, 0, 0), 0x9000);
	CHECK(rsp.len == 3 && memcmp(rsp.p, "one", 3) == 0);
	free(img.p);
	return st2;
}

static void
test_kdf(void *st)
{
	/* algorithm 03 (iterated+salted), SHA-256, and stand-in "hashes" of the default PINs */
	uint8_t kdf[3 + 3 + 6 + 34 + 34];
	uint8_t h1[32], h3[32];
	size_t n = 0;

	memset(h1, 0x11, sizeof(h1));
	memset(h3, 0x33, sizeof(h3));
	memcpy(kdf, "\x81\x01\x03\x82\x01\x08\x83\x04\x00\x01\x00\x00", 12);
	n = 12;
	kdf[n++] = 0x87; kdf[n++] = 32; memcpy(kdf + n, h1, 32); n += 32;
	kdf[n++] = 0x88; kdf[n++] = 32; memcpy(kdf + n, h3, 32); n += 32;
	CHECK_SW(verify(st, 0x83, "12345678"), 0x9000);
	CHECK_SW(put(st, 0xF9, kdf, 12), 0x6A80);  /* no initial hashes */
	CHECK_SW(put(st, 0xF9, kdf, n), 0x9000);
	CHECK_SW(verify(st, 0x82, "abcdefgh"), 0x63C2);
	CHECK_SW(apdu(st, 0x20, 0x00, 0x82, h1, 32, 0), 0x9000);
	CHECK_SW(apdu(st, 0x20, 0x00, 0x83, h3, 32, 0), 0x9000);
	CHECK_SW(apdu(st, 0xCA, 0x00, 0xF9, NULL, 0, 0), 0x9000);
	CHECK(rsp.len == n);
	CHECK_SW(put(st, 0xF9, "\x81\x01\x00", 3), 0x9000);
	CHECK_SW(verify(st, 0x83, "12345678"), 0x9000);
}

static void
test_factory_reset(void *st)
{
	uint8_t aid[16];

	CHECK_SW(apdu(st, 0xCA, 0x00, 0x4F, NULL, 0, 0), 0x9000);
	memcpy(aid, rsp.p, 16);
	ops->deselect(st);
	CHECK_SW(apdu(st, 0xE6, 0x00, 0x00, NULL, 0, 0), 0x6982);
	CHECK_SW(verify(st, 0x83, "wrongwrong"), 0x63C2);
	CHECK_SW(verify(st, 0x83, "wrongwrong"), 0x63C1);
	CHECK_SW(verify(st, 0x83, "wrongwrong"), 0x63C0);
	CHECK_SW(apdu(st, 0xE6, 0x00, 0x00, NULL, 0, 0), 0x9000);
	CHECK_SW(ops->select(st, &rsp, &env), 0x6285);
	CHECK_SW(apdu(st, 0xCA, 0x00, 0x4F, NULL, 0, 0), 0x6285);
	CHECK_SW(apdu(st, 0x44, 0x00, 0x00, NULL, 0, 0), 0x9000);
	CHECK_SW(ops->select(st, &rsp, &env), 0x9000);
	CHECK_SW(apdu(st, 0xCA, 0x00, 0x4F, NULL, 0, 0), 0x9000);
	CHECK(rsp.len == 16 && memcmp(rsp.p, aid, 16) == 0);
	CHECK_SW(apdu(st, 0x47, 0x81, 0x00, crt_aut, 2, 0), 0x6A88);
	CHECK_SW(verify(st, 0x82, "123456"), 0x9000);
	CHECK_SW(apdu(st, 0xCA, 0x01, 0x01, NULL, 0, 0), 0x9000);
	CHECK(rsp.len == 0);
}

/* The real-card encodings: the same data with long-form lengths, templates' children backwards
 * and (padded) 00/FF between them. Checked byte by byte: the sim's own reader is strict. */
static void
test_encodings(void *st)
{
	size_t n;

	sim_set_encoding(SIM_ENC_REAL);
	CHECK_SW(apdu(st, 0xCA, 0x00, 0x6E, NULL, 0, 256), 0x9000);
	CHECK(rsp.len > 8 && rsp.p[0] == 0x6E && rsp.p[1] == 0x82);
	n = rsp.len > 4 ? (size_t)rsp.p[2] << 8 | rsp.p[3] : 0;
	CHECK(n + 4 == rsp.len);
	CHECK(rsp.len > 12 && rsp.p[4] == 0x73 && rsp.p[5] == 0x82);          /* 73 first */
	CHECK(rsp.len > 12 && memcmp(rsp.p + 8, "\xDE\x81\x06\x01", 4) == 0);   /* DE first in 73 */
	CHECK(rsp.len > 20 && memcmp(rsp.p + rsp.len - 19, "\x4F\x81\x10\xD2\x76", 5) == 0);
	CHECK_SW(apdu(st, 0xCA, 0x7F, 0x66, NULL, 0, 256), 0x9000);
	CHECK(rsp.len == 15 && memcmp(rsp.p, "\x7F\x66\x82\x00\x0A\x02\x81\x02", 8) == 0);
	sim_set_encoding(SIM_ENC_PADDED);
	CHECK_SW(apdu(st, 0xCA, 0x00, 0x6E, NULL, 0, 256), 0x9000);
	CHECK(rsp.len > 20 && rsp.p[0] == 0x6E && rsp.p[1] == 0x82 &&
	    ((size_t)rsp.p[2] << 8 | rsp.p[3]) + 4 == rsp.len);
	CHECK(rsp.len > 20 && memcmp(rsp.p + 8, "\xDE\x81\x06\x01", 4) == 0 &&
	    memcmp(rsp.p + 17, "\xFF\x00", 2) == 0);
	CHECK(rsp.len > 4 && memcmp(rsp.p + rsp.len - 2, "\xFF\x00", 2) == 0);
	sim_set_encoding(SIM_ENC_MINIMAL);
	CHECK_SW(apdu(st, 0xCA, 0x00, 0x6E, NULL, 0, 256), 0x9000);
	CHECK(rsp.len > 4 && rsp.p[0] == 0x6E && rsp.p[1] == 0x81 && rsp.p[3] == 0x4F);
}

int
main(void)
{
	void *st = ops->create();

	if (st == NULL)
		return 1;
	CHECK(strcmp(ops->name, "openpgp") == 0 && (ops->flags & SIM_APPLET_CHAINING) != 0);
	test_fresh_card(st);
	test_encodings(st);
	test_pins(st);
	test_private_dos(st);
	test_ed25519_sig(st);
	test_p256_auth(st);
	test_x25519_decipher(st);
	test_rsa(st);
	test_import_p256(st);
	test_import_rsa(st);
	test_p384_ecdh(st);
	st = save_and_reload(st);
	test_attrs_and_info(st);
	test_kdf(st);
	test_factory_reset(st);
	ops->destroy(st);
	free(rsp.p);
	if (failures != 0) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
