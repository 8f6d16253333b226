/* cmd_scd_ops.c — the private-key operations: PKSIGN, PKAUTH, PKDECRYPT (scdaemon 2.2 formats).
 * Input comes from SETDATA; the chip is waited for (tap-timeout), the PIN taken from the cache
 * (policy) or asked with INQUIRE NEEDPIN, verified once; a refused PIN is never retried. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/digestinfo.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "event.h"
#include "scd.h"

/* What PSO:CDS / INTERNAL AUTHENTICATE gets for the slot's algorithm. */
static int sign_input(const struct opgp_algo_attr *a, const char *hashopt, const uint8_t *in,
    size_t n, uint8_t *out, size_t cap, size_t *outlen)
{
	const struct sk_digestinfo *d;

	/* gpg-agent sends a DigestInfo (encode_md_for_card): RSA signs it whole, ECDSA and EdDSA
	 * sign the bare hash */
	if (n > cap)
		return SK_ERR_TOOBIG;
	if ((d = sk_digestinfo_match(in, n)) != NULL) {
		if (a->id == OPGP_ALGO_ID_RSA) {
			memcpy(out, in, n);
			*outlen = n;
		} else {
			memcpy(out, in + d->plen, d->hlen);
			*outlen = d->hlen;
		}
		return 0;
	}
	if (a->id == OPGP_ALGO_ID_EDDSA || (a->id != OPGP_ALGO_ID_RSA &&
	    a->curve == OPGP_CURVE_ED25519)) {
		/* gpg-agent's ssh support puts a SHA-1 DigestInfo header in front of the message
		 * it wants signed with EdDSA; scdaemon drops it, and so do we */
		const struct sk_digestinfo *sha1 = sk_digestinfo_by_name("sha1");
		if (sha1 != NULL && n > sha1->plen && memcmp(in, sha1->prefix, sha1->plen) == 0) {
			in += sha1->plen;
			n -= sha1->plen;
		}
		memcpy(out, in, n);   /* EdDSA signs the message itself */
		*outlen = n;
		return 0;
	}
	d = hashopt != NULL ? sk_digestinfo_by_name(hashopt) : sk_digestinfo_by_len(n);
	if (a->id != OPGP_ALGO_ID_RSA) {
		if (n > cap)
			return SK_ERR_TOOBIG;
		memcpy(out, in, n);
		*outlen = n;
		return 0;
	}
	if (d == NULL || d->hlen != n || d->plen + n > cap)
		return SK_ERR_ARG;
	memcpy(out, d->prefix, d->plen);
	memcpy(out + d->plen, in, n);
	*outlen = d->plen + n;
	return 0;
}

enum op_kind { OP_SIGN, OP_AUTH, OP_DECRYPT };

struct op_ctx {
	enum op_kind kind;
	int slot;
	char hash[16];
	int have_hash;
	uint8_t in[1100];
	size_t in_len;
	uint8_t *out;
	size_t out_len;
	int padding;          /* PKDECRYPT: send "S PADDING 0" */
};

static int run_sign(struct sk_card *sc, struct op_ctx *o)
{
	if (o->kind == OP_AUTH || o->slot == OPGP_KEY_AUT)
		return opgp_internal_auth(sc, o->in, o->in_len, &o->out, &o->out_len);
	return opgp_sign(sc, o->in, o->in_len, &o->out, &o->out_len);
}

static int run_decrypt(struct sk_card *sc, const struct opgp_algo_attr *a, struct op_ctx *o)
{
	const uint8_t *p = o->in;
	size_t n = o->in_len;
	uint8_t *res = NULL, *pre;
	size_t rlen = 0;
	int r;

	if (a->id == OPGP_ALGO_ID_RSA) {
		size_t mod = (size_t)(a->rsa_bits + 7) / 8;
		while (n > mod && p[0] == 0) {   /* an MPI may carry a leading zero */
			p++;
			n--;
		}
		o->padding = 1;
		return opgp_decipher_rsa(sc, p, n, &o->out, &o->out_len);
	}
	if (a->curve == OPGP_CURVE_X25519 && n == 33 && p[0] == 0x40) {
		p++;
		n--;
	}
	if ((r = opgp_decipher_ecdh(sc, p, n, &res, &rlen)) != 0)
		return r;
	/* gpg-agent wants a point: 40||x for X25519, 04||x||y as is, 41||x for a bare x */
	if ((a->curve == OPGP_CURVE_X25519 || !(rlen % 2 == 1 && res[0] == 0x04))) {
		if ((pre = malloc(rlen + 1)) == NULL) {
			sk_freezero(res, rlen);
			return SK_ERR_NOMEM;
		}
		pre[0] = a->curve == OPGP_CURVE_X25519 ? 0x40 : 0x41;
		memcpy(pre + 1, res, rlen);
		sk_freezero(res, rlen);
		res = pre;
		rlen++;
	}
	o->out = res;
	o->out_len = rlen;
	return 0;
}

struct op_call {
	const struct opgp_info *info;
	struct op_ctx *o;
};

static int op_on_card(struct sk_card *sc, void *arg)
{
	struct op_call *a = arg;

	return a->o->kind == OP_DECRYPT ? run_decrypt(sc, &a->info->algo[a->o->slot], a->o) :
	    run_sign(sc, a->o);
}

static int run_op(struct skd_conn *c, const char *chip, const struct opgp_info *info,
    struct op_ctx *o)
{
	struct op_call a = { info, o };
	int ref = o->kind == OP_SIGN && o->slot == OPGP_KEY_SIG ? OPGP_PW1_SIGN : OPGP_PW1_OTHER;
	struct skd_keyop_rec rec = { o->kind == OP_SIGN ? "sign" : o->kind == OP_AUTH ? "auth" :
		"decrypt", o->slot, o->in, o->in_len };

	skd_event_set_door(c != NULL ? "gpg" : "ssh-agent");
	return skd_pgp_with_pin(c, chip, info, ref, op_on_card, &a, &rec);
}

static gpg_error_t do_op(assuan_context_t ctx, char *line, enum op_kind kind, const char *what)
{
	struct skd_conn *c = skd_conn_get(ctx);
	struct opgp_info info;
	struct op_ctx *o = NULL;
	char chip[SKD_CHIPID_MAX] = "";
	gpg_error_t e = 0;
	int r;

	if ((o = sk_secure_alloc(sizeof(*o))) == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	o->kind = kind;
	o->have_hash = scd_option_value(line, "--hash", o->hash, sizeof(o->hash)) != NULL;
	line = scd_skip_options(line);
	if ((r = scd_chip_info(c, chip, sizeof(chip), &info)) != 0)
		goto fail;
	if (scd_keyslot(chip, &info, line, &o->slot) != 0) {
		sk_info("%s: unknown key id '%.80s'", what, line);
		e = assuan_set_error(ctx, gpg_error(GPG_ERR_INV_ID), "unknown key id");
		goto out;
	}
	if (kind == OP_DECRYPT && o->slot != OPGP_KEY_DEC) {
		e = assuan_set_error(ctx, gpg_error(GPG_ERR_INV_ID), "not the decryption key");
		goto out;
	}
	if (c->datalen == 0) {
		r = SK_ERR_ARG;
		goto fail;
	}
	if (kind == OP_DECRYPT) {
		if (c->datalen > sizeof(o->in)) {
			r = SK_ERR_TOOBIG;
			goto fail;
		}
		memcpy(o->in, c->data, c->datalen);
		o->in_len = c->datalen;
	} else if ((r = sign_input(&info.algo[o->slot], o->have_hash ? o->hash : NULL, c->data,
	    c->datalen, o->in, sizeof(o->in), &o->in_len)) != 0) {
		goto fail;
	}
	if ((r = run_op(c, chip, &info, o)) != 0)
		goto fail;
	if (o->padding)
		e = assuan_write_status(ctx, "PADDING", "0");
	if (e == 0)
		e = skd_send_data(ctx, o->out, o->out_len);
	goto out;
fail:
	e = scd_fail(ctx, chip, r, what);
out:
	skd_conn_cleardata(c);
	if (o->out != NULL)
		sk_freezero(o->out, o->out_len);
	sk_secure_free(o);
	return e;
}

int scd_pgp_auth(const char *chip, const uint8_t *in, size_t inlen, uint8_t **out,
    size_t *outlen)
{
	struct opgp_info info;
	struct op_ctx *o = NULL;
	int r;

	*out = NULL;
	*outlen = 0;
	if (inlen > sizeof(((struct op_ctx *)0)->in))
		return SK_ERR_TOOBIG;
	if ((r = skd_pgp_info(chip, &info)) != 0)
		return r;
	if ((o = sk_secure_alloc(sizeof(*o))) == NULL)
		return SK_ERR_NOMEM;
	o->kind = OP_AUTH;
	o->slot = OPGP_KEY_AUT;
	memcpy(o->in, in, inlen);
	o->in_len = inlen;
	if ((r = run_op(NULL, chip, &info, o)) == 0) {
		*out = o->out;
		*outlen = o->out_len;
		o->out = NULL;
	}
	if (o->out != NULL)
		sk_freezero(o->out, o->out_len);
	sk_secure_free(o);
	return r;
}

static gpg_error_t cmd_pksign(assuan_context_t ctx, char *line)
{
	return do_op(ctx, line, OP_SIGN, "PKSIGN");
}

static gpg_error_t cmd_pkauth(assuan_context_t ctx, char *line)
{
	return do_op(ctx, line, OP_AUTH, "PKAUTH");
}

static gpg_error_t cmd_pkdecrypt(assuan_context_t ctx, char *line)
{
	return do_op(ctx, line, OP_DECRYPT, "PKDECRYPT");
}

const struct skd_cmd skd_cmds_scd_ops[] = {
	{ "PKSIGN", cmd_pksign, "PKSIGN [--hash=ALGO] KEYID (data from SETDATA)" },
	{ "PKAUTH", cmd_pkauth, "PKAUTH KEYID (data from SETDATA)" },
	{ "PKDECRYPT", cmd_pkdecrypt, "PKDECRYPT KEYID (cryptogram from SETDATA)" },
	{ NULL, NULL, NULL }
};
