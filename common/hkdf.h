/* hkdf.h — HKDF-SHA256 (RFC 5869) through OpenSSL 3's EVP_KDF, for every key skinkey derives
 * (vault credentials, duress contexts' records and the guard's context key). */
#ifndef SK_HKDF_H
#define SK_HKDF_H

#include <stddef.h>
#include <stdint.h>

/* out[out_len] = HKDF-SHA256(ikm, salt, info). salt_len 0: no salt (HashLen zero bytes,
 * RFC 5869 §2.2). 0, SK_ERR_ARG (no ikm) or SK_ERR_CRYPTO (logged). */
int sk_hkdf_sha256(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt, size_t salt_len,
    const void *info, size_t info_len, uint8_t *out, size_t out_len);

#endif
