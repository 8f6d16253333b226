/* openpgp_applet.c — the simulator's OpenPGP card 3.4 applet (SmartPGP-like): lifecycle and
 * command dispatch. Data objects, PINs, keys and private-key operations live in their own files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "openpgp_int.h"

/* D2 76 00 01 24 01 | version 3.4 | manufacturer FF FE (randomly assigned serial range) |
 * serial | RFU. The framework matches a prefix; the real serial is in 4F. */
static const uint8_t openpgp_aid[] = { 0xD2, 0x76, 0x00, 0x01, 0x24, 0x01, 0x03, 0x04,
	0xFF, 0xFE, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };

static void *
openpgp_create(void)
{
	struct opgp_state *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	if (RAND_bytes(s->serial, sizeof(s->serial)) != 1) {
		fprintf(stderr, "sim openpgp: no randomness for the serial number\n");
		free(s);
		return NULL;
	}
	opgp_state_factory(s, NULL);
	return s;
}

static void
openpgp_destroy(void *st)
{
	struct opgp_state *s = st;

	if (s == NULL)
		return;
	opgp_state_wipe(s);
	free(s);
}

static void
openpgp_deselect(void *st)
{
	struct opgp_state *s = st;

	s->pw1_81 = s->pw1_82 = s->pw3_83 = 0;
	s->cert_occurrence = 0;
}

static uint16_t
openpgp_select(void *st, struct sim_rbuf *r, struct sim_env *env)
{
	struct opgp_state *s = st;

	(void)r;
	(void)env;
	openpgp_deselect(s);
	return s->terminated ? OPGP_SW_TERMINATED : OPGP_SW_OK;
}

static uint16_t
get_challenge(const struct sim_apdu *a, struct sim_rbuf *r, struct sim_env *env)
{
	uint8_t buf[OPGP_MAX_RSP];
	size_t n = a->le;

	if (a->p1 != 0 || a->p2 != 0)
		return OPGP_SW_WRONG_P1P2;
	if (n == 0 || n > sizeof(buf))
		return OPGP_SW_WRONG_LENGTH;
	env->random(buf, n);
	return sim_rbuf_put(r, buf, n) == 0 ? OPGP_SW_OK : OPGP_SW_NO_MEMORY;
}

static uint16_t
terminate_df(struct opgp_state *s, struct sim_env *env)
{
	if (!s->pw3_83 && s->pw[OPGP_PW3].tries != 0) {
		fprintf(stderr, "sim openpgp: TERMINATE DF refused: PW3 neither verified nor blocked\n");
		return OPGP_SW_SEC_STATUS;
	}
	s->terminated = 1;
	openpgp_deselect(s);
	env->dirty = 1;
	return OPGP_SW_OK;
}

static uint16_t
activate_file(struct opgp_state *s, struct sim_env *env)
{
	if (!s->terminated)
		return OPGP_SW_OK;
	opgp_state_factory(s, env);
	env->dirty = 1;
	return OPGP_SW_OK;
}

static uint16_t
put_data_odd(struct opgp_state *s, const struct sim_apdu *a, struct sim_env *env)
{
	if (a->p1 != 0x3F || a->p2 != 0xFF)
		return OPGP_SW_WRONG_P1P2;
	if (!s->pw3_83)
		return OPGP_SW_SEC_STATUS;
	return opgp_import(s, a->data, a->lc, env);
}

static uint16_t
dispatch(struct opgp_state *s, const struct sim_apdu *a, struct sim_rbuf *r, struct sim_env *env)
{
	switch (a->ins) {
	case 0x20: return opgp_verify(s, a, env);
	case 0x24: return opgp_change_ref(s, a, env);
	case 0x2C: return opgp_reset_retry(s, a, env);
	case 0xCA: return opgp_get_data(s, (unsigned)a->p1 << 8 | a->p2, r);
	case 0xDA: return opgp_put_data(s, (unsigned)a->p1 << 8 | a->p2, a->data, a->lc, env);
	case 0xDB: return put_data_odd(s, a, env);
	case 0x47: return opgp_generate(s, a, r, env);
	case 0x2A: return opgp_pso(s, a, r, env);
	case 0x88: return opgp_internal_auth(s, a, r);
	case 0x84: return get_challenge(a, r, env);
	case 0xA5: return opgp_select_data(s, a);
	case 0xE6: return terminate_df(s, env);
	case 0x44: return activate_file(s, env);
	default: return OPGP_SW_INS_NOT_SUPP;
	}
}

static uint16_t
openpgp_process(void *st, const struct sim_apdu *a, struct sim_rbuf *r, struct sim_env *env)
{
	struct opgp_state *s = st;

	if ((a->cla & ~0x10u) != 0x00)
		return OPGP_SW_CLA_NOT_SUPP;
	if (s->terminated && a->ins != 0x44)
		return OPGP_SW_TERMINATED;
	return dispatch(s, a, r, env);
}

static int
openpgp_save(void *st, struct sim_rbuf *out)
{
	return opgp_state_save(st, out);
}

static int
openpgp_load(void *st, const uint8_t *p, size_t n)
{
	struct opgp_state *s = st;

	if (opgp_state_load(s, p, n) != 0) {
		fprintf(stderr, "sim openpgp: state image does not parse\n");
		return -1;
	}
	return 0;
}

static int
openpgp_instance_aid(void *st, uint8_t *out, size_t cap)
{
	uint8_t aid[16];

	if (cap < sizeof(aid))
		return -1;
	opgp_build_aid(st, aid);
	memcpy(out, aid, sizeof(aid));
	return (int)sizeof(aid);
}

/* Three instances, one per duress context (0 primary, 1 decoy, 2 burn), each with its own state
 * (serial, PINs, keys) under its own name in the state file. A full AID (with the serial)
 * selects its instance; the partial AID D2 76 00 01 24 01 selects the instance of the context
 * the DuressApplet last chose in this field session (the primary when none): see sim_card.c. */
#define OPENPGP_INSTANCE(sym, nm, ctx) \
const struct sim_applet_ops sym = { \
	.name = nm, \
	.aid = openpgp_aid, \
	.aid_len = sizeof(openpgp_aid), \
	.flags = SIM_APPLET_CHAINING, \
	.create = openpgp_create, \
	.destroy = openpgp_destroy, \
	.select = openpgp_select, \
	.deselect = openpgp_deselect, \
	.process = openpgp_process, \
	.save = openpgp_save, \
	.load = openpgp_load, \
	.instance_aid = openpgp_instance_aid, \
	.context = ctx, \
}

OPENPGP_INSTANCE(sim_openpgp_applet, "openpgp", 0);
OPENPGP_INSTANCE(sim_openpgp_applet1, "openpgp1", 1);
OPENPGP_INSTANCE(sim_openpgp_applet2, "openpgp2", 2);
