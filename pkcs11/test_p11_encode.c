/* test_p11_encode.c — host-side encodings: DigestInfo, ECDSA r||s normalisation, left
 * padding, READKEY S-expression parsing (good and hostile inputs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>

#include "common/sk_err.h"
#include "p11.h"
#include "p11_test.h"

static void
test_digestinfo(void)
{
	/* SHA-256("abc") */
	static const uint8_t want_hash[] = { 0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41,
		0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a,
		0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad };
	static const uint8_t prefix[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
		0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
	uint8_t *di = NULL;
	size_t n = 0;

	CHECK(p11_digestinfo("SHA256", (const uint8_t *)"abc", 3, &di, &n) == 0);
	CHECK(n == 51);
	CHECK(di != NULL && memcmp(di, prefix, sizeof(prefix)) == 0);
	CHECK(di != NULL && memcmp(di + 19, want_hash, 32) == 0);
	free(di);
	CHECK(p11_digestinfo("SHA1", (const uint8_t *)"abc", 3, &di, &n) == 0 && n == 35);
	CHECK(di[0] == 0x30 && di[1] == 0x21 && di[14] == 0x14);
	free(di);
	CHECK(p11_digestinfo("SHA512", (const uint8_t *)"", 0, &di, &n) == 0 && n == 83);
	free(di);
	CHECK(p11_digestinfo("MD5", (const uint8_t *)"abc", 3, &di, &n) == SK_ERR_UNSUPPORTED);
	CHECK(di == NULL);
}

static void
test_ecdsa_raw(void)
{
	uint8_t raw[64], *out = NULL, *der = NULL;
	size_t n = 0;
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_new(), *ss = BN_new();
	int dl;

	memset(raw, 0x11, sizeof(raw));
	CHECK(p11_ecdsa_raw(raw, 64, 32, &out, &n) == 0 && n == 64 && memcmp(out, raw, 64) == 0);
	free(out);
	/* DER with a short r (leading zero dropped) must come back left-padded */
	BN_set_word(r, 0x1234);
	BN_set_word(ss, 0xffffff);
	ECDSA_SIG_set0(s, r, ss);
	dl = i2d_ECDSA_SIG(s, &der);
	CHECK(dl > 0);
	CHECK(p11_ecdsa_raw(der, (size_t)dl, 32, &out, &n) == 0 && n == 64);
	CHECK(out != NULL && out[30] == 0x12 && out[31] == 0x34 && out[0] == 0);
	CHECK(out != NULL && out[61] == 0xff && out[63] == 0xff && out[32] == 0);
	free(out);
	CHECK(p11_ecdsa_raw(der, (size_t)dl - 1, 32, &out, &n) == SK_ERR_BAD_RESPONSE);
	CHECK(p11_ecdsa_raw(raw, 63, 32, &out, &n) == SK_ERR_BAD_RESPONSE);
	OPENSSL_free(der);
	ECDSA_SIG_free(s);
}

static void
test_left_pad(void)
{
	uint8_t in[4] = { 0, 0, 1, 2 }, *out = NULL;
	size_t n = 0;

	CHECK(p11_left_pad(in + 2, 2, 4, &out, &n) == 0 && n == 4 && memcmp(out, in, 4) == 0);
	free(out);
	CHECK(p11_left_pad(in, 4, 2, &out, &n) == 0 && n == 2 && out[0] == 1 && out[1] == 2);
	free(out);
	in[0] = 9;
	CHECK(p11_left_pad(in, 4, 2, &out, &n) == SK_ERR_BAD_RESPONSE && out == NULL);
}

static int
parse(const char *s, size_t n, struct p11_pubkey *k)
{
	return p11_sexp_pubkey((const uint8_t *)s, n, k);
}

static void
test_sexp(void)
{
	struct p11_pubkey k;
	char buf[256];
	size_t n;

	static const char rsa[] = "(10:public-key(3:rsa(1:n3:\x00\x02\x03)(1:e3:\x01\x00\x01)))";
	CHECK(parse(rsa, sizeof(rsa) - 1, &k) == 0);
	CHECK(k.kty == P11_KTY_RSA && k.n_len == 2 && k.n[0] == 2 && k.e_len == 3);
	p11_pubkey_clear(&k);

	n = (size_t)snprintf(buf, sizeof(buf), "(10:public-key(3:ecc(5:curve7:Ed25519)"
	    "(5:flags5:eddsa)(1:q33:@");
	memset(buf + n, 'A', 32);
	memcpy(buf + n + 32, ")))", 3);
	CHECK(parse(buf, n + 35, &k) == 0);
	CHECK(k.kty == P11_KTY_ED25519 && k.q_len == 32 && k.q[0] == 'A');
	p11_pubkey_clear(&k);
	CHECK(parse(buf, n + 34, &k) != 0);          /* truncated */
	memcpy(buf + n + 35, ")", 1);
	CHECK(parse(buf, n + 36, &k) == SK_ERR_FORMAT);   /* trailing byte */

	n = (size_t)snprintf(buf, sizeof(buf), "(10:public-key(3:ecc(5:curve10:NIST P-256)(1:q65:");
	buf[n] = 0x04;
	memset(buf + n + 1, 'B', 64);
	memcpy(buf + n + 65, ")))", 3);
	CHECK(parse(buf, n + 68, &k) == 0);
	CHECK(k.kty == P11_KTY_EC && k.curve == P11_CURVE_P256 && k.q_len == 65);
	p11_pubkey_clear(&k);
	buf[n] = 0x02;   /* compressed point: refused */
	CHECK(parse(buf, n + 68, &k) == SK_ERR_FORMAT);

	CHECK(parse("(10:public-key(3:rsa(1:n01:\x01)(1:e1:\x03)))", 38, &k) == SK_ERR_FORMAT);
	CHECK(parse("(10:public-key(3:dsa(1:p1:\x01)))", 29, &k) == SK_ERR_UNSUPPORTED);
	CHECK(parse("(10:public-key(3:rsa(1:n99999:", 30, &k) == SK_ERR_FORMAT);
	CHECK(parse("(10:public-key(3:ecc(5:curve9:secp256k1)(1:q1:\x04)))", 48, &k) ==
	    SK_ERR_UNSUPPORTED);
	CHECK(parse("", 0, &k) == SK_ERR_FORMAT);
	CHECK(k.n == NULL && k.q == NULL);
}

int
main(void)
{
	test_digestinfo();
	test_ecdsa_raw();
	test_left_pad();
	test_sexp();
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("test_p11_encode: all checks passed\n");
	return 0;
}
