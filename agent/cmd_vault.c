/* cmd_vault.c — skinkeyd's VAULT_* commands: the DESFire credential vault (vault/ + desfire/).
 *
 * Every command that needs K_vault reads it from the chip with the 4-APDU path (SELECT,
 * AuthenticateEV2First x2, ReadData FULL) into secure memory and wipes it before answering.
 * Strings on the command line are Assuan percent-escaped; secrets never travel on a command line,
 * only through INQUIRE (VAULT_SECRET, VAULT_SHARE) or D lines. See doc/PROTOCOL.md. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "desfire.h"
#include "event.h"
#include "skd.h"
#include "skd_int.h"
#include "vault/vault.h"
#include "vault_cloak.h"

/* The vault application on the DESFire chip: "SKV". */
static const uint8_t vault_aid[3] = { 0x53, 0x4B, 0x56 };

static pthread_mutex_t vault_mu = PTHREAD_MUTEX_INITIALIZER;
static struct vault_store *store;   /* opened on first use, under vault_mu */

static int store_get(struct vault_store **out)
{
	int r = 0;

	if (store == NULL && (r = vault_store_open(NULL, &store)) != 0)
		sk_error("vault: cannot open vault.db: %s", sk_strerror(r));
	*out = store;
	return r;
}

/* ---- line parsing --------------------------------------------------------------------------- */

/* Split line into at most max space-separated tokens, unescaping each; returns the count. */
static size_t tokens(char *line, char **tok, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (*p != '\0' && n < max) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		tok[n++] = p;
		while (*p != '\0' && *p != ' ')
			p++;
		if (*p == ' ')
			*p++ = '\0';
	}
	for (size_t i = 0; i < n; i++)
		skd_unescape(tok[i], 1);
	return n;
}

static int parse_id(const char *s, uint64_t *id)
{
	char *end = NULL;
	unsigned long long v;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return SK_ERR_ARG;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0)
		return SK_ERR_ARG;
	*id = v;
	return 0;
}

static const char *opt_value(char **tok, size_t n, const char *name)
{
	size_t l = strlen(name);

	for (size_t i = 0; i < n; i++)
		if (strncmp(tok[i], name, l) == 0 && tok[i][l] == '=')
			return tok[i] + l + 1;
	return NULL;
}

/* ---- chips ---------------------------------------------------------------------------------- */

static int uid_from_chip_id(const char *id, uint8_t *uid, size_t *len)
{
	size_t n, i;
	unsigned v;

	if (strncmp(id, "df-", 3) != 0 || (n = strlen(id + 3)) == 0 || n % 2 != 0 || n / 2 > 16)
		return SK_ERR_ARG;
	for (i = 0; i < n / 2; i++) {
		if (sscanf(id + 3 + 2 * i, "%2x", &v) != 1)
			return SK_ERR_ARG;
		uid[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A DESFire chip in the field other than `not` (NULL = any), waiting up to tap-timeout. */
static int await_desfire(struct skd_conn *c, const char *not, char *id, size_t n)
{
	int waited = 0, limit = skd_conf_tap_timeout_ms(), told = 0;
	struct skd_chip_info *v = NULL;
	size_t cnt = 0, i;
	int r;

	for (;;) {
		if ((r = skd_chip_list(&v, &cnt)) != 0)
			return r;
		for (i = 0; i < cnt; i++)
			if (v[i].present && strncmp(v[i].id, "df-", 3) == 0 &&
			    (not == NULL || strcmp(v[i].id, not) != 0)) {
				snprintf(id, n, "%s", v[i].id);
				free(v);
				return 0;
			}
		free(v);
		v = NULL;
		if (waited >= limit)
			return SK_ERR_TIMEOUT;
		if (!told++)
			skd_status(skd_conn_ctx(c), "PROGRESS", "tap ? 0 %d", limit / 1000);
		sleep_ms(100);
		waited += 100;
	}
}

/* Read K_vault from chip `id` with its K_chip: the 4-APDU every-use path. */
static int read_kvault(struct skd_conn *c, struct vault_store *st, const char *id, uint8_t *kv)
{
	struct skd_card *h = NULL;
	struct desfire *df = NULL;
	struct desfire_io io;
	uint8_t *kchip = NULL;
	int r;

	if ((r = vault_chip_kchip(st, id, &kchip)) != 0)
		goto out;
	if ((r = skd_card_acquire(c, id, &h)) != 0)
		goto out;
	desfire_io_from_card(skd_card_raw(h), &io);
	if ((r = desfire_new(&io, &df)) != 0)
		goto out;
	r = desfire_vault_read(df, vault_aid, kchip, kv);
	if (r == SK_ERR_CARD_REMOVED)
		skd_card_lost(h);
out:
	if (r != 0)
		sk_wipe(kv, VAULT_KEY_LEN);
	desfire_free(&df);
	skd_card_release(&h);
	vault_secret_free(&kchip, VAULT_KCHIP_LEN);
	return r;
}

/* K_vault from the primary chip, checked against the stored key check when one exists. */
static int primary_kvault(struct skd_conn *c, struct vault_store *st, uint8_t *kv)
{
	struct vault_chip chip;
	int r;

	if ((r = skd_guard_gate()) != 0)   /* K_vault is a key: audit = required */
		return r;
	if ((r = vault_chip_primary(st, &chip)) != 0) {
		sk_warn("vault: no primary chip (run VAULT_INIT)");
		return r;
	}
	if ((r = read_kvault(c, st, chip.chip_id, kv)) != 0)
		return r;
	r = vault_key_check_verify(st, kv);
	if (r == SK_ERR_NOT_FOUND)
		r = vault_key_check_set(st, kv);
	if (r != 0)
		sk_wipe(kv, VAULT_KEY_LEN);
	return r;
}

/* The vault operation's event, before its answer (r, or SK_ERR_UNRECORDED). */
static int vault_event(int kind, const char *op, uint64_t id, const char *chip, int r)
{
	char obj[32] = "";

	if (id != 0)
		snprintf(obj, sizeof(obj), "vault:%llu", (unsigned long long)id);
	return skd_guard_record(kind, chip, op, obj[0] ? obj : NULL, r);
}

/* ---- provisioning --------------------------------------------------------------------------- */

/* The journal's context: the store, and the chip whose provisioning steps it records. */
struct jr_ctx {
	struct vault_store *st;
	const char *chip;
};

static int jr_load(void *ctx, struct desfire_prov_record *rec)
{
	return vault_prov_record_load(((struct jr_ctx *)ctx)->st, (uint8_t *)rec, sizeof(*rec));
}

/* Each provisioning step is journaled before the next key goes onto the chip, and is an event
 * (provision:desfire-keys, -picc-key, -app, -done; no key in it). An event that cannot be
 * written stops provisioning here (a later run resumes). */
static int jr_store(void *ctx, const struct desfire_prov_record *rec)
{
	static const char *const step[] = { "desfire-step", "desfire-keys", "desfire-picc-key",
		"desfire-app", "desfire-done" };
	struct jr_ctx *jc = ctx;
	int r;

	if ((r = vault_prov_record_store(jc->st, (const uint8_t *)rec, sizeof(*rec))) != 0)
		return r;
	r = skd_event_note(SKD_EV_PROVISION, jc->chip, rec->state < 5 ? step[rec->state] :
	    step[0], NULL, 0, -1, 0);
	if (r != 0) {   /* (audit = off: the outbox writes nothing and fails nothing) */
		sk_warn("vault: provisioning step not recorded (%s): stopped", sk_strerror(r));
		return SK_ERR_UNRECORDED;
	}
	return 0;
}

/* NXP originality signature over the UID (Read_Sig, unauthenticated, one APDU): 1 = verified
 * (NXP's published DESFire EV3 key; skinkey-sim's test key only with vault-originality = sim),
 * 0 = not verified and vault-originality = off (provisioned, shown unverified by CHIPS),
 * SK_ERR_CRYPTO = refused: no vault key goes onto a chip that is not what it claims to be. */
static int originality(struct desfire *df, const uint8_t *uid, size_t uid_len)
{
	uint8_t sig[56];
	const char *which = NULL;
	unsigned flags = skd_conf_vault_originality() == SKD_ORIG_SIM ? DESFIRE_ORIG_ALLOW_SIM : 0;

	if (uid_len == 7 && desfire_read_sig(df, sig) == 0 &&
	    desfire_verify_originality(uid, sig, flags, &which) == 0) {
		sk_info("vault: originality verified (%s)", which != NULL ? which : "nxp");
		return 1;
	}
	if (skd_conf_vault_originality() == SKD_ORIG_OFF) {
		sk_warn("vault: originality signature not verified; provisioning anyway "
		    "(vault-originality = off)");
		return 0;
	}
	sk_warn("vault: the chip's originality signature does not verify against NXP's DESFire EV3 "
	    "key: refused (vault-originality in skinkey.conf)");
	return SK_ERR_CRYPTO;
}

/* Provision chip `id` with kv_in (NULL = a fresh K_vault, returned in kv_out) and register it
 * with `role`. The desfire journal lives in vault.db; the PICC key goes to the key log. */
static int provision(struct skd_conn *c, struct vault_store *st, const char *id, int role,
    const uint8_t *kv_in, uint8_t *kv_out)
{
	struct jr_ctx jc = { st, id };
	struct desfire_journal j = { &jc, jr_load, jr_store };
	struct desfire_prov_params p;
	struct desfire_prov_record *rec = NULL;
	struct skd_card *h = NULL;
	struct desfire *df = NULL;
	struct desfire_io io;
	uint8_t uid[16];
	size_t uid_len = 0;
	int64_t e = 0;
	int genuine, r;

	memcpy(p.aid, vault_aid, 3);
	p.vault_key = kv_in;
	if ((r = uid_from_chip_id(id, uid, &uid_len)) != 0)
		goto out;
	r = SK_ERR_NOMEM;
	if ((rec = sk_secure_alloc(sizeof(*rec))) == NULL)
		goto out;
	if ((r = skd_card_acquire(c, id, &h)) != 0)
		goto out;
	desfire_io_from_card(skd_card_raw(h), &io);
	if ((r = desfire_new(&io, &df)) != 0)
		goto out;
	if ((genuine = originality(df, uid, uid_len)) < 0) {
		r = genuine;
		goto out;
	}
	if ((r = desfire_provision(df, &j, &p, kv_out)) != 0) {
		if (r == SK_ERR_CARD_REMOVED)
			skd_card_lost(h);
		sk_warn("vault: provisioning %s failed: %s (run it again to resume)", id,
		    sk_strerror(r));
		goto out;
	}
	if ((r = jr_load(&jc, rec)) != 0 ||
	    (r = vault_journal_record(st, id, 0x80, DESFIRE_PROV_KEY_VERSION, rec->picc_key, 16,
	    &e)) != 0 || (r = vault_journal_commit(st, e)) != 0)
		goto out;
	if ((r = vault_chip_add(st, id, uid, uid_len, role, rec->chip_key,
	    DESFIRE_PROV_KEY_VERSION, 1)) != 0)
		goto out;
	if (genuine && (r = vault_chip_set_originality(st, id, (int64_t)time(NULL))) != 0)
		goto out;
	r = vault_prov_record_clear(st);
out:
	desfire_free(&df);
	skd_card_release(&h);
	sk_secure_free(rec);
	return r;
}

/* ---- duress contexts (vault_cloak.h, doc/DURESS.md "The vault per context") ----------------- */

/* duress = on: every credential command works on the active context's cloaked rows only. */
static int cloaked(void)
{
	return skd_conf_duress();
}

/* The vault is a door like the others: with duress = on and the implant locked, the one PIN is
 * asked here (skinkeyd's pinentry-program, as for the ssh-agent: no INQUIRE, whose answer would
 * reuse the line buffer the arguments point into) and goes to the DuressApplet; the context it
 * chooses is the vault's. 0 when a context is active (or became so), or no locked chip is in
 * the field (the command then answers LOCKED as before). */
static int cloak_door(void)
{
	char chip[SKD_CHIPID_MAX];

	if (!cloaked() || skd_duress_active(NULL, 0) || !skd_duress_locked_present())
		return 0;
	return skd_duress_unlock(NULL, NULL, chip, sizeof(chip));
}

/* Row id is a duress context's (duress = off: never touched, never opened). */
static int cloaked_row(struct vault_store *st, uint64_t id)
{
	struct vault_cred v;
	int on;

	if (vault_cred_info(st, id, &v) != 0)
		return 0;
	on = strcmp(v.site, VAULT_CLOAK_SITE) == 0;
	vault_cred_clear(&v);
	if (on)
		sk_warn("vault: credential %llu belongs to a duress context (duress = off): refused",
		    (unsigned long long)id);
	return on;
}

/* K_vault from the primary chip, then the active context's key (k: VAULT_KEY_LEN). */
static int cloak_key(struct skd_conn *c, struct vault_store *st, uint8_t *k, int *ctx)
{
	uint8_t *kv = sk_secure_alloc(VAULT_KEY_LEN);
	int r = SK_ERR_NOMEM;

	if (kv != NULL && (r = primary_kvault(c, st, kv)) == 0)
		r = skd_ctxrec_derive(kv, VAULT_KEY_LEN, CLOAK_KEY_INFO, k, ctx);
	sk_secure_free(kv);
	return r;
}

/* The row of an id or a (site, user) of the active context's index. */
static int cloak_resolve(char **tok, size_t n, uint64_t *id)
{
	struct cloak_ent *e = NULL;
	size_t cnt = 0;
	int r;

	if ((r = cloak_load(&e, &cnt)) != 0)
		return r;
	if (n == 1 && (r = parse_id(tok[0], id)) == 0)
		r = cloak_by_id(e, cnt, *id) != NULL ? 0 : SK_ERR_NOT_FOUND;
	else if (n == 2)
		r = cloak_lookup(e, cnt, tok[0], tok[1], id);
	else if (n != 1)
		r = SK_ERR_ARG;
	cloak_free(e, cnt);
	return r;
}

static int cloak_add(struct skd_conn *c, struct vault_store *st, int type, const char *site,
    const char *user, const uint8_t *sec, size_t slen, uint64_t *id)
{
	struct cloak_ent *e = NULL;
	uint8_t *k = sk_secure_alloc(VAULT_KEY_LEN);
	size_t cnt = 0;
	int ctx = -1, r = SK_ERR_NOMEM;

	if (k == NULL || (r = cloak_load(&e, &cnt)) != 0 || (r = cloak_key(c, st, k, &ctx)) != 0 ||
	    (r = cloak_pick_row(st, ctx, e, cnt, id)) != 0 ||
	    (r = vault_cloak_write(st, k, *id, sec, slen)) != 0)
		goto out;
	if ((r = cloak_index_put(*id, type, site, user)) != 0) {
		sk_warn("vault: the context's index did not take the credential: %s", sk_strerror(r));
		vault_cloak_wipe(st, *id);   /* back to a filler: nothing half-made stays */
	}
out:
	cloak_free(e, cnt);
	sk_secure_free(k);
	return r;
}

static int cloak_update(struct skd_conn *c, struct vault_store *st, char **tok,
    const uint8_t *sec, size_t slen, uint64_t *id)
{
	uint8_t *k = sk_secure_alloc(VAULT_KEY_LEN);
	int ctx, r = SK_ERR_NOMEM;

	if (k != NULL && (r = cloak_resolve(tok, 1, id)) == 0 &&
	    (r = cloak_key(c, st, k, &ctx)) == 0)
		r = vault_cloak_write(st, k, *id, sec, slen);
	sk_secure_free(k);
	return r;
}

static int cloak_get(struct skd_conn *c, struct vault_store *st, char **tok, size_t n,
    uint64_t *id, uint8_t **sec, size_t *slen)
{
	uint8_t *k = sk_secure_alloc(VAULT_KEY_LEN);
	int ctx, r = SK_ERR_NOMEM;

	if (k != NULL && (r = cloak_resolve(tok, n, id)) == 0 &&
	    (r = cloak_key(c, st, k, &ctx)) == 0)
		r = vault_cred_get(st, k, *id, sec, slen);
	sk_secure_free(k);
	return r;
}

static int cloak_rm(struct vault_store *st, char **tok, uint64_t *id)
{
	int r;

	if ((r = cloak_resolve(tok, 1, id)) == 0 && (r = cloak_index_del(*id)) == 0)
		r = vault_cloak_wipe(st, *id);
	return r;
}

static struct vault_cred cred_of(const struct cloak_ent *e)
{
	struct vault_cred v = { e->id, e->type, e->site, e->user, 0, 0, 0 };

	return v;
}

/* ---- commands ------------------------------------------------------------------------------- */

static gpg_error_t cmd_vault_init(assuan_context_t ctx, char *line)
{
	struct skd_conn *c = skd_conn_get(ctx);
	struct vault_store *st = NULL;
	struct vault_chip chip;
	uint8_t *kv = NULL;
	char id[64] = "";
	int r;

	pthread_mutex_lock(&vault_mu);
	if ((r = store_get(&st)) != 0)
		goto out;
	if (vault_chip_primary(st, &chip) == 0) {
		sk_warn("vault: already initialised with primary chip %s", chip.chip_id);
		r = SK_ERR_EXISTS;
		goto out;
	}
	r = SK_ERR_NOMEM;
	if ((kv = sk_secure_alloc(VAULT_KEY_LEN)) == NULL)
		goto out;
	if ((r = await_desfire(c, NULL, id, sizeof(id))) != 0 ||
	    (r = provision(c, st, id, VAULT_ROLE_PRIMARY, NULL, kv)) != 0 ||
	    (r = vault_key_check_set(st, kv)) != 0)
		goto out;
	sk_info("vault: chip %s provisioned as primary", id);
	skd_status(ctx, "VAULT_CHIP", "%s primary", id);
out:
	if (r != SK_ERR_EXISTS)
		r = vault_event(SKD_EV_PROVISION, "vault-init", 0, id[0] ? id : NULL, r);
	pthread_mutex_unlock(&vault_mu);
	sk_secure_free(kv);
	return r == 0 ? 0 : skd_fail(ctx, r, "VAULT_INIT");
}

static gpg_error_t cmd_vault_backup(assuan_context_t ctx, char *line)
{
	struct skd_conn *c = skd_conn_get(ctx);
	struct vault_store *st = NULL;
	struct vault_chip chip;
	uint8_t *kv = NULL;
	char id[64] = "";
	int r;

	pthread_mutex_lock(&vault_mu);
	r = SK_ERR_NOMEM;
	if ((kv = sk_secure_alloc(VAULT_KEY_LEN)) == NULL)
		goto out;
	if ((r = store_get(&st)) != 0 || (r = vault_chip_primary(st, &chip)) != 0 ||
	    (r = primary_kvault(c, st, kv)) != 0)
		goto out;
	if ((r = await_desfire(c, chip.chip_id, id, sizeof(id))) != 0 ||
	    (r = provision(c, st, id, VAULT_ROLE_BACKUP, kv, NULL)) != 0)
		goto out;
	sk_info("vault: chip %s provisioned as backup", id);
out:
	r = vault_event(SKD_EV_PROVISION, "vault-backup", 0, id[0] ? id : NULL, r);
	if (r == 0)
		skd_status(ctx, "VAULT_CHIP", "%s backup", id);
	pthread_mutex_unlock(&vault_mu);
	sk_secure_free(kv);
	return r == 0 ? 0 : skd_fail(ctx, r, "VAULT_BACKUP");
}

/* INQUIRE the secret; the buffer is wiped and freed by the caller. */
static int inquire_secret(assuan_context_t ctx, const char *what, unsigned char **buf,
    size_t *len)
{
	gpg_error_t e;

	*buf = NULL;
	*len = 0;
	if ((e = skd_inquire(ctx, what, buf, len, VAULT_MAX_SECRET)) != 0) {
		sk_warn("vault: INQUIRE %s: %s", what, gpg_strerror(e));
		return gpg_err_code(e) == GPG_ERR_TOO_LARGE ? SK_ERR_TOOBIG : SK_ERR_CANCELED;
	}
	return 0;
}

static void inquired_free(assuan_context_t ctx, unsigned char **buf, size_t len)
{
	if (*buf != NULL) {
		sk_wipe(*buf, len);
		assuan_free(ctx, *buf);
		*buf = NULL;
	}
}

/* VAULT_ADD <type> <site> <user>; then INQUIRE VAULT_SECRET. */
static gpg_error_t cmd_vault_add(assuan_context_t ctx, char *line)
{
	struct skd_conn *c = skd_conn_get(ctx);
	struct vault_store *st = NULL;
	unsigned char *sec = NULL;
	size_t slen = 0;
	uint8_t *kv = NULL;
	char *tok[3], *site = NULL, *user = NULL;
	uint64_t id = 0;
	int type, r;

	if (tokens(line, tok, 3) != 3 || (type = vault_type_from_name(tok[0])) < 0)
		return skd_fail(ctx, SK_ERR_ARG, "VAULT_ADD <type> <site> <user>");
	if (strcmp(tok[1], VAULT_CLOAK_SITE) == 0)   /* the duress contexts' row marker */
		return skd_fail(ctx, SK_ERR_ARG, "VAULT_ADD: that site name is reserved");
	if ((r = cloak_door()) != 0)
		return skd_fail(ctx, r, "VAULT_ADD");
	/* the INQUIRE reuses Assuan's line buffer, where the tokens point: copy them first */
	site = strdup(tok[1]);
	user = strdup(tok[2]);
	if (site == NULL || user == NULL) {
		r = SK_ERR_NOMEM;
		goto out_unlocked;
	}
	if ((r = inquire_secret(ctx, "VAULT_SECRET", &sec, &slen)) != 0)
		goto out_unlocked;
	pthread_mutex_lock(&vault_mu);
	r = SK_ERR_NOMEM;
	if ((kv = sk_secure_alloc(VAULT_KEY_LEN)) == NULL)
		goto out;
	if (cloaked()) {
		if ((r = store_get(&st)) != 0 ||
		    (r = cloak_add(c, st, type, site, user, sec, slen, &id)) != 0)
			goto out;
	} else if ((r = store_get(&st)) != 0 || (r = primary_kvault(c, st, kv)) != 0 ||
	    (r = vault_cred_add(st, kv, type, site, user, sec, slen, &id)) != 0) {
		goto out;
	}
	skd_status(ctx, "VAULT_ID", "%llu", (unsigned long long)id);
out:
	r = vault_event(SKD_EV_VAULT, "add", id, NULL, r);   /* refusals too */
	pthread_mutex_unlock(&vault_mu);
out_unlocked:
	sk_secure_free(kv);
	inquired_free(ctx, &sec, slen);
	free(site);
	free(user);
	return r == 0 ? 0 : skd_fail(ctx, r, "VAULT_ADD");
}

/* VAULT_UPDATE <id>; then INQUIRE VAULT_SECRET. */
static gpg_error_t cmd_vault_update(assuan_context_t ctx, char *line)
{
	struct skd_conn *c = skd_conn_get(ctx);
	struct vault_store *st = NULL;
	unsigned char *sec = NULL;
	size_t slen = 0;
	uint8_t *kv = NULL;
	char *tok[1];
	uint64_t id = 0;
	int r;

	if (tokens(line, tok, 1) != 1 || parse_id(tok[0], &id) != 0)
		return skd_fail(ctx, SK_ERR_ARG, "VAULT_UPDATE <id>");
	if ((r = cloak_door()) != 0)
		return skd_fail(ctx, r, "VAULT_UPDATE");
	if ((r = inquire_secret(ctx, "VAULT_SECRET", &sec, &slen)) != 0)
		return skd_fail(ctx, r, "VAULT_UPDATE");
	pthread_mutex_lock(&vault_mu);
	r = SK_ERR_NOMEM;
	if ((kv = sk_secure_alloc(VAULT_KEY_LEN)) == NULL)
		goto out;
	if (cloaked()) {
		if ((r = store_get(&st)) == 0)
			r = cloak_update(c, st, tok, sec, slen, &id);
		goto out;
	}
	if ((r = store_get(&st)) != 0 || (r = cloaked_row(st, id) ? SK_ERR_NOT_FOUND : 0) != 0 ||
	    (r = primary_kvault(c, st, kv)) != 0)
		goto out;
	r = vault_cred_update(st, kv, id, sec, slen);
out:
	r = vault_event(SKD_EV_VAULT, "update", id, NULL, r);
	pthread_mutex_unlock(&vault_mu);
	sk_secure_free(kv);
	inquired_free(ctx, &sec, slen);
	return r == 0 ? 0 : skd_fail(ctx, r, "VAULT_UPDATE");
}

/* VAULT_GET <id> | VAULT_GET <site> <user>: the secret as D lines. */
static gpg_error_t cmd_vault_get(assuan_context_t ctx, char *line)
{
	struct skd_conn *c = skd_conn_get(ctx);
	struct vault_store *st = NULL;
	uint8_t *kv = NULL, *sec = NULL;
	size_t slen = 0, n;
	char *tok[2];
	uint64_t id = 0;
	gpg_error_t e = 0;
	int r;

	n = tokens(line, tok, 2);
	if ((r = cloak_door()) != 0)
		return skd_fail(ctx, r, "VAULT_GET");
	pthread_mutex_lock(&vault_mu);
	if ((r = store_get(&st)) != 0)
		goto out;
	if (cloaked()) {
		if ((r = cloak_get(c, st, tok, n, &id, &sec, &slen)) != 0)
			goto out;
		goto send;
	}
	if (n == 1)
		r = parse_id(tok[0], &id);
	else if (n == 2)
		r = vault_cred_lookup(st, tok[0], tok[1], &id);
	else
		r = SK_ERR_ARG;
	if (r != 0)
		goto out;
	r = SK_ERR_NOMEM;
	if ((kv = sk_secure_alloc(VAULT_KEY_LEN)) == NULL)
		goto out;
	if ((r = primary_kvault(c, st, kv)) != 0 ||
	    (r = vault_cred_get(st, kv, id, &sec, &slen)) != 0)
		goto out;
	sk_secure_free(kv);
	kv = NULL;
send:
	if ((r = vault_event(SKD_EV_VAULT, "read", id, NULL, 0)) != 0)
		goto out;   /* recorded before the secret leaves, or it does not */
	e = skd_send_data(ctx, sec, slen);
	id = 0;
out:
	if (r != 0 && id != 0)   /* a refusal or a failure (a success was recorded above) */
		vault_event(SKD_EV_VAULT, "read", id, NULL, r);
	pthread_mutex_unlock(&vault_mu);
	sk_secure_free(kv);
	vault_secret_free(&sec, slen);
	if (r != 0)
		return skd_fail(ctx, r, "VAULT_GET");
	return e;
}

/* One export line: id TAB type TAB site TAB user TAB secret LF, fields percent-escaped. */
static gpg_error_t export_one(assuan_context_t ctx, const struct vault_cred *v,
    const uint8_t *sec, size_t slen)
{
	char *s = skd_escape(v->site, strlen(v->site)), *u = skd_escape(v->user, strlen(v->user));
	char *x = skd_escape(sec, slen), head[64];
	const char *t = vault_type_name(v->type);
	gpg_error_t e = skd_gpg_err(SK_ERR_NOMEM);

	snprintf(head, sizeof(head), "%llu\t%s\t", (unsigned long long)v->id, t ? t : "?");
	if (s != NULL && u != NULL && x != NULL &&
	    (e = skd_send_data(ctx, head, strlen(head))) == 0 &&
	    (e = skd_send_data(ctx, s, strlen(s))) == 0 && (e = skd_send_data(ctx, "\t", 1)) == 0 &&
	    (e = skd_send_data(ctx, u, strlen(u))) == 0 && (e = skd_send_data(ctx, "\t", 1)) == 0 &&
	    (e = skd_send_data(ctx, x, strlen(x))) == 0)
		e = skd_send_data(ctx, "\n", 1);
	free(s);
	free(u);
	if (x != NULL)
		sk_freezero(x, strlen(x));
	return e;
}

/* VAULT_EXPORT with duress = on: the active context's credentials only (vault_mu held). */
static int cloak_export(assuan_context_t ctx, struct skd_conn *c, uint8_t *k, gpg_error_t *e)
{
	struct vault_store *st = NULL;
	struct cloak_ent *ents = NULL;
	uint8_t *sec = NULL;
	size_t cnt = 0, slen = 0;
	int ctxid, r;

	if ((r = store_get(&st)) != 0 || (r = cloak_load(&ents, &cnt)) != 0 ||
	    (r = cloak_key(c, st, k, &ctxid)) != 0 ||
	    (r = vault_event(SKD_EV_VAULT, "export", 0, NULL, 0)) != 0)
		goto out;
	for (size_t i = 0; i < cnt && *e == 0; i++) {
		struct vault_cred v = cred_of(&ents[i]);

		if (vault_cred_get(st, k, v.id, &sec, &slen) != 0)
			*e = skd_status(ctx, "VAULT_CORRUPT", "%llu", (unsigned long long)v.id);
		if (*e == 0)
			*e = export_one(ctx, &v, sec != NULL ? sec : (const uint8_t *)"", slen);
		vault_secret_free(&sec, slen);
		slen = 0;
	}
out:
	cloak_free(ents, cnt);
	return r;
}

/* VAULT_EXPORT: every credential decrypted, one tap (K_vault read once), as D lines of
 * "id TAB type TAB site TAB user TAB secret" with each field percent-escaped. A corrupt row is
 * exported with an empty secret and reported as S VAULT_CORRUPT <id>; it stops nothing. */
static gpg_error_t cmd_vault_export(assuan_context_t ctx, char *line)
{
	struct skd_conn *c = skd_conn_get(ctx);
	struct vault_store *st = NULL;
	struct vault_cred_list *l = NULL;
	uint8_t *kv = NULL, *sec = NULL;
	size_t slen = 0;
	gpg_error_t e = 0;
	int r;

	if ((r = cloak_door()) != 0)
		return skd_fail(ctx, r, "VAULT_EXPORT");
	r = SK_ERR_NOMEM;
	pthread_mutex_lock(&vault_mu);
	if ((kv = sk_secure_alloc(VAULT_KEY_LEN)) == NULL)
		goto out;
	if (cloaked()) {
		r = cloak_export(ctx, c, kv, &e);
		goto out;
	}
	if ((r = store_get(&st)) != 0 || (r = vault_cred_find(st, NULL, NULL, 0, &l)) != 0 ||
	    (r = primary_kvault(c, st, kv)) != 0 ||
	    (r = vault_event(SKD_EV_VAULT, "export", 0, NULL, 0)) != 0)
		goto out;
	for (size_t i = 0; i < l->n && e == 0; i++) {
		if (strcmp(l->v[i].site, VAULT_CLOAK_SITE) == 0)
			continue;   /* a duress context's row: never listed in clear */
		if (vault_cred_get(st, kv, l->v[i].id, &sec, &slen) != 0)
			e = skd_status(ctx, "VAULT_CORRUPT", "%llu", (unsigned long long)l->v[i].id);
		if (e == 0)
			e = export_one(ctx, &l->v[i], sec != NULL ? sec : (const uint8_t *)"", slen);
		vault_secret_free(&sec, slen);
		slen = 0;
	}
out:
	pthread_mutex_unlock(&vault_mu);
	sk_secure_free(kv);
	vault_cred_list_free(&l);
	if (r != 0)
		return skd_fail(ctx, r, "VAULT_EXPORT");
	return e;
}

static gpg_error_t send_cred(assuan_context_t ctx, const struct vault_cred *v)
{
	char *s = skd_escape(v->site, strlen(v->site)), *u = skd_escape(v->user, strlen(v->user));
	const char *t = vault_type_name(v->type);
	gpg_error_t e;

	if (s == NULL || u == NULL)
		e = skd_gpg_err(SK_ERR_NOMEM);
	else
		e = skd_status(ctx, "VAULT_CRED", "%llu %s %s %s %lld%s", (unsigned long long)v->id,
		    t != NULL ? t : "?", s[0] ? s : "%00", u[0] ? u : "%00",
		    (long long)v->updated, v->corrupt ? " corrupt" : "");
	free(s);
	free(u);
	return e;
}

/* VAULT_LIST with duress = on: the active context's index (no chip needed but the unlocked
 * implant: SK_ERR_LOCKED while no context is active). */
static gpg_error_t cloak_list(assuan_context_t ctx, const char *site, const char *user)
{
	struct cloak_ent *ents = NULL;
	size_t cnt = 0;
	gpg_error_t e = 0;
	int r;

	struct vault_store *st = NULL;

	pthread_mutex_lock(&vault_mu);
	if ((r = cloak_load(&ents, &cnt)) == 0 && (r = store_get(&st)) == 0)
		r = cloak_ensure(st);
	pthread_mutex_unlock(&vault_mu);
	if (r != 0)
		return skd_fail(ctx, r, "VAULT_LIST");
	for (size_t i = 0; i < cnt && e == 0; i++) {
		struct vault_cred v = cred_of(&ents[i]);

		if (cloak_match(site, v.site) && cloak_match(user, v.user))
			e = send_cred(ctx, &v);
	}
	cloak_free(ents, cnt);
	return e;
}

/* VAULT_LIST [site-pattern|- [user-pattern|-]]: S VAULT_CRED <id> <type> <site> <user> <updated>
 * (site/user percent-escaped; an empty one as %00); needs no chip. */
static gpg_error_t cmd_vault_list(assuan_context_t ctx, char *line)
{
	struct vault_store *st = NULL;
	struct vault_cred_list *l = NULL;
	char *tok[2];
	const char *site = NULL, *user = NULL;
	size_t n = tokens(line, tok, 2);
	gpg_error_t e = 0;
	int r;

	if (n >= 1 && strcmp(tok[0], "-") != 0)
		site = tok[0];
	if (n >= 2 && strcmp(tok[1], "-") != 0)
		user = tok[1];
	if ((r = cloak_door()) != 0)
		return skd_fail(ctx, r, "VAULT_LIST");
	if (cloaked())
		return cloak_list(ctx, site, user);
	pthread_mutex_lock(&vault_mu);
	if ((r = store_get(&st)) == 0)
		r = vault_cred_find(st, site, user, 0, &l);
	pthread_mutex_unlock(&vault_mu);
	if (r != 0)
		return skd_fail(ctx, r, "VAULT_LIST");
	for (size_t i = 0; i < l->n && e == 0; i++)
		if (strcmp(l->v[i].site, VAULT_CLOAK_SITE) != 0)   /* duress contexts' rows */
			e = send_cred(ctx, &l->v[i]);
	vault_cred_list_free(&l);
	return e;
}

static gpg_error_t cmd_vault_rm(assuan_context_t ctx, char *line)
{
	struct vault_store *st = NULL;
	char *tok[1];
	uint64_t id = 0;
	int r;

	if (tokens(line, tok, 1) != 1 || parse_id(tok[0], &id) != 0)
		return skd_fail(ctx, SK_ERR_ARG, "VAULT_RM <id>");
	if ((r = cloak_door()) != 0)
		return skd_fail(ctx, r, "VAULT_RM");
	pthread_mutex_lock(&vault_mu);
	if ((r = store_get(&st)) == 0)
		r = cloaked() ? cloak_rm(st, tok, &id) :
		    cloaked_row(st, id) ? SK_ERR_NOT_FOUND : vault_cred_remove(st, id);
	r = vault_event(SKD_EV_VAULT, "remove", id, NULL, r);
	pthread_mutex_unlock(&vault_mu);
	return r == 0 ? 0 : skd_fail(ctx, r, "VAULT_RM");
}

static const char *role_name(int role)
{
	return role == VAULT_ROLE_PRIMARY ? "primary" : role == VAULT_ROLE_BACKUP ? "backup" :
	    "retired";
}

/* VAULT_CHIPS: S VAULT_CHIP <id> <role> <has-kchip 0|1> <originality-verified-at>. */
static gpg_error_t cmd_vault_chips(assuan_context_t ctx, char *line)
{
	struct vault_store *st = NULL;
	struct vault_chip *v = NULL;
	size_t n = 0;
	gpg_error_t e = 0;
	int r;

	pthread_mutex_lock(&vault_mu);
	if ((r = store_get(&st)) == 0)
		r = vault_chip_list(st, &v, &n);
	pthread_mutex_unlock(&vault_mu);
	if (r != 0)
		return skd_fail(ctx, r, "VAULT_CHIPS");
	for (size_t i = 0; i < n && e == 0; i++)
		e = skd_status(ctx, "VAULT_CHIP", "%s %s %d %lld", v[i].chip_id, role_name(v[i].role),
		    v[i].has_kchip, (long long)v[i].originality_verified_at);
	free(v);
	return e;
}

/* VAULT_SPLIT: new 3-of-5 recovery shares of K_vault, S VAULT_SHARE <printable> x5. */
static gpg_error_t cmd_vault_split(assuan_context_t ctx, char *line)
{
	struct skd_conn *c = skd_conn_get(ctx);
	struct vault_store *st = NULL;
	struct vault_share *sh = NULL;
	char text[VAULT_SHARE_TEXT_MAX];
	uint8_t *kv = NULL;
	gpg_error_t e = 0;
	int r = SK_ERR_NOMEM;

	pthread_mutex_lock(&vault_mu);
	if ((kv = sk_secure_alloc(VAULT_KEY_LEN)) == NULL ||
	    (sh = sk_secure_alloc(VAULT_SHARES_N * sizeof(*sh))) == NULL)
		goto out;
	if ((r = store_get(&st)) != 0 || (r = primary_kvault(c, st, kv)) != 0 ||
	    (r = vault_recovery_split(st, kv, sh)) != 0)
		goto out;
	/* K_vault leaves as shares: recorded (and acknowledged) before the first one is sent */
	if ((r = vault_event(SKD_EV_PROVISION, "vault-split", 0, NULL, 0)) != 0)
		goto out;
	for (int i = 0; i < VAULT_SHARES_N && e == 0; i++) {
		if ((r = vault_share_format(&sh[i], text)) != 0)
			goto out;
		e = skd_status(ctx, "VAULT_SHARE", "%s", text);
	}
out:
	if (r != 0 && r != SK_ERR_UNRECORDED)
		vault_event(SKD_EV_PROVISION, "vault-split", 0, NULL, r);
	pthread_mutex_unlock(&vault_mu);
	sk_wipe(text, sizeof(text));
	sk_secure_free(kv);
	sk_secure_free(sh);
	if (r != 0)
		return skd_fail(ctx, r, "VAULT_SPLIT");
	return e;
}

/* Register chip `id` (already holding kv) as the only primary: every other chip retired. */
static int make_primary(struct vault_store *st, const char *id)
{
	struct vault_chip chip;
	int r;

	if ((r = vault_chip_get(st, id, &chip)) != 0)
		return r;
	if (chip.role == VAULT_ROLE_PRIMARY)
		return 0;
	return vault_chip_promote(st, id);
}

/* VAULT_RECOVER_SHARES: INQUIRE VAULT_SHARE three times, rebuild K_vault, provision the DESFire
 * chip now in the field with it as the new primary; every other chip is retired. */
static gpg_error_t cmd_vault_recover_shares(assuan_context_t ctx, char *line)
{
	struct skd_conn *c = skd_conn_get(ctx);
	struct vault_store *st = NULL;
	struct vault_share *sh = NULL;
	unsigned char *buf = NULL;
	size_t len = 0;
	struct vault_chip known;
	uint8_t *kv = NULL;
	char id[64] = "", text[2 * VAULT_SHARE_TEXT_MAX];
	int i, r = SK_ERR_NOMEM;

	pthread_mutex_lock(&vault_mu);
	if ((kv = sk_secure_alloc(VAULT_KEY_LEN)) == NULL ||
	    (sh = sk_secure_alloc(VAULT_SHARES_K * sizeof(*sh))) == NULL)
		goto out;
	if ((r = store_get(&st)) != 0)
		goto out;
	for (i = 0; i < VAULT_SHARES_K; i++) {
		if ((r = inquire_secret(ctx, "VAULT_SHARE", &buf, &len)) != 0)
			goto out;
		r = SK_ERR_FORMAT;
		if (len < sizeof(text)) {   /* the inquired bytes carry no NUL of their own */
			memcpy(text, buf, len);
			text[len] = '\0';
			r = vault_share_parse(text, &sh[i]);
		}
		inquired_free(ctx, &buf, len);
		if (r != 0)
			goto out;
	}
	if ((r = vault_recovery_combine(st, sh, VAULT_SHARES_K, kv)) != 0)
		goto out;
	if ((r = await_desfire(c, NULL, id, sizeof(id))) != 0)
		goto out;
	if (vault_chip_get(st, id, &known) != 0 &&
	    (r = provision(c, st, id, VAULT_ROLE_BACKUP, kv, NULL)) != 0)
		goto out;
	if ((r = make_primary(st, id)) != 0)
		goto out;
	sk_info("vault: recovered from shares onto chip %s", id);
out:
	r = vault_event(SKD_EV_PROVISION, "vault-recover-shares", 0, id[0] ? id : NULL, r);
	if (r == 0)
		skd_status(ctx, "VAULT_CHIP", "%s primary", id);
	pthread_mutex_unlock(&vault_mu);
	inquired_free(ctx, &buf, len);
	sk_wipe(text, sizeof(text));
	sk_secure_free(kv);
	sk_secure_free(sh);
	return r == 0 ? 0 : skd_fail(ctx, r, "VAULT_RECOVER_SHARES");
}

/* VAULT_RECOVER_BACKUP [--chip=<id>]: the backup chip (tapped now) becomes primary after its
 * K_vault checks out; the lost primary is retired and its K_chip forgotten. */
static gpg_error_t cmd_vault_recover_backup(assuan_context_t ctx, char *line)
{
	struct skd_conn *c = skd_conn_get(ctx);
	struct vault_store *st = NULL;
	struct vault_chip chip;
	uint8_t *kv = NULL;
	char *tok[2], id[64] = "";
	const char *want;
	size_t n = tokens(line, tok, 2);
	int r = SK_ERR_NOMEM;

	want = opt_value(tok, n, "--chip");
	pthread_mutex_lock(&vault_mu);
	if ((kv = sk_secure_alloc(VAULT_KEY_LEN)) == NULL)
		goto out;
	if ((r = store_get(&st)) != 0)
		goto out;
	if (want != NULL)
		snprintf(id, sizeof(id), "%s", want);
	else if ((r = await_desfire(c, NULL, id, sizeof(id))) != 0)
		goto out;
	if ((r = vault_chip_get(st, id, &chip)) != 0 || chip.role != VAULT_ROLE_BACKUP) {
		sk_warn("vault: %s is not a registered backup chip", id);
		r = r != 0 ? r : SK_ERR_ARG;
		goto out;
	}
	if ((r = read_kvault(c, st, id, kv)) != 0 || (r = vault_key_check_verify(st, kv)) != 0 ||
	    (r = vault_chip_promote(st, id)) != 0)
		goto out;
	sk_info("vault: backup chip %s is now primary", id);
out:
	r = vault_event(SKD_EV_PROVISION, "vault-recover-backup", 0, id[0] ? id : NULL, r);
	if (r == 0)
		skd_status(ctx, "VAULT_CHIP", "%s primary", id);
	pthread_mutex_unlock(&vault_mu);
	sk_secure_free(kv);
	return r == 0 ? 0 : skd_fail(ctx, r, "VAULT_RECOVER_BACKUP");
}

const struct skd_cmd skd_cmds_vault[] = {
	{ "VAULT_INIT", cmd_vault_init, "provision the DESFire chip in the field as the vault" },
	{ "VAULT_BACKUP", cmd_vault_backup, "provision a second chip with the same K_vault" },
	{ "VAULT_ADD", cmd_vault_add, "VAULT_ADD <type> <site> <user> (INQUIRE VAULT_SECRET)" },
	{ "VAULT_UPDATE", cmd_vault_update, "VAULT_UPDATE <id> (INQUIRE VAULT_SECRET)" },
	{ "VAULT_GET", cmd_vault_get, "VAULT_GET <id> | <site> <user>: secret as D lines" },
	{ "VAULT_LIST", cmd_vault_list, "VAULT_LIST [site|- [user|-]] ('*' suffix = prefix)" },
	{ "VAULT_RM", cmd_vault_rm, "VAULT_RM <id>" },
	{ "VAULT_EXPORT", cmd_vault_export, "every credential decrypted (one tap), D lines of TSV" },
	{ "VAULT_CHIPS", cmd_vault_chips, "chips holding the vault key" },
	{ "VAULT_SPLIT", cmd_vault_split, "new 3-of-5 recovery shares" },
	{ "VAULT_RECOVER_SHARES", cmd_vault_recover_shares, "rebuild from 3 shares onto a chip" },
	{ "VAULT_RECOVER_BACKUP", cmd_vault_recover_backup, "make the backup chip primary" },
	{ NULL, NULL, NULL }
};
