/* cmd_scd_admin.c — commands that change the chip: GENKEY, SETATTR, PASSWD, WRITECERT.
 * Each needs the Admin PIN (PW3) or PW1, asked through INQUIRE NEEDPIN like scdaemon does;
 * the cache is refreshed from the chip afterwards. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/secmem.h"
#include "common/sk_err.h"
#include "event.h"
#include "scd.h"

static const char *const slot_names[3] = { "OPENPGP.1", "OPENPGP.2", "OPENPGP.3" };

static void hexs(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02X", p[i]);
}

/* "20260101T000000" or seconds since the epoch; 0 when absent. */
static int parse_timestamp(const char *s, uint32_t *out)
{
	struct tm tm;
	char *end;
	unsigned long v;

	*out = 0;
	if (s == NULL)
		return 0;
	if (strlen(s) == 15 && s[8] == 'T') {
		memset(&tm, 0, sizeof(tm));
		if (strptime(s, "%Y%m%dT%H%M%S", &tm) == NULL)
			return SK_ERR_ARG;
		*out = (uint32_t)timegm(&tm);
		return 0;
	}
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v == 0 || v > 0xFFFFFFFFul)
		return SK_ERR_ARG;
	*out = (uint32_t)v;
	return 0;
}

static gpg_error_t send_keydata(assuan_context_t ctx, const char *tag, const uint8_t *p,
    size_t n)
{
	char *h = malloc(2 * n + 1);
	gpg_error_t e;

	if (h == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	hexs(p, n, h);
	e = skd_status(ctx, "KEY-DATA", "%s %s", tag, h);
	free(h);
	return e;
}

static gpg_error_t genkey_status(assuan_context_t ctx, const struct opgp_pubkey *pk,
    uint32_t created)
{
	uint8_t fpr[20], q[134];
	char h[41];
	gpg_error_t e;

	if ((e = skd_status(ctx, "KEY-CREATED-AT", "%u", (unsigned)created)) != 0)
		return e;
	if (pk->algo_id == OPGP_ALGO_ID_RSA) {
		if ((e = send_keydata(ctx, "n", pk->n, pk->n_len)) != 0 ||
		    (e = send_keydata(ctx, "e", pk->e, pk->e_len)) != 0)
			return e;
	} else if (pk->point_len == 32 && pk->point_len < sizeof(q)) {
		q[0] = 0x40;
		memcpy(q + 1, pk->point, 32);
		if ((e = send_keydata(ctx, "q", q, 33)) != 0)
			return e;
	} else if ((e = send_keydata(ctx, "q", pk->point, pk->point_len)) != 0) {
		return e;
	}
	if (opgp_fingerprint_v4(pk, created, fpr) == 0) {
		hexs(fpr, 20, h);
		return skd_status(ctx, "KEY-FPR", "%s", h);
	}
	return 0;
}

static int hold_admin(struct skd_conn *c, char *chip, size_t n, struct opgp_info *info,
    struct skd_card **h, int ref)
{
	int r;

	if ((r = scd_chip_info(c, chip, n, info)) != 0)
		return r;
	if ((r = scd_hold(c, chip, h)) != 0)
		return r;
	if ((r = skd_pgp_verify(c, *h, ref, info)) != 0)
		return scd_release(h, r);
	return 0;
}

/* After a change: read the chip again so LEARN shows it (also after a refused PIN): what the
 * change can have touched (APP: 6E and 7A, in the transaction that selected the applet). */
static int finish(struct skd_card **h, const char *chip, int r, enum skd_refresh mode)
{
	if (*h != NULL && r != SK_ERR_CARD_REMOVED)
		skd_pgp_refresh_ex(skd_card_raw(*h), chip, NULL, 0, mode, NULL, 0);
	return scd_release(h, r);
}

/* SETATTR of a DO inside 6E (C4, CA..CC, the resetting code's counter, key attributes)? */
static enum skd_refresh setattr_scope(uint16_t tag)
{
	switch (tag) {
	case 0x0000: case 0x00C4: case 0x00CA: case 0x00CB: case 0x00CC: case 0x00D3:
		return SKD_REFRESH_APP;
	default:
		return SKD_REFRESH_FULL;
	}
}

static gpg_error_t cmd_genkey(assuan_context_t ctx, char *line)
{
	struct skd_conn *c = skd_conn_get(ctx);
	struct skd_card *h = NULL;
	struct opgp_info info;
	struct opgp_pubkey pk;
	char chip[SKD_CHIPID_MAX] = "", ts[40];
	uint32_t created;
	int r, slot, force = scd_has_option(line, "--force");
	gpg_error_t e;

	if (parse_timestamp(scd_option_value(line, "--timestamp", ts, sizeof(ts)), &created) != 0)
		return assuan_set_error(ctx, gpg_error(GPG_ERR_INV_TIME), "GENKEY: bad --timestamp");
	line = scd_skip_options(line);
	if (line[0] < '1' || line[0] > '3' || (line[1] != '\0' && line[1] != ' '))
		return assuan_set_error(ctx, gpg_error(GPG_ERR_INV_ID), "GENKEY: key number 1..3");
	slot = line[0] - '1';
	if (created == 0)
		created = (uint32_t)time(NULL);
	if ((r = hold_admin(c, chip, sizeof(chip), &info, &h, OPGP_PW3)) != 0)
		return scd_fail(ctx, chip, r, "GENKEY");
	for (int i = 0; i < 20 && !force; i++)
		if (info.fpr[slot][i] != 0) {
			scd_release(&h, 0);
			return assuan_set_error(ctx, gpg_error(GPG_ERR_EEXIST),
			    "GENKEY: a key exists (use --force)");
		}
	sk_info("%s: generating key %d", chip, slot + 1);
	r = opgp_generate(skd_card_raw(h), (enum opgp_key)slot, created, &pk);
	if (r == 0 && skd_pgp_cache_generated(chip, slot, &pk, created) != 0)
		sk_warn("%s: generated key %d not cached: read again", chip, slot + 1);
	r = finish(&h, chip, r, SKD_REFRESH_APP);
	skd_event_set_door("gpg");
	skd_event_note(SKD_EV_KEYGEN, chip, "generate", slot_names[slot], 0, -1, r);
	if (r != 0)
		return scd_fail(ctx, chip, r, "GENKEY");
	e = genkey_status(ctx, &pk, created);
	sk_wipe(&pk, sizeof(pk));
	return e;
}

static int algo_from_words(int slot, const char *algo, const char *name, enum opgp_algo *out)
{
	long a = strtol(algo, NULL, 10);

	if (a == 1 || strncmp(name, "rsa", 3) == 0) {
		long bits = strtol(strncmp(name, "rsa", 3) == 0 ? name + 3 : name, NULL, 10);
		if (bits == 2048 || bits == 0)
			*out = OPGP_ALGO_RSA2048;
		else if (bits == 4096)
			*out = OPGP_ALGO_RSA4096;
		else
			return SK_ERR_UNSUPPORTED;
		return 0;
	}
	if (strcasecmp(name, "nistp256") == 0 || strcasecmp(name, "NIST P-256") == 0)
		*out = OPGP_ALGO_P256;
	else if (strcasecmp(name, "nistp384") == 0 || strcasecmp(name, "NIST P-384") == 0)
		*out = OPGP_ALGO_P384;
	else if (strcasecmp(name, "ed25519") == 0 || (slot != 1 && strcasecmp(name, "cv25519") != 0 &&
	    strcasecmp(name, "curve25519") != 0 && strcasecmp(name, "x25519") != 0 &&
	    strstr(name, "25519") != NULL))
		*out = OPGP_ALGO_ED25519;
	else if (strcasecmp(name, "cv25519") == 0 || strcasecmp(name, "curve25519") == 0 ||
	    strcasecmp(name, "x25519") == 0)
		*out = OPGP_ALGO_X25519;
	else
		return SK_ERR_UNSUPPORTED;
	if (slot == 1 && *out == OPGP_ALGO_ED25519)
		*out = OPGP_ALGO_X25519;
	if (slot != 1 && *out == OPGP_ALGO_X25519)
		*out = OPGP_ALGO_ED25519;
	return 0;
}

/* "KEY-ATTR [--force] N ALGO CURVE" or "KEY-ATTR [--force] N 1 BITS" / "N rsa2048". */
static int setattr_keyattr(struct sk_card *sc, char *val)
{
	char *w[4] = { NULL, NULL, NULL, NULL }, *save = NULL, *t;
	enum opgp_algo algo;
	int n = 0, slot;

	val = scd_skip_options(val);
	for (t = strtok_r(val, " ", &save); t != NULL && n < 4; t = strtok_r(NULL, " ", &save))
		w[n++] = t;
	if (n < 2 || w[0][0] < '1' || w[0][0] > '3')
		return SK_ERR_ARG;
	slot = w[0][0] - '1';
	if (algo_from_words(slot, n >= 3 ? w[1] : "0", n >= 3 ? w[2] : w[1], &algo) != 0)
		return SK_ERR_UNSUPPORTED;
	return opgp_set_algo_attr(sc, (enum opgp_key)slot, algo);
}

static const struct {
	const char *name;
	uint16_t tag;
	int ref;
} attr_tab[] = {
	{ "DISP-NAME", 0x005B, OPGP_PW3 }, { "LOGIN-DATA", 0x005E, OPGP_PW3 },
	{ "DISP-LANG", 0x5F2D, OPGP_PW3 }, { "DISP-SEX", 0x5F35, OPGP_PW3 },
	{ "PUBKEY-URL", 0x5F50, OPGP_PW3 }, { "CHV-STATUS-1", 0x00C4, OPGP_PW3 },
	{ "CA-FPR-1", 0x00CA, OPGP_PW3 }, { "CA-FPR-2", 0x00CB, OPGP_PW3 },
	{ "CA-FPR-3", 0x00CC, OPGP_PW3 }, { "PRIVATE-DO-1", 0x0101, OPGP_PW1_OTHER },
	{ "PRIVATE-DO-2", 0x0102, OPGP_PW3 }, { "PRIVATE-DO-3", 0x0103, OPGP_PW1_OTHER },
	{ "PRIVATE-DO-4", 0x0104, OPGP_PW3 }, { "RESET-CODE", 0x00D3, OPGP_PW3 },
	{ "KDF", 0x00F9, OPGP_PW3 }, { "KEY-ATTR", 0, OPGP_PW3 },
};

/* The value is copied first: an INQUIRE (the PIN) reuses libassuan's line buffer. */
static gpg_error_t setattr_run(assuan_context_t ctx, char *line)
{
	struct skd_conn *c = skd_conn_get(ctx);
	struct skd_card *h = NULL;
	struct opgp_info info;
	char chip[SKD_CHIPID_MAX] = "", *val;
	size_t i, nlen, vlen;
	int r;

	while (*line == ' ')
		line++;
	nlen = strcspn(line, " ");
	val = line + nlen;
	while (*val == ' ')
		val++;
	for (i = 0; i < sizeof(attr_tab) / sizeof(attr_tab[0]); i++)
		if (strlen(attr_tab[i].name) == nlen && strncmp(attr_tab[i].name, line, nlen) == 0)
			break;
	if (i == sizeof(attr_tab) / sizeof(attr_tab[0]))
		return assuan_set_error(ctx, gpg_error(GPG_ERR_INV_NAME), "SETATTR: unknown attribute");
	vlen = skd_unescape(val, 1);   /* gpg sends the value percent+plus escaped */
	if ((r = hold_admin(c, chip, sizeof(chip), &info, &h, attr_tab[i].ref)) != 0)
		return scd_fail(ctx, chip, r, "SETATTR");
	if (attr_tab[i].tag == 0)
		r = setattr_keyattr(skd_card_raw(h), val);
	else if (attr_tab[i].tag == 0x00C4)
		r = opgp_put_data(skd_card_raw(h), 0xC4, (const uint8_t *)(val[0] == '1' ?
		    "\x01" : "\x00"), 1);
	else
		r = opgp_put_data(skd_card_raw(h), attr_tab[i].tag, (const uint8_t *)val, vlen);
	r = finish(&h, chip, r, setattr_scope(attr_tab[i].tag));
	return r ? skd_fail(ctx, r, "SETATTR") : 0;
}

static gpg_error_t cmd_setattr(assuan_context_t ctx, char *line)
{
	size_t n = strlen(line) + 1;
	char *copy = sk_secure_alloc(n);   /* private DOs and the resetting code are secrets */
	gpg_error_t e;

	if (copy == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	memcpy(copy, line, n);
	e = setattr_run(ctx, copy);
	sk_secure_free(copy);
	return e;
}

/* An INQUIRE NEEDPIN answer, never cached. */
static int ask_pin(struct skd_conn *c, const char *prompt, char **pin)
{
	int cached;

	/* "" as chip: the cache never matches, so the client is always asked */
	return skd_pin_obtain(c, "", 0, prompt, pin, &cached);
}

static int passwd_change(struct skd_conn *c, struct skd_card *h, int ref)
{
	char *old = NULL, *new = NULL;
	int r;

	r = ask_pin(c, ref == OPGP_PW3 ? "|A|Please enter the Admin PIN" :
	    "||Please enter the PIN", &old);
	if (r == 0)
		r = ask_pin(c, ref == OPGP_PW3 ? "|AN|New Admin PIN" : "|N|New PIN", &new);
	if (r == 0)
		r = opgp_change_pin(skd_card_raw(h), (uint8_t)(ref == OPGP_PW3 ? 0x83 : 0x81), old,
		    strlen(old), new, strlen(new));
	skd_pin_free(&old);
	skd_pin_free(&new);
	return r;
}

static int passwd_reset(struct skd_conn *c, struct skd_card *h, const struct opgp_info *info)
{
	char *new = NULL;
	int r;

	/* the new PIN first: RESET RETRY COUNTER must follow the PW3 VERIFY (and its SELECT) in the
	 * same transaction, and the card is given back while the client answers */
	if ((r = ask_pin(c, "|AN|New PIN", &new)) == 0 &&
	    (r = skd_pgp_verify(c, h, OPGP_PW3, info)) == 0)
		r = opgp_reset_retry_counter(skd_card_raw(h), NULL, 0, new, strlen(new));
	skd_pin_free(&new);
	return r;
}

static gpg_error_t cmd_passwd(assuan_context_t ctx, char *line)
{
	struct skd_conn *c = skd_conn_get(ctx);
	struct skd_card *h = NULL;
	struct opgp_info info;
	char chip[SKD_CHIPID_MAX];
	int reset = scd_has_option(line, "--reset"), r, ref;
	const char *p;

	line = scd_skip_options(line);
	p = strncasecmp(line, "OPENPGP.", 8) == 0 ? line + 8 : line;
	if (p[0] == '1' || p[0] == '2')
		ref = OPGP_PW1_SIGN;
	else if (p[0] == '3')
		ref = OPGP_PW3;
	else
		return assuan_set_error(ctx, gpg_error(GPG_ERR_INV_ID), "PASSWD: 1 or 3");
	if (reset && ref != OPGP_PW1_SIGN)
		return assuan_set_error(ctx, gpg_error(GPG_ERR_INV_ID), "PASSWD --reset: PIN 1 only");
	if ((r = scd_chip_info(c, chip, sizeof(chip), &info)) != 0)
		return scd_fail(ctx, chip, r, "PASSWD");
	if ((r = scd_hold(c, chip, &h)) != 0)
		return skd_fail(ctx, r, "PASSWD");
	skd_event_set_door("gpg");
	r = reset ? passwd_reset(c, h, &info) : passwd_change(c, h, ref);
	skd_pin_cache_drop(chip, 0);
	if (r == SK_ERR_PIN_WRONG && !reset)   /* (a reset's PW3 failure: skd_pgp_verify) */
		skd_event_note(SKD_EV_PIN_FAIL, chip, "change", NULL, ref, -1, r);
	skd_event_note(SKD_EV_PIN_CHANGE, chip, reset ? "reset" : "change", NULL,
	    reset ? OPGP_PW1_SIGN : ref, -1, r);
	r = finish(&h, chip, r, SKD_REFRESH_APP);
	return r ? skd_fail(ctx, r, "PASSWD") : 0;
}

static gpg_error_t cmd_writecert(assuan_context_t ctx, char *line)
{
	struct skd_conn *c = skd_conn_get(ctx);
	struct skd_card *h = NULL;
	struct opgp_info info;
	char chip[SKD_CHIPID_MAX], key[32];
	unsigned char *cert = NULL;
	size_t len = 0;
	gpg_error_t e;
	int r, slot;

	line = scd_skip_options(line);
	if ((r = scd_chip_info(c, chip, sizeof(chip), &info)) != 0)
		return scd_fail(ctx, chip, r, "WRITECERT");
	if (scd_keyslot(chip, &info, line, &slot) != 0)
		return assuan_set_error(ctx, gpg_error(GPG_ERR_INV_ID), "WRITECERT: unknown key id");
	if ((e = skd_inquire(ctx, "CERTDATA", &cert, &len, 4096)) != 0)
		return e;
	r = hold_admin(c, chip, sizeof(chip), &info, &h, OPGP_PW3);
	if (r == 0)
		r = finish(&h, chip, opgp_write_cert(skd_card_raw(h), (enum opgp_key)slot, cert, len),
		    SKD_REFRESH_APP);
	snprintf(key, sizeof(key), "opgp.cert.%d", slot + 1);
	if (r == 0)
		skd_cache_put(chip, key, cert, len);
	free(cert);
	return r ? skd_fail(ctx, r, "WRITECERT") : 0;
}

const struct skd_cmd skd_cmds_scd_admin[] = {
	{ "GENKEY", cmd_genkey, "GENKEY [--force] [--timestamp=ISO] N" },
	{ "SETATTR", cmd_setattr, "SETATTR NAME VALUE" },
	{ "PASSWD", cmd_passwd, "PASSWD [--reset] 1|3" },
	{ "WRITECERT", cmd_writecert, "WRITECERT OPENPGP.n (INQUIRE CERTDATA)" },
	{ NULL, NULL, NULL }
};
