/* opgp_apdu.c — sending OpenPGP commands: status word mapping, GET/PUT DATA, SELECT. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "card.h"
#include "log.h"
#include "opgp_int.h"
#include "secmem.h"
#include "sk_err.h"

static const uint8_t opgp_aid[6] = { 0xD2, 0x76, 0x00, 0x01, 0x24, 0x01 };

int opgp_cmd(struct sk_card *card, const char *what, uint8_t ins, uint8_t p1, uint8_t p2,
    const uint8_t *data, size_t lc, size_t le, unsigned flags, struct sk_buf *rsp, uint16_t *sw)
{
	struct sk_apdu a = { 0x00, ins, p1, p2, data, lc, le, flags | SK_APDU_EXTENDED_OK };
	uint16_t st = 0;
	int r;

	if (sw != NULL)
		*sw = 0;
	if (card == NULL)
		return SK_ERR_ARG;
	if ((r = sk_card_apdu(card, &a, rsp, &st)) != 0) {
		sk_debug("openpgp: %s: transport failed: %s", what, sk_strerror(r));
		return r;
	}
	if (sw != NULL)
		*sw = st;
	if (st == 0x9000)
		return 0;
	r = sk_sw_to_err(st);
	sk_debug("openpgp: %s: card answered %04X (%s)", what, st, sk_strerror(r));
	return r;
}

int opgp_select(struct sk_card *card)
{
	return opgp_cmd(card, "SELECT OpenPGP", 0xA4, 0x04, 0x00, opgp_aid, sizeof(opgp_aid), 0, 0,
	    NULL, NULL);
}

int opgp_select_in_tx(struct sk_card *card)
{
	if (sk_card_selected_in_tx(card, opgp_aid, sizeof(opgp_aid))) {
		sk_debug("openpgp: selected in this transaction already");
		return 0;
	}
	return opgp_select(card);
}

int opgp_get_data_buf(struct sk_card *card, uint16_t tag, struct sk_buf *rsp)
{
	return opgp_cmd(card, "GET DATA", 0xCA, (uint8_t)(tag >> 8), (uint8_t)tag, NULL, 0,
	    SK_LE_MAX, 0, rsp, NULL);
}

int opgp_buf_dup(const struct sk_buf *b, uint8_t **out, size_t *out_len)
{
	size_t n = sk_buf_len(b);

	*out = NULL;
	*out_len = 0;
	if (n == 0)
		return 0;
	if ((*out = malloc(n)) == NULL)
		return SK_ERR_NOMEM;
	memcpy(*out, sk_buf_ptr(b), n);
	*out_len = n;
	return 0;
}

int opgp_get_data(struct sk_card *card, uint16_t tag, uint8_t **out, size_t *out_len)
{
	struct sk_buf *b = NULL;
	int r = SK_ERR_INTERNAL;

	if (out != NULL)
		*out = NULL;
	if (out_len != NULL)
		*out_len = 0;
	if (out == NULL || out_len == NULL)
		return SK_ERR_ARG;
	if ((b = sk_buf_new(OPGP_RSP_MAX)) == NULL)
		return SK_ERR_NOMEM;
	if ((r = opgp_get_data_buf(card, tag, b)) != 0)
		goto out;
	r = opgp_buf_dup(b, out, out_len);
out:
	sk_buf_free(&b);
	return r;
}

static unsigned put_data_flags(uint16_t tag)
{
	/* resetting code, SM / AES keys and the KDF-DO are secrets in the trace */
	if (tag == 0xD1 || tag == 0xD2 || tag == 0xD3 || tag == 0xD5 || tag == 0xF9)
		return SK_APDU_SECRET;
	return 0;
}

int opgp_put_data(struct sk_card *card, uint16_t tag, const uint8_t *p, size_t n)
{
	if (p == NULL && n != 0)
		return SK_ERR_ARG;
	return opgp_cmd(card, "PUT DATA", 0xDA, (uint8_t)(tag >> 8), (uint8_t)tag, p, n, 0,
	    put_data_flags(tag), NULL, NULL);
}

uint8_t opgp_crt_tag(enum opgp_key key)
{
	switch (key) {
	case OPGP_KEY_SIG: return 0xB6;
	case OPGP_KEY_DEC: return 0xB8;
	case OPGP_KEY_AUT: return 0xA4;
	default: return 0;
	}
}

int opgp_factory_reset(struct sk_card *card, const char *pw3, size_t pw3_len)
{
	uint16_t sw = 0;
	int r;

	if (card == NULL)
		return SK_ERR_ARG;
	if ((r = sk_card_begin(card)) != 0)
		return r;
	r = opgp_cmd(card, "SELECT OpenPGP", 0xA4, 0x04, 0x00, opgp_aid, sizeof(opgp_aid), 0, 0,
	    NULL, &sw);
	if (sw == 0x6285) {
		sk_info("openpgp: application already terminated; activating it");
	} else {
		if (r != 0)
			goto out;
		if (pw3 != NULL && (r = opgp_verify(card, OPGP_PW3, pw3, pw3_len, NULL)) != 0)
			goto out;
		if ((r = opgp_cmd(card, "TERMINATE DF", 0xE6, 0, 0, NULL, 0, 0, 0, NULL, NULL)) != 0)
			goto out;
	}
	if ((r = opgp_cmd(card, "ACTIVATE FILE", 0x44, 0, 0, NULL, 0, 0, 0, NULL, NULL)) != 0)
		goto out;
	r = opgp_select(card);
out:
	(void)sk_card_end(card);
	return r;
}
