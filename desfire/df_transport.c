/* df_transport.c — ISO 7816-4 wrapping of native DESFire commands (90 CMD 00 00 Lc data 00),
 * 91 xx status handling and 91 AF additional-frame collection; the session object. */
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "df_int.h"
#include "log.h"
#include "sk_err.h"

const uint8_t desfire_picc_aid[3] = { 0, 0, 0 };

int desfire_new(const struct desfire_io *io, struct desfire **out)
{
	struct desfire *df;

	if (out == NULL)
		return SK_ERR_ARG;
	*out = NULL;
	if (io == NULL || io->transmit == NULL)
		return SK_ERR_ARG;
	if ((df = calloc(1, sizeof(*df))) == NULL)
		return SK_ERR_NOMEM;
	df->io = *io;
	*out = df;
	return 0;
}

void desfire_clear_session(struct desfire *df)
{
	if (df == NULL)
		return;
	df->auth = DF_AUTH_NONE;
	df->keyno = 0;
	df->ctr = 0;
	df_wipe(df->kenc, sizeof(df->kenc));
	df_wipe(df->kmac, sizeof(df->kmac));
	df_wipe(df->ti, sizeof(df->ti));
	df_wipe(df->iv, sizeof(df->iv));
}

void desfire_free(struct desfire **df)
{
	if (df == NULL || *df == NULL)
		return;
	desfire_clear_session(*df);
	df_wipe(*df, sizeof(**df));
	free(*df);
	*df = NULL;
}

unsigned desfire_apdu_count(const struct desfire *df)
{
	return df->apdus;
}

void desfire_reset_apdu_count(struct desfire *df)
{
	df->apdus = 0;
}

uint8_t desfire_last_status(const struct desfire *df)
{
	return df->status;
}

int desfire_is_authenticated(const struct desfire *df)
{
	return (int)df->auth;
}

int desfire_status_err(uint8_t status)
{
	switch (status) {
	case DESFIRE_ST_OK:
		return 0;
	case DESFIRE_ST_AUTH_ERROR:
	case DESFIRE_ST_PERMISSION:
		return SK_ERR_DENIED;
	case DESFIRE_ST_APP_NOT_FOUND:
	case DESFIRE_ST_FILE_NOT_FOUND:
	case DESFIRE_ST_NO_SUCH_KEY:
		return SK_ERR_NOT_FOUND;
	case DESFIRE_ST_DUPLICATE:
		return SK_ERR_EXISTS;
	case DESFIRE_ST_INTEGRITY:
		return SK_ERR_CRYPTO;
	default:
		return SK_ERR_SW;
	}
}

int df_frame(struct desfire *df, uint8_t cmd, const uint8_t *data, size_t len, uint8_t *resp,
    size_t *rlen, uint8_t *st)
{
	uint8_t apdu[5 + 255 + 1];
	uint8_t rbuf[258];
	size_t n = 0, rn = sizeof(rbuf), cap = *rlen;
	struct sk_cur c;
	const uint8_t *body;
	uint8_t sw1 = 0, sw2 = 0;
	int r;

	*rlen = 0;
	if (len > 255)
		return SK_ERR_TOOBIG;
	apdu[n++] = 0x90;
	apdu[n++] = cmd;
	apdu[n++] = 0x00;
	apdu[n++] = 0x00;
	if (len > 0) {
		apdu[n++] = (uint8_t)len;
		memcpy(apdu + n, data, len);
		n += len;
	}
	apdu[n++] = 0x00;
	df->apdus++;
	r = df->io.transmit(df->io.ctx, apdu, n, rbuf, &rn);
	df_wipe(apdu, sizeof(apdu));
	if (r != 0) {
		sk_debug("desfire: transmit of command %02X failed (%d)", cmd, r);
		goto out;
	}
	r = SK_ERR_BAD_RESPONSE;
	if (rn > sizeof(rbuf) || rn < 2) {
		sk_warn("desfire: answer of %zu bytes to command %02X", rn, cmd);
		goto out;
	}
	sk_cur_init(&c, rbuf, rn);
	if (sk_cur_bytes(&c, rn - 2, &body) != 0 || sk_cur_u8(&c, &sw1) != 0 ||
	    sk_cur_u8(&c, &sw2) != 0)
		goto out;
	if (sw1 != 0x91) {
		sk_warn("desfire: status %02X%02X is not a DESFire status (command %02X)", sw1, sw2, cmd);
		goto out;
	}
	if (rn - 2 > cap) {
		sk_warn("desfire: answer to %02X longer than expected", cmd);
		r = SK_ERR_TOOBIG;
		goto out;
	}
	memcpy(resp, body, rn - 2);
	*rlen = rn - 2;
	*st = sw2;
	df->status = sw2;
	r = 0;
out:
	df_wipe(rbuf, sizeof(rbuf));
	return r;
}

int df_exchange(struct desfire *df, uint8_t cmd, const uint8_t *data, size_t len,
    uint8_t *resp, size_t *rlen, uint8_t *st)
{
	size_t cap = *rlen, have = 0, n;
	unsigned frames = 0;
	int r;

	*rlen = 0;
	*st = 0xFF;
	for (;;) {
		n = cap - have;
		if (frames == 0)
			r = df_frame(df, cmd, data, len, resp + have, &n, st);
		else
			r = df_frame(df, 0xAF, NULL, 0, resp + have, &n, st);
		if (r != 0)
			return r;
		have += n;
		if (*st != DESFIRE_ST_MORE)
			break;
		if (++frames >= DF_MAX_FRAMES) {
			sk_warn("desfire: too many additional frames for command %02X", cmd);
			return SK_ERR_BAD_RESPONSE;
		}
	}
	*rlen = have;
	return 0;
}
