/* cmd_scd_writekey.c — WRITEKEY (gpg's keytocard): import a private key into a slot.
 * gpg-agent inquires nothing itself: WRITEKEY asks `INQUIRE KEYDATA` for the key as a canonical
 * S-expression, (private-key(rsa(n)(e)(d)(p)(q)(u))(created-at N)) or
 * (private-key(ecc(curve C)(flags ...)(q)(d))(created-at N)), then writes it with the fingerprint
 * and creation time (PW3). Key material lives only in secure memory and is wiped. */
#include <gcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/secmem.h"
#include "common/sk_err.h"
#include "scd.h"

#define KEYDATA_MAX 16384

struct wk {
	gcry_sexp_t sexp;
	struct opgp_privkey pk;
	struct opgp_pubkey pub;
	uint32_t created;
	/* copies of the S-expression values (secure memory) */
	uint8_t *bufs[6];
	size_t lens[6];
	int nbufs;
};

static int take(gcry_sexp_t list, const char *name, struct wk *w, const uint8_t **p, size_t *n)
{
	gcry_sexp_t t = gcry_sexp_find_token(list, name, 0);
	const char *d;
	size_t len = 0;
	uint8_t *copy;

	*p = NULL;
	*n = 0;
	if (t == NULL || (d = gcry_sexp_nth_data(t, 1, &len)) == NULL || len == 0 || w->nbufs >= 6) {
		gcry_sexp_release(t);
		return SK_ERR_FORMAT;
	}
	if ((copy = sk_secure_alloc(len)) == NULL) {
		gcry_sexp_release(t);
		return SK_ERR_NOMEM;
	}
	memcpy(copy, d, len);
	gcry_sexp_release(t);
	/* MPIs may carry a leading zero byte */
	while (len > 1 && copy[0] == 0 && strcmp(name, "curve") != 0) {
		memmove(copy, copy + 1, --len);
	}
	w->bufs[w->nbufs] = copy;
	w->lens[w->nbufs++] = len;
	*p = copy;
	*n = len;
	return 0;
}

static int parse_rsa(gcry_sexp_t l, struct wk *w)
{
	const uint8_t *n;
	size_t nl;
	int r;

	if ((r = take(l, "n", w, &n, &nl)) != 0 || (r = take(l, "e", w, &w->pk.e, &w->pk.e_len)) != 0 ||
	    (r = take(l, "p", w, &w->pk.p, &w->pk.p_len)) != 0 ||
	    (r = take(l, "q", w, &w->pk.q, &w->pk.q_len)) != 0)
		return r;
	if (nl > sizeof(w->pub.n) || w->pk.e_len > sizeof(w->pub.e))
		return SK_ERR_UNSUPPORTED;
	w->pk.algo_id = OPGP_ALGO_ID_RSA;
	w->pub.algo_id = OPGP_ALGO_ID_RSA;
	memcpy(w->pub.n, n, nl);
	w->pub.n_len = nl;
	memcpy(w->pub.e, w->pk.e, w->pk.e_len);
	w->pub.e_len = w->pk.e_len;
	return 0;
}

static int curve_of(const uint8_t *c, size_t n, int slot, enum opgp_curve *out, uint8_t *algo)
{
	char name[32];

	if (n >= sizeof(name))
		return SK_ERR_UNSUPPORTED;
	memcpy(name, c, n);
	name[n] = '\0';
	if (strcmp(name, "Ed25519") == 0 || strcmp(name, "ed25519") == 0) {
		*out = OPGP_CURVE_ED25519;
		*algo = OPGP_ALGO_ID_EDDSA;
	} else if (strcmp(name, "Curve25519") == 0 || strcmp(name, "cv25519") == 0) {
		*out = OPGP_CURVE_X25519;
		*algo = OPGP_ALGO_ID_ECDH;
	} else if (strcmp(name, "NIST P-256") == 0 || strcmp(name, "nistp256") == 0) {
		*out = OPGP_CURVE_P256;
		*algo = slot == 1 ? OPGP_ALGO_ID_ECDH : OPGP_ALGO_ID_ECDSA;
	} else if (strcmp(name, "NIST P-384") == 0 || strcmp(name, "nistp384") == 0) {
		*out = OPGP_CURVE_P384;
		*algo = slot == 1 ? OPGP_ALGO_ID_ECDH : OPGP_ALGO_ID_ECDSA;
	} else {
		return SK_ERR_UNSUPPORTED;
	}
	return 0;
}

static int parse_ecc(gcry_sexp_t l, int slot, struct wk *w)
{
	const uint8_t *c, *q;
	size_t cl, ql;
	int r;

	if ((r = take(l, "curve", w, &c, &cl)) != 0 || (r = take(l, "q", w, &q, &ql)) != 0 ||
	    (r = take(l, "d", w, &w->pk.scalar, &w->pk.scalar_len)) != 0)
		return r;
	if ((r = curve_of(c, cl, slot, &w->pk.curve, &w->pk.algo_id)) != 0)
		return r;
	if ((w->pk.curve == OPGP_CURVE_ED25519 || w->pk.curve == OPGP_CURVE_X25519) && ql == 33 &&
	    q[0] == 0x40) {
		q++;
		ql--;
	}
	if (ql > sizeof(w->pub.point))
		return SK_ERR_FORMAT;
	w->pk.pub = q;
	w->pk.pub_len = ql;
	w->pub.algo_id = w->pk.algo_id;
	w->pub.curve = w->pk.curve;
	memcpy(w->pub.point, q, ql);
	w->pub.point_len = ql;
	return 0;
}

static int parse_keydata(const uint8_t *p, size_t n, int slot, struct wk *w)
{
	gcry_sexp_t l = NULL, t = NULL;
	const char *d;
	size_t len = 0;
	char num[16];
	int r = SK_ERR_FORMAT;

	if (gcry_sexp_sscan(&w->sexp, NULL, (const char *)p, n) != 0)
		return SK_ERR_FORMAT;
	if ((l = gcry_sexp_find_token(w->sexp, "rsa", 0)) != NULL)
		r = parse_rsa(l, w);
	else if ((l = gcry_sexp_find_token(w->sexp, "ecc", 0)) != NULL)
		r = parse_ecc(l, slot, w);
	if (r != 0)
		goto out;
	if ((t = gcry_sexp_find_token(w->sexp, "created-at", 0)) != NULL &&
	    (d = gcry_sexp_nth_data(t, 1, &len)) != NULL && len > 0 && len < sizeof(num)) {
		memcpy(num, d, len);
		num[len] = '\0';
		w->created = (uint32_t)strtoul(num, NULL, 10);
	}
	if (w->created == 0) {
		r = SK_ERR_FORMAT;   /* the fingerprint depends on it */
		goto out;
	}
	r = 0;
out:
	gcry_sexp_release(t);
	gcry_sexp_release(l);
	return r;
}

static void wk_free(struct wk *w)
{
	for (int i = 0; i < w->nbufs; i++) {
		sk_wipe(w->bufs[i], w->lens[i]);
		sk_secure_free(w->bufs[i]);
	}
	gcry_sexp_release(w->sexp);
	sk_wipe(w, sizeof(*w));
}

static int write_key(struct skd_conn *c, const char *chip, const struct opgp_info *info, int slot,
    struct wk *w)
{
	struct skd_card *h = NULL;
	uint8_t fpr[20];
	int r;

	if ((r = opgp_fingerprint_v4(&w->pub, w->created, fpr)) != 0)
		return r;
	if ((r = scd_hold(c, chip, &h)) != 0)
		return r;
	if ((r = skd_pgp_verify(c, h, OPGP_PW3, info)) == 0 &&
	    (r = opgp_import_key(skd_card_raw(h), (enum opgp_key)slot, &w->pk)) == 0)
		r = opgp_write_fpr(skd_card_raw(h), (enum opgp_key)slot, fpr, w->created);
	if (r == 0 && skd_pgp_cache_generated(chip, slot, &w->pub, w->created) != 0)
		sk_warn("%s: imported key %d not cached: read again", chip, slot + 1);
	if (r != SK_ERR_CARD_REMOVED)
		skd_pgp_refresh_ex(skd_card_raw(h), chip, NULL, 0, SKD_REFRESH_APP, NULL, 0);
	return scd_release(&h, r);
}

static gpg_error_t cmd_writekey(assuan_context_t ctx, char *line)
{
	struct skd_conn *c = skd_conn_get(ctx);
	struct opgp_info info;
	struct wk *w = NULL;
	char chip[SKD_CHIPID_MAX];
	unsigned char *kd = NULL;
	size_t kdlen = 0;
	int force = scd_has_option(line, "--force"), slot, r;
	gpg_error_t e;

	line = scd_skip_options(line);
	if ((r = scd_chip_info(c, chip, sizeof(chip), &info)) != 0)
		return scd_fail(ctx, chip, r, "WRITEKEY");
	if (scd_keyslot(chip, &info, line, &slot) != 0)
		return assuan_set_error(ctx, gpg_error(GPG_ERR_INV_ID), "WRITEKEY: OPENPGP.1..3");
	for (int i = 0; i < 20 && !force; i++)
		if (info.fpr[slot][i] != 0)
			return assuan_set_error(ctx, gpg_error(GPG_ERR_EEXIST),
			    "WRITEKEY: a key exists (use --force)");
	assuan_begin_confidential(ctx);
	e = skd_inquire(ctx, "KEYDATA", &kd, &kdlen, KEYDATA_MAX);
	assuan_end_confidential(ctx);
	if (e != 0)
		return e;
	if ((w = sk_secure_alloc(sizeof(*w))) == NULL) {
		r = SK_ERR_NOMEM;
		goto out;
	}
	if ((r = parse_keydata(kd, kdlen, slot, w)) != 0) {
		sk_info("WRITEKEY: key data not usable: %s", sk_strerror(r));
		goto out;
	}
	sk_info("%s: importing a key into slot %d", chip, slot + 1);
	r = write_key(c, chip, &info, slot, w);
out:
	if (kd != NULL) {
		sk_wipe(kd, kdlen);
		free(kd);
	}
	if (w != NULL) {
		wk_free(w);
		sk_secure_free(w);
	}
	return r ? skd_fail(ctx, r, "WRITEKEY") : 0;
}

const struct skd_cmd skd_cmds_scd_writekey[] = {
	{ "WRITEKEY", cmd_writekey, "WRITEKEY [--force] OPENPGP.n (INQUIRE KEYDATA)" },
	{ NULL, NULL, NULL }
};
