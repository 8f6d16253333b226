/* stream.c — skinkey-guard's end of skinkeyd's event stream: EVENTS --wait (skinkeyd answers
 * when there is something: no timer here either), hand the batch to every consumer, ACK it.
 * A lost connection is retried for a few seconds (skinkeyd restarting), then the guard exits:
 * the next skinkeyd starts a new one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "common/log.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "guard.h"

#define RECONNECT_MS 5000
#define RECONNECT_STEP_MS 50

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static uint64_t ctx_gen;   /* the context generation skinkeyd last told us */

/* "<gen> <id|-> <since> <64 hex|->" */
static gpg_error_t on_context(struct guard_batch *b, const char *s)
{
	unsigned long long gen, since;
	char id[8], key[72];
	unsigned v;

	if (sscanf(s, "%llu %7s %llu %71s", &gen, id, &since, key) != 4) {
		sk_warn("stream: malformed context line ignored");
		return 0;
	}
	b->ctx_seen = 1;
	b->ctx_gen = gen;
	b->ctx_since = since;
	b->ctx_id = strcmp(id, "-") == 0 ? -1 : atoi(id);
	b->ctx_has_key = strlen(key) == 64;
	for (int i = 0; b->ctx_has_key && i < 32; i++) {
		if (sscanf(key + 2 * i, "%2x", &v) != 1)
			b->ctx_has_key = 0;
		b->ctx_key[i] = (uint8_t)v;
	}
	sk_wipe(key, sizeof(key));
	return 0;
}

/* "EVENT <seq> <ts_ms> <kind> <details>", "OUTBOX <id>" and "CONTEXT ...". */
static gpg_error_t on_status(void *arg, const char *line)
{
	struct guard_batch *b = arg;
	struct guard_event *ev;
	unsigned long long seq;
	long long ts;
	char kind[32];
	int off = 0;

	if (strncmp(line, "OUTBOX ", 7) == 0) {
		snprintf(b->stream, sizeof(b->stream), "%s", line + 7);
		return 0;
	}
	if (strncmp(line, "CONTEXT ", 8) == 0)
		return on_context(b, line + 8);
	if (strncmp(line, "EVENT ", 6) != 0 || b->n == GUARD_BATCH_MAX)
		return 0;
	if (sscanf(line + 6, "%llu %lld %31s %n", &seq, &ts, kind, &off) != 3 || off <= 0) {
		sk_warn("stream: malformed event line ignored");
		return 0;
	}
	ev = &b->ev[b->n];
	if ((ev->details = strdup(line + 6 + off)) == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	ev->seq = seq;
	ev->ts_ms = ts;
	snprintf(ev->kind, sizeof(ev->kind), "%s", kind);
	b->n++;
	return 0;
}

static void batch_clear(struct guard_batch *b)
{
	for (int i = 0; i < b->n; i++) {
		if (b->ev[i].boxed != NULL && b->ev[i].details != NULL)
			sk_wipe(b->ev[i].details, strlen(b->ev[i].details));   /* opened: a context's */
		free(b->ev[i].details);
		free(b->ev[i].boxed);
	}
	sk_wipe(b, sizeof(*b));   /* the context key, if one came */
}

static int connect_retry(assuan_context_t *ctx)
{
	for (int waited = 0; waited <= RECONNECT_MS; waited += RECONNECT_STEP_MS) {
		if (skc_connect_noautostart(ctx) == 0)
			return 0;
		sleep_ms(RECONNECT_STEP_MS);
	}
	return SK_ERR_IO;
}

static int apply_all(const struct guard_batch *b)
{
	int r;

	for (size_t i = 0; guard_consumers[i] != NULL; i++)
		if ((r = guard_consumers[i]->apply(b)) != 0) {
			sk_warn("%s: batch not applied (%s): it comes again", guard_consumers[i]->name,
			    sk_strerror(r));
			return r;
		}
	return 0;
}

/* One connection: until it breaks. */
static void serve(assuan_context_t ctx)
{
	struct guard_batch b;
	char cmd[64];
	int r;

	memset(&b, 0, sizeof(b));
	for (;;) {
		batch_clear(&b);
		snprintf(cmd, sizeof(cmd), "EVENTS --wait --ctx=%llu", (unsigned long long)ctx_gen);
		if ((r = skc_transact(ctx, cmd, NULL, on_status, &b, NULL)) != 0) {
			sk_info("stream: EVENTS: %s", sk_strerror(r));
			break;
		}
		if (b.ctx_seen) {   /* before the batch: its events come after the change */
			ctx_gen = b.ctx_gen;
			guard_context_set(b.ctx_id, b.ctx_since, b.ctx_has_key ? b.ctx_key : NULL);
		}
		if (b.n == 0)
			continue;
		guard_context_open(&b);
		/* the receipt first: the operations waiting for it are answered while we write */
		snprintf(cmd, sizeof(cmd), "SEEN %llu", (unsigned long long)b.ev[b.n - 1].seq);
		if ((r = skc_transact(ctx, cmd, NULL, NULL, NULL, NULL)) != 0) {
			sk_info("stream: SEEN: %s", sk_strerror(r));
			break;
		}
		if (apply_all(&b) != 0) {
			sleep_ms(1000);   /* a failing disk: do not spin on the same batch */
			continue;
		}
		snprintf(cmd, sizeof(cmd), "ACK %llu", (unsigned long long)b.ev[b.n - 1].seq);
		if ((r = skc_transact(ctx, cmd, NULL, NULL, NULL, NULL)) != 0) {
			sk_info("stream: ACK: %s", sk_strerror(r));
			break;
		}
	}
	batch_clear(&b);
}

int guard_stream_run(void)
{
	assuan_context_t ctx = NULL;

	for (;;) {
		if (connect_retry(&ctx) != 0) {
			sk_info("skinkeyd is not running: exiting (it starts a guard again)");
			return 0;
		}
		sk_debug("connected to skinkeyd");
		serve(ctx);
		guard_presence_stream_lost();
		assuan_release(ctx);
		ctx = NULL;
	}
}
