/* ykhmac.c — the flexsecure-ykhmac applet: YubiKey-OTP-compatible HMAC-SHA1 challenge-response
 * over ISO 7816 (APPLETS.md). Two slots; programming takes the YubiKey config structure; no
 * touch, no Yubico OTP / static modes (the real applet only does challenge-response). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "sim_applet.h"

static const uint8_t ykhmac_aid[] = { 0xA0, 0x00, 0x00, 0x05, 0x27, 0x20, 0x01, 0x01 };

#define YK_VER_MAJOR 3
#define YK_VER_MINOR 4
#define YK_VER_BUILD 0

#define YK_CHAL_MAX    64
#define YK_KEY_LEN     20
#define YK_ACC_LEN     6
/* YubiKey config structure: fixed 16, uid 6, key 16, accCode 6, fixedSize, extFlags,
 * tktFlags, cfgFlags, rfu 2, crc 2 (little endian, ~CRC-16/X.25 of the first 50 bytes). */
#define YK_CFG_LEN     52
#define YK_OFF_UID     16
#define YK_OFF_KEY     22
#define YK_OFF_ACC     38
#define YK_OFF_EXT     45
#define YK_OFF_TKT     46
#define YK_OFF_CFG     47
#define YK_CRC_RESIDUAL 0xF0B8u

#define YK_TKT_CHAL_RESP  0x40
#define YK_CFG_CHAL_HMAC  0x22  /* CHAL_HMAC includes the CHAL_RESP bit 0x20 of cfgFlags */
#define YK_CFG_HMAC_LT64  0x04

#define SW_OK         0x9000u
#define SW_WRONG_LEN  0x6700u
#define SW_SEC        0x6982u
#define SW_WRONG_DATA 0x6A80u
#define SW_P1P2       0x6A86u
#define SW_INS        0x6D00u
#define SW_CLA        0x6E00u
#define SW_INTERNAL   0x6F00u

#define STATE_VERSION 1
#define SLOT_BLOB     (1 + YK_KEY_LEN + YK_ACC_LEN + 3)
#define STATE_BLOB    (1 + 4 + 1 + 2 * SLOT_BLOB)

struct yk_slot {
	uint8_t valid;
	uint8_t key[YK_KEY_LEN];
	uint8_t acc[YK_ACC_LEN];
	uint8_t ext, tkt, cfg;
};

struct ykhmac {
	uint32_t serial;
	uint8_t seq;
	struct yk_slot slot[2];
};

static void *yk_create(void)
{
	struct ykhmac *y = calloc(1, sizeof(*y));
	uint8_t b[4];

	if (y == NULL)
		return NULL;
	/* the sim's own serial: 8 decimal digits like a YubiKey's, fixed for the card's life */
	if (RAND_bytes(b, (int)sizeof(b)) != 1) {
		free(y);
		return NULL;
	}
	y->serial = 10000000u + ((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3]) % 89999999u;
	return y;
}

static void yk_destroy(void *st)
{
	if (st == NULL)
		return;
	OPENSSL_cleanse(st, sizeof(struct ykhmac));
	free(st);
}

static void yk_deselect(void *st)
{
	(void)st;  /* no volatile state: no PIN, no session */
}

static uint16_t touch_level(const struct ykhmac *y)
{
	return (uint16_t)((y->slot[0].valid ? 0x01 : 0) | (y->slot[1].valid ? 0x02 : 0));
}

/* version(3) + programming sequence + touch level (LE) + 02 0F 00 00 */
static uint16_t put_status(const struct ykhmac *y, struct sim_rbuf *r)
{
	uint16_t t = touch_level(y);
	uint8_t b[10] = { YK_VER_MAJOR, YK_VER_MINOR, YK_VER_BUILD, y->seq,
		(uint8_t)(t & 0xFF), (uint8_t)(t >> 8), 0x02, 0x0F, 0x00, 0x00 };

	return sim_rbuf_put(r, b, sizeof(b)) == 0 ? SW_OK : SW_INTERNAL;
}

static uint16_t yk_select(void *st, struct sim_rbuf *r, struct sim_env *env)
{
	(void)env;
	return put_status(st, r);
}

static uint16_t crc16_x25(const uint8_t *p, size_t n)
{
	uint16_t crc = 0xFFFF;
	size_t i;
	int b;

	for (i = 0; i < n; i++) {
		crc ^= p[i];
		for (b = 0; b < 8; b++)
			crc = (uint16_t)((crc & 1) ? (crc >> 1) ^ 0x8408 : crc >> 1);
	}
	return crc;
}

static int all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* A slot with an access code only accepts a new configuration that carries it. */
static int access_ok(const struct yk_slot *s, const uint8_t *data, size_t lc)
{
	if (all_zero(s->acc, YK_ACC_LEN) || !s->valid)
		return 1;
	if (lc < YK_CFG_LEN + YK_ACC_LEN)
		return 0;
	return CRYPTO_memcmp(s->acc, data + YK_CFG_LEN, YK_ACC_LEN) == 0;
}

static uint16_t program_slot(struct ykhmac *y, int idx, const struct sim_apdu *a,
    struct sim_rbuf *r, struct sim_env *env)
{
	const uint8_t *c = a->data;
	struct yk_slot *s = &y->slot[idx];

	if (a->lc != YK_CFG_LEN && a->lc != YK_CFG_LEN + YK_ACC_LEN)
		return SW_WRONG_LEN;
	if (!access_ok(s, c, a->lc))
		return SW_SEC;
	if (all_zero(c, YK_CFG_LEN)) {          /* an all-zero configuration deletes the slot */
		OPENSSL_cleanse(s, sizeof(*s));
	} else {
		if (crc16_x25(c, YK_CFG_LEN) != YK_CRC_RESIDUAL)
			return SW_WRONG_DATA;
		if (!(c[YK_OFF_TKT] & YK_TKT_CHAL_RESP) ||
		    (c[YK_OFF_CFG] & YK_CFG_CHAL_HMAC) != YK_CFG_CHAL_HMAC)
			return SW_WRONG_DATA;   /* only HMAC-SHA1 challenge-response exists here */
		memcpy(s->key, c + YK_OFF_KEY, 16);
		memcpy(s->key + 16, c + YK_OFF_UID, 4);
		memcpy(s->acc, c + YK_OFF_ACC, YK_ACC_LEN);
		s->ext = c[YK_OFF_EXT];
		s->tkt = c[YK_OFF_TKT];
		s->cfg = c[YK_OFF_CFG];
		s->valid = 1;
	}
	y->seq = touch_level(y) ? (uint8_t)(y->seq + 1) : 0;
	if (y->seq == 0 && touch_level(y))
		y->seq = 1;
	env->dirty = 1;
	return put_status(y, r);
}

static uint16_t hmac_slot(struct ykhmac *y, int idx, const struct sim_apdu *a, struct sim_rbuf *r)
{
	const struct yk_slot *s = &y->slot[idx];
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t n = a->lc;

	if (n > YK_CHAL_MAX)
		return SW_WRONG_LEN;
	if (!s->valid)
		return SW_OK;              /* unprogrammed slot: a bare 9000 */
	/* HMAC_LT64: a full 64-byte challenge is padded; strip the trailing run of its last byte */
	if ((s->cfg & YK_CFG_HMAC_LT64) && n == YK_CHAL_MAX) {
		uint8_t last = a->data[n - 1];

		while (n > 0 && a->data[n - 1] == last)
			n--;
	}
	if (HMAC(EVP_sha1(), s->key, YK_KEY_LEN, a->data, n, mac, &maclen) == NULL || maclen != 20)
		return SW_INTERNAL;
	if (sim_rbuf_put(r, mac, maclen) != 0) {
		OPENSSL_cleanse(mac, sizeof(mac));
		return SW_INTERNAL;
	}
	OPENSSL_cleanse(mac, sizeof(mac));
	return SW_OK;
}

static uint16_t put_serial(const struct ykhmac *y, struct sim_rbuf *r)
{
	uint8_t b[4] = { (uint8_t)(y->serial >> 24), (uint8_t)(y->serial >> 16),
		(uint8_t)(y->serial >> 8), (uint8_t)y->serial };

	return sim_rbuf_put(r, b, sizeof(b)) == 0 ? SW_OK : SW_INTERNAL;
}

static uint16_t yk_process(void *st, const struct sim_apdu *a, struct sim_rbuf *r,
    struct sim_env *env)
{
	struct ykhmac *y = st;

	if (a->cla != 0x00)
		return SW_CLA;
	if (a->ins == 0x03)
		return put_status(y, r);
	if (a->ins != 0x01)
		return SW_INS;
	switch (a->p1) {
	case 0x01: return program_slot(y, 0, a, r, env);
	case 0x03: return program_slot(y, 1, a, r, env);
	case 0x10: return put_serial(y, r);
	case 0x30: return hmac_slot(y, 0, a, r);
	case 0x38: return hmac_slot(y, 1, a, r);
	default: return SW_P1P2;
	}
}

static int yk_save(void *st, struct sim_rbuf *out)
{
	const struct ykhmac *y = st;
	uint8_t b[STATE_BLOB], *p = b;
	int i, r;

	*p++ = STATE_VERSION;
	*p++ = (uint8_t)(y->serial >> 24);
	*p++ = (uint8_t)(y->serial >> 16);
	*p++ = (uint8_t)(y->serial >> 8);
	*p++ = (uint8_t)y->serial;
	*p++ = y->seq;
	for (i = 0; i < 2; i++) {
		const struct yk_slot *s = &y->slot[i];

		*p++ = s->valid;
		memcpy(p, s->key, YK_KEY_LEN);
		p += YK_KEY_LEN;
		memcpy(p, s->acc, YK_ACC_LEN);
		p += YK_ACC_LEN;
		*p++ = s->ext;
		*p++ = s->tkt;
		*p++ = s->cfg;
	}
	r = sim_rbuf_put(out, b, sizeof(b));
	OPENSSL_cleanse(b, sizeof(b));
	return r;
}

static int yk_load(void *st, const uint8_t *p, size_t n)
{
	struct ykhmac *y = st, tmp;
	int i;

	if (n != STATE_BLOB || p[0] != STATE_VERSION)
		return -1;
	memset(&tmp, 0, sizeof(tmp));
	tmp.serial = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
	tmp.seq = p[5];
	p += 6;
	for (i = 0; i < 2; i++) {
		struct yk_slot *s = &tmp.slot[i];

		if (p[0] > 1)
			return -1;
		s->valid = p[0];
		memcpy(s->key, p + 1, YK_KEY_LEN);
		memcpy(s->acc, p + 1 + YK_KEY_LEN, YK_ACC_LEN);
		s->ext = p[1 + YK_KEY_LEN + YK_ACC_LEN];
		s->tkt = p[2 + YK_KEY_LEN + YK_ACC_LEN];
		s->cfg = p[3 + YK_KEY_LEN + YK_ACC_LEN];
		p += SLOT_BLOB;
	}
	*y = tmp;
	OPENSSL_cleanse(&tmp, sizeof(tmp));
	return 0;
}

const struct sim_applet_ops sim_ykhmac_applet = {
	.name = "ykhmac",
	.aid = ykhmac_aid,
	.aid_len = sizeof(ykhmac_aid),
	.flags = 0,
	.create = yk_create,
	.destroy = yk_destroy,
	.select = yk_select,
	.deselect = yk_deselect,
	.process = yk_process,
	.save = yk_save,
	.load = yk_load,
};
