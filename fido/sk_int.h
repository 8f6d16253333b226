/* sk_int.h — shared parts of skinkey-sk.so (the OpenSSH SecurityKeyProvider): options, opening
 * the chip through skinkeyd, error mapping, messages. Not a public header. */
#ifndef SK_SKPROV_INT_H
#define SK_SKPROV_INT_H

#include <stddef.h>
#include <stdint.h>

#include "fido/fido.h"
#include "fido/sk_api.h"

#define SKP_USER_ID_LEN 32

struct skp_opts {
	char chip[64];                    /* "" = the chip in the field / the only one */
	uint8_t user_id[SKP_USER_ID_LEN];
	size_t user_id_len;
};

/* Parse OpenSSH's options ("device", "user"); an unknown required option is unsupported. */
int skp_opts_parse(struct sk_option **options, struct skp_opts *o);

/* Open the chip's FIDO applet through skinkeyd. SSH_SK_ERR_* on failure (message printed). */
int skp_open(const struct skp_opts *o, fido_dev_t **out);
void skp_close(fido_dev_t **dev);

/* Whether the chip has a PIN set (from getInfo, which skinkeyd answers from its cache). */
int skp_has_pin(fido_dev_t *dev);

/* A libfido2 result -> SSH_SK_ERR_*, with a message on stderr for what the user must know. */
int skp_err(fido_dev_t *dev, const char *what, int fido_rc);

/* A message for the user (stderr, prefixed "skinkey-sk: "). */
void skp_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ES256 public key as OpenSSH wants it: 04 || x || y (65 bytes). */
int skp_pubkey(const unsigned char *xy, size_t len, uint8_t **out, size_t *outlen);
/* Copy n bytes into a new allocation (n may be 0: *out = NULL). */
int skp_dup(const void *p, size_t n, uint8_t **out, size_t *outlen);

void skp_enroll_response_free(struct sk_enroll_response *r);

#endif
