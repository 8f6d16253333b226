/* fuzz_sim_apdu.c — arbitrary command streams against the flexSecure personality: the APDU
 * decoder, SELECT, chaining, GET RESPONSE, the malformed hooks and every applet's process().
 * Input: first byte = malformed mode (mod 7) and answer encoding (/ 7 mod 3), then frames of [len u8][len bytes]. Afterwards
 * the card's state must survive an encode/decode round trip. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sim_core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(struct sim_card *c)
{
	struct sim_rbuf b = { NULL, 0, 0 };
	struct sim_card *c2 = NULL;
	char why[160];

	if (sim_state_encode(c, &b) != 0)
		goto out;
	if (sim_card_new(sim_card_personality(c), &c2) != 0)
		goto out;
	if (sim_state_decode(b.p, b.len, c2, why, sizeof(why)) != 0) {
		fprintf(stderr, "state round trip failed: %s\n", why);
		__builtin_trap();
	}
out:
	sim_card_free(&c2);
	sim_rbuf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct sim_personality *p = sim_personality_find("flexsecure");
	struct sim_rbuf resp = { NULL, 0, 0 };
	struct sim_card *c = NULL;
	size_t off = 1;

	if (size < 1 || p == NULL || sim_card_new(p, &c) != 0)
		return 0;
	sim_card_set_malformed(c, (enum sim_malformed)(data[0] % 7));
	sim_set_encoding((enum sim_encoding)(data[0] / 7 % 3));
	while (off < size) {
		size_t n = data[off++];

		if (n > size - off)
			n = size - off;
		if (sim_card_transmit(c, data + off, n, &resp) == SIM_TX_CUT)
			sim_card_power_loss(c);
		else if (resp.len < 2)
			__builtin_trap();    /* every answer carries a status word */
		off += n;
	}
	roundtrip(c);
	sim_card_free(&c);
	sim_rbuf_free(&resp);
	return 0;
}
