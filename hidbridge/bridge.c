/* bridge.c — engine + relay (see bridge.h). Backend failures become the answers a platform
 * understands: a tap that never came is CTAP2_ERR_USER_ACTION_TIMEOUT (U2F: SW 6985, "touch
 * needed"), anything else CTAP1_ERR_OTHER (U2F: SW 6F00). */
#include "bridge.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "log.h"
#include "relay.h"
#include "sk_err.h"

#define CTAP2_ERR_USER_ACTION_TIMEOUT 0x2f
#define CTAP1_ERR_OTHER 0x7f

struct bridge {
	struct ctaphid *e;
	struct relay *relay;
	uint32_t run_tag;     /* request the relay holds */
	uint8_t run_cmd;
	int chips_pending;
	int fido_known;
};

uint64_t bridge_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint32_t random_cid(void *arg)
{
	uint32_t v = 0;

	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
		v = (uint32_t)bridge_now_ms() * 2654435761u;   /* never 0 twice in a row: retried */
	return v;
}

void bridge_host_report(struct bridge *b, const uint8_t *p, size_t n)
{
	if (b == NULL || p == NULL)
		return;
	if (n == CTAPHID_REPORT + 1 && p[0] == 0) {
		p++;
		n--;
	}
	ctaphid_input(b->e, p, n, bridge_now_ms());
}

int bridge_output(struct bridge *b, uint8_t rep[CTAPHID_REPORT])
{
	return b != NULL ? ctaphid_output(b->e, rep) : 0;
}

static void on_fail(struct bridge *b, const struct relay_ev *ev)
{
	uint8_t rsp[2];
	size_t n;

	if (b->run_cmd == CTAPHID_MSG) {
		rsp[0] = ev->err == SK_ERR_TIMEOUT ? 0x69 : 0x6f;
		rsp[1] = ev->err == SK_ERR_TIMEOUT ? 0x85 : 0x00;
		n = 2;
	} else {
		rsp[0] = ev->err == SK_ERR_TIMEOUT ? CTAP2_ERR_USER_ACTION_TIMEOUT : CTAP1_ERR_OTHER;
		n = 1;
	}
	ctaphid_backend_done(b->e, ev->tag, rsp, n);
}

static void on_event(struct bridge *b, struct relay_ev *ev)
{
	switch (ev->kind) {
	case RELAY_EV_STATUS:
		ctaphid_backend_status(b->e, ev->tag, ev->status);
		break;
	case RELAY_EV_DONE:
		ctaphid_backend_done(b->e, ev->tag, ev->data, ev->len);
		break;
	case RELAY_EV_FAIL:
		on_fail(b, ev);
		break;
	case RELAY_EV_CHIPS:
		b->chips_pending = 0;
		if (ev->err == 0)
			b->fido_known = ev->fido;
		else
			sk_debug("hidbridge: CHIPS failed: %s", sk_strerror(ev->err));
		break;
	}
}

void bridge_step(struct bridge *b)
{
	struct relay_ev ev;
	struct ctaphid_req req;
	uint32_t tag;
	int rc;

	if (b == NULL)
		return;
	while (relay_next(b->relay, &ev)) {
		on_event(b, &ev);
		relay_ev_clear(&ev);
	}
	if (ctaphid_take_cancel(b->e, &tag))
		relay_cancel(b->relay, tag);
	if (!b->chips_pending && ctaphid_take_request(b->e, &req)) {
		b->run_tag = req.tag;
		b->run_cmd = req.cmd;
		if ((rc = relay_submit(b->relay, req.tag, req.cmd, req.data, req.len)) != 0) {
			sk_warn("hidbridge: request not relayed: %s", sk_strerror(rc));
			ctaphid_backend_fail(b->e, req.tag, CTAPHID_ERR_OTHER);
		}
	}
	ctaphid_tick(b->e, bridge_now_ms());
}

int bridge_fd(const struct bridge *b)
{
	return b != NULL ? relay_fd(b->relay) : -1;
}

int bridge_timeout_ms(const struct bridge *b)
{
	uint64_t d = ctaphid_deadline(b->e), now = bridge_now_ms();

	if (d == UINT64_MAX)
		return -1;
	return d <= now ? 0 : d - now > 60000 ? 60000 : (int)(d - now);
}

int bridge_query_chips(struct bridge *b)
{
	if (b->chips_pending || relay_query_chips(b->relay) != 0)
		return 0;
	b->chips_pending = 1;
	return 1;
}

int bridge_fido_known(const struct bridge *b)
{
	return b->fido_known;
}

void bridge_stats(const struct bridge *b, struct ctaphid_stats *st)
{
	ctaphid_get_stats(b != NULL ? b->e : NULL, st);
}

int bridge_new(struct bridge **out, uint32_t keepalive_ms)
{
	struct bridge *b = NULL;
	struct ctaphid_cfg cfg = {
		.keepalive_ms = keepalive_ms,
		.version = { 0, 1, 0 },
		.caps = CTAPHID_CAP_WINK | CTAPHID_CAP_CBOR,
		.random_u32 = random_cid,
	};
	int rc = SK_ERR_NOMEM;

	*out = NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		goto out;
	b->fido_known = -1;
	if ((rc = ctaphid_new(&b->e, &cfg)) != 0 || (rc = relay_new(&b->relay)) != 0)
		goto out;
	*out = b;
	b = NULL;
	rc = 0;
out:
	bridge_free(&b);
	return rc;
}

void bridge_free(struct bridge **pb)
{
	struct bridge *b;

	if (pb == NULL || (b = *pb) == NULL)
		return;
	relay_free(&b->relay);
	ctaphid_free(&b->e);
	free(b);
	*pb = NULL;
}
