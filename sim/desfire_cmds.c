/* desfire_cmds.c — the simulated DESFire EV3's commands, after secure messaging has been
 * removed: GetVersion, GetKeyVersion, GetCardUID, ChangeKey (EV2 and legacy), ChangeKeySettings,
 * CreateApplication, CreateStdDataFile, ReadData, WriteData, Read_Sig, GetApplicationIDs,
 * GetFileIDs, FormatPICC. Access rules follow the EV1/EV2 key settings semantics. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "desfire_int.h"

static uint32_t get24(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
}

static struct sdf_file *find_file(struct sdf_card *c, uint8_t no)
{
	size_t i;

	if (c->sel < 0)
		return NULL;
	for (i = 0; i < SDF_MAX_FILES; i++)
		if (c->apps[c->sel].files[i].used && c->apps[c->sel].files[i].no == no)
			return &c->apps[c->sel].files[i];
	return NULL;
}

size_t sdf_eeprom_used(const struct sdf_card *c)
{
	size_t i, k, n = 0;

	for (i = 0; i < SDF_MAX_APPS; i++)
		for (k = 0; k < SDF_MAX_FILES; k++)
			if (c->apps[i].used && c->apps[i].files[k].used)
				n += c->apps[i].files[k].size;
	return n;
}

static int authed_as(const struct sdf_card *c, uint8_t keyno)
{
	return c->auth != SDF_AUTH_NONE && c->keyno == keyno;
}

/* Which comm mode a data access uses: the file's when authenticated with a key that grants it,
 * plain otherwise (free access or a refusal to come). */
static int access_mode(struct sdf_card *c, const struct sdf_file *f, int write)
{
	uint8_t k1 = (uint8_t)(write ? (f->access >> 8) & 0xF : f->access >> 12);
	uint8_t rw = (uint8_t)((f->access >> 4) & 0xF);

	if (c->auth == SDF_AUTH_EV2 && (c->keyno == k1 || c->keyno == rw))
		return f->comm;
	return 0;
}

static uint8_t access_check(struct sdf_card *c, const struct sdf_file *f, int write)
{
	uint8_t k1 = (uint8_t)(write ? (f->access >> 8) & 0xF : f->access >> 12);
	uint8_t rw = (uint8_t)((f->access >> 4) & 0xF);

	if (k1 == 0xE || rw == 0xE)
		return SDF_OK;
	if (c->auth == SDF_AUTH_NONE)
		return SDF_AUTH_ERROR;
	if (c->auth == SDF_AUTH_EV2 && (c->keyno == k1 || c->keyno == rw))
		return SDF_OK;
	return SDF_PERMISSION;
}

uint8_t sdf_modes(struct sdf_card *c, uint8_t ins, const uint8_t *p, size_t n, size_t *hlen,
    int *cmode, int *rmode)
{
	struct sdf_file *f;

	*hlen = 0;
	*cmode = 1;
	*rmode = 1;
	switch (ins) {
	case 0x60: case 0x6A: case 0x6F: case 0xFC:
		break;
	case 0x51:
		*rmode = 3;
		break;
	case 0x64:
		*hlen = 1;
		break;
	case 0x3C:
		*hlen = 1;
		*rmode = 3;
		break;
	case 0xC4:
		*hlen = 1;
		*cmode = 3;
		break;
	case 0x54:
		*cmode = 3;
		break;
	case 0xCA:
		*hlen = 5;
		break;
	case 0xCD:
		*hlen = 7;
		break;
	case 0xAD: case 0x3D:
		*hlen = 7;
		if (n < 1 || (f = find_file(c, p[0])) == NULL)
			break;
		if (access_mode(c, f, ins == 0x3D) == 0) {
			*cmode = *rmode = 0;
		} else if (f->comm == 3) {
			*cmode = ins == 0x3D ? 3 : 1;
			*rmode = ins == 0x3D ? 1 : 3;
		}
		break;
	default:
		return SDF_ILLEGAL_CMD;
	}
	return n < *hlen ? SDF_LENGTH : SDF_OK;
}

static uint8_t get_version(struct sdf_card *c, struct sim_rbuf *r)
{
	static const uint8_t hw[7] = { 0x04, 0x01, 0x01, 0x33, 0x00, 0x1A, 0x05 };
	static const uint8_t sw[7] = { 0x04, 0x01, 0x01, 0x03, 0x00, 0x1A, 0x05 };
	static const uint8_t prod[7] = { 0xBA, 0x34, 0x99, 0x9A, 0x12, 0x04, 0x21 };

	if (sim_rbuf_put(r, hw, 7) || sim_rbuf_put(r, sw, 7) || sim_rbuf_put(r, c->uid, 7) ||
	    sim_rbuf_put(r, prod, 7))
		return SDF_ABORTED;
	c->pend_small = 1;
	return SDF_OK;
}

static uint8_t get_key_version(struct sdf_card *c, const struct sdf_cmd *m, struct sim_rbuf *r)
{
	uint8_t *key, *ver, type, st;

	if (m->dlen != 0)
		return SDF_LENGTH;
	if ((st = sdf_key_at(c, m->hdr[0], &key, &type, &ver)) != SDF_OK)
		return st;
	return sim_rbuf_u8(r, type == SDF_KEY_DES ? 0 : *ver) ? SDF_ABORTED : SDF_OK;
}

static uint8_t change_perm(struct sdf_card *c, uint8_t k)
{
	struct sdf_app *a;
	uint8_t ck;

	if (c->auth == SDF_AUTH_NONE)
		return SDF_AUTH_ERROR;
	if (c->sel < 0)
		return (c->keyno == 0 && (c->picc_settings & 0x01)) ? SDF_OK : SDF_PERMISSION;
	a = &c->apps[c->sel];
	if (k >= a->nkeys)
		return SDF_NO_SUCH_KEY;
	ck = a->settings >> 4;
	if (k == 0)
		return (c->keyno == 0 && (a->settings & 0x01)) ? SDF_OK : SDF_PERMISSION;
	if (ck == 0xF)
		return SDF_PERMISSION;
	if (ck == 0xE)
		return c->keyno == k ? SDF_OK : SDF_PERMISSION;
	return c->keyno == ck ? SDF_OK : SDF_PERMISSION;
}

static void put_key(struct sdf_card *c, uint8_t keyno, const uint8_t nk[16], uint8_t ver)
{
	uint8_t *key, *v, type;

	if (sdf_key_at(c, keyno, &key, &type, &v) != SDF_OK)
		return;
	memcpy(key, nk, 16);
	*v = ver;
	if (c->sel < 0)
		c->picc_type = (uint8_t)((keyno & 0x80) ? SDF_KEY_AES : SDF_KEY_DES);
	c->env->dirty = 1;
}

/* Legacy session: E(NewKey || [KeyVer] || CRC32(C4 KeyNo NewKey [KeyVer]) || 00..), the version
 * byte only for an AES key (type bits 80); DES keys keep theirs in the parity bits. */
static uint8_t change_key_iso(struct sdf_card *c, const struct sdf_cmd *m, int *rmode)
{
	uint8_t plain[24], crcin[19], st = SDF_INTEGRITY;
	size_t kn = (m->hdr[0] & 0x80) ? 17 : 16, i;
	uint32_t crc;

	if (m->dlen != 24)
		return SDF_LENGTH;
	if ((m->hdr[0] & 0x3F) != c->keyno)
		return SDF_PARAMETER;   /* only the authenticated key in this simulator */
	if (sdf_tdes_cbc(0, c->kenc, c->iv8, m->data, 24, plain) != 0)
		goto out;
	crcin[0] = 0xC4;
	crcin[1] = m->hdr[0];
	memcpy(crcin + 2, plain, kn);
	crc = sdf_crc32(crcin, kn + 2);
	if (plain[kn] != (uint8_t)crc || plain[kn + 1] != (uint8_t)(crc >> 8) ||
	    plain[kn + 2] != (uint8_t)(crc >> 16) || plain[kn + 3] != (uint8_t)(crc >> 24))
		goto out;
	for (i = kn + 4; i < 24; i++)
		if (plain[i] != 0)
			goto out;
	put_key(c, m->hdr[0], plain, kn == 17 ? plain[16] : 0);
	*rmode = -1;
	st = SDF_OK;
out:
	sdf_wipe(plain, sizeof(plain));
	sdf_wipe(crcin, sizeof(crcin));
	return st;
}

static uint8_t change_key(struct sdf_card *c, const struct sdf_cmd *m, int *rmode)
{
	uint8_t keyno = m->hdr[0], k = keyno & 0x3F, nk[16], *old, *v, type, st;
	uint32_t crc;
	size_t i;

	if ((st = change_perm(c, k)) != SDF_OK)
		return st;
	if (c->sel < 0 && (keyno & 0xC0) != 0x80 && (keyno & 0xC0) != 0x00)
		return SDF_PARAMETER;
	if (c->sel >= 0 && (keyno & 0xC0) != 0)
		return SDF_PARAMETER;
	if (c->auth == SDF_AUTH_ISO)
		return change_key_iso(c, m, rmode);
	if (k == c->keyno) {
		if (m->dlen != 17)
			return SDF_LENGTH;
		put_key(c, keyno, m->data, m->data[16]);
		*rmode = -1;
		return SDF_OK;
	}
	if (m->dlen != 21)
		return SDF_LENGTH;
	if (sdf_key_at(c, keyno, &old, &type, &v) != SDF_OK)
		return SDF_NO_SUCH_KEY;
	for (i = 0; i < 16; i++)
		nk[i] = m->data[i] ^ old[i];
	crc = sdf_crc32(nk, 16);
	if (m->data[17] != (uint8_t)crc || m->data[18] != (uint8_t)(crc >> 8) ||
	    m->data[19] != (uint8_t)(crc >> 16) || m->data[20] != (uint8_t)(crc >> 24)) {
		sdf_wipe(nk, 16);
		return SDF_INTEGRITY;
	}
	put_key(c, keyno, nk, m->data[16]);
	sdf_wipe(nk, 16);
	return SDF_OK;
}

static uint8_t change_key_settings(struct sdf_card *c, const struct sdf_cmd *m)
{
	uint8_t *s = c->sel < 0 ? &c->picc_settings : &c->apps[c->sel].settings;

	if (c->auth != SDF_AUTH_EV2)
		return SDF_AUTH_ERROR;
	if (c->keyno != 0 || !(*s & 0x08))
		return SDF_PERMISSION;
	if (m->dlen != 1)
		return SDF_LENGTH;
	*s = m->data[0];
	c->env->dirty = 1;
	return SDF_OK;
}

static uint8_t create_app(struct sdf_card *c, const struct sdf_cmd *m)
{
	const uint8_t *h = m->hdr;
	uint8_t nk = h[4] & 0x0F;
	size_t i, freeslot = SDF_MAX_APPS;

	if (c->sel >= 0)
		return SDF_PERMISSION;
	if (!(c->picc_settings & 0x04) && !authed_as(c, 0))
		return c->auth == SDF_AUTH_NONE ? SDF_AUTH_ERROR : SDF_PERMISSION;
	if (m->dlen != 0)
		return SDF_LENGTH;
	if ((h[0] | h[1] | h[2]) == 0 || (h[4] & 0xC0) != 0x80 || nk == 0 || nk > SDF_MAX_KEYS)
		return SDF_PARAMETER;
	for (i = 0; i < SDF_MAX_APPS; i++) {
		if (c->apps[i].used && memcmp(c->apps[i].aid, h, 3) == 0)
			return SDF_DUPLICATE;
		if (!c->apps[i].used && freeslot == SDF_MAX_APPS)
			freeslot = i;
	}
	if (freeslot == SDF_MAX_APPS)
		return SDF_OUT_OF_EEPROM;
	memset(&c->apps[freeslot], 0, sizeof(c->apps[freeslot]));
	c->apps[freeslot].used = 1;
	memcpy(c->apps[freeslot].aid, h, 3);
	c->apps[freeslot].settings = h[3];
	c->apps[freeslot].nkeys = nk;
	c->env->dirty = 1;
	return SDF_OK;
}

static uint8_t create_file(struct sdf_card *c, const struct sdf_cmd *m)
{
	const uint8_t *h = m->hdr;
	struct sdf_app *a;
	uint32_t size = get24(h + 4);
	size_t i;

	if (c->sel < 0)
		return SDF_PERMISSION;
	a = &c->apps[c->sel];
	if (!(a->settings & 0x04) && !authed_as(c, 0))
		return c->auth == SDF_AUTH_NONE ? SDF_AUTH_ERROR : SDF_PERMISSION;
	if (m->dlen != 0)
		return SDF_LENGTH;
	if (h[0] > 31 || (h[1] & 0x03) == 2 || (h[1] & 0xFC) != 0 || size == 0)
		return SDF_PARAMETER;
	if (find_file(c, h[0]) != NULL)
		return SDF_DUPLICATE;
	if (size > SDF_EEPROM - sdf_eeprom_used(c))
		return SDF_OUT_OF_EEPROM;
	for (i = 0; i < SDF_MAX_FILES && a->files[i].used; i++)
		;
	if (i == SDF_MAX_FILES || (a->files[i].data = calloc(1, size)) == NULL)
		return SDF_OUT_OF_EEPROM;
	a->files[i].used = 1;
	a->files[i].no = h[0];
	a->files[i].comm = h[1];
	a->files[i].access = (uint16_t)(h[2] | h[3] << 8);
	a->files[i].size = size;
	c->env->dirty = 1;
	return SDF_OK;
}

static uint8_t data_access(struct sdf_card *c, const struct sdf_cmd *m, struct sim_rbuf *r)
{
	struct sdf_file *f = find_file(c, m->hdr[0]);
	uint32_t off = get24(m->hdr + 1), len = get24(m->hdr + 4);
	int write = m->ins == 0x3D;
	uint8_t st;

	if (f == NULL)
		return c->sel < 0 ? SDF_PERMISSION : SDF_FILE_NOT_FOUND;
	if ((st = access_check(c, f, write)) != SDF_OK)
		return st;
	if (!write && len == 0 && off <= f->size)
		len = f->size - off;
	if (off > f->size || len > f->size - off || len == 0)
		return SDF_BOUNDARY;
	if (!write)
		return sim_rbuf_put(r, f->data + off, len) ? SDF_ABORTED : SDF_OK;
	if (m->dlen != len)
		return SDF_LENGTH;
	memcpy(f->data + off, m->data, len);
	c->env->dirty = 1;
	return SDF_OK;
}

static uint8_t read_sig(struct sdf_card *c, const struct sdf_cmd *m, struct sim_rbuf *r)
{
	uint8_t sig[56];

	if (m->hdr[0] != 0x00 || m->dlen != 0)
		return SDF_PARAMETER;
	if (sdf_sign_uid(c->uid, sig) != 0 || sim_rbuf_put(r, sig, 56) != 0)
		return SDF_ABORTED;
	return SDF_SIGNATURE;
}

static uint8_t list_ids(struct sdf_card *c, uint8_t ins, struct sim_rbuf *r)
{
	size_t i;

	if (ins == 0x6A) {
		if (c->sel >= 0)
			return SDF_PERMISSION;
		for (i = 0; i < SDF_MAX_APPS; i++)
			if (c->apps[i].used && sim_rbuf_put(r, c->apps[i].aid, 3) != 0)
				return SDF_ABORTED;
		return SDF_OK;
	}
	if (c->sel < 0)
		return SDF_PERMISSION;
	for (i = 0; i < SDF_MAX_FILES; i++)
		if (c->apps[c->sel].files[i].used && sim_rbuf_u8(r, c->apps[c->sel].files[i].no))
			return SDF_ABORTED;
	return SDF_OK;
}

static uint8_t format_picc(struct sdf_card *c)
{
	if (c->sel >= 0 || !authed_as(c, 0))
		return SDF_PERMISSION;
	sdf_free_files(c);
	memset(c->apps, 0, sizeof(c->apps));
	c->env->dirty = 1;
	return SDF_OK;
}

uint8_t sdf_run(struct sdf_card *c, const struct sdf_cmd *m, struct sim_rbuf *r, int *rmode)
{
	switch (m->ins) {
	case 0x60:
		return m->dlen ? SDF_LENGTH : get_version(c, r);
	case 0x64:
		return get_key_version(c, m, r);
	case 0x51:
		if (c->auth != SDF_AUTH_EV2)
			return SDF_AUTH_ERROR;
		return sim_rbuf_put(r, c->uid, 7) ? SDF_ABORTED : SDF_OK;
	case 0xC4:
		return change_key(c, m, rmode);
	case 0x54:
		return change_key_settings(c, m);
	case 0xCA:
		return create_app(c, m);
	case 0xCD:
		return create_file(c, m);
	case 0xAD: case 0x3D:
		return data_access(c, m, r);
	case 0x3C:
		return read_sig(c, m, r);
	case 0x6A: case 0x6F:
		return list_ids(c, m->ins, r);
	case 0xFC:
		return format_picc(c);
	default:
		return SDF_ILLEGAL_CMD;
	}
}
