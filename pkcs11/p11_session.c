/* p11_session.c — the session table: handles, per-session operation state, session state. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "p11.h"

static struct p11_session **
session_cell(CK_SESSION_HANDLE h)
{
	size_t i;

	for (i = 0; i < P11_MAX_SESSIONS; i++)
		if (p11_mod.sessions[i] != NULL && p11_mod.sessions[i]->handle == h)
			return &p11_mod.sessions[i];
	return NULL;
}

/* Ends the cryptographic operation (sign/decrypt), not a search: PKCS#11 keeps the two apart,
 * a search may run while a signature is under way and the other way round. */
void
p11_session_crypto_reset(struct p11_session *s)
{
	if (s->data != NULL) {
		OPENSSL_cleanse(s->data, s->data_len);
		free(s->data);
	}
	if (s->result != NULL) {
		OPENSSL_cleanse(s->result, s->result_len);
		free(s->result);
	}
	s->data = s->result = NULL;
	s->data_len = s->result_len = 0;
	s->have_result = 0;
	p11_vault_pending_wipe(s);
	s->op = P11_OP_NONE;
	s->mech = 0;
	s->key = 0;
}

void
p11_session_find_reset(struct p11_session *s)
{
	free(s->found);
	s->found = NULL;
	s->nfound = s->found_pos = 0;
	s->finding = 0;
}

void
p11_session_op_reset(struct p11_session *s)
{
	p11_session_crypto_reset(s);
	p11_session_find_reset(s);
}

CK_RV
p11_session_open(CK_SLOT_ID slot, CK_FLAGS flags, CK_SESSION_HANDLE *out)
{
	struct p11_slot *sl;
	struct p11_session *s;
	size_t i, idx;
	CK_RV rv;

	*out = CK_INVALID_HANDLE;
	if ((sl = p11_slot_get(slot, &idx)) == NULL)
		return CKR_SLOT_ID_INVALID;
	if (!sl->known)
		return CKR_TOKEN_NOT_PRESENT;
	/* PKCS#11 3.0 5.6.1: no read-only session while the SO is logged in */
	if (sl->so_in && !(flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_WRITE_SO_EXISTS;
	for (i = 0; i < P11_MAX_SESSIONS && p11_mod.sessions[i] != NULL; i++)
		;
	if (i == P11_MAX_SESSIONS)
		return CKR_SESSION_COUNT;
	/* The first session of a slot sees a fresh copy of the daemon's cache. */
	if (sl->nsessions == 0 || !sl->loaded) {
		if ((rv = p11_objects_load(sl)) != CKR_OK)
			return rv;
	}
	p11_slot_refresh_pins(sl, 0);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return CKR_HOST_MEMORY;
	s->handle = p11_mod.next_session++;
	s->slot = idx;
	s->flags = flags;
	p11_mod.sessions[i] = s;
	sl->nsessions++;
	*out = s->handle;
	return CKR_OK;
}

/* Session objects die with their session. */
static void
drop_session_objects(struct p11_slot *sl, CK_SESSION_HANDLE h)
{
	size_t i, keep = 0;

	for (i = 0; i < sl->nobjs; i++) {
		if (sl->objs[i].owner == h)
			p11_obj_free(&sl->objs[i]);
		else
			sl->objs[keep++] = sl->objs[i];
	}
	sl->nobjs = keep;
}

CK_RV
p11_session_close(CK_SESSION_HANDLE h)
{
	struct p11_session **cell = session_cell(h);
	struct p11_slot *sl;

	if (cell == NULL)
		return CKR_SESSION_HANDLE_INVALID;
	sl = &p11_mod.slots[(*cell)->slot];
	drop_session_objects(sl, h);
	p11_session_op_reset(*cell);
	free(*cell);
	*cell = NULL;
	if (sl->nsessions > 0 && --sl->nsessions == 0)
		p11_slot_logout_local(sl);   /* the last session ends the login (spec 5.6) */
	return CKR_OK;
}

CK_RV
p11_session_close_all(CK_SLOT_ID slot)
{
	size_t i, idx;

	if (p11_slot_get(slot, &idx) == NULL)
		return CKR_SLOT_ID_INVALID;
	for (i = 0; i < P11_MAX_SESSIONS; i++)
		if (p11_mod.sessions[i] != NULL && p11_mod.sessions[i]->slot == idx)
			p11_session_close(p11_mod.sessions[i]->handle);
	return CKR_OK;
}

CK_ULONG
p11_slot_rw_sessions(const struct p11_slot *sl)
{
	size_t i, idx = (size_t)(sl - p11_mod.slots);
	CK_ULONG n = 0;

	for (i = 0; i < P11_MAX_SESSIONS; i++)
		if (p11_mod.sessions[i] != NULL && p11_mod.sessions[i]->slot == idx &&
		    (p11_mod.sessions[i]->flags & CKF_RW_SESSION))
			n++;
	return n;
}

int
p11_slot_has_ro_session(size_t idx)
{
	size_t i;

	for (i = 0; i < P11_MAX_SESSIONS; i++)
		if (p11_mod.sessions[i] != NULL && p11_mod.sessions[i]->slot == idx &&
		    !(p11_mod.sessions[i]->flags & CKF_RW_SESSION))
			return 1;
	return 0;
}

CK_RV
p11_session_get(CK_SESSION_HANDLE h, struct p11_session **s, struct p11_slot **slot)
{
	struct p11_session **cell = session_cell(h);

	*s = NULL;
	if (slot != NULL)
		*slot = NULL;
	if (cell == NULL)
		return CKR_SESSION_HANDLE_INVALID;
	*s = *cell;
	if (slot != NULL)
		*slot = &p11_mod.slots[(*cell)->slot];
	if (!p11_mod.slots[(*cell)->slot].known)
		return CKR_DEVICE_REMOVED;
	return CKR_OK;
}

/* Tokens without a PIN (HMAC, Vault: no CKF_LOGIN_REQUIRED, no CKF_USER_PIN_INITIALIZED) stay
 * in the public states: nobody can log in to them, and their objects are public. */
CK_STATE
p11_session_state(const struct p11_session *s, struct p11_slot *slot)
{
	int rw = (s->flags & CKF_RW_SESSION) != 0;

	if (slot->so_in)
		return CKS_RW_SO_FUNCTIONS;
	if (p11_slot_user_in(slot))
		return rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
	return rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
}
