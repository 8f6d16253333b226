/* p11_create.c — objects that change the card or make session objects:
 * C_GenerateKeyPair (on-card, OpenPGP GENERATE ASYMMETRIC KEY PAIR, needs PW3),
 * C_CreateObject of an X.509 certificate (DO 7F21 of the key with that CKA_ID) or of a
 * CKK_GENERIC_SECRET on the HMAC token (programs an empty slot 1/2: CKA_ID 1/2 or CKA_LABEL
 * "HMAC slot N"), C_DeriveKey (ECDH1 -> session secret key), C_DestroyObject (session
 * objects, Vault credentials, HMAC slots).
 * C_CreateObject makes token objects only: every object it could make lives on the chip (or
 * in the vault), so a session object (CKA_TOKEN false, the default) is refused before anything
 * is written: a "session object" that outlived its session would overwrite a secret for good. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/sk_err.h"
#include "p11.h"

static const uint8_t oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const uint8_t oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };

static int
attr_is(const CK_ATTRIBUTE *a, const void *v, size_t n)
{
	return a != NULL && a->pValue != NULL && a->ulValueLen == n && memcmp(a->pValue, v, n) == 0;
}

/* Which key ref: CKA_ID 01/02/03 when given, else 2 for decryption keys, 3 otherwise. */
static CK_RV
pick_ref(const CK_ATTRIBUTE *pub, CK_ULONG np, const CK_ATTRIBUTE *priv, CK_ULONG nv,
    CK_MECHANISM_TYPE m, int *ref)
{
	const CK_ATTRIBUTE *id = p11_tmpl_find(priv, nv, CKA_ID);
	int dec = 0, der = 0;

	if (id == NULL)
		id = p11_tmpl_find(pub, np, CKA_ID);
	if (id != NULL) {
		if (id->pValue == NULL || id->ulValueLen != 1 ||
		    ((const uint8_t *)id->pValue)[0] < 1 || ((const uint8_t *)id->pValue)[0] > 3)
			return CKR_ATTRIBUTE_VALUE_INVALID;
		*ref = ((const uint8_t *)id->pValue)[0];
		return CKR_OK;
	}
	p11_tmpl_bool(priv, nv, CKA_DECRYPT, &dec);
	p11_tmpl_bool(priv, nv, CKA_DERIVE, &der);
	*ref = (dec || der || m == CKM_EC_MONTGOMERY_KEY_PAIR_GEN) ? 2 : 3;
	return CKR_OK;
}

static CK_RV
pick_algo(CK_MECHANISM_TYPE m, const CK_ATTRIBUTE *pub, CK_ULONG np, int ref, const char **algo)
{
	const CK_ATTRIBUTE *ecp = p11_tmpl_find(pub, np, CKA_EC_PARAMS);
	CK_ULONG bits = 0;

	*algo = NULL;
	if (m == CKM_RSA_PKCS_KEY_PAIR_GEN) {
		if (p11_tmpl_ulong(pub, np, CKA_MODULUS_BITS, &bits) < 0)
			return CKR_ATTRIBUTE_VALUE_INVALID;
		if (bits == 0 || bits == 2048)
			*algo = "rsa2048";
		else if (bits == 4096)
			*algo = "rsa4096";
		else
			return CKR_ATTRIBUTE_VALUE_INVALID;
	} else if (m == CKM_EC_KEY_PAIR_GEN) {
		if (attr_is(ecp, oid_p256, sizeof(oid_p256)))
			*algo = "nistp256";
		else if (attr_is(ecp, oid_p384, sizeof(oid_p384)))
			*algo = "nistp384";
		else
			return CKR_CURVE_NOT_SUPPORTED;
	} else if (m == CKM_EC_EDWARDS_KEY_PAIR_GEN) {
		*algo = "ed25519";
	} else if (m == CKM_EC_MONTGOMERY_KEY_PAIR_GEN) {
		*algo = "cv25519";
	} else {
		return CKR_MECHANISM_INVALID;
	}
	/* X25519 only decrypts (DEC slot); Ed25519 only signs (SIG/AUT slots). */
	if ((m == CKM_EC_MONTGOMERY_KEY_PAIR_GEN) != (ref == 2) && m != CKM_RSA_PKCS_KEY_PAIR_GEN &&
	    m != CKM_EC_KEY_PAIR_GEN)
		return CKR_TEMPLATE_INCONSISTENT;
	return CKR_OK;
}

/* On-card keys are token objects: a template asking for session objects (CKA_TOKEN false, the
 * default when absent) is refused before the chip replaces the key in that slot for good. */
static CK_RV
token_objects(const CK_ATTRIBUTE *pub, CK_ULONG np, const CK_ATTRIBUTE *priv, CK_ULONG nv)
{
	int tpub = 0, tpriv = 0;

	if (p11_tmpl_bool(pub, np, CKA_TOKEN, &tpub) < 0 ||
	    p11_tmpl_bool(priv, nv, CKA_TOKEN, &tpriv) < 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if (!tpub || !tpriv) {
		p11_log("C_GenerateKeyPair: keys on the card are token objects; CKA_TOKEN must be "
		    "true in both templates: nothing generated");
		return CKR_TEMPLATE_INCONSISTENT;
	}
	return CKR_OK;
}

CK_RV
p11_genkey(struct p11_session *s, struct p11_slot *slot, CK_MECHANISM_PTR m,
    CK_ATTRIBUTE_PTR pubt, CK_ULONG npub, CK_ATTRIBUTE_PTR privt, CK_ULONG npriv,
    CK_OBJECT_HANDLE_PTR pub, CK_OBJECT_HANDLE_PTR priv)
{
	struct p11_pubkey k;
	const char *algo;
	void *h;
	CK_RV rv;
	int ref = 0, r;

	memset(&k, 0, sizeof(k));
	if (slot->kind != P11_KIND_OPENPGP)
		return CKR_MECHANISM_INVALID;
	if (!(s->flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_ONLY;
	if ((rv = token_objects(pubt, npub, privt, npriv)) != CKR_OK ||
	    (rv = pick_ref(pubt, npub, privt, npriv, m->mechanism, &ref)) != CKR_OK ||
	    (rv = pick_algo(m->mechanism, pubt, npub, ref, &algo)) != CKR_OK)
		return rv;
	if ((rv = p11_backend_handle(&h)) != CKR_OK)
		return rv;
	if ((r = p11_mod.be->genkey(h, slot->chip, ref, algo, slot->so_pin, &k)) != 0) {
		p11_slot_pin_refused(slot, r);
		rv = r == SK_ERR_PIN_REQUIRED || r == SK_ERR_DENIED ? CKR_USER_NOT_LOGGED_IN :
		    p11_rv(r, "generating a key on the card");
		goto out;
	}
	if ((rv = p11_objects_load(slot)) != CKR_OK)
		goto out;
	*priv = p11_token_handle(slot, ref, P11_W_PRIV);
	*pub = p11_token_handle(slot, ref, P11_W_PUB);
	if (p11_obj_find(slot, *priv) == NULL || p11_obj_find(slot, *pub) == NULL) {
		p11_log("generated key %d did not show up in skinkeyd's cache", ref);
		rv = CKR_DEVICE_ERROR;
	}
out:
	p11_pubkey_clear(&k);
	return rv;
}

static CK_RV
create_cert(struct p11_slot *slot, const CK_ATTRIBUTE *t, CK_ULONG n, CK_OBJECT_HANDLE *out)
{
	const CK_ATTRIBUTE *id = p11_tmpl_find(t, n, CKA_ID), *val = p11_tmpl_find(t, n, CKA_VALUE);
	CK_ULONG ct = CKC_X_509;
	void *h;
	CK_RV rv;
	int ref, r, tok = 1;

	if (p11_tmpl_ulong(t, n, CKA_CERTIFICATE_TYPE, &ct) < 0 || ct != CKC_X_509)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if (p11_tmpl_bool(t, n, CKA_TOKEN, &tok) < 0 || !tok)
		return CKR_TEMPLATE_INCONSISTENT;   /* only on-card certificates */
	if (id == NULL || id->pValue == NULL || id->ulValueLen != 1 || val == NULL ||
	    val->pValue == NULL || val->ulValueLen == 0)
		return CKR_TEMPLATE_INCOMPLETE;
	ref = ((const uint8_t *)id->pValue)[0];
	if (ref < 1 || ref > 3)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if ((rv = p11_backend_handle(&h)) != CKR_OK)
		return rv;
	r = p11_mod.be->writecert(h, slot->chip, ref, slot->so_pin, val->pValue, val->ulValueLen);
	p11_slot_pin_refused(slot, r);
	if (r != 0)
		return r == SK_ERR_PIN_REQUIRED || r == SK_ERR_DENIED ? CKR_USER_NOT_LOGGED_IN :
		    p11_rv(r, "writing the certificate to the card");
	if ((rv = p11_objects_load(slot)) != CKR_OK)
		return rv;
	*out = p11_token_handle(slot, ref, P11_W_CERT);
	return p11_obj_find(slot, *out) != NULL ? CKR_OK : CKR_DEVICE_ERROR;
}

static int
hmac_slot_of(const CK_ATTRIBUTE *t, CK_ULONG n)
{
	const CK_ATTRIBUTE *id = p11_tmpl_find(t, n, CKA_ID), *l = p11_tmpl_find(t, n, CKA_LABEL);

	if (id != NULL && id->pValue != NULL && id->ulValueLen == 1)
		return ((const uint8_t *)id->pValue)[0];
	if (attr_is(l, "HMAC slot 1", 11) || attr_is(l, "slot1", 5) || attr_is(l, "1", 1))
		return 1;
	if (attr_is(l, "HMAC slot 2", 11) || attr_is(l, "slot2", 5) || attr_is(l, "2", 1))
		return 2;
	return 0;
}

/* The HMAC token's keys are public (no login), sensitive and never extractable: a template
 * asking otherwise cannot be honoured. */
static CK_RV
hmac_template(const CK_ATTRIBUTE *t, CK_ULONG n)
{
	CK_ULONG kt = CKK_GENERIC_SECRET;
	int priv = 0, sens = 1, ext = 0;

	if (p11_tmpl_ulong(t, n, CKA_KEY_TYPE, &kt) < 0 ||
	    (kt != CKK_GENERIC_SECRET && kt != CKK_SHA_1_HMAC))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if (p11_tmpl_bool(t, n, CKA_PRIVATE, &priv) < 0 ||
	    p11_tmpl_bool(t, n, CKA_SENSITIVE, &sens) < 0 ||
	    p11_tmpl_bool(t, n, CKA_EXTRACTABLE, &ext) < 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if (priv || !sens || ext) {
		p11_log("HMAC key: the token has no login and never gives a key back "
		    "(CKA_PRIVATE must be false, CKA_SENSITIVE true, CKA_EXTRACTABLE false)");
		return CKR_TEMPLATE_INCONSISTENT;
	}
	return CKR_OK;
}

static CK_RV
create_hmac(struct p11_slot *slot, const CK_ATTRIBUTE *t, CK_ULONG n, CK_OBJECT_HANDLE *out)
{
	const CK_ATTRIBUTE *val = p11_tmpl_find(t, n, CKA_VALUE);
	int no = hmac_slot_of(t, n), r;
	void *h;
	CK_RV rv;

	if ((rv = hmac_template(t, n)) != CKR_OK)
		return rv;
	if (no != 1 && no != 2)
		return CKR_TEMPLATE_INCOMPLETE;
	/* A YubiKey-style slot holds 20 key bytes; shorter keys are zero-padded, which gives the
	 * same HMAC (RFC 2104 pads the key with zeros anyway). */
	if (val == NULL || val->pValue == NULL || val->ulValueLen == 0 || val->ulValueLen > 20)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	/* an occupied slot is never overwritten: C_DestroyObject its key first */
	if ((rv = p11_objects_load(slot)) != CKR_OK)
		return rv;
	if (p11_obj_find(slot, p11_token_handle(slot, no, P11_W_SECRET)) != NULL) {
		p11_log("HMAC slot %d already holds a key: destroy that object first", no);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	if ((rv = p11_backend_handle(&h)) != CKR_OK)
		return rv;
	if ((r = p11_mod.be->hmac_program(h, slot->chip, no, val->pValue, val->ulValueLen)) != 0)
		return p11_rv(r, "programming the HMAC slot");
	if ((rv = p11_objects_load(slot)) != CKR_OK)
		return rv;
	*out = p11_token_handle(slot, no, P11_W_SECRET);
	return p11_obj_find(slot, *out) != NULL ? CKR_OK : CKR_DEVICE_ERROR;
}

CK_RV
p11_create(struct p11_session *s, struct p11_slot *slot, CK_ATTRIBUTE_PTR t, CK_ULONG n,
    CK_OBJECT_HANDLE_PTR out)
{
	CK_ULONG cls;
	int tok = 0;

	*out = CK_INVALID_HANDLE;
	if (p11_tmpl_ulong(t, n, CKA_CLASS, &cls) != 1)
		return CKR_TEMPLATE_INCOMPLETE;
	if (p11_tmpl_bool(t, n, CKA_TOKEN, &tok) < 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if (!tok) {
		p11_log("C_CreateObject: this token keeps no session objects (CKA_TOKEN false): "
		    "nothing written");
		return CKR_TEMPLATE_INCONSISTENT;
	}
	if (!(s->flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_ONLY;
	if (cls == CKO_CERTIFICATE && slot->kind == P11_KIND_OPENPGP)
		return create_cert(slot, t, n, out);
	if (cls == CKO_SECRET_KEY && slot->kind == P11_KIND_HMAC)
		return create_hmac(slot, t, n, out);
	if (cls == CKO_DATA && slot->kind == P11_KIND_VAULT)
		return p11_vault_create(slot, t, n, out);
	return CKR_TEMPLATE_INCONSISTENT;
}

/* Erases an HMAC slot: the explicit step before programming it anew. */
static CK_RV
destroy_hmac(struct p11_slot *slot, int no)
{
	void *h;
	CK_RV rv;
	int r;

	if ((rv = p11_backend_handle(&h)) != CKR_OK)
		return rv;
	if ((r = p11_mod.be->hmac_delete(h, slot->chip, no)) != 0)
		return p11_rv(r, "erasing the HMAC slot");
	return p11_objects_load(slot);
}

CK_RV
p11_destroy(struct p11_session *s, struct p11_slot *slot, CK_OBJECT_HANDLE h)
{
	struct p11_obj *o;
	size_t i;

	for (i = 0; i < slot->nobjs; i++) {
		o = &slot->objs[i];
		if (o->handle != h)
			continue;
		if (!p11_obj_visible(slot, o))
			return CKR_OBJECT_HANDLE_INVALID;
		if (o->owner == 0 && !(s->flags & CKF_RW_SESSION))
			return CKR_SESSION_READ_ONLY;   /* token objects need a R/W session */
		if (o->vault)
			return p11_vault_destroy(slot, i);
		if (o->owner == 0 && slot->kind == P11_KIND_HMAC)
			return destroy_hmac(slot, o->ref);
		if (o->owner == 0)
			return CKR_ACTION_PROHIBITED;   /* OpenPGP objects: CKA_DESTROYABLE false */
		p11_obj_free(o);
		slot->objs[i] = slot->objs[slot->nobjs - 1];
		slot->nobjs--;
		return CKR_OK;
	}
	return CKR_OBJECT_HANDLE_INVALID;
}

/* ---- ECDH ---- */

/* Accepts the raw point or a DER OCTET STRING around it. */
static int
peer_point(const struct p11_obj *k, const CK_ECDH1_DERIVE_PARAMS *p, const uint8_t **q,
    size_t *qlen)
{
	size_t want = k->kty == CKK_EC ? 1 + 2 * (size_t)k->curve_bytes : 32;
	const uint8_t *d = p->public_data;
	size_t n = p->public_data_len;

	if (d == NULL)
		return SK_ERR_ARG;
	if (n == want + 2 && d[0] == 0x04 && d[1] == want) {
		d += 2;
		n -= 2;
	}
	if (n != want)
		return SK_ERR_ARG;
	*q = d;
	*qlen = n;
	return 0;
}

static CK_RV
derived_object(struct p11_session *s, struct p11_slot *slot, const uint8_t *z, size_t zlen,
    const CK_ATTRIBUTE *t, CK_ULONG n, CK_OBJECT_HANDLE *out)
{
	struct p11_obj o;
	CK_ULONG vlen = zlen, kt = CKK_GENERIC_SECRET;
	int sens = 0, ext = 1, tok = 0, priv = 1;
	const CK_ATTRIBUTE *l = p11_tmpl_find(t, n, CKA_LABEL);
	CK_RV rv = CKR_HOST_MEMORY;

	memset(&o, 0, sizeof(o));
	if (p11_tmpl_ulong(t, n, CKA_VALUE_LEN, &vlen) < 0 || vlen == 0 || vlen > zlen ||
	    p11_tmpl_ulong(t, n, CKA_KEY_TYPE, &kt) < 0 ||
	    p11_tmpl_bool(t, n, CKA_SENSITIVE, &sens) < 0 ||
	    p11_tmpl_bool(t, n, CKA_EXTRACTABLE, &ext) < 0 || p11_tmpl_bool(t, n, CKA_TOKEN, &tok) < 0 ||
	    p11_tmpl_bool(t, n, CKA_PRIVATE, &priv) < 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if (tok)
		return CKR_TEMPLATE_INCONSISTENT;   /* the card stores no derived keys */
	o.cls = CKO_SECRET_KEY;
	o.kty = kt;
	o.sensitive = sens || !ext;
	o.is_private = priv;   /* CKA_PRIVATE (default true): seen only while the user is in */
	o.owner = s->handle;
	o.handle = P11_SESSION_OBJ | p11_mod.next_object++;
	if (p11_obj_add_ulong(&o, CKA_CLASS, CKO_SECRET_KEY) != 0 ||
	    p11_obj_add_ulong(&o, CKA_KEY_TYPE, kt) != 0 || p11_obj_add_bool(&o, CKA_TOKEN, 0) != 0 ||
	    p11_obj_add_bool(&o, CKA_PRIVATE, priv) != 0 || p11_obj_add_bool(&o, CKA_SENSITIVE, sens) != 0 ||
	    p11_obj_add_bool(&o, CKA_EXTRACTABLE, ext) != 0 ||
	    p11_obj_add_bool(&o, CKA_DESTROYABLE, 1) != 0 || p11_obj_add_bool(&o, CKA_LOCAL, 0) != 0 ||
	    p11_obj_add_bool(&o, CKA_MODIFIABLE, 0) != 0 ||   /* C_SetAttributeValue refuses */
	    p11_obj_add_bool(&o, CKA_COPYABLE, 0) != 0 ||     /* no C_CopyObject */
	    p11_obj_add_ulong(&o, CKA_VALUE_LEN, vlen) != 0 ||
	    (l != NULL && p11_obj_add_attr(&o, CKA_LABEL, l->pValue, l->ulValueLen) != 0) ||
	    p11_obj_add_attr(&o, CKA_VALUE, z, vlen) != 0)
		goto out;
	*out = o.handle;
	rv = p11_obj_append(slot, &o);
out:
	p11_obj_free(&o);
	return rv;
}

CK_RV
p11_derive(struct p11_session *s, struct p11_slot *slot, CK_MECHANISM_PTR m,
    CK_OBJECT_HANDLE key, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR out)
{
	const CK_ECDH1_DERIVE_PARAMS *p = m->pParameter;
	struct p11_obj *k = p11_obj_find(slot, key);
	const uint8_t *q;
	uint8_t *z = NULL;
	size_t qlen, zlen = 0;
	void *h;
	CK_RV rv;
	int r;

	*out = CK_INVALID_HANDLE;
	if (m->mechanism != CKM_ECDH1_DERIVE || slot->kind != P11_KIND_OPENPGP)
		return CKR_MECHANISM_INVALID;
	if (p == NULL || m->ulParameterLen != sizeof(*p) || p->kdf != CKD_NULL ||
	    p->shared_data_len != 0)
		return CKR_MECHANISM_PARAM_INVALID;
	if (k == NULL || !p11_obj_visible(slot, k) || k->cls != CKO_PRIVATE_KEY)
		return CKR_KEY_HANDLE_INVALID;
	if (k->kty != CKK_EC && k->kty != CKK_EC_MONTGOMERY)
		return CKR_KEY_TYPE_INCONSISTENT;
	if (k->ref != 2)
		return CKR_KEY_FUNCTION_NOT_PERMITTED;
	if (!p11_slot_user(slot))
		return CKR_USER_NOT_LOGGED_IN;
	if (peer_point(k, p, &q, &qlen) != 0)
		return CKR_MECHANISM_PARAM_INVALID;
	if ((rv = p11_backend_handle(&h)) != CKR_OK)
		return rv;
	if ((r = p11_mod.be->decrypt(h, slot->chip, 2, slot->user_pin, q, qlen, &z, &zlen)) != 0) {
		p11_slot_pin_refused(slot, r);
		return p11_rv(r, "ECDH on the card");
	}
	rv = derived_object(s, slot, z, zlen, t, n, out);
	OPENSSL_cleanse(z, zlen);
	free(z);
	return rv;
}
