/* duress.c — the DuressApplet (seed 000 §5.3): three PIN-gated contexts (0 primary, 1 decoy,
 * 2 burn) behind one uniform interface. The PIN decides which context's key answers
 * CHALLENGE; a PIN that matches no context decrements every context's retry counter.
 *
 * Private AID F0 44 55 52 45 53 53 01 ("\xF0DURESS\x01"). Choices the seed leaves open:
 *  - PINs are exactly 4 bytes; 3 retries per context; a matching PIN resets only its own
 *    context's counter (a decoy PIN never refills the primary's tries).
 *  - When one PIN matches several contexts the highest context id wins, and SET_PIN never
 *    checks for collisions, so no answer tells a context holder anything about another PIN.
 *  - Factory state: random context keys, no PINs (SELECT_CONTEXT cannot succeed until the
 *    admin sets them), admin key 32 zero bytes. SET_KEY with P1 = AD changes the admin key
 *    (admin only). RESET_CONTEXT gives a random key, clears the PIN, refills the counter.
 *  - VERSION answers 01 00 00. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "sim_applet.h"

static const uint8_t duress_aid[] = { 0xF0, 0x44, 0x55, 0x52, 0x45, 0x53, 0x53, 0x01 };

#define NCTX        3
#define PIN_LEN     4
#define KEY_LEN     32
#define MAX_TRIES   3
#define NO_CTX      0xFF
#define P1_ADMIN    0xAD

#define SW_OK        0x9000u
#define SW_WRONG_LEN 0x6700u
#define SW_PIN       0x6982u
#define SW_BLOCKED   0x6983u
#define SW_NO_CTX    0x6985u
#define SW_P1P2      0x6A86u
#define SW_INS       0x6D00u
#define SW_CLA       0x6E00u
#define SW_INTERNAL  0x6F00u

#define STATE_VERSION 1
#define CTX_BLOB      (KEY_LEN + PIN_LEN + 2)
#define STATE_BLOB    (1 + KEY_LEN + NCTX * CTX_BLOB)

struct duress_ctx {
	uint8_t key[KEY_LEN];
	uint8_t pin[PIN_LEN];
	uint8_t pin_set;
	uint8_t tries;
};

struct duress {
	uint8_t admin_key[KEY_LEN];
	struct duress_ctx ctx[NCTX];
	/* volatile */
	uint8_t active;
	int admin;
};

static void *du_create(void)
{
	struct duress *d = calloc(1, sizeof(*d));
	int i;

	if (d == NULL)
		return NULL;
	for (i = 0; i < NCTX; i++) {
		if (RAND_bytes(d->ctx[i].key, KEY_LEN) != 1) {
			free(d);
			return NULL;
		}
		d->ctx[i].tries = MAX_TRIES;
	}
	d->active = NO_CTX;
	return d;
}

static void du_destroy(void *st)
{
	if (st == NULL)
		return;
	OPENSSL_cleanse(st, sizeof(struct duress));
	free(st);
}

static void du_deselect(void *st)
{
	struct duress *d = st;

	d->active = NO_CTX;
	d->admin = 0;
}

static uint16_t du_select(void *st, struct sim_rbuf *r, struct sim_env *env)
{
	(void)r;
	(void)env;
	du_deselect(st);
	return SW_OK;
}

/* Constant time over all contexts: every PIN is compared, no early exit, no branch on secrets
 * beyond the final selection. */
static uint16_t select_context(struct duress *d, const struct sim_apdu *a, struct sim_env *env)
{
	unsigned match = NO_CTX, usable = 0;
	int i;

	if (a->lc != PIN_LEN)
		return SW_WRONG_LEN;
	for (i = 0; i < NCTX; i++) {
		unsigned eq = (unsigned)(CRYPTO_memcmp(d->ctx[i].pin, a->data, PIN_LEN) == 0) &
		    (unsigned)(d->ctx[i].pin_set != 0);
		unsigned mask = 0u - eq;

		match = (match & ~mask) | ((unsigned)i & mask);   /* highest matching id wins */
		usable |= (unsigned)(d->ctx[i].tries != 0);
	}
	d->active = NO_CTX;
	env->ctx_set = 1;      /* the card's default OpenPGP instance follows (sim_card.c) */
	env->ctx = NO_CTX;
	if (!usable)
		return SW_BLOCKED;
	if (match != NO_CTX && d->ctx[match].tries == 0)
		return SW_BLOCKED;
	env->dirty = 1;
	if (match == NO_CTX) {
		for (i = 0; i < NCTX; i++)
			if (d->ctx[i].tries > 0)
				d->ctx[i].tries--;
		return SW_PIN;
	}
	d->ctx[match].tries = MAX_TRIES;
	d->active = (uint8_t)match;
	env->ctx = d->active;
	return SW_OK;
}

static uint16_t challenge(struct duress *d, const struct sim_apdu *a, struct sim_rbuf *r)
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	uint16_t sw = SW_INTERNAL;

	if (a->lc < 1 || a->lc > 64)
		return SW_WRONG_LEN;
	if (d->active == NO_CTX)
		return SW_NO_CTX;
	if (HMAC(EVP_sha256(), d->ctx[d->active].key, KEY_LEN, a->data, a->lc, mac, &maclen) != NULL &&
	    maclen == 32 && sim_rbuf_put(r, mac, maclen) == 0)
		sw = SW_OK;
	OPENSSL_cleanse(mac, sizeof(mac));
	return sw;
}

/* SET_KEY / SET_PIN / RESET_CONTEXT target: P1 = context id (or AD = admin key for SET_KEY). */
static int may_write(const struct duress *d, uint8_t p1)
{
	return d->admin || (p1 < NCTX && d->active == p1);
}

static uint16_t set_key(struct duress *d, const struct sim_apdu *a, struct sim_env *env)
{
	if (a->p1 >= NCTX && a->p1 != P1_ADMIN)
		return SW_P1P2;
	if (a->lc != KEY_LEN)
		return SW_WRONG_LEN;
	if (!may_write(d, a->p1))
		return SW_PIN;
	memcpy(a->p1 == P1_ADMIN ? d->admin_key : d->ctx[a->p1].key, a->data, KEY_LEN);
	env->dirty = 1;
	return SW_OK;
}

static uint16_t set_pin(struct duress *d, const struct sim_apdu *a, struct sim_env *env)
{
	if (a->p1 >= NCTX)
		return SW_P1P2;
	if (a->lc != PIN_LEN)
		return SW_WRONG_LEN;
	if (!may_write(d, a->p1))
		return SW_PIN;
	memcpy(d->ctx[a->p1].pin, a->data, PIN_LEN);
	d->ctx[a->p1].pin_set = 1;
	d->ctx[a->p1].tries = MAX_TRIES;
	env->dirty = 1;
	return SW_OK;
}

static uint16_t reset_context(struct duress *d, const struct sim_apdu *a, struct sim_env *env)
{
	struct duress_ctx *c;

	if (a->p1 >= NCTX)
		return SW_P1P2;
	if (!d->admin)
		return SW_PIN;
	c = &d->ctx[a->p1];
	env->random(c->key, KEY_LEN);
	OPENSSL_cleanse(c->pin, PIN_LEN);
	c->pin_set = 0;
	c->tries = MAX_TRIES;
	if (d->active == a->p1)
		d->active = NO_CTX;
	env->dirty = 1;
	return SW_OK;
}

static uint16_t admin_auth(struct duress *d, const struct sim_apdu *a)
{
	if (a->lc != KEY_LEN)
		return SW_WRONG_LEN;
	d->admin = CRYPTO_memcmp(d->admin_key, a->data, KEY_LEN) == 0;
	return d->admin ? SW_OK : SW_PIN;
}

static uint16_t du_process(void *st, const struct sim_apdu *a, struct sim_rbuf *r,
    struct sim_env *env)
{
	struct duress *d = st;
	static const uint8_t version[] = { 0x01, 0x00, 0x00 };

	if (a->cla != 0x00)
		return SW_CLA;
	switch (a->ins) {
	case 0x20: return select_context(d, a, env);
	case 0x21: return sim_rbuf_u8(r, d->active) == 0 ? SW_OK : SW_INTERNAL;
	case 0x30: return challenge(d, a, r);
	case 0x40: return set_key(d, a, env);
	case 0x41: return set_pin(d, a, env);
	case 0x42: return reset_context(d, a, env);
	case 0x60: return admin_auth(d, a);
	case 0xFF: return sim_rbuf_put(r, version, sizeof(version)) == 0 ? SW_OK : SW_INTERNAL;
	default: return SW_INS;
	}
}

static int du_save(void *st, struct sim_rbuf *out)
{
	const struct duress *d = st;
	uint8_t b[STATE_BLOB], *p = b;
	int i, r;

	*p++ = STATE_VERSION;
	memcpy(p, d->admin_key, KEY_LEN);
	p += KEY_LEN;
	for (i = 0; i < NCTX; i++) {
		memcpy(p, d->ctx[i].key, KEY_LEN);
		memcpy(p + KEY_LEN, d->ctx[i].pin, PIN_LEN);
		p[KEY_LEN + PIN_LEN] = d->ctx[i].pin_set;
		p[KEY_LEN + PIN_LEN + 1] = d->ctx[i].tries;
		p += CTX_BLOB;
	}
	r = sim_rbuf_put(out, b, sizeof(b));
	OPENSSL_cleanse(b, sizeof(b));
	return r;
}

static int du_load(void *st, const uint8_t *p, size_t n)
{
	struct duress *d = st;
	int i;

	if (n != STATE_BLOB || p[0] != STATE_VERSION)
		return -1;
	p++;
	for (i = 0; i < NCTX; i++) {
		const uint8_t *c = p + KEY_LEN + i * CTX_BLOB;

		if (c[KEY_LEN + PIN_LEN] > 1 || c[KEY_LEN + PIN_LEN + 1] > MAX_TRIES)
			return -1;
	}
	memcpy(d->admin_key, p, KEY_LEN);
	p += KEY_LEN;
	for (i = 0; i < NCTX; i++) {
		memcpy(d->ctx[i].key, p, KEY_LEN);
		memcpy(d->ctx[i].pin, p + KEY_LEN, PIN_LEN);
		d->ctx[i].pin_set = p[KEY_LEN + PIN_LEN];
		d->ctx[i].tries = p[KEY_LEN + PIN_LEN + 1];
		p += CTX_BLOB;
	}
	du_deselect(d);
	return 0;
}

const struct sim_applet_ops sim_duress_applet = {
	.name = "duress",
	.aid = duress_aid,
	.aid_len = sizeof(duress_aid),
	.flags = 0,
	.create = du_create,
	.destroy = du_destroy,
	.select = du_select,
	.deselect = du_deselect,
	.process = du_process,
	.save = du_save,
	.load = du_load,
};
