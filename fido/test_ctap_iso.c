/* test_ctap_iso.c — CTAP over ISO 7816 against scripted APDUs: SELECT by the partial AID, one
 * extended NFCCTAP_MSG, the fallback to chained short APDUs with 61xx when the chip refuses the
 * extended form, the 9100 keep-alive loop (and its cancel), U2F APDU parsing. */
#include <string.h>

#include "buf.h"
#include "card.h"
#include "ctap_iso.h"
#include "mockcard.h"
#include "sk_err.h"
#include "test_util.h"

#define SELECT "00 A4 04 00 08 A0 00 00 06 47 2F 00 01 00"

static void test_select(void)
{
	static const struct mock_step steps[] = {
		{ SELECT, "4649444F5F325F30 9000" },
		{ SELECT, "6A82" },
	};
	struct mock m;
	struct sk_card *c = mock_card(&m, steps, 2);
	char ver[16];

	CHECK(!ctap_iso_selected(c));
	CHECK_EQ(ctap_iso_select(c, ver, sizeof(ver)), 0);
	CHECK(strcmp(ver, "FIDO_2_0") == 0);
	CHECK(ctap_iso_selected(c));
	CHECK_EQ(ctap_iso_select(c, ver, sizeof(ver)), SK_ERR_NOT_FOUND);
	CHECK(!ctap_iso_selected(c));
	CHECK(mock_done(&m));
	sk_card_free(&c);
}

static void test_msg(void)
{
	static const struct mock_step steps[] = {
		{ "80 10 00 00 00 00 01 04 00 00", "00 A1 01 80 9000" },       /* extended */
		{ "80 10 00 00 00 00 01 04 00 00", "6700" },                   /* refused ... */
		{ "80 10 00 00 01 04 00", "00 A1 6101" },                      /* ... short + 61xx */
		{ "00 C0 00 00 01", "80 9000" },
		{ "80 10 00 00 00 00 01 04 00 00", "01 9100" },                /* keep-alive */
		{ "80 11 00 00 00 00 00", "02 9100" },
		{ "80 11 00 00 00 00 00", "00 A0 9000" },
		{ "80 10 00 00 00 00 01 04 00 00", "01 9100" },
		{ "80 11 00 00 00 00 00", "01 9100" },
	};
	struct mock m;
	struct sk_card *c = mock_card(&m, steps, sizeof(steps) / sizeof(steps[0]));
	struct sk_buf *b = sk_buf_new(70000);
	static const uint8_t info[] = { 0x04 };
	struct ctap_iso_wait w = { NULL, NULL, 0 };
	uint16_t sw;

	CHECK_EQ(ctap_iso_cbor(c, info, 1, NULL, b, &sw), 0);
	CHECK(sw == 0x9000 && sk_buf_len(b) == 4);
	CHECK_EQ(ctap_iso_cbor(c, info, 1, NULL, b, &sw), 0);
	CHECK(sw == 0x9000 && sk_buf_len(b) == 3 && sk_buf_ptr(b)[2] == 0x80);
	CHECK_EQ(ctap_iso_cbor(c, info, 1, &w, b, &sw), 0);
	CHECK(sw == 0x9000 && sk_buf_len(b) == 2);
	w.max_polls = 1;
	w.keepalive = NULL;
	CHECK_EQ(ctap_iso_cbor(c, info, 1, &w, b, &sw), SK_ERR_TIMEOUT);   /* one poll allowed, 9100 again */
	CHECK_EQ(ctap_iso_cbor(c, NULL, 0, NULL, b, &sw), SK_ERR_ARG);
	CHECK(mock_done(&m));
	sk_buf_free(&b);
	sk_card_free(&c);
}

static int cancel_now(void *arg, uint8_t st)
{
	(void)st;
	return *(int *)arg = 1;
}

static void test_cancel(void)
{
	static const struct mock_step steps[] = {
		{ "80 10 00 00 00 00 01 04 00 00", "02 9100" },
	};
	struct mock m;
	struct sk_card *c = mock_card(&m, steps, 1);
	struct sk_buf *b = sk_buf_new(70000);
	static const uint8_t info[] = { 0x04 };
	int called = 0;
	struct ctap_iso_wait w = { cancel_now, &called, 0 };
	uint16_t sw;

	CHECK_EQ(ctap_iso_cbor(c, info, 1, &w, b, &sw), SK_ERR_CANCELED);
	CHECK(called);
	CHECK(mock_done(&m));
	sk_buf_free(&b);
	sk_card_free(&c);
}

static void test_u2f(void)
{
	static const struct mock_step steps[] = {
		{ "00 03 00 00 00 00 02 AA BB 00 00", "01 02 9000" },
	};
	static const uint8_t ext[] = { 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x02, 0xAA, 0xBB, 0x00, 0x00 };
	static const uint8_t bad[] = { 0x00, 0x03, 0x00, 0x00, 0x05, 0xAA };
	static const uint8_t sel[] = { 0x00, 0xA4, 0x04, 0x00, 0x01, 0xA0 };
	struct ctap_iso_apdu a;
	struct mock m;
	struct sk_card *c = mock_card(&m, steps, 1);
	struct sk_buf *b = sk_buf_new(70000);

	CHECK_EQ(ctap_iso_parse_apdu(ext, sizeof(ext), &a), 0);
	CHECK(a.lc == 2 && a.le == 65536 && a.data[0] == 0xAA);
	CHECK_EQ(ctap_iso_parse_apdu(bad, sizeof(bad), &a), SK_ERR_FORMAT);
	CHECK_EQ(ctap_iso_parse_apdu(ext, 3, &a), SK_ERR_FORMAT);
	CHECK_EQ(ctap_iso_u2f(c, ext, sizeof(ext), b), 0);
	CHECK(sk_buf_len(b) == 4 && sk_buf_ptr(b)[2] == 0x90 && sk_buf_ptr(b)[3] == 0x00);
	CHECK_EQ(ctap_iso_u2f(c, sel, sizeof(sel), b), SK_ERR_ARG);
	CHECK(mock_done(&m));
	sk_buf_free(&b);
	sk_card_free(&c);
}

/* what the relay reads in messages as libfido2 writes them */
static void test_msg_reading(void)
{
	static const uint8_t ka[] = { 0x06, 0xA2, 0x01, 0x01, 0x02, 0x02 };
	static const uint8_t tok[] = { 0x06, 0xA4, 0x01, 0x01, 0x02, 0x05, 0x03, 0xA0, 0x06, 0x40 };
	static const uint8_t odd_pin[] = { 0x06, 0xA2, 0x02, 0x18, 0x20, 0x01 };
	static const uint8_t ga[] = { 0x02, 0xA2, 0x01, 0x67, 's', 's', 'h', ':', 'a', 'b', 'c', 0x02, 0x40 };
	uint8_t mc[64];
	char rp[8];

	CHECK_EQ(ctap_msg_pin_subcommand(ka, sizeof(ka)), 2);
	CHECK(!ctap_msg_carries_pin(ka, sizeof(ka)));
	CHECK(ctap_msg_carries_pin(tok, sizeof(tok)));
	CHECK(ctap_msg_carries_pin(odd_pin, sizeof(odd_pin)));   /* unreadable: treated as a PIN */
	CHECK(!ctap_msg_carries_pin(ga, sizeof(ga)));
	ctap_msg_rp_id(ga, sizeof(ga), rp, sizeof(rp));
	CHECK(strcmp(rp, "ssh:abc") == 0);
	ctap_msg_rp_id(ga, sizeof(ga), rp, 4);                    /* too long for the buffer */
	CHECK(rp[0] == '\0');
	ctap_msg_rp_id(ga, 8, rp, sizeof(rp));                    /* truncated message */
	CHECK(rp[0] == '\0');
	/* makeCredential {1: h'00*32', 2: {"id": "ex"}, 7: {"rk": true}} */
	memset(mc, 0, sizeof(mc));
	static const uint8_t head[] = { 0x01, 0xA3, 0x01, 0x58, 0x20 };
	static const uint8_t tail[] = { 0x02, 0xA1, 0x62, 'i', 'd', 0x62, 'e', 'x', 0x07, 0xA1, 0x62,
		'r', 'k', 0xF5 };

	memcpy(mc, head, sizeof(head));
	memcpy(mc + 37, tail, sizeof(tail));
	ctap_msg_rp_id(mc, 37 + sizeof(tail), rp, sizeof(rp));
	CHECK(strcmp(rp, "ex") == 0);
	CHECK(ctap_msg_changes_info(mc, 37 + sizeof(tail)));
	mc[37 + sizeof(tail) - 1] = 0xF4;                         /* rk: false */
	CHECK(!ctap_msg_changes_info(mc, 37 + sizeof(tail)));
	CHECK(ctap_msg_changes_info((const uint8_t *)"\x07", 1));
	CHECK(!ctap_msg_changes_info(ga, sizeof(ga)));
}

int main(void)
{
	test_msg_reading();
	test_select();
	test_msg();
	test_cancel();
	test_u2f();
	return test_result("test_ctap_iso");
}
