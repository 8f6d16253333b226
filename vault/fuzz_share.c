/* libFuzzer harness for the printable share parser: any input that parses must format back
 * to a string that parses to the same share. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vault/vault.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vault_share s, t;
	char text[VAULT_SHARE_TEXT_MAX];
	char *in;

	if (size > 4096 || (in = malloc(size + 1)) == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	if (vault_share_parse(in, &s) == 0) {
		if (vault_share_format(&s, text) != 0 || vault_share_parse(text, &t) != 0 ||
		    memcmp(&s, &t, sizeof(s)) != 0)
			abort();
	}
	free(in);
	return 0;
}
