/* cmd_scd.c — scdaemon's OpenPGP commands that read (GnuPG 2.2.40 semantics): SERIALNO, LEARN,
 * GETATTR, READKEY, READCERT, SETDATA, CHECKPIN, RANDOM. Everything public is answered from the
 * cache, so it works while the chip is away; only CHECKPIN, RANDOM and READCERT need a tap. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/hex.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "scd.h"

/* ---- helpers shared by the scd command files ---- */

int scd_has_option(const char *line, const char *name)
{
	size_t n = strlen(name);

	while (*line == ' ')
		line++;
	while (line[0] == '-' && line[1] == '-') {
		if (strncmp(line, name, n) == 0 && (line[n] == ' ' || line[n] == '=' || !line[n]))
			return 1;
		while (*line && *line != ' ')
			line++;
		while (*line == ' ')
			line++;
	}
	return 0;
}

const char *scd_option_value(const char *line, const char *name, char *buf, size_t n)
{
	size_t k = strlen(name), len;

	while (*line == ' ')
		line++;
	while (line[0] == '-' && line[1] == '-') {
		if (strncmp(line, name, k) == 0 && line[k] == '=') {
			len = strcspn(line + k + 1, " ");
			if (len >= n)
				return NULL;
			memcpy(buf, line + k + 1, len);
			buf[len] = '\0';
			return buf;
		}
		while (*line && *line != ' ')
			line++;
		while (*line == ' ')
			line++;
	}
	return NULL;
}

char *scd_skip_options(char *line)
{
	while (*line == ' ')
		line++;
	while (line[0] == '-' && line[1] == '-') {
		while (*line && *line != ' ')
			line++;
		while (*line == ' ')
			line++;
	}
	return line;
}

int scd_chip(struct skd_conn *c, char *chip, size_t n)
{
	struct skd_chip_info ci;
	int r;

	if (skd_conn_chip(c)[0] != '\0') {
		snprintf(chip, n, "%s", skd_conn_chip(c));
	} else {
		if ((r = skd_chip_find(NULL, &ci)) != 0)
			return r == SK_ERR_NOT_FOUND ? SK_ERR_NO_CARD : r;
		snprintf(chip, n, "%s", ci.id);
	}
	/* the locked chip of a DuressApplet: its PIN picks the context this connection sees */
	if (strcmp(chip, SKD_LOCKED_CHIP) == 0) {
		if ((r = skd_duress_unlock(c, NULL, chip, n)) != 0)
			return r;
		skd_conn_set_chip(c, chip);
	}
	return 0;
}

int scd_chip_info(struct skd_conn *c, char *chip, size_t n, struct opgp_info *info)
{
	int r;

	if ((r = scd_chip(c, chip, n)) != 0)
		return r;
	if ((r = skd_pgp_info(chip, info)) != 0) {
		char why[8];
		if (r != SK_ERR_NOT_FOUND)
			return r;
		/* in the field but its data did not read: say that, not "Card not present" */
		return skd_pgp_unreadable(chip, why, sizeof(why)) == 0 ? SK_ERR_BAD_RESPONSE :
		    SK_ERR_NO_CARD;
	}
	return 0;
}

gpg_error_t scd_fail(assuan_context_t ctx, const char *chip, int r, const char *what)
{
	struct opgp_info info;
	char why[300];

	if (r == SK_ERR_BAD_RESPONSE && chip != NULL && chip[0] != '\0' &&
	    skd_pgp_info(chip, &info) == SK_ERR_NOT_FOUND &&
	    skd_pgp_unreadable(chip, why, sizeof(why)) == 0) {
		sk_info("%s: %s: %s", what, chip, why);
		return assuan_set_error(ctx, skd_gpg_err(r), why);
	}
	return skd_fail(ctx, r, what);
}

int scd_hold(struct skd_conn *c, const char *chip, struct skd_card **h)
{
	int r;

	if ((r = skd_card_acquire(c, chip, h)) != 0)
		return r;
	if ((r = opgp_select(skd_card_raw(*h))) == SK_ERR_CARD_RESET)
		r = opgp_select(skd_card_raw(*h));   /* another program reset the card: once more */
	if (r != 0)
		return scd_release(h, r);
	return 0;
}

int scd_release(struct skd_card **h, int r)
{
	if (*h != NULL && r == SK_ERR_CARD_REMOVED)
		skd_card_lost(*h);
	skd_card_release(h);
	return r;
}

int scd_keyslot(const char *chip, const struct opgp_info *info, const char *keyid, int *slot)
{
	const char *slash = strchr(keyid, '/');
	uint8_t f[20];
	char grip[41];

	if (slash != NULL)
		keyid = slash + 1;   /* "<serialno>/OPENPGP.n" */
	if (strncasecmp(keyid, "OPENPGP.", 8) == 0 && keyid[8] >= '1' && keyid[8] <= '3' &&
	    (keyid[9] == '\0' || keyid[9] == ' ')) {
		*slot = keyid[8] - '1';
		return 0;
	}
	if (strlen(keyid) < 40 || (keyid[40] != '\0' && keyid[40] != ' ') ||
	    sk_hex_decode_exact(keyid, 40, f, sizeof(f)) != 0)
		return SK_ERR_NOT_FOUND;
	for (int i = 0; i < 3; i++) {
		if (memcmp(info->fpr[i], f, 20) == 0) {
			*slot = i;
			return 0;
		}
		if (skd_pgp_cached_grip(chip, i, grip) == 0 && strncasecmp(grip, keyid, 40) == 0) {
			*slot = i;
			return 0;
		}
	}
	return SK_ERR_NOT_FOUND;
}

/* ---- commands ---- */

static gpg_error_t cmd_serialno(assuan_context_t ctx, char *line)
{
	struct skd_conn *c = skd_conn_get(ctx);
	struct skd_chip_info ci;
	struct opgp_info info;
	char demand[80], want[SKD_CHIPID_MAX], sn[33], unlocked[SKD_CHIPID_MAX];
	const char *want_p = NULL;
	int r;

	if (scd_option_value(line, "--demand", demand, sizeof(demand)) != NULL) {
		if (skd_pgp_chip_from_serialno(demand, want, sizeof(want)) != 0)
			return skd_fail(ctx, SK_ERR_NO_CARD, "SERIALNO: no chip with that serial number");
		want_p = want;
	}
	/* A chip with a DuressApplet shows no serial until its PIN picked a context. gpg sends
	 * SERIALNO where it cannot answer an INQUIRE (its early card test; gpg-agent's own
	 * SERIALNO before a signature), so skinkeyd's pinentry asks this PIN. */
	if (skd_duress_locked_present()) {
		if ((r = skd_duress_unlock(NULL, NULL, unlocked, sizeof(unlocked))) != 0)
			return skd_fail(ctx, r, "SERIALNO: the chip stays locked");
		if (want_p == NULL)
			want_p = unlocked;
	}
	if ((r = skd_chip_find(want_p, &ci)) != 0)
		return skd_fail(ctx, r == SK_ERR_NOT_FOUND ? SK_ERR_NO_CARD : r,
		    "SERIALNO: no known chip (tap one)");
	if ((r = skd_pgp_info(ci.id, &info)) != 0)
		return scd_fail(ctx, ci.id, ci.present && r == SK_ERR_NOT_FOUND ? SK_ERR_BAD_RESPONSE :
		    SK_ERR_NO_CARD, "SERIALNO: chip without OpenPGP data");
	skd_conn_set_chip(c, ci.id);
	skd_pgp_serialno(&info, sn);
	return skd_status(ctx, "SERIALNO", "%s", sn);
}

static gpg_error_t send_reader(assuan_context_t ctx, const char *chip)
{
	char reader[128];
	uint8_t *v = NULL;
	size_t n = 0;
	gpg_error_t e = 0;

	if (skd_cardmgr_present(chip, reader, sizeof(reader)))
		return assuan_write_status(ctx, "READER", reader);
	if (skd_cache_get(chip, "reader", &v, &n) == 0)
		e = assuan_write_status(ctx, "READER", (const char *)v);
	free(v);
	return e;
}

static gpg_error_t cmd_learn(assuan_context_t ctx, char *line)
{
	struct skd_conn *c = skd_conn_get(ctx);
	struct opgp_info info;
	char chip[SKD_CHIPID_MAX], sn[33];
	gpg_error_t e;
	int r;

	if ((r = scd_chip_info(c, chip, sizeof(chip), &info)) != 0)
		return scd_fail(ctx, chip, r, "LEARN");
	skd_conn_set_chip(c, chip);
	if (scd_has_option(line, "--keypairinfo"))
		return scd_send_keypairinfo(ctx, chip, &info);
	skd_pgp_serialno(&info, sn);
	if ((e = send_reader(ctx, chip)) != 0 ||
	    (e = skd_status(ctx, "SERIALNO", "%s", sn)) != 0 ||
	    (e = assuan_write_status(ctx, "APPTYPE", "openpgp")) != 0)
		return e;
	return scd_send_attr(ctx, chip, &info, NULL);
}

static gpg_error_t cmd_getattr(assuan_context_t ctx, char *line)
{
	struct skd_conn *c = skd_conn_get(ctx);
	struct opgp_info info;
	char chip[SKD_CHIPID_MAX];
	int r;

	while (*line == ' ')
		line++;
	if ((r = scd_chip_info(c, chip, sizeof(chip), &info)) != 0)
		return scd_fail(ctx, chip, r, "GETATTR");
	return scd_send_attr(ctx, chip, &info, line);
}

static gpg_error_t cmd_readkey(assuan_context_t ctx, char *line)
{
	struct skd_conn *c = skd_conn_get(ctx);
	struct opgp_info info;
	char chip[SKD_CHIPID_MAX];
	uint8_t *sexp = NULL;
	size_t len = 0;
	gpg_error_t e;
	int r, slot;

	line = scd_skip_options(line);
	if ((r = scd_chip_info(c, chip, sizeof(chip), &info)) != 0)
		return scd_fail(ctx, chip, r, "READKEY");
	if ((r = scd_keyslot(chip, &info, line, &slot)) != 0)
		return assuan_set_error(ctx, gpg_error(GPG_ERR_INV_ID), "READKEY: unknown key id");
	if ((r = skd_pgp_cached_sexp(chip, slot, &sexp, &len)) != 0)
		return skd_fail(ctx, SK_ERR_NOT_FOUND, "READKEY: no key in that slot");
	e = skd_send_data(ctx, sexp, len);
	free(sexp);
	return e;
}

static gpg_error_t cmd_setdata(assuan_context_t ctx, char *line)
{
	struct skd_conn *c = skd_conn_get(ctx);
	int append = scd_has_option(line, "--append");
	struct sk_buf *bin = NULL;
	int r;

	line = scd_skip_options(line);
	if (!append)
		skd_conn_cleardata(c);
	if ((bin = sk_buf_new_secure(65536)) == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	if (line[0] == '\0' || sk_hex_decode(line, strlen(line), bin) != 0) {
		sk_buf_free(&bin);
		return assuan_set_error(ctx, gpg_error(GPG_ERR_ASS_PARAMETER), "SETDATA: bad hex");
	}
	r = skd_conn_setdata(c, sk_buf_ptr(bin), sk_buf_len(bin));
	sk_buf_free(&bin);
	return r ? skd_fail(ctx, r, "SETDATA") : 0;
}

static gpg_error_t cmd_readcert(assuan_context_t ctx, char *line)
{
	struct skd_conn *c = skd_conn_get(ctx);
	struct skd_card *h = NULL;
	struct opgp_info info;
	char chip[SKD_CHIPID_MAX], key[32];
	uint8_t *cert = NULL;
	size_t len = 0;
	gpg_error_t e;
	int r, slot;

	line = scd_skip_options(line);
	if ((r = scd_chip_info(c, chip, sizeof(chip), &info)) != 0)
		return scd_fail(ctx, chip, r, "READCERT");
	if (scd_keyslot(chip, &info, line, &slot) != 0)
		return assuan_set_error(ctx, gpg_error(GPG_ERR_INV_ID), "READCERT: unknown key id");
	snprintf(key, sizeof(key), "opgp.cert.%d", slot + 1);
	if (skd_cache_get(chip, key, &cert, &len) != 0) {
		if ((r = scd_hold(c, chip, &h)) != 0)
			return skd_fail(ctx, r, "READCERT");
		r = scd_release(&h, opgp_read_cert(skd_card_raw(h), (enum opgp_key)slot, &cert, &len));
		if (r != 0)
			return skd_fail(ctx, r, "READCERT");
		skd_cache_put(chip, key, cert, len);
	}
	if (len == 0)
		e = skd_fail(ctx, SK_ERR_NOT_FOUND, "READCERT: no certificate");
	else
		e = skd_send_data(ctx, cert, len);
	free(cert);
	return e;
}

static gpg_error_t cmd_checkpin(assuan_context_t ctx, char *line)
{
	struct skd_conn *c = skd_conn_get(ctx);
	struct skd_card *h = NULL;
	struct opgp_info info;
	char chip[SKD_CHIPID_MAX];
	int r, ref;

	line = scd_skip_options(line);
	if ((r = scd_chip_info(c, chip, sizeof(chip), &info)) != 0)
		return scd_fail(ctx, chip, r, "CHECKPIN");
	ref = strstr(line, "OPENPGP.3") != NULL ? OPGP_PW3 : OPGP_PW1_OTHER;
	if ((r = scd_hold(c, chip, &h)) != 0)
		return skd_fail(ctx, r, "CHECKPIN");
	r = skd_pgp_verify(c, h, ref, &info);
	if (r == 0 && ref == OPGP_PW1_OTHER && info.pw.pw1_multi)
		r = skd_pgp_verify(c, h, OPGP_PW1_SIGN, &info);
	if (r == SK_ERR_PIN_WRONG)
		skd_pgp_refresh_ex(skd_card_raw(h), chip, NULL, 0, SKD_REFRESH_APP, NULL, 0);  /* C4 */
	r = scd_release(&h, r);
	return r ? skd_fail(ctx, r, "CHECKPIN") : 0;
}

static gpg_error_t cmd_random(assuan_context_t ctx, char *line)
{
	struct skd_conn *c = skd_conn_get(ctx);
	struct skd_card *h = NULL;
	char chip[SKD_CHIPID_MAX];
	uint8_t buf[256];
	long n = strtol(line, NULL, 10);
	gpg_error_t e;
	int r;

	if (n <= 0 || n > (long)sizeof(buf))
		return assuan_set_error(ctx, gpg_error(GPG_ERR_ASS_PARAMETER), "RANDOM: 1..256");
	if ((r = scd_chip(c, chip, sizeof(chip))) != 0 || (r = scd_hold(c, chip, &h)) != 0)
		return skd_fail(ctx, r, "RANDOM");
	r = scd_release(&h, opgp_get_challenge(skd_card_raw(h), buf, (size_t)n));
	if (r != 0)
		return skd_fail(ctx, r, "RANDOM");
	e = skd_send_data(ctx, buf, (size_t)n);
	sk_wipe(buf, sizeof(buf));
	return e;
}

/* skinkey extension: public OpenPGP facts of any known chip, from the cache (no tap). */
static gpg_error_t cmd_chipstatus(assuan_context_t ctx, char *line)
{
	static const char *const names[] = { "SERIALNO", "CHV-STATUS", "KEY-ATTR", "KEY-FPR",
		"KEY-TIME", "SIG-COUNTER", "DISP-NAME", NULL };
	struct opgp_info info;
	gpg_error_t e = 0;
	int r;

	while (*line == ' ')
		line++;
	if ((r = skd_pgp_info(line, &info)) != 0) {
		char why[300], *esc;
		if (r == SK_ERR_NOT_FOUND && skd_pgp_unreadable(line, why, sizeof(why)) == 0 &&
		    (esc = skd_escape(why, strlen(why))) != NULL) {
			e = assuan_write_status(ctx, "CARD-DATA-ERROR", esc);
			free(esc);
			return e != 0 ? e : scd_fail(ctx, line, SK_ERR_BAD_RESPONSE, "CHIPSTATUS");
		}
		return skd_fail(ctx, r, "CHIPSTATUS: no OpenPGP data for that chip");
	}
	for (size_t i = 0; names[i] != NULL && e == 0; i++)
		e = scd_send_attr(ctx, line, &info, names[i]);
	return e;
}

const struct skd_cmd skd_cmds_scd[] = {
	{ "CHIPSTATUS", cmd_chipstatus, "CHIPSTATUS CHIPID: cached OpenPGP status lines" },
	{ "SERIALNO", cmd_serialno, "SERIALNO [--demand=SERIALNO] [openpgp]" },
	{ "LEARN", cmd_learn, "LEARN [--force] [--keypairinfo]" },
	{ "GETATTR", cmd_getattr, "GETATTR NAME" },
	{ "READKEY", cmd_readkey, "READKEY [--advanced] OPENPGP.n|FPR|KEYGRIP" },
	{ "READCERT", cmd_readcert, "READCERT OPENPGP.n" },
	{ "SETDATA", cmd_setdata, "SETDATA [--append] HEX" },
	{ "CHECKPIN", cmd_checkpin, "CHECKPIN SERIALNO[/OPENPGP.3]" },
	{ "RANDOM", cmd_random, "RANDOM N" },
	{ NULL, NULL, NULL }
};
