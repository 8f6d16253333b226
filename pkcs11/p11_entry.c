/* p11_entry.c — the Cryptoki entry points. Each one is thin (STYLE.md 7): check arguments,
 * take the module lock, find the session, call a worker in another file. The only exported
 * symbols are C_GetFunctionList, C_GetInterfaceList and C_GetInterface (version script). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "p11.h"

#define EXPORT __attribute__((visibility("default")))

#define ENTER(rv)                                   \
	do {                                        \
		if (((rv) = p11_lock()) != CKR_OK)  \
			return (rv);                \
	} while (0)

/* Lock + session lookup; on failure unlock and return. */
#define ENTER_SESSION(h, s, sl, rv)                               \
	do {                                                      \
		ENTER(rv);                                        \
		if (((rv) = p11_session_get((h), &(s), &(sl))) != CKR_OK) { \
			p11_unlock();                             \
			return (rv);                              \
		}                                                 \
	} while (0)

/* A function this module does not offer: still CKR_CRYPTOKI_NOT_INITIALIZED outside
 * C_Initialize .. C_Finalize, like every other. */
static CK_RV
unsupported(void)
{
	CK_RV rv;

	ENTER(rv);
	p11_unlock();
	return CKR_FUNCTION_NOT_SUPPORTED;
}

static CK_RV
c_initialize(CK_VOID_PTR args)
{
	return p11_initialize(args);
}

static CK_RV
c_finalize(CK_VOID_PTR reserved)
{
	if (reserved != NULL)
		return CKR_ARGUMENTS_BAD;
	return p11_finalize();
}

static CK_RV
c_get_info(CK_INFO_PTR info)
{
	CK_RV rv;

	if (info == NULL)
		return CKR_ARGUMENTS_BAD;
	ENTER(rv);
	memset(info, 0, sizeof(*info));
	info->cryptokiVersion.major = 3;
	info->cryptokiVersion.minor = 0;
	p11_pad_string(info->manufacturerID, sizeof(info->manufacturerID), "skinkey");
	p11_pad_string(info->libraryDescription, sizeof(info->libraryDescription),
	    "skinkey PKCS#11 (skinkeyd client)");
	info->libraryVersion.major = 0;
	info->libraryVersion.minor = 1;
	p11_unlock();
	return CKR_OK;
}

static CK_RV c_get_function_list(CK_FUNCTION_LIST_PTR_PTR list);

static CK_RV
c_get_slot_list(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
	CK_ULONG n = 0, i;
	CK_RV rv;

	if (count == NULL)
		return CKR_ARGUMENTS_BAD;
	ENTER(rv);
	/* Refresh on the size query, and when a caller skips it (GnuTLS passes a big array). */
	if ((list == NULL || p11_mod.nslots == 0) && (rv = p11_slots_refresh()) != CKR_OK) {
		/* No daemon: no slots, not an error (the module loads on any machine). */
		p11_log("no slots: skinkeyd unreachable");
	}
	for (i = 0; i < p11_mod.nslots; i++) {
		if (present && !p11_mod.slots[i].known)
			continue;
		if (list != NULL && n < *count)
			list[n] = p11_mod.slots[i].id;
		n++;
	}
	rv = list != NULL && n > *count ? CKR_BUFFER_TOO_SMALL : CKR_OK;
	*count = n;
	p11_unlock();
	return rv;
}

static CK_RV
c_get_slot_info(CK_SLOT_ID id, CK_SLOT_INFO_PTR info)
{
	struct p11_slot *s;
	CK_RV rv;

	if (info == NULL)
		return CKR_ARGUMENTS_BAD;
	ENTER(rv);
	rv = (s = p11_slot_get(id, NULL)) == NULL ? CKR_SLOT_ID_INVALID : p11_slot_info(s, info);
	p11_unlock();
	return rv;
}

static CK_RV
c_get_token_info(CK_SLOT_ID id, CK_TOKEN_INFO_PTR info)
{
	struct p11_slot *s;
	CK_RV rv;

	if (info == NULL)
		return CKR_ARGUMENTS_BAD;
	ENTER(rv);
	rv = (s = p11_slot_get(id, NULL)) == NULL ? CKR_SLOT_ID_INVALID : p11_token_info(s, info);
	p11_unlock();
	return rv;
}

static CK_RV
c_get_mechanism_list(CK_SLOT_ID id, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count)
{
	struct p11_slot *s;
	CK_RV rv;

	if (count == NULL)
		return CKR_ARGUMENTS_BAD;
	ENTER(rv);
	rv = (s = p11_slot_get(id, NULL)) == NULL ? CKR_SLOT_ID_INVALID :
	    p11_mech_list(s, list, count);
	p11_unlock();
	return rv;
}

static CK_RV
c_get_mechanism_info(CK_SLOT_ID id, CK_MECHANISM_TYPE m, CK_MECHANISM_INFO_PTR info)
{
	struct p11_slot *s;
	CK_RV rv;

	if (info == NULL)
		return CKR_ARGUMENTS_BAD;
	ENTER(rv);
	rv = (s = p11_slot_get(id, NULL)) == NULL ? CKR_SLOT_ID_INVALID :
	    p11_mech_info(s, m, info);
	p11_unlock();
	return rv;
}

static CK_RV
c_init_token(CK_SLOT_ID id, CK_UTF8CHAR_PTR pin, CK_ULONG len, CK_UTF8CHAR_PTR label)
{
	CK_RV rv;

	ENTER(rv);
	rv = p11_slot_get(id, NULL) == NULL ? CKR_SLOT_ID_INVALID : CKR_FUNCTION_NOT_SUPPORTED;
	p11_unlock();
	return rv;   /* factory reset is `skinkey` CLI business, never a PKCS#11 side effect */
}

static CK_RV
c_init_pin(CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	struct p11_session *s;
	struct p11_slot *sl;
	CK_RV rv;

	if (pin == NULL)
		return CKR_ARGUMENTS_BAD;
	ENTER_SESSION(h, s, sl, rv);
	rv = p11_initpin(s, sl, pin, len);
	p11_unlock();
	return rv;
}

static CK_RV
c_set_pin(CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR o, CK_ULONG olen, CK_UTF8CHAR_PTR n,
    CK_ULONG nlen)
{
	struct p11_session *s;
	struct p11_slot *sl;
	CK_RV rv;

	if (o == NULL || n == NULL)
		return CKR_ARGUMENTS_BAD;
	ENTER_SESSION(h, s, sl, rv);
	rv = p11_setpin(s, sl, o, olen, n, nlen);
	p11_unlock();
	return rv;
}

static CK_RV
c_open_session(CK_SLOT_ID id, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify,
    CK_SESSION_HANDLE_PTR out)
{
	CK_RV rv;

	if (out == NULL)
		return CKR_ARGUMENTS_BAD;
	if (!(flags & CKF_SERIAL_SESSION))
		return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
	ENTER(rv);
	rv = p11_session_open(id, flags, out);
	p11_unlock();
	return rv;
}

static CK_RV
c_close_session(CK_SESSION_HANDLE h)
{
	CK_RV rv;

	ENTER(rv);
	rv = p11_session_close(h);
	p11_unlock();
	return rv;
}

static CK_RV
c_close_all_sessions(CK_SLOT_ID id)
{
	CK_RV rv;

	ENTER(rv);
	rv = p11_session_close_all(id);
	p11_unlock();
	return rv;
}

static CK_RV
c_get_session_info(CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR info)
{
	struct p11_session *s;
	struct p11_slot *sl;
	CK_RV rv;

	if (info == NULL)
		return CKR_ARGUMENTS_BAD;
	ENTER_SESSION(h, s, sl, rv);
	if (!sl->user_in)
		p11_slot_refresh_pins(sl, 0);   /* did the user unlock through skinkeyd meanwhile? */
	info->slotID = sl->id;
	info->state = p11_session_state(s, sl);
	info->flags = s->flags;
	info->ulDeviceError = 0;
	p11_unlock();
	return CKR_OK;
}

static CK_RV
c_get_operation_state(CK_SESSION_HANDLE h, CK_BYTE_PTR st, CK_ULONG_PTR len)
{
	return unsupported();
}

static CK_RV
c_set_operation_state(CK_SESSION_HANDLE h, CK_BYTE_PTR st, CK_ULONG len, CK_OBJECT_HANDLE ek,
    CK_OBJECT_HANDLE ak)
{
	return unsupported();
}

static CK_RV
c_login(CK_SESSION_HANDLE h, CK_USER_TYPE who, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	struct p11_session *s;
	struct p11_slot *sl;
	CK_RV rv;

	if (pin == NULL && len > 0)
		return CKR_ARGUMENTS_BAD;
	ENTER_SESSION(h, s, sl, rv);
	rv = p11_login(s, sl, who, pin, len);
	p11_unlock();
	return rv;
}

static CK_RV
c_login_user(CK_SESSION_HANDLE h, CK_USER_TYPE who, CK_UTF8CHAR *pin, CK_ULONG len,
    CK_UTF8CHAR *user, CK_ULONG ulen)
{
	if (user != NULL && ulen > 0)
		return CKR_ARGUMENTS_BAD;   /* OpenPGP cards have no user names */
	return c_login(h, who, pin, len);
}

static CK_RV
c_logout(CK_SESSION_HANDLE h)
{
	struct p11_session *s;
	struct p11_slot *sl;
	CK_RV rv;

	ENTER_SESSION(h, s, sl, rv);
	rv = p11_logout(sl);
	p11_unlock();
	return rv;
}

static CK_RV
c_create_object(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR out)
{
	struct p11_session *s;
	struct p11_slot *sl;
	CK_RV rv;

	if ((t == NULL && n > 0) || out == NULL)
		return CKR_ARGUMENTS_BAD;
	ENTER_SESSION(h, s, sl, rv);
	rv = p11_create(s, sl, t, n, out);
	p11_unlock();
	return rv;
}

static CK_RV
c_copy_object(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n,
    CK_OBJECT_HANDLE_PTR out)
{
	return unsupported();
}

static CK_RV
c_destroy_object(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o)
{
	struct p11_session *s;
	struct p11_slot *sl;
	CK_RV rv;

	ENTER_SESSION(h, s, sl, rv);
	rv = p11_destroy(s, sl, o);
	p11_unlock();
	return rv;
}

static CK_RV
c_get_object_size(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ULONG_PTR size)
{
	return unsupported();
}

static CK_RV
c_get_attribute_value(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	struct p11_session *s;
	struct p11_slot *sl;
	struct p11_obj *obj;
	CK_RV rv;

	if (t == NULL && n > 0)
		return CKR_ARGUMENTS_BAD;
	ENTER_SESSION(h, s, sl, rv);
	obj = p11_obj_find(sl, o);
	if (obj == NULL || !p11_obj_visible(sl, obj))
		rv = CKR_OBJECT_HANDLE_INVALID;
	else if (obj->vault)
		rv = p11_vault_get_attrs(s, obj, t, n);
	else
		rv = p11_obj_get_attrs(obj, t, n);
	p11_unlock();
	return rv;
}

static CK_RV
c_set_attribute_value(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	struct p11_session *s;
	struct p11_slot *sl;
	struct p11_obj *obj;
	CK_RV rv;

	if (t == NULL && n > 0)
		return CKR_ARGUMENTS_BAD;
	ENTER_SESSION(h, s, sl, rv);
	obj = p11_obj_find(sl, o);
	if (obj == NULL || !p11_obj_visible(sl, obj))
		rv = CKR_OBJECT_HANDLE_INVALID;
	else if (obj->vault)
		rv = p11_vault_set_attrs(s, obj, t, n);
	else
		rv = CKR_ACTION_PROHIBITED;   /* card objects are CKA_MODIFIABLE false */
	p11_unlock();
	return rv;
}

static CK_RV
find_init(struct p11_session *s, struct p11_slot *sl, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	size_t i;

	if (s->finding)
		return CKR_OPERATION_ACTIVE;
	if (sl->nobjs > 0 && (s->found = calloc(sl->nobjs, sizeof(*s->found))) == NULL)
		return CKR_HOST_MEMORY;
	for (i = 0; i < sl->nobjs; i++)
		if (p11_obj_visible(sl, &sl->objs[i]) && p11_obj_match(&sl->objs[i], t, n))
			s->found[s->nfound++] = sl->objs[i].handle;
	s->finding = 1;
	return CKR_OK;
}

static CK_RV
c_find_objects_init(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	struct p11_session *s;
	struct p11_slot *sl;
	CK_RV rv;

	if (t == NULL && n > 0)
		return CKR_ARGUMENTS_BAD;
	ENTER_SESSION(h, s, sl, rv);
	if (!sl->user_in)
		p11_slot_refresh_pins(sl, 0);
	/* the vault changes under other clients (skinkey vault add/rm): list it anew, no tap */
	if (sl->kind == P11_KIND_VAULT && !s->finding)
		rv = p11_objects_load(sl);
	if (rv == CKR_OK)
		rv = find_init(s, sl, t, n);
	p11_unlock();
	return rv;
}

static CK_RV
c_find_objects(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR out, CK_ULONG max, CK_ULONG_PTR n)
{
	struct p11_session *s;
	struct p11_slot *sl;
	CK_RV rv;

	if ((out == NULL && max > 0) || n == NULL)
		return CKR_ARGUMENTS_BAD;
	ENTER_SESSION(h, s, sl, rv);
	*n = 0;
	if (!s->finding)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	while (rv == CKR_OK && *n < max && s->found_pos < s->nfound)
		out[(*n)++] = s->found[s->found_pos++];
	p11_unlock();
	return rv;
}

static CK_RV
c_find_objects_final(CK_SESSION_HANDLE h)
{
	struct p11_session *s;
	struct p11_slot *sl;
	CK_RV rv;

	ENTER_SESSION(h, s, sl, rv);
	if (!s->finding)
		rv = CKR_OPERATION_NOT_INITIALIZED;
	else
		p11_session_find_reset(s);
	p11_unlock();
	return rv;
}

static CK_RV
c_encrypt_init(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	return unsupported();   /* public-key operations belong to the host */
}

static CK_RV
c_encrypt(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR o, CK_ULONG_PTR ol)
{
	return unsupported();
}

static CK_RV
c_encrypt_update(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR o, CK_ULONG_PTR ol)
{
	return unsupported();
}

static CK_RV
c_encrypt_final(CK_SESSION_HANDLE h, CK_BYTE_PTR o, CK_ULONG_PTR ol)
{
	return unsupported();
}

static CK_RV
c_decrypt_init(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	struct p11_session *s;
	struct p11_slot *sl;
	CK_RV rv;

	if (m == NULL)
		return CKR_ARGUMENTS_BAD;
	ENTER_SESSION(h, s, sl, rv);
	rv = p11_decrypt_init(s, sl, m, k);
	p11_unlock();
	return rv;
}

static CK_RV
c_decrypt(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG n, CK_BYTE_PTR out, CK_ULONG_PTR olen)
{
	struct p11_session *s;
	struct p11_slot *sl;
	CK_RV rv;

	if (in == NULL || olen == NULL)
		return CKR_ARGUMENTS_BAD;
	ENTER_SESSION(h, s, sl, rv);
	rv = p11_decrypt(s, sl, in, n, out, olen);
	p11_unlock();
	return rv;
}

static CK_RV
c_decrypt_update(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR o, CK_ULONG_PTR ol)
{
	return unsupported();
}

static CK_RV
c_decrypt_final(CK_SESSION_HANDLE h, CK_BYTE_PTR o, CK_ULONG_PTR ol)
{
	return unsupported();
}

static CK_RV
c_digest_init(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m)
{
	return unsupported();
}

static CK_RV
c_digest(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR o, CK_ULONG_PTR ol)
{
	return unsupported();
}

static CK_RV
c_digest_update(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl)
{
	return unsupported();
}

static CK_RV
c_digest_key(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE k)
{
	return unsupported();
}

static CK_RV
c_digest_final(CK_SESSION_HANDLE h, CK_BYTE_PTR o, CK_ULONG_PTR ol)
{
	return unsupported();
}

static CK_RV
c_sign_init(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	struct p11_session *s;
	struct p11_slot *sl;
	CK_RV rv;

	if (m == NULL)
		return CKR_ARGUMENTS_BAD;
	ENTER_SESSION(h, s, sl, rv);
	rv = p11_sign_init(s, sl, m, k);
	p11_unlock();
	return rv;
}

static CK_RV
c_sign(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR sig, CK_ULONG_PTR sl_)
{
	struct p11_session *s;
	struct p11_slot *sl;
	CK_RV rv;

	if ((d == NULL && dl > 0) || sl_ == NULL)
		return CKR_ARGUMENTS_BAD;
	ENTER_SESSION(h, s, sl, rv);
	if (s->op != P11_OP_SIGN) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
	} else {
		/* single-part: the input replaces whatever an earlier size query left */
		free(s->data);
		s->data = NULL;
		s->data_len = 0;
		if ((rv = p11_sign_update(s, d, dl)) == CKR_OK)
			rv = p11_sign_final(s, sl, sig, sl_);
	}
	p11_unlock();
	return rv;
}

static CK_RV
c_sign_update(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl)
{
	struct p11_session *s;
	struct p11_slot *sl;
	CK_RV rv;

	if (d == NULL && dl > 0)
		return CKR_ARGUMENTS_BAD;
	ENTER_SESSION(h, s, sl, rv);
	rv = p11_sign_update(s, d, dl);
	p11_unlock();
	return rv;
}

static CK_RV
c_sign_final(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG_PTR len)
{
	struct p11_session *s;
	struct p11_slot *sl;
	CK_RV rv;

	if (len == NULL)
		return CKR_ARGUMENTS_BAD;
	ENTER_SESSION(h, s, sl, rv);
	rv = p11_sign_final(s, sl, sig, len);
	p11_unlock();
	return rv;
}

static CK_RV
c_sign_recover_init(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	return unsupported();
}

static CK_RV
c_sign_recover(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR o, CK_ULONG_PTR ol)
{
	return unsupported();
}

static CK_RV
c_verify_init(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	return unsupported();
}

static CK_RV
c_verify(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR sig, CK_ULONG sl)
{
	return unsupported();
}

static CK_RV
c_verify_update(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl)
{
	return unsupported();
}

static CK_RV
c_verify_final(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG sl)
{
	return unsupported();
}

static CK_RV
c_verify_recover_init(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	return unsupported();
}

static CK_RV
c_verify_recover(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG sl, CK_BYTE_PTR d,
    CK_ULONG_PTR dl)
{
	return unsupported();
}

static CK_RV
c_dual_update(CK_SESSION_HANDLE h, CK_BYTE_PTR i, CK_ULONG il, CK_BYTE_PTR o, CK_ULONG_PTR ol)
{
	return unsupported();
}

static CK_RV
c_generate_key(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR t, CK_ULONG n,
    CK_OBJECT_HANDLE_PTR k)
{
	return unsupported();
}

static CK_RV
c_generate_key_pair(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pubt,
    CK_ULONG npub, CK_ATTRIBUTE_PTR privt, CK_ULONG npriv, CK_OBJECT_HANDLE_PTR pub,
    CK_OBJECT_HANDLE_PTR priv)
{
	struct p11_session *s;
	struct p11_slot *sl;
	CK_RV rv;

	if (m == NULL || pub == NULL || priv == NULL || (pubt == NULL && npub > 0) ||
	    (privt == NULL && npriv > 0))
		return CKR_ARGUMENTS_BAD;
	ENTER_SESSION(h, s, sl, rv);
	rv = p11_genkey(s, sl, m, pubt, npub, privt, npriv, pub, priv);
	p11_unlock();
	return rv;
}

static CK_RV
c_wrap_key(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE wk, CK_OBJECT_HANDLE k,
    CK_BYTE_PTR o, CK_ULONG_PTR ol)
{
	return unsupported();
}

static CK_RV
c_unwrap_key(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE uk, CK_BYTE_PTR w,
    CK_ULONG wl, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR k)
{
	return unsupported();
}

static CK_RV
c_derive_key(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE base,
    CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR out)
{
	struct p11_session *s;
	struct p11_slot *sl;
	CK_RV rv;

	if (m == NULL || out == NULL || (t == NULL && n > 0))
		return CKR_ARGUMENTS_BAD;
	ENTER_SESSION(h, s, sl, rv);
	rv = p11_derive(s, sl, m, base, t, n, out);
	p11_unlock();
	return rv;
}

/* The tokens' generator is the host's OpenSSL DRBG (p11_slots.c claims CKF_RNG), which seeds
 * itself and takes no seed from applications: CKR_RANDOM_SEED_NOT_SUPPORTED, once the
 * arguments and the session are known good. */
static CK_RV
c_seed_random(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl)
{
	struct p11_session *s;
	struct p11_slot *sl;
	CK_RV rv;

	if (d == NULL && dl > 0)
		return CKR_ARGUMENTS_BAD;
	ENTER_SESSION(h, s, sl, rv);
	p11_unlock();
	return CKR_RANDOM_SEED_NOT_SUPPORTED;
}

/* The host's CSPRNG (OpenSSL's DRBG), the RNG CKF_RNG announces: the chip's GET CHALLENGE
 * would cost a tap for every nonce an application wants. */
static CK_RV
c_generate_random(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl)
{
	struct p11_session *s;
	struct p11_slot *sl;
	CK_RV rv;

	if (d == NULL && dl > 0)
		return CKR_ARGUMENTS_BAD;
	if (dl > INT_MAX)
		return CKR_ARGUMENTS_BAD;
	ENTER_SESSION(h, s, sl, rv);
	rv = dl == 0 || RAND_bytes(d, (int)dl) == 1 ? CKR_OK : CKR_FUNCTION_FAILED;
	p11_unlock();
	return rv;
}

/* Legacy functions: CKR_FUNCTION_NOT_PARALLEL for a valid session (PKCS#11 3.0 5.17). */
static CK_RV
legacy_parallel(CK_SESSION_HANDLE h)
{
	struct p11_session *s;
	struct p11_slot *sl;
	CK_RV rv;

	ENTER_SESSION(h, s, sl, rv);
	p11_unlock();
	return CKR_FUNCTION_NOT_PARALLEL;
}

static CK_RV
c_get_function_status(CK_SESSION_HANDLE h)
{
	return legacy_parallel(h);
}

static CK_RV
c_cancel_function(CK_SESSION_HANDLE h)
{
	return legacy_parallel(h);
}

static CK_RV
c_wait_for_slot_event(CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR reserved)
{
	CK_RV rv;

	if (slot == NULL || reserved != NULL)
		return CKR_ARGUMENTS_BAD;
	ENTER(rv);
	p11_unlock();
	/* Chips stay "known" across taps, so slots rarely change; no blocking wait offered. */
	return (flags & CKF_DONT_BLOCK) ? CKR_NO_EVENT : CKR_FUNCTION_NOT_SUPPORTED;
}

/* ---- 3.0 additions ---- */

static CK_RV
c_session_cancel(CK_SESSION_HANDLE h, CK_FLAGS flags)
{
	struct p11_session *s;
	struct p11_slot *sl;
	CK_RV rv;

	ENTER_SESSION(h, s, sl, rv);
	/* only the operations named (3.0 5.21): a search, a signature, a decryption */
	if (flags & CKF_FIND_OBJECTS)
		p11_session_find_reset(s);
	if (((flags & CKF_SIGN) && s->op == P11_OP_SIGN) ||
	    ((flags & CKF_DECRYPT) && s->op == P11_OP_DECRYPT))
		p11_session_crypto_reset(s);
	p11_unlock();
	return CKR_OK;
}

static CK_RV
c_msg_init(CK_SESSION_HANDLE h, CK_MECHANISM *m, CK_OBJECT_HANDLE k)
{
	return unsupported();
}

static CK_RV
c_msg_crypt(CK_SESSION_HANDLE h, void *p, CK_ULONG pl, CK_BYTE *a, CK_ULONG al, CK_BYTE *i,
    CK_ULONG il, CK_BYTE *o, CK_ULONG *ol)
{
	return unsupported();
}

static CK_RV
c_msg_crypt_begin(CK_SESSION_HANDLE h, void *p, CK_ULONG pl, CK_BYTE *a, CK_ULONG al)
{
	return unsupported();
}

static CK_RV
c_msg_crypt_next(CK_SESSION_HANDLE h, void *p, CK_ULONG pl, CK_BYTE *i, CK_ULONG il,
    CK_BYTE *o, CK_ULONG *ol, CK_FLAGS f)
{
	return unsupported();
}

static CK_RV
c_msg_final(CK_SESSION_HANDLE h)
{
	return unsupported();
}

static CK_RV
c_sign_message(CK_SESSION_HANDLE h, void *p, CK_ULONG pl, CK_BYTE *d, CK_ULONG dl, CK_BYTE *s,
    CK_ULONG *sl)
{
	return unsupported();
}

static CK_RV
c_msg_begin(CK_SESSION_HANDLE h, void *p, CK_ULONG pl)
{
	return unsupported();
}

static CK_RV
c_verify_message(CK_SESSION_HANDLE h, void *p, CK_ULONG pl, CK_BYTE *d, CK_ULONG dl,
    CK_BYTE *s, CK_ULONG sl)
{
	return unsupported();
}

#define FUNCS_2_40                                                                   \
	c_initialize, c_finalize, c_get_info, c_get_function_list, c_get_slot_list,  \
	c_get_slot_info, c_get_token_info, c_get_mechanism_list, c_get_mechanism_info, \
	c_init_token, c_init_pin, c_set_pin, c_open_session, c_close_session,        \
	c_close_all_sessions, c_get_session_info, c_get_operation_state,             \
	c_set_operation_state, c_login, c_logout, c_create_object, c_copy_object,    \
	c_destroy_object, c_get_object_size, c_get_attribute_value,                  \
	c_set_attribute_value, c_find_objects_init, c_find_objects,                  \
	c_find_objects_final, c_encrypt_init, c_encrypt, c_encrypt_update,           \
	c_encrypt_final, c_decrypt_init, c_decrypt, c_decrypt_update,                \
	c_decrypt_final, c_digest_init, c_digest, c_digest_update, c_digest_key,     \
	c_digest_final, c_sign_init, c_sign, c_sign_update, c_sign_final,            \
	c_sign_recover_init, c_sign_recover, c_verify_init, c_verify,                \
	c_verify_update, c_verify_final, c_verify_recover_init, c_verify_recover,    \
	c_dual_update, c_dual_update, c_dual_update, c_dual_update, c_generate_key,  \
	c_generate_key_pair, c_wrap_key, c_unwrap_key, c_derive_key, c_seed_random,  \
	c_generate_random, c_get_function_status, c_cancel_function,                 \
	c_wait_for_slot_event

static CK_FUNCTION_LIST list_2_40 = { { 2, 40 }, FUNCS_2_40 };

static CK_RV c_get_interface_list(SK_CK_INTERFACE *list, CK_ULONG *count);
static CK_RV c_get_interface(CK_UTF8CHAR *name, CK_VERSION *ver, SK_CK_INTERFACE **out,
    CK_FLAGS flags);

static SK_CK_FUNCTION_LIST_3_0 list_3_0 = {
	{ 3, 0 }, FUNCS_2_40,
	c_get_interface_list, c_get_interface, c_login_user, c_session_cancel,
	c_msg_init, c_msg_crypt, c_msg_crypt_begin, c_msg_crypt_next, c_msg_final,
	c_msg_init, c_msg_crypt, c_msg_crypt_begin, c_msg_crypt_next, c_msg_final,
	c_msg_init, c_sign_message, c_msg_begin, c_sign_message, c_msg_final,
	c_msg_init, c_verify_message, c_msg_begin, c_verify_message, c_msg_final,
};

static char iface_name[] = "PKCS 11";

static SK_CK_INTERFACE interfaces[] = {
	{ (CK_UTF8CHAR *)iface_name, &list_3_0, CKF_INTERFACE_FORK_SAFE },
	{ (CK_UTF8CHAR *)iface_name, &list_2_40, CKF_INTERFACE_FORK_SAFE },
};
#define N_INTERFACES (sizeof(interfaces) / sizeof(interfaces[0]))

static CK_RV
c_get_function_list(CK_FUNCTION_LIST_PTR_PTR list)
{
	if (list == NULL)
		return CKR_ARGUMENTS_BAD;
	*list = &list_2_40;
	return CKR_OK;
}

static CK_RV
c_get_interface_list(SK_CK_INTERFACE *list, CK_ULONG *count)
{
	size_t i;

	if (count == NULL)
		return CKR_ARGUMENTS_BAD;
	if (list == NULL) {
		*count = N_INTERFACES;
		return CKR_OK;
	}
	if (*count < N_INTERFACES) {
		*count = N_INTERFACES;
		return CKR_BUFFER_TOO_SMALL;
	}
	for (i = 0; i < N_INTERFACES; i++)
		list[i] = interfaces[i];
	*count = N_INTERFACES;
	return CKR_OK;
}

static CK_RV
c_get_interface(CK_UTF8CHAR *name, CK_VERSION *ver, SK_CK_INTERFACE **out, CK_FLAGS flags)
{
	size_t i;
	const CK_VERSION *v;

	if (out == NULL)
		return CKR_ARGUMENTS_BAD;
	*out = NULL;
	for (i = 0; i < N_INTERFACES; i++) {
		v = (const CK_VERSION *)interfaces[i].pFunctionList;
		if (name != NULL && strcmp((const char *)name, iface_name) != 0)
			continue;
		/* any 2.x request gets the 2.40 list: every 2.x function list is a prefix of it */
		if (ver != NULL && (ver->major != v->major || (ver->minor != v->minor &&
		    ver->major != 2)))
			continue;
		if ((interfaces[i].flags & flags) != flags)
			continue;
		*out = &interfaces[i];
		return CKR_OK;
	}
	return CKR_ARGUMENTS_BAD;
}

EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list);
EXPORT CK_RV C_GetInterfaceList(SK_CK_INTERFACE *list, CK_ULONG *count);
EXPORT CK_RV C_GetInterface(CK_UTF8CHAR *name, CK_VERSION *ver, SK_CK_INTERFACE **out,
    CK_FLAGS flags);

EXPORT CK_RV
C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	return c_get_function_list(list);
}

EXPORT CK_RV
C_GetInterfaceList(SK_CK_INTERFACE *list, CK_ULONG *count)
{
	return c_get_interface_list(list, count);
}

EXPORT CK_RV
C_GetInterface(CK_UTF8CHAR *name, CK_VERSION *ver, SK_CK_INTERFACE **out, CK_FLAGS flags)
{
	return c_get_interface(name, ver, out, flags);
}
