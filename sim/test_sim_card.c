/* test_sim_card.c — the card framework against two test applets: SELECT by partial AID, 6A82,
 * 6D00 with nothing selected, chaining assembly and its cap, 61xx + GET RESPONSE, extended
 * length, deselect on power loss, and each malformed mode. */
#include "test_sim_util.h"

int main(void);

static const uint8_t aid_a[] = { 0xF0, 0x01, 0x02, 0x03, 0x04, 0x05 };
static const uint8_t aid_b[] = { 0xF0, 0x01, 0x02, 0x09 };
static int deselects;

struct tst { int dummy; };

static void *t_create(void) { return calloc(1, sizeof(struct tst)); }
static void t_destroy(void *st) { free(st); }
static void t_deselect(void *st) { (void)st; deselects++; }
static int t_save(void *st, struct sim_rbuf *o) { (void)st; return sim_rbuf_u8(o, 0x42); }
static int t_load(void *st, const uint8_t *p, size_t n) { (void)st; return n == 1 && p[0] == 0x42 ? 0 : -1; }

static uint16_t t_select(void *st, struct sim_rbuf *r, struct sim_env *env)
{
	(void)st;
	(void)r;
	(void)env;
	return 0x9000;
}

/* INS 01: echo data. INS 02: answer P1P2 bytes (i & 0xFF). INS 03: mark dirty. */
static uint16_t t_process(void *st, const struct sim_apdu *a, struct sim_rbuf *r, struct sim_env *env)
{
	size_t i, n = (size_t)a->p1 << 8 | a->p2;

	(void)st;
	switch (a->ins) {
	case 0x01:
		return sim_rbuf_put(r, a->data, a->lc) ? 0x6F00 : 0x9000;
	case 0x02:
		for (i = 0; i < n; i++)
			if (sim_rbuf_u8(r, (uint8_t)i))
				return 0x6F00;
		return 0x9000;
	case 0x03:
		env->dirty = 1;
		return 0x9000;
	default:
		return 0x6D00;
	}
}

static const struct sim_applet_ops app_a = { "a", aid_a, sizeof(aid_a), SIM_APPLET_CHAINING,
	t_create, t_destroy, t_select, t_deselect, t_process, t_save, t_load, NULL, NULL, 0 };
static const struct sim_applet_ops app_b = { "b", aid_b, sizeof(aid_b), 0,
	t_create, t_destroy, t_select, t_deselect, t_process, t_save, t_load, NULL, NULL, 0 };
static const struct sim_applet_ops *const apps[] = { &app_a, &app_b };
static const uint8_t atr[] = { 0x3B, 0x80, 0x80, 0x01, 0x01 };
static const struct sim_personality pers = { "test", 1, atr, sizeof(atr), apps, 2 };

static void test_select(struct sim_card *c, struct sim_rbuf *r)
{
	CHECK(test_tx(c, "00010000", r) == 0x6D00);                   /* nothing selected */
	CHECK(test_tx(c, "00A4040003F00102", r) == 0x9000);            /* prefix: first match (a) */
	CHECK(test_tx(c, "0001000002AABB", r) == 0x9000 && r->len == 4 && r->p[0] == 0xAA);
	CHECK(test_tx(c, "00A4040004F0010209", r) == 0x9000);          /* b */
	CHECK(test_tx(c, "10010000015500", r) == 0x6884);              /* b does not chain */
	CHECK(test_tx(c, "00A4040002F002", r) == 0x6A82);
	CHECK(test_tx(c, "00A4040007F0010203040506", r) == 0x6A82);  /* longer than any AID */
	CHECK(test_tx(c, "00A4040006F00102030405", r) == 0x9000);      /* full AID of a */
	CHECK(test_tx(c, "00A404", r) == 0x6700);
	CHECK(test_tx(c, "0001000005AA", r) == 0x6700);
}

static void test_get_response(struct sim_card *c, struct sim_rbuf *r)
{
	size_t i;
	int ok = 1;

	CHECK(test_tx(c, "0002025800", r) == 0x6100 && r->len == 258);  /* 600 bytes asked */
	CHECK(test_tx(c, "00C0000000", r) == 0x6158 && r->len == 258 && r->p[0] == 0x00);
	CHECK(test_tx(c, "00C0000000", r) == 0x9000 && r->len == 90 && r->p[0] == (uint8_t)(512 & 0xFF));
	CHECK(test_tx(c, "00C0000000", r) == 0x6D00);                      /* nothing pending */
	CHECK(test_tx(c, "0002001410", r) == 0x6104 && r->len == 18);   /* Le 16 of 20 */
	CHECK(test_tx(c, "00C0000004", r) == 0x9000 && r->len == 6 && r->p[0] == 16);
	CHECK(test_tx(c, "00020258000000", r) == 0x9000 && r->len == 602);  /* extended Le: whole */
	for (i = 0; i < 600; i++)
		ok &= r->p[i] == (uint8_t)i;
	CHECK(ok);
	CHECK(test_tx(c, "0002020000", r) == 0x6100);                   /* other command drops it */
	CHECK(test_tx(c, "0001000001AA", r) == 0x9000);
	CHECK(test_tx(c, "00C0000000", r) == 0x6D00);
}

static void test_chaining(struct sim_card *c, struct sim_rbuf *r)
{
	char hex[600];
	int i;

	CHECK(test_tx(c, "1001000003AABBCC", r) == 0x9000 && r->len == 2);
	CHECK(test_tx(c, "1001000001DD", r) == 0x9000 && r->len == 2);
	CHECK(test_tx(c, "0001000001EE00", r) == 0x9000 && r->len == 7 && r->p[0] == 0xAA && r->p[4] == 0xEE);
	/* a different command breaks the chain: it is processed alone */
	CHECK(test_tx(c, "1001000001AA", r) == 0x9000);
	CHECK(test_tx(c, "0002000300", r) == 0x9000 && r->len == 5);
	CHECK(test_tx(c, "0001000001BB", r) == 0x9000 && r->len == 3 && r->p[0] == 0xBB);
	/* the assembled size is capped */
	strcpy(hex, "10010000FF");
	for (i = 0; i < 255; i++)
		strcat(hex, "11");
	for (i = 0; i < 257; i++)   /* 257 * 255 = 65535: still under the cap */
		CHECK(test_tx(c, hex, r) == 0x9000);
	CHECK(test_tx(c, hex, r) == 0x6700);
	CHECK(test_tx(c, "0001000001BB", r) == 0x9000 && r->len == 3);
}

static void test_power_loss(struct sim_card *c, struct sim_rbuf *r)
{
	int before = deselects;

	CHECK(test_tx(c, "0002025800", r) == 0x6100);
	sim_card_power_loss(c);
	CHECK(deselects >= before + 2);                    /* every applet told */
	CHECK(test_tx(c, "00C0000000", r) == 0x6D00);       /* pending answer and selection gone */
	CHECK(test_tx(c, "00A4040003F00102", r) == 0x9000);
	CHECK(sim_card_take_dirty(c) == 0);
	CHECK(test_tx(c, "00030000", r) == 0x9000);
	CHECK(sim_card_take_dirty(c) == 1 && sim_card_take_dirty(c) == 0);
}

static void test_malformed(struct sim_card *c, struct sim_rbuf *r)
{
	static const uint8_t cmd_gr[] = { 0x00, 0xC0, 0x00, 0x00, 0x00 };

	sim_card_set_malformed(c, SIM_MAL_TRUNCATE);
	CHECK(test_tx(c, "0002001400", r) == 0x9000 && r->len == 12);
	CHECK(test_tx(c, "00030000", r) == 0x9000);                 /* no data: untouched */
	sim_card_set_malformed(c, SIM_MAL_BADSW);
	CHECK(test_tx(c, "0002001400", r) == 0x6F00 && r->len == 22);
	CHECK(test_tx(c, "0002001400", r) == 0x6A80);
	CHECK(test_tx(c, "0002001400", r) == 0x9999);
	sim_card_set_malformed(c, SIM_MAL_BADLEN);
	/* echo 5F 2D 02 65 6E: tag 5F2D kept, length becomes 82 FF F0, value follows */
	CHECK(test_tx(c, "00010000055F2D02656E00", r) == 0x9000 && r->len == 9);
	CHECK(r->p[0] == 0x5F && r->p[1] == 0x2D && r->p[2] == 0x82 && r->p[3] == 0xFF &&
	    r->p[4] == 0xF0 && r->p[5] == 0x65 && r->p[6] == 0x6E);
	sim_card_set_malformed(c, SIM_MAL_CHAIN);
	CHECK(test_tx(c, "0002001400", r) == 0x610A && r->len == 12);
	CHECK(sim_card_transmit(c, cmd_gr, sizeof(cmd_gr), r) == SIM_TX_CUT);
	sim_card_power_loss(c);
	sim_card_set_malformed(c, SIM_MAL_ON);
	CHECK(test_tx(c, "00A4040003F00102", r) == 0x9000);     /* no data: not counted */
	CHECK(test_tx(c, "0002001400", r) == 0x9000 && r->len == 12);   /* truncate */
	CHECK(test_tx(c, "0002001400", r) == 0x9000 && r->len == 24);   /* badlen: 20 - 1 + 3, SW */
	CHECK(test_tx(c, "0002001400", r) == 0x6F00);                   /* badsw */
	CHECK(test_tx(c, "0002001400", r) == 0x610A);                   /* chain */
	sim_card_set_malformed(c, SIM_MAL_OFF);
	CHECK(test_tx(c, "00A4040003F00102", r) == 0xFFFF);             /* cut pending: no answer */
	sim_card_power_loss(c);
	CHECK(test_tx(c, "00A4040003F00102", r) == 0x9000);
	CHECK(test_tx(c, "0002001400", r) == 0x9000 && r->len == 22);
}

/* FF CA: the reader's GET DATA (UID), a random 08 xx xx xx per field session, invisible to
 * the card's own state */
static void test_reader_uid(struct sim_card *c, struct sim_rbuf *r)
{
	uint8_t uid[4];

	CHECK(test_tx(c, "00A4040003F00102", r) == 0x9000);
	CHECK(test_tx(c, "0002025800", r) == 0x6100);
	CHECK(test_tx(c, "FFCA000000", r) == 0x9000 && r->len == 6 && r->p[0] == 0x08);
	memcpy(uid, r->p, 4);
	CHECK(test_tx(c, "FFCA000000", r) == 0x9000 && memcmp(r->p, uid, 4) == 0);
	CHECK(test_tx(c, "FFCA000002", r) == 0x6C04);
	CHECK(test_tx(c, "FFCA010000", r) == 0x6A81);
	CHECK(test_tx(c, "00C0000000", r) == 0x6158 && r->len == 258);   /* still pending */
	sim_card_power_loss(c);
	CHECK(test_tx(c, "FFCA000000", r) == 0x9000 && memcmp(r->p, uid, 4) != 0);
	CHECK(test_tx(c, "FF000000", r) == 0x6E00);                     /* other FF: not a reader cmd */
}

static void test_state(struct sim_card *c)
{
	struct sim_rbuf b = { NULL, 0, 0 };
	char why[128];

	CHECK(sim_state_encode(c, &b) == 0);
	CHECK(sim_state_decode(b.p, b.len, c, why, sizeof(why)) == 0);
	b.p[12] ^= 1;
	CHECK(sim_state_decode(b.p, b.len, c, why, sizeof(why)) != 0 && strstr(why, "checksum"));
	b.p[12] ^= 1;
	CHECK(sim_state_decode(b.p, b.len - 1, c, why, sizeof(why)) != 0);
	CHECK(sim_state_decode(b.p, 3, c, why, sizeof(why)) != 0);
	sim_rbuf_free(&b);
}

int main(void)
{
	struct sim_rbuf r = { NULL, 0, 0 };
	struct sim_card *c = NULL;

	if (sim_card_new(&pers, &c) != 0)
		return 1;
	test_select(c, &r);
	test_get_response(c, &r);
	test_chaining(c, &r);
	test_power_loss(c, &r);
	test_malformed(c, &r);
	test_reader_uid(c, &r);
	test_state(c);
	sim_card_free(&c);
	CHECK(c == NULL);
	sim_rbuf_free(&r);
	if (test_failures)
		fprintf(stderr, "%d check(s) failed\n", test_failures);
	return test_failures ? 1 : 0;
}
