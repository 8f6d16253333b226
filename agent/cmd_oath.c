/* cmd_oath.c — skinkeyd commands for the YKOATH applet (otp/otp.h): TOTP/HOTP codes computed on
 * the chip. Names are percent-escaped on the command line and in status lines. A TOTP name
 * "<period>/<name>" has that period (ykman's convention), otherwise 30 s; commands that take a
 * name also find it without the prefix. An applet protected
 * by a password asks for it as a PIN (SKD_PIN_OATH: cache policy, INQUIRE NEEDPIN or pinentry)
 * and proves it with VALIDATE before the command, in the same transaction.
 *
 *   OATHLIST <chip>                          S OATHCRED <totp|hotp> <sha1|sha256|sha512> <period> <name>
 *   OATHCODE [--time=EPOCH] <chip> [<name>]  S OATHCODE <name> <totp|hotp> <code|-> <from> <until>
 *   OATHADD [--counter=N] [--force] <chip> <totp|hotp> <sha1|sha256|sha512> <digits> <name>
 *                                            INQUIRE OATHSECRET (the raw key, 1..64 bytes)
 *   OATHDELETE <chip> <name>
 *   OATHRENAME <chip> <old> <new> */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/card.h"
#include "common/log.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "event.h"
#include "oath_args.h"
#include "otp.h"
#include "skd.h"

#define SKD_PIN_OATH (SKD_PIN_OTP_BASE + 0x10)

struct add_req {
	struct skd_oath_add p;
	uint8_t key[64];
	size_t klen;
};

/* The parsed words plus, for OATHADD, the request and its secret. */
struct args {
	struct skd_oath_args w;
	struct add_req *add;
	char *out;          /* OATHCODE's status lines, held until the audit event is written */
	size_t outlen;
};

static int parse_args(const char *line, struct args *a)
{
	a->add = NULL;
	a->out = NULL;
	a->outlen = 0;
	return skd_oath_parse_args(line, &a->w);
}

/* One "OATHCODE ..." line into the held answer. */
static int hold_line(struct args *a, const char *line)
{
	size_t n = strlen(line) + 1;
	char *p;

	if ((p = realloc(a->out, a->outlen + n)) == NULL)
		return SK_ERR_NOMEM;
	memcpy(p + a->outlen, line, n);
	a->out = p;
	a->outlen += n;
	return 0;
}

/* The held lines as status lines (when send), then wiped: codes are short-lived secrets. */
static gpg_error_t flush_held(assuan_context_t ctx, struct args *a, int send)
{
	gpg_error_t e = 0;

	for (size_t off = 0; send && e == 0 && off < a->outlen; off += strlen(a->out + off) + 1)
		e = skd_status(ctx, "OATHCODE", "%s", a->out + off);
	if (a->out != NULL) {
		sk_wipe(a->out, a->outlen);
		free(a->out);
	}
	a->out = NULL;
	a->outlen = 0;
	return e;
}

static const char *type_name(uint8_t type)
{
	return type == OATH_TYPE_HOTP ? "hotp" : "totp";
}

static const char *algo_name(uint8_t algo)
{
	return algo == OATH_ALG_SHA256 ? "sha256" : algo == OATH_ALG_SHA512 ? "sha512" : "sha1";
}

/* SELECT, and VALIDATE when the applet has a password. */
static int oath_open(struct skd_conn *c, const char *chip, struct sk_card *sc)
{
	struct oath_info info;
	char prompt[160], *pw = NULL;
	int cached = 0, r;

	if ((r = oath_select(sc, &info)) != 0 || !info.has_challenge)
		return r;
	snprintf(prompt, sizeof(prompt), "||Please enter the OATH password of chip %s", chip);
	if ((r = skd_pin_obtain(c, chip, SKD_PIN_OATH, prompt, &pw, &cached)) != 0) {
		sk_info("%s: OATH password not given: %s", chip, sk_strerror(r));
		return r;
	}
	/* a typed password: the card was given back meanwhile, SELECT again for a fresh challenge */
	if (cached || (r = oath_select(sc, &info)) == 0)
		r = oath_validate(sc, &info, pw, strlen(pw));
	if (r == 0) {
		skd_pin_cache_put(chip, SKD_PIN_OATH, pw);
	} else if (r == SK_ERR_SW || r == SK_ERR_CRYPTO) {
		sk_warn("%s: the OATH applet refused the password%s", chip, cached ? " (cached)" : "");
		skd_pin_cache_drop(chip, SKD_PIN_OATH);
		r = SK_ERR_PIN_WRONG;
	}
	skd_pin_free(&pw);
	return r;
}

typedef int (*oath_fn)(assuan_context_t ctx, struct sk_card *sc, struct args *a);

/* How an operation is audited (agent/event.h): codes are key operations, changes provisioning. */
struct audit {
	int kind;           /* SKD_EV_KEY_OP, SKD_EV_PROVISION; -1: not recorded (listing) */
	const char *op;     /* "oath-code", "oath-add", ... */
};

/* Chip lookup, the audit gate, tap, SELECT (+ VALIDATE), the operation, release, the event
 * (written before the answer: OATHCODE's lines are held until then). */
static gpg_error_t with_oath(assuan_context_t ctx, const char *what, struct args *a, oath_fn fn,
    struct audit au)
{
	struct skd_conn *c = skd_conn_get(ctx);
	struct skd_chip_info ci;
	struct skd_card *h = NULL;
	struct sk_card *sc;
	gpg_error_t e;
	int r;

	if ((r = skd_chip_find(a->w.v[0], &ci)) != 0)
		return skd_fail(ctx, r, "OATH: unknown chip");
	if (au.kind >= 0 && (r = skd_guard_gate()) != 0)
		return skd_fail(ctx, r, what);
	if ((r = skd_card_acquire(c, ci.id, &h)) == 0) {
		sc = skd_card_raw(h);
		if ((r = oath_open(c, ci.id, sc)) == 0)
			r = fn(ctx, sc, a);
		/* the OATH exchanges bypass the APDU engine's selection tracking */
		sk_card_forget_selection(sc);
		if (r == SK_ERR_CARD_REMOVED)
			skd_card_lost(h);
		skd_card_release(&h);
	}
	if (au.kind >= 0)
		r = skd_guard_record(au.kind, ci.id, au.op, a->w.n > 1 ? a->w.v[a->w.n - 1] : "all", r);
	e = flush_held(ctx, a, r == 0);
	if (r != 0)
		return skd_fail(ctx, r, what);
	return e;
}

/* The credential called `name`: its exact name, else the one whose name without the period
 * prefix is `name` (when exactly one is). */
static int find_cred(struct sk_card *sc, const char *name, struct oath_cred *out)
{
	struct oath_cred *v = NULL;
	size_t n = 0, exact = 0, loose = 0;
	int r;

	if ((r = oath_list(sc, &v, &n)) != 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0) {
			*out = v[i];
			exact++;
		}
	for (size_t i = 0; i < n && exact == 0; i++)
		if (strcmp(skd_oath_display_name(v[i].name), name) == 0) {
			*out = v[i];
			loose++;
		}
	free(v);
	if (exact == 0 && loose > 1)
		sk_info("OATH: %s names %zu credentials; give the full name", name, loose);
	return exact == 1 || (exact == 0 && loose == 1) ? 0 : SK_ERR_NOT_FOUND;
}

/* ---- OATHLIST ---- */

static int do_list(assuan_context_t ctx, struct sk_card *sc, struct args *a)
{
	struct oath_cred *v = NULL;
	size_t n = 0;
	char *esc;
	int r;

	(void)a;
	if ((r = oath_list(sc, &v, &n)) != 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		if ((esc = skd_escape(v[i].name, strlen(v[i].name))) == NULL) {
			r = SK_ERR_NOMEM;
			break;
		}
		if (skd_status(ctx, "OATHCRED", "%s %s %u %s", type_name(v[i].type),
		    algo_name(v[i].algo), skd_oath_period(v[i].name, v[i].type), esc) != 0)
			r = SK_ERR_IO;
		free(esc);
	}
	free(v);
	return r;
}

static gpg_error_t cmd_oathlist(assuan_context_t ctx, char *line)
{
	struct args a;
	int r;

	if ((r = parse_args(line, &a)) != 0 || a.w.n != 1)
		return skd_fail(ctx, r ? r : SK_ERR_ARG, "OATHLIST <chip>");
	return with_oath(ctx, "OATHLIST", &a, do_list, (struct audit){ -1, NULL });
}

/* ---- OATHCODE ---- */

static int put_code(struct args *a, const char *name, uint8_t type, int has, uint32_t code,
    uint8_t digits, uint64_t now)
{
	unsigned period = skd_oath_period(name, type);
	uint64_t from = now - now % period;
	char *esc = skd_escape(name, strlen(name));
	char cs[16], line[512];
	int r;

	if (esc == NULL)
		return SK_ERR_NOMEM;
	snprintf(cs, sizeof(cs), "%0*u", (int)digits, (unsigned)code);
	if (type == OATH_TYPE_HOTP)
		snprintf(line, sizeof(line), "%s hotp %s - -", esc, has ? cs : "-");
	else
		snprintf(line, sizeof(line), "%s totp %s %llu %llu", esc, has ? cs : "-",
		    (unsigned long long)from, (unsigned long long)(from + period));
	r = hold_line(a, line);
	sk_wipe(cs, sizeof(cs));
	sk_wipe(line, sizeof(line));
	free(esc);
	return r;
}

static int code_one(struct args *a, struct sk_card *sc, const struct oath_cred *cr,
    uint64_t now)
{
	uint64_t step = cr->type == OATH_TYPE_HOTP ? 0 : now / skd_oath_period(cr->name, cr->type);
	uint32_t code = 0;
	uint8_t digits = 0;
	int r;

	if ((r = oath_calculate(sc, cr->name, cr->type, step, &code, &digits)) == 0)
		r = put_code(a, cr->name, cr->type, 1, code, digits, now);
	code = 0;
	return r;
}

/* Every TOTP credential: CALCULATE ALL at 30 s, other periods one by one; HOTP and touch
 * credentials are not computed (a HOTP code counts up on the chip: only when asked by name). */
static int code_all(struct args *a, struct sk_card *sc, uint64_t now)
{
	struct oath_cred *v = NULL;
	size_t n = 0;
	int r;

	if ((r = oath_calculate_all(sc, now / 30, &v, &n)) != 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		if (v[i].type == OATH_TYPE_TOTP && skd_oath_period(v[i].name, v[i].type) != 30)
			r = code_one(a, sc, &v[i], now);
		else
			r = put_code(a, v[i].name, v[i].type, v[i].has_code, v[i].code, v[i].digits,
			    now);
		v[i].code = 0;
	}
	free(v);
	return r;
}

static int do_code(assuan_context_t ctx, struct sk_card *sc, struct args *a)
{
	uint64_t now = a->w.time >= 0 ? (uint64_t)a->w.time : (uint64_t)time(NULL);
	struct oath_cred cr;
	int r;

	(void)ctx;
	if (a->w.n == 1)
		return code_all(a, sc, now);
	if ((r = find_cred(sc, a->w.v[1], &cr)) != 0)
		return r;
	return code_one(a, sc, &cr, now);
}

static gpg_error_t cmd_oathcode(assuan_context_t ctx, char *line)
{
	struct args a;
	int r;

	if ((r = parse_args(line, &a)) != 0 || a.w.n < 1 || a.w.n > 2)
		return skd_fail(ctx, r ? r : SK_ERR_ARG, "OATHCODE [--time=EPOCH] <chip> [<name>]");
	return with_oath(ctx, "OATHCODE", &a, do_code, (struct audit){ SKD_EV_KEY_OP, "oath-code" });
}

/* ---- OATHADD ---- */

static int inquire_key(assuan_context_t ctx, struct add_req *q)
{
	unsigned char *buf = NULL;
	size_t n = 0;
	gpg_error_t e;
	int r = 0;

	if ((e = skd_inquire(ctx, "OATHSECRET", &buf, &n, sizeof(q->key))) != 0)
		return gpg_err_code(e) == GPG_ERR_TOO_LARGE ? SK_ERR_TOOBIG : SK_ERR_CANCELED;
	if (n == 0)
		r = SK_ERR_ARG;
	else
		memcpy(q->key, buf, n);
	q->klen = n;
	if (buf != NULL) {
		sk_wipe(buf, n);
		assuan_free(ctx, buf);
	}
	return r;
}

static int do_add(assuan_context_t ctx, struct sk_card *sc, struct args *a)
{
	struct add_req *q = a->add;
	struct oath_cred cr;
	int r;

	(void)ctx;
	if ((r = find_cred(sc, a->w.v[4], &cr)) == 0 && !a->w.force) {
		sk_info("OATHADD: %s exists (use --force to replace it)", a->w.v[4]);
		return SK_ERR_EXISTS;
	}
	if (r != 0 && r != SK_ERR_NOT_FOUND)
		return r;
	return oath_put(sc, a->w.v[4], q->p.type, q->p.algo, q->p.digits, q->key, q->klen,
	    (uint32_t)a->w.counter);
}

static gpg_error_t cmd_oathadd(assuan_context_t ctx, char *line)
{
	struct add_req *q = NULL;
	struct args a;
	gpg_error_t e;
	int r;

	if ((r = parse_args(line, &a)) != 0 || (q = sk_secure_alloc(sizeof(*q))) == NULL) {
		e = skd_fail(ctx, r ? r : SK_ERR_NOMEM, "OATHADD");
		goto out;
	}
	memset(q, 0, sizeof(*q));
	if ((r = skd_oath_parse_add(&a.w, &q->p)) != 0) {
		e = skd_fail(ctx, r, "OATHADD [--counter=N] [--force] <chip> <totp|hotp> "
		    "<sha1|sha256|sha512> <6-8 digits> <name>");
		goto out;
	}
	/* the secret is asked before the tap: no card is held across the INQUIRE */
	if ((r = inquire_key(ctx, q)) != 0) {
		e = skd_fail(ctx, r, "OATHADD: secret");
		goto out;
	}
	a.add = q;
	e = with_oath(ctx, "OATHADD", &a, do_add, (struct audit){ SKD_EV_PROVISION, "oath-add" });
out:
	sk_secure_free(q);
	return e;
}

/* ---- OATHDELETE, OATHRENAME ---- */

static int do_delete(assuan_context_t ctx, struct sk_card *sc, struct args *a)
{
	struct oath_cred cr;
	int r;

	(void)ctx;
	if ((r = find_cred(sc, a->w.v[1], &cr)) != 0)
		return r;
	r = oath_delete(sc, cr.name);
	return r == SK_ERR_SW ? SK_ERR_NOT_FOUND : r;   /* YKOATH: 6984 no such object */
}

static gpg_error_t cmd_oathdelete(assuan_context_t ctx, char *line)
{
	struct args a;
	int r;

	if ((r = parse_args(line, &a)) != 0 || a.w.n != 2)
		return skd_fail(ctx, r ? r : SK_ERR_ARG, "OATHDELETE <chip> <name>");
	return with_oath(ctx, "OATHDELETE", &a, do_delete,
	    (struct audit){ SKD_EV_PROVISION, "oath-delete" });
}

static int do_rename(assuan_context_t ctx, struct sk_card *sc, struct args *a)
{
	struct oath_cred cr, other;
	int r;

	(void)ctx;
	if ((r = find_cred(sc, a->w.v[1], &cr)) != 0)
		return r;
	if ((r = find_cred(sc, a->w.v[2], &other)) == 0)
		return SK_ERR_EXISTS;
	if (r != SK_ERR_NOT_FOUND)
		return r;
	return oath_rename(sc, cr.name, a->w.v[2]);
}

static gpg_error_t cmd_oathrename(assuan_context_t ctx, char *line)
{
	struct args a;
	int r;

	if ((r = parse_args(line, &a)) != 0 || a.w.n != 3 || a.w.v[2][0] == '\0' ||
	    strlen(a.w.v[2]) > OATH_NAME_MAX)
		return skd_fail(ctx, r ? r : SK_ERR_ARG, "OATHRENAME <chip> <old> <new>");
	return with_oath(ctx, "OATHRENAME", &a, do_rename,
	    (struct audit){ SKD_EV_PROVISION, "oath-rename" });
}

const struct skd_cmd skd_cmds_oath[] = {
	{ "OATHLIST", cmd_oathlist, "OATHLIST <chip>: S OATHCRED <type> <algo> <period> <name>" },
	{ "OATHCODE", cmd_oathcode,
	  "OATHCODE [--time=EPOCH] <chip> [<name>]: S OATHCODE <name> <type> <code|-> <from> <until>" },
	{ "OATHADD", cmd_oathadd,
	  "OATHADD [--counter=N] [--force] <chip> <totp|hotp> <sha1|sha256|sha512> <digits> <name>: "
	  "INQUIRE OATHSECRET" },
	{ "OATHDELETE", cmd_oathdelete, "OATHDELETE <chip> <name>" },
	{ "OATHRENAME", cmd_oathrename, "OATHRENAME <chip> <old> <new>" },
	{ NULL, NULL, NULL }
};
