/* openpgp_put.c — PUT DATA (even INS) and SELECT DATA of the OpenPGP applet: which DO may be
 * written under which PIN, length limits, and the side effects (KDF-DO, algorithm change). */
#include <stdio.h>
#include <string.h>

#include "openpgp_int.h"

static const uint8_t default_pw1[] = "123456";
static const uint8_t default_pw3[] = "12345678";

static uint16_t
set_blob(struct opgp_blob *b, const uint8_t *d, size_t n, size_t max, struct sim_env *env)
{
	if (n > max)
		return OPGP_SW_WRONG_LENGTH;
	if (opgp_blob_set(b, d, n) != 0)
		return OPGP_SW_NO_MEMORY;
	env->dirty = 1;
	return OPGP_SW_OK;
}

static uint16_t
set_fixed(uint8_t *dst, size_t dlen, const uint8_t *d, size_t n, struct sim_env *env)
{
	if (n != dlen)
		return OPGP_SW_WRONG_LENGTH;
	memcpy(dst, d, n);
	env->dirty = 1;
	return OPGP_SW_OK;
}

static void
drop_key(struct opgp_state *s, int ref)
{
	EVP_PKEY_free(s->key[ref]);
	s->key[ref] = NULL;
	s->key_origin[ref] = 0;
	memset(s->fpr[ref], 0, sizeof(s->fpr[ref]));
	memset(s->gentime[ref], 0, sizeof(s->gentime[ref]));
}

static uint16_t
set_algo(struct opgp_state *s, int ref, const uint8_t *d, size_t n, struct sim_env *env)
{
	if (n == 0 || n > OPGP_ALGO_MAX || !opgp_algo_valid(d, n)) {
		fprintf(stderr, "sim openpgp: unsupported algorithm attributes for key %d\n", ref + 1);
		return OPGP_SW_WRONG_DATA;
	}
	if (ref == OPGP_KEY_DEC && opgp_algo_kind(d, n) == OPGP_ALG_ED25519)
		return OPGP_SW_WRONG_DATA;
	if (ref != OPGP_KEY_DEC && opgp_algo_kind(d, n) == OPGP_ALG_X25519)
		return OPGP_SW_WRONG_DATA;
	/* changing the algorithm deletes the key (SmartPGP behaviour) */
	if (n != s->algo_len[ref] || memcmp(d, s->algo[ref], n) != 0)
		drop_key(s, ref);
	memcpy(s->algo[ref], d, n);
	s->algo_len[ref] = n;
	env->dirty = 1;
	return OPGP_SW_OK;
}

static uint16_t
set_reset_code(struct opgp_state *s, const uint8_t *d, size_t n, struct sim_env *env)
{
	if (n != 0 && (n < OPGP_RC_MIN || n > OPGP_PIN_MAX))
		return OPGP_SW_WRONG_LENGTH;
	opgp_pin_set(&s->pw[OPGP_RC], d, n);
	env->dirty = 1;
	return OPGP_SW_OK;
}

static uint16_t
set_pw_status(struct opgp_state *s, const uint8_t *d, size_t n, struct sim_env *env)
{
	if (n != 1 && n != 4)
		return OPGP_SW_WRONG_LENGTH;
	if (d[0] > 1)
		return OPGP_SW_WRONG_DATA;
	s->pw1_multi = d[0];
	env->dirty = 1;
	return OPGP_SW_OK;
}

/* KDF-DO: the card stores it and, from then on, compares the hashed PINs the host sends. Any
 * write resets the PINs: to 87/88 (hashes of the default PINs) or, without KDF, to the plain
 * defaults; the resetting code is cleared. */
static uint16_t
set_kdf(struct opgp_state *s, const uint8_t *d, size_t n, struct sim_env *env)
{
	const uint8_t *alg, *h1 = NULL, *h3 = NULL;
	size_t alen, l1 = 0, l3 = 0;
	struct opgp_cur c;
	const uint8_t *v;
	size_t vlen;
	unsigned t;

	if (n > OPGP_SPECIAL_MAX)
		return OPGP_SW_WRONG_LENGTH;
	opgp_cur_init(&c, d, n);
	while (opgp_cur_left(&c) > 0)
		if (opgp_cur_tlv(&c, &t, &v, &vlen) != 0)
			return OPGP_SW_WRONG_DATA;
	if (opgp_tlv_find(d, n, 0x81, &alg, &alen) != 0 || alen != 1 ||
	    (alg[0] != 0x00 && alg[0] != 0x03))
		return OPGP_SW_WRONG_DATA;
	if (alg[0] == 0x03) {
		if (opgp_tlv_find(d, n, 0x87, &h1, &l1) != 0 || opgp_tlv_find(d, n, 0x88, &h3, &l3) != 0 ||
		    l1 == 0 || l1 > OPGP_PIN_MAX || l3 == 0 || l3 > OPGP_PIN_MAX) {
			fprintf(stderr, "sim openpgp: KDF-DO without initial PIN hashes 87/88\n");
			return OPGP_SW_WRONG_DATA;
		}
	}
	if (opgp_blob_set(&s->kdf, d, n) != 0)
		return OPGP_SW_NO_MEMORY;
	opgp_pin_set(&s->pw[OPGP_PW1], h1 ? h1 : default_pw1, h1 ? l1 : sizeof(default_pw1) - 1);
	opgp_pin_set(&s->pw[OPGP_PW3], h3 ? h3 : default_pw3, h3 ? l3 : sizeof(default_pw3) - 1);
	opgp_pin_set(&s->pw[OPGP_RC], NULL, 0);
	s->pw1_81 = s->pw1_82 = 0;
	env->dirty = 1;
	return OPGP_SW_OK;
}

static uint16_t
put_private(struct opgp_state *s, unsigned tag, const uint8_t *d, size_t n, struct sim_env *env)
{
	int need_pw1 = tag == 0x0101 || tag == 0x0103;

	if (need_pw1 ? !s->pw1_82 : !s->pw3_83)
		return OPGP_SW_SEC_STATUS;
	return set_blob(&s->priv[tag - 0x0101], d, n, OPGP_SPECIAL_MAX, env);
}

static uint16_t
put_key_do(struct opgp_state *s, unsigned tag, const uint8_t *d, size_t n, struct sim_env *env)
{
	if (tag >= 0xC1 && tag <= 0xC3)
		return set_algo(s, (int)(tag - 0xC1), d, n, env);
	if (tag >= 0xC7 && tag <= 0xC9)
		return set_fixed(s->fpr[tag - 0xC7], 20, d, n, env);
	if (tag >= 0xCA && tag <= 0xCC)
		return set_fixed(s->cafpr[tag - 0xCA], 20, d, n, env);
	if (tag >= 0xCE && tag <= 0xD0)
		return set_fixed(s->gentime[tag - 0xCE], 4, d, n, env);
	return OPGP_SW_NOT_FOUND;
}

uint16_t
opgp_put_data(struct opgp_state *s, unsigned tag, const uint8_t *d, size_t n, struct sim_env *env)
{
	if (tag >= 0x0101 && tag <= 0x0104)
		return put_private(s, tag, d, n, env);
	if (!s->pw3_83) {
		fprintf(stderr, "sim openpgp: PUT DATA %04X refused: PW3 not verified\n", tag);
		return OPGP_SW_SEC_STATUS;
	}
	switch (tag) {
	case 0x5B: return set_blob(&s->name, d, n, OPGP_NAME_MAX, env);
	case 0x5F2D: return set_blob(&s->lang, d, n, 8, env);
	case 0x5F35: return set_blob(&s->sex, d, n, 1, env);
	case 0x5E: return set_blob(&s->login, d, n, OPGP_SPECIAL_MAX, env);
	case 0x5F50: return set_blob(&s->url, d, n, OPGP_SPECIAL_MAX, env);
	case 0x7F21:
		return set_blob(&s->cert[2 - s->cert_occurrence], d, n, OPGP_CERT_MAX, env);
	case 0xC4: return set_pw_status(s, d, n, env);
	case 0xD3: return set_reset_code(s, d, n, env);
	case 0xF9: return set_kdf(s, d, n, env);
	default: return put_key_do(s, tag, d, n, env);
	}
}

/* SELECT DATA for the three 7F21 instances: P1 occurrence (0 AUT, 1 DEC, 2 SIG), P2 04, data
 * 60 04 5C 02 7F 21 (some hosts omit the 60 wrapper). */
uint16_t
opgp_select_data(struct opgp_state *s, const struct sim_apdu *a)
{
	static const uint8_t want[] = { 0x7F, 0x21 };
	const uint8_t *d = a->data, *v;
	size_t n = a->lc, vlen;

	if (a->p1 > 2 || a->p2 != 0x04)
		return OPGP_SW_WRONG_P1P2;
	if (opgp_tlv_find(d, n, 0x60, &v, &vlen) == 0) {
		d = v;
		n = vlen;
	}
	if (opgp_tlv_find(d, n, 0x5C, &v, &vlen) != 0 || vlen != 2 || memcmp(v, want, 2) != 0) {
		fprintf(stderr, "sim openpgp: SELECT DATA: only 7F21 has instances\n");
		return OPGP_SW_WRONG_DATA;
	}
	s->cert_occurrence = a->p1;
	return OPGP_SW_OK;
}
