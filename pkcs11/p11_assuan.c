/* p11_assuan.c — the real backend: skinkeyd over Assuan (libskclient connects and autostarts).
 * Commands used (server side in agent/cmd_p11.c and agent/cmd_otp.c; CHIPS is core):
 *   CHIPS                          S CHIP <id> <present> <applets> <reader> <label>
 *   P11READKEY <chip> <ref>        D canonical S-expression public key
 *   P11READCERT <chip> <ref>       D DER certificate (ERR NOT_FOUND when none)
 *   P11PINSTATUS <chip> [--live]   S P11PIN <uverified> <uretries> <soverified> <soretries>
 *   P11LOGIN <chip> user|so [--cached]   INQUIRE NEEDPIN (not with --cached)
 *   P11LOGOUT <chip>
 *   P11SETPIN <chip> user|so       INQUIRE OLDPIN, INQUIRE NEWPIN
 *   P11INITPIN <chip>              INQUIRE NEEDPIN |A| (PW3, unless cached), INQUIRE NEWPIN
 *   P11SIGN <chip> <ref>           INQUIRE DATA [, NEEDPIN]  -> D signature
 *   P11DECRYPT <chip> <ref>        INQUIRE DATA [, NEEDPIN]  -> D plaintext / shared secret
 *   P11GENKEY <chip> <ref> <algo>  [NEEDPIN |A|]             -> D S-expression public key
 *   P11WRITECERT <chip> <ref>      INQUIRE DATA [, NEEDPIN |A|]
 *   HMACSLOTS <chip>               S HMACSLOT <1|2> <programmed 0|1>
 *   HMAC <chip> <slot>             INQUIRE CHALLENGE -> D 20 bytes
 *   HMACPROGRAM --if-empty <chip> <slot>  INQUIRE KEY (an empty slot only)
 *   HMACDELETE <chip> <slot>       erases the slot
 *   VAULT_CHIPS                    S VAULT_CHIP <id> <primary|backup|retired> ...
 *   VAULT_LIST                     S VAULT_CRED <id> <type> <site> <user> <updated> [corrupt]
 *   VAULT_GET <id>                 D secret (waits for the primary chip's tap)
 *   VAULT_ADD password <site> <user>   INQUIRE VAULT_SECRET -> S VAULT_ID <id>
 *   VAULT_RM <id>
 *   VAULT_UPDATE <id>              INQUIRE VAULT_SECRET
 * NEEDPIN is answered with the PIN this module was given by C_Login ("|A|" in the prompt asks
 * for the admin PIN); with no PIN at hand the inquiry is cancelled (-> SK_ERR_PIN_REQUIRED). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <assuan.h>
#include <gpg-error.h>

#include "client.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "p11.h"

#define REPLY_MAX ((size_t)64 * 1024)

struct xact {
	assuan_context_t ctx;
	const char *user_pin, *so_pin;   /* answers for NEEDPIN */
	const char *old_pin, *new_pin;   /* answers for OLDPIN / NEWPIN */
	const uint8_t *data; size_t data_len;   /* answer for DATA / CHALLENGE / KEY */
	uint8_t *reply; size_t reply_len;       /* collected D lines */
	int overflow;         /* D data over REPLY_MAX (dropped) */
	int bad_status;       /* a status line did not parse */
	int unanswered;       /* an inquiry we had no answer for (sent empty) */
	int (*status)(struct xact *x, const char *line);
	void *arg;
};

/* The handle: a connection that reconnects by itself after a transport failure (skinkeyd
 * restarted, socket closed). A failure reported by skinkeyd (ERR line) keeps the connection. */
struct conn {
	assuan_context_t ctx;
	int broken;
};

static int
be_open(void **h)
{
	struct conn *c;
	int r;

	*h = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return SK_ERR_NOMEM;
	if ((r = skc_connect(&c->ctx)) != 0) {
		p11_log("connecting to skinkeyd: %s", skc_strerror(r));
		free(c);
		return r;
	}
	*h = c;
	return 0;
}

static void
be_close(void **h, int forked)
{
	struct conn *c;

	if (h == NULL || *h == NULL)
		return;
	c = *h;
	/* In a forked child the socket belongs to the parent's conversation: leak the context
	 * rather than send anything (assuan_release would say BYE on it). */
	if (!forked && c->ctx != NULL)
		assuan_release(c->ctx);
	if (!forked)
		free(c);
	*h = NULL;
}

static int
reconnect(struct conn *c)
{
	int r;

	if (!c->broken && c->ctx != NULL)
		return 0;
	if (c->ctx != NULL)
		assuan_release(c->ctx);
	c->ctx = NULL;
	if ((r = skc_connect(&c->ctx)) != 0) {
		p11_log("reconnecting to skinkeyd: %s", skc_strerror(r));
		return r;
	}
	c->broken = 0;
	return 0;
}

static gpg_error_t
data_cb(void *arg, const void *p, size_t n)
{
	struct xact *x = arg;
	uint8_t *b;

	/* Never fail inside a callback: libassuan would return at once and leave the rest of
	 * the answer unread on the socket. Record the problem and keep reading. */
	if (x->overflow || n > REPLY_MAX - x->reply_len) {
		x->overflow = 1;
		return 0;
	}
	if ((b = realloc(x->reply, x->reply_len + n + 1)) == NULL) {
		x->overflow = 1;
		return 0;
	}
	memcpy(b + x->reply_len, p, n);
	x->reply = b;
	x->reply_len += n;
	return 0;
}

/* No answer: send an empty one (skinkeyd then fails the command with CANCELED). Returning
 * an error from the callback instead would desynchronise the connection. */
static gpg_error_t
send_str(struct xact *x, const char *s)
{
	if (s == NULL) {
		x->unanswered = 1;
		return 0;
	}
	return assuan_send_data(x->ctx, s, strlen(s));
}

static int
keyword_is(const char *line, const char *kw)
{
	size_t n = strlen(kw);

	return strncmp(line, kw, n) == 0 && (line[n] == '\0' || line[n] == ' ');
}

static gpg_error_t
inquire_cb(void *arg, const char *line)
{
	struct xact *x = arg;

	if (keyword_is(line, "NEEDPIN"))
		return send_str(x, strstr(line, "|A|") != NULL ? x->so_pin : x->user_pin);
	if (keyword_is(line, "OLDPIN"))
		return send_str(x, x->old_pin);
	if (keyword_is(line, "NEWPIN"))
		return send_str(x, x->new_pin);
	if (keyword_is(line, "DATA") || keyword_is(line, "CHALLENGE") || keyword_is(line, "KEY") ||
	    keyword_is(line, "VAULT_SECRET")) {
		if (x->data == NULL || x->data_len == 0)
			return send_str(x, NULL);
		return assuan_send_data(x->ctx, x->data, x->data_len);
	}
	p11_log("unexpected inquiry from skinkeyd: %.40s", line);
	return send_str(x, NULL);
}

static gpg_error_t
status_cb(void *arg, const char *line)
{
	struct xact *x = arg;

	if (x->status != NULL && x->status(x, line) != 0)
		x->bad_status = 1;
	return 0;
}

static void
xact_free(struct xact *x)
{
	if (x->reply != NULL) {
		sk_wipe(x->reply, x->reply_len);
		free(x->reply);
	}
	x->reply = NULL;
	x->reply_len = 0;
}

/* Runs one command; on success the D data stays in x->reply. */
static int
run(void *h, struct xact *x, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
run(void *h, struct xact *x, const char *fmt, ...)
{
	struct conn *c = h;
	char line[ASSUAN_LINELENGTH];
	gpg_error_t e;
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return SK_ERR_TOOBIG;
	if ((r = reconnect(c)) != 0)
		return r;
	x->ctx = c->ctx;
	e = assuan_transact(c->ctx, line, data_cb, x, inquire_cb, x, status_cb, x);
	if (e == 0 && !x->overflow && !x->bad_status)
		return 0;
	xact_free(x);
	if (e == 0) {
		p11_log("%.20s: %s from skinkeyd", line, x->overflow ? "answer too long" :
		    "unparsable status line");
		return x->overflow ? SK_ERR_TOOBIG : SK_ERR_PROTO;
	}
	if (gpg_err_source(e) != GPG_ERR_SOURCE_SCD) {
		/* not an ERR line from skinkeyd: the conversation itself failed */
		p11_log("%.20s: connection to skinkeyd failed: %s", line, gpg_strerror(e));
		c->broken = 1;
		return SK_ERR_IO;
	}
	if (x->unanswered && (gpg_err_code(e) == GPG_ERR_CANCELED ||
	    gpg_err_code(e) == GPG_ERR_NO_PIN || gpg_err_code(e) == GPG_ERR_NO_DATA))
		return SK_ERR_PIN_REQUIRED;   /* it asked for a PIN this application never gave */
	return skc_err_from_gpg(e);
}

/* ---- CHIPS ---- */

struct chiplist {
	struct p11_chip *v;
	size_t n;
};

static unsigned
applet_mask(const char *list)
{
	char buf[128], *tok, *save = NULL;
	unsigned m = 0;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "openpgp") == 0)
			m |= P11_APP_OPENPGP;
		else if (strcmp(tok, "ykhmac") == 0 || strcmp(tok, "hmac") == 0)
			m |= P11_APP_HMAC;
		else if (strcmp(tok, "vault") == 0)
			m |= P11_APP_VAULT;
	}
	return m;
}



/* "CHIP <id> <present> <applets> <reader> <label...>" */
static int
chip_line(struct xact *x, const char *line)
{
	struct chiplist *cl = x->arg;
	char id[P11_CHIPID_MAX], apps[128];
	struct p11_chip *v;
	int present = 0, off = 0;

	if (!keyword_is(line, "CHIP"))
		return 0;
	if (sscanf(line, "CHIP %47s %d %127s %*s %n", id, &present, apps, &off) < 3)
		return SK_ERR_PROTO;
	if (cl->n >= 64 || (v = realloc(cl->v, (cl->n + 1) * sizeof(*v))) == NULL)
		return SK_ERR_NOMEM;
	cl->v = v;
	memset(&v[cl->n], 0, sizeof(v[0]));
	snprintf(v[cl->n].id, sizeof(v[0].id), "%s", id);
	if (off > 0 && (size_t)off <= strlen(line))
		p11_unescape_field(v[cl->n].label, sizeof(v[0].label), line + off, "-");
	v[cl->n].present = present != 0;
	v[cl->n].applets = applet_mask(apps);
	cl->n++;
	return 0;
}

static int
be_chips(void *h, struct p11_chip **out, size_t *n)
{
	struct chiplist cl = { NULL, 0 };
	struct xact x;
	int r;

	memset(&x, 0, sizeof(x));
	x.status = chip_line;
	x.arg = &cl;
	r = run(h, &x, "CHIPS");
	xact_free(&x);
	if (r != 0) {
		free(cl.v);
		return r;
	}
	*out = cl.v;
	*n = cl.n;
	return 0;
}

/* ---- keys and certificates ---- */

static int
be_readkey(void *h, const char *chip, int ref, struct p11_pubkey *out)
{
	struct xact x;
	int r;

	memset(&x, 0, sizeof(x));
	memset(out, 0, sizeof(*out));
	if ((r = run(h, &x, "P11READKEY %s %d", chip, ref)) == 0)
		r = x.reply_len == 0 ? SK_ERR_NOT_FOUND : p11_sexp_pubkey(x.reply, x.reply_len, out);
	xact_free(&x);
	return r;
}

static int
take_reply(struct xact *x, uint8_t **out, size_t *len)
{
	*out = x->reply;
	*len = x->reply_len;
	if (*out == NULL && (*out = malloc(1)) == NULL)
		return SK_ERR_NOMEM;
	x->reply = NULL;
	x->reply_len = 0;
	return 0;
}

static int
be_readcert(void *h, const char *chip, int ref, uint8_t **der, size_t *len)
{
	struct xact x;
	int r;

	memset(&x, 0, sizeof(x));
	*der = NULL;
	*len = 0;
	if ((r = run(h, &x, "P11READCERT %s %d", chip, ref)) == 0)
		r = take_reply(&x, der, len);
	xact_free(&x);
	return r;
}

/* ---- PINs ---- */

static int
pin_line(struct xact *x, const char *line)
{
	struct p11_pinstatus *ps = x->arg;

	if (!keyword_is(line, "P11PIN"))
		return 0;
	if (sscanf(line, "P11PIN %d %d %d %d", &ps->user_verified, &ps->user_retries,
	    &ps->so_verified, &ps->so_retries) != 4)
		return SK_ERR_PROTO;
	return 0;
}

static int
be_pinstatus(void *h, const char *chip, int live, struct p11_pinstatus *out)
{
	struct xact x;
	int r;

	memset(&x, 0, sizeof(x));
	out->user_verified = out->so_verified = 0;
	out->user_retries = out->so_retries = -1;
	x.status = pin_line;
	x.arg = out;
	r = run(h, &x, "P11PINSTATUS %s%s", chip, live ? " --live" : "");
	xact_free(&x);
	return r;
}

static const char *
who_name(int who)
{
	return who == P11_WHO_SO ? "so" : "user";
}

static int
be_login(void *h, const char *chip, int who, const char *pin)
{
	struct xact x;
	int r;

	memset(&x, 0, sizeof(x));
	x.user_pin = who == P11_WHO_USER ? pin : NULL;
	x.so_pin = who == P11_WHO_SO ? pin : NULL;
	r = run(h, &x, "P11LOGIN %s %s%s", chip, who_name(who), pin == NULL ? " --cached" : "");
	xact_free(&x);
	return r;
}

static int
be_logout(void *h, const char *chip)
{
	struct xact x;
	int r;

	memset(&x, 0, sizeof(x));
	r = run(h, &x, "P11LOGOUT %s", chip);
	xact_free(&x);
	return r;
}

static int
be_setpin(void *h, const char *chip, int who, const char *oldpin, const char *newpin)
{
	struct xact x;
	int r;

	memset(&x, 0, sizeof(x));
	x.old_pin = oldpin;
	x.new_pin = newpin;
	r = run(h, &x, "P11SETPIN %s %s", chip, who_name(who));
	xact_free(&x);
	return r;
}

static int
be_initpin(void *h, const char *chip, const char *sopin, const char *newpin)
{
	struct xact x;
	int r;

	memset(&x, 0, sizeof(x));
	x.so_pin = sopin;
	x.new_pin = newpin;
	r = run(h, &x, "P11INITPIN %s", chip);
	xact_free(&x);
	return r;
}

/* ---- private-key operations ---- */

static int
data_op(void *h, const char *cmd, const char *chip, int ref, const char *user_pin,
    const char *so_pin, const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
	struct xact x;
	int r;

	memset(&x, 0, sizeof(x));
	if (out != NULL) {
		*out = NULL;
		*out_len = 0;
	}
	x.user_pin = user_pin;
	x.so_pin = so_pin;
	x.data = in;
	x.data_len = len;
	r = run(h, &x, "%s %s %d", cmd, chip, ref);
	if (r == 0 && out != NULL)
		r = take_reply(&x, out, out_len);
	xact_free(&x);
	return r;
}

static int
be_sign(void *h, const char *chip, int ref, const char *pin, const uint8_t *in, size_t len,
    uint8_t **sig, size_t *siglen)
{
	return data_op(h, "P11SIGN", chip, ref, pin, NULL, in, len, sig, siglen);
}

static int
be_decrypt(void *h, const char *chip, int ref, const char *pin, const uint8_t *in, size_t len,
    uint8_t **out, size_t *outlen)
{
	return data_op(h, "P11DECRYPT", chip, ref, pin, NULL, in, len, out, outlen);
}

static int
be_writecert(void *h, const char *chip, int ref, const char *sopin, const uint8_t *der,
    size_t len)
{
	return data_op(h, "P11WRITECERT", chip, ref, NULL, sopin, der, len, NULL, NULL);
}

static int
be_genkey(void *h, const char *chip, int ref, const char *algo, const char *sopin,
    struct p11_pubkey *out)
{
	struct xact x;
	int r;

	memset(&x, 0, sizeof(x));
	memset(out, 0, sizeof(*out));
	x.so_pin = sopin;
	if ((r = run(h, &x, "P11GENKEY %s %d %s", chip, ref, algo)) == 0)
		r = p11_sexp_pubkey(x.reply, x.reply_len, out);
	xact_free(&x);
	return r;
}

/* ---- HMAC ---- */

static int
hmac_line(struct xact *x, const char *line)
{
	unsigned *mask = x->arg;
	int slot = 0, on = 0;

	if (!keyword_is(line, "HMACSLOT"))
		return 0;
	if (sscanf(line, "HMACSLOT %d %d", &slot, &on) != 2 || slot < 1 || slot > 2)
		return SK_ERR_PROTO;
	if (on)
		*mask |= 1u << (slot - 1);
	return 0;
}

static int
be_hmac_slots(void *h, const char *chip, unsigned *mask)
{
	struct xact x;
	int r;

	memset(&x, 0, sizeof(x));
	*mask = 0;
	x.status = hmac_line;
	x.arg = mask;
	r = run(h, &x, "HMACSLOTS %s", chip);
	xact_free(&x);
	return r;
}

static int
be_hmac(void *h, const char *chip, int slot, const uint8_t *chal, size_t len, uint8_t out[20])
{
	uint8_t *resp = NULL;
	size_t n = 0;
	int r;

	r = data_op(h, "HMAC", chip, slot, NULL, NULL, chal, len, &resp, &n);
	if (r == 0 && n != 20) {
		p11_log("HMAC answer of %zu bytes (want 20)", n);
		r = n == 0 ? SK_ERR_NOT_FOUND : SK_ERR_BAD_RESPONSE;
	}
	if (r == 0)
		memcpy(out, resp, 20);
	if (resp != NULL)
		sk_wipe(resp, n);
	free(resp);
	return r;
}

static int
be_hmac_program(void *h, const char *chip, int slot, const uint8_t *key, size_t len)
{
	return data_op(h, "HMACPROGRAM --if-empty", chip, slot, NULL, NULL, key, len, NULL, NULL);
}

static int
be_hmac_delete(void *h, const char *chip, int slot)
{
	struct xact x;
	int r;

	memset(&x, 0, sizeof(x));
	r = run(h, &x, "HMACDELETE %s %d", chip, slot);
	xact_free(&x);
	return r;
}

/* ---- Vault ---- */

/* "VAULT_CHIP <id> primary ..." */
static int
vchip_line(struct xact *x, const char *line)
{
	char *primary = x->arg, id[P11_CHIPID_MAX], role[16];

	if (!keyword_is(line, "VAULT_CHIP"))
		return 0;
	if (sscanf(line, "VAULT_CHIP %47s %15s", id, role) != 2)
		return SK_ERR_PROTO;
	if (strcmp(role, "primary") == 0)
		snprintf(primary, P11_CHIPID_MAX, "%s", id);
	return 0;
}

static int
be_vault_primary(void *h, char chip[P11_CHIPID_MAX])
{
	struct xact x;
	int r;

	memset(&x, 0, sizeof(x));
	chip[0] = '\0';
	x.status = vchip_line;
	x.arg = chip;
	r = run(h, &x, "VAULT_CHIPS");
	xact_free(&x);
	if (r == 0 && chip[0] == '\0')
		r = SK_ERR_NOT_FOUND;
	return r;
}

struct vlist {
	struct p11_vcred *v;
	size_t n;
};

static int
vcred_line(struct xact *x, const char *line)
{
	struct vlist *vl = x->arg;
	struct p11_vcred c, *v;
	int r;

	if (!keyword_is(line, "VAULT_CRED"))
		return 0;
	if ((r = p11_vault_parse_cred(line, &c)) != 0)
		return r;
	if (vl->n >= 100000 || (v = realloc(vl->v, (vl->n + 1) * sizeof(*v))) == NULL)
		return SK_ERR_NOMEM;
	vl->v = v;
	v[vl->n++] = c;
	return 0;
}

static int
be_vault_list(void *h, struct p11_vcred **out, size_t *n)
{
	struct vlist vl = { NULL, 0 };
	struct xact x;
	int r;

	*out = NULL;
	*n = 0;
	memset(&x, 0, sizeof(x));
	x.status = vcred_line;
	x.arg = &vl;
	r = run(h, &x, "VAULT_LIST");
	xact_free(&x);
	if (r != 0) {
		free(vl.v);
		return r;
	}
	*out = vl.v;
	*n = vl.n;
	return 0;
}

static int
be_vault_get(void *h, uint64_t id, uint8_t **secret, size_t *len)
{
	struct xact x;
	int r;

	memset(&x, 0, sizeof(x));
	*secret = NULL;
	*len = 0;
	if ((r = run(h, &x, "VAULT_GET %llu", (unsigned long long)id)) == 0)
		r = take_reply(&x, secret, len);
	xact_free(&x);
	return r;
}

static int
vid_line(struct xact *x, const char *line)
{
	if (!keyword_is(line, "VAULT_ID"))
		return 0;
	return p11_vault_parse_id(line, x->arg);
}

static int
be_vault_add(void *h, const char *site, const char *user, const uint8_t *secret, size_t len,
    uint64_t *id)
{
	char s[ASSUAN_LINELENGTH], u[ASSUAN_LINELENGTH];
	struct xact x;
	int r;

	memset(&x, 0, sizeof(x));
	*id = 0;
	if ((r = p11_vault_escape(site, s, sizeof(s))) != 0 ||
	    (r = p11_vault_escape(user, u, sizeof(u))) != 0)
		return r;
	x.data = secret;
	x.data_len = len;
	x.status = vid_line;
	x.arg = id;
	r = run(h, &x, "VAULT_ADD password %s %s", s, u);
	xact_free(&x);
	if (r == 0 && *id == 0) {
		p11_log("VAULT_ADD: skinkeyd named no credential id");
		r = SK_ERR_PROTO;
	}
	return r;
}

static int
be_vault_rm(void *h, uint64_t id)
{
	struct xact x;
	int r;

	memset(&x, 0, sizeof(x));
	r = run(h, &x, "VAULT_RM %llu", (unsigned long long)id);
	xact_free(&x);
	return r;
}

static int
be_vault_update(void *h, uint64_t id, const uint8_t *secret, size_t len)
{
	struct xact x;
	int r;

	memset(&x, 0, sizeof(x));
	x.data = secret;
	x.data_len = len;
	r = run(h, &x, "VAULT_UPDATE %llu", (unsigned long long)id);
	xact_free(&x);
	return r;
}

static const struct p11_vault_backend vault_assuan = {
	be_vault_primary, be_vault_list, be_vault_get, be_vault_add, be_vault_rm,
	be_vault_update,
};

const struct p11_backend p11_backend_assuan = {
	be_open, be_close, be_chips, be_readkey, be_readcert, be_pinstatus, be_login, be_logout,
	be_setpin, be_initpin, be_sign, be_decrypt, be_genkey, be_writecert, be_hmac_slots,
	be_hmac, be_hmac_program, be_hmac_delete, &vault_assuan,
};
