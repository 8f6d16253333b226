/* cmd_audit.c — the audit chain's verification key on the implant (doc/PROTOCOL.md, "Audit"):
 *   AUDITKEY PUT <chip>   INQUIRE AUDITKEY (the 32-byte key); SELECT, VERIFY PW1 (82), PUT DATA
 *                         0103 = "SKA1" || key. Writes the chip: only on the user's command.
 *   AUDITKEY GET <chip>   VERIFY PW1 (82), GET DATA 0103: D key
 * DO 0103 is the OpenPGP card's private DO that needs PW1 to read and to write: verification with
 * the key from the chip needs the implant and its PIN. The key travels only in INQUIRE/D data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/secmem.h"
#include "common/sk_err.h"
#include "event.h"
#include "openpgp.h"
#include "pgp.h"
#include "skd_int.h"

#define AUDITKEY_LEN 32
#define AUDITKEY_DO 0x0103
static const uint8_t magic[4] = { 'S', 'K', 'A', '1' };

struct key_arg {
	int put;
	uint8_t blob[sizeof(magic) + AUDITKEY_LEN];   /* PUT: what is written; GET: what was read */
};

static int on_card(struct skd_conn *c, const char *chip, struct key_arg *a)
{
	struct skd_card *h = NULL;
	struct opgp_info info;
	uint8_t *got = NULL;
	size_t n = 0;
	int r;

	if ((r = skd_pgp_info(chip, &info)) != 0 || (r = skd_card_acquire(c, chip, &h)) != 0)
		return r;
	if ((r = opgp_select(skd_card_raw(h))) == 0 &&
	    (r = skd_pgp_verify(c, h, OPGP_PW1_OTHER, &info)) == 0) {
		if (a->put) {
			r = opgp_put_data(skd_card_raw(h), AUDITKEY_DO, a->blob, sizeof(a->blob));
		} else if ((r = opgp_get_data(skd_card_raw(h), AUDITKEY_DO, &got, &n)) == 0) {
			if (n != sizeof(a->blob) || memcmp(got, magic, sizeof(magic)) != 0) {
				sk_info("%s: DO 0103 holds no skinkey audit key", chip);
				r = SK_ERR_NOT_FOUND;
			} else {
				memcpy(a->blob, got, n);
			}
		}
	}
	if (got != NULL) {
		sk_wipe(got, n);
		free(got);
	}
	if (r == SK_ERR_CARD_REMOVED)
		skd_card_lost(h);
	skd_card_release(&h);
	return r;
}

static gpg_error_t cmd_auditkey(assuan_context_t ctx, char *line)
{
	struct skd_conn *c = skd_conn_get(ctx);
	struct key_arg *a = NULL;
	char chip[SKD_CHIPID_MAX];
	unsigned char *in = NULL;
	size_t inlen = 0;
	gpg_error_t e = 0;
	int r, put;

	if (strncmp(line, "PUT ", 4) != 0 && strncmp(line, "GET ", 4) != 0)
		return skd_fail(ctx, SK_ERR_ARG, "AUDITKEY PUT|GET <chip>");
	put = line[0] == 'P';
	if (strlen(line + 4) == 0 || strlen(line + 4) >= sizeof(chip))
		return skd_fail(ctx, SK_ERR_ARG, "AUDITKEY PUT|GET <chip>");
	snprintf(chip, sizeof(chip), "%s", line + 4);   /* before the INQUIRE reuses the line */
	if ((a = sk_secure_alloc(sizeof(*a))) == NULL)
		return skd_fail(ctx, SK_ERR_NOMEM, "AUDITKEY");
	a->put = put;
	skd_event_set_door("cli");
	if (put) {
		if ((e = assuan_inquire(ctx, "AUDITKEY", &in, &inlen, AUDITKEY_LEN)) != 0)
			goto out;
		if (inlen != AUDITKEY_LEN) {
			r = SK_ERR_ARG;
			goto fail;
		}
		memcpy(a->blob, magic, sizeof(magic));
		memcpy(a->blob + sizeof(magic), in, AUDITKEY_LEN);
	}
	r = on_card(c, chip, a);
	r = skd_guard_record(SKD_EV_PROVISION, chip, put ? "audit-key-write" : "audit-key-read",
	    "DO0103", r);
	if (r != 0)
		goto fail;
	if (!put)
		e = skd_send_data(ctx, a->blob + sizeof(magic), AUDITKEY_LEN);
	goto out;
fail:
	e = skd_fail(ctx, r, "AUDITKEY");
out:
	if (in != NULL) {
		sk_wipe(in, inlen);
		assuan_free(ctx, in);
	}
	sk_secure_free(a);
	return e;
}

const struct skd_cmd skd_cmds_audit[] = {
	{ "AUDITKEY", cmd_auditkey, "AUDITKEY PUT|GET <chip>: the audit verification key in DO 0103" },
	{ NULL, NULL, NULL }
};
