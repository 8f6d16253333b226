/* ctap_iso.c — CTAP over ISO 7816-4: SELECT, NFCCTAP_MSG with extended length or chaining,
 * the 9100 keep-alive loop with NFCCTAP_GETRESPONSE, and U2F APDUs. GET RESPONSE (61xx) and
 * chaining are common/card.c's. */
#include "ctap_iso.h"

#include <string.h>

#include "common/buf.h"
#include "common/card.h"
#include "common/log.h"
#include "common/sk_err.h"

const uint8_t ctap_iso_aid[CTAP_ISO_AID_LEN] = { 0xA0, 0x00, 0x00, 0x06, 0x47, 0x2F, 0x00, 0x01 };

#define SW_OK        0x9000u
#define SW_KEEPALIVE 0x9100u
#define SW_WRONG_LEN 0x6700u
#define DEFAULT_POLLS 10000u

int ctap_iso_select(struct sk_card *c, char *ver, size_t vlen)
{
	struct sk_apdu a = { 0x00, 0xA4, 0x04, 0x00, ctap_iso_aid, sizeof(ctap_iso_aid), 256, 0 };
	struct sk_buf *rsp = sk_buf_new(256);
	uint16_t sw = 0;
	size_t n;
	int r = SK_ERR_NOMEM;

	if (ver != NULL && vlen > 0)
		ver[0] = '\0';
	if (rsp == NULL)
		goto out;
	if ((r = sk_card_apdu(c, &a, rsp, &sw)) != 0)
		goto out;
	if (sw != SW_OK) {
		sk_debug("fido: SELECT answered %04X", sw);
		r = sw == 0x6A82 ? SK_ERR_NOT_FOUND : sk_sw_to_err(sw);
		goto out;
	}
	if (ver != NULL && vlen > 0) {
		n = sk_buf_len(rsp) < vlen - 1 ? sk_buf_len(rsp) : vlen - 1;
		memcpy(ver, sk_buf_ptr(rsp), n);
		ver[n] = '\0';
	}
	r = 0;
out:
	sk_buf_free(&rsp);
	return r;
}

int ctap_iso_selected(const struct sk_card *c)
{
	return sk_card_is_selected(c, ctap_iso_aid, sizeof(ctap_iso_aid));
}

/* NFCCTAP_MSG: extended length first (one APDU for the whole message and answer); a chip that
 * refuses the extended form (6700 before it processed anything) gets the chained short form. */
static int send_msg(struct sk_card *c, const uint8_t *msg, size_t len, struct sk_buf *rsp,
    uint16_t *sw)
{
	struct sk_apdu a = { 0x80, 0x10, 0x00, 0x00, msg, len, SK_LE_MAX, SK_APDU_EXTENDED_ALWAYS };
	int r;

	if ((r = sk_card_apdu(c, &a, rsp, sw)) != 0 || *sw != SW_WRONG_LEN)
		return r;
	sk_debug("fido: extended NFCCTAP_MSG refused (6700): chained short APDUs");
	a.flags = 0;
	a.le = 256;
	return sk_card_apdu(c, &a, rsp, sw);
}

static int poll_keepalive(struct sk_card *c, const struct ctap_iso_wait *w, struct sk_buf *rsp,
    uint16_t *sw)
{
	struct sk_apdu get = { 0x80, 0x11, 0x00, 0x00, NULL, 0, SK_LE_MAX, SK_APDU_EXTENDED_ALWAYS };
	unsigned polls = 0, max = w != NULL && w->max_polls ? w->max_polls : DEFAULT_POLLS;
	int r;

	while (*sw == SW_KEEPALIVE) {
		uint8_t st = sk_buf_len(rsp) > 0 ? sk_buf_ptr(rsp)[0] : 0;

		if (++polls > max) {
			sk_warn("fido: the chip kept answering 9100 (%u polls)", max);
			return SK_ERR_TIMEOUT;
		}
		if (w != NULL && w->keepalive != NULL && w->keepalive(w->arg, st) != 0) {
			sk_info("fido: keep-alive wait cancelled");
			return SK_ERR_CANCELED;
		}
		if ((r = sk_card_apdu(c, &get, rsp, sw)) != 0)
			return r;
	}
	return 0;
}

int ctap_iso_cbor(struct sk_card *c, const uint8_t *msg, size_t len, const struct ctap_iso_wait *w,
    struct sk_buf *rsp, uint16_t *sw)
{
	int r;

	*sw = 0;
	if (msg == NULL || len == 0 || len > CTAP_ISO_MSG_MAX)
		return SK_ERR_ARG;
	if ((r = send_msg(c, msg, len, rsp, sw)) != 0)
		return r;
	if ((r = poll_keepalive(c, w, rsp, sw)) != 0)
		return r;
	if (*sw == SW_OK && sk_buf_len(rsp) == 0) {
		sk_warn("fido: empty CTAP answer");
		return SK_ERR_BAD_RESPONSE;
	}
	if (*sw != SW_OK)
		sk_debug("fido: NFCCTAP_MSG answered %04X", *sw);
	return 0;
}

static int parse_extended(const uint8_t *p, size_t n, struct ctap_iso_apdu *a)
{
	size_t lc;

	if (n == 7) {                       /* 00 Le Le */
		a->le = ((size_t)p[5] << 8 | p[6]) ? ((size_t)p[5] << 8 | p[6]) : 65536;
		return 0;
	}
	lc = (size_t)p[5] << 8 | p[6];
	if (lc == 0 || lc > n - 7)
		return SK_ERR_FORMAT;
	a->data = p + 7;
	a->lc = lc;
	if (n - 7 - lc == 0)
		return 0;
	if (n - 7 - lc != 2)
		return SK_ERR_FORMAT;
	a->le = ((size_t)p[n - 2] << 8 | p[n - 1]) ? ((size_t)p[n - 2] << 8 | p[n - 1]) : 65536;
	return 0;
}

int ctap_iso_parse_apdu(const uint8_t *p, size_t n, struct ctap_iso_apdu *a)
{
	size_t lc;

	memset(a, 0, sizeof(*a));
	if (p == NULL || n < 4)
		return SK_ERR_FORMAT;
	a->cla = p[0];
	a->ins = p[1];
	a->p1 = p[2];
	a->p2 = p[3];
	if (n == 4)
		return 0;
	if (n == 5) {
		a->le = p[4] ? p[4] : 256;
		return 0;
	}
	if (p[4] == 0)
		return n < 7 ? SK_ERR_FORMAT : parse_extended(p, n, a);
	lc = p[4];
	if (lc > n - 5)
		return SK_ERR_FORMAT;
	a->data = p + 5;
	a->lc = lc;
	if (n - 5 - lc == 0)
		return 0;
	if (n - 5 - lc != 1)
		return SK_ERR_FORMAT;
	a->le = p[n - 1] ? p[n - 1] : 256;
	return 0;
}

int ctap_iso_u2f(struct sk_card *c, const uint8_t *apdu, size_t len, struct sk_buf *rsp)
{
	struct ctap_iso_apdu p;
	struct sk_apdu a;
	uint8_t swb[2];
	uint16_t sw = 0;
	int r;

	if ((r = ctap_iso_parse_apdu(apdu, len, &p)) != 0) {
		sk_info("fido: U2F request of %zu bytes is no APDU", len);
		return r;
	}
	if ((p.cla & 0x80) == 0 && p.ins == 0xA4) {
		sk_info("fido: U2F request is a SELECT: refused (the relay selects the applet itself)");
		return SK_ERR_ARG;
	}
	a = (struct sk_apdu){ p.cla, p.ins, p.p1, p.p2, p.data, p.lc, p.le, SK_APDU_EXTENDED_ALWAYS };
	if ((r = sk_card_apdu(c, &a, rsp, &sw)) != 0)
		return r;
	swb[0] = (uint8_t)(sw >> 8);
	swb[1] = (uint8_t)sw;
	return sk_buf_put(rsp, swb, sizeof(swb));
}
