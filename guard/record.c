/* record.c — the audit writer: each event becomes one row of audit.db (the guard is its only
 * writer), exactly once: the stream id and the last applied event seq are stored in audit.db
 * in the same transaction as the rows, so a batch that comes again after a crash (applied, not
 * yet acknowledged) is skipped row by row. A new chain is sealed from its first row; its
 * verification key waits in audit.db until `skinkey audit init` prints it (once). */
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "common/auditbox.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "guard.h"

static struct audit_log *log_;

int guard_anchor_notify(struct audit_log *l);   /* anchor.c */

static void printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			*s = '?';
}

/* actor "door:prog[pid]" (chip events: "skinkeyd"), action "kind" or "kind:op". */
static int append_event(const struct guard_event *ev)
{
	char door[32], prog[64], pid[16], op[32], actor[128], action[96], *details = NULL;
	int r;

	if (ev->boxed != NULL || strcmp(ev->kind, SK_AUDITBOX_KIND) == 0) {
		/* a duress context's event: stored sealed as it came (common/auditbox.h); the row
		 * says only that it is one */
		if (asprintf(&details, "ms=%" PRId64 " %s", ev->ts_ms,
		    ev->boxed != NULL ? ev->boxed : ev->details) < 0)
			return SK_ERR_NOMEM;
		if (strlen(details) > AUDIT_FIELD_MAX || strchr(details, 0x1f) != NULL)
			details[0] = '\0';   /* not skinkeyd's box: nothing of it */
		r = audit_append(log_, ev->ts_ms / 1000, SK_AUDITBOX_KIND, SK_AUDITBOX_KIND, details,
		    NULL);
		free(details);
		return r;
	}

	audit_detail(ev->details, "door", door, sizeof(door));
	audit_detail(ev->details, "prog", prog, sizeof(prog));
	audit_detail(ev->details, "pid", pid, sizeof(pid));
	audit_detail(ev->details, "op", op, sizeof(op));
	if (door[0] == '\0' || (pid[0] == '\0' && prog[0] == '\0'))
		snprintf(actor, sizeof(actor), "%s", door[0] ? door : "skinkeyd");   /* its own event */
	else
		snprintf(actor, sizeof(actor), "%s:%s[%s]", door, prog[0] ? prog : "?",
		    pid[0] ? pid : "?");
	printable(actor);
	snprintf(action, sizeof(action), "%s%s%s", ev->kind, op[0] ? ":" : "", op);
	printable(action);
	if (asprintf(&details, "ms=%" PRId64 " %s", ev->ts_ms, ev->details) < 0)
		return SK_ERR_NOMEM;
	for (char *p = details; *p != '\0'; p++)
		if (*p == 0x1f)
			*p = '?';
	if (strlen(details) > AUDIT_FIELD_MAX)
		details[AUDIT_FIELD_MAX] = '\0';
	r = audit_append(log_, ev->ts_ms / 1000, actor, action, details, NULL);
	free(details);
	return r;
}

static int record_config_error(void)
{
	char *details = NULL;
	int r;

	for (char *p = guard_config.refused; *p != '\0'; p++)
		if (*p <= ' ' || *p == '%' || *p == '=' || *p >= 0x7f)
			*p = '?';
	if (asprintf(&details, "op=%s detail=skinkey-guard%%20did%%20not%%20use%%20it "
	    "result=bad%%20configuration", guard_config.refused) < 0)
		return SK_ERR_NOMEM;
	r = audit_append(log_, 0, "skinkey-guard", "config-error", details, NULL);
	free(details);
	return r;
}

static int record_apply(const struct guard_batch *b)
{
	char stream[40], last[32], val[32];
	uint64_t done = 0, top = 0;
	int r;

	if ((r = audit_begin(log_)) != 0)
		return r;
	if (audit_meta_get(log_, "stream", stream, sizeof(stream)) == 0 &&
	    strcmp(stream, b->stream) == 0 && audit_meta_get(log_, "last_seq", last, sizeof(last)) == 0)
		done = strtoull(last, NULL, 10);
	for (int i = 0; i < b->n; i++) {
		if (b->ev[i].seq <= done)
			continue;   /* applied before a crash, not acknowledged: skip */
		if ((r = append_event(&b->ev[i])) != 0)
			goto out;
		top = b->ev[i].seq;
	}
	if (top == 0) {
		audit_rollback(log_);
		return 0;
	}
	snprintf(val, sizeof(val), "%" PRIu64, top);
	if ((r = audit_meta_set(log_, "stream", b->stream)) != 0 ||
	    (r = audit_meta_set(log_, "last_seq", val)) != 0)
		goto out;
	r = audit_commit(log_);
out:
	if (r != 0)
		audit_rollback(log_);
	else
		guard_anchor_notify(log_);
	return r;
}

static int record_start(void)
{
	int r;

	if ((r = audit_open(NULL, &log_)) != 0) {
		sk_error("cannot open audit.db: %s", sk_strerror(r));
		return r;
	}
	if (!audit_sealed(log_)) {
		if (audit_count(log_) == 0) {
			if ((r = audit_seal_start(log_)) != 0 && r != SK_ERR_EXISTS)
				return r;
			sk_info("a new sealed audit chain: run `skinkey audit init` for its recovery code");
		} else {
			sk_warn("audit.db holds an unsealed chain: rows are hash-chained only");
		}
	}
	/* a setting of the guard's own that skinkey.conf got wrong is in the chain too */
	if (guard_config.refused[0] != '\0' && (r = record_config_error()) != 0)
		sk_warn("the configuration error was not recorded: %s", sk_strerror(r));
	return 0;
}

static void record_stop(void)
{
	audit_close(&log_);
}

const struct guard_consumer guard_record = {
	"audit", record_start, record_apply, record_stop,
};

int guard_record_init(int force_print)
{
	struct audit_log *l = NULL;
	uint8_t key[AUDIT_KEY_LEN];
	char code[AUDIT_CODE_LEN];
	int r;

	(void)force_print;
	if ((r = audit_open(NULL, &l)) != 0) {
		fprintf(stderr, "skinkey-guard: cannot open audit.db: %s\n", sk_strerror(r));
		return r;
	}
	if (!audit_sealed(l) && audit_count(l) == 0 && (r = audit_seal_start(l)) != 0 &&
	    r != SK_ERR_EXISTS)
		goto out;
	if (!audit_sealed(l)) {
		fprintf(stderr, "skinkey-guard: audit.db holds an unsealed chain: no recovery code\n");
		r = SK_ERR_EXISTS;
		goto out;
	}
	if ((r = audit_take_recovery(l, key)) == SK_ERR_NOT_FOUND) {
		fprintf(stderr, "skinkey-guard: the recovery code of this chain was already printed "
		    "(it is shown once)\n");
		goto out;
	}
	if (r != 0)
		goto out;
	audit_code_format(key, code);
	printf("Audit chain recovery code (verification key) -- write it down, it is shown once:\n"
	    "\n    %s\n\nVerify with: skinkey audit verify --key CODE\n", code);
	OPENSSL_cleanse(code, sizeof(code));
out:
	OPENSSL_cleanse(key, sizeof(key));
	audit_close(&l);
	return r;
}
