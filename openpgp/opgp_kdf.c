/* opgp_kdf.c — the KDF-DO transform of PINs: OpenPGP iterated+salted S2K (RFC 4880 3.7.1.3)
 * through libgcrypt, so a PIN never travels in clear when the card asks for it. */
#include <string.h>

#include <gcrypt.h>

#include "log.h"
#include "opgp_int.h"
#include "sk_err.h"

static void gcrypt_init_once(void)
{
	if (gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P))
		return;
	(void)gcry_check_version(NULL);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
}

static const uint8_t *kdf_salt_for(const struct opgp_kdf *kdf, uint8_t ref)
{
	if (ref == OPGP_PW3 && kdf->has_salt_pw3)
		return kdf->salt_pw3;
	if (ref == OPGP_RC && kdf->has_salt_rc)
		return kdf->salt_rc;
	return kdf->salt_pw1;   /* the spec's default when a specific salt is absent */
}

static int copy_plain(const char *pin, size_t len, uint8_t *out, size_t out_cap, size_t *out_len)
{
	if (len > out_cap)
		return SK_ERR_PIN_FORMAT;
	memcpy(out, pin, len);
	*out_len = len;
	return 0;
}

int opgp_kdf_apply(const struct opgp_kdf *kdf, uint8_t ref, const char *pin, size_t len,
    uint8_t *out, size_t out_cap, size_t *out_len)
{
	int md;
	size_t dlen;
	gpg_error_t e;

	if (out_len == NULL || out == NULL || (pin == NULL && len != 0))
		return SK_ERR_ARG;
	*out_len = 0;
	if (kdf == NULL || kdf->algo == OPGP_KDF_NONE)
		return copy_plain(pin, len, out, out_cap, out_len);
	if (kdf->algo != OPGP_KDF_ITERSALTED_S2K || !kdf->has_salt_pw1 || kdf->iterations == 0)
		return SK_ERR_UNSUPPORTED;
	md = kdf->hash == OPGP_KDF_HASH_SHA512 ? GCRY_MD_SHA512 : GCRY_MD_SHA256;
	if (kdf->hash != OPGP_KDF_HASH_SHA256 && kdf->hash != OPGP_KDF_HASH_SHA512)
		return SK_ERR_UNSUPPORTED;
	dlen = md == GCRY_MD_SHA512 ? 64 : 32;
	if (dlen > out_cap)
		return SK_ERR_ARG;
	gcrypt_init_once();
	e = gcry_kdf_derive(pin, len, GCRY_KDF_ITERSALTED_S2K, md, kdf_salt_for(kdf, ref), 8,
	    kdf->iterations, dlen, out);
	if (e != 0) {
		sk_warn("openpgp: KDF derivation failed: %s", gcry_strerror(e));
		return SK_ERR_CRYPTO;
	}
	*out_len = dlen;
	return 0;
}
