/* desfire_auth.c — card side of AuthenticateEV2First (71/AF, AES) and AuthenticateISO
 * (1A/AF, 2TDEA), and key lookup at the selected level. */
#include <string.h>

#include <openssl/crypto.h>

#include "desfire_int.h"

void sdf_drop_session(struct sdf_card *c)
{
	c->auth = SDF_AUTH_NONE;
	c->keyno = 0;
	c->ctr = 0;
	c->astep = 0;
	sdf_wipe(c->kenc, 16);
	sdf_wipe(c->kmac, 16);
	sdf_wipe(c->ti, 4);
	sdf_wipe(c->iv8, 8);
	sdf_wipe(c->akey, 16);
	sdf_wipe(c->rndb, 16);
}

uint8_t sdf_key_at(struct sdf_card *c, uint8_t keyno, uint8_t **key, uint8_t *type,
    uint8_t **ver)
{
	struct sdf_app *a;

	if (c->sel < 0) {
		if ((keyno & 0x3F) != 0)
			return SDF_NO_SUCH_KEY;
		*key = c->picc_key;
		*type = c->picc_type;
		*ver = &c->picc_ver;
		return SDF_OK;
	}
	a = &c->apps[c->sel];
	if ((keyno & 0x3F) >= a->nkeys)
		return SDF_NO_SUCH_KEY;
	*key = a->keys[keyno & 0x3F];
	*type = SDF_KEY_AES;
	*ver = &a->kver[keyno & 0x3F];
	return SDF_OK;
}

uint8_t sdf_auth_ev2_first(struct sdf_card *c, const uint8_t *d, size_t n, struct sim_rbuf *r)
{
	uint8_t *key, *ver, type, zero[16] = { 0 }, ek[16], st;

	sdf_drop_session(c);
	if (n < 2 || n - 2 != d[1])   /* KeyNo, LenCap, PCDcap2[LenCap] */
		return SDF_LENGTH;
	if ((st = sdf_key_at(c, d[0], &key, &type, &ver)) != SDF_OK)
		return st;
	if (type != SDF_KEY_AES)
		return SDF_AUTH_ERROR;
	c->env->random(c->rndb, 16);
	if (sdf_aes_cbc(1, key, zero, c->rndb, 16, ek) != 0 || sim_rbuf_put(r, ek, 16) != 0)
		return SDF_ABORTED;
	memcpy(c->akey, key, 16);
	c->akeyno = d[0] & 0x3F;
	c->astep = 0x71;
	return SDF_MORE;
}

uint8_t sdf_auth_iso_first(struct sdf_card *c, const uint8_t *d, size_t n, struct sim_rbuf *r)
{
	uint8_t *key, *ver, type, ek[8], st;

	sdf_drop_session(c);
	if (n != 1)
		return SDF_LENGTH;
	if ((st = sdf_key_at(c, d[0], &key, &type, &ver)) != SDF_OK)
		return st;
	if (type != SDF_KEY_DES)
		return SDF_AUTH_ERROR;
	c->env->random(c->rndb, 8);
	memset(c->iv8, 0, 8);
	if (sdf_tdes_cbc(1, key, c->iv8, c->rndb, 8, ek) != 0 || sim_rbuf_put(r, ek, 8) != 0)
		return SDF_ABORTED;
	memcpy(c->akey, key, 16);
	c->akeyno = d[0] & 0x3F;
	c->astep = 0x1A;
	return SDF_MORE;
}

static uint8_t ev2_second(struct sdf_card *c, const uint8_t *d, size_t n, struct sim_rbuf *r)
{
	uint8_t zero[16] = { 0 }, plain[32], rot[16], out[32], enc[32];
	uint8_t st = SDF_AUTH_ERROR;

	if (n != 32)
		return SDF_LENGTH;
	if (sdf_aes_cbc(0, c->akey, zero, d, 32, plain) != 0)
		goto out;
	sdf_rotl(c->rndb, rot, 16);
	if (CRYPTO_memcmp(rot, plain + 16, 16) != 0)
		goto out;
	c->env->random(c->ti, 4);
	memcpy(out, c->ti, 4);
	sdf_rotl(plain, out + 4, 16);
	memset(out + 20, 0, 12);   /* PDcap2, PCDcap2 */
	if (sdf_aes_cbc(1, c->akey, zero, out, 32, enc) != 0 ||
	    sdf_session_keys(c->akey, plain, c->rndb, c->kenc, c->kmac) != 0 ||
	    sim_rbuf_put(r, enc, 32) != 0) {
		st = SDF_ABORTED;
		goto out;
	}
	c->auth = SDF_AUTH_EV2;
	c->keyno = c->akeyno;
	c->ctr = 0;
	st = SDF_OK;
out:
	sdf_wipe(plain, sizeof(plain));
	sdf_wipe(out, sizeof(out));
	return st;
}

static uint8_t iso_second(struct sdf_card *c, const uint8_t *d, size_t n, struct sim_rbuf *r)
{
	uint8_t plain[16], rot[8], enc[8];
	uint8_t st = SDF_AUTH_ERROR;

	if (n != 16)
		return SDF_LENGTH;
	if (sdf_tdes_cbc(0, c->akey, c->iv8, d, 16, plain) != 0)
		goto out;
	sdf_rotl(c->rndb, rot, 8);
	if (CRYPTO_memcmp(rot, plain + 8, 8) != 0)
		goto out;
	sdf_rotl(plain, rot, 8);
	if (sdf_tdes_cbc(1, c->akey, c->iv8, rot, 8, enc) != 0 || sim_rbuf_put(r, enc, 8) != 0) {
		st = SDF_ABORTED;
		goto out;
	}
	/* session key RndA1..4 RndB1..4 RndA5..8 RndB5..8; single DES if the key halves match */
	memcpy(c->kenc, plain, 4);
	memcpy(c->kenc + 4, c->rndb, 4);
	if (CRYPTO_memcmp(c->akey, c->akey + 8, 8) == 0) {
		memcpy(c->kenc + 8, c->kenc, 8);
	} else {
		memcpy(c->kenc + 8, plain + 4, 4);
		memcpy(c->kenc + 12, c->rndb + 4, 4);
	}
	memset(c->iv8, 0, 8);
	c->auth = SDF_AUTH_ISO;
	c->keyno = c->akeyno;
	st = SDF_OK;
out:
	sdf_wipe(plain, sizeof(plain));
	return st;
}

uint8_t sdf_auth_second(struct sdf_card *c, const uint8_t *d, size_t n, struct sim_rbuf *r)
{
	int step = c->astep;
	uint8_t st;

	c->astep = 0;
	st = step == 0x71 ? ev2_second(c, d, n, r) : iso_second(c, d, n, r);
	sdf_wipe(c->akey, 16);
	sdf_wipe(c->rndb, 16);
	if (st != SDF_OK)
		sdf_drop_session(c);
	return st;
}
