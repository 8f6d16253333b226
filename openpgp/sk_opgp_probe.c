/* sk_opgp_probe.c — drives libskopenpgp against a real PC/SC reader (the simulator in the
 * integration tests). Each command prints key=value lines; on failure "err=NAME" and exit 1.
 *   sk-opgp-probe [-r READER] info
 *   sk-opgp-probe [-r READER] verify REF PIN          (REF 81, 82, 83)
 *   sk-opgp-probe [-r READER] status REF              (empty VERIFY)
 *   sk-opgp-probe [-r READER] keys                    (PW3 12345678 / PW1 123456: generate
 *       P-256 SIG, Ed25519 AUT, X25519 DEC; sign, authenticate, ECDH, all checked with OpenSSL;
 *       then P-256 ECDH in DEC)
 *   sk-opgp-probe [-r READER] rsa | import | data | pins | reset   (RSA-2048 sign/decrypt;
 *       OpenSSL keys imported and used; certificates + private DO round trips; PIN change,
 *       resetting code, admin reset; factory reset)
 *   sk-opgp-probe [-r READER] kdf-set HEX             (PUT DATA F9 with the admin PIN)
 *   sk-opgp-probe [-r READER] loop N                  (N x (read info + empty VERIFY), printing
 *       each result; for malformed-mode tests: never crashes, never hangs) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "card.h"
#include "log.h"
#include "openpgp.h"
#include "pcsc.h"
#include "sk_err.h"

static const char *err_name(int r)
{
	static const char *names[] = { "OK", "INTERNAL", "NOMEM", "ARG", "FORMAT", "TOOBIG", "IO",
		"NO_READER", "NO_CARD", "CARD_REMOVED", "CARD_RESET", "TIMEOUT", "SW", "BAD_RESPONSE",
		"NOT_FOUND", "PIN_WRONG", "PIN_BLOCKED", "PIN_REQUIRED", "PIN_FORMAT", "DENIED",
		"UNSUPPORTED", "CRYPTO", "BUSY", "CANCELED", "EXISTS", "DB", "CONFIG", "PROTO",
		"LOCKED" };

	if (r > 0 || -r >= (int)(sizeof(names) / sizeof(names[0])))
		return "UNKNOWN";
	return names[-r];
}

static int fail(const char *what, int r)
{
	printf("err=%s\nfailed=%s\n", err_name(r), what);
	return 1;
}

static void print_hex(const char *key, const uint8_t *p, size_t n)
{
	printf("%s=", key);
	for (size_t i = 0; i < n; i++)
		printf("%02X", p[i]);
	printf("\n");
}

static int cmd_info(struct sk_card *c)
{
	struct opgp_info info;
	int r;

	if ((r = opgp_read_info(c, &info)) != 0)
		return fail("read_info", r);
	printf("version=%u.%u\nmanufacturer=%04X\nserial=%08X\n", info.version_major,
	    info.version_minor, info.manufacturer, info.serial);
	printf("pw1_tries=%u\nrc_tries=%u\npw3_tries=%u\npw1_max=%u\npw3_max=%u\n",
	    info.pw.pw1_tries, info.pw.rc_tries, info.pw.pw3_tries, info.pw.pw1_max, info.pw.pw3_max);
	printf("caps=%02X\nmax_cmd=%u\nmax_rsp=%u\nkdf=%u\nsig_counter=%u\n", info.caps.flags,
	    info.max_cmd, info.max_rsp, info.kdf.algo, info.sig_counter);
	for (int i = 0; i < OPGP_NKEYS; i++) {
		char k[16];

		printf("algo%d=%02X/%d\n", i + 1, info.algo[i].id, (int)info.algo[i].curve);
		snprintf(k, sizeof(k), "fpr%d", i + 1);
		print_hex(k, info.fpr[i], 20);
		printf("time%d=%u\n", i + 1, info.gen_time[i]);
	}
	printf("name=%s\nlang=%s\nurl=%s\n", info.name, info.lang, info.url);
	return 0;
}

static int cmd_verify(struct sk_card *c, const char *ref_s, const char *pin)
{
	int tries = -1, r;
	uint8_t ref = (uint8_t)strtoul(ref_s, NULL, 16);

	r = opgp_verify(c, ref, pin, strlen(pin), &tries);
	printf("tries=%d\n", tries);
	return r != 0 ? fail("verify", r) : 0;
}

static int cmd_status(struct sk_card *c, const char *ref_s)
{
	int tries = -1, r;

	if ((r = opgp_select(c)) != 0)
		return fail("select", r);
	r = opgp_verify_status(c, (uint8_t)strtoul(ref_s, NULL, 16), &tries);
	printf("tries=%d\n", tries);
	return r != 0 ? fail("status", r) : 0;
}

/* ---- keys: generation and operations checked with OpenSSL ---- */

static int check_sig(EVP_PKEY *k, const EVP_MD *md, const uint8_t *msg, size_t n,
    const uint8_t *sig, size_t sig_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, md, NULL, k) == 1 &&
	    EVP_DigestVerify(ctx, sig, sig_len, msg, n) == 1;

	EVP_MD_CTX_free(ctx);
	return ok ? 0 : SK_ERR_CRYPTO;
}

/* The fingerprint and time the card holds for a slot (GET DATA C5 / CD: no SELECT, which
 * would drop PW3). */
static int card_fpr(struct sk_card *c, enum opgp_key key, uint8_t fpr[20], uint32_t *t)
{
	uint8_t *f = NULL, *d = NULL;
	size_t fn = 0, dn = 0;
	int r;

	if ((r = opgp_get_data(c, 0xC5, &f, &fn)) != 0 || (r = opgp_get_data(c, 0xCD, &d, &dn)) != 0)
		goto out;
	if (fn < 60 || dn < 12) {
		r = SK_ERR_BAD_RESPONSE;
		goto out;
	}
	memcpy(fpr, f + 20 * key, 20);
	*t = (uint32_t)d[4 * key] << 24 | (uint32_t)d[4 * key + 1] << 16 |
	    (uint32_t)d[4 * key + 2] << 8 | d[4 * key + 3];
out:
	free(f);
	free(d);
	return r;
}

static int gen(struct sk_card *c, enum opgp_key key, enum opgp_algo algo, EVP_PKEY **k)
{
	struct opgp_pubkey pk, again;
	uint8_t fpr[20], on_card[20];
	uint32_t t = 0;
	int r;

	if ((r = opgp_set_algo_attr(c, key, algo)) != 0 ||
	    (r = opgp_generate(c, key, 1577836800u, &pk)) != 0 ||
	    (r = opgp_pubkey_to_evp(&pk, k)) != 0)
		return r;
	/* read back: same key, and the fingerprint the card now holds is ours */
	if ((r = opgp_read_pubkey(c, key, &again)) != 0)
		return r;
	if (again.point_len != pk.point_len || memcmp(again.point, pk.point, pk.point_len) != 0)
		return SK_ERR_CRYPTO;
	if ((r = opgp_fingerprint_v4(&pk, 1577836800u, fpr)) != 0 ||
	    (r = card_fpr(c, key, on_card, &t)) != 0)
		return r;
	if (memcmp(on_card, fpr, 20) != 0 || t != 1577836800u)
		return SK_ERR_CRYPTO;
	print_hex(key == OPGP_KEY_SIG ? "sig_fpr" : key == OPGP_KEY_DEC ? "dec_fpr" : "aut_fpr",
	    fpr, 20);
	return 0;
}

static int sign_p256(struct sk_card *c, EVP_PKEY *k)
{
	const uint8_t msg[] = "skinkey probe message";
	uint8_t hash[32], *rs = NULL, *der = NULL;
	size_t rs_len = 0, der_len = 0;
	unsigned int hl = 0;
	int r;

	if (EVP_Digest(msg, sizeof(msg), hash, &hl, EVP_sha256(), NULL) != 1)
		return SK_ERR_CRYPTO;
	if ((r = opgp_verify(c, OPGP_PW1_SIGN, "123456", 6, NULL)) != 0 ||
	    (r = opgp_sign(c, hash, sizeof(hash), &rs, &rs_len)) != 0)
		goto out;
	if (rs_len != 64 || (r = opgp_ecdsa_sig_to_der(rs, rs_len, &der, &der_len)) != 0) {
		r = r != 0 ? r : SK_ERR_BAD_RESPONSE;
		goto out;
	}
	r = check_sig(k, EVP_sha256(), msg, sizeof(msg), der, der_len);
out:
	free(rs);
	free(der);
	return r;
}

static int auth_ed25519(struct sk_card *c, EVP_PKEY *k)
{
	const uint8_t msg[] = "ssh session data to authenticate";
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	int r;

	if ((r = opgp_verify(c, OPGP_PW1_OTHER, "123456", 6, NULL)) != 0 ||
	    (r = opgp_internal_auth(c, msg, sizeof(msg), &sig, &sig_len)) != 0)
		goto out;
	r = sig_len == 64 ? check_sig(k, NULL, msg, sizeof(msg), sig, sig_len) :
	    SK_ERR_BAD_RESPONSE;
out:
	free(sig);
	return r;
}

/* An ephemeral key of the same type as the card's: its public part to the card, compare the
 * card's shared secret with OpenSSL's. */
static int ecdh_check(struct sk_card *c, EVP_PKEY *card_pub)
{
	EVP_PKEY *eph = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	uint8_t pub[133], mine[66], *theirs = NULL;
	size_t pub_len = sizeof(pub), mine_len = sizeof(mine), theirs_len = 0;
	int r = SK_ERR_CRYPTO;

	if ((ctx = EVP_PKEY_CTX_new(card_pub, NULL)) == NULL || EVP_PKEY_keygen_init(ctx) != 1)
		goto out;
	if (EVP_PKEY_get_id(card_pub) == EVP_PKEY_EC && EVP_PKEY_CTX_set_group_name(ctx,
	    EVP_PKEY_get_bits(card_pub) == 256 ? "prime256v1" : "secp384r1") != 1)
		goto out;
	if (EVP_PKEY_keygen(ctx, &eph) != 1)
		goto out;
	EVP_PKEY_CTX_free(ctx);
	ctx = NULL;
	if (EVP_PKEY_get_id(eph) == EVP_PKEY_X25519) {
		if (EVP_PKEY_get_raw_public_key(eph, pub, &pub_len) != 1)
			goto out;
	} else if (EVP_PKEY_get_octet_string_param(eph, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub,
	    sizeof(pub), &pub_len) != 1)
		goto out;
	if ((ctx = EVP_PKEY_CTX_new(eph, NULL)) == NULL || EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer(ctx, card_pub) != 1 || EVP_PKEY_derive(ctx, mine, &mine_len) != 1)
		goto out;
	if ((r = opgp_verify(c, OPGP_PW1_OTHER, "123456", 6, NULL)) != 0 ||
	    (r = opgp_decipher_ecdh(c, pub, pub_len, &theirs, &theirs_len)) != 0)
		goto out;
	r = theirs_len == mine_len && memcmp(theirs, mine, mine_len) == 0 ? 0 : SK_ERR_CRYPTO;
out:
	if (theirs != NULL)
		OPENSSL_cleanse(theirs, theirs_len);
	free(theirs);
	OPENSSL_cleanse(mine, sizeof(mine));
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(eph);
	return r;
}

/* keys and rsa first read the application data, which switches the card to extended length
 * APDUs (7F66); import and data stay with short APDUs, chaining and GET RESPONSE. */
static int cmd_keys(struct sk_card *c)
{
	EVP_PKEY *sig = NULL, *aut = NULL, *dec = NULL, *dec2 = NULL;
	struct opgp_info info;
	int r;

	if ((r = opgp_read_info(c, &info)) != 0)
		return fail("read_info", r);
	printf("extended=%d\n", (sk_card_caps(c) & SK_CAP_EXTENDED) != 0);
	if ((r = opgp_verify(c, OPGP_PW3, "12345678", 8, NULL)) != 0)
		return fail("verify PW3", r);
	if ((r = gen(c, OPGP_KEY_SIG, OPGP_ALGO_P256, &sig)) != 0) {
		fail("generate P-256 SIG", r);
		goto out;
	}
	if ((r = opgp_verify(c, OPGP_PW3, "12345678", 8, NULL)) != 0 ||
	    (r = gen(c, OPGP_KEY_AUT, OPGP_ALGO_ED25519, &aut)) != 0 ||
	    (r = gen(c, OPGP_KEY_DEC, OPGP_ALGO_X25519, &dec)) != 0) {
		fail("generate Ed25519 AUT / X25519 DEC", r);
		goto out;
	}
	if ((r = sign_p256(c, sig)) != 0) {
		fail("P-256 sign + OpenSSL verify", r);
		goto out;
	}
	printf("p256_sign=ok\n");
	if ((r = auth_ed25519(c, aut)) != 0) {
		fail("Ed25519 internal authenticate + OpenSSL verify", r);
		goto out;
	}
	printf("ed25519_auth=ok\n");
	if ((r = ecdh_check(c, dec)) != 0) {
		fail("X25519 ECDH", r);
		goto out;
	}
	printf("x25519_ecdh=ok\n");
	if ((r = opgp_verify(c, OPGP_PW3, "12345678", 8, NULL)) != 0 ||
	    (r = gen(c, OPGP_KEY_DEC, OPGP_ALGO_P256, &dec2)) != 0 || (r = ecdh_check(c, dec2)) != 0) {
		fail("P-256 ECDH", r);
		goto out;
	}
	printf("p256_ecdh=ok\n");
out:
	EVP_PKEY_free(sig);
	EVP_PKEY_free(aut);
	EVP_PKEY_free(dec);
	EVP_PKEY_free(dec2);
	return r != 0 ? 1 : 0;
}

/* ---- RSA-2048: on-card generation, PKCS#1 signature and decryption checked with OpenSSL ---- */

static int rsa_sign(struct sk_card *c, EVP_PKEY *k)
{
	static const uint8_t prefix[19] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
		0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
	const uint8_t msg[] = "rsa probe message";
	uint8_t di[19 + 32], *sig = NULL;
	size_t sig_len = 0;
	unsigned int hl = 0;
	int r;

	memcpy(di, prefix, sizeof(prefix));
	if (EVP_Digest(msg, sizeof(msg), di + 19, &hl, EVP_sha256(), NULL) != 1)
		return SK_ERR_CRYPTO;
	if ((r = opgp_verify(c, OPGP_PW1_SIGN, "123456", 6, NULL)) != 0 ||
	    (r = opgp_sign(c, di, sizeof(di), &sig, &sig_len)) != 0)
		goto out;
	r = sig_len == 256 ? check_sig(k, EVP_sha256(), msg, sizeof(msg), sig, sig_len) :
	    SK_ERR_BAD_RESPONSE;
out:
	free(sig);
	return r;
}

static int rsa_decrypt(struct sk_card *c, EVP_PKEY *k)
{
	uint8_t secret[32], ct[512], *pt = NULL;
	size_t ct_len = sizeof(ct), pt_len = 0;
	EVP_PKEY_CTX *ctx = NULL;
	int r = SK_ERR_CRYPTO;

	if (RAND_bytes(secret, sizeof(secret)) != 1 || (ctx = EVP_PKEY_CTX_new(k, NULL)) == NULL ||
	    EVP_PKEY_encrypt_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_encrypt(ctx, ct, &ct_len, secret, sizeof(secret)) != 1)
		goto out;
	if ((r = opgp_verify(c, OPGP_PW1_OTHER, "123456", 6, NULL)) != 0 ||
	    (r = opgp_decipher_rsa(c, ct, ct_len, &pt, &pt_len)) != 0)
		goto out;
	r = pt_len == sizeof(secret) && memcmp(pt, secret, pt_len) == 0 ? 0 : SK_ERR_CRYPTO;
out:
	if (pt != NULL)
		OPENSSL_cleanse(pt, pt_len);
	free(pt);
	EVP_PKEY_CTX_free(ctx);
	return r;
}

static int cmd_rsa(struct sk_card *c)
{
	EVP_PKEY *sig = NULL, *dec = NULL;
	struct opgp_info info;
	int r;

	if ((r = opgp_read_info(c, &info)) != 0)
		return fail("read_info", r);
	printf("extended=%d\n", (sk_card_caps(c) & SK_CAP_EXTENDED) != 0);
	if ((r = opgp_verify(c, OPGP_PW3, "12345678", 8, NULL)) != 0 ||
	    (r = gen(c, OPGP_KEY_SIG, OPGP_ALGO_RSA2048, &sig)) != 0 ||
	    (r = gen(c, OPGP_KEY_DEC, OPGP_ALGO_RSA2048, &dec)) != 0) {
		fail("RSA-2048 generation", r);
		goto out;
	}
	if ((r = rsa_sign(c, sig)) != 0) {
		fail("RSA sign + OpenSSL verify", r);
		goto out;
	}
	printf("rsa_sign=ok\n");
	if ((r = rsa_decrypt(c, dec)) != 0) {
		fail("RSA decrypt", r);
		goto out;
	}
	printf("rsa_decrypt=ok\n");
out:
	EVP_PKEY_free(sig);
	EVP_PKEY_free(dec);
	return r != 0 ? 1 : 0;
}

/* ---- import: keys made by OpenSSL, used on the card, checked against OpenSSL's public half ---- */

static int import_p256(struct sk_card *c, EVP_PKEY **k)
{
	struct opgp_privkey pk;
	BIGNUM *d = NULL;
	uint8_t scalar[32], pub[65];
	size_t pub_len = 0;
	int r = SK_ERR_CRYPTO;

	if ((*k = EVP_EC_gen("P-256")) == NULL ||
	    EVP_PKEY_get_bn_param(*k, OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1 ||
	    BN_bn2binpad(d, scalar, sizeof(scalar)) != (int)sizeof(scalar) ||
	    EVP_PKEY_get_octet_string_param(*k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub, sizeof(pub),
	    &pub_len) != 1)
		goto out;
	memset(&pk, 0, sizeof(pk));
	pk.algo_id = OPGP_ALGO_ID_ECDSA;
	pk.curve = OPGP_CURVE_P256;
	pk.scalar = scalar;
	pk.scalar_len = sizeof(scalar);
	pk.pub = pub;
	pk.pub_len = pub_len;
	if ((r = opgp_set_algo_attr(c, OPGP_KEY_SIG, OPGP_ALGO_P256)) == 0)
		r = opgp_import_key(c, OPGP_KEY_SIG, &pk);
out:
	OPENSSL_cleanse(scalar, sizeof(scalar));
	BN_clear_free(d);
	return r;
}

static int import_ed25519(struct sk_card *c, EVP_PKEY **k)
{
	struct opgp_privkey pk;
	uint8_t seed[32], pub[32];
	size_t seed_len = sizeof(seed), pub_len = sizeof(pub);
	int r = SK_ERR_CRYPTO;

	if ((*k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL ||
	    EVP_PKEY_get_raw_private_key(*k, seed, &seed_len) != 1 ||
	    EVP_PKEY_get_raw_public_key(*k, pub, &pub_len) != 1)
		goto out;
	memset(&pk, 0, sizeof(pk));
	pk.algo_id = OPGP_ALGO_ID_EDDSA;
	pk.curve = OPGP_CURVE_ED25519;
	pk.scalar = seed;
	pk.scalar_len = seed_len;
	pk.pub = pub;
	pk.pub_len = pub_len;
	if ((r = opgp_set_algo_attr(c, OPGP_KEY_AUT, OPGP_ALGO_ED25519)) == 0)
		r = opgp_import_key(c, OPGP_KEY_AUT, &pk);
out:
	OPENSSL_cleanse(seed, sizeof(seed));
	return r;
}

/* X25519: the private key as RFC 7748 / OpenSSL hold it (native byte order). */
static int import_x25519(struct sk_card *c, EVP_PKEY **k)
{
	struct opgp_privkey pk;
	uint8_t priv[32], pub[32];
	size_t priv_len = sizeof(priv), pub_len = sizeof(pub);
	int r = SK_ERR_CRYPTO;

	if ((*k = EVP_PKEY_Q_keygen(NULL, NULL, "X25519")) == NULL ||
	    EVP_PKEY_get_raw_private_key(*k, priv, &priv_len) != 1 ||
	    EVP_PKEY_get_raw_public_key(*k, pub, &pub_len) != 1)
		goto out;
	memset(&pk, 0, sizeof(pk));
	pk.algo_id = OPGP_ALGO_ID_ECDH;
	pk.curve = OPGP_CURVE_X25519;
	pk.scalar = priv;
	pk.scalar_len = priv_len;
	pk.pub = pub;
	pk.pub_len = pub_len;
	if ((r = opgp_set_algo_attr(c, OPGP_KEY_DEC, OPGP_ALGO_X25519)) == 0)
		r = opgp_import_key(c, OPGP_KEY_DEC, &pk);
out:
	OPENSSL_cleanse(priv, sizeof(priv));
	return r;
}

static int cmd_import(struct sk_card *c)
{
	EVP_PKEY *sig = NULL, *aut = NULL, *dec = NULL, *decpub = NULL;
	uint8_t pub[32];
	size_t pub_len = sizeof(pub);
	int r;

	if ((r = opgp_verify(c, OPGP_PW3, "12345678", 8, NULL)) != 0 ||
	    (r = import_p256(c, &sig)) != 0 || (r = import_ed25519(c, &aut)) != 0) {
		fail("import", r);
		goto out;
	}
	if ((r = sign_p256(c, sig)) != 0) {
		fail("imported P-256 sign", r);
		goto out;
	}
	printf("import_p256_sign=ok\n");
	if ((r = auth_ed25519(c, aut)) != 0) {
		fail("imported Ed25519 auth", r);
		goto out;
	}
	printf("import_ed25519_auth=ok\n");
	/* ECDH against the public half only (ecdh_check derives with an ephemeral key) */
	if ((r = opgp_verify(c, OPGP_PW3, "12345678", 8, NULL)) != 0 ||
	    (r = import_x25519(c, &dec)) != 0 ||
	    EVP_PKEY_get_raw_public_key(dec, pub, &pub_len) != 1 ||
	    (decpub = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub, pub_len)) == NULL ||
	    (r = ecdh_check(c, decpub)) != 0) {
		fail("imported X25519 ECDH", r != 0 ? r : SK_ERR_CRYPTO);
		r = r != 0 ? r : SK_ERR_CRYPTO;
		goto out;
	}
	printf("import_x25519_ecdh=ok\n");
out:
	EVP_PKEY_free(sig);
	EVP_PKEY_free(aut);
	EVP_PKEY_free(dec);
	EVP_PKEY_free(decpub);
	return r != 0 ? 1 : 0;
}

/* ---- certificates (SELECT DATA) and private DOs ---- */

static int cert_roundtrip(struct sk_card *c)
{
	static const enum opgp_key keys[3] = { OPGP_KEY_SIG, OPGP_KEY_DEC, OPGP_KEY_AUT };
	uint8_t cert[3][900], *back = NULL;
	size_t n = 0;
	int r = 0;

	for (int i = 0; i < 3 && r == 0; i++) {
		memset(cert[i], 0xA0 + i, sizeof(cert[i]));   /* 900 bytes: chained or extended */
		r = opgp_write_cert(c, keys[i], cert[i], sizeof(cert[i]));
	}
	for (int i = 0; i < 3 && r == 0; i++) {
		if ((r = opgp_read_cert(c, keys[i], &back, &n)) != 0)
			break;
		if (n != sizeof(cert[i]) || memcmp(back, cert[i], n) != 0)
			r = SK_ERR_CRYPTO;
		free(back);
		back = NULL;
	}
	return r;
}

static int privdo_roundtrip(struct sk_card *c)
{
	uint8_t *back = NULL;
	size_t n = 0;
	int r;

	if ((r = opgp_verify(c, OPGP_PW1_OTHER, "123456", 6, NULL)) != 0 ||
	    (r = opgp_write_private_do(c, 1, (const uint8_t *)"first", 5)) != 0 ||
	    (r = opgp_read_private_do(c, 1, &back, &n)) != 0)
		return r;
	r = n == 5 && memcmp(back, "first", 5) == 0 ? 0 : SK_ERR_CRYPTO;
	free(back);
	return r;
}

static int cmd_data(struct sk_card *c)
{
	int r;

	if ((r = opgp_verify(c, OPGP_PW3, "12345678", 8, NULL)) != 0 || (r = cert_roundtrip(c)) != 0)
		return fail("certificates", r);
	printf("certs=ok\n");
	if ((r = privdo_roundtrip(c)) != 0)
		return fail("private DO", r);
	printf("private_do=ok\n");
	return 0;
}

/* ---- PIN changes, resetting code, KDF-DO, factory reset ---- */

static int cmd_pins(struct sk_card *c)
{
	int r, tries = -1;

	if ((r = opgp_change_pin(c, OPGP_PW1_SIGN, "123456", 6, "654321", 6)) != 0)
		return fail("change PW1", r);
	if ((r = opgp_verify(c, OPGP_PW1_SIGN, "654321", 6, NULL)) != 0)
		return fail("verify new PW1", r);
	/* resetting code set with PW3, then PW1 blocked and reset with it */
	if ((r = opgp_verify(c, OPGP_PW3, "12345678", 8, NULL)) != 0 ||
	    (r = opgp_set_resetting_code(c, "abcdefgh", 8)) != 0)
		return fail("set resetting code", r);
	for (int i = 0; i < 3; i++)
		(void)opgp_verify(c, OPGP_PW1_SIGN, "000000", 6, &tries);
	r = opgp_verify(c, OPGP_PW1_SIGN, "654321", 6, &tries);
	if (r != SK_ERR_PIN_BLOCKED)
		return fail("PW1 should be blocked", r == 0 ? SK_ERR_INTERNAL : r);
	printf("blocked=ok\n");
	if ((r = opgp_reset_retry_counter(c, "abcdefgh", 8, "123456", 6)) != 0)
		return fail("reset with RC", r);
	if ((r = opgp_verify(c, OPGP_PW1_SIGN, "123456", 6, &tries)) != 0)
		return fail("verify after RC reset", r);
	printf("rc_reset=ok tries=%d\n", tries);
	/* reset by the admin: PW3 verified, then RESET RETRY COUNTER P1 02 in the same transaction */
	if ((r = sk_card_begin(c)) != 0)
		return fail("begin", r);
	if ((r = opgp_verify(c, OPGP_PW3, "12345678", 8, NULL)) == 0)
		r = opgp_reset_retry_counter(c, NULL, 0, "112233", 6);
	(void)sk_card_end(c);
	if (r != 0 || (r = opgp_change_pin(c, OPGP_PW1_SIGN, "112233", 6, "123456", 6)) != 0)
		return fail("reset with PW3", r);
	printf("pw3_reset=ok\n");
	return 0;
}

static int unhex(const char *s, uint8_t *out, size_t cap, size_t *n)
{
	size_t len = strlen(s);

	if (len % 2 != 0 || len / 2 > cap)
		return SK_ERR_ARG;
	for (size_t i = 0; i < len / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return SK_ERR_ARG;
		out[i] = (uint8_t)v;
	}
	*n = len / 2;
	return 0;
}

/* Writes a KDF-DO (hex value from the caller) with the current admin PIN. */
static int cmd_kdf_set(struct sk_card *c, const char *hex)
{
	uint8_t f9[256];
	size_t n = 0;
	int r;

	if ((r = unhex(hex, f9, sizeof(f9), &n)) != 0)
		return fail("KDF hex", r);
	if ((r = sk_card_begin(c)) != 0)
		return fail("begin", r);
	if ((r = opgp_verify(c, OPGP_PW3, "12345678", 8, NULL)) == 0)
		r = opgp_put_data(c, 0xF9, f9, n);
	(void)sk_card_end(c);
	return r != 0 ? fail("PUT DATA F9", r) : 0;
}

static int cmd_reset(struct sk_card *c)
{
	int r = opgp_factory_reset(c, "12345678", 8);

	return r != 0 ? fail("factory reset", r) : 0;
}

static int cmd_loop(struct sk_card *c, int n)
{
	struct opgp_info info;
	int tries;

	for (int i = 0; i < n; i++) {
		int r1 = opgp_read_info(c, &info);
		int r2 = opgp_verify_status(c, OPGP_PW1_SIGN, &tries);

		printf("round=%d info=%s status=%s\n", i, err_name(r1), err_name(r2));
		fflush(stdout);
	}
	return 0;
}

static int run(struct sk_card *c, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "info") == 0)
		return cmd_info(c);
	if (argc >= 3 && strcmp(argv[0], "verify") == 0)
		return cmd_verify(c, argv[1], argv[2]);
	if (argc >= 2 && strcmp(argv[0], "status") == 0)
		return cmd_status(c, argv[1]);
	if (argc >= 1 && strcmp(argv[0], "keys") == 0)
		return cmd_keys(c);
	if (argc >= 1 && strcmp(argv[0], "rsa") == 0)
		return cmd_rsa(c);
	if (argc >= 1 && strcmp(argv[0], "import") == 0)
		return cmd_import(c);
	if (argc >= 1 && strcmp(argv[0], "data") == 0)
		return cmd_data(c);
	if (argc >= 1 && strcmp(argv[0], "pins") == 0)
		return cmd_pins(c);
	if (argc >= 2 && strcmp(argv[0], "kdf-set") == 0)
		return cmd_kdf_set(c, argv[1]);
	if (argc >= 1 && strcmp(argv[0], "reset") == 0)
		return cmd_reset(c);
	if (argc >= 2 && strcmp(argv[0], "loop") == 0)
		return cmd_loop(c, atoi(argv[1]));
	fprintf(stderr, "usage: sk-opgp-probe [-r READER] info|verify REF PIN|status REF|keys|rsa|import|"
	    "data|pins|kdf-set HEX|reset|loop N\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *reader = getenv("SK_READER0");
	struct sk_pcsc *ctx = NULL;
	struct sk_card *c = NULL;
	int r, rc = 1;

	if (argc > 2 && strcmp(argv[1], "-r") == 0) {
		reader = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (getenv("SK_PROBE_DEBUG") != NULL)
		sk_log_set_level(SK_LOG_TRACE);
	if (reader == NULL)
		reader = "Virtual PCD 00 00";
	if ((r = sk_pcsc_open(&ctx)) != 0 || (r = sk_pcsc_connect(ctx, reader, &c)) != 0) {
		rc = fail("connect", r);
		goto out;
	}
	rc = run(c, argc - 1, argv + 1);
out:
	sk_card_free(&c);
	sk_pcsc_close(&ctx);
	return rc;
}
