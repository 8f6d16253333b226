/* fuzz_p11_sexp.c — libFuzzer harness for the READKEY S-expression parser. */
#include <stddef.h>
#include <stdint.h>

#include "p11.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct p11_pubkey k;

	if (p11_sexp_pubkey(data, size, &k) == 0)
		p11_pubkey_clear(&k);
	return 0;
}
