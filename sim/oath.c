/* oath.c — the YKOATH-compatible OATH applet of the flexSecure (AID A0 00 00 05 27 21 01 01):
 * PUT, DELETE, SET CODE, RESET, RENAME, LIST, CALCULATE, VALIDATE, CALCULATE ALL, SEND REMAINING (the
 * framework answers A5 like GET RESPONSE for this applet). TOTP and HOTP, SHA-1 and SHA-256;
 * no touch sensor (a "require touch" credential still calculates on CALCULATE; CALCULATE ALL
 * lists it with tag 7C as YKOATH does). Version reported: 3.4.0, like the HMAC applet. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "sim_applet.h"

static const uint8_t oath_aid[] = { 0xA0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01, 0x01 };

#define T_NAME      0x71
#define T_NAME_LIST 0x72
#define T_KEY       0x73
#define T_CHALLENGE 0x74
#define T_RESPONSE  0x75
#define T_TRUNC     0x76
#define T_HOTP      0x77
#define T_PROPERTY  0x78
#define T_VERSION   0x79
#define T_IMF       0x7A
#define T_ALGORITHM 0x7B
#define T_TOUCH     0x7C

#define TYPE_HOTP   0x10
#define TYPE_TOTP   0x20
#define ALG_SHA1    0x01
#define ALG_SHA256  0x02
#define PROP_TOUCH  0x02

#define MAX_CREDS   32
#define NAME_MAX_   64
#define KEY_MAX     64
#define KEY_MIN     14

#define SW_OK        0x9000u
#define SW_WRONG_LEN 0x6700u
#define SW_AUTH      0x6982u
#define SW_NO_OBJ    0x6984u
#define SW_DATA      0x6A80u
#define SW_FULL      0x6A84u
#define SW_P1P2      0x6A86u
#define SW_INS       0x6D00u
#define SW_CLA       0x6E00u
#define SW_INTERNAL  0x6F00u

#define STATE_VERSION 1

struct oath_cred {
	uint8_t name[NAME_MAX_];
	uint8_t name_len;
	uint8_t type_alg;
	uint8_t digits;
	uint8_t props;
	uint8_t key[KEY_MAX];
	uint8_t key_len;
	uint64_t counter;
};

struct oath {
	uint8_t salt[8];
	uint8_t code_alg;          /* 0: no access code */
	uint8_t code[KEY_MAX];
	uint8_t code_len;
	struct oath_cred cred[MAX_CREDS];
	unsigned ncred;
	/* volatile */
	int validated;
	uint8_t challenge[8];
};

/* --- TLV reading over the command data (untrusted) ------------------------------------ */

struct tlv {
	uint8_t tag;
	const uint8_t *v;
	size_t len;
};

/* Next TLV at *off; 1-byte tags, lengths 0..7F or 81 xx. 0 ok, -1 malformed. */
static int tlv_next(const uint8_t *p, size_t n, size_t *off, struct tlv *t)
{
	size_t o = *off, len;

	if (n - o < 2)
		return -1;
	t->tag = p[o++];
	if (t->tag == T_PROPERTY) {   /* YKOATH quirk: 78 is followed by one value byte, no length */
		t->v = p + o;
		t->len = 1;
		*off = o + 1;
		return 0;
	}
	len = p[o++];
	if (len == 0x81) {
		if (n - o < 1)
			return -1;
		len = p[o++];
	} else if (len > 0x7F) {
		return -1;
	}
	if (len > n - o)
		return -1;
	t->v = p + o;
	t->len = len;
	*off = o + len;
	return 0;
}

/* Find tag in data; 1 found, 0 absent, -1 malformed. */
static int tlv_find(const uint8_t *p, size_t n, uint8_t tag, struct tlv *out)
{
	size_t off = 0;
	struct tlv t;

	while (off < n) {
		if (tlv_next(p, n, &off, &t) != 0)
			return -1;
		if (t.tag == tag) {
			*out = t;
			return 1;
		}
	}
	return 0;
}

static int put_tlv(struct sim_rbuf *r, uint8_t tag, const uint8_t *v, size_t len)
{
	if (len > 0xFF)
		return -1;
	/* real-card encodings: the 81 xx long form whatever the length (valid BER) */
	if (sim_rbuf_u8(r, tag) ||
	    ((len > 0x7F || sim_encoding() != SIM_ENC_MINIMAL) && sim_rbuf_u8(r, 0x81)) ||
	    sim_rbuf_u8(r, (uint8_t)len))
		return -1;
	return sim_rbuf_put(r, v, len);
}

/* --- lifecycle ------------------------------------------------------------------------- */

static void *oa_create(void)
{
	struct oath *o = calloc(1, sizeof(*o));

	if (o != NULL && RAND_bytes(o->salt, sizeof(o->salt)) != 1) {
		free(o);
		o = NULL;
	}
	return o;
}

static void oa_destroy(void *st)
{
	if (st == NULL)
		return;
	OPENSSL_cleanse(st, sizeof(struct oath));
	free(st);
}

static void oa_deselect(void *st)
{
	struct oath *o = st;

	o->validated = 0;
}

static const EVP_MD *md_of(uint8_t type_alg)
{
	switch (type_alg & 0x0F) {
	case ALG_SHA1: return EVP_sha1();
	case ALG_SHA256: return EVP_sha256();
	default: return NULL;
	}
}

static int mac(uint8_t alg, const uint8_t *key, size_t klen, const uint8_t *d, size_t n,
    uint8_t *out, unsigned int *outlen)
{
	const EVP_MD *md = md_of(alg);

	if (md == NULL)
		return -1;
	return HMAC(md, key, (int)klen, d, n, out, outlen) == NULL ? -1 : 0;
}

static uint16_t oa_select(void *st, struct sim_rbuf *r, struct sim_env *env)
{
	static const uint8_t version[] = { 0x03, 0x04, 0x00 };
	struct oath *o = st;

	o->validated = 0;
	if (put_tlv(r, T_VERSION, version, 3) || put_tlv(r, T_NAME, o->salt, 8))
		return SW_INTERNAL;
	if (o->code_alg != 0) {
		env->random(o->challenge, sizeof(o->challenge));
		if (put_tlv(r, T_CHALLENGE, o->challenge, 8) || put_tlv(r, T_ALGORITHM, &o->code_alg, 1))
			return SW_INTERNAL;
	}
	return SW_OK;
}

/* --- commands -------------------------------------------------------------------------- */

static long find_cred(const struct oath *o, const uint8_t *name, size_t len)
{
	unsigned i;

	for (i = 0; i < o->ncred; i++)
		if (o->cred[i].name_len == len && memcmp(o->cred[i].name, name, len) == 0)
			return (long)i;
	return -1;
}

static int valid_key_header(const struct tlv *k)
{
	uint8_t type = k->v[0] & 0xF0, digits = k->v[1];

	return (type == TYPE_HOTP || type == TYPE_TOTP) && md_of(k->v[0]) != NULL &&
	    digits >= 6 && digits <= 8 && k->len - 2 <= KEY_MAX;
}

static uint16_t cmd_put(struct oath *o, const struct sim_apdu *a, struct sim_env *env)
{
	struct tlv name, key, prop, imf;
	struct oath_cred c;
	long idx;
	int hp, hi;

	if (tlv_find(a->data, a->lc, T_NAME, &name) != 1 || tlv_find(a->data, a->lc, T_KEY, &key) != 1 ||
	    (hp = tlv_find(a->data, a->lc, T_PROPERTY, &prop)) < 0 ||
	    (hi = tlv_find(a->data, a->lc, T_IMF, &imf)) < 0)
		return SW_DATA;
	if (name.len == 0 || name.len > NAME_MAX_ || key.len < 2 || !valid_key_header(&key) ||
	    (hi && imf.len != 4))
		return SW_DATA;
	memset(&c, 0, sizeof(c));
	memcpy(c.name, name.v, name.len);
	c.name_len = (uint8_t)name.len;
	c.type_alg = key.v[0];
	c.digits = key.v[1];
	c.props = hp ? prop.v[0] : 0;
	memcpy(c.key, key.v + 2, key.len - 2);
	c.key_len = (uint8_t)(key.len - 2 < KEY_MIN ? KEY_MIN : key.len - 2);  /* zero padded */
	if (hi)
		c.counter = (uint64_t)imf.v[0] << 24 | (uint64_t)imf.v[1] << 16 | (uint64_t)imf.v[2] << 8 | imf.v[3];
	idx = find_cred(o, c.name, c.name_len);
	if (idx < 0 && o->ncred >= MAX_CREDS) {
		OPENSSL_cleanse(&c, sizeof(c));
		return SW_FULL;
	}
	if (idx < 0)
		idx = (long)o->ncred++;
	o->cred[idx] = c;
	OPENSSL_cleanse(&c, sizeof(c));
	env->dirty = 1;
	return SW_OK;
}

static uint16_t cmd_delete(struct oath *o, const struct sim_apdu *a, struct sim_env *env)
{
	struct tlv name;
	long idx;

	if (tlv_find(a->data, a->lc, T_NAME, &name) != 1)
		return SW_DATA;
	if ((idx = find_cred(o, name.v, name.len)) < 0)
		return SW_NO_OBJ;
	memmove(&o->cred[idx], &o->cred[idx + 1], (o->ncred - (size_t)idx - 1) * sizeof(o->cred[0]));
	o->ncred--;
	OPENSSL_cleanse(&o->cred[o->ncred], sizeof(o->cred[0]));
	env->dirty = 1;
	return SW_OK;
}

/* RENAME (YKOATH 5.3): 71 old name, 71 new name; the new name must be free. */
static uint16_t cmd_rename(struct oath *o, const struct sim_apdu *a, struct sim_env *env)
{
	struct tlv from, to;
	size_t off = 0;
	long idx;

	if (tlv_next(a->data, a->lc, &off, &from) != 0 || from.tag != T_NAME ||
	    tlv_next(a->data, a->lc, &off, &to) != 0 || to.tag != T_NAME || off != a->lc ||
	    to.len == 0 || to.len > NAME_MAX_)
		return SW_DATA;
	if ((idx = find_cred(o, from.v, from.len)) < 0)
		return SW_NO_OBJ;
	if (find_cred(o, to.v, to.len) >= 0)
		return SW_DATA;
	memset(o->cred[idx].name, 0, sizeof(o->cred[idx].name));
	memcpy(o->cred[idx].name, to.v, to.len);
	o->cred[idx].name_len = (uint8_t)to.len;
	env->dirty = 1;
	return SW_OK;
}

static uint16_t cmd_set_code(struct oath *o, const struct sim_apdu *a, struct sim_env *env)
{
	struct tlv key, chal, resp;
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned int hl = 0;

	if (tlv_find(a->data, a->lc, T_KEY, &key) != 1)
		return SW_DATA;
	if (key.len == 0) {                       /* remove the access code */
		o->code_alg = 0;
		o->code_len = 0;
		OPENSSL_cleanse(o->code, sizeof(o->code));
		env->dirty = 1;
		return SW_OK;
	}
	if (key.len < 2 || key.len - 1 > KEY_MAX || md_of(key.v[0]) == NULL ||
	    tlv_find(a->data, a->lc, T_CHALLENGE, &chal) != 1 ||
	    tlv_find(a->data, a->lc, T_RESPONSE, &resp) != 1)
		return SW_DATA;
	/* the host proves it holds the key it sets */
	if (mac(key.v[0], key.v + 1, key.len - 1, chal.v, chal.len, h, &hl) != 0 || resp.len != hl ||
	    CRYPTO_memcmp(h, resp.v, hl) != 0)
		return SW_DATA;
	o->code_alg = key.v[0] & 0x0F;
	o->code_len = (uint8_t)(key.len - 1);
	memcpy(o->code, key.v + 1, key.len - 1);
	o->validated = 1;
	env->dirty = 1;
	return SW_OK;
}

static uint16_t cmd_reset(struct oath *o, const struct sim_apdu *a, struct sim_env *env)
{
	if (a->p1 != 0xDE || a->p2 != 0xAD)
		return SW_P1P2;
	OPENSSL_cleanse(o, sizeof(*o));
	env->random(o->salt, sizeof(o->salt));
	env->dirty = 1;
	return SW_OK;
}

static uint16_t cmd_list(const struct oath *o, struct sim_rbuf *r)
{
	unsigned i;

	for (i = 0; i < o->ncred; i++) {
		const struct oath_cred *c = &o->cred[i];

		if (sim_rbuf_u8(r, T_NAME_LIST) || sim_rbuf_u8(r, (uint8_t)(c->name_len + 1)) ||
		    sim_rbuf_u8(r, c->type_alg) || sim_rbuf_put(r, c->name, c->name_len))
			return SW_INTERNAL;
	}
	return SW_OK;
}

/* One code: 76 (digits + 31-bit dynamic truncation) or 75 (digits + full HMAC). */
static int put_code(struct oath_cred *c, const uint8_t *chal, size_t clen, int truncated,
    struct sim_rbuf *r, struct sim_env *env)
{
	uint8_t h[EVP_MAX_MD_SIZE], out[1 + EVP_MAX_MD_SIZE], ctr[8];
	unsigned int hl = 0, off;
	int i, rc = -1;

	if ((c->type_alg & 0xF0) == TYPE_HOTP) {
		for (i = 0; i < 8; i++)
			ctr[i] = (uint8_t)(c->counter >> (56 - 8 * i));
		chal = ctr;
		clen = 8;
		c->counter++;
		env->dirty = 1;
	}
	if (mac(c->type_alg, c->key, c->key_len, chal, clen, h, &hl) != 0)
		goto out;
	out[0] = c->digits;
	if (truncated) {
		off = h[hl - 1] & 0x0F;
		memcpy(out + 1, h + off, 4);
		out[1] &= 0x7F;
		rc = put_tlv(r, T_TRUNC, out, 5);
	} else {
		memcpy(out + 1, h, hl);
		rc = put_tlv(r, T_RESPONSE, out, 1 + hl);
	}
out:
	OPENSSL_cleanse(h, sizeof(h));
	OPENSSL_cleanse(out, sizeof(out));
	return rc;
}

static uint16_t cmd_calculate(struct oath *o, const struct sim_apdu *a, struct sim_rbuf *r,
    struct sim_env *env)
{
	struct tlv name, chal;
	long idx;
	int hc;

	if (tlv_find(a->data, a->lc, T_NAME, &name) != 1 ||
	    (hc = tlv_find(a->data, a->lc, T_CHALLENGE, &chal)) < 0)
		return SW_DATA;
	if ((idx = find_cred(o, name.v, name.len)) < 0)
		return SW_NO_OBJ;
	if (!hc) {
		chal.v = NULL;
		chal.len = 0;
	}
	return put_code(&o->cred[idx], chal.v, chal.len, a->p2 == 0x01, r, env) == 0 ? SW_OK : SW_INTERNAL;
}

static uint16_t cmd_calculate_all(struct oath *o, const struct sim_apdu *a, struct sim_rbuf *r,
    struct sim_env *env)
{
	struct tlv chal;
	unsigned i;

	if (tlv_find(a->data, a->lc, T_CHALLENGE, &chal) != 1)
		return SW_DATA;
	for (i = 0; i < o->ncred; i++) {
		struct oath_cred *c = &o->cred[i];
		int rc;

		if (put_tlv(r, T_NAME, c->name, c->name_len) != 0)
			return SW_INTERNAL;
		if ((c->type_alg & 0xF0) == TYPE_HOTP)
			rc = put_tlv(r, T_HOTP, &c->digits, 1);   /* HOTP: calculated only on demand */
		else if (c->props & PROP_TOUCH)
			rc = put_tlv(r, T_TOUCH, &c->digits, 1);
		else
			rc = put_code(c, chal.v, chal.len, a->p2 == 0x01, r, env);
		if (rc != 0)
			return SW_INTERNAL;
	}
	return SW_OK;
}

static uint16_t cmd_validate(struct oath *o, const struct sim_apdu *a, struct sim_rbuf *r)
{
	struct tlv resp, chal;
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned int hl = 0;
	uint16_t sw = SW_DATA;

	o->validated = 0;
	if (o->code_alg == 0)
		return SW_NO_OBJ;
	if (tlv_find(a->data, a->lc, T_RESPONSE, &resp) != 1 ||
	    tlv_find(a->data, a->lc, T_CHALLENGE, &chal) != 1)
		return SW_DATA;
	if (mac(o->code_alg, o->code, o->code_len, o->challenge, sizeof(o->challenge), h, &hl) != 0 ||
	    resp.len != hl || CRYPTO_memcmp(h, resp.v, hl) != 0)
		goto out;
	if (mac(o->code_alg, o->code, o->code_len, chal.v, chal.len, h, &hl) != 0 ||
	    put_tlv(r, T_RESPONSE, h, hl) != 0) {
		sw = SW_INTERNAL;
		goto out;
	}
	o->validated = 1;
	sw = SW_OK;
out:
	OPENSSL_cleanse(h, sizeof(h));
	return sw;
}

static uint16_t oa_process(void *st, const struct sim_apdu *a, struct sim_rbuf *r,
    struct sim_env *env)
{
	struct oath *o = st;

	if (a->cla != 0x00)
		return SW_CLA;
	if (o->code_alg != 0 && !o->validated && a->ins != 0xA3 && a->ins != 0x04)
		return SW_AUTH;
	switch (a->ins) {
	case 0x01: return cmd_put(o, a, env);
	case 0x02: return cmd_delete(o, a, env);
	case 0x03: return cmd_set_code(o, a, env);
	case 0x04: return cmd_reset(o, a, env);
	case 0x05: return cmd_rename(o, a, env);
	case 0xA1: return cmd_list(o, r);
	case 0xA2: return cmd_calculate(o, a, r, env);
	case 0xA3: return cmd_validate(o, a, r);
	case 0xA4: return cmd_calculate_all(o, a, r, env);
	default: return SW_INS;
	}
}

/* --- persistence: salt, access code, credentials --------------------------------------- */

#define CRED_BLOB (1 + NAME_MAX_ + 3 + 1 + KEY_MAX + 8)

static void put_cred(uint8_t *p, const struct oath_cred *c)
{
	int i;

	p[0] = c->name_len;
	memcpy(p + 1, c->name, NAME_MAX_);
	p[1 + NAME_MAX_] = c->type_alg;
	p[2 + NAME_MAX_] = c->digits;
	p[3 + NAME_MAX_] = c->props;
	p[4 + NAME_MAX_] = c->key_len;
	memcpy(p + 5 + NAME_MAX_, c->key, KEY_MAX);
	for (i = 0; i < 8; i++)
		p[5 + NAME_MAX_ + KEY_MAX + i] = (uint8_t)(c->counter >> (56 - 8 * i));
}

static int get_cred(const uint8_t *p, struct oath_cred *c)
{
	int i;

	memset(c, 0, sizeof(*c));
	if (p[0] == 0 || p[0] > NAME_MAX_ || p[4 + NAME_MAX_] > KEY_MAX ||
	    p[4 + NAME_MAX_] < KEY_MIN || md_of(p[1 + NAME_MAX_]) == NULL)
		return -1;
	c->name_len = p[0];
	memcpy(c->name, p + 1, NAME_MAX_);
	c->type_alg = p[1 + NAME_MAX_];
	c->digits = p[2 + NAME_MAX_];
	c->props = p[3 + NAME_MAX_];
	c->key_len = p[4 + NAME_MAX_];
	memcpy(c->key, p + 5 + NAME_MAX_, KEY_MAX);
	for (i = 0; i < 8; i++)
		c->counter = c->counter << 8 | p[5 + NAME_MAX_ + KEY_MAX + i];
	return 0;
}

static int oa_save(void *st, struct sim_rbuf *out)
{
	const struct oath *o = st;
	uint8_t hdr[1 + 8 + 1 + 1 + KEY_MAX + 1], cb[CRED_BLOB];
	unsigned i;
	int r = -1;

	hdr[0] = STATE_VERSION;
	memcpy(hdr + 1, o->salt, 8);
	hdr[9] = o->code_alg;
	hdr[10] = o->code_len;
	memcpy(hdr + 11, o->code, KEY_MAX);
	hdr[11 + KEY_MAX] = (uint8_t)o->ncred;
	if (sim_rbuf_put(out, hdr, sizeof(hdr)) != 0)
		goto out;
	for (i = 0; i < o->ncred; i++) {
		put_cred(cb, &o->cred[i]);
		if (sim_rbuf_put(out, cb, sizeof(cb)) != 0)
			goto out;
	}
	r = 0;
out:
	OPENSSL_cleanse(hdr, sizeof(hdr));
	OPENSSL_cleanse(cb, sizeof(cb));
	return r;
}

static int oa_load(void *st, const uint8_t *p, size_t n)
{
	struct oath *o = st, *t = NULL;
	const size_t hl = 1 + 8 + 1 + 1 + KEY_MAX + 1;
	unsigned i;
	int r = -1;

	if (n < hl || p[0] != STATE_VERSION || p[10] > KEY_MAX || p[11 + KEY_MAX] > MAX_CREDS ||
	    n - hl != (size_t)p[11 + KEY_MAX] * CRED_BLOB || (p[9] != 0 && md_of(p[9]) == NULL))
		return -1;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	memcpy(t->salt, p + 1, 8);
	t->code_alg = p[9];
	t->code_len = p[10];
	memcpy(t->code, p + 11, KEY_MAX);
	t->ncred = p[11 + KEY_MAX];
	for (i = 0; i < t->ncred; i++)
		if (get_cred(p + hl + i * CRED_BLOB, &t->cred[i]) != 0)
			goto out;
	*o = *t;
	r = 0;
out:
	OPENSSL_cleanse(t, sizeof(*t));
	free(t);
	return r;
}

const struct sim_applet_ops sim_oath_applet = {
	.name = "oath",
	.aid = oath_aid,
	.aid_len = sizeof(oath_aid),
	.flags = SIM_APPLET_SEND_REMAINING,
	.create = oa_create,
	.destroy = oa_destroy,
	.select = oa_select,
	.deselect = oa_deselect,
	.process = oa_process,
	.save = oa_save,
	.load = oa_load,
};
