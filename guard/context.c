/* context.c — the duress context as skinkeyd tells skinkey-guard (S CONTEXT on the event
 * stream, issue 13): its id and the key skinkeyd derived for the guard from the context's
 * secret, held here in locked memory and wiped when the context ends (or the guard stops).
 * Entering the burn context (the DuressApplet's context 2) runs burn-actions from skinkey.conf
 * (the actions presence uses). Nothing of this goes to the audit chain or the log at the
 * default level: a line written only when the burn context is used would tell. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "common/auditbox.h"
#include "audit/audit.h"
#include "common/log.h"
#include "common/logmask.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "guard.h"

#define BURN_CONTEXT 2

static int ctx_id = -1;
static uint8_t *ctx_key;                /* 32 bytes of secure memory while a context runs */
static struct guard_ssh_pids ssh;       /* ssh clients that used the chip, for end-ssh */

int guard_context_id(void)
{
	return ctx_id;
}

/* LOCKAGENTS / DROPPINS on a connection of their own (the stream's is in the middle of EVENTS). */
static int skd_cmd(const char *line)
{
	assuan_context_t c = NULL;
	int r;

	if ((r = skc_connect_noautostart(&c)) != 0)
		return r;
	r = skc_transact(c, line, NULL, NULL, NULL, NULL);
	assuan_release(c);
	return r;
}

static void burn(void)
{
	char done[160];

	if (guard_config.burn_actions == 0)
		return;
	guard_actions_run(guard_config.burn_actions, guard_config.burn_exec, "SKINKEY_REASON",
	    "burn-context", "-", skd_cmd, &ssh, done, sizeof(done));
	sk_debug("context: actions done:%s", done[0] ? done : " none");
}

/* Every call is news (skinkeyd's generation moved): a start of the burn context, or an end and
 * a new start seen together, runs the actions. */
void guard_context_set(int id, uint64_t since, const uint8_t *key)
{
	(void)since;   /* (the events after `since` happened in this context) */
	sk_secure_free(ctx_key);   /* wipes */
	ctx_key = NULL;
	if (key != NULL && (ctx_key = sk_secure_alloc(32)) != NULL)
		memcpy(ctx_key, key, 32);
	ctx_id = id;
	if (id == BURN_CONTEXT && key != NULL)
		burn();
}

void guard_context_open(struct guard_batch *b)
{
	uint8_t bk[SK_AUDITBOX_KEY_LEN];
	char kind[32], chip[SK_LOGMASK_ID_MAX], *plain = NULL;

	if (ctx_key == NULL || sk_auditbox_key(ctx_key, bk) != 0 ||
	    (plain = malloc(SK_AUDITBOX_PLAIN)) == NULL)
		goto out;
	for (int i = 0; i < b->n; i++) {
		struct guard_event *ev = &b->ev[i];
		char *d;

		if (strcmp(ev->kind, SK_AUDITBOX_KIND) != 0 || ev->boxed != NULL ||
		    sk_auditbox_open(bk, ev->details, kind, sizeof(kind), plain,
		    SK_AUDITBOX_PLAIN) != 0 || (d = strdup(plain)) == NULL)
			continue;   /* another context's (it ended before we read it): kept sealed */
		ev->boxed = ev->details;
		ev->details = d;
		snprintf(ev->kind, sizeof(ev->kind), "%s", kind);
		/* the context's chip id is never written to the guard's log (presence names chips) */
		if (audit_detail(d, "chip", chip, sizeof(chip))[0] != '\0' &&
		    strcmp(chip, "fs-locked") != 0)
			sk_logmask_add(chip);
	}
out:
	if (plain != NULL)
		sk_wipe(plain, SK_AUDITBOX_PLAIN);
	free(plain);
	sk_wipe(bk, sizeof(bk));
}

static int burn_start(void)
{
	return 0;
}

static int burn_apply(const struct guard_batch *b)
{
	for (int i = 0; i < b->n; i++)
		if (strcmp(b->ev[i].kind, "key-op") == 0)
			guard_ssh_note(&ssh, b->ev[i].details);
	return 0;
}

static void burn_stop(void)
{
	sk_secure_free(ctx_key);
	ctx_key = NULL;
	ctx_id = -1;
}

const struct guard_consumer guard_burn = {
	"context", burn_start, burn_apply, burn_stop,
};
