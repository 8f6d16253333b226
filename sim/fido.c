/* fido.c — FIDO2Applet-like authenticator over ISO 7816 (AID A0 00 00 06 47 2F 00 01 01):
 * SELECT answers "FIDO_2_0"; CTAP2 messages in 80 10 (NFCCTAP_MSG) with command chaining (CLA
 * 90, assembled by the framework) and 61xx/GET RESPONSE for long answers; 80 12 01 00 accepted;
 * INS 11 answers 6D00; no 9100 keep-alive. CTAP2: getInfo, makeCredential (ES256 only, packed
 * self attestation, resident keys), getAssertion / getNextAssertion, clientPIN protocol 1
 * (fido_pin.c), the hmac-secret and credProtect extensions (fido_ext.c), reset. Not
 * emulated: U2F/CTAP1; getNextAssertion carries no extension output. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "fido_int.h"
#include "sim_applet.h"
#include "sim_core.h"

static const uint8_t fido_aid[] = { 0xA0, 0x00, 0x00, 0x06, 0x47, 0x2F, 0x00, 0x01, 0x01 };

static void *fi_create(void)
{
	struct fido *f = calloc(1, sizeof(*f));

	if (f != NULL && (RAND_bytes(f->master, 32) != 1 || RAND_bytes(f->aaguid, 16) != 1)) {
		free(f);
		f = NULL;
	}
	if (f != NULL)
		f->pin_retries = PIN_RETRIES;
	return f;
}

static int keepalive_polls;

void sim_fido_set_keepalive(int n)
{
	keepalive_polls = n < 0 ? 0 : n;
}

int sim_fido_keepalive(void)
{
	return keepalive_polls;
}

static int cp_spec;   /* 0: the flexSecure applet (any credProtect request gets level 3) */

void sim_fido_set_credprotect_spec(int spec)
{
	cp_spec = spec != 0;
}

int sim_fido_credprotect_spec(void)
{
	return cp_spec;
}

static void drop_pending(struct fido *f)
{
	sim_rbuf_free(&f->pend);
	f->pending = 0;
	f->pend_left = 0;
}

static void fi_destroy(void *st)
{
	if (st == NULL)
		return;
	drop_pending(st);
	OPENSSL_cleanse(st, sizeof(struct fido));
	free(st);
}

static void fi_deselect(void *st)
{
	struct fido *f = st;

	f->nnext = f->inext = 0;
	f->cm_n = f->cm_i = f->cm_kind = 0;
	drop_pending(f);
	fido_pin_power_loss(f);
}

static uint16_t fi_select(void *st, struct sim_rbuf *r, struct sim_env *env)
{
	(void)env;
	fi_deselect(st);
	return sim_rbuf_put(r, "FIDO_2_0", 8) == 0 ? 0x9000 : 0x6F00;
}

/* --- getInfo --------------------------------------------------------------------------- */

static uint8_t get_info(const struct fido *f, struct sim_rbuf *r)
{
	if (ce_head(r, 5, 6) || ce_int(r, 1) || ce_head(r, 4, 1) || ce_text(r, "FIDO_2_0") ||
	    ce_int(r, 2) || ce_head(r, 4, 2) || ce_text(r, "credProtect") || ce_text(r, "hmac-secret") ||
	    ce_int(r, 3) || ce_bytes(r, f->aaguid, 16) ||
	    ce_int(r, 4) || ce_head(r, 5, 5) || ce_text(r, "rk") || ce_bool(r, 1) ||
	    ce_text(r, "up") || ce_bool(r, 1) || ce_text(r, "plat") || ce_bool(r, 0) ||
	    ce_text(r, "credMgmt") || ce_bool(r, 1) ||
	    ce_text(r, "clientPin") || ce_bool(r, f->pin_set) ||
	    ce_int(r, 5) || ce_int(r, 1200) || ce_int(r, 6) || ce_head(r, 4, 1) || ce_int(r, 1))
		return ST_OTHER;
	return ST_OK;
}

/* --- request parsing ------------------------------------------------------------------- */

struct mc_req {
	struct blob cdh, rp_id, user_id, user_name, pin_auth;
	int64_t pin_protocol;
	int have_pin_auth;
	struct blob exclude[LIST_MAX];
	size_t nexclude;
	int es256, rk, uv, up;
	int have_params;
	int hmac_secret, protect;
};

/* options map: rk / up / uv booleans, others skipped */
static int parse_options(struct cb *c, int *rk, int *up, int *uv)
{
	const uint8_t *k;
	size_t n, kl, i;

	if (cb_map(c, &n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		int v = 0, *dst = NULL;

		if (cb_text(c, &k, &kl) != 0)
			return -1;
		if (cb_text_is(k, kl, "rk"))
			dst = rk;
		else if (cb_text_is(k, kl, "up"))
			dst = up;
		else if (cb_text_is(k, kl, "uv"))
			dst = uv;
		if (dst == NULL ? cb_skip(c, 1) != 0 : cb_bool(c, &v) != 0)
			return -1;
		if (dst != NULL)
			*dst = v;
	}
	return 0;
}

/* { "id": bytes / "name": text / ... }: picks the named fields */
static int parse_entity(struct cb *c, const char *f1, int bytes1, struct blob *v1,
    const char *f2, struct blob *v2)
{
	const uint8_t *k;
	size_t n, kl, i;

	if (cb_map(c, &n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		int rc;

		if (cb_text(c, &k, &kl) != 0)
			return -1;
		if (cb_text_is(k, kl, f1))
			rc = bytes1 ? cb_bytes(c, &v1->p, &v1->n) : cb_text(c, &v1->p, &v1->n);
		else if (f2 != NULL && cb_text_is(k, kl, f2))
			rc = cb_text(c, &v2->p, &v2->n);
		else
			rc = cb_skip(c, 1);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* [ {"id": bytes, "type": "public-key"}, ... ] */
static int parse_cred_list(struct cb *c, struct blob *ids, size_t *nids)
{
	size_t n, i;

	*nids = 0;
	if (cb_array(c, &n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		struct blob id = { NULL, 0 };

		if (parse_entity(c, "id", 1, &id, NULL, NULL) != 0)
			return -1;
		if (id.p != NULL && *nids < LIST_MAX)
			ids[(*nids)++] = id;
	}
	return 0;
}

/* [ {"alg": int, "type": text}, ... ]: ES256 (-7) offered? */
static int parse_params(struct cb *c, int *es256)
{
	const uint8_t *k;
	size_t n, m, kl, i, j;

	if (cb_array(c, &n) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (cb_map(c, &m) != 0)
			return -1;
		for (j = 0; j < m; j++) {
			int64_t alg;

			if (cb_text(c, &k, &kl) != 0)
				return -1;
			if (cb_text_is(k, kl, "alg") && cb_peek_major(c) <= 1) {
				if (cb_int(c, &alg) != 0)
					return -1;
				*es256 |= alg == -7;
			} else if (cb_skip(c, 1) != 0) {
				return -1;
			}
		}
	}
	return 0;
}

static int mc_field(struct cb *c, int64_t key, struct mc_req *q)
{
	switch (key) {
	case 1: return cb_bytes(c, &q->cdh.p, &q->cdh.n);
	case 2: return parse_entity(c, "id", 0, &q->rp_id, NULL, NULL);
	case 3: return parse_entity(c, "id", 1, &q->user_id, "name", &q->user_name);
	case 4: q->have_params = 1; return parse_params(c, &q->es256);
	case 5: return parse_cred_list(c, q->exclude, &q->nexclude);
	case 6: return fido_ext_parse_mc(c, &q->hmac_secret, &q->protect);
	case 7: return parse_options(c, &q->rk, &q->up, &q->uv);
	case 8: q->have_pin_auth = 1; return cb_bytes(c, &q->pin_auth.p, &q->pin_auth.n);
	case 9: return cb_int(c, &q->pin_protocol);
	default: return cb_skip(c, 1);
	}
}

/* top-level request map with integer keys */
int fido_parse_req(const uint8_t *p, size_t n, void *q, int (*field)(struct cb *, int64_t, void *))
{
	struct cb c = { p, n, 0 };
	size_t m, i;

	if (cb_map(&c, &m) != 0)
		return -1;
	for (i = 0; i < m; i++) {
		int64_t key;

		if (cb_int(&c, &key) != 0 || field(&c, key, q) != 0)
			return -1;
	}
	return c.off == c.len ? 0 : -1;
}

static int mc_field_v(struct cb *c, int64_t key, void *q)
{
	return mc_field(c, key, q);
}

/* --- makeCredential -------------------------------------------------------------------- */

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* authData with attested credential data: rpIdHash | flags | counter | aaguid | L | id | COSE */
/* extension outputs of makeCredential, canonical order: credProtect, hmac-secret */
static int mc_extensions(struct sim_rbuf *ad, uint8_t flags, int hmac_secret, const struct fido_key *k)
{
	int cp = k->protect > 1;

	if (!(flags & 0x80))
		return 0;
	return ce_head(ad, 5, (uint64_t)(cp + (hmac_secret != 0))) ||
	    (cp && (ce_text(ad, "credProtect") || ce_int(ad, k->protect))) ||
	    (hmac_secret && (ce_text(ad, "hmac-secret") || ce_bool(ad, 1)));
}

static int attested_auth_data(const struct fido *f, const uint8_t rp_hash[32], uint8_t flags,
    int hmac_secret, const uint8_t *cred_id, const struct fido_key *k, struct sim_rbuf *ad)
{
	uint8_t hdr[37], len[2] = { 0, FIDO_CRED_ID_LEN };

	memcpy(hdr, rp_hash, 32);
	hdr[32] = flags;
	put_be32(hdr + 33, f->counter);
	return sim_rbuf_put(ad, hdr, sizeof(hdr)) || sim_rbuf_put(ad, f->aaguid, 16) ||
	    sim_rbuf_put(ad, len, 2) || sim_rbuf_put(ad, cred_id, FIDO_CRED_ID_LEN) ||
	    ce_head(ad, 5, 5) || ce_int(ad, 1) || ce_int(ad, 2) || ce_int(ad, 3) || ce_int(ad, -7) ||
	    ce_int(ad, -1) || ce_int(ad, 1) || ce_int(ad, -2) || ce_bytes(ad, k->pub + 1, 32) ||
	    ce_int(ad, -3) || ce_bytes(ad, k->pub + 33, 32) || mc_extensions(ad, flags, hmac_secret, k);
}

static int excluded(const struct fido *f, const struct mc_req *q, const uint8_t rp_hash[32])
{
	struct fido_key k;
	size_t i;
	int hit = 0;

	for (i = 0; i < q->nexclude && !hit; i++)
		hit = fido_cred_unwrap(f->master, rp_hash, q->exclude[i].p, q->exclude[i].n, &k) == 0;
	OPENSSL_cleanse(&k, sizeof(k));
	return hit;
}

/* the slot for a resident key: same RP + user replaces, else a free one; -1 when full */
static long rk_slot(const struct fido *f, const uint8_t rp_hash[32], const struct mc_req *q)
{
	long i, free_slot = -1;

	for (i = 0; i < MAX_RK; i++) {
		const struct fido_rk *k = &f->rk[i];

		if (k->used && memcmp(k->rp_hash, rp_hash, 32) == 0 && k->user_id_len == q->user_id.n &&
		    memcmp(k->user_id, q->user_id.p, q->user_id.n) == 0)
			return i;
		if (!k->used && free_slot < 0)
			free_slot = i;
	}
	return free_slot;
}

static void rk_store(struct fido *f, long slot, const uint8_t rp_hash[32], const struct mc_req *q,
    const uint8_t *cred_id)
{
	struct fido_rk *k = &f->rk[slot];

	memset(k, 0, sizeof(*k));
	k->used = 1;
	memcpy(k->rp_hash, rp_hash, 32);
	memcpy(k->user_id, q->user_id.p, q->user_id.n);
	k->user_id_len = (uint8_t)q->user_id.n;
	k->user_name_len = (uint8_t)(q->user_name.n > TXT_MAX ? TXT_MAX : q->user_name.n);
	if (q->user_name.p != NULL)
		memcpy(k->user_name, q->user_name.p, k->user_name_len);
	memcpy(k->cred_id, cred_id, FIDO_CRED_ID_LEN);
	k->created = f->counter;
	k->rp_id_len = (uint8_t)(q->rp_id.n > TXT_MAX ? TXT_MAX : q->rp_id.n);
	memcpy(k->rp_id, q->rp_id.p, k->rp_id_len);
}

static uint8_t mc_check(const struct mc_req *q)
{
	if (q->cdh.p == NULL || q->rp_id.p == NULL || q->user_id.p == NULL || !q->have_params)
		return ST_MISSING_PARAM;
	if (q->cdh.n != 32 || q->user_id.n == 0 || q->user_id.n > TXT_MAX || q->rp_id.n > 255)
		return ST_INVALID_CBOR;
	if (!q->es256)
		return ST_UNSUPPORTED_ALG;
	if (q->uv)
		return ST_UNSUPPORTED_OPT;         /* no user verification on this card */
	if (!q->up)
		return ST_INVALID_OPT;
	return ST_OK;
}

static uint8_t make_credential(struct fido *f, const uint8_t *p, size_t n, struct sim_rbuf *r,
    struct sim_env *env)
{
	struct mc_req q;
	struct sim_rbuf ad = { NULL, 0, 0 };
	struct fido_key k;
	uint8_t rp_hash[32], cred_id[FIDO_CRED_ID_LEN], sig[80], st;
	long slot = -1;
	int siglen, uv = 0;

	memset(&q, 0, sizeof(q));
	q.up = 1;
	if (fido_parse_req(p, n, &q, mc_field_v) != 0)
		return ST_INVALID_CBOR;
	if ((st = mc_check(&q)) != ST_OK)
		return st;
	if (!q.have_pin_auth && f->pin_set)
		return ST_PIN_REQUIRED;
	if (q.have_pin_auth &&
	    (st = fido_check_pin_auth(f, &q.pin_auth, q.pin_protocol, q.cdh.p, &uv)) != ST_OK)
		return st;
	SHA256(q.rp_id.p, q.rp_id.n, rp_hash);
	if (excluded(f, &q, rp_hash))
		return ST_EXCLUDED;
	if (q.rk && (slot = rk_slot(f, rp_hash, &q)) < 0)
		return ST_STORE_FULL;
	st = ST_OTHER;
	if (fido_key_generate(&k) != 0)
		goto out;
	/* the flexSecure applet applies level 3 whenever the extension is asked for (APPLETS.md) */
	k.protect = (uint8_t)(q.protect == 0 ? 1 : cp_spec ? q.protect : 3);
	if (fido_cred_wrap(f->master, rp_hash, &k, cred_id) != 0)
		goto out;
	f->counter++;
	env->dirty = 1;
	if (attested_auth_data(f, rp_hash,
	    (uint8_t)(0x41 | (uv ? 0x04 : 0) | (q.hmac_secret || q.protect > 1 ? 0x80 : 0)),
	    q.hmac_secret, cred_id, &k, &ad) != 0 ||
	    (siglen = fido_sign(&k, ad.p, ad.len, q.cdh.p, 32, sig, sizeof(sig))) < 0)
		goto out;
	if (q.rk) {
		rk_store(f, slot, rp_hash, &q, cred_id);
		f->rk[slot].protect = k.protect;
	}
	if (ce_head(r, 5, 3) || ce_int(r, 1) || ce_text(r, "packed") || ce_int(r, 2) ||
	    ce_bytes(r, ad.p, ad.len) || ce_int(r, 3) || ce_head(r, 5, 2) || ce_text(r, "alg") ||
	    ce_int(r, -7) || ce_text(r, "sig") || ce_bytes(r, sig, (size_t)siglen))
		goto out;
	st = ST_OK;
out:
	OPENSSL_cleanse(&k, sizeof(k));
	sim_rbuf_free(&ad);
	return st;
}

/* --- getAssertion ---------------------------------------------------------------------- */

struct ga_req {
	struct blob rp_id, cdh, pin_auth;
	int64_t pin_protocol;
	int have_pin_auth;
	struct blob allow[LIST_MAX];
	size_t nallow;
	int have_allow, up, uv, rk_dummy;
	struct fido_ga_ext ext;
};

static int ga_field_v(struct cb *c, int64_t key, void *vq)
{
	struct ga_req *q = vq;

	switch (key) {
	case 1: return cb_text(c, &q->rp_id.p, &q->rp_id.n);
	case 2: return cb_bytes(c, &q->cdh.p, &q->cdh.n);
	case 3: q->have_allow = 1; return parse_cred_list(c, q->allow, &q->nallow);
	case 4: return fido_ext_parse_ga(c, &q->ext);
	case 5: return parse_options(c, &q->rk_dummy, &q->up, &q->uv);
	case 6: q->have_pin_auth = 1; return cb_bytes(c, &q->pin_auth.p, &q->pin_auth.n);
	case 7: return cb_int(c, &q->pin_protocol);
	default: return cb_skip(c, 1);
	}
}

/* one assertion for credential id (resident slot rk or -1) */
static uint8_t assertion(struct fido *f, const uint8_t rp_hash[32], const uint8_t *cdh, uint8_t flags,
    const uint8_t *cred_id, long rk, size_t count, const struct fido_ga_ext *ext,
    struct sim_rbuf *r, struct sim_env *env)
{
	struct sim_rbuf ad = { NULL, 0, 0 }, exts = { NULL, 0, 0 };
	struct fido_key k;
	uint8_t hdr[37], sig[80], st = ST_OTHER;
	int siglen;
	size_t nfields = 3u + (rk >= 0 ? 1u : 0u) + (count > 1 ? 1u : 0u);

	if (fido_cred_unwrap(f->master, rp_hash, cred_id, FIDO_CRED_ID_LEN, &k) != 0)
		return ST_NO_CREDENTIALS;
	if (ext != NULL && ext->hmac_secret && (st = fido_hmac_secret(f, cred_id, ext, &exts)) != ST_OK)
		goto out;
	st = ST_OTHER;
	f->counter++;
	env->dirty = 1;
	memcpy(hdr, rp_hash, 32);
	hdr[32] = (uint8_t)(flags | (exts.len ? 0x80 : 0));
	put_be32(hdr + 33, f->counter);
	if (sim_rbuf_put(&ad, hdr, sizeof(hdr)) || sim_rbuf_put(&ad, exts.p, exts.len) ||
	    (siglen = fido_sign(&k, ad.p, ad.len, cdh, 32, sig, sizeof(sig))) < 0)
		goto out;
	if (ce_head(r, 5, nfields) || ce_int(r, 1) || ce_head(r, 5, 2) || ce_text(r, "id") ||
	    ce_bytes(r, cred_id, FIDO_CRED_ID_LEN) || ce_text(r, "type") || ce_text(r, "public-key") ||
	    ce_int(r, 2) || ce_bytes(r, ad.p, ad.len) || ce_int(r, 3) || ce_bytes(r, sig, (size_t)siglen))
		goto out;
	if (rk >= 0) {
		const struct fido_rk *e = &f->rk[rk];

		if (ce_int(r, 4) || ce_head(r, 5, e->user_name_len ? 2 : 1) || ce_text(r, "id") ||
		    ce_bytes(r, e->user_id, e->user_id_len) ||
		    (e->user_name_len && (ce_text(r, "name") || ce_textn(r, e->user_name, e->user_name_len))))
			goto out;
	}
	if (count > 1 && (ce_int(r, 5) || ce_int(r, (int64_t)count)))
		goto out;
	st = ST_OK;
out:
	OPENSSL_cleanse(&k, sizeof(k));
	sim_rbuf_free(&ad);
	sim_rbuf_free(&exts);
	return st;
}

/* resident credentials of an RP, newest first */
static size_t rk_matches(const struct fido *f, const uint8_t rp_hash[32], int uv, uint8_t *out)
{
	size_t n = 0, i, j;

	/* without an allowList, credProtect 2 and 3 credentials need user verification */
	for (i = 0; i < MAX_RK; i++)
		if (f->rk[i].used && memcmp(f->rk[i].rp_hash, rp_hash, 32) == 0 &&
		    (uv || f->rk[i].protect <= 1))
			out[n++] = (uint8_t)i;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && f->rk[out[j]].created > f->rk[out[j - 1]].created; j--) {
			uint8_t t = out[j];

			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

static uint8_t get_assertion(struct fido *f, const uint8_t *p, size_t n, struct sim_rbuf *r,
    struct sim_env *env)
{
	struct ga_req q;
	uint8_t rp_hash[32];
	struct fido_key k;
	uint8_t flags, st;
	size_t i;
	int uv = 0;

	memset(&q, 0, sizeof(q));
	q.up = 1;
	f->nnext = f->inext = 0;
	if (fido_parse_req(p, n, &q, ga_field_v) != 0)
		return ST_INVALID_CBOR;
	if (q.rp_id.p == NULL || q.cdh.p == NULL)
		return ST_MISSING_PARAM;
	if (q.cdh.n != 32)
		return ST_INVALID_CBOR;
	if (q.uv)
		return ST_UNSUPPORTED_OPT;
	if (q.have_pin_auth &&
	    (st = fido_check_pin_auth(f, &q.pin_auth, q.pin_protocol, q.cdh.p, &uv)) != ST_OK)
		return st;
	flags = (uint8_t)((q.up ? 0x01 : 0) | (uv ? 0x04 : 0));
	SHA256(q.rp_id.p, q.rp_id.n, rp_hash);
	if (q.have_allow) {
		for (i = 0; i < q.nallow; i++) {
			if (fido_cred_unwrap(f->master, rp_hash, q.allow[i].p, q.allow[i].n, &k) != 0)
				continue;
			st = k.protect;
			OPENSSL_cleanse(&k, sizeof(k));
			if (st == 3 && !uv)
				continue;        /* credProtect userVerificationRequired */
			return assertion(f, rp_hash, q.cdh.p, flags, q.allow[i].p, -1, 1, &q.ext, r, env);
		}
		return ST_NO_CREDENTIALS;
	}
	f->nnext = rk_matches(f, rp_hash, uv, f->next);
	if (f->nnext == 0)
		return ST_NO_CREDENTIALS;
	f->inext = 1;
	memcpy(f->next_cdh, q.cdh.p, 32);
	f->next_flags = flags;
	return assertion(f, rp_hash, q.cdh.p, flags, f->rk[f->next[0]].cred_id, f->next[0], f->nnext,
	    &q.ext, r, env);
}

static uint8_t get_next_assertion(struct fido *f, struct sim_rbuf *r, struct sim_env *env)
{
	const struct fido_rk *e;

	if (f->inext >= f->nnext)
		return ST_NOT_ALLOWED;
	e = &f->rk[f->next[f->inext++]];
	return assertion(f, e->rp_hash, f->next_cdh, f->next_flags, e->cred_id, f->next[f->inext - 1],
	    1, NULL, r, env);
}

static uint8_t reset(struct fido *f, struct sim_env *env)
{
	OPENSSL_cleanse(f->rk, sizeof(f->rk));
	OPENSSL_cleanse(f->pin_hash, sizeof(f->pin_hash));
	f->pin_set = 0;
	f->pin_retries = PIN_RETRIES;
	env->random(f->master, 32);
	f->counter = 0;
	fi_deselect(f);
	env->dirty = 1;
	return ST_OK;
}

/* --- APDU level ------------------------------------------------------------------------ */

static uint16_t ctap(struct fido *f, const struct sim_apdu *a, struct sim_rbuf *r,
    struct sim_env *env)
{
	struct sim_rbuf body = { NULL, 0, 0 };
	uint8_t st;

	if (a->lc < 1)
		return 0x6700;
	switch (a->data[0]) {
	case 0x01: st = make_credential(f, a->data + 1, a->lc - 1, &body, env); break;
	case 0x02: st = get_assertion(f, a->data + 1, a->lc - 1, &body, env); break;
	case 0x04: st = get_info(f, &body); break;
	case 0x06: st = fido_client_pin(f, a->data + 1, a->lc - 1, &body, env); break;
	case 0x07: st = reset(f, env); break;
	case 0x08: st = get_next_assertion(f, &body, env); break;
	case 0x0A: case 0x41: st = fido_cred_mgmt(f, a->data + 1, a->lc - 1, &body, env); break;
	default: st = ST_INVALID_CMD; break;
	}
	if (sim_rbuf_u8(r, st) != 0 || (st == ST_OK && sim_rbuf_put(r, body.p, body.len) != 0)) {
		sim_rbuf_free(&body);
		return 0x6F00;
	}
	sim_rbuf_free(&body);
	return 0x9000;
}

/* keep-alive mode: the answer is computed now and held back behind `01 9100` polls */
static uint16_t ctap_keepalive(struct fido *f, const struct sim_apdu *a, struct sim_rbuf *r,
    struct sim_env *env)
{
	drop_pending(f);
	f->pend_sw = ctap(f, a, &f->pend, env);
	f->pending = 1;
	f->pend_left = keepalive_polls - 1;
	return sim_rbuf_u8(r, 0x01) == 0 ? 0x9100 : 0x6F00;
}

static uint16_t get_response(struct fido *f, struct sim_rbuf *r)
{
	uint16_t sw;

	if (!f->pending)
		return 0x6985;                              /* nothing pending */
	if (f->pend_left > 0) {
		f->pend_left--;
		return sim_rbuf_u8(r, 0x01) == 0 ? 0x9100 : 0x6F00;
	}
	sw = f->pend_sw;
	if (sim_rbuf_put(r, f->pend.p, f->pend.len) != 0)
		sw = 0x6F00;
	drop_pending(f);
	return sw;
}

static uint16_t fi_process(void *st, const struct sim_apdu *a, struct sim_rbuf *r,
    struct sim_env *env)
{
	struct fido *f = st;

	if (a->cla != 0x80)
		return a->cla == 0x00 ? 0x6D00 : 0x6E00;    /* no U2F (CTAP1) here */
	if (a->ins == 0x10 && keepalive_polls > 0)
		return ctap_keepalive(f, a, r, env);
	if (a->ins == 0x10) {
		drop_pending(f);
		return ctap(st, a, r, env);
	}
	if (a->ins == 0x11 && keepalive_polls > 0)
		return get_response(f, r);
	if (a->ins == 0x12 && a->p1 == 0x01)
		return 0x9000;                              /* NFCCTAP_GETRESPONSE: nothing pending */
	return 0x6D00;
}

/* --- persistence ----------------------------------------------------------------------- */

#define STATE_VERSION 4
/* version 3 had no RP id per resident key: such a state loads with empty RP ids */
#define RK_BLOB_V3 (1 + 32 + 1 + TXT_MAX + 1 + TXT_MAX + FIDO_CRED_ID_LEN + 4 + 1)
#define RK_BLOB (RK_BLOB_V3 + 1 + TXT_MAX)
#define HDR_BLOB (1 + 32 + 16 + 4 + 16 + 1 + 1)

static void rk_put(uint8_t *p, const struct fido_rk *k)
{
	*p++ = k->used;
	memcpy(p, k->rp_hash, 32);
	p += 32;
	*p++ = k->user_id_len;
	memcpy(p, k->user_id, TXT_MAX);
	p += TXT_MAX;
	*p++ = k->user_name_len;
	memcpy(p, k->user_name, TXT_MAX);
	p += TXT_MAX;
	memcpy(p, k->cred_id, FIDO_CRED_ID_LEN);
	put_be32(p + FIDO_CRED_ID_LEN, k->created);
	p[FIDO_CRED_ID_LEN + 4] = k->protect;
	p[FIDO_CRED_ID_LEN + 5] = k->rp_id_len;
	memcpy(p + FIDO_CRED_ID_LEN + 6, k->rp_id, TXT_MAX);
}

static int rk_get(const uint8_t *p, struct fido_rk *k, int v3)
{
	if (p[0] > 1 || p[33] > TXT_MAX || p[34 + TXT_MAX] > TXT_MAX)
		return -1;
	k->used = *p++;
	memcpy(k->rp_hash, p, 32);
	p += 32;
	k->user_id_len = *p++;
	memcpy(k->user_id, p, TXT_MAX);
	p += TXT_MAX;
	k->user_name_len = *p++;
	memcpy(k->user_name, p, TXT_MAX);
	p += TXT_MAX;
	memcpy(k->cred_id, p, FIDO_CRED_ID_LEN);
	p += FIDO_CRED_ID_LEN;
	k->created = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	k->protect = p[4];
	if (v3)
		return k->protect <= 3 ? 0 : -1;
	k->rp_id_len = p[5];
	memcpy(k->rp_id, p + 6, TXT_MAX);
	return k->protect <= 3 && k->rp_id_len <= TXT_MAX ? 0 : -1;
}

static int fi_save(void *st, struct sim_rbuf *out)
{
	const struct fido *f = st;
	uint8_t hdr[HDR_BLOB], b[RK_BLOB];
	int i, r = -1;

	hdr[0] = STATE_VERSION;
	memcpy(hdr + 1, f->master, 32);
	memcpy(hdr + 33, f->aaguid, 16);
	put_be32(hdr + 49, f->counter);
	memcpy(hdr + 53, f->pin_hash, 16);
	hdr[69] = f->pin_set;
	hdr[70] = f->pin_retries;
	if (sim_rbuf_put(out, hdr, sizeof(hdr)) != 0)
		goto out;
	for (i = 0; i < MAX_RK; i++) {
		rk_put(b, &f->rk[i]);
		if (sim_rbuf_put(out, b, sizeof(b)) != 0)
			goto out;
	}
	r = 0;
out:
	OPENSSL_cleanse(hdr, sizeof(hdr));
	OPENSSL_cleanse(b, sizeof(b));
	return r;
}

static int fi_load(void *st, const uint8_t *p, size_t n)
{
	struct fido *f = st, *t;
	int i, r = -1, v3 = n > 0 && p[0] == 3;
	size_t blob = v3 ? RK_BLOB_V3 : RK_BLOB;

	if (n != HDR_BLOB + MAX_RK * blob || (p[0] != STATE_VERSION && !v3) ||
	    (t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	memcpy(t->master, p + 1, 32);
	memcpy(t->aaguid, p + 33, 16);
	t->counter = (uint32_t)p[49] << 24 | (uint32_t)p[50] << 16 | (uint32_t)p[51] << 8 | p[52];
	if (p[69] > 1 || p[70] > PIN_RETRIES)
		goto out;
	memcpy(t->pin_hash, p + 53, 16);
	t->pin_set = p[69];
	t->pin_retries = p[70];
	for (i = 0; i < MAX_RK; i++)
		if (rk_get(p + HDR_BLOB + (size_t)i * blob, &t->rk[i], v3) != 0)
			goto out;
	drop_pending(f);
	*f = *t;
	r = 0;
out:
	OPENSSL_cleanse(t, sizeof(*t));
	free(t);
	return r;
}

const struct sim_applet_ops sim_fido_applet = {
	.name = "fido",
	.aid = fido_aid,
	.aid_len = sizeof(fido_aid),
	.flags = SIM_APPLET_CHAINING,
	.create = fi_create,
	.destroy = fi_destroy,
	.select = fi_select,
	.deselect = fi_deselect,
	.process = fi_process,
	.save = fi_save,
	.load = fi_load,
};
