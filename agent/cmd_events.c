/* cmd_events.c — the event stream for skinkey-guard (doc/PROTOCOL.md, "Events"):
 *   EVENTS [--wait] [--after=SEQ]  S OUTBOX <stream id>, then S EVENT <seq> <ts_ms> <kind>
 *                                  <details> for up to 64 waiting events, oldest first; --wait
 *                                  blocks until there is at least one
 *   SEEN SEQ                       the guard received every event up to SEQ: the answers of the
 *                                  operations that wait for their event's receipt go out
 *   ACK SEQ                        every event up to SEQ is recorded: delete it from the outbox
 * Rows are copied out under the outbox lock and written to the client after it is released,
 * so a slow reader never holds up an operation that publishes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sk_err.h"
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

static gpg_error_t cmd_events(assuan_context_t ctx, char *line)
{
	struct batch b = { { NULL }, 0 };
	const char *after_opt = strstr(line, "--after=");
	uint64_t after = 0;
	gpg_error_t e = 0;
	int r, n = 0, ok = 1;

	if (after_opt != NULL)
		after = parse_seq(after_opt + 8, &ok);
	if (!ok)
		return skd_fail(ctx, SK_ERR_ARG, "EVENTS --after=SEQ");
	skd_conn_not_idle_counted(skd_conn_get(ctx));
	if (strstr(line, "--wait") != NULL && (r = skd_outbox_wait(after)) != 0)
		return skd_fail(ctx, r, "EVENTS");
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

const struct skd_cmd skd_cmds_events[] = {
	{ "EVENTS", cmd_events, "EVENTS [--wait] [--after=SEQ]: recorded events not yet acknowledged" },
	{ "SEEN", cmd_seen, "SEEN SEQ: skinkey-guard received the events up to SEQ (not yet recorded)" },
	{ "ACK", cmd_ack, "ACK SEQ: events up to SEQ are recorded (skinkey-guard)" },
	{ NULL, NULL, NULL }
};
