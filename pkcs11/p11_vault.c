/* p11_vault.c — the Vault slot: each credential of skinkeyd's DESFire vault is a CKO_DATA
 * token object (CKA_APPLICATION = site, CKA_LABEL = user, CKA_ID = the vault id as a decimal
 * ASCII string). Listing costs no tap (VAULT_LIST); CKA_VALUE is fetched with VAULT_GET only
 * when asked, which waits for the primary chip's tap. No login: the tap is the authentication.
 * C_CreateObject -> VAULT_ADD password <site> <user>; C_DestroyObject -> VAULT_RM <id>;
 * C_SetAttributeValue(CKA_VALUE) -> VAULT_UPDATE <id>. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "common/sk_err.h"
#include "p11.h"

#define VAULT_SECRET_MAX ((CK_ULONG)65536)   /* skinkeyd's VAULT_SECRET cap */
#define VAULT_NAME_MAX   ((CK_ULONG)255)
#define VPEND_TTL_MS     5000LL              /* size query -> value fetch window */
#define VAWAY_MS         10000LL             /* no tap: later reads fail at once this long */

/* Deterministic handles: slot index above the vault id (ids up to 2^22 - 1), within 32 bits
 * (pkcs11-tool prints handles as unsigned int) and clear of P11_SESSION_OBJ. */
#define VAULT_ID_BITS 22u

static const struct p11_vault_backend *
vbe(void)
{
	return p11_mod.be != NULL ? p11_mod.be->vault : NULL;
}

int
p11_vault_primary(char chip[P11_CHIPID_MAX])
{
	void *h;
	int r;

	chip[0] = '\0';
	if (vbe() == NULL || p11_backend_handle(&h) != CKR_OK)
		return SK_ERR_NOT_FOUND;
	if ((r = vbe()->primary(h, chip)) != 0 && r != SK_ERR_NOT_FOUND)
		p11_log("vault chips: %s (no Vault slot)", sk_strerror(r));
	return r;
}

static int
vault_handle(const struct p11_slot *s, uint64_t vid, CK_OBJECT_HANDLE *h)
{
	size_t idx = (size_t)(s - p11_mod.slots);

	if (vid == 0 || vid >> VAULT_ID_BITS != 0)
		return SK_ERR_TOOBIG;
	*h = (CK_OBJECT_HANDLE)(((CK_ULONG)idx + 1) << VAULT_ID_BITS) | (CK_OBJECT_HANDLE)vid;
	return 0;
}

static int
fill_cred(struct p11_obj *o, const struct p11_vcred *c)
{
	char id[24];

	snprintf(id, sizeof(id), "%" PRIu64, c->id);
	o->cls = CKO_DATA;
	o->vault = 1;
	o->corrupt = c->corrupt;
	o->vid = c->id;
	if (p11_obj_add_ulong(o, CKA_CLASS, CKO_DATA) != 0 || p11_obj_add_bool(o, CKA_TOKEN, 1) != 0 ||
	    p11_obj_add_bool(o, CKA_PRIVATE, 0) != 0 ||
	    p11_obj_add_bool(o, CKA_MODIFIABLE, 1) != 0 ||   /* CKA_VALUE: VAULT_UPDATE */
	    p11_obj_add_bool(o, CKA_COPYABLE, 0) != 0 ||
	    p11_obj_add_bool(o, CKA_DESTROYABLE, 1) != 0 ||
	    p11_obj_add_attr(o, CKA_LABEL, c->user, (CK_ULONG)strlen(c->user)) != 0 ||
	    p11_obj_add_attr(o, CKA_APPLICATION, c->site, (CK_ULONG)strlen(c->site)) != 0 ||
	    p11_obj_add_attr(o, CKA_OBJECT_ID, NULL, 0) != 0)
		return SK_ERR_NOMEM;
	return p11_obj_add_attr(o, CKA_ID, id, (CK_ULONG)strlen(id));
}

CK_RV
p11_vault_load(struct p11_slot *s, void *h)
{
	struct p11_vcred *v = NULL;
	struct p11_obj o;
	size_t n = 0, i;
	CK_RV rv = CKR_OK;
	int r;

	if (vbe() == NULL)
		return CKR_OK;
	if ((r = vbe()->list(h, &v, &n)) != 0)
		return p11_rv(r, "listing the vault");
	for (i = 0; i < n && rv == CKR_OK; i++) {
		memset(&o, 0, sizeof(o));
		if (vault_handle(s, v[i].id, &o.handle) != 0) {
			p11_log("vault id %" PRIu64 " out of the handle range: not shown", v[i].id);
			continue;
		}
		rv = fill_cred(&o, &v[i]) != 0 ? CKR_HOST_MEMORY : p11_obj_append(s, &o);
		p11_obj_free(&o);
	}
	free(v);
	return rv;
}

/* ---- CKA_VALUE ---- */

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
p11_vault_pending_wipe(struct p11_session *ss)
{
	if (ss->vpend != NULL) {
		OPENSSL_cleanse(ss->vpend, ss->vpend_len);
		free(ss->vpend);
	}
	ss->vpend = NULL;
	ss->vpend_len = 0;
	ss->vpend_obj = CK_INVALID_HANDLE;
}

/* The secret of o: the one kept from this session's size query, or a fresh VAULT_GET. */
static CK_RV
fetch_value(struct p11_session *ss, struct p11_obj *o)
{
	void *h;
	CK_RV rv;
	int r;

	if (ss->vpend != NULL && ss->vpend_obj == o->handle &&
	    now_ms() - ss->vpend_ms <= VPEND_TTL_MS)
		return CKR_OK;
	p11_vault_pending_wipe(ss);
	/* GnuTLS reads every value while listing: after one tap-timeout, the rest of the listing
	 * must not wait for the chip again, one object after another */
	if (ss->vaway_ms != 0 && now_ms() - ss->vaway_ms < VAWAY_MS) {
		p11_log("vault credential %" PRIu64 ": the chip was not tapped just now", o->vid);
		return CKR_DEVICE_REMOVED;
	}
	if ((rv = p11_backend_handle(&h)) != CKR_OK)
		return rv;
	if ((r = vbe()->get(h, o->vid, &ss->vpend, &ss->vpend_len)) != 0) {
		p11_vault_pending_wipe(ss);
		if (r == SK_ERR_TIMEOUT || r == SK_ERR_NO_CARD || r == SK_ERR_CARD_REMOVED)
			ss->vaway_ms = now_ms();
		return p11_rv(r, "reading a vault credential");
	}
	ss->vaway_ms = 0;
	ss->vpend_obj = o->handle;
	ss->vpend_ms = now_ms();
	return CKR_OK;
}

static CK_RV
worse(CK_RV have, CK_RV r)
{
	if (have == CKR_ATTRIBUTE_SENSITIVE || r == CKR_OK)
		return have;
	if (r == CKR_ATTRIBUTE_SENSITIVE || have == CKR_OK)
		return r;
	if (have == CKR_ATTRIBUTE_TYPE_INVALID)
		return have;
	return r;
}

static CK_RV
value_attr(struct p11_session *ss, struct p11_obj *o, CK_ATTRIBUTE *a, int *size_query)
{
	CK_RV rv;

	if (o->corrupt) {
		p11_log("vault credential %" PRIu64 " is corrupt (does not decrypt): no value",
		    o->vid);
		a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		return CKR_ATTRIBUTE_SENSITIVE;
	}
	if ((rv = fetch_value(ss, o)) != CKR_OK)
		return rv;
	rv = p11_out_bytes(ss->vpend, ss->vpend_len, a->pValue, &a->ulValueLen);
	if (a->pValue == NULL || rv == CKR_BUFFER_TOO_SMALL)
		*size_query = 1;
	if (rv == CKR_BUFFER_TOO_SMALL)
		a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
	return rv;
}

/* C_GetAttributeValue on a credential: CKA_VALUE needs the chip (at most one fetch per call;
 * a size query keeps it for the follow-up call only), everything else is listed data. */
CK_RV
p11_vault_get_attrs(struct p11_session *ss, struct p11_obj *o, CK_ATTRIBUTE_PTR t,
    CK_ULONG n)
{
	CK_RV rv = CKR_OK, r;
	int size_query = 0, wanted = 0;
	CK_ULONG i;

	for (i = 0; i < n; i++) {
		if (t[i].type != CKA_VALUE) {
			rv = worse(rv, p11_obj_get_attrs(o, &t[i], 1));
			continue;
		}
		wanted = 1;
		r = value_attr(ss, o, &t[i], &size_query);
		if (r != CKR_OK && r != CKR_ATTRIBUTE_SENSITIVE && r != CKR_BUFFER_TOO_SMALL) {
			rv = r;   /* no chip, daemon failure: the whole call fails */
			break;
		}
		rv = worse(rv, r);
	}
	if (wanted && !size_query)
		p11_vault_pending_wipe(ss);
	return rv;
}

/* ---- C_CreateObject / C_DestroyObject ---- */

static int
tmpl_allowed(CK_ATTRIBUTE_TYPE t)
{
	return t == CKA_CLASS || t == CKA_TOKEN || t == CKA_PRIVATE || t == CKA_LABEL ||
	    t == CKA_APPLICATION || t == CKA_VALUE || t == CKA_OBJECT_ID || t == CKA_MODIFIABLE ||
	    t == CKA_DESTROYABLE || t == CKA_COPYABLE;
}

/* A site or user name: present, non-empty, no NUL, at most 255 bytes; copied to dst. */
static CK_RV
tmpl_name(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type, char *dst)
{
	const CK_ATTRIBUTE *a = p11_tmpl_find(t, n, type);

	if (a == NULL || a->ulValueLen == 0)
		return CKR_TEMPLATE_INCOMPLETE;
	if (a->pValue == NULL || a->ulValueLen > VAULT_NAME_MAX ||
	    memchr(a->pValue, '\0', a->ulValueLen) != NULL)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	memcpy(dst, a->pValue, a->ulValueLen);
	dst[a->ulValueLen] = '\0';
	return CKR_OK;
}

static CK_RV
check_template(const CK_ATTRIBUTE *t, CK_ULONG n)
{
	const CK_ATTRIBUTE *oid = p11_tmpl_find(t, n, CKA_OBJECT_ID);
	int tok = 1, priv = 0;
	CK_ULONG i;

	for (i = 0; i < n; i++)
		if (!tmpl_allowed(t[i].type))
			return CKR_ATTRIBUTE_TYPE_INVALID;
	if (p11_tmpl_bool(t, n, CKA_TOKEN, &tok) < 0 || p11_tmpl_bool(t, n, CKA_PRIVATE, &priv) < 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	/* the vault holds token objects only, and lists them without a login */
	if (!tok || priv || (oid != NULL && oid->ulValueLen != 0))
		return CKR_TEMPLATE_INCONSISTENT;
	return CKR_OK;
}

CK_RV
p11_vault_create(struct p11_slot *s, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR out)
{
	const CK_ATTRIBUTE *val = p11_tmpl_find(t, n, CKA_VALUE);
	char site[VAULT_NAME_MAX + 1], user[VAULT_NAME_MAX + 1];
	uint64_t vid = 0;
	CK_OBJECT_HANDLE hd;
	void *h;
	CK_RV rv;
	int r;

	*out = CK_INVALID_HANDLE;
	if (vbe() == NULL)
		return CKR_FUNCTION_NOT_SUPPORTED;
	if ((rv = check_template(t, n)) != CKR_OK ||
	    (rv = tmpl_name(t, n, CKA_APPLICATION, site)) != CKR_OK ||
	    (rv = tmpl_name(t, n, CKA_LABEL, user)) != CKR_OK)
		return rv;
	if (val == NULL)
		return CKR_TEMPLATE_INCOMPLETE;
	if (val->pValue == NULL || val->ulValueLen == 0 || val->ulValueLen > VAULT_SECRET_MAX)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if ((rv = p11_backend_handle(&h)) != CKR_OK)
		return rv;
	if ((r = vbe()->add(h, site, user, val->pValue, val->ulValueLen, &vid)) != 0)
		return p11_rv(r, "adding a vault credential");
	if (vault_handle(s, vid, &hd) != 0)
		return CKR_DEVICE_ERROR;
	if ((rv = p11_objects_load(s)) != CKR_OK)
		return rv;
	if (p11_obj_find(s, hd) == NULL) {
		p11_log("vault credential %" PRIu64 " added but not listed", vid);
		return CKR_DEVICE_ERROR;
	}
	*out = hd;
	return CKR_OK;
}

CK_RV
p11_vault_destroy(struct p11_slot *s, size_t idx)
{
	struct p11_obj *o = &s->objs[idx];
	void *h;
	CK_RV rv;
	int r;

	if ((rv = p11_backend_handle(&h)) != CKR_OK)
		return rv;
	if ((r = vbe()->rm(h, o->vid)) != 0 && r != SK_ERR_NOT_FOUND)
		return p11_rv(r, "removing a vault credential");
	p11_obj_free(o);
	s->objs[idx] = s->objs[s->nobjs - 1];
	s->nobjs--;
	return CKR_OK;
}

/* C_SetAttributeValue: only CKA_VALUE changes (a new secret, one tap); site and user are fixed
 * (the vault binds them into the ciphertext's associated data). */
CK_RV
p11_vault_set_attrs(struct p11_session *ss, struct p11_obj *o, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	const CK_ATTRIBUTE *val = p11_tmpl_find(t, n, CKA_VALUE);
	void *h;
	CK_ULONG i;
	CK_RV rv;
	int r;

	if (!(ss->flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_ONLY;
	for (i = 0; i < n; i++)
		if (t[i].type != CKA_VALUE)
			return CKR_ATTRIBUTE_READ_ONLY;
	if (val == NULL)
		return CKR_OK;
	if (val->pValue == NULL || val->ulValueLen == 0 || val->ulValueLen > VAULT_SECRET_MAX)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if (vbe() == NULL || vbe()->update == NULL)
		return CKR_FUNCTION_NOT_SUPPORTED;
	if ((rv = p11_backend_handle(&h)) != CKR_OK)
		return rv;
	p11_vault_pending_wipe(ss);
	if ((r = vbe()->update(h, o->vid, val->pValue, val->ulValueLen)) != 0)
		return p11_rv(r, "updating a vault credential");
	o->corrupt = 0;
	return CKR_OK;
}
