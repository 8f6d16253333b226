/* test_duress.c — the DuressApplet client against scripted APDUs: SELECT before every PIN and
 * admin key in one transaction, no retry of a refused PIN, status words, answer parsing, the
 * PIN derivation. */
#include <string.h>

#include "card.h"
#include "duress.h"
#include "log.h"
#include "mockcard.h"
#include "sk_err.h"
#include "test_util.h"

#define SELECT "00 A4 04 00 08 F0 44 55 52 45 53 53 01"

static const uint8_t pin[4] = { 0x31, 0x32, 0x33, 0x34 };

static void test_parse(void)
{
	static const uint8_t two[2] = { 1, 0 }, three[3] = { 1, 2, 3 }, ff = 0xFF, three_b = 3;
	uint8_t mac[32], big[33], ctx = 7;
	struct duress_version v;

	CHECK_EQ(duress_parse_ctx_id(&ff, 1, &ctx), 0);
	CHECK_EQ(ctx, DURESS_CTX_NONE);
	CHECK_EQ(duress_parse_ctx_id(&three_b, 1, &ctx), SK_ERR_BAD_RESPONSE);
	CHECK_EQ(ctx, DURESS_CTX_NONE);
	CHECK_EQ(duress_parse_ctx_id(three, 2, &ctx), SK_ERR_BAD_RESPONSE);
	CHECK_EQ(duress_parse_ctx_id(three, 0, &ctx), SK_ERR_BAD_RESPONSE);
	CHECK_EQ(duress_parse_ctx_id(three, 1, &ctx), 0);
	CHECK_EQ(ctx, 1);
	CHECK_EQ(duress_parse_version(three, 3, &v), 0);
	CHECK(v.major == 1 && v.minor == 2 && v.patch == 3);
	CHECK_EQ(duress_parse_version(two, 2, &v), 0);
	CHECK(v.major == 1 && v.minor == 0 && v.patch == 0);
	CHECK_EQ(duress_parse_version(three, 1, &v), SK_ERR_BAD_RESPONSE);
	memset(big, 0xAB, sizeof(big));
	CHECK_EQ(duress_parse_mac(big, 33, mac), SK_ERR_BAD_RESPONSE);
	CHECK_EQ(duress_parse_mac(big, 31, mac), SK_ERR_BAD_RESPONSE);
	CHECK_EQ(duress_parse_mac(big, 32, mac), 0);
	CHECK(mac[0] == 0xAB && mac[31] == 0xAB);
}

static void test_derive(void)
{
	uint8_t a[4], b[4], c[4];
	char longpin[200];

	CHECK_EQ(duress_pin_derive("123456", 6, a), 0);
	CHECK_EQ(duress_pin_derive("123456", 6, b), 0);
	CHECK_EQ(duress_pin_derive("123457", 6, c), 0);
	CHECK(memcmp(a, b, 4) == 0);
	CHECK(memcmp(a, c, 4) != 0);
	memset(longpin, '1', sizeof(longpin));
	CHECK_EQ(duress_pin_derive(longpin, 127, a), 0);
	CHECK_EQ(duress_pin_derive(longpin, 128, a), SK_ERR_PIN_FORMAT);
	CHECK_EQ(duress_pin_derive(longpin, 0, a), SK_ERR_PIN_FORMAT);
	CHECK_EQ(duress_pin_derive(NULL, 4, a), SK_ERR_PIN_FORMAT);
}

static void test_probe(void)
{
	static const struct mock_step steps[] = {
		{ SELECT, "9000" },
		{ "00 FF 00 00 00", "010000 9000" },
		{ SELECT, "6A82" },                      /* no applet: nothing else sent */
		{ SELECT, "9000" },
		{ "00 FF 00 00 00", "01 9000" },         /* short version */
	};
	struct mock m;
	struct sk_card *c = mock_card(&m, steps, sizeof(steps) / sizeof(steps[0]));
	struct duress_version v;

	CHECK_EQ(duress_probe(c, &v), 0);
	CHECK_EQ(v.major, 1);
	CHECK_EQ(duress_probe(c, &v), SK_ERR_NOT_FOUND);
	CHECK_EQ(duress_probe(c, NULL), SK_ERR_BAD_RESPONSE);
	CHECK(!sk_card_in_transaction(c));
	CHECK(mock_done(&m));
	sk_card_free(&c);
}

static void test_unlock(void)
{
	static const struct mock_step steps[] = {
		/* decoy PIN: context 1, with a challenge */
		{ SELECT, "9000" },
		{ "00 20 00 00 04 31323334", "9000" },
		{ "00 21 00 00 00", "01 9000" },
		{ "00 30 00 00 02 AABB 00",
		  "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F 9000" },
		/* wrong PIN: reported once, never resent */
		{ SELECT, "9000" },
		{ "00 20 00 00 04 31323334", "6982" },
		/* blocked */
		{ SELECT, "9000" },
		{ "00 20 00 00 04 31323334", "6983" },
		/* the applet says 9000 but then no context: refused */
		{ SELECT, "9000" },
		{ "00 20 00 00 04 31323334", "9000" },
		{ "00 21 00 00 00", "FF 9000" },
		/* SELECT refused: the PIN never goes out */
		{ SELECT, "6A82" },
		{ SELECT, "6999" },
		/* primary, no challenge */
		{ SELECT, "9000" },
		{ "00 20 00 00 04 31323334", "9000" },
		{ "00 21 00 00 00", "00 9000" },
		/* short MAC */
		{ SELECT, "9000" },
		{ "00 20 00 00 04 31323334", "9000" },
		{ "00 21 00 00 00", "02 9000" },
		{ "00 30 00 00 01 AA 00", "0001 9000" },
	};
	static const uint8_t chal[2] = { 0xAA, 0xBB };
	uint8_t mac[32], ctx = 9, big[65] = { 0 };
	struct mock m;
	struct sk_card *c = mock_card(&m, steps, sizeof(steps) / sizeof(steps[0]));

	CHECK_EQ(duress_unlock(c, pin, chal, 2, mac, &ctx), 0);
	CHECK_EQ(ctx, DURESS_CTX_DECOY);
	CHECK(mac[0] == 0x00 && mac[31] == 0x1F);
	CHECK_EQ(duress_unlock(c, pin, NULL, 0, NULL, &ctx), SK_ERR_PIN_WRONG);
	CHECK_EQ(ctx, DURESS_CTX_NONE);
	CHECK_EQ(duress_unlock(c, pin, NULL, 0, NULL, &ctx), SK_ERR_PIN_BLOCKED);
	CHECK_EQ(duress_unlock(c, pin, NULL, 0, NULL, &ctx), SK_ERR_BAD_RESPONSE);
	CHECK_EQ(duress_unlock(c, pin, NULL, 0, NULL, &ctx), SK_ERR_NOT_FOUND);
	CHECK_EQ(duress_unlock(c, pin, NULL, 0, NULL, &ctx), SK_ERR_SW);
	CHECK_EQ(duress_unlock(c, pin, NULL, 0, NULL, &ctx), 0);
	CHECK_EQ(ctx, DURESS_CTX_PRIMARY);
	CHECK_EQ(duress_unlock(c, pin, chal, 1, mac, &ctx), SK_ERR_BAD_RESPONSE);
	CHECK_EQ(ctx, DURESS_CTX_NONE);
	CHECK(mac[0] == 0 && mac[1] == 0);
	/* refused before any APDU */
	CHECK_EQ(duress_unlock(c, pin, big, 65, mac, &ctx), SK_ERR_ARG);
	CHECK_EQ(duress_unlock(c, pin, big, 0, mac, &ctx), SK_ERR_ARG);
	CHECK_EQ(duress_unlock(c, NULL, NULL, 0, NULL, &ctx), SK_ERR_ARG);
	CHECK(!sk_card_in_transaction(c));
	CHECK(mock_done(&m));
	sk_card_free(&c);
}

static void test_admin(void)
{
	static const struct mock_step steps[] = {
		{ SELECT, "9000" },
		{ "00 60 00 00 20 0000000000000000000000000000000000000000000000000000000000000000",
		  "9000" },
		{ "00 42 00 00", "9000" },
		{ "00 41 00 00 04 31323334", "9000" },
		{ "00 41 01 00 04 31323334", "9000" },
		{ "00 40 02 00 20 1111111111111111111111111111111111111111111111111111111111111111",
		  "9000" },
		{ "00 40 AD 00 20 1111111111111111111111111111111111111111111111111111111111111111",
		  "9000" },
		/* a refused admin key: nothing else goes out, no retry */
		{ SELECT, "9000" },
		{ "00 60 00 00 20 0000000000000000000000000000000000000000000000000000000000000000",
		  "6982" },
		/* a write refused stops the rest */
		{ SELECT, "9000" },
		{ "00 60 00 00 20 0000000000000000000000000000000000000000000000000000000000000000",
		  "9000" },
		{ "00 42 00 00", "6700" },
	};
	uint8_t admin[32] = { 0 }, key[32];
	struct duress_ctx_setup s[3];
	struct mock m;
	struct sk_card *c = mock_card(&m, steps, sizeof(steps) / sizeof(steps[0]));

	memset(key, 0x11, sizeof(key));
	memset(s, 0, sizeof(s));
	s[0].reset = 1;
	s[0].pin = pin;
	s[1].pin = pin;
	s[2].key = key;
	CHECK_EQ(duress_admin(c, admin, s, key), 0);
	CHECK_EQ(duress_admin(c, admin, s, key), SK_ERR_DENIED);
	CHECK_EQ(duress_admin(c, admin, s, key), SK_ERR_FORMAT);
	CHECK(!sk_card_in_transaction(c));
	CHECK(mock_done(&m));
	sk_card_free(&c);
	CHECK(strcmp(duress_ctx_name(1), "decoy") == 0);
	CHECK(strcmp(duress_ctx_name(0xFF), "none") == 0);
}

/* common/card.h's SELECT redirect, which skinkeyd uses to reach a context's own OpenPGP
 * instance through every door that selects the partial AID. */
static void test_redirect(void)
{
	static const struct mock_step steps[] = {
		{ "00 A4 04 00 06 D27600012401", "9000" },              /* no redirect yet */
		{ "00 A4 04 00 10 D2760001240103040001000000020000", "9000" },
		{ "00 A4 04 00 07 D2760001240103", "9000" },           /* other AIDs pass */
		{ SELECT, "9000" },
		{ "00 FF 00 00 00", "6D00" },
		{ "00 A4 04 00 10 D2760001240103040001000000020000", "6A82" },
		{ "00 A4 04 00 10 D2760001240103040001000000020000", "9000" },
	};
	static const uint8_t part[6] = { 0xD2, 0x76, 0x00, 0x01, 0x24, 0x01 };
	static const uint8_t full[16] = { 0xD2, 0x76, 0x00, 0x01, 0x24, 0x01, 0x03, 0x04, 0x00,
		0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00 };
	struct sk_apdu sel = { 0x00, 0xA4, 0x04, 0x00, part, sizeof(part), 0, 0 };
	struct sk_apdu sel7 = sel;
	uint8_t to[16];
	size_t tolen = 1;
	uint16_t sw;
	struct mock m;
	struct sk_card *c = mock_card(&m, steps, sizeof(steps) / sizeof(steps[0]));

	sel7.lc = 7;
	sel7.data = full;
	CHECK_EQ(sk_card_select_redirect(c, to, sizeof(to), &tolen), SK_ERR_NOT_FOUND);
	CHECK_EQ(tolen, 0);
	CHECK_EQ(sk_card_apdu(c, &sel, NULL, &sw), 0);
	CHECK_EQ(sk_card_set_select_redirect(c, part, sizeof(part), full, sizeof(full)), 0);
	CHECK(!sk_card_is_selected(c, part, sizeof(part)));   /* what was selected may differ now */
	CHECK_EQ(sk_card_apdu(c, &sel, NULL, &sw), 0);
	CHECK_EQ(sw, 0x9000);
	CHECK(sk_card_is_selected(c, part, sizeof(part)));    /* what the caller asked */
	CHECK_EQ(sk_card_select_redirect(c, to, sizeof(to), &tolen), 0);
	CHECK(tolen == 16 && memcmp(to, full, 16) == 0);
	CHECK_EQ(sk_card_select_redirect(c, to, 8, &tolen), SK_ERR_TOOBIG);
	CHECK_EQ(sk_card_apdu(c, &sel7, NULL, &sw), 0);
	CHECK_EQ(duress_probe(c, NULL), SK_ERR_UNSUPPORTED);   /* the DuressApplet's AID passes */
	CHECK_EQ(sk_card_apdu(c, &sel, NULL, &sw), 0);
	CHECK_EQ(sw, 0x6A82);
	CHECK(!sk_card_is_selected(c, part, sizeof(part)));
	CHECK_EQ(sk_card_apdu(c, &sel, NULL, &sw), 0);
	CHECK(mock_done(&m));
	m.transport_err = SK_ERR_CARD_REMOVED;
	CHECK_EQ(sk_card_apdu(c, &sel, NULL, &sw), SK_ERR_CARD_REMOVED);
	CHECK_EQ(sk_card_select_redirect(c, to, sizeof(to), &tolen), SK_ERR_NOT_FOUND);
	CHECK_EQ(sk_card_set_select_redirect(c, part, 17, full, 16), SK_ERR_ARG);
	CHECK_EQ(sk_card_set_select_redirect(c, NULL, 0, NULL, 0), 0);
	sk_card_free(&c);
}

struct logcap {
	char text[4096];
	size_t len;
};

static void cap_sink(int level, const char *line, void *arg)
{
	struct logcap *l = arg;
	int n = snprintf(l->text + l->len, sizeof(l->text) - l->len, "%d %s\n", level, line);

	if (n > 0 && (size_t)n < sizeof(l->text) - l->len)
		l->len += (size_t)n;
}

/* Nothing tells: every log line of a primary unlock, APDU traces included, equals a decoy's. */
static void test_logs_alike(void)
{
	static const struct mock_step prim[] = {
		{ SELECT, "9000" },
		{ "00 20 00 00 04 31323334", "9000" },
		{ "00 21 00 00 00", "00 9000" },
		{ "00 30 00 00 01 AA 00",
		  "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F 9000" },
	};
	static const struct mock_step decoy[] = {
		{ SELECT, "9000" },
		{ "00 20 00 00 04 35363738", "9000" },
		{ "00 21 00 00 00", "01 9000" },
		{ "00 30 00 00 01 AA 00",
		  "F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF101112131415161718191A1B1C1D1E1F 9000" },
	};
	static const uint8_t pin2[4] = { 0x35, 0x36, 0x37, 0x38 }, chal[1] = { 0xAA };
	static struct logcap a, b;
	uint8_t mac[32], ctx;
	struct mock m;
	struct sk_card *c;
	int level = sk_log_get_level();

	sk_log_set_level(SK_LOG_TRACE);
	c = mock_card(&m, prim, 4);
	sk_log_set_sink(cap_sink, &a);
	CHECK_EQ(duress_unlock(c, pin, chal, 1, mac, &ctx), 0);
	sk_log_set_sink(NULL, NULL);
	CHECK_EQ(ctx, 0);
	CHECK(mock_done(&m));
	sk_card_free(&c);
	c = mock_card(&m, decoy, 4);
	sk_log_set_sink(cap_sink, &b);
	CHECK_EQ(duress_unlock(c, pin2, chal, 1, mac, &ctx), 0);
	sk_log_set_sink(NULL, NULL);
	CHECK_EQ(ctx, 1);
	CHECK(mock_done(&m));
	sk_card_free(&c);
	sk_log_set_level(level);
	CHECK(a.len > 0);                     /* the trace was on: there is something to compare */
	CHECK(a.len == b.len && memcmp(a.text, b.text, a.len) == 0);
	if (a.len != b.len || memcmp(a.text, b.text, a.len) != 0)
		fprintf(stderr, "primary:\n%s\ndecoy:\n%s", a.text, b.text);
}

int main(void)
{
	test_parse();
	test_derive();
	test_probe();
	test_unlock();
	test_admin();
	test_redirect();
	test_logs_alike();
	return test_result("test_duress");
}
