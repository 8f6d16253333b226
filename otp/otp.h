/* otp.h — host-side client of the YubiKey-compatible OTP applet as the flexSecure's
 * flexsecure-ykhmac implements it: HMAC-SHA1 challenge-response in two slots (AID
 * A0 00 00 05 27 20 01). Every call takes a `struct sk_card *` (common/card.h) and returns 0 or
 * a negative SK_ERR_* (common/sk_err.h). */
#ifndef SK_OTP_H
#define SK_OTP_H

#include <stddef.h>
#include <stdint.h>

struct sk_card;

#define OTP_HMAC_KEY_LEN   20
#define OTP_HMAC_LEN       20
#define OTP_CHALLENGE_MAX  64
#define OTP_ACC_CODE_LEN   6
#define OTP_CONFIG_LEN     52   /* YubiKey config structure including its CRC */

/* What SELECT (and every programming command) answers. */
struct otp_status {
	uint8_t major, minor, build;
	uint8_t seq;            /* programming sequence number */
	uint16_t touch_level;   /* bit 0: slot 1 programmed, bit 1: slot 2 programmed */
};

/* Parses a status answer: version(3) + seq + touch level(2, little endian) [+ 02 0F 00 00]. */
int otp_parse_status(const uint8_t *p, size_t n, struct otp_status *st);

/* SELECT the applet; st may be NULL. SK_ERR_NOT_FOUND when the chip has no such applet. */
int otp_select(struct sk_card *card, struct otp_status *st);
/* HMAC-SHA1 of a challenge (1..64 bytes, YubiKey HMAC_LT64 semantics: the challenge is sent
 * with its real length; a key programmed with HMAC_LT64 strips a trailing run of equal bytes
 * from a full 64-byte challenge, as YubiKeys do). slot is 1 or 2. Does not SELECT (call
 * otp_select first, in the same transaction). SK_ERR_NOT_FOUND: slot not programmed. */
int otp_hmac(struct sk_card *card, int slot, const uint8_t *chal, size_t len,
    uint8_t out[OTP_HMAC_LEN]);
/* Chip serial (decimal on YubiKeys). Does not SELECT. */
int otp_serial(struct sk_card *card, uint32_t *serial);

/* Builds the 52-byte YubiKey configuration for HMAC-SHA1 challenge-response: key[0..15] in
 * the key field, key[16..19] in the uid field, tktFlags CHAL_RESP, cfgFlags CHAL_HMAC |
 * HMAC_LT64, access code new_acc (NULL: none), CRC appended. */
int otp_build_hmac_config(const uint8_t key[OTP_HMAC_KEY_LEN], const uint8_t *new_acc,
    uint8_t cfg[OTP_CONFIG_LEN]);
/* Program slot 1 or 2 with an HMAC key (SELECTs first in the same transaction). cur_acc: the
 * slot's current access code when it has one (NULL otherwise). st (may be NULL) receives the
 * status the applet answers. */
int otp_program_hmac(struct sk_card *card, int slot, const uint8_t key[OTP_HMAC_KEY_LEN],
    const uint8_t *cur_acc, struct otp_status *st);
/* Erase a slot (all-zero configuration). */
int otp_delete_slot(struct sk_card *card, int slot, const uint8_t *cur_acc);

/* CRC-16 as the YubiKey uses it (ISO 13239 / X.25, reflected 0x8408, init FFFF, no final xor). */
uint16_t otp_crc16(const uint8_t *p, size_t n);

#endif
