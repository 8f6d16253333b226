/* fido_cm.c — authenticatorCredentialManagement (CTAP 2.1 §6.8; command 0x0A, and 0x41 as the
 * 2.1-preview alias): metadata, RP and credential enumeration, deleteCredential. The begin
 * commands and deleteCredential need a pinAuth over subCommand || subCommandParams (the bytes as
 * received) made with the current pinToken; the "next" commands continue the last begin. */
#include <string.h>

#include <openssl/crypto.h>

#include "fido_int.h"

struct cm_req {
	int64_t sub, protocol;
	int have_sub, have_auth;
	struct blob params, pin_auth, rp_hash, cred_id;
};

static int cm_cred_desc(struct cb *c, struct blob *id)
{
	const uint8_t *k;
	size_t n, kl, i;

	if (cb_map(c, &n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (cb_text(c, &k, &kl) != 0)
			return -1;
		if (cb_text_is(k, kl, "id")) {
			if (cb_bytes(c, &id->p, &id->n) != 0)
				return -1;
		} else if (cb_skip(c, 1) != 0) {
			return -1;
		}
	}
	return 0;
}

static int cm_params(struct cb *c, struct cm_req *q)
{
	size_t start = c->off, n, i;
	int64_t key;

	if (cb_map(c, &n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (cb_int(c, &key) != 0)
			return -1;
		if (key == 1) {
			if (cb_bytes(c, &q->rp_hash.p, &q->rp_hash.n) != 0)
				return -1;
		} else if (key == 2) {
			if (cm_cred_desc(c, &q->cred_id) != 0)
				return -1;
		} else if (cb_skip(c, 1) != 0) {
			return -1;
		}
	}
	q->params.p = c->p + start;
	q->params.n = c->off - start;
	return 0;
}

static int cm_field(struct cb *c, int64_t key, void *vq)
{
	struct cm_req *q = vq;

	switch (key) {
	case 1: q->have_sub = 1; return cb_int(c, &q->sub);
	case 2: return cm_params(c, q);
	case 3: return cb_int(c, &q->protocol);
	case 4: q->have_auth = 1; return cb_bytes(c, &q->pin_auth.p, &q->pin_auth.n);
	default: return cb_skip(c, 1);
	}
}

static uint8_t cm_auth(struct fido *f, const struct cm_req *q)
{
	uint8_t sub = (uint8_t)q->sub;
	struct blob a = { &sub, 1 };

	if (!q->have_auth)
		return ST_PIN_REQUIRED;
	return fido_check_token_mac(f, q->protocol, &a, q->params.p ? &q->params : NULL, &q->pin_auth);
}

static uint8_t rp_entry(const struct fido *f, int i, int total, struct sim_rbuf *r)
{
	const struct fido_rk *k = &f->rk[i];

	if (ce_head(r, 5, total >= 0 ? 3 : 2) || ce_int(r, 3) || ce_head(r, 5, 1) ||
	    ce_text(r, "id") || ce_textn(r, k->rp_id, k->rp_id_len) ||
	    ce_int(r, 4) || ce_bytes(r, k->rp_hash, 32) || (total >= 0 && (ce_int(r, 5) || ce_int(r, total))))
		return ST_OTHER;
	return ST_OK;
}

static uint8_t cred_entry(const struct fido *f, int i, int total, struct sim_rbuf *r)
{
	const struct fido_rk *e = &f->rk[i];
	struct fido_key k;
	uint8_t st = ST_OTHER;

	if (fido_cred_unwrap(f->master, e->rp_hash, e->cred_id, FIDO_CRED_ID_LEN, &k) != 0)
		return ST_OTHER;
	if (ce_head(r, 5, total >= 0 ? 5 : 4) ||
	    ce_int(r, 6) || ce_head(r, 5, 2) || ce_text(r, "id") || ce_bytes(r, e->user_id, e->user_id_len) ||
	    ce_text(r, "name") || ce_textn(r, e->user_name, e->user_name_len) ||
	    ce_int(r, 7) || ce_head(r, 5, 2) || ce_text(r, "id") || ce_bytes(r, e->cred_id, FIDO_CRED_ID_LEN) ||
	    ce_text(r, "type") || ce_text(r, "public-key") ||
	    ce_int(r, 8) || ce_head(r, 5, 5) || ce_int(r, 1) || ce_int(r, 2) || ce_int(r, 3) || ce_int(r, -7) ||
	    ce_int(r, -1) || ce_int(r, 1) || ce_int(r, -2) || ce_bytes(r, k.pub + 1, 32) ||
	    ce_int(r, -3) || ce_bytes(r, k.pub + 33, 32) ||
	    (total >= 0 && (ce_int(r, 9) || ce_int(r, total))) ||
	    ce_int(r, 10) || ce_int(r, e->protect))
		goto out;
	st = ST_OK;
out:
	OPENSSL_cleanse(&k, sizeof(k));
	return st;
}

static uint8_t rps_begin(struct fido *f, struct sim_rbuf *r)
{
	int i, j, dup;

	f->cm_n = f->cm_i = 0;
	f->cm_kind = 0;
	for (i = 0; i < MAX_RK; i++) {
		if (!f->rk[i].used)
			continue;
		for (dup = 0, j = 0; j < f->cm_n && !dup; j++)
			dup = memcmp(f->rk[f->cm_list[j]].rp_hash, f->rk[i].rp_hash, 32) == 0;
		if (!dup)
			f->cm_list[f->cm_n++] = (uint8_t)i;
	}
	if (f->cm_n == 0)
		return ST_NO_CREDENTIALS;
	f->cm_kind = 2;
	f->cm_i = 1;
	return rp_entry(f, f->cm_list[0], f->cm_n, r);
}

static uint8_t creds_begin(struct fido *f, const struct cm_req *q, struct sim_rbuf *r)
{
	int i;

	f->cm_n = f->cm_i = 0;
	f->cm_kind = 0;
	if (q->rp_hash.p == NULL || q->rp_hash.n != 32)
		return ST_MISSING_PARAM;
	for (i = 0; i < MAX_RK; i++)
		if (f->rk[i].used && memcmp(f->rk[i].rp_hash, q->rp_hash.p, 32) == 0)
			f->cm_list[f->cm_n++] = (uint8_t)i;
	if (f->cm_n == 0)
		return ST_NO_CREDENTIALS;
	f->cm_kind = 4;
	f->cm_i = 1;
	return cred_entry(f, f->cm_list[0], f->cm_n, r);
}

static uint8_t next(struct fido *f, int kind, struct sim_rbuf *r)
{
	int i;

	if (f->cm_kind != kind || f->cm_i >= f->cm_n)
		return ST_NOT_ALLOWED;
	i = f->cm_list[f->cm_i++];
	return kind == 2 ? rp_entry(f, i, -1, r) : cred_entry(f, i, -1, r);
}

static uint8_t delete_cred(struct fido *f, const struct cm_req *q, struct sim_env *env)
{
	int i;

	if (q->cred_id.p == NULL)
		return ST_MISSING_PARAM;
	for (i = 0; i < MAX_RK; i++) {
		if (f->rk[i].used && q->cred_id.n == FIDO_CRED_ID_LEN &&
		    CRYPTO_memcmp(f->rk[i].cred_id, q->cred_id.p, FIDO_CRED_ID_LEN) == 0) {
			OPENSSL_cleanse(&f->rk[i], sizeof(f->rk[i]));
			f->cm_kind = 0;
			env->dirty = 1;
			return ST_OK;
		}
	}
	return ST_NO_CREDENTIALS;
}

uint8_t fido_cred_mgmt(struct fido *f, const uint8_t *p, size_t n, struct sim_rbuf *r,
    struct sim_env *env)
{
	struct cm_req q;
	uint8_t st;
	int i, used = 0;

	memset(&q, 0, sizeof(q));
	if (fido_parse_req(p, n, &q, cm_field) != 0)
		return ST_INVALID_CBOR;
	if (!q.have_sub)
		return ST_MISSING_PARAM;
	if (q.sub != 3 && q.sub != 5 && (st = cm_auth(f, &q)) != ST_OK)
		return st;
	switch (q.sub) {
	case 1:
		for (i = 0; i < MAX_RK; i++)
			used += f->rk[i].used;
		return ce_head(r, 5, 2) || ce_int(r, 1) || ce_int(r, used) || ce_int(r, 2) ||
		    ce_int(r, MAX_RK - used) ? ST_OTHER : ST_OK;
	case 2: return rps_begin(f, r);
	case 3: return next(f, 2, r);
	case 4: return creds_begin(f, &q, r);
	case 5: return next(f, 4, r);
	case 6: return delete_cred(f, &q, env);
	default: return ST_INVALID_OPT;
	}
}
