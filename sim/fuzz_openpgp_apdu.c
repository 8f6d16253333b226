/* fuzz_openpgp_apdu.c — libFuzzer harness for the OpenPGP applet's command parsers: the input is
 * a stream of commands (INS, P1, P2, Lc, data[Lc]) run against one card on which PW1 and PW3
 * were verified, so key import, PUT DATA, PSO and the TLV readers are all reachable. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "openpgp_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_random(uint8_t *buf, size_t n)
{
	memset(buf, 0xA5, n);
}

static int
is_rsa_keygen(const struct opgp_state *s, uint8_t ins, uint8_t p1, const uint8_t *d, size_t n)
{
	int ref;

	if (ins != 0x47 || p1 != 0x80 || opgp_crt_key_ref(d, n, &ref) != 0)
		return 0;
	/* RSA generation takes 0.1 s to seconds: too slow for fuzzing, and not a parser */
	return opgp_algo_kind(s->algo[ref], s->algo_len[ref]) == OPGP_ALG_RSA;
}

static void
run(struct opgp_state *s, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *d, size_t n)
{
	struct sim_env env = { .dirty = 0, .random = fuzz_random };
	struct sim_rbuf r = { NULL, 0, 0 };
	struct sim_apdu a = { 0x00, ins, p1, p2, d, n, 256, 0 };

	if (!is_rsa_keygen(s, ins, p1, d, n))
		(void)sim_openpgp_applet.process(s, &a, &r, &env);
	free(r.p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct opgp_state *s = sim_openpgp_applet.create();
	size_t off = 0, n;

	if (s == NULL)
		return 0;
	run(s, 0x20, 0x00, 0x81, (const uint8_t *)"123456", 6);
	run(s, 0x20, 0x00, 0x82, (const uint8_t *)"123456", 6);
	run(s, 0x20, 0x00, 0x83, (const uint8_t *)"12345678", 8);
	while (size - off >= 4) {
		n = data[off + 3];
		if (n > size - off - 4)
			n = size - off - 4;
		run(s, data[off], data[off + 1], data[off + 2], data + off + 4, n);
		off += 4 + n;
	}
	sim_openpgp_applet.destroy(s);
	return 0;
}
