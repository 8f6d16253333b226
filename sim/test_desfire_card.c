/* test_desfire_card.c — the simulated DESFire EV3 through its ops table: ISO wrapping and status
 * words, GetVersion in three frames, free create/write/read at factory settings, the EEPROM
 * image round trip (save -> load in a fresh instance) and rejection of damaged images. */
#include "desfire_int.h"
#include "test_sim_util.h"

static const struct sim_applet_ops *ops = &sim_desfire_card;

static uint16_t tx(void *st, const char *hex, struct sim_rbuf *r)
{
	static uint8_t buf[600];
	struct sim_env env = { .dirty = 0, .random = sim_random };
	struct sim_apdu a;
	size_t n = test_unhex(hex, buf, sizeof(buf));

	sim_rbuf_clear(r);
	r->len = 0;
	if (sim_apdu_parse(buf, n, &a) != 0)
		return 0x6700;
	return ops->process(st, &a, r, &env);
}

static void test_framing(void *st)
{
	struct sim_rbuf r = { NULL, 0, 0 };

	CHECK(tx(st, "00A4040007D276000085010100", &r) == 0x6A82);   /* ISO SELECT by name */
	CHECK(tx(st, "80CA000000", &r) == 0x6E00);
	CHECK(tx(st, "90600100", &r) == 0x6A86);
	CHECK(tx(st, "90EE000000", &r) == 0x911C);                   /* unknown command */
	CHECK(tx(st, "90AF000000", &r) == 0x91CA);                   /* nothing to continue */
	CHECK(tx(st, "9060000000", &r) == 0x91AF && r.len == 7 && r.p[3] == 0x33);
	CHECK(tx(st, "90AF000000", &r) == 0x91AF && r.len == 7);
	CHECK(tx(st, "90AF000000", &r) == 0x9100 && r.len == 14 && r.p[0] == 0x04);
	CHECK(tx(st, "90640000010000", &r) == 0x9100 && r.len == 1 && r.p[0] == 0);
	CHECK(tx(st, "90640000010100", &r) == 0x9140);               /* PICC has one key */
	CHECK(tx(st, "90710000020000" "00", &r) == 0x91AE);          /* EV2First on a DES key */
	CHECK(tx(st, "903C0000010000", &r) == 0x9190 && r.len == 56);
	CHECK(tx(st, "9051000000", &r) == 0x91AE);                 /* GetCardUID needs auth */
	CHECK(tx(st, "905A00000301020300", &r) == 0x91A0);
	sim_rbuf_free(&r);
}

static void test_free_files(void *st)
{
	struct sim_rbuf r = { NULL, 0, 0 };

	/* factory PICC settings allow CreateApplication without authentication */
	CHECK(tx(st, "90CA000005A1A2A30F8100", &r) == 0x9100);
	CHECK(tx(st, "90CA000005A1A2A30F8100", &r) == 0x91DE);
	CHECK(tx(st, "90CA000005A1A2A30F4100", &r) == 0x919E);
	CHECK(tx(st, "90CA000005B1B2B30F4100", &r) == 0x919E);       /* 3K3DES apps: not here */
	CHECK(tx(st, "905A000003A1A2A300", &r) == 0x9100);
	/* app settings 0F: free file creation; file 5 plain, free read and write */
	CHECK(tx(st, "90CD00000705 00 EEEE 100000 00", &r) == 0x9100);
	CHECK(tx(st, "903D00000F05 000000 080000 0102030405060708 00", &r) == 0x9100);
	CHECK(tx(st, "903D00000F05 0C0000 080000 0102030405060708 00", &r) == 0x91BE);
	CHECK(tx(st, "90AD00000705 020000 040000 00", &r) == 0x9100 && r.len == 4 &&
	    r.p[0] == 3 && r.p[3] == 6);
	CHECK(tx(st, "90AD00000709 000000 040000 00", &r) == 0x91F0);
	CHECK(tx(st, "906F000000", &r) == 0x9100 && r.len == 1 && r.p[0] == 5);
	/* a key-protected FULL file refuses unauthenticated reads */
	CHECK(tx(st, "90CD00000706 03 0000 200000 00", &r) == 0x9100);
	CHECK(tx(st, "90AD00000706 000000 040000 00", &r) == 0x91AE);
	sim_rbuf_free(&r);
}

static void test_image(void *st)
{
	struct sim_rbuf img = { NULL, 0, 0 }, r = { NULL, 0, 0 };
	void *st2 = ops->create();
	size_t cut;

	CHECK(ops->save(st, &img) == 0 && img.len > 40);
	CHECK(st2 != NULL && ops->load(st2, img.p, img.len) == 0);
	CHECK(memcmp(((struct sdf_card *)st)->uid, ((struct sdf_card *)st2)->uid, 7) == 0);
	CHECK(tx(st2, "905A000003A1A2A300", &r) == 0x9100);
	CHECK(tx(st2, "90AD00000705 000000 080000 00", &r) == 0x9100 && r.len == 8 && r.p[7] == 8);
	for (cut = 0; cut < img.len; cut++)   /* every truncation is refused */
		CHECK(ops->load(st2, img.p, cut) != 0);
	CHECK(sim_rbuf_u8(&img, 0) == 0 && ops->load(st2, img.p, img.len) != 0);
	img.p[0] = 9;
	CHECK(ops->load(st2, img.p, img.len - 1) != 0);              /* unknown version */
	ops->destroy(st2);
	sim_rbuf_free(&img);
	sim_rbuf_free(&r);
}

int main(void)
{
	void *st = ops->create();

	if (st == NULL)
		return 2;
	test_framing(st);
	test_free_files(st);
	test_image(st);
	ops->deselect(st);
	ops->destroy(st);
	if (test_failures) {
		fprintf(stderr, "test_desfire_card: %d failure(s)\n", test_failures);
		return 1;
	}
	printf("test_desfire_card: ok\n");
	return 0;
}
