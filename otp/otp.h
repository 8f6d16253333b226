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

/* ---- YKOATH (A0 00 00 05 27 21 01): TOTP / HOTP credentials computed on the chip ---- */

#define OATH_NAME_MAX 64
#define OATH_TYPE_HOTP 0x10
#define OATH_TYPE_TOTP 0x20
#define OATH_ALG_SHA1 0x01
#define OATH_ALG_SHA256 0x02
#define OATH_ALG_SHA512 0x03

struct oath_info {
	uint8_t version[3];
	uint8_t salt[8];             /* the applet's id: PBKDF2 salt for the password */
	int has_challenge;           /* a password is set: VALIDATE needed */
	uint8_t challenge[8];
	uint8_t algo;                /* of the password key */
};

struct oath_cred {
	char name[OATH_NAME_MAX + 1];
	uint8_t type;                /* OATH_TYPE_* */
	uint8_t algo;                /* OATH_ALG_* */
	int has_code;                /* CALCULATE ALL: 0 for HOTP / touch (not computed) */
	uint32_t code;               /* truncated code */
	uint8_t digits;
};

/* SELECT (parses 79 / 71 / 74 / 7B). info may be NULL. */
int oath_select(struct sk_card *card, struct oath_info *info);
/* VALIDATE with a password (PBKDF2-HMAC-SHA1 over the applet's salt, 1000 rounds, 16 bytes);
 * info from oath_select in the same transaction. The card's answer is checked too. */
int oath_validate(struct sk_card *card, const struct oath_info *info, const char *password,
    size_t len);
/* PUT a credential. secret: the raw key (HMAC keys shorter than 14 bytes are zero-padded as
 * YubiKeys expect). counter: HOTP initial counter (0: none sent). */
int oath_put(struct sk_card *card, const char *name, uint8_t type, uint8_t algo, uint8_t digits,
    const uint8_t *secret, size_t secret_len, uint32_t counter);
int oath_delete(struct sk_card *card, const char *name);
/* RENAME (YKOATH 5.3, INS 05): SK_ERR_NOT_FOUND when `from` is not there; the applet refuses a
 * `to` that exists (6A80 -> SK_ERR_ARG / SK_ERR_SW). */
int oath_rename(struct sk_card *card, const char *from, const char *to);
/* LIST: *creds malloc'ed array of *n entries (codes not filled). */
int oath_list(struct sk_card *card, struct oath_cred **creds, size_t *n);
/* CALCULATE one credential: TOTP with challenge = time/period as 8 bytes big endian, HOTP with
 * no challenge (use 0 for `t`). *code is the truncated code, *digits its length. */
int oath_calculate(struct sk_card *card, const char *name, uint8_t type, uint64_t counter,
    uint32_t *code, uint8_t *digits);
/* CALCULATE ALL (truncated) for TOTP time step `step`. */
int oath_calculate_all(struct sk_card *card, uint64_t step, struct oath_cred **creds, size_t *n);
/* Parsers (exported for tests and fuzzers). */
int oath_parse_select(const uint8_t *p, size_t n, struct oath_info *info);
int oath_parse_list(const uint8_t *p, size_t n, struct oath_cred **creds, size_t *count);
int oath_parse_calc_all(const uint8_t *p, size_t n, struct oath_cred **creds, size_t *count);
/* RFC 4226 dynamic truncation of a full HMAC to `digits` digits. */
int oath_truncate(const uint8_t *hmac, size_t len, uint8_t digits, uint32_t *code);

#endif
