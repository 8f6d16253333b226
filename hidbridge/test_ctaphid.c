/* test_ctaphid.c — the CTAPHID engine against hand-made reports: channel allocation, framing of
 * long messages, every malformed report and the CTAPHID error it gets, busy channels, message
 * timeouts, keepalives, CANCEL and the backend hand-over. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ctaphid.h"
#include "test_common.h"

static struct ctaphid *E;
static uint64_t now;

static void rep_init(uint8_t *p, uint32_t cid, uint8_t cmd, uint16_t bcnt)
{
	memset(p, 0, CTAPHID_REPORT);
	p[0] = (uint8_t)(cid >> 24); p[1] = (uint8_t)(cid >> 16); p[2] = (uint8_t)(cid >> 8); p[3] = (uint8_t)cid;
	p[4] = (uint8_t)(cmd | 0x80);
	p[5] = (uint8_t)(bcnt >> 8); p[6] = (uint8_t)bcnt;
}

static void rep_cont(uint8_t *p, uint32_t cid, uint8_t seq)
{
	memset(p, 0, CTAPHID_REPORT);
	p[0] = (uint8_t)(cid >> 24); p[1] = (uint8_t)(cid >> 16); p[2] = (uint8_t)(cid >> 8); p[3] = (uint8_t)cid;
	p[4] = seq;
}

/* Sends a whole message (split into reports). */
static void send_message(uint32_t cid, uint8_t cmd, const uint8_t *d, size_t len)
{
	uint8_t p[CTAPHID_REPORT];
	size_t off, n = len < CTAPHID_INIT_DATA ? len : CTAPHID_INIT_DATA;
	uint8_t seq = 0;

	rep_init(p, cid, cmd, (uint16_t)len);
	if (n > 0)
		memcpy(p + 7, d, n);
	ctaphid_input(E, p, sizeof(p), now);
	for (off = n; off < len; off += n) {
		n = len - off < CTAPHID_CONT_DATA ? len - off : CTAPHID_CONT_DATA;
		rep_cont(p, cid, seq++);
		memcpy(p + 5, d + off, n);
		ctaphid_input(E, p, sizeof(p), now);
	}
}

/* Reads one whole answer: returns its command (without 0x80) or a negative number; payload in d. */
static int recv_message(uint32_t cid, uint8_t *d, size_t cap, size_t *len)
{
	uint8_t p[CTAPHID_REPORT];
	size_t want, got, n;
	uint8_t seq = 0;
	int cmd;

	*len = 0;
	if (!ctaphid_output(E, p))
		return -1;
	if ((uint32_t)p[0] << 24 != (cid & 0xff000000u) || (uint32_t)(p[1] << 16 | p[2] << 8 | p[3]) != (cid & 0xffffffu)
	    || !(p[4] & 0x80))
		return -2;
	cmd = p[4] & 0x7f;
	want = (size_t)(p[5] << 8 | p[6]);
	if (want > cap)
		return -3;
	n = want < CTAPHID_INIT_DATA ? want : CTAPHID_INIT_DATA;
	memcpy(d, p + 7, n);
	for (got = n; got < want; got += n) {
		if (!ctaphid_output(E, p) || p[4] != seq++)
			return -4;
		n = want - got < CTAPHID_CONT_DATA ? want - got : CTAPHID_CONT_DATA;
		memcpy(d + got, p + 5, n);
	}
	*len = want;
	return cmd;
}

static uint8_t rbuf[CTAPHID_MAX_PAYLOAD + 64];
static size_t rlen;

/* Expects a CTAPHID_ERROR with code err on cid as the next answer. */
#define EXPECT_ERROR(cid, err) do { \
	CHECK_EQ(recv_message((cid), rbuf, sizeof(rbuf), &rlen), CTAPHID_ERROR); \
	CHECK_EQ(rlen, 1); \
	CHECK_EQ(rbuf[0], (err)); \
} while (0)
#define EXPECT_NOTHING() CHECK_EQ(ctaphid_output(E, rbuf), 0)

static uint32_t alloc_channel(void)
{
	static const uint8_t nonce[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint32_t cid;

	send_message(CTAPHID_BROADCAST, CTAPHID_INIT, nonce, 8);
	CHECK_EQ(recv_message(CTAPHID_BROADCAST, rbuf, sizeof(rbuf), &rlen), CTAPHID_INIT);
	CHECK_EQ(rlen, 17);
	CHECK_MEM(rbuf, nonce, 8);
	cid = (uint32_t)rbuf[8] << 24 | (uint32_t)rbuf[9] << 16 | (uint32_t)rbuf[10] << 8 | rbuf[11];
	CHECK(cid != 0 && cid != CTAPHID_BROADCAST);
	CHECK_EQ(rbuf[12], 2);
	CHECK_EQ(rbuf[16], CTAPHID_CAP_WINK | CTAPHID_CAP_CBOR);
	return cid;
}

static void test_init_and_channels(void)
{
	uint8_t p[CTAPHID_REPORT];
	uint32_t a = alloc_channel(), b = alloc_channel();

	CHECK(a != b);
	/* INIT whose nonce is not 8 bytes */
	rep_init(p, CTAPHID_BROADCAST, CTAPHID_INIT, 7);
	ctaphid_input(E, p, sizeof(p), now);
	EXPECT_ERROR(CTAPHID_BROADCAST, CTAPHID_ERR_INVALID_LEN);
	/* anything but INIT on the broadcast channel, channel 0, a channel never allocated */
	rep_init(p, CTAPHID_BROADCAST, CTAPHID_PING, 0);
	ctaphid_input(E, p, sizeof(p), now);
	EXPECT_ERROR(CTAPHID_BROADCAST, CTAPHID_ERR_INVALID_CHANNEL);
	rep_init(p, 0, CTAPHID_PING, 0);
	ctaphid_input(E, p, sizeof(p), now);
	EXPECT_ERROR(0, CTAPHID_ERR_INVALID_CHANNEL);
	rep_init(p, 0x12345678, CTAPHID_CBOR, 1);
	ctaphid_input(E, p, sizeof(p), now);
	EXPECT_ERROR(0x12345678, CTAPHID_ERR_INVALID_CHANNEL);
	rep_cont(p, 0x12345678, 0);
	ctaphid_input(E, p, sizeof(p), now);
	EXPECT_ERROR(0x12345678, CTAPHID_ERR_INVALID_CHANNEL);
	/* INIT on an allocated channel keeps it */
	send_message(a, CTAPHID_INIT, (const uint8_t *)"ABCDEFGH", 8);
	CHECK_EQ(recv_message(a, rbuf, sizeof(rbuf), &rlen), CTAPHID_INIT);
	CHECK_EQ((uint32_t)rbuf[8] << 24 | (uint32_t)rbuf[9] << 16 | (uint32_t)rbuf[10] << 8 | rbuf[11], a);
	/* unknown command, LOCK (not offered), WINK */
	rep_init(p, a, 0x55, 0);
	ctaphid_input(E, p, sizeof(p), now);
	EXPECT_ERROR(a, CTAPHID_ERR_INVALID_CMD);
	rep_init(p, b, CTAPHID_LOCK, 1);
	ctaphid_input(E, p, sizeof(p), now);
	EXPECT_ERROR(b, CTAPHID_ERR_INVALID_CMD);
	send_message(a, CTAPHID_WINK, NULL, 0);
	CHECK_EQ(recv_message(a, rbuf, sizeof(rbuf), &rlen), CTAPHID_WINK);
	CHECK_EQ(rlen, 0);
	/* an empty CBOR request */
	send_message(a, CTAPHID_CBOR, NULL, 0);
	EXPECT_ERROR(a, CTAPHID_ERR_INVALID_LEN);
	EXPECT_NOTHING();
}

static void test_ping_framing(void)
{
	static uint8_t msg[CTAPHID_MAX_PAYLOAD];
	uint8_t p[CTAPHID_REPORT];
	uint32_t a = alloc_channel();
	size_t sizes[] = { 0, 1, 57, 58, 116, 117, 1000, CTAPHID_MAX_PAYLOAD };

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		send_message(a, CTAPHID_PING, msg, sizes[i]);
		CHECK_EQ(recv_message(a, rbuf, sizeof(rbuf), &rlen), CTAPHID_PING);
		CHECK_EQ(rlen, sizes[i]);
		CHECK_MEM(rbuf, msg, sizes[i]);
		EXPECT_NOTHING();
	}
	/* one byte past the maximum */
	rep_init(p, a, CTAPHID_PING, CTAPHID_MAX_PAYLOAD + 1);
	ctaphid_input(E, p, sizeof(p), now);
	EXPECT_ERROR(a, CTAPHID_ERR_INVALID_LEN);
	rep_init(p, a, CTAPHID_CBOR, 0xffff);
	ctaphid_input(E, p, sizeof(p), now);
	EXPECT_ERROR(a, CTAPHID_ERR_INVALID_LEN);
	/* a short report is zero-padded: a PING of 3 bytes whose data is all in the short report */
	uint8_t shortrep[10];
	rep_init(p, a, CTAPHID_PING, 3);
	memcpy(shortrep, p, 7);
	shortrep[7] = 'x'; shortrep[8] = 'y'; shortrep[9] = 'z';
	ctaphid_input(E, shortrep, sizeof(shortrep), now);
	CHECK_EQ(recv_message(a, rbuf, sizeof(rbuf), &rlen), CTAPHID_PING);
	CHECK_EQ(rlen, 3);
	CHECK_MEM(rbuf, "xyz", 3);
}

static void test_malformed_sequences(void)
{
	uint8_t p[CTAPHID_REPORT];
	uint32_t a = alloc_channel(), b = alloc_channel();

	/* bad sequence number: message dropped, ERR_INVALID_SEQ, the channel works afterwards */
	rep_init(p, a, CTAPHID_PING, 200);
	ctaphid_input(E, p, sizeof(p), now);
	rep_cont(p, a, 0);
	ctaphid_input(E, p, sizeof(p), now);
	rep_cont(p, a, 2);
	ctaphid_input(E, p, sizeof(p), now);
	EXPECT_ERROR(a, CTAPHID_ERR_INVALID_SEQ);
	rep_cont(p, a, 3);   /* the rest of the dropped message is spurious now: ignored */
	ctaphid_input(E, p, sizeof(p), now);
	EXPECT_NOTHING();
	/* continuation without an init packet: ignored (spec), nothing answered */
	rep_cont(p, b, 0);
	ctaphid_input(E, p, sizeof(p), now);
	EXPECT_NOTHING();
	/* interleaved channels: b starts while a is mid-message -> b busy, a completes */
	uint8_t msg[100];
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	rep_init(p, a, CTAPHID_PING, sizeof(msg));
	memcpy(p + 7, msg, CTAPHID_INIT_DATA);
	ctaphid_input(E, p, sizeof(p), now);
	rep_init(p, b, CTAPHID_PING, 4);
	ctaphid_input(E, p, sizeof(p), now);
	EXPECT_ERROR(b, CTAPHID_ERR_CHANNEL_BUSY);
	rep_cont(p, b, 0);   /* b's continuation while a sends: spurious for b */
	ctaphid_input(E, p, sizeof(p), now);
	EXPECT_NOTHING();
	rep_cont(p, a, 0);
	memcpy(p + 5, msg + CTAPHID_INIT_DATA, sizeof(msg) - CTAPHID_INIT_DATA);
	ctaphid_input(E, p, sizeof(p), now);
	CHECK_EQ(recv_message(a, rbuf, sizeof(rbuf), &rlen), CTAPHID_PING);
	CHECK_EQ(rlen, sizeof(msg));
	CHECK_MEM(rbuf, msg, sizeof(msg));
	/* a new init packet on the same channel mid-message -> ERR_INVALID_SEQ */
	rep_init(p, a, CTAPHID_PING, 100);
	ctaphid_input(E, p, sizeof(p), now);
	rep_init(p, a, CTAPHID_PING, 1);
	ctaphid_input(E, p, sizeof(p), now);
	EXPECT_ERROR(a, CTAPHID_ERR_INVALID_SEQ);
	EXPECT_NOTHING();
	/* an INIT mid-message resynchronises the channel (no error, the INIT answer only) */
	rep_init(p, a, CTAPHID_PING, 100);
	ctaphid_input(E, p, sizeof(p), now);
	send_message(a, CTAPHID_INIT, (const uint8_t *)"12345678", 8);
	CHECK_EQ(recv_message(a, rbuf, sizeof(rbuf), &rlen), CTAPHID_INIT);
	EXPECT_NOTHING();
	/* message timeout: the continuation never comes */
	rep_init(p, b, CTAPHID_PING, 100);
	ctaphid_input(E, p, sizeof(p), now);
	CHECK_EQ(ctaphid_deadline(E), now + 500);
	ctaphid_tick(E, now + 499);
	EXPECT_NOTHING();
	now += 500;
	ctaphid_tick(E, now);
	EXPECT_ERROR(b, CTAPHID_ERR_MSG_TIMEOUT);
	CHECK_EQ(ctaphid_deadline(E), UINT64_MAX);
	rep_cont(p, b, 0);   /* late continuation: spurious */
	ctaphid_input(E, p, sizeof(p), now);
	EXPECT_NOTHING();
	/* a timeout that fell due is answered before the next report is taken */
	rep_init(p, b, CTAPHID_PING, 100);
	ctaphid_input(E, p, sizeof(p), now);
	now += 600;
	send_message(a, CTAPHID_PING, (const uint8_t *)"ok", 2);
	EXPECT_ERROR(b, CTAPHID_ERR_MSG_TIMEOUT);
	CHECK_EQ(recv_message(a, rbuf, sizeof(rbuf), &rlen), CTAPHID_PING);
	EXPECT_NOTHING();
}

static void test_backend(void)
{
	struct ctaphid_req req, req2;
	uint32_t tag;
	uint8_t p[CTAPHID_REPORT];
	uint32_t a = alloc_channel(), b = alloc_channel();
	static const uint8_t getinfo = 0x04, answer[3] = { 0x00, 0xa0, 0x42 };

	CHECK_EQ(ctaphid_take_request(E, &req), 0);
	send_message(a, CTAPHID_CBOR, &getinfo, 1);
	EXPECT_NOTHING();
	CHECK_EQ(ctaphid_take_request(E, &req), 1);
	CHECK_EQ(req.cid, a);
	CHECK_EQ(req.cmd, CTAPHID_CBOR);
	CHECK_EQ(req.len, 1);
	CHECK_EQ(req.data[0], 0x04);
	CHECK_EQ(ctaphid_take_request(E, &req2), 0);
	/* keepalives every 80 ms, PROCESSING then UPNEEDED */
	CHECK_EQ(ctaphid_deadline(E), now + 80);
	now += 80;
	ctaphid_tick(E, now);
	CHECK_EQ(recv_message(a, rbuf, sizeof(rbuf), &rlen), CTAPHID_KEEPALIVE);
	CHECK_EQ(rlen, 1);
	CHECK_EQ(rbuf[0], CTAPHID_STATUS_PROCESSING);
	ctaphid_backend_status(E, req.tag, CTAPHID_STATUS_UPNEEDED);
	now += 80;
	ctaphid_tick(E, now);
	CHECK_EQ(recv_message(a, rbuf, sizeof(rbuf), &rlen), CTAPHID_KEEPALIVE);
	CHECK_EQ(rbuf[0], CTAPHID_STATUS_UPNEEDED);
	/* busy: another channel, and the same channel, while the request runs */
	send_message(b, CTAPHID_PING, (const uint8_t *)"x", 1);
	EXPECT_ERROR(b, CTAPHID_ERR_CHANNEL_BUSY);
	send_message(a, CTAPHID_CBOR, &getinfo, 1);
	EXPECT_ERROR(a, CTAPHID_ERR_CHANNEL_BUSY);
	/* INIT on the broadcast channel still allocates */
	(void)alloc_channel();
	ctaphid_backend_done(E, req.tag, answer, sizeof(answer));
	CHECK_EQ(recv_message(a, rbuf, sizeof(rbuf), &rlen), CTAPHID_CBOR);
	CHECK_EQ(rlen, 3);
	CHECK_MEM(rbuf, answer, 3);
	CHECK_EQ(ctaphid_deadline(E), UINT64_MAX);
	EXPECT_NOTHING();

	/* CANCEL: answered at once with KEEPALIVE_CANCEL, the backend told, its late answer dropped */
	send_message(a, CTAPHID_CBOR, &getinfo, 1);
	CHECK_EQ(ctaphid_take_request(E, &req), 1);
	CHECK_EQ(ctaphid_take_cancel(E, &tag), 0);
	send_message(b, CTAPHID_CANCEL, NULL, 0);   /* CANCEL on another channel: ignored */
	EXPECT_NOTHING();
	send_message(a, CTAPHID_CANCEL, NULL, 0);
	CHECK_EQ(recv_message(a, rbuf, sizeof(rbuf), &rlen), CTAPHID_CBOR);
	CHECK_EQ(rlen, 1);
	CHECK_EQ(rbuf[0], CTAP2_ERR_KEEPALIVE_CANCEL);
	CHECK_EQ(ctaphid_take_cancel(E, &tag), 1);
	CHECK_EQ(tag, req.tag);
	CHECK_EQ(ctaphid_take_cancel(E, &tag), 0);
	/* a new request waits (with keepalives) until the backend let go of the cancelled one */
	send_message(b, CTAPHID_CBOR, &getinfo, 1);
	CHECK_EQ(ctaphid_take_request(E, &req2), 0);
	now += 80;
	ctaphid_tick(E, now);
	CHECK_EQ(recv_message(b, rbuf, sizeof(rbuf), &rlen), CTAPHID_KEEPALIVE);
	CHECK_EQ(rbuf[0], CTAPHID_STATUS_PROCESSING);
	ctaphid_backend_done(E, req.tag, answer, sizeof(answer));
	EXPECT_NOTHING();
	CHECK_EQ(ctaphid_take_request(E, &req2), 1);
	CHECK_EQ(req2.cid, b);
	ctaphid_backend_fail(E, req2.tag, CTAPHID_ERR_OTHER);
	EXPECT_ERROR(b, CTAPHID_ERR_OTHER);

	/* MSG cancelled: SW 6985 */
	static const uint8_t u2f_version[] = { 0x00, 0x03, 0x00, 0x00 };
	send_message(a, CTAPHID_MSG, u2f_version, sizeof(u2f_version));
	CHECK_EQ(ctaphid_take_request(E, &req), 1);
	CHECK_EQ(req.cmd, CTAPHID_MSG);
	send_message(a, CTAPHID_CANCEL, NULL, 0);
	CHECK_EQ(recv_message(a, rbuf, sizeof(rbuf), &rlen), CTAPHID_MSG);
	CHECK_EQ(rlen, 2);
	CHECK_EQ(rbuf[0], 0x69);
	CHECK_EQ(rbuf[1], 0x85);
	ctaphid_backend_fail(E, req.tag, CTAPHID_ERR_OTHER);
	EXPECT_NOTHING();

	/* INIT on the busy channel aborts its request without an answer */
	send_message(a, CTAPHID_CBOR, &getinfo, 1);
	CHECK_EQ(ctaphid_take_request(E, &req), 1);
	send_message(a, CTAPHID_INIT, (const uint8_t *)"abcdefgh", 8);
	CHECK_EQ(recv_message(a, rbuf, sizeof(rbuf), &rlen), CTAPHID_INIT);
	CHECK_EQ(ctaphid_take_cancel(E, &tag), 1);
	ctaphid_backend_done(E, req.tag, answer, sizeof(answer));
	EXPECT_NOTHING();
	/* an answer too long for CTAPHID */
	send_message(a, CTAPHID_CBOR, &getinfo, 1);
	CHECK_EQ(ctaphid_take_request(E, &req), 1);
	static uint8_t huge[CTAPHID_MAX_PAYLOAD + 1];
	ctaphid_backend_done(E, req.tag, huge, sizeof(huge));
	EXPECT_ERROR(a, CTAPHID_ERR_OTHER);
	/* a stale tag changes nothing */
	ctaphid_backend_done(E, 9999, answer, sizeof(answer));
	ctaphid_backend_status(E, 9999, CTAPHID_STATUS_UPNEEDED);
	EXPECT_NOTHING();
	(void)p;
}

static void test_channel_table_and_queue(void)
{
	uint32_t first = alloc_channel();
	uint8_t p[CTAPHID_REPORT];

	/* 40 more allocations: the oldest channels are recycled */
	for (int i = 0; i < 40; i++) {
		now++;
		(void)alloc_channel();
	}
	rep_init(p, first, CTAPHID_PING, 0);
	ctaphid_input(E, p, sizeof(p), now);
	EXPECT_ERROR(first, CTAPHID_ERR_INVALID_CHANNEL);
	/* a host that never reads: the queue stays bounded */
	uint32_t a = alloc_channel();
	for (int i = 0; i < 2000; i++) {
		rep_init(p, a, 0x55, 0);
		ctaphid_input(E, p, sizeof(p), now);
	}
	CHECK(ctaphid_dropped(E) > 0);
	while (ctaphid_output(E, rbuf))
		;
}

static uint32_t fixed_random(void *arg)
{
	static const uint32_t seq[] = { 0, 0xffffffffu, 7, 7, 9 };
	unsigned *i = arg;
	return seq[(*i)++ % 5];
}

static void test_random_cids(void)
{
	struct ctaphid *saved = E;
	struct ctaphid_cfg cfg = { .caps = CTAPHID_CAP_CBOR | CTAPHID_CAP_WINK, .random_u32 = fixed_random };
	unsigned i = 0;

	cfg.random_arg = &i;
	CHECK_EQ(ctaphid_new(&E, &cfg), 0);
	CHECK_EQ(alloc_channel(), 7);     /* 0 and ffffffff skipped */
	CHECK_EQ(alloc_channel(), 9);     /* 7 taken: retried */
	ctaphid_free(&E);
	CHECK(E == NULL);
	E = saved;
	cfg.keepalive_ms = 101;
	CHECK(ctaphid_new(&E, &cfg) != 0);
	E = saved;
}

int main(void)
{
	struct ctaphid_cfg cfg = { .version = { 0, 1, 0 }, .caps = CTAPHID_CAP_CBOR | CTAPHID_CAP_WINK };

	CHECK_EQ(ctaphid_new(&E, &cfg), 0);
	now = 1000;
	test_init_and_channels();
	test_ping_framing();
	test_malformed_sequences();
	test_backend();
	test_channel_table_and_queue();
	test_random_cids();
	ctaphid_free(&E);
	return test_done("test_ctaphid");
}
