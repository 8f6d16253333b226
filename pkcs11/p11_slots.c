/* p11_slots.c — slots from skinkeyd's `CHIPS`: one per (chip, applet). A slot's id is a
 * function of the chip id and the applet (stable_id), the same in every process and after
 * C_Finalize/C_Initialize, so an application may remember it; an id this process has not seen
 * yet is looked up in the daemon's chip list on first use (valid from C_Initialize on, without
 * C_GetSlotList). A chip the daemon forgets keeps its slot with no token. One more slot, kind
 * P11_KIND_VAULT, follows the vault's primary DESFire chip (VAULT_CHIPS) while the vault
 * exists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sk_err.h"
#include "p11.h"

static const char *const kind_names[] = { "OpenPGP", "HMAC", "Vault" };

static struct p11_slot *
slot_lookup(const char *chip, int kind)
{
	size_t i;

	for (i = 0; i < p11_mod.nslots; i++)
		if (p11_mod.slots[i].kind == kind && strcmp(p11_mod.slots[i].chip, chip) == 0)
			return &p11_mod.slots[i];
	return NULL;
}

static int
id_taken(CK_SLOT_ID id)
{
	size_t i;

	for (i = 0; i < p11_mod.nslots; i++)
		if (p11_mod.slots[i].id == id)
			return 1;
	return 0;
}

/* FNV-1a of the chip id, times 4, plus the applet: 30 bits, so applications that keep slot
 * ids in 32-bit integers are fine. Two chips hashing alike (never seen; ids of 48-bit serials)
 * get the next free id, which then depends on the order of sight. */
static CK_SLOT_ID
stable_id(const char *chip, int kind)
{
	uint32_t h = 2166136261u;
	CK_SLOT_ID id;
	const char *p;

	for (p = chip; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	id = (CK_SLOT_ID)(h & 0x0fffffffu) << 2 | (CK_SLOT_ID)kind;
	while (id_taken(id)) {
		p11_log("slot id collision for chip %s; next free id used", chip);
		id = (id + 4) & 0x3fffffffu;
	}
	return id;
}

static void
slot_update(const struct p11_chip *c, int kind)
{
	struct p11_slot *s = slot_lookup(c->id, kind);

	if (s == NULL) {
		if (p11_mod.nslots >= P11_MAX_SLOTS) {
			p11_log("more than %d slots; chip %s ignored", P11_MAX_SLOTS, c->id);
			return;
		}
		s = &p11_mod.slots[p11_mod.nslots];
		memset(s, 0, sizeof(*s));
		s->id = stable_id(c->id, kind);
		s->kind = kind;
		snprintf(s->chip, sizeof(s->chip), "%s", c->id);
		p11_mod.nslots++;
	}
	snprintf(s->chip_label, sizeof(s->chip_label), "%s", c->label);
	s->known = 1;
	s->present = c->present;
}

/* The Vault slot follows the vault's primary DESFire chip; it is there while the vault exists,
 * not only while the chip is in the field (reading a value waits for the tap). */
static void
vault_slot_update(void)
{
	struct p11_chip c;

	memset(&c, 0, sizeof(c));
	if (p11_vault_primary(c.id) != 0)
		return;
	c.present = 1;
	slot_update(&c, P11_KIND_VAULT);
}

CK_RV
p11_slots_refresh(void)
{
	struct p11_chip *chips = NULL;
	size_t n = 0, i;
	void *h;
	CK_RV rv;
	int r;

	if ((rv = p11_backend_handle(&h)) != CKR_OK)
		return rv;
	if ((r = p11_mod.be->chips(h, &chips, &n)) != 0)
		return p11_rv(r, "listing chips");
	for (i = 0; i < p11_mod.nslots; i++)
		p11_mod.slots[i].known = 0;
	for (i = 0; i < n; i++) {
		if (chips[i].applets & P11_APP_OPENPGP)
			slot_update(&chips[i], P11_KIND_OPENPGP);
		if (chips[i].applets & P11_APP_HMAC)
			slot_update(&chips[i], P11_KIND_HMAC);
	}
	free(chips);
	vault_slot_update();
	return CKR_OK;
}

static struct p11_slot *
slot_by_id(CK_SLOT_ID id, size_t *idx)
{
	size_t i;

	for (i = 0; i < p11_mod.nslots; i++) {
		if (p11_mod.slots[i].id != id)
			continue;
		if (idx != NULL)
			*idx = i;
		return &p11_mod.slots[i];
	}
	return NULL;
}

/* An id not seen yet in this process may be a chip the daemon knows (an application that
 * remembered it from another run): ask the daemon once before calling it invalid. */
struct p11_slot *
p11_slot_get(CK_SLOT_ID id, size_t *idx)
{
	struct p11_slot *s = slot_by_id(id, idx);

	if (s == NULL && p11_slots_refresh() == CKR_OK)
		s = slot_by_id(id, idx);
	return s;
}

CK_RV
p11_slot_info(struct p11_slot *s, CK_SLOT_INFO *info)
{
	char d[80];

	memset(info, 0, sizeof(*info));
	snprintf(d, sizeof(d), "skinkey %s %s", s->chip, kind_names[s->kind]);
	p11_pad_string(info->slotDescription, sizeof(info->slotDescription), d);
	p11_pad_string(info->manufacturerID, sizeof(info->manufacturerID), "skinkey");
	info->flags = CKF_REMOVABLE_DEVICE | CKF_HW_SLOT | (s->known ? CKF_TOKEN_PRESENT : 0);
	info->hardwareVersion.major = 0;
	info->firmwareVersion.major = 0;
	return CKR_OK;
}

/* The daemon's PIN view; failures leave "unknown" (never fatal for an info call). */
void
p11_slot_refresh_pins(struct p11_slot *s, int live)
{
	void *h;
	int r;

	s->pins.user_retries = s->pins.so_retries = -1;
	s->pins.user_verified = s->pins.so_verified = 0;
	if (s->kind != P11_KIND_OPENPGP || p11_backend_handle(&h) != CKR_OK)
		return;
	r = p11_mod.be->pinstatus(h, s->chip, live, &s->pins);
	if (r != 0)
		p11_log("PIN status of %s: %s", s->chip, sk_strerror(r));
}

static CK_FLAGS
pin_flags(const struct p11_slot *s)
{
	CK_FLAGS f = 0;

	if (s->pins.user_retries == 0)
		f |= CKF_USER_PIN_LOCKED;
	else if (s->pins.user_retries == 1)
		f |= CKF_USER_PIN_FINAL_TRY;
	else if (s->pins.user_retries > 0 && s->pins.user_retries < 3)
		f |= CKF_USER_PIN_COUNT_LOW;
	if (s->pins.so_retries == 0)
		f |= CKF_SO_PIN_LOCKED;
	else if (s->pins.so_retries == 1)
		f |= CKF_SO_PIN_FINAL_TRY;
	else if (s->pins.so_retries > 0 && s->pins.so_retries < 3)
		f |= CKF_SO_PIN_COUNT_LOW;
	return f;
}

/* The chip id, or when it does not fit the 16-byte field (DESFire "df-" + 14 hex digits of
 * the 7-byte UID) the part after the prefix: still unique, still the chip's own number. */
static const char *
serial_of(const char *chip)
{
	const char *dash = strchr(chip, '-');

	return strlen(chip) > 16 && dash != NULL ? dash + 1 : chip;
}

CK_RV
p11_token_info(struct p11_slot *s, CK_TOKEN_INFO *info)
{
	char label[80];

	if (!s->known)
		return CKR_TOKEN_NOT_PRESENT;
	p11_slot_refresh_pins(s, 1);
	memset(info, 0, sizeof(*info));
	/* "<chip label or id> <applet>", e.g. "fs-0006a1b2c3d4 OpenPGP" (32 chars max) */
	snprintf(label, sizeof(label), "%s %s", s->chip_label[0] ? s->chip_label : s->chip,
	    kind_names[s->kind]);
	p11_pad_string(info->label, sizeof(info->label), label);
	p11_pad_string(info->manufacturerID, sizeof(info->manufacturerID), "VivoKey/skinkey");
	p11_pad_string(info->model, sizeof(info->model), s->kind == P11_KIND_OPENPGP ?
	    "flexSecure PGP" : s->kind == P11_KIND_HMAC ? "flexSecure HMAC" : "DESFire EV3");
	p11_pad_string(info->serialNumber, sizeof(info->serialNumber), serial_of(s->chip));
	/* CKF_RNG: C_GenerateRandom answers from the host's DRBG (p11_entry.c) */
	info->flags = CKF_TOKEN_INITIALIZED | CKF_RNG;
	if (s->kind == P11_KIND_OPENPGP)
		info->flags |= CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED | pin_flags(s);
	info->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
	info->ulSessionCount = s->nsessions;
	info->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
	info->ulRwSessionCount = p11_slot_rw_sessions(s);
	info->ulMaxPinLen = s->kind == P11_KIND_OPENPGP ? 127 : 0;   /* the others have none */
	info->ulMinPinLen = s->kind == P11_KIND_OPENPGP ? 6 : 0;
	info->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
	info->hardwareVersion.major = 3;
	info->hardwareVersion.minor = 4;
	info->firmwareVersion.major = 0;
	info->firmwareVersion.minor = 1;
	return CKR_OK;
}

/* User functions are available when this application logged in, or when skinkeyd already
 * holds a verified PW1 for the chip (the user unlocked it through pinentry): Firefox then
 * needs no PIN prompt of its own. HMAC slots need no PIN at all. */
int
p11_slot_user(struct p11_slot *s)
{
	return s->kind != P11_KIND_OPENPGP || p11_slot_user_in(s);
}

/* The user is logged in (this application or skinkeyd's pinentry): only a token with a user
 * PIN has such a state; the session states and C_Logout follow it. */
int
p11_slot_user_in(const struct p11_slot *s)
{
	return s->kind == P11_KIND_OPENPGP && (s->user_in || s->pins.user_verified);
}

void
p11_slot_logout_local(struct p11_slot *s)
{
	s->user_in = s->so_in = 0;
	p11_pin_free(&s->user_pin);
	p11_pin_free(&s->so_pin);
}

/* A PIN this module kept from C_Login answers skinkeyd's NEEDPIN on later operations. Once the
 * chip refused it (changed elsewhere), it must never be sent again: every later call would cost
 * a retry. Forget it and end the login; the application logs in anew. */
void
p11_slot_pin_refused(struct p11_slot *s, int r)
{
	if (r != SK_ERR_PIN_WRONG && r != SK_ERR_PIN_BLOCKED)
		return;
	if (s->user_pin != NULL || s->so_pin != NULL || s->user_in || s->so_in)
		p11_log("%s: the chip refused a PIN: login ended, stored PINs forgotten", s->chip);
	p11_slot_logout_local(s);
}
