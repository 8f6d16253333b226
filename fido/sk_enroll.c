/* sk_enroll.c — sk_api_version and sk_enroll of skinkey-sk.so: an ES256 credential made by stock
 * libfido2 over skinkeyd, its attestation verified before OpenSSH gets it. Resident and
 * verify-required keys ask for credProtect level 3 (userVerificationRequired): the applet gives
 * every credential level 3, and libfido2 refuses an answer above the level asked. */
#include <stdlib.h>
#include <string.h>

#include "sk_int.h"

uint32_t sk_api_version(void)
{
	return SSH_SK_VERSION_MAJOR;
}

static int make_cred(fido_dev_t *dev, const uint8_t *challenge, size_t clen, const char *app,
    uint8_t flags, const struct skp_opts *o, const char *pin, fido_cred_t **out)
{
	fido_cred_t *c = fido_cred_new();
	int rc = SSH_SK_ERR_GENERAL, protect = (flags & (SSH_SK_RESIDENT_KEY |
	    SSH_SK_USER_VERIFICATION_REQD)) != 0;

	*out = NULL;
	if (c == NULL || fido_cred_set_type(c, COSE_ES256) != FIDO_OK ||
	    fido_cred_set_clientdata(c, challenge, clen) != FIDO_OK ||
	    fido_cred_set_rp(c, app, NULL) != FIDO_OK ||
	    fido_cred_set_user(c, o->user_id, o->user_id_len, "openssh", "openssh", NULL) != FIDO_OK ||
	    fido_cred_set_rk(c, (flags & SSH_SK_RESIDENT_KEY) ? FIDO_OPT_TRUE : FIDO_OPT_OMIT) != FIDO_OK)
		goto out;
	if (protect && fido_cred_set_prot(c, FIDO_CRED_PROT_UV_REQUIRED) != FIDO_OK)
		goto out;
	if ((rc = fido_dev_make_cred(dev, c, pin)) != FIDO_OK) {
		rc = skp_err(dev, "makeCredential", rc);
		goto out;
	}
	rc = fido_cred_x5c_ptr(c) != NULL ? fido_cred_verify(c) : fido_cred_verify_self(c);
	if (rc != FIDO_OK) {
		skp_say("the chip's attestation of the new key does not verify (%s)", fido_strerr(rc));
		rc = SSH_SK_ERR_GENERAL;
		goto out;
	}
	if (protect && fido_cred_prot(c) < FIDO_CRED_PROT_UV_REQUIRED) {
		skp_say("the chip did not apply credProtect to the key (level %d)", fido_cred_prot(c));
		rc = SSH_SK_ERR_GENERAL;
		goto out;
	}
	*out = c;
	c = NULL;
	rc = 0;
out:
	fido_cred_free(&c);
	return rc;
}

static int pack(const fido_cred_t *c, uint8_t flags, struct sk_enroll_response **out)
{
	struct sk_enroll_response *r = calloc(1, sizeof(*r));
	int rc = SSH_SK_ERR_GENERAL;

	if (r == NULL)
		goto out;
	/* a level-3 credential needs the PIN for every signature: say so, as OpenSSH's -K does */
	r->flags = (uint8_t)(flags | (fido_cred_prot(c) == FIDO_CRED_PROT_UV_REQUIRED ?
	    SSH_SK_USER_VERIFICATION_REQD : 0));
	if ((rc = skp_pubkey(fido_cred_pubkey_ptr(c), fido_cred_pubkey_len(c), &r->public_key,
	    &r->public_key_len)) != 0 ||
	    (rc = skp_dup(fido_cred_id_ptr(c), fido_cred_id_len(c), &r->key_handle,
	    &r->key_handle_len)) != 0 ||
	    (rc = skp_dup(fido_cred_sig_ptr(c), fido_cred_sig_len(c), &r->signature,
	    &r->signature_len)) != 0 ||
	    (rc = skp_dup(fido_cred_x5c_ptr(c), fido_cred_x5c_len(c), &r->attestation_cert,
	    &r->attestation_cert_len)) != 0 ||
	    (rc = skp_dup(fido_cred_authdata_ptr(c), fido_cred_authdata_len(c), &r->authdata,
	    &r->authdata_len)) != 0)
		goto out;
	if (r->key_handle_len == 0) {
		skp_say("the chip answered an empty credential id");
		rc = SSH_SK_ERR_GENERAL;
		goto out;
	}
	*out = r;
	r = NULL;
	rc = 0;
out:
	if (r != NULL) {
		skp_enroll_response_free(r);
		free(r);
	}
	return rc;
}

int sk_enroll(uint32_t alg, const uint8_t *challenge, size_t challenge_len,
    const char *application, uint8_t flags, const char *pin,
    struct sk_option **options, struct sk_enroll_response **enroll_response)
{
	struct skp_opts o;
	fido_dev_t *dev = NULL;
	fido_cred_t *c = NULL;
	int rc;

	if (enroll_response == NULL)
		return SSH_SK_ERR_GENERAL;
	*enroll_response = NULL;
	if (alg == SSH_SK_ED25519) {
		skp_say("the implant's FIDO2 applet has no Ed25519 (ES256 only): use -t ecdsa-sk");
		return SSH_SK_ERR_UNSUPPORTED;
	}
	if (alg != SSH_SK_ECDSA || challenge == NULL || application == NULL)
		return SSH_SK_ERR_UNSUPPORTED;
	if ((rc = skp_opts_parse(options, &o)) != 0 || (rc = skp_open(&o, &dev)) != 0)
		return rc;
	/* the chip would refuse makeCredential without the PIN: let OpenSSH ask for it first */
	if ((pin == NULL || *pin == '\0') && skp_has_pin(dev)) {
		rc = SSH_SK_ERR_PIN_REQUIRED;
		goto out;
	}
	/* a level-3 credential answers only with user verification: without a PIN it is unusable */
	if ((flags & (SSH_SK_RESIDENT_KEY | SSH_SK_USER_VERIFICATION_REQD)) && !skp_has_pin(dev)) {
		skp_say("resident and verify-required keys need a FIDO PIN on the chip: "
		    "set one with `skinkey fido pin set` first");
		rc = SSH_SK_ERR_UNSUPPORTED;
		goto out;
	}
	if ((rc = make_cred(dev, challenge, challenge_len, application, flags, &o,
	    pin != NULL && *pin ? pin : NULL, &c)) != 0)
		goto out;
	rc = pack(c, flags, enroll_response);
out:
	fido_cred_free(&c);
	skp_close(&dev);
	return rc;
}
