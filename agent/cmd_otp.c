/* cmd_otp.c — skinkeyd commands for the HMAC-SHA1 challenge-response applet (otp/otp.h), used
 * by skinkey-pkcs11.so's HMAC token (and any client): the slot state is cached per chip so the
 * HMAC token lists its keys with the chip away; the HMAC itself needs a tap.
 *
 *   HMACSLOTS <chip>           S HMACSLOT 1 <programmed 0|1> / S HMACSLOT 2 <0|1>
 *   HMAC <chip> <1|2>          INQUIRE CHALLENGE (1..64 bytes) -> D 20-byte HMAC-SHA1
 *   HMACPROGRAM [--if-empty] <chip> <1|2>
 *                              INQUIRE KEY (1..20 bytes, zero-padded to 20) -> programs slot;
 *                              --if-empty: refused (EEXIST) when the chip says the slot is
 *                              programmed, checked in the same transaction as the write
 *   HMACDELETE <chip> <1|2>    erases the slot (its secret is gone for good) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "otp.h"
#include "event.h"
#include "skd.h"

#define SLOTS_KEY "otp.touch"

static int
parse_slot(char *line, char *chip, size_t clen, int *slot, int need_slot)
{
	char c[SKD_CHIPID_MAX];
	int n = 0, got = sscanf(line, "%47s %d", c, &n);

	if (got < 1 || (need_slot && (got < 2 || n < 1 || n > 2)))
		return SK_ERR_ARG;
	snprintf(chip, clen, "%s", c);
	if (slot != NULL)
		*slot = n;
	return 0;
}

static void
cache_status(const char *chip, const struct otp_status *st)
{
	uint8_t v = (uint8_t)(st->touch_level & 3u);

	skd_cache_put(chip, SLOTS_KEY, &v, 1);
}

static int
cached_slots(const char *chip, unsigned *mask)
{
	uint8_t *v = NULL;
	size_t n = 0;
	int r;

	if ((r = skd_cache_get(chip, SLOTS_KEY, &v, &n)) == 0 && n == 1)
		*mask = v[0] & 3u;
	else if (r == 0)
		r = SK_ERR_NOT_FOUND;
	free(v);
	return r;
}

static int
slots_from_card(assuan_context_t ctx, const char *chip, unsigned *mask)
{
	struct skd_card *h = NULL;
	struct otp_status st;
	int r;

	if ((r = skd_card_acquire(skd_conn_get(ctx), chip, &h)) != 0)
		return r;
	r = otp_select(skd_card_raw(h), &st);
	if (r == SK_ERR_CARD_REMOVED)
		skd_card_lost(h);
	skd_card_release(&h);
	if (r == 0) {
		cache_status(chip, &st);
		*mask = st.touch_level & 3u;
	}
	return r;
}

static gpg_error_t
cmd_hmacslots(assuan_context_t ctx, char *line)
{
	char chip[SKD_CHIPID_MAX];
	struct skd_chip_info ci;
	unsigned mask = 0;
	gpg_error_t e;
	int r;

	if ((r = parse_slot(line, chip, sizeof(chip), NULL, 0)) != 0)
		return skd_fail(ctx, r, "HMACSLOTS <chip>");
	if ((r = skd_chip_find(chip, &ci)) != 0)
		return skd_fail(ctx, r, "HMACSLOTS: unknown chip");
	r = cached_slots(chip, &mask);
	if (r == SK_ERR_NOT_FOUND && ci.present)
		r = slots_from_card(ctx, chip, &mask);
	if (r == SK_ERR_NOT_FOUND)
		r = 0;   /* never read and away: report nothing programmed */
	if (r != 0)
		return skd_fail(ctx, r, "HMACSLOTS");
	e = skd_status(ctx, "HMACSLOT", "1 %u", mask & 1u);
	if (e == 0)
		e = skd_status(ctx, "HMACSLOT", "2 %u", (mask >> 1) & 1u);
	return e;
}

static int
inquire_secret(assuan_context_t ctx, const char *kw, size_t max, uint8_t *out, size_t *len)
{
	unsigned char *buf = NULL;
	size_t n = 0;
	gpg_error_t e;
	int r = 0;

	*len = 0;
	if ((e = skd_inquire(ctx, kw, &buf, &n, max)) != 0)
		return gpg_err_code(e) == GPG_ERR_TOO_LARGE ? SK_ERR_TOOBIG : SK_ERR_CANCELED;
	if (n == 0)
		r = SK_ERR_ARG;
	else
		memcpy(out, buf, n);
	*len = n;
	if (buf != NULL) {
		sk_wipe(buf, n);
		assuan_free(ctx, buf);
	}
	return r;
}

static int
hmac_on_card(assuan_context_t ctx, const char *chip, int slot, const uint8_t *chal, size_t n,
    uint8_t mac[OTP_HMAC_LEN])
{
	struct skd_card *h = NULL;
	struct otp_status st;
	int r;

	if ((r = skd_card_acquire(skd_conn_get(ctx), chip, &h)) != 0)
		return r;
	if ((r = otp_select(skd_card_raw(h), &st)) == 0) {
		cache_status(chip, &st);
		r = otp_hmac(skd_card_raw(h), slot, chal, n, mac);
	}
	if (r == SK_ERR_CARD_REMOVED)
		skd_card_lost(h);
	skd_card_release(&h);
	return r;
}

static gpg_error_t
cmd_hmac(assuan_context_t ctx, char *line)
{
	char chip[SKD_CHIPID_MAX];
	uint8_t chal[OTP_CHALLENGE_MAX], mac[OTP_HMAC_LEN];
	size_t n = 0;
	gpg_error_t e;
	int slot, r;

	if ((r = parse_slot(line, chip, sizeof(chip), &slot, 1)) != 0)
		return skd_fail(ctx, r, "HMAC <chip> <1|2>");
	if ((r = inquire_secret(ctx, "CHALLENGE", sizeof(chal), chal, &n)) == 0 &&
	    (r = skd_guard_gate()) == 0)
		r = hmac_on_card(ctx, chip, slot, chal, n, mac);
	sk_wipe(chal, sizeof(chal));
	if (r != SK_ERR_ARG) {
		char obj[16];
		snprintf(obj, sizeof(obj), "slot%d", slot);
		r = skd_guard_record(SKD_EV_KEY_OP, chip, "hmac", obj, r);   /* before the answer */
	}
	if (r != 0)
		return skd_fail(ctx, r, "HMAC");
	e = skd_send_data(ctx, mac, sizeof(mac));
	sk_wipe(mac, sizeof(mac));
	return e;
}

static gpg_error_t
cmd_hmacprogram(assuan_context_t ctx, char *line)
{
	char chip[SKD_CHIPID_MAX];
	uint8_t key[OTP_HMAC_KEY_LEN];
	struct skd_card *h = NULL;
	struct otp_status st;
	size_t n = 0;
	int slot, r, if_empty = 0;

	memset(key, 0, sizeof(key));
	if (strncmp(line, "--if-empty ", 11) == 0) {
		if_empty = 1;
		line += 11;
	}
	if ((r = parse_slot(line, chip, sizeof(chip), &slot, 1)) != 0)
		return skd_fail(ctx, r, "HMACPROGRAM [--if-empty] <chip> <1|2>");
	/* shorter keys are zero-padded: HMAC pads its key with zeros anyway (RFC 2104) */
	if ((r = inquire_secret(ctx, "KEY", sizeof(key), key, &n)) != 0)
		goto out;
	if ((r = skd_card_acquire(skd_conn_get(ctx), chip, &h)) != 0)
		goto out;
	if (if_empty && (r = otp_select(skd_card_raw(h), &st)) == 0 &&
	    (st.touch_level & (1u << (slot - 1))) != 0) {
		sk_info("HMACPROGRAM: slot %d of %s is programmed; not overwritten", slot, chip);
		cache_status(chip, &st);
		r = SK_ERR_EXISTS;
	} else if (r == 0) {
		r = otp_program_hmac(skd_card_raw(h), slot, key, NULL, &st);
	}
	if (r == SK_ERR_CARD_REMOVED)
		skd_card_lost(h);
	skd_card_release(&h);
	if (r == 0)
		cache_status(chip, &st);
	{
		char obj[16];
		snprintf(obj, sizeof(obj), "slot%d", slot);
		r = skd_guard_record(SKD_EV_PROVISION, chip, "hmac-program", obj, r);
	}
out:
	sk_wipe(key, sizeof(key));
	return r == 0 ? 0 : skd_fail(ctx, r, "HMACPROGRAM");
}

static gpg_error_t
cmd_hmacdelete(assuan_context_t ctx, char *line)
{
	char chip[SKD_CHIPID_MAX];
	struct skd_card *h = NULL;
	struct otp_status st;
	int slot, r;

	if ((r = parse_slot(line, chip, sizeof(chip), &slot, 1)) != 0)
		return skd_fail(ctx, r, "HMACDELETE <chip> <1|2>");
	if ((r = skd_card_acquire(skd_conn_get(ctx), chip, &h)) != 0)
		return skd_fail(ctx, r, "HMACDELETE");
	if ((r = otp_delete_slot(skd_card_raw(h), slot, NULL)) == 0)
		r = otp_select(skd_card_raw(h), &st);   /* the status after the erase, for the cache */
	if (r == SK_ERR_CARD_REMOVED)
		skd_card_lost(h);
	skd_card_release(&h);
	if (r == 0 && (st.touch_level & (1u << (slot - 1))) != 0) {
		sk_warn("HMACDELETE: slot %d of %s still reads as programmed after the erase", slot,
		    chip);
		r = SK_ERR_BAD_RESPONSE;
	}
	if (r == 0)
		cache_status(chip, &st);
	return r == 0 ? 0 : skd_fail(ctx, r, "HMACDELETE");
}

const struct skd_cmd skd_cmds_otp[] = {
	{ "HMACSLOTS", cmd_hmacslots, "HMACSLOTS <chip>: S HMACSLOT <n> <programmed>" },
	{ "HMAC", cmd_hmac, "HMAC <chip> <1|2>: INQUIRE CHALLENGE, D 20-byte HMAC-SHA1" },
	{ "HMACPROGRAM", cmd_hmacprogram,
	  "HMACPROGRAM [--if-empty] <chip> <1|2>: INQUIRE KEY (<= 20 bytes)" },
	{ "HMACDELETE", cmd_hmacdelete, "HMACDELETE <chip> <1|2>: erase the slot" },
	{ NULL, NULL, NULL }
};
