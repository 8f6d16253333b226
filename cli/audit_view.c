/* audit_view.c — the rows of the audit chain a person is shown (audit_view.h). */
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_view.h"
#include "client.h"
#include "common/sk_err.h"

struct keybuf {
	uint8_t b[SK_AUDITBOX_KEY_LEN];
	size_t n;
	int bad;
};

static gpg_error_t on_data(void *arg, const void *p, size_t n)
{
	struct keybuf *k = arg;

	if (n > sizeof(k->b) - k->n) {
		k->bad = 1;
		return 0;
	}
	memcpy(k->b + k->n, p, n);
	k->n += n;
	return 0;
}

void cli_audit_view_open(struct audit_view *v, audit_row_fn fn, void *arg)
{
	assuan_context_t c = NULL;
	struct keybuf k = { { 0 }, 0, 0 };

	memset(v, 0, sizeof(*v));
	v->fn = fn;
	v->arg = arg;
	if (skc_connect_noautostart(&c) != 0)
		return;   /* no skinkeyd: no context runs */
	if (skc_transact(c, "AUDITVIEW", on_data, NULL, &k, NULL) == 0 && !k.bad &&
	    k.n == sizeof(k.b)) {
		memcpy(v->key, k.b, sizeof(v->key));
		v->has_key = 1;
	}
	OPENSSL_cleanse(&k, sizeof(k));
	assuan_release(c);
}

void cli_audit_view_close(struct audit_view *v)
{
	OPENSSL_cleanse(v, sizeof(*v));
}

/* The actor and action the guard gives a row in clear (guard/record.c), from the opened box. */
static void name_row(const char *kind, const char *plain, char *actor, size_t an, char *action,
    size_t xn)
{
	char door[32], prog[64], pid[16], op[32];

	audit_detail(plain, "door", door, sizeof(door));
	audit_detail(plain, "prog", prog, sizeof(prog));
	audit_detail(plain, "pid", pid, sizeof(pid));
	audit_detail(plain, "op", op, sizeof(op));
	if (door[0] == '\0' || (pid[0] == '\0' && prog[0] == '\0'))
		snprintf(actor, an, "%s", door[0] ? door : "skinkeyd");
	else
		snprintf(actor, an, "%s:%s[%s]", door, prog[0] ? prog : "?", pid[0] ? pid : "?");
	snprintf(action, xn, "%s%s%s", kind, op[0] ? ":" : "", op);
	for (char *p = actor; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			*p = '?';
	for (char *p = action; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			*p = '?';
}

int cli_audit_view_row(const struct audit_row *row, void *arg)
{
	struct audit_view *v = arg;
	struct audit_row o = *row;
	char kind[32], actor[128], action[96], ms[24], *plain = NULL, *details = NULL;
	int r = 0;

	if (strcmp(row->action, SK_AUDITBOX_KIND) != 0) {
		v->shown++;
		return v->fn(row, v->arg);
	}
	if (!v->has_key || (plain = malloc(SK_AUDITBOX_PLAIN)) == NULL)
		goto out;
	if (sk_auditbox_open(v->key, row->details, kind, sizeof(kind), plain,
	    SK_AUDITBOX_PLAIN) != 0)
		goto out;   /* another context's row: not shown */   /* another context's row: not shown */
	name_row(kind, plain, actor, sizeof(actor), action, sizeof(action));
	audit_detail(row->details, "ms", ms, sizeof(ms));
	if (asprintf(&details, "ms=%s %s", ms, plain) < 0) {
		details = NULL;
		goto out;
	}
	o.actor = actor;
	o.action = action;
	o.details = details;
	v->shown++;
	r = v->fn(&o, v->arg);
out:
	if (plain != NULL)
		OPENSSL_cleanse(plain, SK_AUDITBOX_PLAIN);
	free(plain);
	if (details != NULL)
		OPENSSL_cleanse(details, strlen(details));
	free(details);
	return r;
}
