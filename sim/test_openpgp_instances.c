/* test_openpgp_instances.c — the flexSecure personality's three OpenPGP instances (one per
 * duress context): each has its own AID serial; a full AID selects its instance; the partial AID
 * selects the instance of the context the DuressApplet last chose in this field session (the
 * primary's when none, after a wrong PIN, and after power loss). */
#include "sim_applet.h"
#include "test_sim_util.h"

#define SEL_PARTIAL "00 A4 04 00 06 D2 76 00 01 24 01"
#define SEL_DURESS  "00 A4 04 00 08 F0 44 55 52 45 53 53 01"
#define ADMIN       "00 60 00 00 20 0000000000000000000000000000000000000000000000000000000000000000"

/* GET DATA 4F of the selected instance into aid (16 bytes). */
static int read_aid(struct sim_card *c, struct sim_rbuf *r, uint8_t aid[16])
{
	r->len = 0;
	if (test_tx(c, "00 CA 00 4F 00", r) != 0x9000 || r->len != 18)
		return -1;
	memcpy(aid, r->p, 16);
	return 0;
}

static uint16_t select_full(struct sim_card *c, struct sim_rbuf *r, const uint8_t aid[16])
{
	char hex[64];
	size_t i, n;

	n = (size_t)snprintf(hex, sizeof(hex), "00A4040010");
	for (i = 0; i < 16; i++)
		n += (size_t)snprintf(hex + n, sizeof(hex) - n, "%02X", aid[i]);
	r->len = 0;
	return test_tx(c, hex, r);
}

static uint16_t tx(struct sim_card *c, struct sim_rbuf *r, const char *hex)
{
	r->len = 0;
	return test_tx(c, hex, r);
}

int main(void)
{
	const struct sim_personality *p = sim_personality_find("flexsecure");
	struct sim_card *c = NULL;
	struct sim_rbuf r = { 0 };
	uint8_t aid0[16], aid1[16], aid2[16], x[16];

	if (p == NULL || sim_card_new(p, &c) != 0)
		return 1;
	CHECK(tx(c, &r, SEL_PARTIAL) == 0x9000);
	CHECK(read_aid(c, &r, aid0) == 0);
	/* duress PINs: 1111 primary, 2222 decoy, 3333 burn */
	CHECK(tx(c, &r, SEL_DURESS) == 0x9000);
	CHECK(tx(c, &r, ADMIN) == 0x9000);
	CHECK(tx(c, &r, "00 41 00 00 04 31313131") == 0x9000);
	CHECK(tx(c, &r, "00 41 01 00 04 32323232") == 0x9000);
	CHECK(tx(c, &r, "00 41 02 00 04 33333333") == 0x9000);
	/* no context chosen yet: the partial AID is still the primary's */
	CHECK(tx(c, &r, SEL_PARTIAL) == 0x9000);
	CHECK(read_aid(c, &r, x) == 0 && memcmp(x, aid0, 16) == 0);
	/* decoy PIN: the partial AID now selects the decoy instance, another serial */
	CHECK(tx(c, &r, SEL_DURESS) == 0x9000);
	CHECK(tx(c, &r, "00 20 00 00 04 32323232") == 0x9000);
	CHECK(tx(c, &r, SEL_PARTIAL) == 0x9000);
	CHECK(read_aid(c, &r, aid1) == 0);
	CHECK(memcmp(aid1, aid0, 16) != 0 && memcmp(aid1, aid0, 10) == 0);
	/* the full AID selects its own instance whatever the context */
	CHECK(select_full(c, &r, aid0) == 0x9000);
	CHECK(read_aid(c, &r, x) == 0 && memcmp(x, aid0, 16) == 0);
	CHECK(tx(c, &r, SEL_PARTIAL) == 0x9000);   /* context kept across applet switches */
	CHECK(read_aid(c, &r, x) == 0 && memcmp(x, aid1, 16) == 0);
	/* burn */
	CHECK(tx(c, &r, SEL_DURESS) == 0x9000);
	CHECK(tx(c, &r, "00 20 00 00 04 33333333") == 0x9000);
	CHECK(tx(c, &r, SEL_PARTIAL) == 0x9000);
	CHECK(read_aid(c, &r, aid2) == 0);
	CHECK(memcmp(aid2, aid0, 16) != 0 && memcmp(aid2, aid1, 16) != 0);
	/* a wrong PIN leaves no context: back to the primary's */
	CHECK(tx(c, &r, SEL_DURESS) == 0x9000);
	CHECK(tx(c, &r, "00 20 00 00 04 39393939") == 0x6982);
	CHECK(tx(c, &r, SEL_PARTIAL) == 0x9000);
	CHECK(read_aid(c, &r, x) == 0 && memcmp(x, aid0, 16) == 0);
	/* power loss forgets the context */
	CHECK(tx(c, &r, SEL_DURESS) == 0x9000);
	CHECK(tx(c, &r, "00 20 00 00 04 32323232") == 0x9000);
	sim_card_power_loss(c);
	CHECK(tx(c, &r, SEL_PARTIAL) == 0x9000);
	CHECK(read_aid(c, &r, x) == 0 && memcmp(x, aid0, 16) == 0);
	CHECK(select_full(c, &r, aid2) == 0x9000);
	CHECK(read_aid(c, &r, x) == 0 && memcmp(x, aid2, 16) == 0);
	/* an AID of no instance */
	x[13] ^= 0xFF;
	if (memcmp(x, aid0, 16) != 0 && memcmp(x, aid1, 16) != 0)
		CHECK(select_full(c, &r, x) == 0x6A82);
	sim_rbuf_free(&r);
	sim_card_free(&c);
	if (test_failures)
		fprintf(stderr, "test_openpgp_instances: %d failure(s)\n", test_failures);
	return test_failures != 0;
}
