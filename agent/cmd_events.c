/* cmd_events.c — the event stream for skinkey-guard (doc/PROTOCOL.md, "Events"):
 *   EVENTS [--wait] [--after=SEQ] [--ctx=GEN]
 *                                  S OUTBOX <stream id>, then S EVENT <seq> <ts_ms> <kind>
 *                                  <details> for up to 64 waiting events, oldest first; --wait
 *                                  blocks until there is at least one. --ctx (the guard only):
 *                                  also when the duress context moved past GEN, then first
 *                                  S CONTEXT <gen> <id|-> <since seq> <hex key|->
 *   AUDITVIEW                      D the active duress context's audit box key (32 bytes), so
 *                                  `skinkey audit tail|show|export` open its rows; OK
 *                                  without data when none runs (doc/DURESS.md)
 *   TESTCONTEXT <id> <64 hex>|end   tests only (skinkeyd started with SKINKEY_TEST_HOOKS=1):
 *                                  publish SKD_EV_CONTEXT as the duress unlock does
 *   SEEN SEQ                       the guard received every event up to SEQ: the answers of the
 *                                  operations that wait for their event's receipt go out
 *   ACK SEQ                        every event up to SEQ is recorded: delete it from the outbox
 * Rows are copied out under the outbox lock and written to the client after it is released,
 * so a slow reader never holds up an operation that publishes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/auditbox.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "event.h"
#include "skd_int.h"

#define EVENTS_BATCH 64
#define EVENT_TEXT_MAX 900   /* an Assuan line is 1000 bytes with "S EVENT " */

struct batch {
	char *line[EVENTS_BATCH];
	int n;
};

static int collect(uint64_t seq, int64_t ts_ms, const char *kind, const char *details,
    void *arg)
{
	struct batch *b = arg;
	char *s = NULL;
	int len;

	if (b->n == EVENTS_BATCH)
		return 0;
	len = asprintf(&s, "%llu %lld %s %s", (unsigned long long)seq, (long long)ts_ms,
	    kind ? kind : "?", details ? details : "");
	if (len < 0)
		return SK_ERR_NOMEM;
	if (len > EVENT_TEXT_MAX) {
		/* cut on an escape boundary and say so */
		int cut = EVENT_TEXT_MAX - 12;
		while (cut > 0 && (s[cut - 1] == '%' || (cut > 1 && s[cut - 2] == '%')))
			cut--;
		snprintf(s + cut, (size_t)len + 1 - (size_t)cut, " truncated=1");
	}
	b->line[b->n++] = s;
	return 0;
}

static uint64_t parse_seq(const char *s, int *ok)
{
	char *end;
	unsigned long long v;

	*ok = 0;
	if (s == NULL || *s < '0' || *s > '9')
		return 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0' && *end != ' ')
		return 0;
	*ok = 1;
	return (uint64_t)v;
}

/* S CONTEXT: the key only to the process that holds the guard's lock, only over this socket. */
static gpg_error_t send_context(assuan_context_t ctx)
{
	struct skd_ctxkey k;
	char line[200];
	int n;
	gpg_error_t e;

	skd_ctxkey_get(&k);
	n = snprintf(line, sizeof(line), "%llu ", (unsigned long long)k.gen);
	if (k.context >= 0)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%d", k.context);
	else
		n += snprintf(line + n, sizeof(line) - (size_t)n, "-");
	n += snprintf(line + n, sizeof(line) - (size_t)n, " %llu ", (unsigned long long)k.since);
	if (k.has_key)
		for (int i = 0; i < SKD_CTXKEY_LEN; i++)
			n += snprintf(line + n, sizeof(line) - (size_t)n, "%02x", k.key[i]);
	else
		snprintf(line + n, sizeof(line) - (size_t)n, "-");
	e = assuan_write_status(ctx, "CONTEXT", line);
	sk_wipe(line, sizeof(line));
	sk_wipe(&k, sizeof(k));
	return e;
}

static gpg_error_t cmd_events(assuan_context_t ctx, char *line)
{
	struct batch b = { { NULL }, 0 };
	const char *after_opt = strstr(line, "--after="), *ctx_opt = strstr(line, "--ctx=");
	uint64_t after = 0, ctx_gen = UINT64_MAX;
	gpg_error_t e = 0;
	int r, n = 0, ok = 1;

	if (after_opt != NULL)
		after = parse_seq(after_opt + 8, &ok);
	if (ok && ctx_opt != NULL)
		ctx_gen = parse_seq(ctx_opt + 6, &ok);
	if (!ok)
		return skd_fail(ctx, SK_ERR_ARG, "EVENTS --after=SEQ --ctx=GEN");
	if (ctx_opt != NULL && (skd_event_peer_pid() <= 0 ||
	    skd_event_peer_pid() != skd_guard_pid()))
		return skd_fail(ctx, SK_ERR_DENIED, "EVENTS --ctx (skinkey-guard only)");
	skd_conn_not_idle_counted(skd_conn_get(ctx));
	if (strstr(line, "--wait") != NULL && (r = skd_outbox_wait_ctx(after, ctx_gen)) != 0)
		return skd_fail(ctx, r, "EVENTS");
	if (ctx_gen != UINT64_MAX && skd_ctxkey_gen() != ctx_gen && (e = send_context(ctx)) != 0)
		return e;
	if ((r = skd_outbox_fetch(after, EVENTS_BATCH, collect, &b, &n)) != 0) {
		e = skd_fail(ctx, r, "EVENTS");
		goto out;
	}
	e = assuan_write_status(ctx, "OUTBOX", skd_outbox_stream());
	for (int i = 0; i < b.n && e == 0; i++)
		e = assuan_write_status(ctx, "EVENT", b.line[i]);
out:
	for (int i = 0; i < b.n; i++)
		free(b.line[i]);
	return e;
}

static gpg_error_t cmd_ack(assuan_context_t ctx, char *line)
{
	uint64_t seq;
	int ok, r;

	seq = parse_seq(line, &ok);
	if (!ok)
		return skd_fail(ctx, SK_ERR_ARG, "ACK SEQ");
	if ((r = skd_outbox_ack(seq)) != 0)
		return skd_fail(ctx, r, "ACK");
	return 0;
}

static gpg_error_t cmd_seen(assuan_context_t ctx, char *line)
{
	uint64_t seq;
	int ok;

	seq = parse_seq(line, &ok);
	if (!ok)
		return skd_fail(ctx, SK_ERR_ARG, "SEEN SEQ");
	return skd_outbox_seen(seq) == 0 ? 0 : skd_fail(ctx, SK_ERR_INTERNAL, "SEEN");
}

/* The active duress context's audit box key (common/auditbox.h), for `skinkey audit
 * tail|show|export` to open that context's rows. The socket answers same-uid peers only
 * (sock.c); the key is sent as D data, never logged, and only while a context runs. */
static gpg_error_t cmd_auditview(assuan_context_t ctx, char *line)
{
	struct skd_ctxkey k;
	uint8_t bk[SK_AUDITBOX_KEY_LEN];
	gpg_error_t e;
	int r;

	(void)line;
	skd_ctxkey_get(&k);
	if (!skd_config.duress || !k.has_key) {
		/* OK without data, and no log line: every `skinkey audit tail` asks, duress or not */
		sk_wipe(&k, sizeof(k));
		return 0;
	}
	r = sk_auditbox_key(k.key, bk);
	sk_wipe(&k, sizeof(k));
	if (r != 0)
		return skd_fail(ctx, r, "AUDITVIEW");
	e = skd_send_data(ctx, bk, sizeof(bk));
	sk_wipe(bk, sizeof(bk));
	return e;
}

static gpg_error_t cmd_testcontext(assuan_context_t ctx, char *line)
{
	const char *hooks = getenv("SKINKEY_TEST_HOOKS");
	struct skd_event ev = { .kind = SKD_EV_CONTEXT, .counter = -1, .retries = -1 };
	uint8_t secret[32];
	char chip[64];
	int id = -1, off = 0;

	if (hooks == NULL || strcmp(hooks, "1") != 0)
		return skd_fail(ctx, SK_ERR_UNSUPPORTED, "TESTCONTEXT (tests only)");
	if (sscanf(line, "%d %n", &id, &off) != 1 || id < 0 || id > 2)
		return skd_fail(ctx, SK_ERR_ARG, "TESTCONTEXT <id> <64 hex>|end");
	snprintf(chip, sizeof(chip), "fs-testcontext%d", id);
	ev.chip = chip;
	ev.context = id;
	if (strcmp(line + off, "end") != 0) {
		for (int i = 0; i < 32; i++) {
			unsigned v;
			if (sscanf(line + off + 2 * i, "%2x", &v) != 1)
				return skd_fail(ctx, SK_ERR_ARG, "TESTCONTEXT <id> <64 hex>|end");
			secret[i] = (uint8_t)v;
		}
		ev.ctx_secret = secret;
		ev.ctx_secret_len = sizeof(secret);
	}
	skd_event_publish(&ev);
	sk_wipe(secret, sizeof(secret));
	return 0;
}

const struct skd_cmd skd_cmds_events[] = {
	{ "EVENTS", cmd_events, "EVENTS [--wait] [--after=SEQ]: recorded events not yet acknowledged" },
	{ "AUDITVIEW", cmd_auditview, "AUDITVIEW: D the active duress context's audit box key" },
	{ "TESTCONTEXT", cmd_testcontext, "TESTCONTEXT <id> <64 hex>|end: tests only" },
	{ "SEEN", cmd_seen, "SEEN SEQ: skinkey-guard received the events up to SEQ (not yet recorded)" },
	{ "ACK", cmd_ack, "ACK SEQ: events up to SEQ are recorded (skinkey-guard)" },
	{ NULL, NULL, NULL }
};
