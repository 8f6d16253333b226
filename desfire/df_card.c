/* df_card.c — plugs a common/card.h sk_card (PC/SC or mock) in as the driver's transport, so
 * DESFire APDUs go through the shared engine (transactions, traces with CLA 90 redacted). */
#include <string.h>

#include "buf.h"
#include "card.h"
#include "df_int.h"
#include "log.h"
#include "sk_err.h"

/* The APDU comes from df_frame: 90 ins 00 00 [Lc data] 00. */
static int card_transmit(void *ctx, const uint8_t *apdu, size_t len, uint8_t *resp,
    size_t *resp_len)
{
	struct sk_card *card = ctx;
	struct sk_apdu a;
	struct sk_buf *rb = NULL;
	uint16_t sw = 0;
	size_t cap = *resp_len, n;
	int r;

	*resp_len = 0;
	if (len < 5)
		return SK_ERR_ARG;
	memset(&a, 0, sizeof(a));
	a.cla = apdu[0];
	a.ins = apdu[1];
	a.p1 = apdu[2];
	a.p2 = apdu[3];
	if (len > 5) {
		a.lc = apdu[4];
		if (a.lc != len - 6)
			return SK_ERR_ARG;
		a.data = apdu + 5;
	}
	a.le = 256;
	a.flags = SK_APDU_SECRET | SK_APDU_NO_CHAIN;
	if ((rb = sk_buf_new_secure(4096)) == NULL)
		return SK_ERR_NOMEM;
	if ((r = sk_card_apdu(card, &a, rb, &sw)) != 0)
		goto out;
	n = sk_buf_len(rb);
	r = SK_ERR_TOOBIG;
	if (n > cap || cap - n < 2)
		goto out;
	memcpy(resp, sk_buf_ptr(rb), n);
	resp[n] = (uint8_t)(sw >> 8);
	resp[n + 1] = (uint8_t)(sw & 0xff);
	*resp_len = n + 2;
	r = 0;
out:
	sk_buf_free(&rb);
	return r;
}

void desfire_io_from_card(struct sk_card *card, struct desfire_io *io)
{
	memset(io, 0, sizeof(*io));
	io->ctx = card;
	io->transmit = card_transmit;
}
