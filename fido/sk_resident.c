/* sk_resident.c — sk_load_resident_keys of skinkey-sk.so (`ssh-keygen -K`, `ssh-add -K`): the
 * chip's resident credentials of "ssh:" relying parties through libfido2's credential management
 * (which needs the PIN: without one, SSH_SK_ERR_PIN_REQUIRED before any APDU). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sk_int.h"

#include <fido/credman.h>

static void rk_free(struct sk_resident_key **k)
{
	if (k == NULL || *k == NULL)
		return;
	free((*k)->application);
	skp_enroll_response_free(&(*k)->key);
	free((*k)->user_id);
	free(*k);
	*k = NULL;
}

static int rk_from_cred(const char *rp_id, size_t slot, const fido_cred_t *c,
    struct sk_resident_key **out)
{
	struct sk_resident_key *k = calloc(1, sizeof(*k));
	int rc = SSH_SK_ERR_GENERAL;

	*out = NULL;
	if (k == NULL || (k->application = strdup(rp_id)) == NULL)
		goto out;
	k->alg = SSH_SK_ECDSA;
	k->slot = slot;
	k->flags = SSH_SK_USER_PRESENCE_REQD | SSH_SK_RESIDENT_KEY;
	if (fido_cred_prot(c) == FIDO_CRED_PROT_UV_REQUIRED)
		k->flags |= SSH_SK_USER_VERIFICATION_REQD;
	if ((rc = skp_pubkey(fido_cred_pubkey_ptr(c), fido_cred_pubkey_len(c), &k->key.public_key,
	    &k->key.public_key_len)) != 0 ||
	    (rc = skp_dup(fido_cred_id_ptr(c), fido_cred_id_len(c), &k->key.key_handle,
	    &k->key.key_handle_len)) != 0 ||
	    (rc = skp_dup(fido_cred_user_id_ptr(c), fido_cred_user_id_len(c), &k->user_id,
	    &k->user_id_len)) != 0)
		goto out;
	*out = k;
	k = NULL;
out:
	rk_free(&k);
	return rc;
}

static int push(struct sk_resident_key ***rks, size_t *n, struct sk_resident_key *k)
{
	struct sk_resident_key **t = realloc(*rks, (*n + 1) * sizeof(*t));

	if (t == NULL)
		return SSH_SK_ERR_GENERAL;
	t[(*n)++] = k;
	*rks = t;
	return 0;
}

static int load_rp(fido_dev_t *dev, const char *rp_id, const char *pin,
    struct sk_resident_key ***rks, size_t *n)
{
	fido_credman_rk_t *rk = fido_credman_rk_new();
	struct sk_resident_key *k = NULL;
	const fido_cred_t *c;
	size_t i;
	int rc = SSH_SK_ERR_GENERAL;

	if (rk == NULL)
		goto out;
	if ((rc = fido_credman_get_dev_rk(dev, rp_id, rk, pin)) != FIDO_OK) {
		rc = skp_err(dev, "enumerating credentials", rc);
		goto out;
	}
	for (i = 0; i < fido_credman_rk_count(rk); i++) {
		c = fido_credman_rk(rk, i);
		if (c == NULL || fido_cred_type(c) != COSE_ES256)
			continue;
		if ((rc = rk_from_cred(rp_id, i, c, &k)) != 0 || (rc = push(rks, n, k)) != 0)
			goto out;
		k = NULL;
	}
	rc = 0;
out:
	rk_free(&k);
	fido_credman_rk_free(&rk);
	return rc;
}

static int load_all(fido_dev_t *dev, const char *pin, struct sk_resident_key ***rks, size_t *n)
{
	fido_credman_rp_t *rp = fido_credman_rp_new();
	const char *id;
	size_t i;
	int rc = SSH_SK_ERR_GENERAL;

	if (rp == NULL)
		goto out;
	if ((rc = fido_credman_get_dev_rp(dev, rp, pin)) == FIDO_ERR_NO_CREDENTIALS) {
		rc = 0;      /* no resident credential at all */
		goto out;
	}
	if (rc != FIDO_OK) {
		rc = skp_err(dev, "enumerating relying parties", rc);
		goto out;
	}
	for (i = 0; i < fido_credman_rp_count(rp); i++) {
		id = fido_credman_rp_id(rp, i);
		if (id == NULL || strncasecmp(id, "ssh:", 4) != 0)
			continue;
		if ((rc = load_rp(dev, id, pin, rks, n)) != 0)
			goto out;
	}
	rc = 0;
out:
	fido_credman_rp_free(&rp);
	return rc;
}

int sk_load_resident_keys(const char *pin, struct sk_option **options,
    struct sk_resident_key ***rksp, size_t *nrksp)
{
	struct sk_resident_key **rks = NULL;
	struct skp_opts o;
	fido_dev_t *dev = NULL;
	size_t n = 0, i;
	int rc;

	if (rksp == NULL || nrksp == NULL)
		return SSH_SK_ERR_GENERAL;
	*rksp = NULL;
	*nrksp = 0;
	if (pin != NULL && *pin == '\0')
		pin = NULL;
	if ((rc = skp_opts_parse(options, &o)) != 0 || (rc = skp_open(&o, &dev)) != 0)
		return rc;
	if (pin == NULL) {
		rc = skp_has_pin(dev) ? SSH_SK_ERR_PIN_REQUIRED : 0;  /* no PIN: no resident keys */
		goto out;
	}
	if ((rc = load_all(dev, pin, &rks, &n)) != 0)
		goto out;
	*rksp = rks;
	*nrksp = n;
	rks = NULL;
	n = 0;
out:
	for (i = 0; i < n; i++)
		rk_free(&rks[i]);
	free(rks);
	skp_close(&dev);
	return rc;
}
