/* cmd_duress.c — skinkeyd commands for the DuressApplet (duress/duress.h): probe it and let the
 * user administer it. The admin key and the PINs come by INQUIRE from the client that asked
 * (`skinkey duress`), are used in one transaction and wiped; skinkeyd never stores them.
 *
 *   DURESS STATUS <chip>   S DURESS <present 0|1> <version or ->
 *   DURESS SETUP <chip>    INQUIRE ADMINKEY (32 bytes), INQUIRE PIN0, PIN1, PIN2 (each the PIN as
 *                          typed, 1..127 bytes); every context reset (new random key on the
 *                          chip) and given its PIN; INQUIRE NEWADMIN (empty: keep, else 32 bytes)
 *   DURESS ROTATE <chip>   INQUIRE ADMINKEY; every context gets a new random key (PINs kept)
 *   DURESS UNLOCK          (duress = on) the chip in the field is locked: INQUIRE NEEDPIN, the
 *                          DuressApplet picks the context, the instance VERIFYs the same PIN;
 *                          S DURESS-CHIP <chip id of the context>. Already unlocked: that id.
 *   DURESS LOCK            end the active context: the chip shows locked again */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "common/log.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "duress.h"
#include "event.h"
#include "skd_int.h"

/* An INQUIRE answer of min..max bytes into out. */
static int inquire_into(assuan_context_t ctx, const char *kw, size_t min, size_t max,
    uint8_t *out, size_t *len)
{
	unsigned char *buf = NULL;
	size_t n = 0;
	gpg_error_t e;
	int r = 0;

	*len = 0;
	if ((e = skd_inquire(ctx, kw, &buf, &n, max)) != 0)
		return gpg_err_code(e) == GPG_ERR_TOO_LARGE ? SK_ERR_TOOBIG : SK_ERR_CANCELED;
	if (n < min || n > max) {
		sk_info("DURESS: %s of %zu bytes refused", kw, n);
		r = SK_ERR_ARG;
	} else if (n > 0) {
		memcpy(out, buf, n);
		*len = n;
	}
	if (buf != NULL) {
		sk_wipe(buf, n);
		assuan_free(ctx, buf);
	}
	return r;
}

static int on_card(assuan_context_t ctx, const char *chip, struct duress_version *v,
    const uint8_t *admin, const struct duress_ctx_setup *s, const uint8_t *new_admin)
{
	struct skd_card *h = NULL;
	int r;

	if ((r = skd_card_acquire(skd_conn_get(ctx), chip, &h)) != 0)
		return r;
	if (admin == NULL)
		r = duress_probe(skd_card_raw(h), v);
	else
		r = duress_admin(skd_card_raw(h), admin, s, new_admin);
	if (r == SK_ERR_CARD_REMOVED)
		skd_card_lost(h);
	skd_card_release(&h);
	return r;
}

static gpg_error_t do_status(assuan_context_t ctx, const char *chip)
{
	struct duress_version v;
	int r = on_card(ctx, chip, &v, NULL, NULL, NULL);

	if (r == SK_ERR_NOT_FOUND)
		return skd_status(ctx, "DURESS", "0 -");
	if (r != 0)
		return skd_fail(ctx, r, "DURESS STATUS");
	return skd_status(ctx, "DURESS", "1 %u.%u.%u", v.major, v.minor, v.patch);
}

/* After ROTATE set keys[]: every context's record written again under its new key (the
 * active one keeps what it holds), with its instance's AID when given. */
static void rekey_records(const uint8_t keys[DURESS_NCTX][DURESS_KEY_LEN],
    const uint8_t aids[DURESS_NCTX][16], int have_aids)
{
	uint8_t sec[32];

	for (int i = 0; i < DURESS_NCTX; i++)
		if (skd_duress_answer(keys[i], sec) != 0 ||
		    skd_ctxrec_rekey(i, sec, sizeof(sec), have_aids ? aids[i] : NULL) != 0)
			sk_warn("DURESS ROTATE: a context's record was not rewritten: it starts again "
			    "empty at its next unlock");
	sk_wipe(sec, sizeof(sec));
}

static gpg_error_t do_admin(assuan_context_t ctx, const char *chip, int setup, int instances)
{
	uint8_t aids[DURESS_NCTX][16] = { { 0 } };
	uint8_t admin[DURESS_KEY_LEN], next[DURESS_KEY_LEN], keys[DURESS_NCTX][DURESS_KEY_LEN];
	uint8_t pins[DURESS_NCTX][DURESS_PIN_LEN], typed[DURESS_TYPED_PIN_MAX];
	struct duress_ctx_setup s[DURESS_NCTX];
	size_t n = 0, nn = 0;
	int r;

	memset(s, 0, sizeof(s));
	if ((r = inquire_into(ctx, "ADMINKEY", DURESS_KEY_LEN, DURESS_KEY_LEN, admin, &n)) != 0)
		goto out;
	for (int i = 0; i < DURESS_NCTX; i++) {
		if (setup) {
			char kw[8];

			snprintf(kw, sizeof(kw), "PIN%d", i);
			if ((r = inquire_into(ctx, kw, 1, sizeof(typed), typed, &n)) != 0 ||
			    (r = duress_pin_derive((const char *)typed, n, pins[i])) != 0)
				goto out;
			s[i].reset = 1;
			s[i].pin = pins[i];
		} else {
			if (RAND_bytes(keys[i], DURESS_KEY_LEN) != 1) {
				sk_warn("DURESS ROTATE: no randomness for the context keys");
				r = SK_ERR_CRYPTO;
				goto out;
			}
			s[i].key = keys[i];
		}
	}
	if (setup && (r = inquire_into(ctx, "NEWADMIN", 0, DURESS_KEY_LEN, next, &nn)) != 0)
		goto out;
	for (int i = 0; !setup && instances && i < DURESS_NCTX; i++) {
		char kw[16];

		snprintf(kw, sizeof(kw), "INSTANCE%d", i);
		if ((r = inquire_into(ctx, kw, 16, 16, aids[i], &n)) != 0)
			goto out;
		if (aids[i][0] != 0xD2 || aids[i][1] != 0x76 || aids[i][4] != 0x24 ||
		    aids[i][5] != 0x01) {
			sk_info("DURESS ROTATE: %s is not an OpenPGP AID", kw);
			r = SK_ERR_ARG;
			goto out;
		}
	}
	if (setup && nn != 0 && nn != DURESS_KEY_LEN) {
		r = SK_ERR_ARG;
		goto out;
	}
	if ((r = skd_guard_gate()) != 0)
		goto out;
	r = on_card(ctx, chip, NULL, admin, s, nn == DURESS_KEY_LEN ? next : NULL);
	if (r == 0 && setup)
		skd_config.duress = 1;   /* (skinkey duress setup also writes duress = on) */
	if (r == 0 && !setup)
		rekey_records(keys, aids, instances);
	r = skd_guard_record(SKD_EV_PROVISION, chip, setup ? "duress-setup" : "duress-rotate",
	    "duress", r);
out:
	sk_wipe(admin, sizeof(admin));
	sk_wipe(next, sizeof(next));
	sk_wipe(keys, sizeof(keys));
	sk_wipe(pins, sizeof(pins));
	sk_wipe(typed, sizeof(typed));
	return r == 0 ? 0 : skd_fail(ctx, r, setup ? "DURESS SETUP" : "DURESS ROTATE");
}

static gpg_error_t do_unlock(assuan_context_t ctx)
{
	char chip[SKD_CHIPID_MAX];
	int r;

	if (!skd_config.duress)
		return skd_fail(ctx, SK_ERR_UNSUPPORTED, "DURESS UNLOCK: duress = off");
	if ((r = skd_duress_unlock(skd_conn_get(ctx), NULL, chip, sizeof(chip))) != 0)
		return skd_fail(ctx, r, "DURESS UNLOCK");
	return skd_status(ctx, "DURESS-CHIP", "%s", chip);
}

static gpg_error_t cmd_duress(assuan_context_t ctx, char *line)
{
	char sub[16], chip[SKD_CHIPID_MAX];

	if (strcmp(line, "UNLOCK") == 0)
		return do_unlock(ctx);
	if (strcmp(line, "LOCK") == 0) {
		skd_duress_lock("DURESS LOCK");
		return 0;
	}
	if (sscanf(line, "%15s %47s", sub, chip) != 2)
		return skd_fail(ctx, SK_ERR_ARG, "DURESS STATUS|SETUP|ROTATE <chip>");
	if (strcmp(sub, "STATUS") == 0)
		return do_status(ctx, chip);
	if (strcmp(sub, "SETUP") == 0)
		return do_admin(ctx, chip, 1, 0);
	if (strcmp(sub, "ROTATE") == 0)
		return do_admin(ctx, chip, 0, strstr(line, " --instances") != NULL);
	return skd_fail(ctx, SK_ERR_ARG, "DURESS STATUS|SETUP|ROTATE <chip>");
}

const struct skd_cmd skd_cmds_duress[] = {
	{ "DURESS", cmd_duress, "DURESS STATUS|SETUP|ROTATE <chip> [--instances], DURESS UNLOCK|LOCK: the DuressApplet (doc/DURESS.md)" },
	{ NULL, NULL, NULL }
};
