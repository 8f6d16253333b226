/* p11_mock.c — mock backend: real OpenSSL keys behind the backend table, PIN counters that
 * behave like an OpenPGP card (a wrong PIN costs one retry, 0 blocks). */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "common/sk_err.h"
#include "p11_mock.h"

struct p11_mock_stats p11_mock;
static EVP_PKEY *keys[4];
static uint8_t *certs[4];
static size_t cert_len[4];
static uint8_t hmac_key[3][20];
static int hmac_set[3];
static int user_ok, so_ok;
static char user_pin[64] = "123456", so_pin[64] = "12345678";
static int mock_handle = 42;

static EVP_PKEY *
gen(const char *algo)
{
	if (strcmp(algo, "rsa2048") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (strcmp(algo, "nistp256") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (strcmp(algo, "nistp384") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	if (strcmp(algo, "ed25519") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (strcmp(algo, "cv25519") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	return NULL;
}

void
p11_mock_reset(void)
{
	int i;

	for (i = 0; i < 4; i++) {
		EVP_PKEY_free(keys[i]);
		keys[i] = NULL;
		free(certs[i]);
		certs[i] = NULL;
		cert_len[i] = 0;
	}
	keys[1] = gen("nistp256");
	keys[2] = gen("rsa2048");
	keys[3] = gen("ed25519");
	memset(hmac_key, 0, sizeof(hmac_key));
	memset(hmac_key[1], 0x0b, 20);
	hmac_set[1] = 1;
	hmac_set[2] = 0;
	user_ok = so_ok = 0;
	strcpy(user_pin, "123456");
	strcpy(so_pin, "12345678");
	memset(&p11_mock, 0, sizeof(p11_mock));
	p11_mock.user_retries = p11_mock.so_retries = 3;
}

void
p11_mock_forget(void)
{
	user_ok = so_ok = 0;
	p11_mock.daemon_has_pin = 0;
}

struct evp_pkey_st *
p11_mock_key(int ref)
{
	return keys[ref];
}

static int
m_open(void **h)
{
	p11_mock.opens++;
	*h = &mock_handle;
	return 0;
}

static void
m_close(void **h, int forked)
{
	p11_mock.closes++;
	*h = NULL;
}

static int
m_chips(void *h, struct p11_chip **out, size_t *n)
{
	struct p11_chip *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return SK_ERR_NOMEM;
	strcpy(c->id, "fs-000600000001");
	strcpy(c->label, "fs-000600000001");
	c->applets = P11_APP_OPENPGP | P11_APP_HMAC;
	c->present = 1;
	*out = c;
	*n = 1;
	return 0;
}

static int
dup_bn(EVP_PKEY *k, const char *name, uint8_t **out, size_t *len)
{
	BIGNUM *bn = NULL;
	int n;

	if (EVP_PKEY_get_bn_param(k, name, &bn) != 1)
		return SK_ERR_INTERNAL;
	n = BN_num_bytes(bn);
	*out = malloc((size_t)n);
	BN_bn2bin(bn, *out);
	*len = (size_t)n;
	BN_free(bn);
	return 0;
}

static int
pub_of(EVP_PKEY *k, struct p11_pubkey *out)
{
	uint8_t buf[200];
	size_t n = sizeof(buf);
	char grp[32];

	memset(out, 0, sizeof(*out));
	if (EVP_PKEY_is_a(k, "RSA")) {
		out->kty = P11_KTY_RSA;
		dup_bn(k, OSSL_PKEY_PARAM_RSA_N, &out->n, &out->n_len);
		return dup_bn(k, OSSL_PKEY_PARAM_RSA_E, &out->e, &out->e_len);
	}
	if (EVP_PKEY_is_a(k, "EC")) {
		out->kty = P11_KTY_EC;
		EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, grp, sizeof(grp), NULL);
		out->curve = strcmp(grp, "prime256v1") == 0 ? P11_CURVE_P256 : P11_CURVE_P384;
		EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof(buf), &n);
	} else {
		out->kty = EVP_PKEY_is_a(k, "ED25519") ? P11_KTY_ED25519 : P11_KTY_X25519;
		EVP_PKEY_get_raw_public_key(k, buf, &n);
	}
	out->q = malloc(n);
	memcpy(out->q, buf, n);
	out->q_len = n;
	return 0;
}

static int
m_readkey(void *h, const char *chip, int ref, struct p11_pubkey *out)
{
	if (ref < 1 || ref > 3 || keys[ref] == NULL)
		return SK_ERR_NOT_FOUND;
	return pub_of(keys[ref], out);
}

static int
m_readcert(void *h, const char *chip, int ref, uint8_t **der, size_t *len)
{
	*der = NULL;
	*len = 0;
	if (certs[ref] == NULL)
		return SK_ERR_NOT_FOUND;
	*der = malloc(cert_len[ref]);
	memcpy(*der, certs[ref], cert_len[ref]);
	*len = cert_len[ref];
	return 0;
}

static int
m_pinstatus(void *h, const char *chip, int live, struct p11_pinstatus *out)
{
	out->user_verified = user_ok || p11_mock.daemon_has_pin;
	out->so_verified = so_ok;
	out->user_retries = p11_mock.user_retries;
	out->so_retries = p11_mock.so_retries;
	return 0;
}

static int
verify(const char *pin, const char *want, int *retries, int *ok)
{
	if (*retries == 0)
		return SK_ERR_PIN_BLOCKED;
	if (strlen(pin) < 6)
		return SK_ERR_PIN_FORMAT;   /* refused locally: costs nothing */
	p11_mock.verifies++;
	if (strcmp(pin, want) != 0) {
		(*retries)--;
		*ok = 0;
		return SK_ERR_PIN_WRONG;
	}
	*retries = 3;
	*ok = 1;
	return 0;
}

static int
m_login(void *h, const char *chip, int who, const char *pin)
{
	if (pin == NULL) {
		if (who == P11_WHO_USER && (user_ok || p11_mock.daemon_has_pin))
			return 0;
		return SK_ERR_PIN_REQUIRED;
	}
	if (who == P11_WHO_SO)
		return verify(pin, so_pin, &p11_mock.so_retries, &so_ok);
	return verify(pin, user_pin, &p11_mock.user_retries, &user_ok);
}

static int
m_logout(void *h, const char *chip)
{
	user_ok = so_ok = 0;
	p11_mock.daemon_has_pin = 0;
	return 0;
}

static int
m_setpin(void *h, const char *chip, int who, const char *o, const char *n)
{
	int r, dummy;

	if (who == P11_WHO_SO) {
		if ((r = verify(o, so_pin, &p11_mock.so_retries, &dummy)) == 0)
			snprintf(so_pin, sizeof(so_pin), "%s", n);
		return r;
	}
	if ((r = verify(o, user_pin, &p11_mock.user_retries, &dummy)) == 0)
		snprintf(user_pin, sizeof(user_pin), "%s", n);
	return r;
}

static int
m_initpin(void *h, const char *chip, const char *sopin, const char *n)
{
	if (!so_ok)
		return SK_ERR_PIN_REQUIRED;
	snprintf(user_pin, sizeof(user_pin), "%s", n);
	p11_mock.user_retries = 3;
	return 0;
}

static int
card_op(const char *pin)
{
	if (p11_mock.remove_next) {
		p11_mock.remove_next = 0;
		return SK_ERR_CARD_REMOVED;
	}
	if (!user_ok && !p11_mock.daemon_has_pin && (pin == NULL || strcmp(pin, user_pin) != 0))
		return SK_ERR_PIN_REQUIRED;
	return 0;
}

/* ECDSA answers r||s like an OpenPGP card does. */
static int
ecdsa_raw(const uint8_t *der, size_t len, size_t half, uint8_t **out, size_t *outlen)
{
	const unsigned char *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM *r, *ss;

	if (s == NULL)
		return SK_ERR_CRYPTO;
	ECDSA_SIG_get0(s, &r, &ss);
	*out = malloc(2 * half);
	BN_bn2binpad(r, *out, (int)half);
	BN_bn2binpad(ss, *out + half, (int)half);
	*outlen = 2 * half;
	ECDSA_SIG_free(s);
	return 0;
}

static int
m_sign(void *h, const char *chip, int ref, const char *pin, const uint8_t *in, size_t len,
    uint8_t **sig, size_t *siglen)
{
	EVP_PKEY_CTX *c = NULL;
	EVP_MD_CTX *md = NULL;
	uint8_t buf[1024];
	size_t n = sizeof(buf);
	int r;

	if ((r = card_op(pin)) != 0)
		return r;
	if (ref == 2 || keys[ref] == NULL)
		return SK_ERR_DENIED;
	p11_mock.signs++;
	if (EVP_PKEY_is_a(keys[ref], "ED25519")) {
		md = EVP_MD_CTX_new();
		EVP_DigestSignInit(md, NULL, NULL, NULL, keys[ref]);
		r = EVP_DigestSign(md, buf, &n, in, len) == 1 ? 0 : SK_ERR_CRYPTO;
		EVP_MD_CTX_free(md);
	} else {
		c = EVP_PKEY_CTX_new(keys[ref], NULL);
		EVP_PKEY_sign_init(c);
		if (EVP_PKEY_is_a(keys[ref], "RSA"))
			EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING);
		r = EVP_PKEY_sign(c, buf, &n, in, len) == 1 ? 0 : SK_ERR_CRYPTO;
		EVP_PKEY_CTX_free(c);
		if (r == 0 && EVP_PKEY_is_a(keys[ref], "EC"))
			return ecdsa_raw(buf, n, (size_t)(EVP_PKEY_get_bits(keys[ref]) + 7) / 8, sig,
			    siglen);
	}
	if (r == 0) {
		*sig = malloc(n);
		memcpy(*sig, buf, n);
		*siglen = n;
	}
	return r;
}

static int
ecdh(EVP_PKEY *k, const uint8_t *in, size_t len, uint8_t **out, size_t *outlen)
{
	EVP_PKEY *peer = NULL;
	EVP_PKEY_CTX *c = NULL;
	uint8_t z[128];
	size_t n = sizeof(z);
	int r = SK_ERR_CRYPTO;

	if (EVP_PKEY_is_a(k, "X25519")) {
		peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, in, len);
	} else {
		peer = EVP_PKEY_new();
		EVP_PKEY_copy_parameters(peer, k);
		if (EVP_PKEY_set1_encoded_public_key(peer, in, len) != 1) {
			EVP_PKEY_free(peer);
			peer = NULL;
		}
	}
	c = EVP_PKEY_CTX_new(k, NULL);
	if (peer != NULL && EVP_PKEY_derive_init(c) == 1 && EVP_PKEY_derive_set_peer(c, peer) == 1 &&
	    EVP_PKEY_derive(c, z, &n) == 1) {
		*out = malloc(n);
		memcpy(*out, z, n);
		*outlen = n;
		r = 0;
	}
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(peer);
	return r;
}

static int
m_decrypt(void *h, const char *chip, int ref, const char *pin, const uint8_t *in, size_t len,
    uint8_t **out, size_t *outlen)
{
	EVP_PKEY_CTX *c;
	uint8_t buf[1024];
	size_t n = sizeof(buf);
	int r;

	if ((r = card_op(pin)) != 0)
		return r;
	if (ref != 2 || keys[2] == NULL)
		return SK_ERR_DENIED;
	if (!EVP_PKEY_is_a(keys[2], "RSA"))
		return ecdh(keys[2], in, len, out, outlen);
	c = EVP_PKEY_CTX_new(keys[2], NULL);
	EVP_PKEY_decrypt_init(c);
	EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING);
	r = EVP_PKEY_decrypt(c, buf, &n, in, len) == 1 ? 0 : SK_ERR_CRYPTO;
	EVP_PKEY_CTX_free(c);
	if (r == 0) {
		*out = malloc(n);
		memcpy(*out, buf, n);
		*outlen = n;
	}
	return r;
}

static int
m_genkey(void *h, const char *chip, int ref, const char *algo, const char *sopin,
    struct p11_pubkey *out)
{
	EVP_PKEY *k;

	if (!so_ok)
		return SK_ERR_PIN_REQUIRED;
	if ((k = gen(algo)) == NULL)
		return SK_ERR_UNSUPPORTED;
	EVP_PKEY_free(keys[ref]);
	keys[ref] = k;
	return pub_of(k, out);
}

static int
m_writecert(void *h, const char *chip, int ref, const char *sopin, const uint8_t *der,
    size_t len)
{
	if (!so_ok)
		return SK_ERR_PIN_REQUIRED;
	free(certs[ref]);
	certs[ref] = malloc(len);
	memcpy(certs[ref], der, len);
	cert_len[ref] = len;
	return 0;
}

static int
m_hmac_slots(void *h, const char *chip, unsigned *mask)
{
	*mask = (hmac_set[1] ? 1u : 0u) | (hmac_set[2] ? 2u : 0u);
	return 0;
}

static int
m_hmac(void *h, const char *chip, int slot, const uint8_t *chal, size_t len, uint8_t out[20])
{
	unsigned n = 20;

	if (p11_mock.remove_next) {
		p11_mock.remove_next = 0;
		return SK_ERR_CARD_REMOVED;
	}
	if (!hmac_set[slot])
		return SK_ERR_NOT_FOUND;
	HMAC(EVP_sha1(), hmac_key[slot], 20, chal, len, out, &n);
	return 0;
}

/* skinkeyd programs an empty slot only (agent/cmd_otp.c) */
static int
m_hmac_program(void *h, const char *chip, int slot, const uint8_t *key, size_t len)
{
	if (hmac_set[slot])
		return SK_ERR_EXISTS;
	p11_mock.hmac_writes++;
	memset(hmac_key[slot], 0, 20);
	memcpy(hmac_key[slot], key, len);
	hmac_set[slot] = 1;
	return 0;
}

static int
m_hmac_delete(void *h, const char *chip, int slot)
{
	p11_mock.hmac_writes++;
	memset(hmac_key[slot], 0, 20);
	hmac_set[slot] = 0;
	return 0;
}

const struct p11_backend p11_mock_backend = {
	m_open, m_close, m_chips, m_readkey, m_readcert, m_pinstatus, m_login, m_logout,
	m_setpin, m_initpin, m_sign, m_decrypt, m_genkey, m_writecert, m_hmac_slots, m_hmac,
	m_hmac_program, m_hmac_delete, &p11_mock_vault,
};
