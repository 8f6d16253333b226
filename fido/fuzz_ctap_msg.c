/* fuzz_ctap_msg.c — what skinkeyd's CTAP relay reads in a client's message (fido/ctap_msg.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctap_iso.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char rp[64];
	size_t k, i;
	int sub = ctap_msg_pin_subcommand(data, size);

	if (sub > 0x17 || (ctap_msg_carries_pin(data, size) && (size == 0 || data[0] != 0x06)))
		abort();
	(void)ctap_msg_changes_info(data, size);
	ctap_msg_rp_id(data, size, rp, sizeof(rp));
	k = strlen(rp);
	if (k >= sizeof(rp))
		abort();
	for (i = 0; i < k; i++)
		if (rp[i] < 0x20 || rp[i] > 0x7E)
			abort();
	return 0;
}
