/* check_relay.c — fido_check_relay, a test driver (not installed): stock libfido2 over
 * libskfido's transport and skinkeyd's CTAP command, for tests/integration/fido_relay.sh.
 *
 *   fido_check_relay info                  versions and clientPin option
 *   fido_check_relay cred [PIN]            make an ES256 credential, verify its attestation, get an
 *                                          assertion with it and verify the signature
 *   fido_check_relay setpin PIN
 *   fido_check_relay retries               PIN retries left
 *   fido_check_relay keyagree-then CMD     getKeyAgreement, then runs CMD (sh -c), then a raw
 *                                          getPinToken: prints the relay's answer or error
 *   fido_check_relay cancel-at-prompt      a clientPIN getRetries cancelled (skfido_conn_cancel)
 *                                          when skinkeyd asks for the tap
 *   fido_check_relay cancel-at-keepalive   the same at the chip's first 9100 keep-alive
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sk_err.h"
#include "fido/fido.h"

#include <fido/es256.h>

static const unsigned char cdh[32] = "skinkey relay check client data";
static const unsigned char uid[] = "user-1";

static void on_status(void *arg, const char *kw, const char *rest)
{
	(void)arg;
	fprintf(stderr, "# %s %s\n", kw, rest);
}

static int open_dev(fido_dev_t **dev)
{
	int r;

	if ((*dev = skfido_dev_new()) == NULL)
		return FIDO_ERR_INTERNAL;
	if ((r = fido_dev_open(*dev, SKFIDO_PATH_PREFIX)) != FIDO_OK)
		fprintf(stderr, "open: %s (transport: %s)\n", fido_strerr(r),
		    sk_strerror(skfido_dev_last_error(*dev)));
	else
		skfido_dev_set_status(*dev, on_status, NULL);
	return r;
}

static int info(fido_dev_t *dev)
{
	fido_cbor_info_t *ci = fido_cbor_info_new();
	char **names;
	const bool *vals;
	size_t i;
	int r;

	if (ci == NULL || (r = fido_dev_get_cbor_info(dev, ci)) != FIDO_OK) {
		fido_cbor_info_free(&ci);
		return FIDO_ERR_INTERNAL;
	}
	for (i = 0; i < fido_cbor_info_versions_len(ci); i++)
		printf("version %s\n", fido_cbor_info_versions_ptr(ci)[i]);
	names = fido_cbor_info_options_name_ptr(ci);
	vals = fido_cbor_info_options_value_ptr(ci);
	for (i = 0; i < fido_cbor_info_options_len(ci); i++)
		printf("option %s %s\n", names[i], vals[i] ? "true" : "false");
	fido_cbor_info_free(&ci);
	return FIDO_OK;
}

static int make_cred(fido_dev_t *dev, const char *pin, fido_cred_t **out)
{
	fido_cred_t *c = fido_cred_new();
	int r = FIDO_ERR_INTERNAL;

	if (c == NULL || fido_cred_set_type(c, COSE_ES256) != FIDO_OK ||
	    fido_cred_set_clientdata_hash(c, cdh, sizeof(cdh)) != FIDO_OK ||
	    fido_cred_set_rp(c, "skinkey.test", "skinkey test") != FIDO_OK ||
	    fido_cred_set_user(c, uid, sizeof(uid), "alice", NULL, NULL) != FIDO_OK)
		goto out;
	if ((r = fido_dev_make_cred(dev, c, pin)) != FIDO_OK) {
		fprintf(stderr, "make_cred: %s\n", fido_strerr(r));
		goto out;
	}
	r = fido_cred_x5c_ptr(c) != NULL ? fido_cred_verify(c) : fido_cred_verify_self(c);
	if (r != FIDO_OK) {
		fprintf(stderr, "attestation: %s\n", fido_strerr(r));
		goto out;
	}
	*out = c;
	c = NULL;
out:
	fido_cred_free(&c);
	return r;
}

static int assert_verify(fido_dev_t *dev, const fido_cred_t *c, const char *pin)
{
	fido_assert_t *a = fido_assert_new();
	es256_pk_t *pk = es256_pk_new();
	int r = FIDO_ERR_INTERNAL;

	if (a == NULL || pk == NULL ||
	    es256_pk_from_ptr(pk, fido_cred_pubkey_ptr(c), fido_cred_pubkey_len(c)) != FIDO_OK ||
	    fido_assert_set_rp(a, "skinkey.test") != FIDO_OK ||
	    fido_assert_set_clientdata_hash(a, cdh, sizeof(cdh)) != FIDO_OK ||
	    fido_assert_allow_cred(a, fido_cred_id_ptr(c), fido_cred_id_len(c)) != FIDO_OK)
		goto out;
	if ((r = fido_dev_get_assert(dev, a, pin)) != FIDO_OK) {
		fprintf(stderr, "get_assert: %s\n", fido_strerr(r));
		goto out;
	}
	if ((r = fido_assert_verify(a, 0, COSE_ES256, pk)) != FIDO_OK)
		fprintf(stderr, "assertion signature: %s\n", fido_strerr(r));
out:
	es256_pk_free(&pk);
	fido_assert_free(&a);
	return r;
}

static int cred_and_assert(fido_dev_t *dev, const char *pin)
{
	fido_cred_t *c = NULL;
	int r;

	if ((r = make_cred(dev, pin, &c)) == FIDO_OK)
		r = assert_verify(dev, c, pin);
	fido_cred_free(&c);
	if (r == FIDO_OK)
		printf("ok\n");
	else
		printf("fido %d %s\n", r, fido_strerr(r));
	return r;
}

static int print_xfer(struct skfido_conn *c, const uint8_t *m, size_t n)
{
	uint8_t rsp[1024];
	size_t got = 0;
	int r = skfido_conn_xfer(c, SKFIDO_CBOR, m, n, rsp, sizeof(rsp), &got);

	if (r != 0)
		printf("error %s\n", sk_strerror(r));
	else
		printf("status %02X len %zu\n", got > 0 ? rsp[0] : 0xFF, got);
	return r;
}

/* getKeyAgreement, something else on the chip, then a getPinToken with a PIN hash encrypted under
 * a made-up key: the relay must not let it reach an applet that was selected again (which would
 * count it as a wrong PIN). The bytes are well-formed CBOR; their crypto is irrelevant. */
static int keyagree_then(const char *cmd)
{
	static const uint8_t ka[] = { 0x06, 0xA2, 0x01, 0x01, 0x02, 0x02 };
	uint8_t tok[128];
	struct skfido_conn *c = NULL;
	size_t n = 0;
	int r;

	if ((r = skfido_conn_open(&c, NULL)) != 0 || (r = print_xfer(c, ka, sizeof(ka))) != 0)
		goto out;
	if (system(cmd) != 0)
		fprintf(stderr, "warning: '%s' failed\n", cmd);
	/* {1: 1, 2: 5, 3: {1:2, 3:-25, -1:1, -2: x, -3: y}, 6: h'16 bytes'} */
	tok[n++] = 0x06;
	tok[n++] = 0xA4;
	tok[n++] = 0x01; tok[n++] = 0x01;
	tok[n++] = 0x02; tok[n++] = 0x05;
	tok[n++] = 0x03; tok[n++] = 0xA5;
	tok[n++] = 0x01; tok[n++] = 0x02; tok[n++] = 0x03; tok[n++] = 0x38; tok[n++] = 0x18;
	tok[n++] = 0x20; tok[n++] = 0x01;
	tok[n++] = 0x21; tok[n++] = 0x58; tok[n++] = 0x20;
	memset(tok + n, 0x11, 32); n += 32;
	tok[n++] = 0x22; tok[n++] = 0x58; tok[n++] = 0x20;
	memset(tok + n, 0x22, 32); n += 32;
	tok[n++] = 0x06; tok[n++] = 0x50;
	memset(tok + n, 0x33, 16); n += 16;
	print_xfer(c, tok, n);    /* its outcome is what the caller checks */
out:
	skfido_conn_free(&c);
	return r == 0 ? 0 : 1;
}

struct cancel_at {
	struct skfido_conn *c;
	const char *what;        /* "tap" or "ctap": the PROGRESS status that triggers the cancel */
	int prompted;
};

static void cancel_on_status(void *arg, const char *kw, const char *rest)
{
	struct cancel_at *k = arg;

	if (strcmp(kw, "PROGRESS") == 0 && strncmp(rest, k->what, strlen(k->what)) == 0 &&
	    rest[strlen(k->what)] == ' ' && !k->prompted) {
		k->prompted = 1;
		fprintf(stderr, "# PROGRESS %s: cancelling\n", rest);
		skfido_conn_cancel(k->c);
	}
}

/* A clientPIN getRetries (harmless if it reaches the chip) cancelled at the tap prompt ("tap")
 * or at the first 9100 keep-alive ("ctap"). */
static int cancel_at(const char *what)
{
	static const uint8_t get_retries[] = { 0x06, 0xA2, 0x01, 0x01, 0x02, 0x01 };
	struct cancel_at k = { NULL, what, 0 };
	uint8_t rsp[256];
	size_t got = 0;
	int r;

	if ((r = skfido_conn_open(&k.c, NULL)) != 0)
		goto out;
	skfido_conn_set_status(k.c, cancel_on_status, &k);
	r = skfido_conn_xfer(k.c, SKFIDO_CBOR, get_retries, sizeof(get_retries), rsp, sizeof(rsp), &got);
	printf("prompted %d result %s\n", k.prompted, r == 0 ? "answered" : sk_strerror(r));
out:
	skfido_conn_free(&k.c);
	return k.prompted && r == SK_ERR_CANCELED ? 0 : 1;
}

int main(int argc, char **argv)
{
	fido_dev_t *dev = NULL;
	int r, retries = -1;

	if (argc < 2)
		return 2;
	fido_init(getenv("SKFIDO_DEBUG") ? FIDO_DEBUG : 0);
	if (strcmp(argv[1], "keyagree-then") == 0 && argc == 3)
		return keyagree_then(argv[2]);
	if (strcmp(argv[1], "cancel-at-prompt") == 0)
		return cancel_at("tap");
	if (strcmp(argv[1], "cancel-at-keepalive") == 0)
		return cancel_at("ctap");
	if ((r = open_dev(&dev)) != FIDO_OK)
		goto out;
	if (strcmp(argv[1], "info") == 0)
		r = info(dev);
	else if (strcmp(argv[1], "cred") == 0)
		r = cred_and_assert(dev, argc > 2 ? argv[2] : NULL);
	else if (strcmp(argv[1], "setpin") == 0 && argc == 3)
		r = fido_dev_set_pin(dev, argv[2], NULL);
	else if (strcmp(argv[1], "retries") == 0 &&
	    (r = fido_dev_get_retry_count(dev, &retries)) == FIDO_OK)
		printf("%d\n", retries);
	if (r != FIDO_OK)
		fprintf(stderr, "%s: %s\n", argv[1], fido_strerr(r));
out:
	fido_dev_close(dev);
	fido_dev_free(&dev);
	return r == FIDO_OK ? 0 : 1;
}
