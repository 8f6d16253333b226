/* openpgp_pin.c — VERIFY, CHANGE REFERENCE DATA and RESET RETRY COUNTER of the OpenPGP applet.
 * PW1 (references 81 and 82), the resetting code and PW3 (83), each with 3 tries. With a
 * KDF-DO the host sends hashed PINs and the card compares those bytes as they are. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "openpgp_int.h"

/* Constant-time comparison of the first p->len bytes of d against the stored PIN. */
static int
pin_matches(const struct opgp_pin *p, const uint8_t *d, size_t n)
{
	if (p->len == 0 || n < p->len)
		return 0;
	return CRYPTO_memcmp(p->v, d, p->len) == 0;
}

static uint16_t
pin_failed(struct opgp_pin *p, struct sim_env *env, uint16_t sw_wrong)
{
	if (p->tries > 0)
		p->tries--;
	env->dirty = 1;
	if (sw_wrong == 0)
		return (uint16_t)(0x63C0u | p->tries);
	return sw_wrong;
}

static void
pin_passed(struct opgp_pin *p, struct sim_env *env)
{
	if (p->tries != OPGP_TRIES) {
		p->tries = OPGP_TRIES;
		env->dirty = 1;
	}
}

static int *
verified_flag(struct opgp_state *s, uint8_t p2)
{
	switch (p2) {
	case 0x81: return &s->pw1_81;
	case 0x82: return &s->pw1_82;
	case 0x83: return &s->pw3_83;
	default: return NULL;
	}
}

uint16_t
opgp_verify(struct opgp_state *s, const struct sim_apdu *a, struct sim_env *env)
{
	int *flag = verified_flag(s, a->p2);
	struct opgp_pin *p = &s->pw[a->p2 == 0x83 ? OPGP_PW3 : OPGP_PW1];

	if (flag == NULL || (a->p1 != 0x00 && a->p1 != 0xFF))
		return OPGP_SW_WRONG_P1P2;
	if (a->p1 == 0xFF) {
		if (a->lc != 0)
			return OPGP_SW_WRONG_LENGTH;
		*flag = 0;
		return OPGP_SW_OK;
	}
	if (a->lc == 0) {
		if (*flag)
			return OPGP_SW_OK;
		return p->tries == 0 ? OPGP_SW_BLOCKED : (uint16_t)(0x63C0u | p->tries);
	}
	if (p->tries == 0)
		return OPGP_SW_BLOCKED;
	if (a->lc != p->len || !pin_matches(p, a->data, a->lc)) {
		*flag = 0;
		fprintf(stderr, "sim openpgp: VERIFY %02X refused\n", a->p2);
		return pin_failed(p, env, 0);
	}
	pin_passed(p, env);
	*flag = 1;
	return OPGP_SW_OK;
}

static int
new_pin_ok(int which, size_t n)
{
	size_t min = which == OPGP_PW3 ? OPGP_PW3_MIN : OPGP_PW1_MIN;

	return n >= min && n <= OPGP_PIN_MAX;
}

uint16_t
opgp_change_ref(struct opgp_state *s, const struct sim_apdu *a, struct sim_env *env)
{
	int which = a->p2 == 0x83 ? OPGP_PW3 : OPGP_PW1;
	struct opgp_pin *p = &s->pw[which];

	if (a->p1 != 0x00 || (a->p2 != 0x81 && a->p2 != 0x83))
		return OPGP_SW_WRONG_P1P2;
	if (p->tries == 0)
		return OPGP_SW_BLOCKED;
	if (a->lc <= p->len)
		return OPGP_SW_WRONG_LENGTH;
	if (!pin_matches(p, a->data, a->lc)) {
		fprintf(stderr, "sim openpgp: CHANGE REFERENCE DATA %02X: old PIN refused\n", a->p2);
		if (which == OPGP_PW3)
			s->pw3_83 = 0;
		else
			s->pw1_81 = s->pw1_82 = 0;
		return pin_failed(p, env, OPGP_SW_SEC_STATUS);
	}
	if (!new_pin_ok(which, a->lc - p->len))
		return OPGP_SW_WRONG_LENGTH;
	opgp_pin_set(p, a->data + p->len, a->lc - p->len);
	env->dirty = 1;
	return OPGP_SW_OK;
}

static uint16_t
reset_with_rc(struct opgp_state *s, const struct sim_apdu *a, struct sim_env *env)
{
	struct opgp_pin *rc = &s->pw[OPGP_RC];

	if (rc->len == 0 || rc->tries == 0)
		return rc->len == 0 ? OPGP_SW_SEC_STATUS : OPGP_SW_BLOCKED;
	if (a->lc <= rc->len)
		return OPGP_SW_WRONG_LENGTH;
	if (!pin_matches(rc, a->data, a->lc)) {
		fprintf(stderr, "sim openpgp: RESET RETRY COUNTER: resetting code refused\n");
		return pin_failed(rc, env, OPGP_SW_SEC_STATUS);
	}
	if (!new_pin_ok(OPGP_PW1, a->lc - rc->len))
		return OPGP_SW_WRONG_LENGTH;
	pin_passed(rc, env);
	opgp_pin_set(&s->pw[OPGP_PW1], a->data + rc->len, a->lc - rc->len);
	env->dirty = 1;
	return OPGP_SW_OK;
}

uint16_t
opgp_reset_retry(struct opgp_state *s, const struct sim_apdu *a, struct sim_env *env)
{
	if (a->p2 != 0x81 || (a->p1 != 0x00 && a->p1 != 0x02))
		return OPGP_SW_WRONG_P1P2;
	if (a->p1 == 0x00)
		return reset_with_rc(s, a, env);
	if (!s->pw3_83)
		return OPGP_SW_SEC_STATUS;
	if (!new_pin_ok(OPGP_PW1, a->lc))
		return OPGP_SW_WRONG_LENGTH;
	opgp_pin_set(&s->pw[OPGP_PW1], a->data, a->lc);
	env->dirty = 1;
	return OPGP_SW_OK;
}
