/* ykhmac.c — the YubiKey-compatible HMAC-SHA1 challenge-response applet (flexsecure-ykhmac).
 * Quirks handled (APPLETS.md): SELECT answers the status block; an unprogrammed slot answers a
 * bare 9000 (no data), reported as SK_ERR_NOT_FOUND; only CLA 00. */
#include <string.h>

#include "buf.h"
#include "card.h"
#include "cursor.h"
#include "log.h"
#include "otp.h"
#include "secmem.h"
#include "sk_err.h"

static const uint8_t otp_aid[7] = { 0xA0, 0x00, 0x00, 0x05, 0x27, 0x20, 0x01 };

#define INS_API    0x01
#define P1_SLOT1   0x01
#define P1_SLOT2   0x03
#define P1_SERIAL  0x10
#define P1_HMAC1   0x30
#define P1_HMAC2   0x38

/* YubiKey config structure offsets and flags (ykdef.h names). */
#define CFG_OFF_UID  16
#define CFG_OFF_KEY  22
#define CFG_OFF_ACC  38
#define CFG_OFF_TKT  46
#define CFG_OFF_CFG  47
#define CFG_OFF_CRC  50
#define TKTFLAG_CHAL_RESP 0x40
#define CFGFLAG_CHAL_HMAC 0x22
#define CFGFLAG_HMAC_LT64 0x04

int otp_parse_status(const uint8_t *p, size_t n, struct otp_status *st)
{
	struct sk_cur c;

	memset(st, 0, sizeof(*st));
	/* 6 bytes on YubiKeys, 10 (with 02 0F 00 00) on flexsecure-ykhmac */
	if (n != 6 && n != 10) {
		sk_debug("otp: status of %zu bytes", n);
		return SK_ERR_BAD_RESPONSE;
	}
	sk_cur_init(&c, p, n);
	if (sk_cur_u8(&c, &st->major) != 0 || sk_cur_u8(&c, &st->minor) != 0 ||
	    sk_cur_u8(&c, &st->build) != 0 || sk_cur_u8(&c, &st->seq) != 0 ||
	    sk_cur_u16le(&c, &st->touch_level) != 0)
		return SK_ERR_BAD_RESPONSE;
	return 0;
}

static int otp_cmd(struct sk_card *card, const char *what, uint8_t ins, uint8_t p1,
    const uint8_t *data, size_t lc, size_t le, unsigned flags, struct sk_buf *rsp)
{
	struct sk_apdu a = { 0x00, ins, p1, 0x00, data, lc, le, flags | SK_APDU_NO_CHAIN };
	uint16_t sw = 0;
	int r;

	if (card == NULL)
		return SK_ERR_ARG;
	if ((r = sk_card_apdu(card, &a, rsp, &sw)) != 0) {
		sk_debug("otp: %s: transport failed: %s", what, sk_strerror(r));
		return r;
	}
	if (sw == 0x9000)
		return 0;
	r = sk_sw_to_err(sw);
	sk_debug("otp: %s: card answered %04X (%s)", what, sw, sk_strerror(r));
	return r;
}

static int select_status(struct sk_card *card, struct sk_buf *b, struct otp_status *st)
{
	struct otp_status tmp;
	int r;

	if ((r = otp_cmd(card, "SELECT ykhmac", 0xA4, 0x04, otp_aid, sizeof(otp_aid), 256, 0,
	    b)) != 0)
		return r;
	return otp_parse_status(sk_buf_ptr(b), sk_buf_len(b), st != NULL ? st : &tmp);
}

int otp_select(struct sk_card *card, struct otp_status *st)
{
	struct sk_buf *b = NULL;
	int r;

	if (st != NULL)
		memset(st, 0, sizeof(*st));
	if ((b = sk_buf_new(64)) == NULL)
		return SK_ERR_NOMEM;
	r = select_status(card, b, st);
	sk_buf_free(&b);
	return r;
}

int otp_hmac(struct sk_card *card, int slot, const uint8_t *chal, size_t len,
    uint8_t out[OTP_HMAC_LEN])
{
	struct sk_buf *b = NULL;
	int r;

	if (out != NULL)
		sk_wipe(out, OTP_HMAC_LEN);
	if (card == NULL || out == NULL || chal == NULL || len == 0 || len > OTP_CHALLENGE_MAX ||
	    (slot != 1 && slot != 2))
		return SK_ERR_ARG;
	if ((b = sk_buf_new(64)) == NULL)
		return SK_ERR_NOMEM;
	if ((r = otp_cmd(card, "HMAC challenge", INS_API, slot == 1 ? P1_HMAC1 : P1_HMAC2, chal,
	    len, 256, SK_APDU_SECRET, b)) != 0)
		goto out;
	if (sk_buf_len(b) == 0) {
		sk_info("otp: HMAC slot %d not programmed", slot);
		r = SK_ERR_NOT_FOUND;
		goto out;
	}
	if (sk_buf_len(b) != OTP_HMAC_LEN) {
		sk_debug("otp: HMAC answer of %zu bytes", sk_buf_len(b));
		r = SK_ERR_BAD_RESPONSE;
		goto out;
	}
	memcpy(out, sk_buf_ptr(b), OTP_HMAC_LEN);
out:
	sk_buf_free(&b);
	return r;
}

int otp_serial(struct sk_card *card, uint32_t *serial)
{
	struct sk_buf *b = NULL;
	struct sk_cur c;
	int r;

	if (serial == NULL)
		return SK_ERR_ARG;
	*serial = 0;
	if ((b = sk_buf_new(64)) == NULL)
		return SK_ERR_NOMEM;
	if ((r = otp_cmd(card, "serial", INS_API, P1_SERIAL, NULL, 0, 256, 0, b)) != 0)
		goto out;
	sk_cur_init(&c, sk_buf_ptr(b), sk_buf_len(b));
	if (sk_cur_u32be(&c, serial) != 0 || sk_cur_end(&c) != 0) {
		sk_debug("otp: serial answer of %zu bytes", sk_buf_len(b));
		*serial = 0;
		r = SK_ERR_BAD_RESPONSE;
	}
out:
	sk_buf_free(&b);
	return r;
}

uint16_t otp_crc16(const uint8_t *p, size_t n)
{
	uint16_t crc = 0xFFFF;

	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (uint16_t)((crc & 1) != 0 ? (crc >> 1) ^ 0x8408 : crc >> 1);
	}
	return crc;
}

static void put_crc(uint8_t cfg[OTP_CONFIG_LEN])
{
	uint16_t crc = (uint16_t)~otp_crc16(cfg, CFG_OFF_CRC);

	cfg[CFG_OFF_CRC] = (uint8_t)(crc & 0xFF);
	cfg[CFG_OFF_CRC + 1] = (uint8_t)(crc >> 8);
}

int otp_build_hmac_config(const uint8_t key[OTP_HMAC_KEY_LEN], const uint8_t *new_acc,
    uint8_t cfg[OTP_CONFIG_LEN])
{
	if (key == NULL || cfg == NULL)
		return SK_ERR_ARG;
	memset(cfg, 0, OTP_CONFIG_LEN);
	memcpy(cfg + CFG_OFF_KEY, key, 16);
	memcpy(cfg + CFG_OFF_UID, key + 16, 4);
	if (new_acc != NULL)
		memcpy(cfg + CFG_OFF_ACC, new_acc, OTP_ACC_CODE_LEN);
	cfg[CFG_OFF_TKT] = TKTFLAG_CHAL_RESP;
	cfg[CFG_OFF_CFG] = CFGFLAG_CHAL_HMAC | CFGFLAG_HMAC_LT64;
	put_crc(cfg);
	return 0;
}

/* SELECT + write configuration (+ current access code) in one transaction. */
static int write_config(struct sk_card *card, int slot, const uint8_t cfg[OTP_CONFIG_LEN],
    const uint8_t *cur_acc, struct otp_status *st)
{
	uint8_t blk[OTP_CONFIG_LEN + OTP_ACC_CODE_LEN];
	struct otp_status tmp;
	struct sk_buf *b = NULL;
	size_t n = OTP_CONFIG_LEN;
	int r;

	if (st == NULL)
		st = &tmp;
	memset(st, 0, sizeof(*st));
	if (card == NULL || (slot != 1 && slot != 2))
		return SK_ERR_ARG;
	memcpy(blk, cfg, OTP_CONFIG_LEN);
	if (cur_acc != NULL) {
		memcpy(blk + OTP_CONFIG_LEN, cur_acc, OTP_ACC_CODE_LEN);
		n += OTP_ACC_CODE_LEN;
	}
	if ((b = sk_buf_new(64)) == NULL) {
		r = SK_ERR_NOMEM;
		goto out;
	}
	if ((r = sk_card_begin(card)) != 0)
		goto out;
	if ((r = select_status(card, b, NULL)) == 0 &&
	    (r = otp_cmd(card, "program slot", INS_API, slot == 1 ? P1_SLOT1 : P1_SLOT2, blk, n,
	    256, SK_APDU_SECRET, b)) == 0)
		r = otp_parse_status(sk_buf_ptr(b), sk_buf_len(b), st);
	(void)sk_card_end(card);
out:
	sk_wipe(blk, sizeof(blk));
	sk_buf_free(&b);
	return r;
}

int otp_program_hmac(struct sk_card *card, int slot, const uint8_t key[OTP_HMAC_KEY_LEN],
    const uint8_t *cur_acc, struct otp_status *st)
{
	uint8_t cfg[OTP_CONFIG_LEN];
	struct otp_status s;
	int r;

	if (st != NULL)
		memset(st, 0, sizeof(*st));
	if ((r = otp_build_hmac_config(key, NULL, cfg)) == 0)
		r = write_config(card, slot, cfg, cur_acc, &s);
	sk_wipe(cfg, sizeof(cfg));
	if (r == 0 && (s.touch_level & (slot == 1 ? 1 : 2)) == 0) {
		sk_warn("otp: slot %d still reads as unprogrammed after programming", slot);
		r = SK_ERR_BAD_RESPONSE;
	}
	if (r == 0 && st != NULL)
		*st = s;
	return r;
}

int otp_delete_slot(struct sk_card *card, int slot, const uint8_t *cur_acc)
{
	static const uint8_t zero[OTP_CONFIG_LEN];

	return write_config(card, slot, zero, cur_acc, NULL);
}
