/* test_sm.c — EV2 authentication and secure messaging against the worked examples of NXP
 * AN12196 (NTAG 424 DNA features and hints: same EV2 secure messaging as DESFire EV3), driven
 * through a scripted mock transport; status, framing and MAC failure handling. */
#include "df_int.h"
#include "sk_err.h"
#include "test_util.h"

struct step {
	const char *expect;   /* command APDU hex, NULL = do not check */
	const char *answer;   /* response hex incl. SW */
};

struct script {
	const struct step *steps;
	size_t n, pos;
	const char *rnd;
};

static int mock_transmit(void *ctx, const uint8_t *apdu, size_t len, uint8_t *resp,
    size_t *rlen)
{
	struct script *s = ctx;
	const struct step *st;

	if (s->pos >= s->n) {
		fprintf(stderr, "mock: unexpected APDU\n");
		t_failures++;
		return SK_ERR_CARD_REMOVED;
	}
	st = &s->steps[s->pos++];
	if (st->expect != NULL && !t_eqhex(apdu, len, st->expect)) {
		fprintf(stderr, "mock: APDU %zu differs\n", s->pos);
		t_failures++;
	}
	*rlen = t_unhex(st->answer, resp, *rlen);
	return 0;
}

static int mock_random(void *ctx, uint8_t *buf, size_t n)
{
	struct script *s = ctx;

	if (s->rnd == NULL || t_unhex(s->rnd, buf, n) != n)
		return SK_ERR_CRYPTO;
	return 0;
}

static struct desfire *mk(struct script *s, const struct step *steps, size_t n)
{
	struct desfire_io io = { s, mock_transmit, mock_random };
	struct desfire *df = NULL;

	s->steps = steps;
	s->n = n;
	s->pos = 0;
	if (desfire_new(&io, &df) != 0)
		exit(2);
	return df;
}

static void set_session(struct desfire *df, const char *kenc, const char *kmac, const char *ti)
{
	if (kenc)
		t_unhex(kenc, df->kenc, 16);
	t_unhex(kmac, df->kmac, 16);
	t_unhex(ti, df->ti, 4);
	df->ctr = 0;
	df->auth = DF_AUTH_EV2;
}

static void test_ev2first(void)
{
	/* AN12196 §6.6 */
	static const struct step steps[] = {
		{ "9071000002000000", "A04C124213C186F22399D33AC2A3021591AF" },
		{ "90AF00002035C3E05A752E0144BAC0DE51C1F22C56B34408A23D8AEA266CAB947EA8E0118D00",
		  "3FA64DB5446D1F34CD6EA311167F5E4985B89690C04A05F17FA7AB2F081206639100" },
	};
	struct script s = { .rnd = "13C5DB8A5930439FC3DEF9A4C675360F" };
	uint8_t key[16] = { 0 };
	struct desfire *df = mk(&s, steps, 2);

	CHECK(desfire_auth_ev2first(df, 0, key) == 0);
	CHECK(desfire_is_authenticated(df) == 2);
	CHECK(t_eqhex(df->ti, 4, "9D00C4DF"));
	CHECK(t_eqhex(df->kenc, 16, "1309C877509E5A215007FF0ED19CA564"));
	CHECK(t_eqhex(df->kmac, 16, "4C6626F5E72EA694202139295C7A7FC7"));
	CHECK(df->ctr == 0 && desfire_apdu_count(df) == 2);
	desfire_free(&df);
	CHECK(df == NULL);
}

static void test_ev2first_wrong_key(void)
{
	/* same card answers, but the host holds another key: RndA' cannot match */
	static const struct step steps[] = {
		{ NULL, "A04C124213C186F22399D33AC2A3021591AF" },
		{ NULL, "3FA64DB5446D1F34CD6EA311167F5E4985B89690C04A05F17FA7AB2F081206639100" },
	};
	struct script s = { .rnd = "13C5DB8A5930439FC3DEF9A4C675360F" };
	uint8_t key[16] = { 1 };
	struct desfire *df = mk(&s, steps, 2);

	CHECK(desfire_auth_ev2first(df, 0, key) == SK_ERR_CRYPTO);
	CHECK(desfire_is_authenticated(df) == 0);
	desfire_free(&df);
}

static void test_auth_iso(void)
{
	/* AuthenticateISO with the factory 2TDEA zero key, from a published trace walk-through:
	 * CBC IV chained across frames, session key RndA1-4 || RndB1-4 twice (single DES) */
	static const struct step steps[] = {
		{ "901A0000010000", "8476D1CF3024B7C791AF" },
		{ "90AF000010DAC67AB743763DC9FAF8A0AE504E80C500", "13E9E4FA4388BF169100" },
	};
	struct script s = { .rnd = "49EC63DECDE00772" };
	uint8_t key[16] = { 0 };
	struct desfire *df = mk(&s, steps, 2);

	CHECK(desfire_auth_iso(df, 0, key) == 0);
	CHECK(desfire_is_authenticated(df) == 1);
	CHECK(t_eqhex(df->kenc, 16, "49EC63DE3B3DFE6249EC63DE3B3DFE62"));
	desfire_free(&df);
}

static void test_change_key_iso(void)
{
	/* recorded legacy session (a DESFire library's offline test): AuthenticateISO with the
	 * factory key, then ChangeKey 0 to a 2TDEA key: IV 0, CRC32 over C4 || 00 || NewKey */
	static const struct step steps[] = {
		{ "901A0000010000", "DE50F92310CAF5A591AF" },
		{ "90AF000010E00616668704D5549C8D6A13A0F8FCED00", "1D9D2954697DE7609100" },
		{ "90C400001900BEDE0FC6ED347DCF0D51C717DF75D97D2C5A2BA6CAC7479D00", "9100" },
	};
	struct script s = { .rnd = "C96CE35E4D6087F2" };
	uint8_t key[16] = { 0 }, nk[16];
	struct desfire *df = mk(&s, steps, 3);

	t_unhex("00102031405060708090A0B0B0A09080", nk, 16);
	CHECK(desfire_auth_iso(df, 0, key) == 0);
	CHECK(desfire_change_key(df, 0x00, nk, 0, NULL) == 0);
	CHECK(desfire_is_authenticated(df) == 0 && s.pos == 3);
	desfire_free(&df);
}

static void test_auth_refused(void)
{
	static const struct step steps[] = { { "9071000002010000", "91AE" } };
	struct script s = { .rnd = "13C5DB8A5930439FC3DEF9A4C675360F" };
	uint8_t key[16] = { 0 };
	struct desfire *df = mk(&s, steps, 1);

	CHECK(desfire_auth_ev2first(df, 1, key) == SK_ERR_DENIED);
	CHECK(desfire_last_status(df) == 0xAE);
	desfire_free(&df);
}

static void test_full_write(void)
{
	/* AN12196 §6.12: WriteData-like command 8D in FULL mode, response MAC only */
	static const struct step steps[] = {
		{ "908D00001F030000000A00006B5E6804909962FC4E3FF5522CF0F8436C0C53315B9C73AA00",
		  "C26D236E4A7C046D9100" },
	};
	struct script s = { 0 };
	uint8_t hdr[7], data[10], out[8];
	size_t n = 99;
	struct desfire *df = mk(&s, steps, 1);

	set_session(df, "7A93D6571E4B180FCA6AC90C9A7488D4", "FC4AF159B62E549B5812394CAB1918CC",
	    "7614281A");
	t_unhex("030000000A0000", hdr, 7);
	t_unhex("0102030405060708090A", data, 10);
	CHECK(df_sm_cmd(df, 0x8D, hdr, 7, data, 10, DESFIRE_COMM_FULL, DESFIRE_COMM_MAC, out,
	    sizeof(out), &n) == 0);
	CHECK(n == 0 && df->ctr == 1);
	desfire_free(&df);
}

static void test_change_key_ev2(void)
{
	/* AN12196 Table 25: change key 2 (old all zero) under a key-0 session, CmdCtr 2 */
	static const struct step other[] = {
		{ "90C4000029022CF362B7BF4311FF3BE1DAA295E8C68DE09050560D19B9E16C2393AE9CD1FAC7"
		  "5D0CE20BCD1D06E600", "203BB55D1089D5879100" },
	};
	/* AN12196 Table 26: change key 0, the session's own key, CmdCtr 3: no MAC back */
	static const struct step same[] = {
		{ "90C400002900C0EB4DEEFEDDF0B513A03A95A75491818580503190D4D05053FF75668A01D6FD"
		  "A6610234BDED643200", "9100" },
	};
	struct script s = { 0 };
	uint8_t nk[16], old[16] = { 0 }, crc[16];
	uint32_t c;
	struct desfire *df = mk(&s, other, 1);

	t_unhex("F3847D627727ED3BC9C4CC050489B966", nk, 16);
	c = desfire_crc32(nk, 16);
	crc[0] = (uint8_t)c; crc[1] = (uint8_t)(c >> 8); crc[2] = (uint8_t)(c >> 16);
	crc[3] = (uint8_t)(c >> 24);
	CHECK(t_eqhex(crc, 4, "789DFADC"));      /* CRC32NK, Table 25 step 7 */
	set_session(df, "4CF3CB41A22583A61E89B158D252FC53", "5529860B2FC5FB6154B7F28361D30BF9",
	    "7614281A");
	df->ctr = 2;
	CHECK(desfire_change_key(df, 0x02, nk, 0x01, old) == 0);
	CHECK(df->ctr == 3 && desfire_is_authenticated(df) == 2);
	desfire_free(&df);

	df = mk(&s, same, 1);
	t_unhex("5004BF991F408672B1EF00F08F9E8647", nk, 16);
	set_session(df, "4CF3CB41A22583A61E89B158D252FC53", "5529860B2FC5FB6154B7F28361D30BF9",
	    "7614281A");
	df->ctr = 3;
	CHECK(desfire_change_key(df, 0x00, nk, 0x01, NULL) == 0);
	CHECK(desfire_is_authenticated(df) == 0);   /* own key replaced: session over */
	desfire_free(&df);
}

static void test_get_card_uid(void)
{
	/* AN12196 §7.3: GetCardUID, response in FULL mode */
	static const struct step steps[] = {
		{ "90510000088E2C155ADDA99BE300",
		  "70756055688505B52A5E26E59E329CD6595F672298EA41B79100" },
	};
	struct script s = { 0 };
	uint8_t uid[7];
	struct desfire *df = mk(&s, steps, 1);

	set_session(df, "2B4D963C014DC36F24F69A50A394F875", "379D32130CE61705DD5FD8C36B95D764",
	    "DF055522");
	CHECK(desfire_get_card_uid(df, uid) == 0);
	CHECK(t_eqhex(uid, 7, "04958CAA5C5E80"));
	desfire_free(&df);
}

static void test_mac_mode(void)
{
	/* AN12196 §5.3: GetFileSettings (F5) in MAC mode; then the same answer with one bit
	 * flipped in the MAC must be refused and end the session */
	static const struct step steps[] = {
		{ "90F5000009026597A457C8CD442C00",
		  "0040EEEE000100D1FE001F00004400004400002000006A00002A474282E7A479869100" },
	};
	static const struct step bad[] = {
		{ NULL, "0040EEEE000100D1FE001F00004400004400002000006A00002A474282E7A479879100" },
	};
	struct script s = { 0 };
	uint8_t hdr = 0x02, out[64];
	size_t n = 0;
	struct desfire *df = mk(&s, steps, 1);

	set_session(df, NULL, "8248134A386E86EB7FAF54A52E536CB6", "7A21085E");
	CHECK(df_sm_cmd(df, 0xF5, &hdr, 1, NULL, 0, DESFIRE_COMM_MAC, DESFIRE_COMM_MAC, out,
	    sizeof(out), &n) == 0);
	CHECK(t_eqhex(out, n, "0040EEEE000100D1FE001F00004400004400002000006A0000"));
	desfire_free(&df);

	df = mk(&s, bad, 1);
	set_session(df, NULL, "8248134A386E86EB7FAF54A52E536CB6", "7A21085E");
	CHECK(df_sm_cmd(df, 0xF5, &hdr, 1, NULL, 0, DESFIRE_COMM_MAC, DESFIRE_COMM_MAC, out,
	    sizeof(out), &n) == SK_ERR_CRYPTO);
	CHECK(desfire_is_authenticated(df) == 0);
	desfire_free(&df);
}

static void test_version_frames(void)
{
	static const struct step steps[] = {
		{ "9060000000", "04010133001A0591AF" },
		{ "90AF000000", "04010103001A0591AF" },
		{ "90AF000000", "04A1B2C3D4E5F6BA34999A120421009100" },
	};
	static const struct step notdf[] = { { NULL, "6A82" } };
	static const struct step shortv[] = { { NULL, "04010133001A059100" } };
	struct script s = { 0 };
	struct desfire_version v;
	struct desfire *df = mk(&s, steps, 3);

	CHECK(desfire_get_version(df, &v) == 0);
	CHECK(v.hw_major == DESFIRE_HW_MAJOR_EV3 && v.hw_storage == 0x1A);
	CHECK(t_eqhex(v.uid, 7, "04A1B2C3D4E5F6") && v.year == 0x21);
	CHECK(desfire_apdu_count(df) == 3);
	desfire_free(&df);
	df = mk(&s, notdf, 1);
	CHECK(desfire_get_version(df, &v) == SK_ERR_BAD_RESPONSE);
	desfire_free(&df);
	df = mk(&s, shortv, 1);
	CHECK(desfire_get_version(df, &v) == SK_ERR_BAD_RESPONSE);
	desfire_free(&df);
}

static void test_status_map(void)
{
	static const struct step steps[] = { { "905A00000301020300", "91A0" } };
	struct script s = { 0 };
	uint8_t aid[3] = { 1, 2, 3 };
	struct desfire *df = mk(&s, steps, 1);

	CHECK(desfire_select_app(df, aid) == SK_ERR_NOT_FOUND);
	CHECK(desfire_status_err(0xDE) == SK_ERR_EXISTS);
	CHECK(desfire_status_err(0x1E) == SK_ERR_CRYPTO);
	CHECK(desfire_status_err(0x7E) == SK_ERR_SW);
	desfire_free(&df);
}

int main(void)
{
	test_ev2first();
	test_ev2first_wrong_key();
	test_auth_iso();
	test_change_key_iso();
	test_auth_refused();
	test_full_write();
	test_change_key_ev2();
	test_get_card_uid();
	test_mac_mode();
	test_version_frames();
	test_status_map();
	return t_done("test_sm");
}
