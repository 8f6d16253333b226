/* p11_objects.c — token objects built from skinkeyd's cached public data: per OpenPGP key ref a
 * private key, a public key and (when 7F21 holds one) a certificate sharing one CKA_ID; per
 * HMAC slot a sensitive generic secret key. Attributes live in a flat list per object. */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "common/sk_err.h"
#include "p11.h"

static const uint8_t oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const uint8_t oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const uint8_t oid_ed25519[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 };   /* 1.3.101.112 */
static const uint8_t oid_x25519[] = { 0x06, 0x03, 0x2b, 0x65, 0x6e };    /* 1.3.101.110 */

static const char *const key_labels[] = { "", "Signature key", "Encryption key",
	"Authentication key" };

void
p11_obj_free(struct p11_obj *o)
{
	size_t i;

	if (o == NULL)
		return;
	for (i = 0; i < o->nattrs; i++) {
		if (o->attrs[i].val != NULL)
			OPENSSL_cleanse(o->attrs[i].val, o->attrs[i].len);
		free(o->attrs[i].val);
	}
	free(o->attrs);
	memset(o, 0, sizeof(*o));
}

void
p11_objects_free(struct p11_slot *s)
{
	size_t i;

	for (i = 0; i < s->nobjs; i++)
		p11_obj_free(&s->objs[i]);
	free(s->objs);
	s->objs = NULL;
	s->nobjs = 0;
	s->loaded = 0;
}

int
p11_obj_add_attr(struct p11_obj *o, CK_ATTRIBUTE_TYPE t, const void *v, CK_ULONG len)
{
	struct p11_attr *a;
	uint8_t *copy = NULL;

	if (len > 0) {
		if ((copy = malloc(len)) == NULL)
			return SK_ERR_NOMEM;
		memcpy(copy, v, len);
	}
	a = realloc(o->attrs, (o->nattrs + 1) * sizeof(*a));
	if (a == NULL) {
		free(copy);
		return SK_ERR_NOMEM;
	}
	o->attrs = a;
	a[o->nattrs].type = t;
	a[o->nattrs].val = copy;
	a[o->nattrs].len = len;
	o->nattrs++;
	return 0;
}

int
p11_obj_add_bool(struct p11_obj *o, CK_ATTRIBUTE_TYPE t, int v)
{
	CK_BBOOL b = v ? CK_TRUE : CK_FALSE;

	return p11_obj_add_attr(o, t, &b, sizeof(b));
}

int
p11_obj_add_ulong(struct p11_obj *o, CK_ATTRIBUTE_TYPE t, CK_ULONG v)
{
	return p11_obj_add_attr(o, t, &v, sizeof(v));
}

const struct p11_attr *
p11_obj_attr(const struct p11_obj *o, CK_ATTRIBUTE_TYPE t)
{
	size_t i;

	for (i = 0; i < o->nattrs; i++)
		if (o->attrs[i].type == t)
			return &o->attrs[i];
	return NULL;
}

/* The attributes that hold the secret parts of a sensitive object (PKCS#11 3.0 4.9/4.10): they
 * answer CKR_ATTRIBUTE_SENSITIVE. An attribute the object's type does not have at all (CKA_VALUE
 * of an RSA key, CKA_PRIME_1 of an EC key) is CKR_ATTRIBUTE_TYPE_INVALID like any other. */
static int
secret_part(const struct p11_obj *o, CK_ATTRIBUTE_TYPE t)
{
	if (!o->sensitive)
		return 0;
	if (o->cls == CKO_SECRET_KEY)
		return t == CKA_VALUE;
	if (o->cls != CKO_PRIVATE_KEY)
		return 0;
	if (o->kty == CKK_RSA)
		return t == CKA_PRIVATE_EXPONENT || t == CKA_PRIME_1 || t == CKA_PRIME_2 ||
		    t == CKA_EXPONENT_1 || t == CKA_EXPONENT_2 || t == CKA_COEFFICIENT;
	return t == CKA_VALUE;   /* EC, Edwards, Montgomery: the private scalar */
}

/* C_GetAttributeValue semantics: every attribute is processed; the worst error wins in the
 * spec's order (sensitive / invalid type / too small). */
CK_RV
p11_obj_get_attrs(const struct p11_obj *o, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	CK_RV rv = CKR_OK, r;
	const struct p11_attr *a;
	CK_ULONG i;

	for (i = 0; i < n; i++) {
		a = p11_obj_attr(o, t[i].type);
		if (secret_part(o, t[i].type)) {
			t[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
			rv = CKR_ATTRIBUTE_SENSITIVE;
			continue;
		}
		if (a == NULL) {
			t[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
			if (rv == CKR_OK)
				rv = CKR_ATTRIBUTE_TYPE_INVALID;
			continue;
		}
		r = p11_out_bytes(a->val, a->len, t[i].pValue, &t[i].ulValueLen);
		if (r == CKR_BUFFER_TOO_SMALL) {
			t[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
			if (rv == CKR_OK)
				rv = r;
		}
	}
	return rv;
}

int
p11_obj_match(const struct p11_obj *o, const CK_ATTRIBUTE *t, CK_ULONG n)
{
	const struct p11_attr *a;
	CK_ULONG i;

	for (i = 0; i < n; i++) {
		if (secret_part(o, t[i].type))
			return 0;
		a = p11_obj_attr(o, t[i].type);
		if (a == NULL || a->len != t[i].ulValueLen)
			return 0;
		if (a->len > 0 && (t[i].pValue == NULL || memcmp(a->val, t[i].pValue, a->len) != 0))
			return 0;
	}
	return 1;
}

/* Private objects: seen by the user, and by the SO, who manages the OpenPGP keys (key
 * generation and certificates need PW3) and must see what C_GenerateKeyPair returns; using a
 * private key still needs the user (p11_crypto.c). */
int
p11_obj_visible(const struct p11_slot *s, const struct p11_obj *o)
{
	return !o->is_private || s->so_in || p11_slot_user((struct p11_slot *)s);
}

struct p11_obj *
p11_obj_find(struct p11_slot *s, CK_OBJECT_HANDLE h)
{
	size_t i;

	for (i = 0; i < s->nobjs; i++)
		if (s->objs[i].handle == h)
			return &s->objs[i];
	return NULL;
}

CK_RV
p11_obj_append(struct p11_slot *s, struct p11_obj *o)
{
	struct p11_obj *n = realloc(s->objs, (s->nobjs + 1) * sizeof(*n));

	if (n == NULL)
		return CKR_HOST_MEMORY;
	s->objs = n;
	n[s->nobjs++] = *o;
	memset(o, 0, sizeof(*o));
	return CKR_OK;
}

CK_OBJECT_HANDLE
p11_token_handle(const struct p11_slot *s, int ref, int what)
{
	size_t idx = (size_t)(s - p11_mod.slots);

	return (CK_OBJECT_HANDLE)(((idx + 1) << 12) | ((size_t)ref << 4) | (size_t)what);
}

/* DER OCTET STRING around a point (CKA_EC_POINT). */
static int
add_ec_point(struct p11_obj *o, const uint8_t *q, size_t qlen)
{
	uint8_t buf[4 + 256];
	size_t hdr;

	if (qlen > 255)
		return SK_ERR_TOOBIG;
	buf[0] = 0x04;
	if (qlen < 0x80) {
		buf[1] = (uint8_t)qlen;
		hdr = 2;
	} else {
		buf[1] = 0x81;
		buf[2] = (uint8_t)qlen;
		hdr = 3;
	}
	memcpy(buf + hdr, q, qlen);
	return p11_obj_add_attr(o, CKA_EC_POINT, buf, (CK_ULONG)(hdr + qlen));
}

static int
add_key_material(struct p11_obj *o, const struct p11_pubkey *k)
{
	const uint8_t *oid;
	size_t oid_len;
	int r;

	if (k->kty == P11_KTY_RSA) {
		if ((r = p11_obj_add_attr(o, CKA_MODULUS, k->n, (CK_ULONG)k->n_len)) != 0 ||
		    (r = p11_obj_add_attr(o, CKA_PUBLIC_EXPONENT, k->e, (CK_ULONG)k->e_len)) != 0)
			return r;
		return p11_obj_add_ulong(o, CKA_MODULUS_BITS, (CK_ULONG)k->n_len * 8);
	}
	if (k->kty == P11_KTY_EC && k->curve == P11_CURVE_P256) {
		oid = oid_p256; oid_len = sizeof(oid_p256);
	} else if (k->kty == P11_KTY_EC && k->curve == P11_CURVE_P384) {
		oid = oid_p384; oid_len = sizeof(oid_p384);
	} else if (k->kty == P11_KTY_ED25519) {
		oid = oid_ed25519; oid_len = sizeof(oid_ed25519);
	} else if (k->kty == P11_KTY_X25519) {
		oid = oid_x25519; oid_len = sizeof(oid_x25519);
	} else {
		return SK_ERR_UNSUPPORTED;
	}
	if ((r = p11_obj_add_attr(o, CKA_EC_PARAMS, oid, (CK_ULONG)oid_len)) != 0)
		return r;
	return add_ec_point(o, k->q, k->q_len);
}

static CK_KEY_TYPE
ck_key_type(int kty)
{
	switch (kty) {
	case P11_KTY_RSA: return CKK_RSA;
	case P11_KTY_EC: return CKK_EC;
	case P11_KTY_ED25519: return CKK_EC_EDWARDS;
	default: return CKK_EC_MONTGOMERY;
	}
}

static int
add_common(struct p11_obj *o, CK_OBJECT_CLASS cls, int ref, const char *label)
{
	uint8_t id = (uint8_t)ref;
	int r;

	o->cls = cls;
	if ((r = p11_obj_add_ulong(o, CKA_CLASS, cls)) != 0 ||
	    (r = p11_obj_add_bool(o, CKA_TOKEN, 1)) != 0 ||
	    (r = p11_obj_add_bool(o, CKA_PRIVATE, o->is_private)) != 0 ||
	    (r = p11_obj_add_bool(o, CKA_MODIFIABLE, 0)) != 0 ||
	    (r = p11_obj_add_bool(o, CKA_COPYABLE, 0)) != 0 ||
	    (r = p11_obj_add_bool(o, CKA_DESTROYABLE, 0)) != 0 ||
	    (r = p11_obj_add_attr(o, CKA_LABEL, label, (CK_ULONG)strlen(label))) != 0)
		return r;
	return p11_obj_add_attr(o, CKA_ID, &id, 1);
}

static int
fill_priv(struct p11_obj *o, int ref, const struct p11_pubkey *k)
{
	int sign = ref != 2 && k->kty != P11_KTY_X25519;
	int ecc_dec = ref == 2 && k->kty != P11_KTY_RSA;
	int r;

	o->is_private = 1;
	o->sensitive = 1;
	if ((r = add_common(o, CKO_PRIVATE_KEY, ref, key_labels[ref])) != 0 ||
	    (r = p11_obj_add_ulong(o, CKA_KEY_TYPE, ck_key_type(k->kty))) != 0 ||
	    (r = p11_obj_add_bool(o, CKA_SENSITIVE, 1)) != 0 ||
	    (r = p11_obj_add_bool(o, CKA_ALWAYS_SENSITIVE, 1)) != 0 ||
	    (r = p11_obj_add_bool(o, CKA_EXTRACTABLE, 0)) != 0 ||
	    (r = p11_obj_add_bool(o, CKA_NEVER_EXTRACTABLE, 1)) != 0 ||
	    (r = p11_obj_add_bool(o, CKA_LOCAL, 1)) != 0 ||
	    (r = p11_obj_add_bool(o, CKA_SIGN, sign)) != 0 ||
	    (r = p11_obj_add_bool(o, CKA_SIGN_RECOVER, 0)) != 0 ||
	    (r = p11_obj_add_bool(o, CKA_DECRYPT, ref == 2 && k->kty == P11_KTY_RSA)) != 0 ||
	    (r = p11_obj_add_bool(o, CKA_UNWRAP, 0)) != 0 ||
	    (r = p11_obj_add_bool(o, CKA_DERIVE, ecc_dec)) != 0 ||
	    (r = p11_obj_add_bool(o, CKA_ALWAYS_AUTHENTICATE, 0)) != 0)
		return r;
	return add_key_material(o, k);
}

static int
fill_pub(struct p11_obj *o, int ref, const struct p11_pubkey *k)
{
	int r;

	if ((r = add_common(o, CKO_PUBLIC_KEY, ref, key_labels[ref])) != 0 ||
	    (r = p11_obj_add_ulong(o, CKA_KEY_TYPE, ck_key_type(k->kty))) != 0 ||
	    (r = p11_obj_add_bool(o, CKA_LOCAL, 1)) != 0 ||
	    (r = p11_obj_add_bool(o, CKA_VERIFY, ref != 2)) != 0 ||
	    (r = p11_obj_add_bool(o, CKA_VERIFY_RECOVER, 0)) != 0 ||
	    (r = p11_obj_add_bool(o, CKA_ENCRYPT, ref == 2 && k->kty == P11_KTY_RSA)) != 0 ||
	    (r = p11_obj_add_bool(o, CKA_WRAP, 0)) != 0 ||
	    (r = p11_obj_add_bool(o, CKA_DERIVE, 0)) != 0 ||
	    (r = p11_obj_add_bool(o, CKA_TRUSTED, 0)) != 0)
		return r;
	return add_key_material(o, k);
}

static void
set_sizes(struct p11_obj *o, const struct p11_pubkey *k)
{
	o->kty = ck_key_type(k->kty);
	o->modulus_bytes = k->kty == P11_KTY_RSA ? k->n_len : 0;
	if (k->kty == P11_KTY_EC)
		o->curve_bytes = k->curve == P11_CURVE_P384 ? 48 : 32;
	else if (k->kty != P11_KTY_RSA)
		o->curve_bytes = 32;
}

CK_RV
p11_obj_build_key(struct p11_slot *s, int ref, const struct p11_pubkey *k,
    struct p11_obj **priv, struct p11_obj **pub)
{
	struct p11_obj *v = calloc(1, sizeof(*v)), *b = calloc(1, sizeof(*b));
	CK_RV rv = CKR_HOST_MEMORY;

	if (v == NULL || b == NULL || ref < 1 || ref > 3)
		goto out;
	if (fill_priv(v, ref, k) != 0 || fill_pub(b, ref, k) != 0)
		goto out;
	set_sizes(v, k);
	set_sizes(b, k);
	v->ref = b->ref = ref;
	v->handle = p11_token_handle(s, ref, P11_W_PRIV);
	b->handle = p11_token_handle(s, ref, P11_W_PUB);
	*priv = v;
	*pub = b;
	v = b = NULL;
	rv = CKR_OK;
out:
	if (v != NULL)
		p11_obj_free(v);
	if (b != NULL)
		p11_obj_free(b);
	free(v);
	free(b);
	return rv;
}

static int
add_x509_name(struct p11_obj *o, CK_ATTRIBUTE_TYPE t, const X509_NAME *name)
{
	unsigned char *der = NULL;
	int n = i2d_X509_NAME(name, &der), r;

	if (n <= 0)
		return SK_ERR_FORMAT;
	r = p11_obj_add_attr(o, t, der, (CK_ULONG)n);
	OPENSSL_free(der);
	return r;
}

static int
add_x509_fields(struct p11_obj *o, const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	unsigned char *ser = NULL;
	int n, r = SK_ERR_FORMAT;

	if (x == NULL || p != der + len) {
		p11_log("certificate from the card does not parse as X.509");
		goto out;
	}
	if ((r = add_x509_name(o, CKA_SUBJECT, X509_get_subject_name(x))) != 0 ||
	    (r = add_x509_name(o, CKA_ISSUER, X509_get_issuer_name(x))) != 0)
		goto out;
	n = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &ser);
	r = n > 0 ? p11_obj_add_attr(o, CKA_SERIAL_NUMBER, ser, (CK_ULONG)n) : SK_ERR_FORMAT;
out:
	OPENSSL_free(ser);
	X509_free(x);
	return r;
}

CK_RV
p11_obj_build_cert(struct p11_slot *s, int ref, const uint8_t *der, size_t len,
    struct p11_obj **out)
{
	struct p11_obj *c = calloc(1, sizeof(*c));
	char label[64];
	CK_RV rv = CKR_HOST_MEMORY;

	*out = NULL;
	if (c == NULL || ref < 1 || ref > 3)
		goto out;
	snprintf(label, sizeof(label), "%s certificate", key_labels[ref]);
	if (add_common(c, CKO_CERTIFICATE, ref, label) != 0 ||
	    p11_obj_add_ulong(c, CKA_CERTIFICATE_TYPE, CKC_X_509) != 0 ||
	    p11_obj_add_ulong(c, CKA_CERTIFICATE_CATEGORY, 1) != 0 ||
	    p11_obj_add_bool(c, CKA_TRUSTED, 0) != 0 ||
	    p11_obj_add_attr(c, CKA_VALUE, der, (CK_ULONG)len) != 0)
		goto out;
	if (add_x509_fields(c, der, len) != 0) {
		rv = CKR_DEVICE_ERROR;
		goto out;
	}
	c->ref = ref;
	c->handle = p11_token_handle(s, ref, P11_W_CERT);
	*out = c;
	c = NULL;
	rv = CKR_OK;
out:
	if (c != NULL)
		p11_obj_free(c);
	free(c);
	return rv;
}

static CK_RV
append_owned(struct p11_slot *s, struct p11_obj **o)
{
	CK_RV rv = p11_obj_append(s, *o);

	if (rv != CKR_OK)
		p11_obj_free(*o);
	free(*o);
	*o = NULL;
	return rv;
}

static CK_RV
load_openpgp_ref(struct p11_slot *s, void *h, int ref)
{
	struct p11_pubkey k;
	struct p11_obj *priv = NULL, *pub = NULL, *cert = NULL;
	uint8_t *der = NULL;
	size_t der_len = 0;
	CK_RV rv = CKR_OK;
	int r;

	memset(&k, 0, sizeof(k));
	r = p11_mod.be->readkey(h, s->chip, ref, &k);
	if (r == SK_ERR_NOT_FOUND)
		goto out;   /* empty key slot: no objects */
	if (r != 0) {
		rv = p11_rv(r, "reading a public key");
		goto out;
	}
	if ((rv = p11_obj_build_key(s, ref, &k, &priv, &pub)) != CKR_OK ||
	    (rv = append_owned(s, &priv)) != CKR_OK || (rv = append_owned(s, &pub)) != CKR_OK)
		goto out;
	r = p11_mod.be->readcert(h, s->chip, ref, &der, &der_len);
	if (r == 0 && der_len > 0 && p11_obj_build_cert(s, ref, der, der_len, &cert) == CKR_OK)
		rv = append_owned(s, &cert);
out:
	if (priv != NULL) { p11_obj_free(priv); free(priv); }
	if (pub != NULL) { p11_obj_free(pub); free(pub); }
	free(der);
	p11_pubkey_clear(&k);
	return rv;
}

static CK_RV
load_hmac_slot(struct p11_slot *s, int n)
{
	struct p11_obj o;
	char label[32];
	uint8_t id = (uint8_t)n;
	CK_RV rv = CKR_HOST_MEMORY;

	memset(&o, 0, sizeof(o));
	snprintf(label, sizeof(label), "HMAC slot %d", n);
	o.cls = CKO_SECRET_KEY;
	o.kty = CKK_GENERIC_SECRET;
	o.sensitive = 1;
	o.ref = n;
	o.handle = p11_token_handle(s, n, P11_W_SECRET);
	if (p11_obj_add_ulong(&o, CKA_CLASS, CKO_SECRET_KEY) != 0 ||
	    p11_obj_add_ulong(&o, CKA_KEY_TYPE, CKK_GENERIC_SECRET) != 0 ||
	    p11_obj_add_bool(&o, CKA_TOKEN, 1) != 0 || p11_obj_add_bool(&o, CKA_PRIVATE, 0) != 0 ||
	    p11_obj_add_bool(&o, CKA_MODIFIABLE, 0) != 0 ||
	    p11_obj_add_bool(&o, CKA_COPYABLE, 0) != 0 ||
	    p11_obj_add_bool(&o, CKA_DESTROYABLE, 1) != 0 ||   /* erases the slot */
	    p11_obj_add_attr(&o, CKA_LABEL, label, (CK_ULONG)strlen(label)) != 0 ||
	    p11_obj_add_attr(&o, CKA_ID, &id, 1) != 0 ||
	    p11_obj_add_bool(&o, CKA_SENSITIVE, 1) != 0 ||
	    p11_obj_add_bool(&o, CKA_ALWAYS_SENSITIVE, 1) != 0 ||
	    p11_obj_add_bool(&o, CKA_EXTRACTABLE, 0) != 0 ||
	    p11_obj_add_bool(&o, CKA_NEVER_EXTRACTABLE, 1) != 0 ||
	    p11_obj_add_bool(&o, CKA_SIGN, 1) != 0 || p11_obj_add_bool(&o, CKA_VERIFY, 0) != 0 ||
	    p11_obj_add_bool(&o, CKA_ENCRYPT, 0) != 0 || p11_obj_add_bool(&o, CKA_DECRYPT, 0) != 0 ||
	    p11_obj_add_bool(&o, CKA_DERIVE, 0) != 0 ||
	    p11_obj_add_bool(&o, CKA_ALWAYS_AUTHENTICATE, 0) != 0 ||
	    p11_obj_add_ulong(&o, CKA_VALUE_LEN, 20) != 0)
		goto out;
	rv = p11_obj_append(s, &o);
out:
	p11_obj_free(&o);
	return rv;
}

static CK_RV
load_hmac(struct p11_slot *s, void *h)
{
	unsigned mask = 0;
	CK_RV rv = CKR_OK;
	int r, n;

	if ((r = p11_mod.be->hmac_slots(h, s->chip, &mask)) != 0)
		return p11_rv(r, "listing HMAC slots");
	for (n = 1; n <= 2 && rv == CKR_OK; n++)
		if (mask & (1u << (n - 1)))
			rv = load_hmac_slot(s, n);
	return rv;
}

/* Keeps session objects, rebuilds token objects from the daemon. */
CK_RV
p11_objects_load(struct p11_slot *s)
{
	void *h;
	CK_RV rv;
	size_t i, keep = 0;
	int ref;

	if ((rv = p11_backend_handle(&h)) != CKR_OK)
		return rv;
	for (i = 0; i < s->nobjs; i++) {
		if (s->objs[i].owner == 0)
			p11_obj_free(&s->objs[i]);
		else
			s->objs[keep++] = s->objs[i];
	}
	s->nobjs = keep;
	if (s->kind == P11_KIND_OPENPGP) {
		for (ref = 1; ref <= 3 && rv == CKR_OK; ref++)
			rv = load_openpgp_ref(s, h, ref);
	} else if (s->kind == P11_KIND_HMAC) {
		rv = load_hmac(s, h);
	} else if (s->kind == P11_KIND_VAULT) {
		rv = p11_vault_load(s, h);
	}
	s->loaded = rv == CKR_OK;
	return rv;
}
