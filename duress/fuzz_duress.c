/* fuzz_duress.c — the DuressApplet answer parsers (GET_CONTEXT_ID, VERSION, CHALLENGE). */
#include <stdint.h>
#include <stdlib.h>

#include "duress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct duress_version v;
	uint8_t ctx, mac[DURESS_MAC_LEN];

	if (duress_parse_ctx_id(data, size, &ctx) == 0 &&
	    (size != 1 || (ctx >= DURESS_NCTX && ctx != DURESS_CTX_NONE)))
		abort();
	if (duress_parse_version(data, size, &v) == 0 && size != 2 && size != 3)
		abort();
	if (duress_parse_mac(data, size, mac) == 0 && size != DURESS_MAC_LEN)
		abort();
	return 0;
}
