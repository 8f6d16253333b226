/* fuzz_opgp_pubkey.c — the 7F49 public key parser for each algorithm the card may announce
 * (first input byte picks it), then what consumers do with an accepted key: OpenSSL
 * conversion and the v4 fingerprint. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "openpgp.h"
#include "sk_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct opgp_algo_attr attrs[] = {
	{ OPGP_ALGO_ID_RSA, 2048, 32, 0, OPGP_CURVE_NONE, { 0 }, 0 },
	{ OPGP_ALGO_ID_ECDSA, 0, 0, 0, OPGP_CURVE_P256,
	  { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07 }, 8 },
	{ OPGP_ALGO_ID_ECDH, 0, 0, 0, OPGP_CURVE_P384, { 0x2B, 0x81, 0x04, 0x00, 0x22 }, 5 },
	{ OPGP_ALGO_ID_EDDSA, 0, 0, 0, OPGP_CURVE_ED25519,
	  { 0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01 }, 9 },
	{ OPGP_ALGO_ID_ECDH, 0, 0, 0, OPGP_CURVE_X25519,
	  { 0x2B, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01 }, 10 },
	{ OPGP_ALGO_ID_ECDSA, 0, 0, 0, OPGP_CURVE_OTHER, { 0x2B, 0x24 }, 2 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct opgp_pubkey pk;
	EVP_PKEY *k = NULL;
	uint8_t fpr[20];

	if (size < 1)
		return 0;
	if (opgp_parse_pubkey(data + 1, size - 1, &attrs[data[0] % 6], &pk) != 0)
		return 0;
	if (pk.n_len > sizeof(pk.n) || pk.e_len > sizeof(pk.e) || pk.point_len > sizeof(pk.point))
		abort();
	if (opgp_pubkey_to_evp(&pk, &k) == 0 && k == NULL)
		abort();
	EVP_PKEY_free(k);
	(void)opgp_fingerprint_v4(&pk, 1577836800u, fpr);
	return 0;
}
