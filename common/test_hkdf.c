/* test_hkdf.c — sk_hkdf_sha256 against RFC 5869's SHA-256 test cases 1 and 3, and its refusals. */
#include <stdio.h>
#include <string.h>

#include "common/hkdf.h"
#include "common/log.h"
#include "common/sk_err.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s)\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = strlen(h) / 2;
	unsigned v;

	for (size_t i = 0; i < n; i++) {
		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			return 0;
		out[i] = (uint8_t)v;
	}
	return n;
}

static void quiet(int level, const char *line, void *arg)
{
	(void)level; (void)line; (void)arg;
}

int main(void)
{
	uint8_t ikm[64], salt[64], info[64], okm[64], want[64];
	size_t il, sl, nl, wl;

	sk_log_set_sink(quiet, NULL);
	/* RFC 5869 A.1 */
	il = unhex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", ikm);
	sl = unhex("000102030405060708090a0b0c", salt);
	nl = unhex("f0f1f2f3f4f5f6f7f8f9", info);
	wl = unhex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
	    "34007208d5b887185865", want);
	CHECK(sk_hkdf_sha256(ikm, il, salt, sl, info, nl, okm, wl) == 0 && memcmp(okm, want, wl) == 0);
	/* RFC 5869 A.3: no salt, no info */
	wl = unhex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
	    "9d201395faa4b61a96c8", want);
	CHECK(sk_hkdf_sha256(ikm, il, NULL, 0, "", 0, okm, wl) == 0 && memcmp(okm, want, wl) == 0);
	CHECK(sk_hkdf_sha256(NULL, 0, NULL, 0, "", 0, okm, 32) == SK_ERR_ARG);
	CHECK(sk_hkdf_sha256(ikm, il, NULL, 0, "", 0, okm, 0) == SK_ERR_ARG);
	return failures ? 1 : 0;
}
