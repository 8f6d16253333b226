/* ctaphid.c — CTAPHID packet assembly, channels, dispatch, keepalives and cancel (see ctaphid.h).
 * Every report is untrusted: lengths are checked against what is left, a message is capped at
 * CTAPHID_MAX_PAYLOAD before anything is buffered, and every malformed report gets the CTAPHID
 * error the spec names for it (or is ignored where the spec says so), never a crash. */
#include "ctaphid.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sk_err.h"

#define MAX_CHANNELS 32
#define OUT_QUEUE 512        /* reports; a full answer is at most 130 */

struct channel {
	uint32_t cid;        /* 0 = free slot */
	uint64_t last_used;
};

/* The message being assembled (one at a time, as on a USB key). */
struct rx {
	int active;
	uint32_t cid;
	uint8_t cmd;
	uint8_t next_seq;
	size_t want, got;
	uint64_t deadline;
	uint8_t buf[CTAPHID_MAX_PAYLOAD];
};

enum job_state { JOB_IDLE = 0, JOB_QUEUED, JOB_RUNNING };

/* The host-visible transaction waiting for the backend. */
struct job {
	enum job_state state;
	uint32_t cid;
	uint8_t cmd;
	uint32_t tag;
	uint8_t status;          /* keepalive status */
	uint64_t next_keepalive;
	size_t len;
	uint8_t buf[CTAPHID_MAX_PAYLOAD];
};

struct ctaphid {
	struct ctaphid_cfg cfg;
	struct channel ch[MAX_CHANNELS];
	uint32_t next_cid;           /* counter when cfg.random_u32 is NULL */
	struct rx rx;
	struct job job;
	int backend_busy;            /* the backend holds a request (ours or a cancelled one) */
	uint32_t backend_tag;
	int cancel_pending;          /* tell the backend to abort backend_tag */
	uint32_t tag_seq;
	uint8_t (*out)[CTAPHID_REPORT];
	size_t out_head, out_count;
	uint64_t dropped;
	struct ctaphid_stats st;
};

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint8_t *out_slot(struct ctaphid *e)
{
	if (e->out_count == OUT_QUEUE) {
		/* The host does not read: drop the oldest report rather than grow without bound. */
		e->out_head = (e->out_head + 1) % OUT_QUEUE;
		e->out_count--;
		e->dropped++;
	}
	uint8_t *p = e->out[(e->out_head + e->out_count) % OUT_QUEUE];
	e->out_count++;
	e->st.reports_out++;
	memset(p, 0, CTAPHID_REPORT);
	return p;
}

/* Frames one answer (cmd without 0x80) into init + continuation reports. */
static void send_msg(struct ctaphid *e, uint32_t cid, uint8_t cmd, const uint8_t *data, size_t len)
{
	size_t off, n;
	uint8_t seq = 0;
	uint8_t *p = out_slot(e);

	put_be32(p, cid);
	p[4] = (uint8_t)(cmd | 0x80);
	p[5] = (uint8_t)(len >> 8);
	p[6] = (uint8_t)len;
	n = len < CTAPHID_INIT_DATA ? len : CTAPHID_INIT_DATA;
	if (n > 0)
		memcpy(p + 7, data, n);
	for (off = n; off < len; off += n) {
		p = out_slot(e);
		put_be32(p, cid);
		p[4] = seq++;
		n = len - off < CTAPHID_CONT_DATA ? len - off : CTAPHID_CONT_DATA;
		memcpy(p + 5, data + off, n);
	}
}

static void send_error(struct ctaphid *e, uint32_t cid, uint8_t err, const char *why)
{
	sk_debug("ctaphid: channel %08x: error %02x (%s)", cid, err, why);
	e->st.errors_sent++;
	send_msg(e, cid, CTAPHID_ERROR, &err, 1);
}

static struct channel *channel_find(struct ctaphid *e, uint32_t cid)
{
	if (cid == 0 || cid == CTAPHID_BROADCAST)
		return NULL;
	for (size_t i = 0; i < MAX_CHANNELS; i++)
		if (e->ch[i].cid == cid)
			return &e->ch[i];
	return NULL;
}

static int channel_in_use(const struct ctaphid *e, uint32_t cid)
{
	return (e->rx.active && e->rx.cid == cid) || (e->job.state != JOB_IDLE && e->job.cid == cid);
}

static uint32_t cid_candidate(struct ctaphid *e)
{
	if (e->cfg.random_u32 != NULL)
		return e->cfg.random_u32(e->cfg.random_arg);
	return ++e->next_cid;
}

/* A fresh channel; when the table is full the least recently used idle channel is reused. */
static uint32_t channel_alloc(struct ctaphid *e, uint64_t now)
{
	struct channel *slot = NULL;
	uint32_t cid = 0;

	for (int tries = 0; tries < 64 && cid == 0; tries++) {
		uint32_t c = cid_candidate(e);
		if (c != 0 && c != CTAPHID_BROADCAST && channel_find(e, c) == NULL)
			cid = c;
	}
	if (cid == 0)
		return 0;
	for (size_t i = 0; i < MAX_CHANNELS; i++) {
		struct channel *c = &e->ch[i];
		if (c->cid == 0) {
			slot = c;
			break;
		}
		if (!channel_in_use(e, c->cid) && (slot == NULL || c->last_used < slot->last_used))
			slot = c;
	}
	if (slot == NULL)
		return 0;
	slot->cid = cid;
	slot->last_used = now;
	return cid;
}

/* Ends the host-visible transaction; a request the backend still holds becomes an orphan whose
 * answer is dropped (and the backend is asked to abort it). */
static void job_abort(struct ctaphid *e)
{
	if (e->job.state == JOB_RUNNING && e->backend_busy && e->backend_tag == e->job.tag)
		e->cancel_pending = 1;
	explicit_bzero(e->job.buf, e->job.len);
	e->job.state = JOB_IDLE;
	e->job.len = 0;
}

static void rx_reset(struct ctaphid *e)
{
	explicit_bzero(e->rx.buf, e->rx.got);
	e->rx.active = 0;
	e->rx.got = e->rx.want = 0;
}

static void on_init(struct ctaphid *e, uint32_t cid, const uint8_t *nonce, uint16_t bcnt, uint64_t now)
{
	uint8_t rsp[17];
	uint32_t newcid = cid;

	if (bcnt != 8) {
		send_error(e, cid, CTAPHID_ERR_INVALID_LEN, "INIT nonce is not 8 bytes");
		return;
	}
	if (cid == CTAPHID_BROADCAST) {
		if ((newcid = channel_alloc(e, now)) == 0) {
			send_error(e, cid, CTAPHID_ERR_OTHER, "no channel free");
			return;
		}
	} else {
		/* Resynchronisation: whatever this channel was doing is abandoned, without answer. */
		if (e->rx.active && e->rx.cid == cid)
			rx_reset(e);
		if (e->job.state != JOB_IDLE && e->job.cid == cid)
			job_abort(e);
	}
	memcpy(rsp, nonce, 8);
	put_be32(rsp + 8, newcid);
	rsp[12] = 2;   /* CTAPHID protocol version */
	memcpy(rsp + 13, e->cfg.version, 3);
	rsp[16] = e->cfg.caps;
	send_msg(e, cid, CTAPHID_INIT, rsp, sizeof(rsp));
}

static void on_cancel(struct ctaphid *e, uint32_t cid)
{
	static const uint8_t cbor_cancel = CTAP2_ERR_KEEPALIVE_CANCEL;
	static const uint8_t msg_cancel[2] = { 0x69, 0x85 };   /* conditions not satisfied */

	if (e->rx.active && e->rx.cid == cid) {
		rx_reset(e);   /* the host gave up sending: nothing to answer */
		return;
	}
	if (e->job.state == JOB_IDLE || e->job.cid != cid) {
		e->st.ignored++;   /* CANCEL has no answer of its own */
		return;
	}
	e->st.cancels++;
	if (e->job.cmd == CTAPHID_CBOR)
		send_msg(e, cid, CTAPHID_CBOR, &cbor_cancel, 1);
	else
		send_msg(e, cid, CTAPHID_MSG, msg_cancel, sizeof(msg_cancel));
	job_abort(e);
}

static void job_start(struct ctaphid *e, uint64_t now)
{
	e->job.state = JOB_QUEUED;
	e->job.cid = e->rx.cid;
	e->job.cmd = e->rx.cmd;
	e->job.len = e->rx.got;
	memcpy(e->job.buf, e->rx.buf, e->rx.got);
	e->job.status = CTAPHID_STATUS_PROCESSING;
	e->job.next_keepalive = now + e->cfg.keepalive_ms;
	e->job.tag = ++e->tag_seq;
	e->st.requests++;
}

/* A whole message is in rx. */
static void dispatch(struct ctaphid *e, uint64_t now)
{
	uint32_t cid = e->rx.cid;

	switch (e->rx.cmd) {
	case CTAPHID_PING:
		send_msg(e, cid, CTAPHID_PING, e->rx.buf, e->rx.got);
		break;
	case CTAPHID_WINK:
		/* Nothing to blink on an implant; answer so the platform knows we are alive. */
		if (e->rx.got != 0)
			send_error(e, cid, CTAPHID_ERR_INVALID_LEN, "WINK with data");
		else
			send_msg(e, cid, CTAPHID_WINK, NULL, 0);
		break;
	case CTAPHID_CBOR:
	case CTAPHID_MSG:
		if (e->rx.got == 0)
			send_error(e, cid, CTAPHID_ERR_INVALID_LEN, "empty request");
		else
			job_start(e, now);
		break;
	default:
		send_error(e, cid, CTAPHID_ERR_INVALID_CMD, "unknown command");
		break;
	}
	rx_reset(e);
}

static int cmd_known(uint8_t cmd)
{
	return cmd == CTAPHID_PING || cmd == CTAPHID_MSG || cmd == CTAPHID_WINK || cmd == CTAPHID_CBOR;
}

static void on_init_packet(struct ctaphid *e, const uint8_t *p, uint64_t now)
{
	uint32_t cid = get_be32(p);
	uint8_t cmd = (uint8_t)(p[4] & 0x7f);
	uint16_t bcnt = (uint16_t)(p[5] << 8 | p[6]);
	size_t n;

	if (cid == CTAPHID_BROADCAST && cmd == CTAPHID_INIT) {
		on_init(e, cid, p + 7, bcnt, now);
		return;
	}
	struct channel *ch = channel_find(e, cid);
	if (ch == NULL) {
		send_error(e, cid, CTAPHID_ERR_INVALID_CHANNEL, "channel not allocated");
		return;
	}
	ch->last_used = now;
	if (cmd == CTAPHID_INIT) {
		on_init(e, cid, p + 7, bcnt, now);
		return;
	}
	if (cmd == CTAPHID_CANCEL) {
		on_cancel(e, cid);
		return;
	}
	if (e->rx.active) {
		if (e->rx.cid != cid) {
			send_error(e, cid, CTAPHID_ERR_CHANNEL_BUSY, "another channel is sending");
		} else {
			rx_reset(e);
			send_error(e, cid, CTAPHID_ERR_INVALID_SEQ, "new message before the last was complete");
		}
		return;
	}
	if (e->job.state != JOB_IDLE) {
		send_error(e, cid, CTAPHID_ERR_CHANNEL_BUSY, "a request is in progress");
		return;
	}
	if (bcnt > CTAPHID_MAX_PAYLOAD) {
		send_error(e, cid, CTAPHID_ERR_INVALID_LEN, "message longer than 7609 bytes");
		return;
	}
	if (!cmd_known(cmd)) {
		send_error(e, cid, CTAPHID_ERR_INVALID_CMD, cmd == CTAPHID_LOCK ? "LOCK not offered" : "unknown command");
		return;
	}
	e->rx.active = 1;
	e->rx.cid = cid;
	e->rx.cmd = cmd;
	e->rx.want = bcnt;
	e->rx.next_seq = 0;
	n = bcnt < CTAPHID_INIT_DATA ? bcnt : CTAPHID_INIT_DATA;
	memcpy(e->rx.buf, p + 7, n);
	e->rx.got = n;
	e->rx.deadline = now + e->cfg.frame_timeout_ms;
	if (e->rx.got == e->rx.want)
		dispatch(e, now);
}

static void on_cont_packet(struct ctaphid *e, const uint8_t *p, uint64_t now)
{
	uint32_t cid = get_be32(p);
	uint8_t seq = p[4];
	size_t n;

	struct channel *ch = channel_find(e, cid);
	if (ch == NULL) {
		send_error(e, cid, CTAPHID_ERR_INVALID_CHANNEL, "continuation on a channel not allocated");
		return;
	}
	ch->last_used = now;
	if (!e->rx.active || e->rx.cid != cid) {
		/* Spurious (no init packet on this channel before it): ignored, as the spec says;
		 * answering would put a stray error in front of the host's next answer. */
		e->st.ignored++;
		sk_debug("ctaphid: channel %08x: continuation %u without a message, ignored", cid, seq);
		return;
	}
	if (seq != e->rx.next_seq) {
		rx_reset(e);
		send_error(e, cid, CTAPHID_ERR_INVALID_SEQ, "continuation out of sequence");
		return;
	}
	n = e->rx.want - e->rx.got;
	if (n > CTAPHID_CONT_DATA)
		n = CTAPHID_CONT_DATA;
	memcpy(e->rx.buf + e->rx.got, p + 5, n);
	e->rx.got += n;
	e->rx.next_seq++;
	e->rx.deadline = now + e->cfg.frame_timeout_ms;
	if (e->rx.got == e->rx.want)
		dispatch(e, now);
}

void ctaphid_input(struct ctaphid *e, const uint8_t *rep, size_t len, uint64_t now)
{
	uint8_t p[CTAPHID_REPORT];

	if (e == NULL || rep == NULL || len == 0)
		return;
	ctaphid_tick(e, now);   /* a timeout that fell due is answered before this report */
	e->st.reports_in++;
	memset(p, 0, sizeof(p));
	memcpy(p, rep, len < sizeof(p) ? len : sizeof(p));
	if (p[4] & 0x80)
		on_init_packet(e, p, now);
	else
		on_cont_packet(e, p, now);
	explicit_bzero(p, sizeof(p));
}

void ctaphid_tick(struct ctaphid *e, uint64_t now)
{
	if (e == NULL)
		return;
	if (e->rx.active && now >= e->rx.deadline) {
		uint32_t cid = e->rx.cid;
		rx_reset(e);
		send_error(e, cid, CTAPHID_ERR_MSG_TIMEOUT, "message not completed in time");
	}
	if (e->job.state != JOB_IDLE && now >= e->job.next_keepalive) {
		send_msg(e, e->job.cid, CTAPHID_KEEPALIVE, &e->job.status, 1);
		e->st.keepalives++;
		e->job.next_keepalive = now + e->cfg.keepalive_ms;
	}
}

uint64_t ctaphid_deadline(const struct ctaphid *e)
{
	uint64_t d = UINT64_MAX;

	if (e == NULL)
		return d;
	if (e->rx.active)
		d = e->rx.deadline;
	if (e->job.state != JOB_IDLE && e->job.next_keepalive < d)
		d = e->job.next_keepalive;
	return d;
}

int ctaphid_output(struct ctaphid *e, uint8_t rep[CTAPHID_REPORT])
{
	if (e == NULL || e->out_count == 0)
		return 0;
	memcpy(rep, e->out[e->out_head], CTAPHID_REPORT);
	explicit_bzero(e->out[e->out_head], CTAPHID_REPORT);
	e->out_head = (e->out_head + 1) % OUT_QUEUE;
	e->out_count--;
	return 1;
}

uint64_t ctaphid_dropped(const struct ctaphid *e)
{
	return e != NULL ? e->dropped : 0;
}

int ctaphid_take_request(struct ctaphid *e, struct ctaphid_req *req)
{
	if (e == NULL || req == NULL || e->backend_busy || e->job.state != JOB_QUEUED)
		return 0;
	e->job.state = JOB_RUNNING;
	e->backend_busy = 1;
	e->backend_tag = e->job.tag;
	e->cancel_pending = 0;
	req->tag = e->job.tag;
	req->cid = e->job.cid;
	req->cmd = e->job.cmd;
	req->data = e->job.buf;
	req->len = e->job.len;
	return 1;
}

int ctaphid_take_cancel(struct ctaphid *e, uint32_t *tag)
{
	if (e == NULL || !e->cancel_pending || !e->backend_busy)
		return 0;
	e->cancel_pending = 0;
	if (tag != NULL)
		*tag = e->backend_tag;
	return 1;
}

static int job_matches(const struct ctaphid *e, uint32_t tag)
{
	return e->job.state == JOB_RUNNING && e->job.tag == tag;
}

void ctaphid_backend_status(struct ctaphid *e, uint32_t tag, uint8_t status)
{
	if (e == NULL || !job_matches(e, tag))
		return;
	if (status == CTAPHID_STATUS_PROCESSING || status == CTAPHID_STATUS_UPNEEDED)
		e->job.status = status;
}

static void backend_release(struct ctaphid *e, uint32_t tag)
{
	if (e->backend_busy && e->backend_tag == tag) {
		e->backend_busy = 0;
		e->cancel_pending = 0;
	}
}

void ctaphid_backend_done(struct ctaphid *e, uint32_t tag, const uint8_t *rsp, size_t len)
{
	if (e == NULL)
		return;
	backend_release(e, tag);
	if (!job_matches(e, tag)) {
		sk_debug("ctaphid: answer for cancelled request %u dropped", tag);
		return;
	}
	if (len > CTAPHID_MAX_PAYLOAD || (len > 0 && rsp == NULL))
		send_error(e, e->job.cid, CTAPHID_ERR_OTHER, "backend answer too long");
	else
		send_msg(e, e->job.cid, e->job.cmd, rsp, len);
	explicit_bzero(e->job.buf, e->job.len);
	e->job.state = JOB_IDLE;
	e->job.len = 0;
}

void ctaphid_backend_fail(struct ctaphid *e, uint32_t tag, uint8_t err)
{
	if (e == NULL)
		return;
	backend_release(e, tag);
	if (!job_matches(e, tag))
		return;
	send_error(e, e->job.cid, err, "backend failed");
	explicit_bzero(e->job.buf, e->job.len);
	e->job.state = JOB_IDLE;
	e->job.len = 0;
}

void ctaphid_get_stats(const struct ctaphid *e, struct ctaphid_stats *st)
{
	if (st == NULL)
		return;
	memset(st, 0, sizeof(*st));
	if (e != NULL)
		*st = e->st;
}

int ctaphid_new(struct ctaphid **out, const struct ctaphid_cfg *cfg)
{
	struct ctaphid *e = NULL;
	int r = SK_ERR_INTERNAL;

	if (out == NULL || cfg == NULL || cfg->keepalive_ms > 100) {
		r = SK_ERR_ARG;
		goto out;
	}
	*out = NULL;
	if ((e = calloc(1, sizeof(*e))) == NULL || (e->out = calloc(OUT_QUEUE, CTAPHID_REPORT)) == NULL) {
		r = SK_ERR_NOMEM;
		goto out;
	}
	e->cfg = *cfg;
	if (e->cfg.keepalive_ms == 0)
		e->cfg.keepalive_ms = 80;
	if (e->cfg.frame_timeout_ms == 0)
		e->cfg.frame_timeout_ms = 500;
	*out = e;
	e = NULL;
	r = 0;
out:
	ctaphid_free(&e);
	return r;
}

void ctaphid_free(struct ctaphid **pe)
{
	struct ctaphid *e;

	if (pe == NULL || (e = *pe) == NULL)
		return;
	if (e->out != NULL) {
		explicit_bzero(e->out, (size_t)OUT_QUEUE * CTAPHID_REPORT);
		free(e->out);
	}
	explicit_bzero(e, sizeof(*e));
	free(e);
	*pe = NULL;
}
