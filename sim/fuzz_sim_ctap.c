/* fuzz_sim_ctap.c — one CTAP2 message (command byte + CBOR) straight into the FIDO2 applet
 * through an extended NFCCTAP_MSG APDU: the CBOR reader, every request parser, clientPIN. */
#include <stdint.h>
#include <string.h>

#include "sim_core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t sel[] = { 0x00, 0xA4, 0x04, 0x00, 0x08, 0xA0, 0x00, 0x00, 0x06, 0x47,
		0x2F, 0x00, 0x01 };
	const struct sim_personality *p = sim_personality_find("flexsecure");
	static uint8_t apdu[7 + 65535 + 2];
	struct sim_rbuf resp = { NULL, 0, 0 };
	struct sim_card *c = NULL;

	if (size == 0 || size > 65535 || p == NULL || sim_card_new(p, &c) != 0)
		return 0;
	memcpy(apdu, "\x80\x10\x00\x00\x00", 5);
	apdu[5] = (uint8_t)(size >> 8);
	apdu[6] = (uint8_t)size;
	memcpy(apdu + 7, data, size);
	apdu[7 + size] = 0;
	apdu[8 + size] = 0;
	(void)sim_card_transmit(c, sel, sizeof(sel), &resp);
	if (sim_card_transmit(c, apdu, size + 9, &resp) != SIM_TX_ANSWER || resp.len < 2)
		__builtin_trap();
	/* a second message on the same card: the state the first one left must hold up */
	(void)sim_card_transmit(c, apdu, size + 9, &resp);
	sim_card_free(&c);
	sim_rbuf_free(&resp);
	return 0;
}
