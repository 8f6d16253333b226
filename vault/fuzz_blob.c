/* libFuzzer harness for the credential blob parser (vault_cred_decrypt / vault_unwrap):
 * byte 0 picks the type, the rest is the blob. A blob that authenticates under the fixed
 * key must round-trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vault/vault.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[VAULT_KEY_LEN] = { 0x42 };
	uint8_t *pt = NULL;
	size_t len = 0;
	int type;

	if (size < 1)
		return 0;
	type = data[0] % 6;
	if (vault_cred_decrypt(key, type, 1, "user", "site", data + 1, size - 1, &pt, &len) == 0) {
		if (len + VAULT_BLOB_OVERHEAD != size - 1)
			abort();
		vault_secret_free(&pt, len);
	}
	if (vault_unwrap(key, "ctx", data + 1, size - 1, &pt, &len) == 0)
		vault_secret_free(&pt, len);
	return 0;
}
