/* fuzz_sim_state.c — the state file decoder (and each applet's load()) on arbitrary bytes;
 * the input is also re-sealed with a valid checksum so the body parser is reached. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "sim_core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void try_decode(const uint8_t *p, size_t n)
{
	const struct sim_personality *pers = sim_personality_find("flexsecure");
	struct sim_card *c = NULL;
	char why[160];

	if (pers == NULL || sim_card_new(pers, &c) != 0)
		return;
	(void)sim_state_decode(p, n, c, why, sizeof(why));
	sim_card_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *sealed;

	try_decode(data, size);
	if (size > (1u << 20) || (sealed = malloc(size + SHA256_DIGEST_LENGTH)) == NULL)
		return 0;
	memcpy(sealed, data, size);
	SHA256(data, size, sealed + size);
	try_decode(sealed, size + SHA256_DIGEST_LENGTH);
	free(sealed);
	return 0;
}
