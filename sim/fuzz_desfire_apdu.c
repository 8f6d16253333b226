/* fuzz_desfire_apdu.c — libFuzzer harness for the simulated DESFire's command parsers: the input
 * is a series of APDUs (2-byte big-endian length + bytes) fed to one card, then its image is
 * saved and loaded back, and the raw input is also offered to the image loader. */
#include <stdint.h>
#include <string.h>

#include "desfire_int.h"
#include "sim_core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fixed_rng(uint8_t *buf, size_t n)
{
	memset(buf, 0x42, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct sim_applet_ops *ops = &sim_desfire_card;
	struct sim_env env = { .dirty = 0, .random = fixed_rng };
	struct sim_rbuf r = { NULL, 0, 0 }, img = { NULL, 0, 0 };
	struct sim_apdu a;
	void *st = ops->create(), *st2 = ops->create();
	size_t off = 0, n;

	if (st == NULL || st2 == NULL)
		goto out;
	(void)ops->load(st2, data, size);
	while (size - off >= 2) {
		n = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (n > size - off)
			n = size - off;
		sim_rbuf_clear(&r);
		r.len = 0;
		if (sim_apdu_parse(data + off, n, &a) == 0)
			(void)ops->process(st, &a, &r, &env);
		off += n;
	}
	if (ops->save(st, &img) == 0 && ops->load(st2, img.p, img.len) != 0)
		__builtin_trap();   /* a saved image must load */
out:
	if (st != NULL)
		ops->destroy(st);
	if (st2 != NULL)
		ops->destroy(st2);
	sim_rbuf_free(&r);
	sim_rbuf_free(&img);
	return 0;
}
