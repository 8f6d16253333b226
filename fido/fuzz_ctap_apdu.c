/* fuzz_ctap_apdu.c — the command-APDU parser of the U2F relay (bytes from a socket client). */
#include <stdint.h>
#include <stdlib.h>

#include "ctap_iso.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctap_iso_apdu a;

	if (ctap_iso_parse_apdu(data, size, &a) == 0 &&
	    (a.lc > size || (a.lc > 0 && (a.data < data || a.data + a.lc > data + size))))
		abort();
	return 0;
}
