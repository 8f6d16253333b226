/* df_auth.c — AuthenticateEV2First (71 + AF, AES-128) and the legacy AuthenticateISO
 * (1A + AF, 2TDEA) used once, to convert a factory PICC master key. */
#include <string.h>

#include <openssl/crypto.h>

#include "cursor.h"
#include "df_int.h"
#include "log.h"
#include "sk_err.h"

/* Frame exchange that must end with a given status and an exact data length. */
static int auth_frame(struct desfire *df, uint8_t cmd, const uint8_t *data, size_t len,
    uint8_t want_st, uint8_t *resp, size_t want_len)
{
	uint8_t buf[64];
	size_t n = sizeof(buf);
	uint8_t st = 0;
	int r;

	if ((r = df_frame(df, cmd, data, len, buf, &n, &st)) != 0)
		goto out;
	if (st != want_st) {
		sk_info("desfire: authentication step %02X refused with 91%02X", cmd, st);
		r = st == DESFIRE_ST_OK || st == DESFIRE_ST_MORE ? SK_ERR_BAD_RESPONSE :
		    desfire_status_err(st);
		goto out;
	}
	if (n != want_len) {
		sk_warn("desfire: authentication step %02X answered %zu bytes", cmd, n);
		r = SK_ERR_BAD_RESPONSE;
		goto out;
	}
	memcpy(resp, buf, n);
	r = 0;
out:
	df_wipe(buf, sizeof(buf));
	return r;
}

static int ev2_finish(struct desfire *df, const uint8_t key[16], const uint8_t rnda[16],
    const uint8_t rndb[16], const uint8_t enc2[32])
{
	uint8_t zero[16] = { 0 }, plain[32], rot[16];
	struct sk_cur c;
	const uint8_t *ti, *rnda_rot;
	int r;

	if ((r = df_aes_cbc(0, key, zero, enc2, 32, plain)) != 0)
		goto out;
	sk_cur_init(&c, plain, sizeof(plain));
	r = SK_ERR_BAD_RESPONSE;
	if (sk_cur_bytes(&c, 4, &ti) != 0 || sk_cur_bytes(&c, 16, &rnda_rot) != 0 ||
	    sk_cur_skip(&c, 12) != 0 || sk_cur_end(&c) != 0)
		goto out;
	df_rotl(rnda, rot, 16);
	if (CRYPTO_memcmp(rot, rnda_rot, 16) != 0) {
		sk_warn("desfire: the card did not prove the key (RndA' mismatch)");
		r = SK_ERR_CRYPTO;
		goto out;
	}
	if ((r = df_ev2_session_keys(key, rnda, rndb, df->kenc, df->kmac)) != 0)
		goto out;
	memcpy(df->ti, ti, 4);
	df->ctr = 0;
	df->auth = DF_AUTH_EV2;
	r = 0;
out:
	df_wipe(plain, sizeof(plain));
	df_wipe(rot, sizeof(rot));
	return r;
}

int desfire_auth_ev2first(struct desfire *df, uint8_t keyno, const uint8_t key[16])
{
	uint8_t zero[16] = { 0 }, ek[16], rndb[16], rnda[16], msg[32], enc[32], rsp[32];
	uint8_t cmd[2];
	int r;

	desfire_clear_session(df);
	cmd[0] = keyno;
	cmd[1] = 0x00;   /* LenCap: no PCDcap2 */
	if ((r = auth_frame(df, 0x71, cmd, 2, DESFIRE_ST_MORE, ek, 16)) != 0)
		goto out;
	if ((r = df_aes_cbc(0, key, zero, ek, 16, rndb)) != 0 ||
	    (r = df_random(df, rnda, 16)) != 0)
		goto out;
	memcpy(msg, rnda, 16);
	df_rotl(rndb, msg + 16, 16);
	if ((r = df_aes_cbc(1, key, zero, msg, 32, enc)) != 0 ||
	    (r = auth_frame(df, 0xAF, enc, 32, DESFIRE_ST_OK, rsp, 32)) != 0)
		goto out;
	if ((r = ev2_finish(df, key, rnda, rndb, rsp)) != 0)
		goto out;
	df->keyno = keyno & 0x0F;
	r = 0;
out:
	if (r != 0)
		desfire_clear_session(df);
	df_wipe(rndb, sizeof(rndb));
	df_wipe(rnda, sizeof(rnda));
	df_wipe(msg, sizeof(msg));
	df_wipe(ek, sizeof(ek));
	return r;
}

int desfire_auth_iso(struct desfire *df, uint8_t keyno, const uint8_t key[16])
{
	uint8_t iv[8] = { 0 }, ek[8], rndb[8], rnda[8], msg[16], enc[16], rsp[8], back[8], rot[8];
	int r;

	desfire_clear_session(df);
	if ((r = auth_frame(df, 0x1A, &keyno, 1, DESFIRE_ST_MORE, ek, 8)) != 0)
		goto out;
	/* CBC with the IV chained across the messages of the exchange */
	if ((r = df_tdes_cbc(0, key, iv, ek, 8, rndb)) != 0 ||
	    (r = df_random(df, rnda, 8)) != 0)
		goto out;
	memcpy(msg, rnda, 8);
	df_rotl(rndb, msg + 8, 8);
	if ((r = df_tdes_cbc(1, key, iv, msg, 16, enc)) != 0 ||
	    (r = auth_frame(df, 0xAF, enc, 16, DESFIRE_ST_OK, rsp, 8)) != 0 ||
	    (r = df_tdes_cbc(0, key, iv, rsp, 8, back)) != 0)
		goto out;
	df_rotl(rnda, rot, 8);
	if (CRYPTO_memcmp(rot, back, 8) != 0) {
		sk_warn("desfire: the card did not prove the legacy key");
		r = SK_ERR_CRYPTO;
		goto out;
	}
	df_iso_session_key(key, rnda, rndb, df->kenc);
	memset(df->iv, 0, sizeof(df->iv));
	df->keyno = keyno & 0x0F;
	df->auth = DF_AUTH_ISO;
	r = 0;
out:
	if (r != 0)
		desfire_clear_session(df);
	df_wipe(rndb, sizeof(rndb));
	df_wipe(rnda, sizeof(rnda));
	df_wipe(msg, sizeof(msg));
	df_wipe(back, sizeof(back));
	df_wipe(rot, sizeof(rot));
	return r;
}
