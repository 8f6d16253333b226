/* desfire_card.c — the DESFire EV3 card personality for skinkey-sim (SIM_APPLET_RAW): ISO
 * 7816-4 wrapped native commands (90 CMD 00 00 Lc data 00 -> data 91 xx), additional frames
 * (91 AF) in both directions, EV2 secure messaging around every command of an EV2 session,
 * and a factory-fresh chip: PICC master key 2TDEA zeros, random 7-byte NXP UID. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "desfire_int.h"
#include "sim_core.h"

#define SW(st) ((uint16_t)(0x9100u | (st)))
#define SM_MAX (SDF_EEPROM + 64)   /* a whole file in one answer */

static void *sdf_create(void)
{
	struct sdf_card *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->uid[0] = 0x04;   /* NXP manufacturer code */
	if (RAND_bytes(c->uid + 1, 6) != 1) {
		free(c);
		return NULL;
	}
	c->picc_type = SDF_KEY_DES;
	c->picc_settings = 0x0F;   /* factory: key changeable, free listing and create, config */
	c->sel = -1;
	return c;
}

static void drop_pending(struct sdf_card *c)
{
	if (c->pend != NULL) {
		sdf_wipe(c->pend, c->pend_len);
		free(c->pend);
	}
	c->pend = NULL;
	c->pend_len = c->pend_off = 0;
	c->pend_small = 0;
}

static void sdf_destroy(void *st)
{
	struct sdf_card *c = st;

	if (c == NULL)
		return;
	drop_pending(c);
	sdf_free_files(c);
	sdf_wipe(c, sizeof(*c));
	free(c);
}

static void sdf_deselect(void *st)
{
	struct sdf_card *c = st;

	/* power loss or reset: back to PICC level, no session, nothing pending */
	drop_pending(c);
	sdf_drop_session(c);
	c->sel = -1;
}

static uint16_t next_frame(struct sdf_card *c, struct sim_rbuf *r)
{
	size_t left = c->pend_len - c->pend_off, n;

	n = c->pend_small && c->pend_off < 14 ? 7 : SDF_FRAME;
	if (n >= left) {
		uint8_t st = c->pend_st;

		if (sim_rbuf_put(r, c->pend + c->pend_off, left) != 0)
			return SW(SDF_ABORTED);
		drop_pending(c);
		return SW(st);
	}
	if (sim_rbuf_put(r, c->pend + c->pend_off, n) != 0)
		return SW(SDF_ABORTED);
	c->pend_off += n;
	return SW(SDF_MORE);
}

/* Queue an answer and send its first frame. */
static uint16_t answer(struct sdf_card *c, const uint8_t *p, size_t n, uint8_t st,
    struct sim_rbuf *r)
{
	if (n <= SDF_FRAME && !c->pend_small)
		return sim_rbuf_put(r, p, n) ? SW(SDF_ABORTED) : SW(st);
	if ((c->pend = malloc(n)) == NULL)
		return SW(SDF_ABORTED);
	memcpy(c->pend, p, n);
	c->pend_len = n;
	c->pend_off = 0;
	c->pend_st = st;
	return next_frame(c, r);
}

static uint16_t do_select(struct sdf_card *c, const struct sim_apdu *a)
{
	size_t i;

	sdf_drop_session(c);
	if (a->lc != 3)
		return SW(SDF_LENGTH);
	if ((a->data[0] | a->data[1] | a->data[2]) == 0) {
		c->sel = -1;
		return SW(SDF_OK);
	}
	for (i = 0; i < SDF_MAX_APPS; i++) {
		if (c->apps[i].used && memcmp(c->apps[i].aid, a->data, 3) == 0) {
			c->sel = (int)i;
			return SW(SDF_OK);
		}
	}
	return SW(SDF_APP_NOT_FOUND);
}

/* EV2 session: check the MACt that ends the command, decrypt FULL data. plain gets hdr||data. */
static uint8_t sm_open(struct sdf_card *c, const struct sim_apdu *a, size_t hlen, int cmode,
    uint8_t *plain, size_t *plen)
{
	uint8_t mact[8], iv[16];
	size_t body, pn, i;

	if (cmode == 0) {
		if (a->lc > 0)
			memcpy(plain, a->data, a->lc);
		*plen = a->lc;
		return SDF_OK;
	}
	if (a->lc < hlen + 8)
		return SDF_LENGTH;
	body = a->lc - 8;
	if (sdf_mac(c, a->ins, c->ctr, a->data, body, mact) != 0 ||
	    CRYPTO_memcmp(mact, a->data + body, 8) != 0)
		return SDF_INTEGRITY;
	memcpy(plain, a->data, hlen);
	*plen = hlen;
	if (cmode != 3 || body == hlen) {
		if (body > hlen)
			memcpy(plain + hlen, a->data + hlen, body - hlen);
		*plen = body;
		return SDF_OK;
	}
	pn = body - hlen;
	if (pn % 16 != 0 || sdf_iv(c, 0, c->ctr, iv) != 0 ||
	    sdf_aes_cbc(0, c->kenc, iv, a->data + hlen, pn, plain + hlen) != 0)
		return SDF_INTEGRITY;
	for (i = pn; i > 0 && plain[hlen + i - 1] == 0; i--)
		;
	if (i == 0 || pn - i >= 16 || plain[hlen + i - 1] != 0x80)
		return SDF_INTEGRITY;
	*plen = hlen + i - 1;
	return SDF_OK;
}

/* EV2 session: protect a successful answer (CmdCtr already incremented). */
static int sm_seal(struct sdf_card *c, uint8_t st, int rmode, const struct sim_rbuf *ans,
    uint8_t *out, size_t *olen)
{
	uint8_t iv[16], tmp[SM_MAX];
	size_t n = ans->len, pn;

	if (n > SM_MAX - 32)
		return -1;
	if (rmode == 3) {
		memcpy(tmp, ans->p, n);
		tmp[n] = 0x80;
		pn = (n / 16 + 1) * 16;
		memset(tmp + n + 1, 0, pn - n - 1);
		if (sdf_iv(c, 1, c->ctr, iv) != 0 || sdf_aes_cbc(1, c->kenc, iv, tmp, pn, out) != 0)
			return -1;
		n = pn;
		sdf_wipe(tmp, sizeof(tmp));
	} else if (n > 0) {
		memcpy(out, ans->p, n);
	}
	if (sdf_mac(c, st, c->ctr, out, n, out + n) != 0)
		return -1;
	*olen = n + 8;
	return 0;
}

static uint16_t command(struct sdf_card *c, const struct sim_apdu *a, struct sim_rbuf *r)
{
	uint8_t plain[SM_MAX], out[SM_MAX], st;
	struct sim_rbuf ans = { NULL, 0, 0 };
	struct sdf_cmd m;
	size_t hlen = 0, plen = 0, olen = 0;
	int cmode = 0, rmode = 0, ev2 = c->auth == SDF_AUTH_EV2;
	uint16_t sw;

	if ((st = sdf_modes(c, a->ins, a->data, a->lc, &hlen, &cmode, &rmode)) != SDF_OK)
		goto fail;
	if (a->lc > sizeof(plain)) {
		st = SDF_LENGTH;
		goto fail;
	}
	if (!ev2)
		cmode = 0;
	if ((st = sm_open(c, a, hlen, cmode, plain, &plen)) != SDF_OK)
		goto fail;
	m.ins = a->ins;
	m.hdr = plain;
	m.hlen = hlen;
	m.data = plain + hlen;
	m.dlen = plen - hlen;
	st = sdf_run(c, &m, &ans, &rmode);
	if (st != SDF_OK && st != SDF_SIGNATURE)
		goto fail;
	if (!ev2 || rmode == 0 || rmode == -1) {
		if (ev2)
			c->ctr++;
		if (rmode == -1)
			sdf_drop_session(c);   /* the key of this session was replaced */
		sw = answer(c, ans.p, ans.len, st, r);
		goto out;
	}
	c->ctr++;
	if (sm_seal(c, st, rmode, &ans, out, &olen) != 0) {
		st = SDF_ABORTED;
		goto fail;
	}
	sw = answer(c, out, olen, st, r);
	goto out;
fail:
	/* any error ends the authentication, as on the chip */
	sdf_drop_session(c);
	c->pend_small = 0;
	sw = SW(st);
out:
	sim_rbuf_free(&ans);
	sdf_wipe(plain, sizeof(plain));
	sdf_wipe(out, sizeof(out));
	return sw;
}

static uint16_t sdf_process(void *st, const struct sim_apdu *a, struct sim_rbuf *r,
    struct sim_env *env)
{
	struct sdf_card *c = st;
	int step = c->astep;

	c->env = env;
	if (a->cla != 0x90)
		return (a->cla == 0x00 && a->ins == 0xA4) ? 0x6A82 : 0x6E00;
	if (a->p1 != 0 || a->p2 != 0)
		return 0x6A86;
	if (a->ins == 0xAF) {
		if (step != 0)
			return SW(sdf_auth_second(c, a->data, a->lc, r));
		if (c->pend != NULL)
			return next_frame(c, r);
		return SW(SDF_ABORTED);
	}
	drop_pending(c);
	if (step != 0)
		sdf_drop_session(c);   /* a new command aborts a half-done authentication */
	switch (a->ins) {
	case 0x71:
		return SW(sdf_auth_ev2_first(c, a->data, a->lc, r));
	case 0x1A:
		return SW(sdf_auth_iso_first(c, a->data, a->lc, r));
	case 0x5A:
		return do_select(c, a);
	default:
		return command(c, a, r);
	}
}

static int sdf_save_op(void *st, struct sim_rbuf *out)
{
	return sdf_save(st, out);
}

static int sdf_load_op(void *st, const uint8_t *p, size_t n)
{
	return sdf_load(st, p, n);
}

const struct sim_applet_ops sim_desfire_card = {
	.name = "desfire",
	.aid = NULL,
	.aid_len = 0,
	.flags = SIM_APPLET_RAW,
	.create = sdf_create,
	.destroy = sdf_destroy,
	.select = NULL,
	.deselect = sdf_deselect,
	.process = sdf_process,
	.save = sdf_save_op,
	.load = sdf_load_op,
};
