/* fuzz_resp.c — libFuzzer harness for every card-answer parser of the DESFire driver: the
 * input is a series of frames (1 length byte + bytes, SW included) answered to GetVersion,
 * AuthenticateEV2First, GetCardUID and ReadData under a fake EV2 session, Read_Sig,
 * GetKeyVersion and the legacy AuthenticateISO. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "df_int.h"
#include "sk_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct feed {
	const uint8_t *p;
	size_t n;
};

static int feed_transmit(void *ctx, const uint8_t *apdu, size_t len, uint8_t *resp,
    size_t *rlen)
{
	struct feed *f = ctx;
	size_t k;

	(void)apdu; (void)len;
	if (f->n == 0)
		return SK_ERR_CARD_REMOVED;
	k = f->p[0];
	f->p++;
	f->n--;
	if (k > f->n)
		k = f->n;
	if (k > *rlen)
		k = *rlen;
	memcpy(resp, f->p, k);
	*rlen = k;
	f->p += k;
	f->n -= k;
	return 0;
}

static int fixed_random(void *ctx, uint8_t *buf, size_t n)
{
	(void)ctx;
	memset(buf, 0x5A, n);
	return 0;
}

static void fake_session(struct desfire *df)
{
	memset(df->kenc, 0x11, 16);
	memset(df->kmac, 0x22, 16);
	memset(df->ti, 0x33, 4);
	df->ctr = 0;
	df->auth = DF_AUTH_EV2;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct feed f = { data, size };
	struct desfire_io io = { &f, feed_transmit, fixed_random };
	struct desfire *df = NULL;
	struct desfire_version v;
	uint8_t key[16] = { 0 }, uid[7], buf[80], sig[56], ver;

	if (desfire_new(&io, &df) != 0)
		return 0;
	(void)desfire_get_version(df, &v);
	(void)desfire_auth_ev2first(df, 0, key);
	fake_session(df);
	(void)desfire_get_card_uid(df, uid);
	fake_session(df);
	(void)desfire_read_data(df, 1, DESFIRE_COMM_FULL, 0, buf, sizeof(buf));
	fake_session(df);
	(void)desfire_read_data(df, 1, DESFIRE_COMM_MAC, 0, buf, 40);
	fake_session(df);
	(void)desfire_get_version(df, &v);
	desfire_clear_session(df);
	(void)desfire_read_sig(df, sig);
	(void)desfire_get_key_version(df, 0, &ver);
	(void)desfire_auth_iso(df, 0, key);
	desfire_free(&df);
	return 0;
}
