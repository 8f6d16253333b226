/* fuzz_openpgp_state.c — libFuzzer harness for the OpenPGP applet's persistent state image
 * (load, then save and load again: what loads must round-trip). */
#include <stdint.h>
#include <stdlib.h>

#include "openpgp_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	void *s = sim_openpgp_applet.create();
	struct sim_rbuf img = { NULL, 0, 0 };

	if (s == NULL)
		return 0;
	if (sim_openpgp_applet.load(s, data, size) == 0) {
		if (sim_openpgp_applet.save(s, &img) != 0 || sim_openpgp_applet.load(s, img.p, img.len) != 0)
			abort();
	}
	free(img.p);
	sim_openpgp_applet.destroy(s);
	return 0;
}
