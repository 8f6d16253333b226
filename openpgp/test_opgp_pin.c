/* test_opgp_pin.c — the PIN safety rules as APDU sequences: SELECT before every PIN-bearing
 * command in the same transaction, local length and blocked checks (no APDU at all), the KDF
 * applied, and a refused VERIFY never sent again. */
#include <string.h>

#include "card.h"
#include "mockcard.h"
#include "openpgp.h"
#include "sk_err.h"
#include "test_util.h"

#define SELECT "00 A4 04 00 06 D2 76 00 01 24 01"
#define GET_C4 "00 CA 00 C4 00"
#define GET_F9 "00 CA 00 F9 00"

static void run(const struct mock_step *steps, size_t n, int (*fn)(struct sk_card *), int want,
    const char *what)
{
	struct mock m;
	struct sk_card *c = mock_card(&m, steps, n);
	int r = fn(c);

	if (r != want) {
		fprintf(stderr, "%s: got %d, expected %d\n", what, r, want);
		test_failures++;
	}
	if (!mock_done(&m)) {
		fprintf(stderr, "%s: APDU script not followed\n", what);
		test_failures++;
	}
	sk_card_free(&c);
}

static int tries;

static int verify_pw1(struct sk_card *c)
{
	return opgp_verify(c, OPGP_PW1_SIGN, "123456", 6, &tries);
}

static int verify_short(struct sk_card *c)
{
	return opgp_verify(c, OPGP_PW1_OTHER, "12345", 5, &tries);
}

static int verify_pw3_short(struct sk_card *c)
{
	return opgp_verify(c, OPGP_PW3, "1234567", 7, &tries);
}

static int verify_long(struct sk_card *c)
{
	return opgp_verify(c, OPGP_PW1_SIGN, "123456789012345678901234567890123", 33, &tries);
}

static int verify_pw3(struct sk_card *c)
{
	return opgp_verify(c, OPGP_PW3, "12345678", 8, &tries);
}

static void test_verify(void)
{
	static const struct mock_step ok[] = {
		{ SELECT, "9000" }, { GET_C4, "00202020030003 9000" }, { GET_F9, "6A88" },
		{ "00 20 00 81 06 313233343536", "9000" },
	};
	static const struct mock_step wrong[] = {
		{ SELECT, "9000" }, { GET_C4, "00202020030003 9000" }, { GET_F9, "" "9000" },
		{ "00 20 00 81 06 313233343536", "63C2" },
	};
	static const struct mock_step blocked[] = {
		{ SELECT, "9000" }, { GET_C4, "00202020000003 9000" }, { GET_F9, "6A88" },
	};
	static const struct mock_step too_long[] = {
		{ SELECT, "9000" }, { GET_C4, "00202020030003 9000" }, { GET_F9, "6A88" },
	};
	static const struct mock_step kdf[] = {
		{ SELECT, "9000" }, { GET_C4, "00202020030003 9000" },
		{ GET_F9, "810103 820108 830400 0186A0 8408 0102030405060708 9000" },
		{ "00 20 00 81 20 8FC77436DED3825377DA921ACC4FB1E0C619E426B926C30F06FBB428C6AC9701",
		  "9000" },
	};
	static const struct mock_step bad_kdf[] = {
		{ SELECT, "9000" }, { GET_C4, "00202020030003 9000" }, { GET_F9, "6F00" },
	};
	static const struct mock_step no_select[] = { { SELECT, "6A82" } };
	static const struct mock_step last_try[] = {
		{ SELECT, "9000" }, { GET_C4, "00202020010001 9000" }, { GET_F9, "6A88" },
		{ "00 20 00 83 08 3132333435363738", "63C0" },
	};
	static const struct mock_step card_6982[] = {
		{ SELECT, "9000" }, { GET_C4, "00202020030003 9000" }, { GET_F9, "6A88" },
		{ "00 20 00 83 08 3132333435363738", "6982" },
	};

	run(ok, 4, verify_pw1, 0, "verify ok");
	CHECK_EQ(tries, 3);
	run(wrong, 4, verify_pw1, SK_ERR_PIN_WRONG, "verify wrong");
	CHECK_EQ(tries, 2);
	run(NULL, 0, verify_short, SK_ERR_PIN_FORMAT, "short PW1: no APDU");
	run(NULL, 0, verify_pw3_short, SK_ERR_PIN_FORMAT, "short PW3: no APDU");
	run(blocked, 3, verify_pw1, SK_ERR_PIN_BLOCKED, "blocked: no VERIFY");
	CHECK_EQ(tries, 0);
	run(too_long, 3, verify_long, SK_ERR_PIN_FORMAT, "over the card's max: no VERIFY");
	run(kdf, 4, verify_pw1, 0, "KDF applied");
	run(bad_kdf, 3, verify_pw1, SK_ERR_SW, "unreadable KDF-DO: no plain PIN sent");
	run(no_select, 1, verify_pw1, SK_ERR_NOT_FOUND, "SELECT failed: nothing else");
	run(last_try, 4, verify_pw3, SK_ERR_PIN_BLOCKED, "last try used");
	CHECK_EQ(tries, 0);
	run(card_6982, 4, verify_pw3, SK_ERR_PIN_WRONG, "6982 as wrong PIN");
}

static int status_81(struct sk_card *c)
{
	return opgp_verify_status(c, OPGP_PW1_SIGN, &tries);
}

static int unverify_82(struct sk_card *c)
{
	return opgp_unverify(c, OPGP_PW1_OTHER);
}

static int change_pw1(struct sk_card *c)
{
	return opgp_change_pin(c, OPGP_PW1_SIGN, "123456", 6, "654321", 6);
}

static int change_pw1_short(struct sk_card *c)
{
	return opgp_change_pin(c, OPGP_PW1_SIGN, "123456", 6, "6543", 4);
}

static int reset_rc(struct sk_card *c)
{
	return opgp_reset_retry_counter(c, "abcdefgh", 8, "123456", 6);
}

static int reset_pw3(struct sk_card *c)
{
	return opgp_reset_retry_counter(c, NULL, 0, "123456", 6);
}

static int set_rc(struct sk_card *c)
{
	return opgp_set_resetting_code(c, "12345678", 8);
}

/* F9 with an RC salt 85: the code goes out as S2K(SHA-256, 2122..28, 65536) of "12345678" */
static const struct mock_step set_rc_kdf[] = {
	{ GET_C4, "00202020030003 9000" },
	{ GET_F9, "810103 820108 830400010000 8408 0102030405060708 8508 2122232425262728 9000" },
	{ "00 DA 00 D3 20 2F9F42C88A4AFC6D5825602F18E29C6FC01D2DA7C49DE0A11DC1029A6E43FCCF",
	  "9000" },
};

static void test_other_pin_cmds(void)
{
	static const struct mock_step st_ok[] = { { "00 20 00 81", "9000" } };
	static const struct mock_step st_not[] = { { "00 20 00 81", "63C3" } };
	static const struct mock_step unv[] = { { "00 20 FF 82", "9000" } };
	static const struct mock_step chg[] = {
		{ SELECT, "9000" }, { GET_C4, "00202020030003 9000" }, { GET_F9, "6A88" },
		{ "00 24 00 81 0C 313233343536 363534333231", "9000" },
	};
	static const struct mock_step rst_rc[] = {
		{ SELECT, "9000" }, { GET_C4, "00202020030303 9000" }, { GET_F9, "6A88" },
		{ "00 2C 00 81 0E 6162636465666768 313233343536", "9000" },
	};
	static const struct mock_step rst_rc_blocked[] = {
		{ SELECT, "9000" }, { GET_C4, "00202020030003 9000" }, { GET_F9, "6A88" },
	};
	/* after PW3 in the caller's transaction: no SELECT (it would drop PW3) */
	static const struct mock_step rst_pw3[] = {
		{ GET_C4, "00202020030003 9000" }, { GET_F9, "6A88" },
		{ "00 2C 02 81 06 313233343536", "9000" },
	};

	run(st_ok, 1, status_81, 0, "status verified");
	run(st_not, 1, status_81, SK_ERR_PIN_REQUIRED, "status not verified");
	CHECK_EQ(tries, 3);
	run(unv, 1, unverify_82, 0, "unverify");
	run(chg, 4, change_pw1, 0, "change PW1");
	run(NULL, 0, change_pw1_short, SK_ERR_PIN_FORMAT, "change to a short PIN: no APDU");
	run(rst_rc, 4, reset_rc, 0, "reset with RC");
	run(rst_rc_blocked, 3, reset_rc, SK_ERR_PIN_BLOCKED, "RC counter 0");
	run(rst_pw3, 3, reset_pw3, 0, "reset after PW3");
	run(set_rc_kdf, 3, set_rc, 0, "resetting code hashed with the RC salt");
}

/* opgp_verify_selected: the caller's known state, one APDU (the VERIFY), same refusals. */
static struct opgp_pw_status known_pw = { 0, 32, 32, 32, 3, 0, 3 };
static struct opgp_kdf known_kdf;

static int verify_sel(struct sk_card *c)
{
	return opgp_verify_selected(c, OPGP_PW1_OTHER, "123456", 6, &known_pw, &known_kdf, &tries);
}

static void test_verify_selected(void)
{
	static const struct mock_step ok[] = { { "00 20 00 82 06 313233343536", "9000" } };
	static const struct mock_step wrong[] = { { "00 20 00 82 06 313233343536", "63C2" } };

	memset(&known_kdf, 0, sizeof(known_kdf));
	run(ok, 1, verify_sel, 0, "verify_selected: VERIFY only");
	CHECK_EQ(tries, 3);
	run(wrong, 1, verify_sel, SK_ERR_PIN_WRONG, "verify_selected: refused, not retried");
	CHECK_EQ(tries, 2);
	known_pw.pw1_tries = 0;
	run(NULL, 0, verify_sel, SK_ERR_PIN_BLOCKED, "verify_selected: known blocked: no APDU");
	known_pw.pw1_tries = 3;
	known_pw.pw1_max = 5;
	run(NULL, 0, verify_sel, SK_ERR_PIN_FORMAT, "verify_selected: over max: no APDU");
	known_pw.pw1_max = 32;
}

/* opgp_verify_known_pw: the cached PW status, a fresh KDF-DO, SELECT unless this handle made it
 * in the transaction still open. */
static int verify_known(struct sk_card *c)
{
	return opgp_verify_known_pw(c, OPGP_PW1_SIGN, "123456", 6, &known_pw, &tries);
}

static int verify_known_in_tx(struct sk_card *c)
{
	int r;

	if ((r = sk_card_begin(c)) != 0)
		return r;
	if ((r = opgp_select(c)) == 0)
		r = verify_known(c);
	(void)sk_card_end(c);
	return r;
}

static int verify_known_new_tx(struct sk_card *c)
{
	int r;

	if ((r = sk_card_begin(c)) != 0)
		return r;
	r = opgp_select(c);
	(void)sk_card_end(c);
	return r != 0 ? r : verify_known(c);   /* another transaction: SELECT again */
}

static void test_verify_known_pw(void)
{
	static const struct mock_step alone[] = {
		{ SELECT, "9000" }, { GET_F9, "6A88" },
		{ "00 20 00 81 06 313233343536", "9000" },
	};
	static const struct mock_step kdf[] = {
		{ SELECT, "9000" },
		{ GET_F9, "810103 820108 830400010000 8408 0102030405060708 8508 2122232425262728 9000" },
		{ "*", "63C1" },   /* 32 bytes of S2K output, checked in test_verify */
	};
	static const struct mock_step in_tx[] = {
		{ SELECT, "9000" }, { GET_F9, "6A88" },
		{ "00 20 00 81 06 313233343536", "9000" },
	};
	static const struct mock_step new_tx[] = {
		{ SELECT, "9000" }, { SELECT, "9000" }, { GET_F9, "6A88" },
		{ "00 20 00 81 06 313233343536", "9000" },
	};
	static const struct mock_step blocked_known[] = {
		{ SELECT, "9000" }, { GET_C4, "00202020030003 9000" }, { GET_F9, "6A88" },
		{ "00 20 00 81 06 313233343536", "9000" },
	};
	static const struct mock_step kdf_fails[] = { { SELECT, "9000" }, { GET_F9, "6F00" } };

	run(alone, 3, verify_known, 0, "known_pw: SELECT, F9, VERIFY (no C4)");
	CHECK_EQ(tries, 3);
	run(kdf, 3, verify_known, SK_ERR_PIN_WRONG, "known_pw: the fresh KDF-DO shapes the PIN");
	CHECK_EQ(tries, 1);
	run(in_tx, 3, verify_known_in_tx, 0, "known_pw: SELECT made in this transaction");
	run(new_tx, 4, verify_known_new_tx, 0, "known_pw: SELECT of an ended transaction");
	run(kdf_fails, 2, verify_known, SK_ERR_SW, "known_pw: unreadable KDF-DO: no PIN sent");
	known_pw.pw1_tries = 0;
	run(blocked_known, 4, verify_known, 0, "known_pw: cached 0 is read again (unblocked since)");
	known_pw.pw1_tries = 3;
}

int main(void)
{
	test_verify();
	test_verify_selected();
	test_verify_known_pw();
	test_other_pin_cmds();
	return test_result("test_opgp_pin");
}
