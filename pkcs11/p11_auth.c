/* p11_auth.c — C_Login / C_Logout / C_SetPIN / C_InitPIN workers. CKU_USER is OpenPGP PW1,
 * CKU_SO is PW3. The PIN goes to skinkeyd, which verifies it once on the card (a wrong PIN
 * costs exactly one retry and is never re-sent); after success the module keeps a wiped,
 * mlocked copy to answer the daemon's INQUIRE NEEDPIN when its cache policy dropped the PIN. */
#include <string.h>

#include "common/sk_err.h"
#include "p11.h"

static CK_RV
login_user(struct p11_slot *slot, void *h, char *pin)
{
	int r = p11_mod.be->login(h, slot->chip, P11_WHO_USER, pin);

	if (r != 0) {
		p11_pin_free(&pin);
		if (r == SK_ERR_PIN_REQUIRED)
			return CKR_PIN_INCORRECT;   /* NULL PIN and skinkeyd holds none */
		return p11_rv(r, "user login");
	}
	slot->user_in = 1;
	p11_pin_free(&slot->user_pin);
	slot->user_pin = pin;
	/* a chip with a DuressApplet lists no key until this PIN picked its context: the token's
	 * objects are that context's from now on (doc/DURESS.md) */
	if (strcmp(slot->chip, "fs-locked") == 0)
		return p11_objects_load(slot);
	return CKR_OK;
}

static CK_RV
login_so(struct p11_slot *slot, void *h, char *pin)
{
	int r = p11_mod.be->login(h, slot->chip, P11_WHO_SO, pin);

	if (r != 0) {
		p11_pin_free(&pin);
		if (r == SK_ERR_PIN_REQUIRED)
			return CKR_PIN_INCORRECT;
		return p11_rv(r, "SO login");
	}
	slot->so_in = 1;
	p11_pin_free(&slot->so_pin);
	slot->so_pin = pin;
	return CKR_OK;
}

/* Who may log in now (PKCS#11 3.0 5.6.1 and C_Login): the SO needs every session of the slot
 * read/write; CKU_CONTEXT_SPECIFIC needs an operation under way. A token without a PIN (HMAC,
 * Vault: CKF_USER_PIN_INITIALIZED and CKF_LOGIN_REQUIRED clear) has no user to log in:
 * CKR_USER_PIN_NOT_INITIALIZED, the code C_Login gives for a token whose user PIN was never
 * set; it has no SO either (CKU_SO is not one of its user types). */
static CK_RV
login_allowed(const struct p11_session *s, const struct p11_slot *slot, CK_USER_TYPE who)
{
	if (who != CKU_USER && who != CKU_SO && who != CKU_CONTEXT_SPECIFIC)
		return CKR_USER_TYPE_INVALID;
	if (who == CKU_SO && p11_slot_has_ro_session(s->slot))
		return CKR_SESSION_READ_ONLY_EXISTS;
	if (who == CKU_CONTEXT_SPECIFIC && s->op == P11_OP_NONE)
		return CKR_OPERATION_NOT_INITIALIZED;
	if (slot->kind != P11_KIND_OPENPGP)
		return who == CKU_SO ? CKR_USER_TYPE_INVALID : CKR_USER_PIN_NOT_INITIALIZED;
	if ((who == CKU_USER && slot->user_in) || (who == CKU_SO && slot->so_in))
		return CKR_USER_ALREADY_LOGGED_IN;
	if ((who == CKU_USER && slot->so_in) || (who == CKU_SO && slot->user_in))
		return CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
	return CKR_OK;
}

CK_RV
p11_login(struct p11_session *s, struct p11_slot *slot, CK_USER_TYPE who,
    const CK_UTF8CHAR *pin, CK_ULONG len)
{
	char *copy = NULL;
	void *h;
	CK_RV rv;

	if ((rv = login_allowed(s, slot, who)) != CKR_OK)
		return rv;
	/* NULL PIN: use what skinkeyd already holds (protected path through its pinentry). */
	if (pin != NULL && (copy = p11_pin_dup(pin, len)) == NULL)
		return len > P11_PIN_MAX ? CKR_PIN_LEN_RANGE : CKR_PIN_INVALID;
	if ((rv = p11_backend_handle(&h)) != CKR_OK) {
		p11_pin_free(&copy);
		return rv;
	}
	if (who == CKU_SO)
		return login_so(slot, h, copy);
	return login_user(slot, h, copy);   /* CONTEXT_SPECIFIC re-verifies PW1 */
}

CK_RV
p11_logout(struct p11_slot *slot)
{
	void *h;
	int r;

	/* logged in here, or through skinkeyd (the session states say USER_FUNCTIONS then) */
	if (!slot->user_in && !slot->so_in && !p11_slot_user_in(slot))
		return CKR_USER_NOT_LOGGED_IN;
	p11_slot_logout_local(slot);
	if (slot->kind != P11_KIND_OPENPGP || p11_backend_handle(&h) != CKR_OK)
		return CKR_OK;
	/* Also make skinkeyd forget the verified PIN: a logged-out token must not sign. */
	if ((r = p11_mod.be->logout(h, slot->chip)) != 0)
		p11_log("logout: %s", sk_strerror(r));
	slot->pins.user_verified = slot->pins.so_verified = 0;
	return CKR_OK;
}

CK_RV
p11_setpin(struct p11_session *s, struct p11_slot *slot, const CK_UTF8CHAR *o, CK_ULONG olen,
    const CK_UTF8CHAR *n, CK_ULONG nlen)
{
	char *op = NULL, *np = NULL;
	int who = slot->so_in ? P11_WHO_SO : P11_WHO_USER, r;
	void *h;
	CK_RV rv = CKR_PIN_INVALID;

	if (slot->kind != P11_KIND_OPENPGP)
		return CKR_FUNCTION_NOT_SUPPORTED;
	if (!(s->flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_ONLY;
	if ((op = p11_pin_dup(o, olen)) == NULL || (np = p11_pin_dup(n, nlen)) == NULL)
		goto out;
	if ((rv = p11_backend_handle(&h)) != CKR_OK)
		goto out;
	if ((r = p11_mod.be->setpin(h, slot->chip, who, op, np)) != 0) {
		rv = p11_rv(r, "changing the PIN");
		goto out;
	}
	/* keep the copy current so later NEEDPIN answers stay right */
	if (who == P11_WHO_USER && slot->user_in) {
		p11_pin_free(&slot->user_pin);
		slot->user_pin = np;
		np = NULL;
	} else if (who == P11_WHO_SO) {
		p11_pin_free(&slot->so_pin);
		slot->so_pin = np;
		np = NULL;
	}
	rv = CKR_OK;
out:
	p11_pin_free(&op);
	p11_pin_free(&np);
	return rv;
}

CK_RV
p11_initpin(struct p11_session *s, struct p11_slot *slot, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	char *np = NULL;
	void *h;
	CK_RV rv = CKR_PIN_INVALID;
	int r;

	if (slot->kind != P11_KIND_OPENPGP)
		return CKR_FUNCTION_NOT_SUPPORTED;
	if (!slot->so_in)
		return CKR_USER_NOT_LOGGED_IN;
	if (!(s->flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_ONLY;
	if ((np = p11_pin_dup(pin, len)) == NULL)
		goto out;
	if ((rv = p11_backend_handle(&h)) != CKR_OK)
		goto out;
	if ((r = p11_mod.be->initpin(h, slot->chip, slot->so_pin, np)) != 0) {
		p11_slot_pin_refused(slot, r);
		rv = p11_rv(r, "resetting the user PIN");
	}
	else
		rv = CKR_OK;
out:
	p11_pin_free(&np);
	return rv;
}
