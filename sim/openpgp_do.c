/* openpgp_do.c — GET DATA, PUT DATA and SELECT DATA of the OpenPGP applet: the data objects of
 * OpenPGP card 3.4 with their access conditions. */
#include <stdio.h>
#include <string.h>

#include "openpgp_int.h"

/* Category 00, card capabilities (73: DF selection by full/partial name, chaining, extended
 * Lc/Le), life cycle 05 + 9000. */
static const uint8_t hist_bytes[] = { 0x00, 0x31, 0xC5, 0x73, 0xC0, 0x01, 0xC0, 0x05, 0x90, 0x00 };

static const uint8_t ext_caps[10] = {
	0x7D,        /* GET CHALLENGE, key import, PW status changeable, private DOs, algo attr
	                change, KDF-DO (no SM, no AES) */
	0x00,        /* no secure messaging */
	OPGP_MAX_RSP >> 8, OPGP_MAX_RSP & 0xFF,     /* max GET CHALLENGE */
	OPGP_CERT_MAX >> 8, OPGP_CERT_MAX & 0xFF,   /* max cardholder certificate */
	0x00, OPGP_SPECIAL_MAX,                     /* max special DO */
	0x00,        /* PIN block 2 format not supported */
	0x00,        /* MSE not supported */
};

int
opgp_build_aid(const struct opgp_state *s, uint8_t aid[16])
{
	static const uint8_t head[] = { 0xD2, 0x76, 0x00, 0x01, 0x24, 0x01, 0x03, 0x04, 0xFF, 0xFE };

	memcpy(aid, head, sizeof(head));
	memcpy(aid + 10, s->serial, 4);
	aid[14] = aid[15] = 0;
	return 0;
}

static int
put_pw_status(const struct opgp_state *s, struct sim_rbuf *r)
{
	uint8_t b[7] = { s->pw1_multi, OPGP_PIN_MAX, OPGP_PIN_MAX, OPGP_PIN_MAX,
		s->pw[OPGP_PW1].tries, s->pw[OPGP_RC].tries, s->pw[OPGP_PW3].tries };

	return opgp_put_tlv(r, 0xC4, b, sizeof(b));
}

static int
put_key_info(const struct opgp_state *s, struct sim_rbuf *r)
{
	uint8_t b[6] = { 0x01, s->key_origin[0], 0x02, s->key_origin[1], 0x03, s->key_origin[2] };

	return opgp_put_tlv(r, 0xDE, b, sizeof(b));
}

/* PADDED: meaningless 00/FF bytes between objects, as an erased or rewritten DO leaves them. */
static int
put_padding(struct sim_rbuf *r)
{
	static const uint8_t pad[] = { 0xFF, 0x00 };

	return sim_encoding() == SIM_ENC_PADDED ? sim_rbuf_put(r, pad, sizeof(pad)) : 0;
}

/* One child of 73, by position in the order OpenPGP card 3.4 lists them. */
static int
put_discretionary_child(const struct opgp_state *s, struct sim_rbuf *r, int i)
{
	switch (i) {
	case 0: return opgp_put_tlv(r, 0xC0, ext_caps, sizeof(ext_caps));
	case 1: case 2: case 3:
		return opgp_put_tlv(r, 0xC1u + (unsigned)(i - 1), s->algo[i - 1], s->algo_len[i - 1]);
	case 4: return put_pw_status(s, r);
	case 5: return opgp_put_tlv(r, 0xC5, s->fpr, sizeof(s->fpr));
	case 6: return opgp_put_tlv(r, 0xC6, s->cafpr, sizeof(s->cafpr));
	case 7: return opgp_put_tlv(r, 0xCD, s->gentime, sizeof(s->gentime));
	default: return put_key_info(s, r);
	}
}

/* BER-TLV templates have no order: the real-card encodings list the children backwards. */
static int
put_discretionary(const struct opgp_state *s, struct sim_rbuf *r)
{
	size_t start = r->len;
	int i, e = 0, rev = sim_encoding() != SIM_ENC_MINIMAL;

	for (i = 0; i < 9; i++) {
		e |= put_discretionary_child(s, r, rev ? 8 - i : i);
		e |= put_padding(r);
	}
	return e != 0 ? -1 : opgp_wrap(r, start, 0x73);
}

static int
put_ext_len_info(struct sim_rbuf *r)
{
	static const uint8_t v[] = { 0x02, 0x02, OPGP_MAX_CMD >> 8, OPGP_MAX_CMD & 0xFF,
		0x02, 0x02, OPGP_MAX_RSP >> 8, OPGP_MAX_RSP & 0xFF };
	size_t start = r->len;
	int e = 0;

	if (sim_encoding() == SIM_ENC_MINIMAL)
		return opgp_put_tlv(r, 0x7F66, v, sizeof(v));
	e |= opgp_put_tlv(r, 0x02, v + 2, 2);
	e |= opgp_put_tlv(r, 0x02, v + 6, 2);
	return e != 0 ? -1 : opgp_wrap(r, start, 0x7F66);
}

static int
put_feature_mgmt(struct sim_rbuf *r)
{
	static const uint8_t v[] = { 0x81, 0x01, 0x00 };  /* an implant has no button or display */

	return opgp_put_tlv(r, 0x7F74, v, sizeof(v));
}

static int
put_app_child(const struct opgp_state *s, struct sim_rbuf *r, int i)
{
	uint8_t aid[16];

	switch (i) {
	case 0:
		opgp_build_aid(s, aid);
		return opgp_put_tlv(r, 0x4F, aid, sizeof(aid));
	case 1: return opgp_put_tlv(r, 0x5F52, hist_bytes, sizeof(hist_bytes));
	case 2: return put_ext_len_info(r);
	case 3: return put_feature_mgmt(r);
	default: return put_discretionary(s, r);
	}
}

static int
put_app_related(const struct opgp_state *s, struct sim_rbuf *r)
{
	int i, e = 0, rev = sim_encoding() != SIM_ENC_MINIMAL;

	for (i = 0; i < 5; i++) {
		e |= put_app_child(s, r, rev ? 4 - i : i);
		e |= put_padding(r);
	}
	return e != 0 ? -1 : 0;
}

static int
put_cardholder(const struct opgp_state *s, struct sim_rbuf *r)
{
	int e = 0;

	e |= opgp_put_tlv(r, 0x5B, s->name.p, s->name.len);
	e |= opgp_put_tlv(r, 0x5F2D, s->lang.p, s->lang.len);
	e |= opgp_put_tlv(r, 0x5F35, s->sex.p, s->sex.len);
	return e != 0 ? -1 : 0;
}

static int
put_sig_counter(const struct opgp_state *s, struct sim_rbuf *r)
{
	uint8_t c[3] = { (uint8_t)(s->sig_count >> 16), (uint8_t)(s->sig_count >> 8),
		(uint8_t)s->sig_count };

	return opgp_put_tlv(r, 0x93, c, sizeof(c));
}

/* FA: the algorithms this card accepts in C1..C3 (3.4 "algorithm information"). */
static int
put_algo_info(struct sim_rbuf *r)
{
	static const uint8_t rsa2k[] = { 0x01, 0x08, 0x00, 0x00, 0x20, 0x00 };
	static const uint8_t rsa4k[] = { 0x01, 0x10, 0x00, 0x00, 0x20, 0x00 };
	static const uint8_t p256[] = { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07 };
	static const uint8_t p384[] = { 0x2B, 0x81, 0x04, 0x00, 0x22 };
	static const uint8_t ed[] = { 0x16, 0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01 };
	static const uint8_t cv[] = { 0x12, 0x2B, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05,
		0x01 };
	uint8_t a[16];
	unsigned tag;
	int e = 0;

	for (tag = 0xC1; tag <= 0xC3; tag++) {
		e |= opgp_put_tlv(r, tag, rsa2k, sizeof(rsa2k));
		e |= opgp_put_tlv(r, tag, rsa4k, sizeof(rsa4k));
		a[0] = tag == 0xC2 ? 0x12 : 0x13;
		memcpy(a + 1, p256, sizeof(p256));
		e |= opgp_put_tlv(r, tag, a, 1 + sizeof(p256));
		memcpy(a + 1, p384, sizeof(p384));
		e |= opgp_put_tlv(r, tag, a, 1 + sizeof(p384));
		if (tag == 0xC2)
			e |= opgp_put_tlv(r, tag, cv, sizeof(cv));
		else
			e |= opgp_put_tlv(r, tag, ed, sizeof(ed));
	}
	return e != 0 ? -1 : 0;
}

static int
put_constructed(const struct opgp_state *s, unsigned tag, struct sim_rbuf *r)
{
	size_t start = r->len;
	int e;

	switch (tag) {
	case 0x6E: e = put_app_related(s, r); break;
	case 0x65: e = put_cardholder(s, r); break;
	case 0x7A: e = put_sig_counter(s, r); break;
	case 0xFA: e = put_algo_info(r); break;
	default: return -1;
	}
	return e != 0 ? -1 : opgp_wrap(r, start, tag);
}

static uint16_t
get_pw_status(const struct opgp_state *s, struct sim_rbuf *r)
{
	uint8_t b[7] = { s->pw1_multi, OPGP_PIN_MAX, OPGP_PIN_MAX, OPGP_PIN_MAX,
		s->pw[OPGP_PW1].tries, s->pw[OPGP_RC].tries, s->pw[OPGP_PW3].tries };

	return sim_rbuf_put(r, b, sizeof(b)) == 0 ? OPGP_SW_OK : OPGP_SW_NO_MEMORY;
}

static uint16_t
sw_of(int e)
{
	return e == 0 ? OPGP_SW_OK : OPGP_SW_NO_MEMORY;
}

static uint16_t
put_bytes(struct sim_rbuf *r, const void *p, size_t n)
{
	if (n == 0)
		return OPGP_SW_OK;
	return sim_rbuf_put(r, p, n) == 0 ? OPGP_SW_OK : OPGP_SW_NO_MEMORY;
}

static uint16_t
get_private_do(const struct opgp_state *s, unsigned tag, struct sim_rbuf *r)
{
	if (tag == 0x0103 && !s->pw1_82)
		return OPGP_SW_SEC_STATUS;
	if (tag == 0x0104 && !s->pw3_83)
		return OPGP_SW_SEC_STATUS;
	return put_bytes(r, s->priv[tag - 0x0101].p, s->priv[tag - 0x0101].len);
}

static uint16_t
get_key_do(const struct opgp_state *s, unsigned tag, struct sim_rbuf *r)
{
	uint8_t b[3] = { (uint8_t)(s->sig_count >> 16), (uint8_t)(s->sig_count >> 8),
		(uint8_t)s->sig_count };
	uint8_t ki[6] = { 0x01, s->key_origin[0], 0x02, s->key_origin[1], 0x03, s->key_origin[2] };

	switch (tag) {
	case 0xC5: return put_bytes(r, s->fpr, sizeof(s->fpr));
	case 0xC6: return put_bytes(r, s->cafpr, sizeof(s->cafpr));
	case 0xCD: return put_bytes(r, s->gentime, sizeof(s->gentime));
	case 0xDE: return put_bytes(r, ki, sizeof(ki));
	case 0x93: return put_bytes(r, b, sizeof(b));
	case 0xC1: case 0xC2: case 0xC3:
		return put_bytes(r, s->algo[tag - 0xC1], s->algo_len[tag - 0xC1]);
	default: return OPGP_SW_NOT_FOUND;
	}
}

uint16_t
opgp_get_data(struct opgp_state *s, unsigned tag, struct sim_rbuf *r)
{
	uint8_t aid[16];

	switch (tag) {
	case 0x4F:
		opgp_build_aid(s, aid);
		return put_bytes(r, aid, sizeof(aid));
	case 0x5E: return put_bytes(r, s->login.p, s->login.len);
	case 0x5F50: return put_bytes(r, s->url.p, s->url.len);
	case 0x5F52: return put_bytes(r, hist_bytes, sizeof(hist_bytes));
	case 0x5B: return put_bytes(r, s->name.p, s->name.len);
	case 0x5F2D: return put_bytes(r, s->lang.p, s->lang.len);
	case 0x5F35: return put_bytes(r, s->sex.p, s->sex.len);
	case 0xF9: return put_bytes(r, s->kdf.p, s->kdf.len);
	case 0xC0: return put_bytes(r, ext_caps, sizeof(ext_caps));
	case 0xC4: return get_pw_status(s, r);
	case 0x73: return sw_of(put_discretionary(s, r));
	case 0x7F66: return sw_of(put_ext_len_info(r));
	case 0x7F74: return sw_of(put_feature_mgmt(r));
	case 0x7F21: return put_bytes(r, s->cert[2 - s->cert_occurrence].p,
	    s->cert[2 - s->cert_occurrence].len);
	case 0x0101: case 0x0102: case 0x0103: case 0x0104: return get_private_do(s, tag, r);
	case 0x6E: case 0x65: case 0x7A: case 0xFA:
		/* constructed DOs answer with their own tag, as real cards do */
		return sw_of(put_constructed(s, tag, r));
	default: return get_key_do(s, tag, r);
	}
}
