/* sk_util.c — skinkey-sk.so's shared parts: OpenSSH's options, opening the chip's FIDO applet
 * through skinkeyd (which waits for the tap up to its tap-timeout instead of failing when the
 * implant is not in the field), error mapping and messages. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sk_err.h"
#include "sk_int.h"

void skp_say(const char *fmt, ...)
{
	va_list ap;

	fputs("skinkey-sk: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int skp_opts_parse(struct sk_option **options, struct skp_opts *o)
{
	size_t i, k = strlen(SKFIDO_PATH_PREFIX);
	const char *v;

	memset(o, 0, sizeof(*o));
	o->user_id_len = SKP_USER_ID_LEN;          /* 32 zero bytes, as OpenSSH's own provider */
	for (i = 0; options != NULL && options[i] != NULL; i++) {
		v = options[i]->value != NULL ? options[i]->value : "";
		if (strcmp(options[i]->name, "device") == 0) {
			if (strncmp(v, SKFIDO_PATH_PREFIX, k) == 0)
				v += k;
			if (strlen(v) >= sizeof(o->chip)) {
				skp_say("device name too long: %s", v);
				return SSH_SK_ERR_GENERAL;
			}
			snprintf(o->chip, sizeof(o->chip), "%s", v);
		} else if (strcmp(options[i]->name, "user") == 0) {
			if (strlen(v) > SKP_USER_ID_LEN) {
				skp_say("user id longer than %d bytes", SKP_USER_ID_LEN);
				return SSH_SK_ERR_GENERAL;
			}
			memset(o->user_id, 0, sizeof(o->user_id));
			memcpy(o->user_id, v, strlen(v));
			o->user_id_len = strlen(v) ? strlen(v) : SKP_USER_ID_LEN;
		} else if (options[i]->required) {
			skp_say("option %s is not supported", options[i]->name);
			return SSH_SK_ERR_UNSUPPORTED;
		}
	}
	return 0;
}

static int transport_err(int e)
{
	switch (e) {
	case SK_ERR_TIMEOUT:
		skp_say("the implant was not tapped within skinkeyd's tap-timeout");
		return SSH_SK_ERR_DEVICE_NOT_FOUND;
	case SK_ERR_NO_CARD: case SK_ERR_NO_READER: case SK_ERR_NOT_FOUND:
		skp_say("no FIDO2-capable chip known to skinkeyd (%s)", sk_strerror(e));
		return SSH_SK_ERR_DEVICE_NOT_FOUND;
	case SK_ERR_CARD_REMOVED:
		skp_say("the implant left the reader during the operation: tap again");
		return SSH_SK_ERR_DEVICE_NOT_FOUND;
	case SK_ERR_CARD_RESET:
		skp_say("another program used the chip during the PIN exchange: try again (no PIN retry spent)");
		return SSH_SK_ERR_GENERAL;
	case SK_ERR_IO:
		skp_say("cannot reach skinkeyd");
		return SSH_SK_ERR_DEVICE_NOT_FOUND;
	default:
		skp_say("skinkeyd: %s", sk_strerror(e));
		return SSH_SK_ERR_GENERAL;
	}
}

int skp_err(fido_dev_t *dev, const char *what, int rc)
{
	int te = skfido_dev_last_error(dev);

	if ((rc == FIDO_ERR_RX || rc == FIDO_ERR_TX || rc == FIDO_ERR_INTERNAL) && te != 0)
		return transport_err(te);
	switch (rc) {
	case FIDO_ERR_PIN_REQUIRED:
		return SSH_SK_ERR_PIN_REQUIRED;
	case FIDO_ERR_PIN_INVALID:
		skp_say("wrong PIN (one retry spent)");
		return SSH_SK_ERR_PIN_REQUIRED;
	case FIDO_ERR_PIN_AUTH_BLOCKED:
		skp_say("too many wrong PINs since the chip was powered: take it away from the reader and tap again");
		return SSH_SK_ERR_GENERAL;
	case FIDO_ERR_PIN_BLOCKED:
		skp_say("the FIDO PIN is blocked: only `skinkey fido reset` (which erases every credential) helps");
		return SSH_SK_ERR_GENERAL;
	case FIDO_ERR_CREDENTIAL_EXCLUDED:
		return SSH_SK_ERR_CREDENTIAL_EXISTS;
	case FIDO_ERR_UNSUPPORTED_ALGORITHM: case FIDO_ERR_UNSUPPORTED_OPTION:
	case FIDO_ERR_UNSUPPORTED_EXTENSION:
		skp_say("%s: the chip's FIDO2 applet does not support this (%s)", what, fido_strerr(rc));
		return SSH_SK_ERR_UNSUPPORTED;
	default:
		skp_say("%s: %s", what, fido_strerr(rc));
		return SSH_SK_ERR_GENERAL;
	}
}

int skp_open(const struct skp_opts *o, fido_dev_t **out)
{
	char path[80];
	fido_dev_t *dev;
	int rc;

	*out = NULL;
	fido_init(getenv("SKINKEY_SK_DEBUG") != NULL ? FIDO_DEBUG : 0);
	if ((dev = skfido_dev_new()) == NULL)
		return SSH_SK_ERR_GENERAL;
	snprintf(path, sizeof(path), "%s%s", SKFIDO_PATH_PREFIX, o->chip);
	if ((rc = fido_dev_open(dev, path)) != FIDO_OK) {
		rc = skp_err(dev, "open", rc);
		fido_dev_free(&dev);
		return rc;
	}
	if (!fido_dev_is_fido2(dev)) {
		skp_say("the chip's FIDO applet speaks U2F only: no ecdsa-sk keys through it");
		skp_close(&dev);
		return SSH_SK_ERR_UNSUPPORTED;
	}
	*out = dev;
	return 0;
}

void skp_close(fido_dev_t **dev)
{
	if (dev == NULL || *dev == NULL)
		return;
	fido_dev_close(*dev);
	fido_dev_free(dev);
}

int skp_has_pin(fido_dev_t *dev)
{
	return fido_dev_has_pin(dev);
}

int skp_dup(const void *p, size_t n, uint8_t **out, size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	if (n == 0 || p == NULL)
		return 0;
	if ((*out = malloc(n)) == NULL)
		return SSH_SK_ERR_GENERAL;
	memcpy(*out, p, n);
	*outlen = n;
	return 0;
}

int skp_pubkey(const unsigned char *xy, size_t len, uint8_t **out, size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	if (xy == NULL || len != 64) {
		skp_say("the chip answered a public key of %zu bytes (ES256 has 64)", len);
		return SSH_SK_ERR_GENERAL;
	}
	if ((*out = malloc(65)) == NULL)
		return SSH_SK_ERR_GENERAL;
	(*out)[0] = 0x04;
	memcpy(*out + 1, xy, 64);
	*outlen = 65;
	return 0;
}

void skp_enroll_response_free(struct sk_enroll_response *r)
{
	if (r == NULL)
		return;
	free(r->public_key);
	free(r->key_handle);
	free(r->signature);
	free(r->attestation_cert);
	free(r->authdata);
	memset(r, 0, sizeof(*r));
}
