/* test_ykhmac.c — the HMAC-SHA1 applet: SELECT status, programming with the YubiKey config
 * structure (CRC, access code, delete), RFC 2202 answers (also with ykman-style 64-byte
 * padded challenges), length limits, and a state round trip through the state file codec. */
#include "test_sim_util.h"

int main(void);

static const struct sim_applet_ops *const apps[] = { &sim_ykhmac_applet };
static const uint8_t atr[] = { 0x3B, 0x80, 0x80, 0x01, 0x01 };
static const struct sim_personality pers = { "flexsecure", 1, atr, sizeof(atr), apps, 1 };

static uint16_t crc16(const uint8_t *p, size_t n)
{
	uint16_t crc = 0xFFFF;
	size_t i;
	int b;

	for (i = 0; i < n; i++) {
		crc ^= p[i];
		for (b = 0; b < 8; b++)
			crc = (uint16_t)((crc & 1) ? (crc >> 1) ^ 0x8408 : crc >> 1);
	}
	return crc;
}

/* program APDU hex for slot (1/2) with a key of up to 20 bytes, optional acc codes */
static void program_hex(int slot, const uint8_t *key, size_t klen, const uint8_t *newacc,
    const uint8_t *curacc, char *out)
{
	uint8_t cfg[58], k20[20] = { 0 };
	uint16_t crc;
	size_t i, n = curacc ? 58 : 52;

	memcpy(k20, key, klen);
	memset(cfg, 0, sizeof(cfg));
	memcpy(cfg + 22, k20, 16);
	memcpy(cfg + 16, k20 + 16, 4);
	if (newacc)
		memcpy(cfg + 38, newacc, 6);
	cfg[46] = 0x40;
	cfg[47] = 0x26;
	crc = (uint16_t)~crc16(cfg, 50);
	cfg[50] = (uint8_t)crc;
	cfg[51] = (uint8_t)(crc >> 8);
	if (curacc)
		memcpy(cfg + 52, curacc, 6);
	out += sprintf(out, "0001%02X00%02zX", slot == 1 ? 1 : 3, n);
	for (i = 0; i < n; i++)
		out += sprintf(out, "%02X", cfg[i]);
}

static void chal_hex(int slot, const uint8_t *d, size_t n, int pad64, char *out)
{
	size_t i, total = pad64 ? 64 : n;

	out += sprintf(out, "0001%02X00%02zX", slot == 1 ? 0x30 : 0x38, total);
	for (i = 0; i < total; i++)
		out += sprintf(out, "%02X", i < n ? d[i] : (n && d[n - 1] == 0 ? 1 : 0));
}

static int resp_is(const struct sim_rbuf *r, const char *hex)
{
	uint8_t want[64];
	size_t n = test_unhex(hex, want, sizeof(want));

	return r->len == n + 2 && memcmp(r->p, want, n) == 0 && test_sw(r) == 0x9000;
}

static void test_rfc2202(struct sim_card *c, struct sim_rbuf *r)
{
	uint8_t k1[20], k3[20], d3[50];
	char hex[400];

	memset(k1, 0x0b, 20);
	memset(k3, 0xaa, 20);
	memset(d3, 0xdd, 50);
	CHECK(test_tx(c, "00A4040007A0000005272001", r) == 0x9000 && r->len == 12);
	CHECK(r->p[3] == 0 && r->p[4] == 0 && r->p[6] == 0x02 && r->p[7] == 0x0F);
	chal_hex(1, (const uint8_t *)"Hi There", 8, 0, hex);
	CHECK(test_tx(c, hex, r) == 0x9000 && r->len == 2);       /* unprogrammed: bare 9000 */
	program_hex(1, k1, 20, NULL, NULL, hex);
	CHECK(test_tx(c, hex, r) == 0x9000 && r->len == 12 && r->p[3] == 1 && r->p[4] == 0x01);
	CHECK(sim_card_take_dirty(c) == 1);
	chal_hex(1, (const uint8_t *)"Hi There", 8, 0, hex);
	CHECK(test_tx(c, hex, r) == 0x9000 && resp_is(r, "b617318655057264e28bc0b6fb378c8ef146be00"));
	chal_hex(1, (const uint8_t *)"Hi There", 8, 1, hex);
	CHECK(test_tx(c, hex, r) == 0x9000 && resp_is(r, "b617318655057264e28bc0b6fb378c8ef146be00"));
	program_hex(2, (const uint8_t *)"Jefe", 4, NULL, NULL, hex);
	CHECK(test_tx(c, hex, r) == 0x9000 && r->p[3] == 2 && r->p[4] == 0x03);
	chal_hex(2, (const uint8_t *)"what do ya want for nothing?", 28, 1, hex);
	CHECK(test_tx(c, hex, r) == 0x9000 && resp_is(r, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"));
	program_hex(1, k3, 20, NULL, NULL, hex);
	CHECK(test_tx(c, hex, r) == 0x9000 && r->p[3] == 3);
	chal_hex(1, d3, 50, 1, hex);
	CHECK(test_tx(c, hex, r) == 0x9000 && resp_is(r, "125d7342b9ac11cd91a39af48aa17b4f63f175d3"));
}

static void test_errors(struct sim_card *c, struct sim_rbuf *r)
{
	uint8_t k[20] = { 1 }, acc[6] = { 1, 2, 3, 4, 5, 6 }, big[65] = { 0 };
	char hex[400];

	chal_hex(1, big, 65, 0, hex);
	CHECK(test_tx(c, hex, r) == 0x6700);
	CHECK(test_tx(c, "8001100000", r) == 0x6E00);
	CHECK(test_tx(c, "00021000", r) == 0x6D00);
	CHECK(test_tx(c, "00019900", r) == 0x6A86);
	CHECK(test_tx(c, "0001100000", r) == 0x9000 && r->len == 6);   /* serial */
	CHECK(test_tx(c, "00010100020000", r) == 0x6700);
	program_hex(1, k, 20, NULL, NULL, hex);
	hex[30] ^= 1;                                                  /* break the CRC */
	CHECK(test_tx(c, hex, r) == 0x6A80);
	program_hex(2, k, 20, acc, NULL, hex);                         /* set an access code */
	CHECK(test_tx(c, hex, r) == 0x9000);
	program_hex(2, k, 20, NULL, NULL, hex);
	CHECK(test_tx(c, hex, r) == 0x6982);                           /* code not given */
	program_hex(2, k, 20, NULL, acc, hex);
	CHECK(test_tx(c, hex, r) == 0x9000);
	/* all-zero config deletes slot 2 */
	CHECK(test_tx(c, "0001030034" "0000000000000000000000000000000000000000000000000000"
	    "0000000000000000000000000000000000000000000000000000", r) == 0x9000);
	CHECK(r->p[4] == 0x01);
}

static void test_persist(struct sim_card *c, struct sim_rbuf *r)
{
	struct sim_rbuf b = { NULL, 0, 0 }, s1 = { NULL, 0, 0 };
	struct sim_card *c2 = NULL;
	char why[128];

	CHECK(test_tx(c, "0001100000", r) == 0x9000);
	sim_rbuf_put(&s1, r->p, r->len);
	CHECK(sim_state_encode(c, &b) == 0);
	CHECK(sim_card_new(&pers, &c2) == 0);
	CHECK(sim_state_decode(b.p, b.len, c2, why, sizeof(why)) == 0);
	CHECK(test_tx(c2, "00A4040007A0000005272001", r) == 0x9000 && r->p[4] == 0x01);
	CHECK(test_tx(c2, "0001100000", r) == 0x9000 && r->len == s1.len && memcmp(r->p, s1.p, s1.len) == 0);
	sim_card_free(&c2);
	sim_rbuf_free(&b);
	sim_rbuf_free(&s1);
}

int main(void)
{
	struct sim_rbuf r = { NULL, 0, 0 };
	struct sim_card *c = NULL;

	if (sim_card_new(&pers, &c) != 0)
		return 1;
	test_rfc2202(c, &r);
	test_errors(c, &r);
	test_persist(c, &r);
	sim_card_free(&c);
	sim_rbuf_free(&r);
	if (test_failures)
		fprintf(stderr, "%d check(s) failed\n", test_failures);
	return test_failures ? 1 : 0;
}
