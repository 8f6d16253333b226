/* test_card.c — the APDU engine against a mock hardware table. */
#include <stdint.h>

#include "buf.h"
#include "card.h"
#include "log.h"
#include "sk_err.h"
#include "test_common.h"

int main(void);

#define MAX_SENT 2048

struct mock;
typedef int (*answer_fn)(struct mock *m, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t *rl);

struct mock {
	answer_fn answer;
	int step;           /* index of the APDU being answered */
	int fail_at;        /* transport error on this APDU (-1 none) */
	uint8_t *sent[MAX_SENT];
	size_t sentlen[MAX_SENT];
	int nsent, begins, ends;
	size_t rsp_room;
};

static int mock_transmit(void *io, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t *rl)
{
	struct mock *m = io;
	int r;

	if (m->nsent < MAX_SENT) {
		m->sent[m->nsent] = malloc(n);
		memcpy(m->sent[m->nsent], cmd, n);
		m->sentlen[m->nsent++] = n;
	}
	m->rsp_room = *rl;
	if (m->step == m->fail_at) {
		m->step++;
		return SK_ERR_CARD_REMOVED;
	}
	r = m->answer(m, cmd, n, rsp, rl);
	m->step++;
	return r;
}

static int mock_begin(void *io)
{
	((struct mock *)io)->begins++;
	return 0;
}

static int mock_end(void *io)
{
	((struct mock *)io)->ends++;
	return 0;
}

static const struct sk_card_ops mock_ops = { mock_transmit, mock_begin, mock_end, NULL };

static void mock_reset(struct mock *m, answer_fn fn)
{
	int i;

	for (i = 0; i < m->nsent; i++)
		free(m->sent[i]);
	memset(m, 0, sizeof(*m));
	m->answer = fn;
	m->fail_at = -1;
}

static void put_sw(uint8_t *rsp, size_t *rl, size_t datalen, uint16_t sw)
{
	rsp[datalen] = (uint8_t)(sw >> 8);
	rsp[datalen + 1] = (uint8_t)sw;
	*rl = datalen + 2;
}

static int ans_9000(struct mock *m, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t *rl)
{
	put_sw(rsp, rl, 0, 0x9000);
	return 0;
}

static int ans_select(struct mock *m, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t *rl)
{
	memcpy(rsp, "\x6F\x01\x00", 3);
	put_sw(rsp, rl, 3, 0x9000);
	return 0;
}

static uint8_t pattern[4096];

static void test_short(struct sk_card *c, struct mock *m, struct sk_buf *rsp)
{
	static const uint8_t aid[] = { 0xD2, 0x76, 0x00, 0x01, 0x24, 0x01 };
	struct sk_apdu a = { 0x00, 0xA4, 0x04, 0x00, aid, sizeof(aid), 256, 0 };
	uint16_t sw;

	mock_reset(m, ans_select);
	CHECK_EQ(sk_card_apdu(c, &a, rsp, &sw), 0);
	CHECK_EQ(sw, 0x9000);
	CHECK_EQ(sk_buf_len(rsp), 3);
	CHECK_EQ(m->nsent, 1);
	CHECK_EQ(m->sentlen[0], 12);
	CHECK_MEM(m->sent[0], "\x00\xA4\x04\x00\x06\xD2\x76\x00\x01\x24\x01\x00", 12);
	CHECK_EQ(m->begins, 1);
	CHECK_EQ(m->ends, 1);
	CHECK_EQ(sk_card_apdu_count(c), 1);
	/* case 1: no Lc, no Le */
	a.lc = 0;
	a.data = NULL;
	a.le = 0;
	mock_reset(m, ans_9000);
	CHECK_EQ(sk_card_apdu(c, &a, NULL, &sw), 0);
	CHECK_EQ(m->sentlen[0], 4);
	/* case 2 with Le 5 */
	a.le = 5;
	mock_reset(m, ans_9000);
	CHECK_EQ(sk_card_apdu(c, &a, rsp, &sw), 0);
	CHECK_EQ(m->sentlen[0], 5);
	CHECK_EQ(m->sent[0][4], 5);
	/* bad arguments */
	a.lc = 3;
	a.data = NULL;
	CHECK_EQ(sk_card_apdu(c, &a, rsp, &sw), SK_ERR_ARG);
	a.data = pattern;
	a.le = SK_LE_MAX + 1;
	CHECK_EQ(sk_card_apdu(c, &a, rsp, &sw), SK_ERR_ARG);
}

/* Checks that the chain blocks sent reassemble to pattern[0..lc). */
static void check_chain(struct mock *m, size_t lc, int blocks, uint8_t cla)
{
	size_t off = 0;
	int i;

	CHECK_EQ(m->nsent, blocks);
	for (i = 0; i < m->nsent && i < blocks; i++) {
		size_t bl = m->sent[i][4];
		CHECK_EQ(m->sent[i][0], i < blocks - 1 ? (cla | 0x10) : cla);
		CHECK_EQ(m->sent[i][1], 0xDB);
		CHECK(i == blocks - 1 || bl == 255);
		CHECK_EQ(m->sentlen[i], 5 + bl + (i == blocks - 1 ? 1 : 0));
		if (off + bl <= lc)
			CHECK_MEM(m->sent[i] + 5, pattern + off, bl);
		off += bl;
	}
	CHECK_EQ(off, lc);
}

static int ans_fail_second(struct mock *m, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t *rl)
{
	put_sw(rsp, rl, 0, m->step == 1 ? 0x6A80 : 0x9000);
	return 0;
}

static void test_chaining(struct sk_card *c, struct mock *m, struct sk_buf *rsp)
{
	static const size_t sizes[] = { 255, 256, 510, 511, 600, 1000 };
	static const int blocks[] = { 1, 2, 2, 3, 3, 4 };
	struct sk_apdu a = { 0x00, 0xDB, 0x3F, 0xFF, pattern, 0, 256, 0 };
	uint16_t sw;
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		mock_reset(m, ans_9000);
		a.lc = sizes[i];
		CHECK_EQ(sk_card_apdu(c, &a, rsp, &sw), 0);
		CHECK_EQ(sw, 0x9000);
		check_chain(m, sizes[i], blocks[i], 0x00);
		CHECK_EQ(m->begins, 1);  /* the whole chain in one transaction */
	}
	/* a block answered 6A80: stop there and report it */
	mock_reset(m, ans_fail_second);
	a.lc = 1000;
	CHECK_EQ(sk_card_apdu(c, &a, rsp, &sw), 0);
	CHECK_EQ(sw, 0x6A80);
	CHECK_EQ(m->nsent, 2);
	/* transport error in the middle */
	mock_reset(m, ans_9000);
	m->fail_at = 1;
	CHECK_EQ(sk_card_apdu(c, &a, rsp, &sw), SK_ERR_CARD_REMOVED);
	CHECK_EQ(m->nsent, 2);
	CHECK_EQ(m->ends, 1);
	/* no chaining allowed */
	mock_reset(m, ans_9000);
	a.flags = SK_APDU_NO_CHAIN;
	CHECK_EQ(sk_card_apdu(c, &a, rsp, &sw), SK_ERR_TOOBIG);
	CHECK_EQ(m->nsent, 0);
	a.flags = 0;
	sk_card_set_caps(c, 0, 0, 0);
	CHECK_EQ(sk_card_apdu(c, &a, rsp, &sw), SK_ERR_TOOBIG);
	sk_card_set_caps(c, SK_CAP_CHAINING, 0, 0);
}

static int ans_echo_len(struct mock *m, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t *rl)
{
	memcpy(rsp, pattern, 300);
	put_sw(rsp, rl, 300, 0x9000);
	return 0;
}

static void test_extended(struct sk_card *c, struct mock *m, struct sk_buf *rsp)
{
	struct sk_apdu a = { 0x00, 0xDB, 0x3F, 0xFF, pattern, 600, SK_LE_MAX, SK_APDU_EXTENDED_OK };
	uint16_t sw;

	sk_card_set_caps(c, SK_CAP_EXTENDED | SK_CAP_CHAINING, 0, 0);
	mock_reset(m, ans_echo_len);
	CHECK_EQ(sk_card_apdu(c, &a, rsp, &sw), 0);
	CHECK_EQ(m->nsent, 1);
	CHECK_EQ(m->sentlen[0], 4 + 3 + 600 + 2);
	CHECK_MEM(m->sent[0], "\x00\xDB\x3F\xFF\x00\x02\x58", 7);
	CHECK_MEM(m->sent[0] + 7, pattern, 600);
	CHECK_MEM(m->sent[0] + 607, "\x00\x00", 2);
	CHECK_EQ(sk_buf_len(rsp), 300);
	CHECK(m->rsp_room >= 65538);
	/* only Le needs extended: 00 Le1 Le2 */
	a.lc = 0;
	a.data = NULL;
	a.le = 1000;
	mock_reset(m, ans_echo_len);
	CHECK_EQ(sk_card_apdu(c, &a, rsp, &sw), 0);
	CHECK_EQ(m->sentlen[0], 7);
	CHECK_MEM(m->sent[0], "\x00\xDB\x3F\xFF\x00\x03\xE8", 7);
	/* card limit on responses clamps Le */
	sk_card_set_caps(c, SK_CAP_EXTENDED | SK_CAP_CHAINING, 1000, 700);
	mock_reset(m, ans_echo_len);
	CHECK_EQ(sk_card_apdu(c, &a, rsp, &sw), 0);
	CHECK_MEM(m->sent[0] + 4, "\x00\x02\xBC", 3);
	/* data over the card's extended limit: chaining instead */
	a.data = pattern;
	a.lc = 1200;
	a.le = 0;
	mock_reset(m, ans_9000);
	CHECK_EQ(sk_card_apdu(c, &a, rsp, &sw), 0);
	CHECK_EQ(m->nsent, 5);
	/* caller did not allow extended: chaining, short Le 00 */
	a.flags = 0;
	a.lc = 600;
	a.le = SK_LE_MAX;
	mock_reset(m, ans_9000);
	CHECK_EQ(sk_card_apdu(c, &a, rsp, &sw), 0);
	check_chain(m, 600, 3, 0x00);
	CHECK_EQ(m->sent[2][m->sentlen[2] - 1], 0x00);
	sk_card_set_caps(c, SK_CAP_CHAINING, 0, 0);
}

/* 100 bytes + 6110, then 16 + 6105, then 5 + 9000. */
static int ans_61(struct mock *m, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t *rl)
{
	static const size_t len[] = { 100, 16, 5 };
	static const uint16_t sw[] = { 0x6110, 0x6105, 0x9000 };
	size_t off = m->step == 0 ? 0 : m->step == 1 ? 100 : 116;

	if (m->step > 2)
		return SK_ERR_INTERNAL;
	memcpy(rsp, pattern + off, len[m->step]);
	put_sw(rsp, rl, len[m->step], sw[m->step]);
	return 0;
}

static int ans_61_forever(struct mock *m, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t *rl)
{
	memcpy(rsp, pattern, 256);
	put_sw(rsp, rl, 256, 0x6100);
	return 0;
}

static int ans_61_empty(struct mock *m, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t *rl)
{
	put_sw(rsp, rl, 0, 0x6100);
	return 0;
}

static void test_get_response(struct sk_card *c, struct mock *m, struct sk_buf *rsp)
{
	struct sk_apdu a = { 0x00, 0xCA, 0x7F, 0x21, NULL, 0, 256, 0 };
	uint16_t sw;

	mock_reset(m, ans_61);
	CHECK_EQ(sk_card_apdu(c, &a, rsp, &sw), 0);
	CHECK_EQ(sw, 0x9000);
	CHECK_EQ(sk_buf_len(rsp), 121);
	CHECK_MEM(sk_buf_ptr(rsp), pattern, 121);
	CHECK_EQ(m->nsent, 3);
	CHECK_EQ(m->sentlen[1], 5);
	CHECK_MEM(m->sent[1], "\x00\xC0\x00\x00\x10", 5);
	CHECK_MEM(m->sent[2], "\x00\xC0\x00\x00\x05", 5);
	/* past the cap: stop with SK_ERR_TOOBIG, never loop forever */
	sk_card_set_rsp_cap(c, 1000);
	mock_reset(m, ans_61_forever);
	CHECK_EQ(sk_card_apdu(c, &a, rsp, &sw), SK_ERR_TOOBIG);
	CHECK_EQ(m->nsent, 4);
	CHECK_MEM(m->sent[1], "\x00\xC0\x00\x00\x00", 5);
	CHECK_EQ(sk_buf_len(rsp), 0);
	CHECK_EQ(m->ends, m->begins);
	sk_card_set_rsp_cap(c, SK_CARD_DEFAULT_RSP_CAP);
	/* 61xx forever without data: bounded too */
	mock_reset(m, ans_61_empty);
	CHECK_EQ(sk_card_apdu(c, &a, rsp, &sw), SK_ERR_BAD_RESPONSE);
	CHECK(m->nsent > 1 && m->nsent < 2000);
	/* the caller's buffer cap also stops it */
	{
		struct sk_buf *small = sk_buf_new(50);
		mock_reset(m, ans_61);
		CHECK_EQ(sk_card_apdu(c, &a, small, &sw), SK_ERR_TOOBIG);
		sk_buf_free(&small);
	}
}

static int ans_6c(struct mock *m, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t *rl)
{
	if (n == 5 && cmd[4] == 0x08) {
		memcpy(rsp, pattern, 8);
		put_sw(rsp, rl, 8, 0x9000);
	} else {
		put_sw(rsp, rl, 0, 0x6C08);
	}
	return 0;
}

static int ans_6c_always(struct mock *m, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t *rl)
{
	put_sw(rsp, rl, 0, 0x6C08);
	return 0;
}

static void test_6c(struct sk_card *c, struct mock *m, struct sk_buf *rsp)
{
	struct sk_apdu a = { 0x00, 0xCA, 0x00, 0xC4, NULL, 0, 256, 0 };
	uint16_t sw;

	mock_reset(m, ans_6c);
	CHECK_EQ(sk_card_apdu(c, &a, rsp, &sw), 0);
	CHECK_EQ(sw, 0x9000);
	CHECK_EQ(sk_buf_len(rsp), 8);
	CHECK_EQ(m->nsent, 2);
	CHECK_MEM(m->sent[1], "\x00\xCA\x00\xC4\x08", 5);
	mock_reset(m, ans_6c_always);
	CHECK_EQ(sk_card_apdu(c, &a, rsp, &sw), 0);
	CHECK_EQ(sw, 0x6C08);
	CHECK_EQ(m->nsent, 2);  /* resent once only */
	/* a command without Le (VERIFY) is never sent twice, whatever the card answers */
	{
		static const uint8_t pin[] = { '1', '2', '3', '4', '5', '6' };
		struct sk_apdu v = { 0x00, 0x20, 0x00, 0x81, pin, sizeof(pin), 0, 0 };
		mock_reset(m, ans_6c_always);
		CHECK_EQ(sk_card_apdu(c, &v, rsp, &sw), 0);
		CHECK_EQ(sw, 0x6C08);
		CHECK_EQ(m->nsent, 1);
	}
}

static int ans_short(struct mock *m, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t *rl)
{
	rsp[0] = 0x90;
	*rl = (size_t)(m->step % 2);  /* 0 or 1 byte */
	return 0;
}

static void test_garbage(struct sk_card *c, struct mock *m, struct sk_buf *rsp)
{
	struct sk_apdu a = { 0x00, 0xCA, 0x00, 0xC4, NULL, 0, 256, 0 };
	uint16_t sw = 0x1234;

	mock_reset(m, ans_short);
	CHECK_EQ(sk_card_apdu(c, &a, rsp, &sw), SK_ERR_BAD_RESPONSE);
	CHECK_EQ(sw, 0);
	CHECK_EQ(sk_card_apdu(c, &a, rsp, &sw), SK_ERR_BAD_RESPONSE);
	CHECK_EQ(m->nsent, 2);
}

static void test_transactions(struct sk_card *c, struct mock *m)
{
	struct sk_apdu a = { 0x00, 0xCA, 0x00, 0xC4, NULL, 0, 256, 0 };
	uint16_t sw;

	mock_reset(m, ans_9000);
	CHECK_EQ(sk_card_begin(c), 0);
	CHECK_EQ(sk_card_begin(c), 0);
	CHECK(sk_card_in_transaction(c));
	CHECK_EQ(sk_card_apdu(c, &a, NULL, &sw), 0);
	CHECK_EQ(sk_card_apdu(c, &a, NULL, &sw), 0);
	CHECK_EQ(m->begins, 1);
	CHECK_EQ(sk_card_end(c), 0);
	CHECK_EQ(m->ends, 0);
	CHECK_EQ(sk_card_end(c), 0);
	CHECK_EQ(m->ends, 1);
	CHECK(!sk_card_in_transaction(c));
	CHECK_EQ(sk_card_end(c), SK_ERR_ARG);
}

/* A SELECT counts for a PIN command only inside the transaction it was sent in. */
static void test_selected_in_tx(struct sk_card *c, struct mock *m)
{
	static const uint8_t aid[] = { 0xD2, 0x76, 0x00, 0x01, 0x24, 0x01 };
	struct sk_apdu sel = { 0x00, 0xA4, 0x04, 0x00, aid, sizeof(aid), 0, 0 };
	struct sk_apdu get = { 0x00, 0xCA, 0x00, 0xC4, NULL, 0, 256, 0 };
	uint16_t sw;

	mock_reset(m, ans_9000);
	sk_card_forget_selection(c);
	CHECK_EQ(sk_card_apdu(c, &sel, NULL, &sw), 0);   /* outside any transaction */
	CHECK(sk_card_is_selected(c, aid, sizeof(aid)));
	CHECK_EQ(sk_card_begin(c), 0);
	CHECK(!sk_card_selected_in_tx(c, aid, sizeof(aid)));
	CHECK_EQ(sk_card_apdu(c, &sel, NULL, &sw), 0);
	CHECK_EQ(sk_card_begin(c), 0);   /* nested: still the same transaction */
	CHECK_EQ(sk_card_apdu(c, &get, NULL, &sw), 0);
	CHECK(sk_card_selected_in_tx(c, aid, sizeof(aid)));
	CHECK(!sk_card_just_selected(c, aid, sizeof(aid)));
	CHECK(!sk_card_selected_in_tx(c, aid, 5));
	CHECK_EQ(sk_card_end(c), 0);
	CHECK(sk_card_selected_in_tx(c, aid, sizeof(aid)));
	CHECK_EQ(sk_card_end(c), 0);
	CHECK(!sk_card_selected_in_tx(c, aid, sizeof(aid)));   /* others may select now */
	CHECK_EQ(sk_card_begin(c), 0);
	CHECK(!sk_card_selected_in_tx(c, aid, sizeof(aid)));
	CHECK(sk_card_is_selected(c, aid, sizeof(aid)));       /* still a hint */
	CHECK_EQ(sk_card_end(c), 0);
}

static void test_sw(void)
{
	CHECK_EQ(sk_sw_to_err(0x9000), 0);
	CHECK_EQ(sk_sw_to_err(0x63C2), SK_ERR_PIN_WRONG);
	CHECK_EQ(sk_sw_to_err(0x63C0), SK_ERR_PIN_WRONG);
	CHECK_EQ(sk_sw_to_err(0x6983), SK_ERR_PIN_BLOCKED);
	CHECK_EQ(sk_sw_to_err(0x6982), SK_ERR_DENIED);
	CHECK_EQ(sk_sw_to_err(0x6A82), SK_ERR_NOT_FOUND);
	CHECK_EQ(sk_sw_to_err(0x6A88), SK_ERR_NOT_FOUND);
	CHECK_EQ(sk_sw_to_err(0x6D00), SK_ERR_UNSUPPORTED);
	CHECK_EQ(sk_sw_to_err(0x6E00), SK_ERR_UNSUPPORTED);
	CHECK_EQ(sk_sw_to_err(0x6A81), SK_ERR_UNSUPPORTED);
	CHECK_EQ(sk_sw_to_err(0x6700), SK_ERR_FORMAT);
	CHECK_EQ(sk_sw_to_err(0x6A80), SK_ERR_SW);
	CHECK_EQ(sk_sw_to_err(0x6300), SK_ERR_SW);
}

static char trace[65536];

static void sink(int level, const char *line, void *arg)
{
	size_t used = strlen(trace);

	snprintf(trace + used, sizeof(trace) - used, "%s\n", line);
}

/* The engine must redact VERIFY, and a PSO:DECIPHER answer also in its GET RESPONSE parts. */
static void test_trace(struct sk_card *c, struct mock *m, struct sk_buf *rsp)
{
	static const uint8_t pin[] = { '9', '8', '7', '6', '5', '4' };
	struct sk_apdu v = { 0x00, 0x20, 0x00, 0x82, pin, sizeof(pin), 0, 0 };
	struct sk_apdu d = { 0x00, 0x2A, 0x80, 0x86, pin, sizeof(pin), 256, 0 };
	uint16_t sw;

	sk_log_set_sink(sink, NULL);
	sk_log_set_level(SK_LOG_TRACE);
	memset(pattern, 0xEE, 200);
	trace[0] = '\0';
	mock_reset(m, ans_9000);
	CHECK_EQ(sk_card_apdu(c, &v, rsp, &sw), 0);
	CHECK(strstr(trace, "39 38 37") == NULL);
	CHECK(strstr(trace, "<6 bytes redacted>") != NULL);
	trace[0] = '\0';
	mock_reset(m, ans_61);
	CHECK_EQ(sk_card_apdu(c, &d, rsp, &sw), 0);
	CHECK_EQ(sk_buf_len(rsp), 121);
	CHECK(strstr(trace, "EE") == NULL);
	CHECK(strstr(trace, "<16 bytes redacted> 61 05") != NULL);
	CHECK(strstr(trace, "> 00 C0 00 00 10") != NULL);
	sk_log_set_sink(NULL, NULL);
	sk_log_set_level(SK_LOG_INFO);
}

int main(void)
{
	struct mock m = { 0 };
	struct sk_card *c = NULL;
	struct sk_buf *rsp = sk_buf_new(0);
	size_t i;

	for (i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + 3);
	CHECK_EQ(sk_card_new(&mock_ops, &m, &c), 0);
	CHECK(c != NULL && rsp != NULL);
	if (c == NULL || rsp == NULL)
		return 1;
	test_short(c, &m, rsp);
	test_chaining(c, &m, rsp);
	test_extended(c, &m, rsp);
	test_get_response(c, &m, rsp);
	test_6c(c, &m, rsp);
	test_garbage(c, &m, rsp);
	test_transactions(c, &m);
	test_selected_in_tx(c, &m);
	test_sw();
	test_trace(c, &m, rsp);
	mock_reset(&m, ans_9000);
	sk_card_free(&c);
	CHECK(c == NULL);
	sk_buf_free(&rsp);
	return test_done("test_card");
}
