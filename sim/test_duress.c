/* test_duress.c — the DuressApplet: admin auth, PINs per context, context selection by PIN,
 * all counters decrementing on a mismatch (and only the matched one refilled), blocking,
 * CHALLENGE = HMAC-SHA256 with the active context's key, access rules, and persistence. */
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "test_sim_util.h"

int main(void);

static const struct sim_applet_ops *const apps[] = { &sim_duress_applet };
static const uint8_t atr[] = { 0x3B, 0x80, 0x80, 0x01, 0x01 };
static const struct sim_personality pers = { "flexsecure", 1, atr, sizeof(atr), apps, 1 };

#define SEL "00A4040008F044555245535301"
#define ZERO32 "0000000000000000000000000000000000000000000000000000000000000000"
#define KEY0 "1111111111111111111111111111111111111111111111111111111111111111"
#define KEY1 "2222222222222222222222222222222222222222222222222222222222222222"

static void admin_setup(struct sim_card *c, struct sim_rbuf *r)
{
	CHECK(test_tx(c, SEL, r) == 0x9000);
	CHECK(test_tx(c, "0021000001", r) == 0x9000 && r->len == 3 && r->p[0] == 0xFF);
	CHECK(test_tx(c, "00FF000003", r) == 0x9000 && r->len == 5 && r->p[0] == 0x01);
	CHECK(test_tx(c, "0020000004" "31323334", r) == 0x6982);      /* no PIN set yet */
	CHECK(test_tx(c, "0041000004" "31323334", r) == 0x6982);      /* not admin */
	CHECK(test_tx(c, "0060000020" KEY0, r) == 0x6982);            /* wrong admin key */
	CHECK(test_tx(c, "0060000020" ZERO32, r) == 0x9000);          /* factory admin key */
	CHECK(test_tx(c, "0041000004" "31323334", r) == 0x9000);      /* primary 1234 */
	CHECK(test_tx(c, "0041010004" "39393939", r) == 0x9000);      /* decoy 9999 */
	CHECK(test_tx(c, "0041020004" "30303030", r) == 0x9000);      /* burn 0000 */
	CHECK(test_tx(c, "0040000020" KEY0, r) == 0x9000);
	CHECK(test_tx(c, "0040010020" KEY1, r) == 0x9000);
	CHECK(test_tx(c, "0041030004" "31323334", r) == 0x6A86);
	CHECK(test_tx(c, "00410000033132", r) == 0x6700);
	CHECK(sim_card_take_dirty(c) == 1);
}

static int hmac_is(const struct sim_rbuf *r, uint8_t keybyte, const char *msg)
{
	uint8_t key[32], mac[32];
	unsigned int n = 0;

	memset(key, keybyte, sizeof(key));
	HMAC(EVP_sha256(), key, 32, (const uint8_t *)msg, strlen(msg), mac, &n);
	return r->len == 34 && memcmp(r->p, mac, 32) == 0;
}

static void contexts(struct sim_card *c, struct sim_rbuf *r)
{
	sim_card_power_loss(c);                                        /* admin session gone */
	CHECK(test_tx(c, SEL, r) == 0x9000);
	CHECK(test_tx(c, "0041000004" "31313131", r) == 0x6982);
	CHECK(test_tx(c, "0030000003616263", r) == 0x6985);            /* no context */
	CHECK(test_tx(c, "0020000004" "31323334", r) == 0x9000);
	CHECK(test_tx(c, "0021000001", r) == 0x9000 && r->p[0] == 0x00);
	CHECK(test_tx(c, "0030000003616263", r) == 0x9000 && hmac_is(r, 0x11, "abc"));
	CHECK(test_tx(c, "0030000000", r) == 0x6700);
	CHECK(test_tx(c, "0040010020" KEY0, r) == 0x6982);             /* not its context */
	CHECK(test_tx(c, "0020000004" "39393939", r) == 0x9000);      /* decoy */
	CHECK(test_tx(c, "0021000001", r) == 0x9000 && r->p[0] == 0x01);
	CHECK(test_tx(c, "0030000003616263", r) == 0x9000 && hmac_is(r, 0x22, "abc"));
	/* the decoy holder may set its own PIN equal to the primary's: no oracle, decoy wins */
	CHECK(test_tx(c, "0041010004" "31323334", r) == 0x9000);
	CHECK(test_tx(c, "0020000004" "31323334", r) == 0x9000);
	CHECK(test_tx(c, "0021000001", r) == 0x9000 && r->p[0] == 0x01);
}

static void counters(struct sim_card *c, struct sim_rbuf *r)
{
	CHECK(test_tx(c, "0020000004" "35353535", r) == 0x6982);      /* all counters 3 -> 2 */
	CHECK(test_tx(c, "0021000001", r) == 0x9000 && r->p[0] == 0xFF);   /* context dropped */
	CHECK(test_tx(c, "0020000004" "35353535", r) == 0x6982);      /* -> 1 */
	CHECK(test_tx(c, "0020000004" "30303030", r) == 0x9000);      /* burn refilled, others 1 */
	CHECK(test_tx(c, "0020000004" "35353535", r) == 0x6982);      /* primary/decoy -> 0 */
	CHECK(test_tx(c, "0020000004" "31323334", r) == 0x6983);      /* decoy PIN: blocked */
	CHECK(test_tx(c, "0020000004" "30303030", r) == 0x9000);      /* burn still works */
	CHECK(test_tx(c, "0020000004" "35353535", r) == 0x6982);
	CHECK(test_tx(c, "0020000004" "35353535", r) == 0x6982);
	CHECK(test_tx(c, "0020000004" "35353535", r) == 0x6982);
	CHECK(test_tx(c, "0020000004" "30303030", r) == 0x6983);      /* everything blocked */
	CHECK(test_tx(c, "0020000004" "35353535", r) == 0x6983);
	/* admin resets the primary: random key, no PIN until set again */
	CHECK(test_tx(c, "00420000", r) == 0x6982);
	CHECK(test_tx(c, "0060000020" ZERO32, r) == 0x9000);
	CHECK(test_tx(c, "00420000", r) == 0x9000);
	CHECK(test_tx(c, "0041000004" "34333231", r) == 0x9000);      /* primary 4321 */
}

static void persist(struct sim_card *c, struct sim_rbuf *r)
{
	struct sim_rbuf b = { NULL, 0, 0 };
	struct sim_card *c2 = NULL;
	char why[128];

	CHECK(sim_state_encode(c, &b) == 0);
	CHECK(sim_card_new(&pers, &c2) == 0);
	CHECK(sim_state_decode(b.p, b.len, c2, why, sizeof(why)) == 0);
	CHECK(test_tx(c2, SEL, r) == 0x9000);
	CHECK(test_tx(c2, "0021000001", r) == 0x9000 && r->p[0] == 0xFF);  /* volatile: none */
	CHECK(test_tx(c2, "0020000004" "34333231", r) == 0x9000);
	CHECK(test_tx(c2, "0021000001", r) == 0x9000 && r->p[0] == 0x00);
	CHECK(test_tx(c2, "0020000004" "31323334", r) == 0x6983);   /* decoy still blocked */
	CHECK(test_tx(c2, "0021000001", r) == 0x9000 && r->p[0] == 0xFF);
	sim_card_free(&c2);
	sim_rbuf_free(&b);
}

int main(void)
{
	struct sim_rbuf r = { NULL, 0, 0 };
	struct sim_card *c = NULL;

	if (sim_card_new(&pers, &c) != 0)
		return 1;
	admin_setup(c, &r);
	contexts(c, &r);
	counters(c, &r);
	persist(c, &r);
	sim_card_free(&c);
	sim_rbuf_free(&r);
	if (test_failures)
		fprintf(stderr, "%d check(s) failed\n", test_failures);
	return test_failures ? 1 : 0;
}
