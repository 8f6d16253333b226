/* fuzz_p11_vault_line.c — libFuzzer harness for the vault lines skinkeyd sends (VAULT_CRED,
 * VAULT_ID) and for the escaping of names: an escaped name never holds a space. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "p11.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct p11_vcred c;
	char *line, esc[800];
	uint64_t id;

	if ((line = malloc(size + 1)) == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (p11_vault_parse_cred(line, &c) == 0) {
		if (memchr(c.site, '\0', sizeof(c.site)) == NULL || strchr(c.site, '\n') != NULL)
			abort();
		if (p11_vault_escape(c.site, esc, sizeof(esc)) == 0 && strchr(esc, ' ') != NULL)
			abort();
	}
	(void)p11_vault_parse_id(line, &id);
	if (p11_vault_escape(line, esc, sizeof(esc)) == 0 && strpbrk(esc, " +\n") != NULL)
		abort();
	free(line);
	return 0;
}
