/* df_cmd.c — DESFire commands: GetVersion, SelectApplication, GetKeyVersion, GetCardUID,
 * ChangeKey, ChangeKeySettings, CreateApplication, CreateStdDataFile, ReadData, WriteData. */
#include <string.h>

#include "cursor.h"
#include "df_int.h"
#include "log.h"
#include "sk_err.h"

static void put24le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v & 0xff);
	p[1] = (uint8_t)((v >> 8) & 0xff);
	p[2] = (uint8_t)((v >> 16) & 0xff);
}

static int parse_version(const uint8_t *p, size_t n, struct desfire_version *v)
{
	struct sk_cur c;
	uint8_t *hw = &v->hw_vendor;

	sk_cur_init(&c, p, n);
	/* 7 hardware bytes, 7 software bytes, UID, batch, week, year (28 bytes; EV3 may add a
	 * FabKey / type byte or two we do not interpret) */
	if (sk_cur_copy(&c, hw, 1) || sk_cur_u8(&c, &v->hw_type) || sk_cur_u8(&c, &v->hw_subtype) ||
	    sk_cur_u8(&c, &v->hw_major) || sk_cur_u8(&c, &v->hw_minor) ||
	    sk_cur_u8(&c, &v->hw_storage) || sk_cur_u8(&c, &v->hw_protocol) ||
	    sk_cur_u8(&c, &v->sw_vendor) || sk_cur_u8(&c, &v->sw_type) ||
	    sk_cur_u8(&c, &v->sw_subtype) || sk_cur_u8(&c, &v->sw_major) ||
	    sk_cur_u8(&c, &v->sw_minor) || sk_cur_u8(&c, &v->sw_storage) ||
	    sk_cur_u8(&c, &v->sw_protocol) || sk_cur_copy(&c, v->uid, 7) ||
	    sk_cur_copy(&c, v->batch, 5) || sk_cur_u8(&c, &v->week) || sk_cur_u8(&c, &v->year)) {
		sk_warn("desfire: GetVersion answer too short (%zu bytes)", n);
		return SK_ERR_BAD_RESPONSE;
	}
	if (sk_cur_left(&c) > 2) {
		sk_warn("desfire: GetVersion answer too long (%zu bytes)", n);
		return SK_ERR_BAD_RESPONSE;
	}
	/* GetVersion has no structure to check but its identity bytes: NXP (04), MIFARE DESFire
	 * (hardware type 01; 81 on NXP's JCOP-hosted DESFire). Anything else is not a DESFire chip,
	 * or a damaged answer that must not be taken for one. */
	if (v->hw_vendor != 0x04 || (v->hw_type != 0x01 && v->hw_type != 0x81)) {
		sk_warn("desfire: GetVersion: vendor %02X type %02X is not an NXP MIFARE DESFire",
		    v->hw_vendor, v->hw_type);
		return SK_ERR_BAD_RESPONSE;
	}
	return 0;
}

int desfire_get_version(struct desfire *df, struct desfire_version *v)
{
	uint8_t buf[64];
	size_t n = 0;
	int r;

	if (v == NULL)
		return SK_ERR_ARG;
	memset(v, 0, sizeof(*v));
	if ((r = df_sm_cmd(df, 0x60, NULL, 0, NULL, 0, DESFIRE_COMM_MAC, DESFIRE_COMM_MAC, buf,
	    sizeof(buf), &n)) != 0)
		return r;
	return parse_version(buf, n, v);
}

int desfire_select_app(struct desfire *df, const uint8_t aid[3])
{
	uint8_t buf[16];
	size_t n = sizeof(buf);
	uint8_t st = 0;
	int r;

	desfire_clear_session(df);   /* selecting ends any authentication on the card */
	if ((r = df_exchange(df, 0x5A, aid, 3, buf, &n, &st)) != 0)
		return r;
	if (st != DESFIRE_ST_OK) {
		sk_debug("desfire: SelectApplication %02X%02X%02X: 91%02X", aid[0], aid[1], aid[2], st);
		return desfire_status_err(st);
	}
	return n == 0 ? 0 : SK_ERR_BAD_RESPONSE;
}

int desfire_get_key_version(struct desfire *df, uint8_t keyno, uint8_t *ver)
{
	uint8_t buf[8];
	size_t n = 0;
	int r;

	*ver = 0;
	if ((r = df_sm_cmd(df, 0x64, &keyno, 1, NULL, 0, DESFIRE_COMM_MAC, DESFIRE_COMM_MAC, buf,
	    sizeof(buf), &n)) != 0)
		return r;
	if (n != 1)
		return SK_ERR_BAD_RESPONSE;
	*ver = buf[0];
	return 0;
}

int desfire_get_card_uid(struct desfire *df, uint8_t uid[7])
{
	uint8_t buf[32];
	size_t n = 0;
	int r;

	if (df->auth != DF_AUTH_EV2) {
		sk_info("desfire: GetCardUID needs an EV2 authentication");
		return SK_ERR_DENIED;
	}
	if ((r = df_sm_cmd(df, 0x51, NULL, 0, NULL, 0, DESFIRE_COMM_MAC, DESFIRE_COMM_FULL, buf,
	    sizeof(buf), &n)) != 0)
		goto out;
	r = SK_ERR_BAD_RESPONSE;
	if (n != 7) {
		sk_warn("desfire: GetCardUID gave %zu bytes", n);
		goto out;
	}
	memcpy(uid, buf, 7);
	r = 0;
out:
	df_wipe(buf, sizeof(buf));
	return r;
}

/* Legacy (AuthenticateISO) session: only the authenticated key itself can be changed.
 * Cryptogram E(NewKey || [KeyVer, AES only] || CRC32(C4 || KeyNo || NewKey || [KeyVer]) || 0..)
 * with the session key, CBC, IV 0 (the first command after the authentication). A DES/2TDEA new
 * key (PICC type bits 00) carries its version in the parity bits: no version byte. */
static int change_key_iso(struct desfire *df, uint8_t keyno, const uint8_t new_key[16],
    uint8_t ver)
{
	uint8_t plain[24] = { 0 }, frame[25], crcin[19], buf[16];
	size_t n = sizeof(buf), kn = 16;
	uint32_t crc;
	uint8_t st = 0;
	int r;

	crcin[0] = 0xC4;
	crcin[1] = keyno;
	memcpy(crcin + 2, new_key, 16);
	memcpy(plain, new_key, 16);
	if ((keyno & 0x80) != 0) {
		crcin[18] = ver;
		plain[16] = ver;
		kn = 17;
	}
	crc = desfire_crc32(crcin, kn + 2);
	plain[kn] = (uint8_t)(crc & 0xff);
	plain[kn + 1] = (uint8_t)(crc >> 8);
	plain[kn + 2] = (uint8_t)(crc >> 16);
	plain[kn + 3] = (uint8_t)(crc >> 24);
	frame[0] = keyno;
	if ((r = df_tdes_cbc(1, df->kenc, df->iv, plain, 24, frame + 1)) != 0)
		goto out;
	r = df_exchange(df, 0xC4, frame, sizeof(frame), buf, &n, &st);
	desfire_clear_session(df);   /* the key we authenticated with is gone either way */
	if (r != 0)
		goto out;
	if (st != DESFIRE_ST_OK) {
		sk_warn("desfire: ChangeKey (legacy) refused with 91%02X", st);
		r = desfire_status_err(st);
		goto out;
	}
	r = n == 0 ? 0 : SK_ERR_BAD_RESPONSE;
out:
	df_wipe(plain, sizeof(plain));
	df_wipe(frame, sizeof(frame));
	df_wipe(crcin, sizeof(crcin));
	return r;
}

int desfire_change_key(struct desfire *df, uint8_t keyno, const uint8_t new_key[16],
    uint8_t new_version, const uint8_t *old_key)
{
	uint8_t data[21], out[8];
	size_t n = 0, dn;
	uint32_t crc;
	int same = old_key == NULL, i, r;

	if (df->auth == DF_AUTH_NONE) {
		sk_info("desfire: ChangeKey needs an authentication");
		return SK_ERR_DENIED;
	}
	if (same && (keyno & 0x0F) != df->keyno) {
		sk_error("desfire: ChangeKey of another key needs its old value");
		return SK_ERR_ARG;
	}
	if (df->auth == DF_AUTH_ISO)
		return same ? change_key_iso(df, keyno, new_key, new_version) : SK_ERR_UNSUPPORTED;
	if (same) {
		memcpy(data, new_key, 16);
		data[16] = new_version;
		dn = 17;
	} else {
		for (i = 0; i < 16; i++)
			data[i] = new_key[i] ^ old_key[i];
		data[16] = new_version;
		crc = desfire_crc32(new_key, 16);
		data[17] = (uint8_t)(crc & 0xff);
		data[18] = (uint8_t)(crc >> 8);
		data[19] = (uint8_t)(crc >> 16);
		data[20] = (uint8_t)(crc >> 24);
		dn = 21;
	}
	r = df_sm_cmd(df, 0xC4, &keyno, 1, data, dn, DESFIRE_COMM_FULL,
	    same ? -1 : DESFIRE_COMM_MAC, out, sizeof(out), &n);
	df_wipe(data, sizeof(data));
	if (r != 0)
		sk_warn("desfire: ChangeKey %02X failed (%d)", keyno, r);
	return r;
}

int desfire_change_key_settings(struct desfire *df, uint8_t settings)
{
	uint8_t out[8];
	size_t n = 0;

	if (df->auth != DF_AUTH_EV2)
		return SK_ERR_DENIED;
	return df_sm_cmd(df, 0x54, NULL, 0, &settings, 1, DESFIRE_COMM_FULL, DESFIRE_COMM_MAC, out,
	    sizeof(out), &n);
}

int desfire_create_app(struct desfire *df, const uint8_t aid[3], uint8_t key_settings,
    uint8_t nkeys)
{
	uint8_t hdr[5], out[8];
	size_t n = 0;

	if (nkeys == 0 || nkeys > 14)
		return SK_ERR_ARG;
	memcpy(hdr, aid, 3);
	hdr[3] = key_settings;
	hdr[4] = (uint8_t)(0x80 | nkeys);
	return df_sm_cmd(df, 0xCA, hdr, sizeof(hdr), NULL, 0, DESFIRE_COMM_MAC, DESFIRE_COMM_MAC,
	    out, sizeof(out), &n);
}

int desfire_create_std_file(struct desfire *df, uint8_t fileno, uint8_t comm, uint16_t access,
    uint32_t size)
{
	uint8_t hdr[7], out[8];
	size_t n = 0;

	if (size == 0 || size > 0xFFFFFF || (comm != 0 && comm != 1 && comm != 3))
		return SK_ERR_ARG;
	hdr[0] = fileno;
	hdr[1] = comm;
	hdr[2] = (uint8_t)(access & 0xff);
	hdr[3] = (uint8_t)(access >> 8);
	put24le(hdr + 4, size);
	return df_sm_cmd(df, 0xCD, hdr, sizeof(hdr), NULL, 0, DESFIRE_COMM_MAC, DESFIRE_COMM_MAC,
	    out, sizeof(out), &n);
}

static int resp_mode(const struct desfire *df, uint8_t comm)
{
	if (df->auth != DF_AUTH_EV2)
		return DESFIRE_COMM_PLAIN;
	return comm == DESFIRE_COMM_FULL ? DESFIRE_COMM_FULL :
	    comm == DESFIRE_COMM_MAC ? DESFIRE_COMM_MAC : DESFIRE_COMM_PLAIN;
}

/* One ReadData (rbuf) or WriteData (wbuf) command per DESFIRE_CHUNK bytes. */
static int data_chunks(struct desfire *df, uint8_t fileno, uint8_t comm, uint32_t offset,
    uint8_t *rbuf, const uint8_t *wbuf, size_t len)
{
	uint8_t hdr[7], out[8];
	size_t done = 0, part, n;
	int mode = resp_mode(df, comm), r = 0;
	int mac = mode == DESFIRE_COMM_PLAIN ? DESFIRE_COMM_PLAIN : DESFIRE_COMM_MAC;

	if (len == 0 || len > 0xFFFFFF || offset > 0xFFFFFF - len)
		return SK_ERR_ARG;
	while (done < len && r == 0) {
		part = len - done > DESFIRE_CHUNK ? DESFIRE_CHUNK : len - done;
		hdr[0] = fileno;
		put24le(hdr + 1, offset + (uint32_t)done);
		put24le(hdr + 4, (uint32_t)part);
		n = 0;
		if (rbuf != NULL) {
			r = df_sm_cmd(df, 0xAD, hdr, sizeof(hdr), NULL, 0, mac, mode, rbuf + done, part,
			    &n);
			if (r == 0 && n != part) {
				sk_warn("desfire: ReadData gave %zu bytes for %zu", n, part);
				r = SK_ERR_BAD_RESPONSE;
			}
		} else {
			r = df_sm_cmd(df, 0x3D, hdr, sizeof(hdr), wbuf + done, part, mode, mac, out,
			    sizeof(out), &n);
		}
		done += part;
	}
	if (r != 0 && rbuf != NULL)
		df_wipe(rbuf, len);
	return r;
}

int desfire_read_data(struct desfire *df, uint8_t fileno, uint8_t comm, uint32_t offset,
    uint8_t *buf, size_t len)
{
	if (buf == NULL)
		return SK_ERR_ARG;
	return data_chunks(df, fileno, comm, offset, buf, NULL, len);
}

int desfire_write_data(struct desfire *df, uint8_t fileno, uint8_t comm, uint32_t offset,
    const uint8_t *buf, size_t len)
{
	if (buf == NULL)
		return SK_ERR_ARG;
	return data_chunks(df, fileno, comm, offset, NULL, buf, len);
}

int desfire_format_picc(struct desfire *df)
{
	uint8_t out[8];
	size_t n = 0;

	return df_sm_cmd(df, 0xFC, NULL, 0, NULL, 0, DESFIRE_COMM_MAC, DESFIRE_COMM_MAC, out,
	    sizeof(out), &n);
}
