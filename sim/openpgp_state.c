/* openpgp_state.c — factory state of the OpenPGP applet and its persistent "EEPROM" image.
 * Image: records of tag(2, BE) len(2, BE) value; DO tags for DOs, 0xFFxx for card internals. */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "openpgp_int.h"

#define REC_SERIAL   0xFF01u
#define REC_PIN      0xFF10u  /* + pw index: tries(1) || PIN */
#define REC_PW1MULTI 0xFF20u
#define REC_ORIGIN   0xFF30u
#define REC_KEY      0xFF40u  /* + key ref: private key DER */
#define REC_CERT     0xFF50u  /* + key ref */
#define REC_TERM     0xFF60u
#define REC_SIGCOUNT 0x0093u

static const uint8_t default_pw1[] = "123456";
static const uint8_t default_pw3[] = "12345678";

void
opgp_default_algo(uint8_t *a, size_t *len)
{
	/* RSA-2048, 32-bit public exponent, standard (e, p, q) import format */
	static const uint8_t rsa2048[] = { 0x01, 0x08, 0x00, 0x00, 0x20, 0x00 };

	memcpy(a, rsa2048, sizeof(rsa2048));
	*len = sizeof(rsa2048);
}

void
opgp_pin_set(struct opgp_pin *p, const uint8_t *v, size_t len)
{
	OPENSSL_cleanse(p->v, sizeof(p->v));
	if (len > sizeof(p->v))
		len = sizeof(p->v);
	if (len > 0)
		memcpy(p->v, v, len);
	p->len = len;
	p->tries = len > 0 ? OPGP_TRIES : 0;
}

void
opgp_state_wipe(struct opgp_state *s)
{
	int i;

	for (i = 0; i < OPGP_NKEYS; i++) {
		EVP_PKEY_free(s->key[i]);
		opgp_blob_clear(&s->cert[i]);
	}
	for (i = 0; i < 4; i++)
		opgp_blob_clear(&s->priv[i]);
	opgp_blob_clear(&s->name);
	opgp_blob_clear(&s->lang);
	opgp_blob_clear(&s->sex);
	opgp_blob_clear(&s->login);
	opgp_blob_clear(&s->url);
	opgp_blob_clear(&s->kdf);
	OPENSSL_cleanse(s, sizeof(*s));
}

/* Everything but the serial number goes back to what the factory shipped. */
void
opgp_state_factory(struct opgp_state *s, struct sim_env *env)
{
	static const uint8_t kdf_none[] = { 0x81, 0x01, 0x00 };
	uint8_t serial[4];
	int i;

	(void)env;
	memcpy(serial, s->serial, sizeof(serial));
	opgp_state_wipe(s);
	memcpy(s->serial, serial, sizeof(serial));
	opgp_pin_set(&s->pw[OPGP_PW1], default_pw1, sizeof(default_pw1) - 1);
	opgp_pin_set(&s->pw[OPGP_PW3], default_pw3, sizeof(default_pw3) - 1);
	opgp_pin_set(&s->pw[OPGP_RC], NULL, 0);
	for (i = 0; i < OPGP_NKEYS; i++)
		opgp_default_algo(s->algo[i], &s->algo_len[i]);
	(void)opgp_blob_set(&s->kdf, kdf_none, sizeof(kdf_none));
	(void)opgp_blob_set(&s->sex, (const uint8_t *)"9", 1);
}

static int
rec(struct sim_rbuf *out, unsigned tag, const void *v, size_t len)
{
	uint8_t h[4];

	if (len > 0xFFFFu)
		return -1;
	h[0] = (uint8_t)(tag >> 8);
	h[1] = (uint8_t)tag;
	h[2] = (uint8_t)(len >> 8);
	h[3] = (uint8_t)len;
	if (sim_rbuf_put(out, h, sizeof(h)) != 0)
		return -1;
	return len == 0 ? 0 : sim_rbuf_put(out, v, len);
}

static int
save_pins(const struct opgp_state *s, struct sim_rbuf *out)
{
	uint8_t b[1 + OPGP_PIN_MAX];
	unsigned i;
	int r = 0;

	for (i = 0; i < OPGP_NPW && r == 0; i++) {
		b[0] = s->pw[i].tries;
		memcpy(b + 1, s->pw[i].v, s->pw[i].len);
		r = rec(out, REC_PIN + i, b, 1 + s->pw[i].len);
	}
	OPENSSL_cleanse(b, sizeof(b));
	return r;
}

static int
save_key(EVP_PKEY *k, unsigned i, struct sim_rbuf *out)
{
	unsigned char *der = NULL;
	int n, r;

	if (k == NULL)
		return 0;
	n = i2d_PrivateKey(k, &der);
	if (n <= 0)
		return -1;
	r = rec(out, REC_KEY + i, der, (size_t)n);
	OPENSSL_clear_free(der, (size_t)n);
	return r;
}

static int
save_keys(const struct opgp_state *s, struct sim_rbuf *out)
{
	unsigned i;
	int r = 0;

	for (i = 0; i < OPGP_NKEYS && r == 0; i++) {
		r = rec(out, 0xC1u + i, s->algo[i], s->algo_len[i]);
		r = r != 0 ? r : rec(out, 0xC7u + i, s->fpr[i], 20);
		r = r != 0 ? r : rec(out, 0xCAu + i, s->cafpr[i], 20);
		r = r != 0 ? r : rec(out, 0xCEu + i, s->gentime[i], 4);
		r = r != 0 ? r : rec(out, REC_CERT + i, s->cert[i].p, s->cert[i].len);
		r = r != 0 ? r : save_key(s->key[i], i, out);
	}
	return r;
}

static int
save_dos(const struct opgp_state *s, struct sim_rbuf *out)
{
	uint8_t cnt[4] = { (uint8_t)(s->sig_count >> 24), (uint8_t)(s->sig_count >> 16),
		(uint8_t)(s->sig_count >> 8), (uint8_t)s->sig_count };
	uint8_t term = (uint8_t)s->terminated;
	unsigned i;
	int r;

	r = rec(out, 0x5Bu, s->name.p, s->name.len);
	r = r != 0 ? r : rec(out, 0x5F2Du, s->lang.p, s->lang.len);
	r = r != 0 ? r : rec(out, 0x5F35u, s->sex.p, s->sex.len);
	r = r != 0 ? r : rec(out, 0x5Eu, s->login.p, s->login.len);
	r = r != 0 ? r : rec(out, 0x5F50u, s->url.p, s->url.len);
	r = r != 0 ? r : rec(out, 0xF9u, s->kdf.p, s->kdf.len);
	for (i = 0; i < 4 && r == 0; i++)
		r = rec(out, 0x0101u + i, s->priv[i].p, s->priv[i].len);
	r = r != 0 ? r : rec(out, REC_SIGCOUNT, cnt, sizeof(cnt));
	r = r != 0 ? r : rec(out, REC_ORIGIN, s->key_origin, sizeof(s->key_origin));
	r = r != 0 ? r : rec(out, REC_PW1MULTI, &s->pw1_multi, 1);
	r = r != 0 ? r : rec(out, REC_TERM, &term, 1);
	return r;
}

int
opgp_state_save(const struct opgp_state *s, struct sim_rbuf *out)
{
	if (rec(out, REC_SERIAL, s->serial, sizeof(s->serial)) != 0)
		return -1;
	if (save_pins(s, out) != 0 || save_keys(s, out) != 0 || save_dos(s, out) != 0)
		return -1;
	return 0;
}

static int
load_fixed(uint8_t *dst, size_t dlen, const uint8_t *v, size_t n)
{
	if (n != dlen)
		return -1;
	memcpy(dst, v, n);
	return 0;
}

static int
load_key(struct opgp_state *s, unsigned i, const uint8_t *v, size_t n)
{
	const unsigned char *q = v;
	EVP_PKEY *k;

	if (n > 0x7FFFFFFFu)
		return -1;
	k = d2i_AutoPrivateKey(NULL, &q, (long)n);
	if (k == NULL || q != v + n) {
		EVP_PKEY_free(k);
		return -1;
	}
	EVP_PKEY_free(s->key[i]);
	s->key[i] = k;
	return 0;
}

static struct opgp_blob *
blob_for(struct opgp_state *s, unsigned tag)
{
	switch (tag) {
	case 0x5Bu: return &s->name;
	case 0x5F2Du: return &s->lang;
	case 0x5F35u: return &s->sex;
	case 0x5Eu: return &s->login;
	case 0x5F50u: return &s->url;
	case 0xF9u: return &s->kdf;
	case 0x0101u: case 0x0102u: case 0x0103u: case 0x0104u: return &s->priv[tag - 0x0101u];
	case REC_CERT: case REC_CERT + 1: case REC_CERT + 2: return &s->cert[tag - REC_CERT];
	default: return NULL;
	}
}

static int
load_pin(struct opgp_pin *p, const uint8_t *v, size_t n)
{
	if (n < 1 || n - 1 > OPGP_PIN_MAX || v[0] > OPGP_TRIES)
		return -1;
	opgp_pin_set(p, v + 1, n - 1);
	p->tries = v[0];
	return 0;
}

static int
load_rec(struct opgp_state *s, unsigned tag, const uint8_t *v, size_t n)
{
	struct opgp_blob *b = blob_for(s, tag);

	if (b != NULL)
		return opgp_blob_set(b, v, n);
	if (tag >= REC_PIN && tag < REC_PIN + OPGP_NPW)
		return load_pin(&s->pw[tag - REC_PIN], v, n);
	if (tag >= REC_KEY && tag < REC_KEY + OPGP_NKEYS)
		return load_key(s, tag - REC_KEY, v, n);
	if (tag >= 0xC1u && tag <= 0xC3u) {
		if (n == 0 || n > OPGP_ALGO_MAX)
			return -1;
		s->algo_len[tag - 0xC1u] = n;
		return load_fixed(s->algo[tag - 0xC1u], n, v, n);
	}
	if (tag >= 0xC7u && tag <= 0xC9u)
		return load_fixed(s->fpr[tag - 0xC7u], 20, v, n);
	if (tag >= 0xCAu && tag <= 0xCCu)
		return load_fixed(s->cafpr[tag - 0xCAu], 20, v, n);
	if (tag >= 0xCEu && tag <= 0xD0u)
		return load_fixed(s->gentime[tag - 0xCEu], 4, v, n);
	switch (tag) {
	case REC_SERIAL: return load_fixed(s->serial, 4, v, n);
	case REC_ORIGIN: return load_fixed(s->key_origin, 3, v, n);
	case REC_PW1MULTI: return load_fixed(&s->pw1_multi, 1, v, n);
	case REC_TERM:
		if (n != 1)
			return -1;
		s->terminated = v[0] != 0;
		return 0;
	case REC_SIGCOUNT:
		if (n != 4)
			return -1;
		s->sig_count = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
		return 0;
	default:
		return 0;  /* unknown records from a newer simulator are ignored */
	}
}

int
opgp_state_load(struct opgp_state *s, const uint8_t *p, size_t n)
{
	size_t off = 0, len;
	unsigned tag;

	opgp_state_factory(s, NULL);
	while (off < n) {
		if (n - off < 4)
			return -1;
		tag = (unsigned)p[off] << 8 | p[off + 1];
		len = (size_t)p[off + 2] << 8 | p[off + 3];
		off += 4;
		if (len > n - off)
			return -1;
		if (load_rec(s, tag, p + off, len) != 0)
			return -1;
		off += len;
	}
	return 0;
}
