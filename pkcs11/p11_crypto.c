/* p11_crypto.c — sign, decrypt and derive workers. The card does the secret-key operation
 * through skinkeyd; the host hashes (CKM_*_RSA_PKCS, CKM_ECDSA_SHA*), builds DigestInfo and
 * normalises signatures. Output sizes are known in advance, so a size query never costs a tap. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/sk_err.h"
#include "p11.h"

static CK_RV
key_for(struct p11_slot *slot, CK_OBJECT_HANDLE h, struct p11_obj **out)
{
	struct p11_obj *o = p11_obj_find(slot, h);

	*out = NULL;
	if (o == NULL || !p11_obj_visible(slot, o))
		return CKR_KEY_HANDLE_INVALID;
	*out = o;
	return CKR_OK;
}

static int
attr_true(const struct p11_obj *o, CK_ATTRIBUTE_TYPE t)
{
	const struct p11_attr *a = p11_obj_attr(o, t);

	return a != NULL && a->len == sizeof(CK_BBOOL) && a->val[0] == CK_TRUE;
}

static CK_RV
check_sign_mech(const struct p11_obj *k, CK_MECHANISM_TYPE m)
{
	const char *md;
	int rsa;

	if (m == CKM_SHA_1_HMAC)
		return k->kty == CKK_GENERIC_SECRET && k->owner == 0 ? CKR_OK :
		    CKR_KEY_TYPE_INCONSISTENT;
	if (k->cls != CKO_PRIVATE_KEY || p11_mech_hash(m, &md, &rsa) != 0)
		return CKR_MECHANISM_INVALID;
	if (m == CKM_EDDSA)
		return k->kty == CKK_EC_EDWARDS ? CKR_OK : CKR_KEY_TYPE_INCONSISTENT;
	if (m == CKM_RSA_PKCS || rsa)
		return k->kty == CKK_RSA ? CKR_OK : CKR_KEY_TYPE_INCONSISTENT;
	if (m == CKM_ECDSA || md != NULL)
		return k->kty == CKK_EC ? CKR_OK : CKR_KEY_TYPE_INCONSISTENT;
	return CKR_MECHANISM_INVALID;
}

CK_RV
p11_sign_init(struct p11_session *s, struct p11_slot *slot, CK_MECHANISM_PTR m,
    CK_OBJECT_HANDLE key)
{
	struct p11_obj *k;
	CK_RV rv;

	if (s->op != P11_OP_NONE)
		return CKR_OPERATION_ACTIVE;
	if ((rv = key_for(slot, key, &k)) != CKR_OK)
		return rv;
	if (!attr_true(k, CKA_SIGN))
		return CKR_KEY_FUNCTION_NOT_PERMITTED;
	if ((rv = check_sign_mech(k, m->mechanism)) != CKR_OK)
		return rv;
	if (m->mechanism == CKM_EDDSA && m->pParameter != NULL && m->ulParameterLen > 0)
		return CKR_MECHANISM_PARAM_INVALID;   /* Ed25519ph / ctx: the card does pure only */
	if (k->is_private && !p11_slot_user(slot))
		return CKR_USER_NOT_LOGGED_IN;
	s->op = P11_OP_SIGN;
	s->mech = m->mechanism;
	s->key = key;
	return CKR_OK;
}

CK_RV
p11_sign_update(struct p11_session *s, const CK_BYTE *p, CK_ULONG n)
{
	uint8_t *b;

	if (s->op != P11_OP_SIGN)
		return CKR_OPERATION_NOT_INITIALIZED;
	if (n > P11_MAX_DATA - s->data_len) {
		p11_session_crypto_reset(s);
		return CKR_DATA_LEN_RANGE;
	}
	if (n == 0)
		return CKR_OK;
	if ((b = realloc(s->data, s->data_len + n)) == NULL) {
		p11_session_crypto_reset(s);
		return CKR_HOST_MEMORY;
	}
	memcpy(b + s->data_len, p, n);
	s->data = b;
	s->data_len += n;
	return CKR_OK;
}

static size_t
sig_size(const struct p11_obj *k)
{
	if (k->kty == CKK_RSA)
		return k->modulus_bytes;
	if (k->kty == CKK_GENERIC_SECRET)
		return 20;
	return 2 * (size_t)k->curve_bytes;
}

/* What the card signs: DigestInfo(hash) for hashed RSA, the hash for ECDSA_SHA*, else the
 * caller's bytes as they are. */
static int
card_input(const struct p11_session *s, uint8_t **in, size_t *len)
{
	const char *md;
	uint8_t h[EVP_MAX_MD_SIZE];
	int rsa, r;

	*in = NULL;
	*len = 0;
	if (p11_mech_hash(s->mech, &md, &rsa) != 0 || md == NULL) {
		if ((*in = malloc(s->data_len + 1)) == NULL)
			return SK_ERR_NOMEM;
		if (s->data_len > 0)
			memcpy(*in, s->data, s->data_len);
		*len = s->data_len;
		return 0;
	}
	if (rsa)
		return p11_digestinfo(md, s->data, s->data_len, in, len);
	if ((r = p11_hash(md, s->data, s->data_len, h, len)) != 0)
		return r;
	if ((*in = malloc(*len)) == NULL)
		return SK_ERR_NOMEM;
	memcpy(*in, h, *len);
	return 0;
}

static int
normalise(const struct p11_obj *k, uint8_t *raw, size_t raw_len, uint8_t **out, size_t *len)
{
	if (k->kty == CKK_EC)
		return p11_ecdsa_raw(raw, raw_len, (size_t)k->curve_bytes, out, len);
	if (k->kty == CKK_RSA)
		return p11_left_pad(raw, raw_len, k->modulus_bytes, out, len);
	if (raw_len != sig_size(k))
		return SK_ERR_BAD_RESPONSE;
	if ((*out = malloc(raw_len)) == NULL)
		return SK_ERR_NOMEM;
	memcpy(*out, raw, raw_len);
	*len = raw_len;
	return 0;
}

static int
do_sign(struct p11_session *s, struct p11_slot *slot, const struct p11_obj *k, void *h,
    uint8_t **sig, size_t *sig_len)
{
	uint8_t *in = NULL, *raw = NULL, mac[20];
	size_t in_len = 0, raw_len = 0;
	int r;

	if (k->kty == CKK_GENERIC_SECRET) {
		if (s->data_len > 64)
			return SK_ERR_TOOBIG;   /* the applet takes challenges up to 64 bytes */
		if ((r = p11_mod.be->hmac(h, slot->chip, k->ref, s->data, s->data_len, mac)) != 0)
			return r;
		r = normalise(k, mac, sizeof(mac), sig, sig_len);
		OPENSSL_cleanse(mac, sizeof(mac));
		return r;
	}
	if ((r = card_input(s, &in, &in_len)) != 0)
		goto out;
	if ((r = p11_mod.be->sign(h, slot->chip, k->ref, slot->user_pin, in, in_len, &raw,
	    &raw_len)) != 0) {
		p11_slot_pin_refused(slot, r);
		goto out;
	}
	r = normalise(k, raw, raw_len, sig, sig_len);
out:
	free(in);
	free(raw);
	return r;
}

CK_RV
p11_sign_final(struct p11_session *s, struct p11_slot *slot, CK_BYTE_PTR sig, CK_ULONG_PTR len)
{
	struct p11_obj *k;
	uint8_t *out = NULL;
	size_t out_len = 0;
	void *h;
	CK_RV rv;
	int r;

	if (s->op != P11_OP_SIGN)
		return CKR_OPERATION_NOT_INITIALIZED;
	if ((k = p11_obj_find(slot, s->key)) == NULL) {
		p11_session_crypto_reset(s);
		return CKR_KEY_HANDLE_INVALID;
	}
	if (sig == NULL || *len < sig_size(k))   /* size query: no tap needed */
		return p11_out_bytes(NULL, sig_size(k), sig, len);
	if ((rv = p11_backend_handle(&h)) != CKR_OK)
		goto out;
	if ((r = do_sign(s, slot, k, h, &out, &out_len)) != 0) {
		rv = r == SK_ERR_TOOBIG ? CKR_DATA_LEN_RANGE : p11_rv(r, "signing");
		goto out;
	}
	rv = p11_out_bytes(out, out_len, sig, len);
out:
	free(out);
	p11_session_crypto_reset(s);
	return rv;
}

CK_RV
p11_decrypt_init(struct p11_session *s, struct p11_slot *slot, CK_MECHANISM_PTR m,
    CK_OBJECT_HANDLE key)
{
	struct p11_obj *k;
	CK_RV rv;

	if (s->op != P11_OP_NONE)
		return CKR_OPERATION_ACTIVE;
	if (m->mechanism != CKM_RSA_PKCS || slot->kind != P11_KIND_OPENPGP)
		return CKR_MECHANISM_INVALID;
	if ((rv = key_for(slot, key, &k)) != CKR_OK)
		return rv;
	if (k->kty != CKK_RSA || k->cls != CKO_PRIVATE_KEY)
		return CKR_KEY_TYPE_INCONSISTENT;
	if (!attr_true(k, CKA_DECRYPT))
		return CKR_KEY_FUNCTION_NOT_PERMITTED;
	if (!p11_slot_user(slot))
		return CKR_USER_NOT_LOGGED_IN;
	s->op = P11_OP_DECRYPT;
	s->mech = m->mechanism;
	s->key = key;
	return CKR_OK;
}

CK_RV
p11_decrypt(struct p11_session *s, struct p11_slot *slot, const CK_BYTE *in, CK_ULONG n,
    CK_BYTE_PTR out, CK_ULONG_PTR out_len)
{
	struct p11_obj *k;
	uint8_t *pt = NULL;
	size_t pt_len = 0;
	void *h;
	CK_RV rv;
	int r;

	if (s->op != P11_OP_DECRYPT)
		return CKR_OPERATION_NOT_INITIALIZED;
	if ((k = p11_obj_find(slot, s->key)) == NULL) {
		rv = CKR_KEY_HANDLE_INVALID;
		goto out;
	}
	if (n != k->modulus_bytes) {
		rv = CKR_ENCRYPTED_DATA_LEN_RANGE;
		goto out;
	}
	if (out == NULL)   /* upper bound without a tap */
		return p11_out_bytes(NULL, k->modulus_bytes, out, out_len);
	if ((rv = p11_backend_handle(&h)) != CKR_OK)
		goto out;
	if ((r = p11_mod.be->decrypt(h, slot->chip, k->ref, slot->user_pin, in, n, &pt,
	    &pt_len)) != 0) {
		p11_slot_pin_refused(slot, r);
		rv = r == SK_ERR_CRYPTO ? CKR_ENCRYPTED_DATA_INVALID : p11_rv(r, "decrypting");
		goto out;
	}
	rv = p11_out_bytes(pt, pt_len, out, out_len);
	if (rv == CKR_BUFFER_TOO_SMALL)
		goto keep;   /* the caller retries with a bigger buffer; costs one more tap */
out:
	p11_session_crypto_reset(s);
keep:
	if (pt != NULL) {
		OPENSSL_cleanse(pt, pt_len);
		free(pt);
	}
	return rv;
}
