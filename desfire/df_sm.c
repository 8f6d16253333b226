/* df_sm.c — EV2 secure messaging: command MAC over Cmd || CmdCtr || TI || header || data,
 * FULL-mode encryption with IV = E(SesAuthENCKey, A5 5A || TI || CmdCtr || 0^8), response MAC
 * over RC || CmdCtr+1 || TI || data, response decryption with the 5A A5 IV, MACt truncation. */
#include <string.h>

#include <openssl/crypto.h>

#include "df_int.h"
#include "log.h"
#include "sk_err.h"

#define SM_BUF (DF_MAX_RESP + 64)

int df_sm_mac(const struct desfire *df, uint8_t code, uint16_t ctr, const uint8_t *p, size_t n,
    uint8_t mact[8])
{
	uint8_t buf[SM_BUF], cm[16];
	int r;

	if (n > sizeof(buf) - 7)
		return SK_ERR_TOOBIG;
	buf[0] = code;
	buf[1] = (uint8_t)(ctr & 0xff);
	buf[2] = (uint8_t)(ctr >> 8);
	memcpy(buf + 3, df->ti, 4);
	if (n > 0)
		memcpy(buf + 7, p, n);
	if ((r = df_cmac(df->kmac, buf, n + 7, cm)) == 0)
		df_mac_trunc(cm, mact);
	df_wipe(buf, sizeof(buf));
	df_wipe(cm, sizeof(cm));
	return r;
}

/* payload = hdr || data (FULL: hdr || E(pad(data))). */
static int build_payload(struct desfire *df, const uint8_t *hdr, size_t hlen,
    const uint8_t *data, size_t dlen, int cmode, uint8_t *out, size_t cap, size_t *outlen)
{
	uint8_t plain[SM_BUF], iv[16];
	size_t pn;
	int r = SK_ERR_TOOBIG;

	*outlen = 0;
	if (hlen > cap || dlen > sizeof(plain) - 16)
		return SK_ERR_TOOBIG;
	if (hlen > 0)
		memcpy(out, hdr, hlen);
	if (cmode != DESFIRE_COMM_FULL || dlen == 0) {
		if (dlen > cap - hlen)
			return SK_ERR_TOOBIG;
		if (dlen > 0)
			memcpy(out + hlen, data, dlen);
		*outlen = hlen + dlen;
		return 0;
	}
	memcpy(plain, data, dlen);
	if ((pn = df_pad(plain, dlen, sizeof(plain))) == 0 || pn > cap - hlen)
		goto out;
	if ((r = df_ev2_iv(df->kenc, 0, df->ti, df->ctr, iv)) != 0 ||
	    (r = df_aes_cbc(1, df->kenc, iv, plain, pn, out + hlen)) != 0)
		goto out;
	*outlen = hlen + pn;
	r = 0;
out:
	df_wipe(plain, sizeof(plain));
	df_wipe(iv, sizeof(iv));
	return r;
}

/* Checks the MACt that ends rsp (ctr already incremented) and decrypts for FULL. */
static int open_response(struct desfire *df, uint8_t st, uint8_t *rsp, size_t rlen, int rmode,
    uint8_t *out, size_t cap, size_t *outlen)
{
	uint8_t mact[8], iv[16], plain[SM_BUF];
	size_t body, pl;
	int r = SK_ERR_CRYPTO;

	if (rlen < 8) {
		sk_warn("desfire: secure messaging answer without MAC");
		return SK_ERR_BAD_RESPONSE;
	}
	body = rlen - 8;
	if ((r = df_sm_mac(df, st, df->ctr, rsp, body, mact)) != 0)
		goto out;
	if (CRYPTO_memcmp(mact, rsp + body, 8) != 0) {
		sk_warn("desfire: answer MAC does not verify");
		r = SK_ERR_CRYPTO;
		goto out;
	}
	if (rmode != DESFIRE_COMM_FULL) {
		r = SK_ERR_TOOBIG;
		if (body > cap)
			goto out;
		if (body > 0)
			memcpy(out, rsp, body);
		*outlen = body;
		r = 0;
		goto out;
	}
	r = SK_ERR_CRYPTO;
	if (body == 0 || body % 16 != 0 || body > sizeof(plain)) {
		sk_warn("desfire: encrypted answer of %zu bytes", body);
		goto out;
	}
	if ((r = df_ev2_iv(df->kenc, 1, df->ti, df->ctr, iv)) != 0 ||
	    (r = df_aes_cbc(0, df->kenc, iv, rsp, body, plain)) != 0 ||
	    (r = df_unpad(plain, body, &pl)) != 0)
		goto out;
	r = SK_ERR_TOOBIG;
	if (pl > cap)
		goto out;
	memcpy(out, plain, pl);
	*outlen = pl;
	r = 0;
out:
	df_wipe(plain, sizeof(plain));
	df_wipe(iv, sizeof(iv));
	return r;
}

static int sm_plain(struct desfire *df, uint8_t cmd, const uint8_t *hdr, size_t hlen,
    const uint8_t *data, size_t dlen, uint8_t *out, size_t cap, size_t *outlen)
{
	uint8_t buf[256], rsp[DF_MAX_RESP];
	size_t rlen = sizeof(rsp);
	uint8_t st;
	int r;

	if (hlen > sizeof(buf) || dlen > sizeof(buf) - hlen)
		return SK_ERR_TOOBIG;
	if (hlen > 0)
		memcpy(buf, hdr, hlen);
	if (dlen > 0)
		memcpy(buf + hlen, data, dlen);
	if ((r = df_exchange(df, cmd, buf, hlen + dlen, rsp, &rlen, &st)) != 0)
		goto out;
	if (st != DESFIRE_ST_OK) {
		sk_debug("desfire: command %02X refused with 91%02X", cmd, st);
		r = desfire_status_err(st);
		goto out;
	}
	r = SK_ERR_TOOBIG;
	if (rlen > cap)
		goto out;
	if (rlen > 0)
		memcpy(out, rsp, rlen);
	*outlen = rlen;
	r = 0;
out:
	df_wipe(buf, sizeof(buf));
	df_wipe(rsp, sizeof(rsp));
	return r;
}

int df_sm_cmd(struct desfire *df, uint8_t cmd, const uint8_t *hdr, size_t hlen,
    const uint8_t *data, size_t dlen, int cmode, int rmode, uint8_t *out, size_t cap,
    size_t *outlen)
{
	uint8_t pay[256], rsp[DF_MAX_RESP];
	size_t pn = 0, rlen = sizeof(rsp);
	uint8_t st = 0;
	int r;

	*outlen = 0;
	if (df->auth == DF_AUTH_NONE)
		return sm_plain(df, cmd, hdr, hlen, data, dlen, out, cap, outlen);
	if (df->auth != DF_AUTH_EV2) {
		sk_warn("desfire: command %02X is not supported in a legacy session", cmd);
		return SK_ERR_UNSUPPORTED;
	}
	if (cmode == DESFIRE_COMM_PLAIN && rmode == DESFIRE_COMM_PLAIN) {
		/* plain under an EV2 session: nothing protected, but the counter moves on */
		if ((r = sm_plain(df, cmd, hdr, hlen, data, dlen, out, cap, outlen)) == 0)
			df->ctr++;
		else
			desfire_clear_session(df);
		return r;
	}
	if ((r = build_payload(df, hdr, hlen, data, dlen, cmode, pay, sizeof(pay) - 8, &pn)) != 0 ||
	    (r = df_sm_mac(df, cmd, df->ctr, pay, pn, pay + pn)) != 0)
		goto out;
	if ((r = df_exchange(df, cmd, pay, pn + 8, rsp, &rlen, &st)) != 0) {
		desfire_clear_session(df);
		goto out;
	}
	if (st != DESFIRE_ST_OK) {
		/* the card drops its session on any error: follow it */
		sk_debug("desfire: command %02X refused with 91%02X", cmd, st);
		desfire_clear_session(df);
		r = desfire_status_err(st);
		goto out;
	}
	df->ctr++;
	if (rmode < 0) {
		/* ChangeKey of the authenticated key: no MAC, the session is over */
		desfire_clear_session(df);
		r = rlen == 0 ? 0 : SK_ERR_BAD_RESPONSE;
		goto out;
	}
	if ((r = open_response(df, st, rsp, rlen, rmode, out, cap, outlen)) != 0)
		desfire_clear_session(df);
out:
	df_wipe(pay, sizeof(pay));
	df_wipe(rsp, sizeof(rsp));
	return r;
}
