/* sk_sign.c — sk_sign of skinkey-sk.so: one getAssertion with the key handle, the signature
 * handed to OpenSSH as r and s. A key that needs the PIN (verify-required, or credProtect level 3
 * as every resident key here) on a chip with a PIN answers SSH_SK_ERR_PIN_REQUIRED before any
 * APDU when OpenSSH gave none, so that ssh prompts and the login costs no failed assertion. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>

#include "sk_int.h"

static int split_sig(const unsigned char *der, size_t len, struct sk_sign_response *r)
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = NULL;
	const BIGNUM *br = NULL, *bs = NULL;
	int rc = SSH_SK_ERR_GENERAL;

	if (der == NULL || len == 0 || len > 256 || (sig = d2i_ECDSA_SIG(NULL, &p, (long)len)) == NULL ||
	    p != der + len) {
		skp_say("the chip answered a malformed ECDSA signature");
		goto out;
	}
	ECDSA_SIG_get0(sig, &br, &bs);
	r->sig_r_len = (size_t)BN_num_bytes(br);
	r->sig_s_len = (size_t)BN_num_bytes(bs);
	if (r->sig_r_len == 0 || r->sig_r_len > 32 || r->sig_s_len == 0 || r->sig_s_len > 32 ||
	    (r->sig_r = calloc(1, r->sig_r_len)) == NULL || (r->sig_s = calloc(1, r->sig_s_len)) == NULL)
		goto out;
	BN_bn2bin(br, r->sig_r);
	BN_bn2bin(bs, r->sig_s);
	rc = 0;
out:
	ECDSA_SIG_free(sig);
	return rc;
}

static int get_assert(fido_dev_t *dev, const uint8_t *data, size_t dlen, const char *app,
    const uint8_t *kh, size_t khlen, uint8_t flags, const char *pin, fido_assert_t **out)
{
	fido_assert_t *a = fido_assert_new();
	int rc = SSH_SK_ERR_GENERAL;

	*out = NULL;
	if (a == NULL || fido_assert_set_clientdata(a, data, dlen) != FIDO_OK ||
	    fido_assert_set_rp(a, app) != FIDO_OK || fido_assert_allow_cred(a, kh, khlen) != FIDO_OK ||
	    fido_assert_set_up(a, (flags & SSH_SK_USER_PRESENCE_REQD) ? FIDO_OPT_TRUE :
	    FIDO_OPT_FALSE) != FIDO_OK)
		goto out;
	if ((rc = fido_dev_get_assert(dev, a, pin)) != FIDO_OK) {
		/* a credProtect-3 credential is invisible without the PIN */
		if (rc == FIDO_ERR_NO_CREDENTIALS && pin == NULL && skp_has_pin(dev))
			rc = SSH_SK_ERR_PIN_REQUIRED;
		else if (rc == FIDO_ERR_NO_CREDENTIALS) {
			skp_say("this chip does not hold the key (made on another chip, or erased by a reset)");
			rc = SSH_SK_ERR_DEVICE_NOT_FOUND;
		} else
			rc = skp_err(dev, "getAssertion", rc);
		goto out;
	}
	if (fido_assert_count(a) != 1) {
		skp_say("the chip answered %zu assertions for one key handle", fido_assert_count(a));
		rc = SSH_SK_ERR_GENERAL;
		goto out;
	}
	*out = a;
	a = NULL;
	rc = 0;
out:
	fido_assert_free(&a);
	return rc;
}

int sk_sign(uint32_t alg, const uint8_t *data, size_t data_len,
    const char *application, const uint8_t *key_handle, size_t key_handle_len,
    uint8_t flags, const char *pin, struct sk_option **options,
    struct sk_sign_response **sign_response)
{
	struct sk_sign_response *r = NULL;
	struct skp_opts o;
	fido_dev_t *dev = NULL;
	fido_assert_t *a = NULL;
	int rc;

	if (sign_response == NULL)
		return SSH_SK_ERR_GENERAL;
	*sign_response = NULL;
	if (alg != SSH_SK_ECDSA) {
		skp_say("the implant's FIDO2 applet signs with ES256 (ecdsa-sk) only");
		return SSH_SK_ERR_UNSUPPORTED;
	}
	if (data == NULL || application == NULL || key_handle == NULL || key_handle_len == 0)
		return SSH_SK_ERR_GENERAL;
	if (pin != NULL && *pin == '\0')
		pin = NULL;
	if ((rc = skp_opts_parse(options, &o)) != 0 || (rc = skp_open(&o, &dev)) != 0)
		return rc;
	if (pin == NULL && skp_has_pin(dev) &&
	    (flags & (SSH_SK_USER_VERIFICATION_REQD | SSH_SK_RESIDENT_KEY)) != 0) {
		rc = SSH_SK_ERR_PIN_REQUIRED;
		goto out;
	}
	if ((rc = get_assert(dev, data, data_len, application, key_handle, key_handle_len, flags, pin,
	    &a)) != 0)
		goto out;
	rc = SSH_SK_ERR_GENERAL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		goto out;
	r->flags = fido_assert_flags(a, 0);
	r->counter = fido_assert_sigcount(a, 0);
	if ((rc = split_sig(fido_assert_sig_ptr(a, 0), fido_assert_sig_len(a, 0), r)) != 0)
		goto out;
	*sign_response = r;
	r = NULL;
out:
	if (r != NULL) {
		free(r->sig_r);
		free(r->sig_s);
		free(r);
	}
	fido_assert_free(&a);
	skp_close(&dev);
	return rc;
}
