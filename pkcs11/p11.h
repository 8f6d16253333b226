/* p11.h — internals shared by the files of skinkey-pkcs11.so (not installed, not exported).
 * Model: one slot per (chip, applet); token objects are built from the daemon's cached public
 * data; one module lock serializes everything (the daemon connection is a single stream). */
#ifndef P11_H
#define P11_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "p11_v3.h"
#include "p11_backend.h"

#define P11_MAX_SLOTS    64
#define P11_MAX_SESSIONS 256
#define P11_MAX_DATA     ((size_t)1 << 20)   /* multi-part sign input cap */
#define P11_PIN_MAX      128

enum p11_kind { P11_KIND_OPENPGP = 0, P11_KIND_HMAC = 1, P11_KIND_VAULT = 2 };

/* Token object handles are deterministic so they survive a reload of the token objects:
 * (slot index + 1) << 12 | ref << 4 | what. Session objects have the top bit. */
enum p11_what { P11_W_PRIV = 1, P11_W_PUB = 2, P11_W_CERT = 3, P11_W_SECRET = 4 };
#define P11_SESSION_OBJ 0x40000000UL

struct p11_attr {
	CK_ATTRIBUTE_TYPE type;
	uint8_t *val;
	CK_ULONG len;
};

struct p11_obj {
	CK_OBJECT_HANDLE handle;
	CK_OBJECT_CLASS cls;
	CK_KEY_TYPE kty;
	int ref;                  /* OpenPGP key ref 1..3 / HMAC slot 1..2 / 0 */
	int is_private;           /* CKA_PRIVATE: hidden until login */
	int sensitive;            /* secret parts never readable */
	int curve_bytes;          /* EC field size (signature halves) */
	CK_ULONG modulus_bytes;   /* RSA */
	CK_SESSION_HANDLE owner;  /* session objects; 0 for token objects */
	int vault;                /* a Vault credential: CKA_VALUE fetched from skinkeyd */
	int corrupt;              /* VAULT_LIST marked it: never readable */
	uint64_t vid;             /* its vault id */
	struct p11_attr *attrs;
	size_t nattrs;
};

struct p11_slot {
	CK_SLOT_ID id;
	char chip[P11_CHIPID_MAX];
	char chip_label[64];
	int kind;                 /* enum p11_kind */
	int known;                /* in the daemon's chip list now */
	int present;
	int loaded;               /* token objects built */
	struct p11_obj *objs;
	size_t nobjs;
	int user_in, so_in;       /* this application logged in */
	char *user_pin, *so_pin;  /* kept after a successful C_Login to answer NEEDPIN; wiped */
	struct p11_pinstatus pins;
	unsigned nsessions;
};

enum p11_opkind { P11_OP_NONE = 0, P11_OP_SIGN = 2, P11_OP_DECRYPT = 3 };

struct p11_session {
	CK_SESSION_HANDLE handle;
	size_t slot;              /* index into module slots */
	CK_FLAGS flags;
	int op;                   /* enum p11_opkind: the cryptographic operation */
	int finding;              /* a C_FindObjects search is active (independent of op) */
	CK_MECHANISM_TYPE mech;
	CK_OBJECT_HANDLE key;
	uint8_t *data; size_t data_len;           /* sign: accumulated input */
	uint8_t *result; size_t result_len;       /* sign/decrypt: kept for a size query */
	int have_result;
	CK_OBJECT_HANDLE *found; size_t nfound, found_pos;
	/* Vault: a credential fetched for a CKA_VALUE size query, kept only for the follow-up
	 * call on the same object (one tap per read); wiped when used, replaced or stale. */
	CK_OBJECT_HANDLE vpend_obj;
	uint8_t *vpend; size_t vpend_len;
	long long vpend_ms;       /* CLOCK_MONOTONIC when fetched */
	long long vaway_ms;       /* when a fetch last found no chip (0: never) */
};

struct p11_module {
	int initialized;
	pid_t pid;
	int use_cb_locks;
	CK_C_INITIALIZE_ARGS args;
	void *cb_mutex;
	const struct p11_backend *be;
	void *beh;                /* backend handle, NULL until first use */
	struct p11_slot slots[P11_MAX_SLOTS];
	size_t nslots;
	struct p11_session *sessions[P11_MAX_SESSIONS];
	CK_SESSION_HANDLE next_session;
	CK_OBJECT_HANDLE next_object;
};

extern struct p11_module p11_mod;

/* p11_global.c: init, locking, fork safety */
CK_RV p11_initialize(CK_VOID_PTR args);
CK_RV p11_finalize(void);
CK_RV p11_lock(void);          /* CKR_CRYPTOKI_NOT_INITIALIZED when not (or forked) */
void p11_unlock(void);
void p11_set_backend(const struct p11_backend *be);   /* tests */
CK_RV p11_backend_handle(void **h);
CK_RV p11_rv(int sk_err, const char *what);           /* SK_ERR_* -> CK_RV, logs why */
void p11_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p11_unescape_field(char *dst, size_t n, const char *src, const char *empty);

/* p11_util.c */
CK_RV p11_out_bytes(const void *src, size_t len, CK_BYTE_PTR dst, CK_ULONG_PTR dst_len);
void p11_pad_string(CK_UTF8CHAR *dst, size_t n, const char *src);
char *p11_pin_dup(const CK_UTF8CHAR *pin, CK_ULONG len);
void p11_pin_free(char **pin);

/* p11_slots.c */
CK_RV p11_slots_refresh(void);
struct p11_slot *p11_slot_get(CK_SLOT_ID id, size_t *idx);
CK_RV p11_slot_info(struct p11_slot *s, CK_SLOT_INFO *info);
CK_RV p11_token_info(struct p11_slot *s, CK_TOKEN_INFO *info);
void p11_slot_refresh_pins(struct p11_slot *s, int live);
int p11_slot_user(struct p11_slot *s);   /* user functions available (login or daemon PIN) */
int p11_slot_user_in(const struct p11_slot *s);   /* a user is logged in (tokens with a PIN) */
void p11_slot_logout_local(struct p11_slot *s);
void p11_slot_pin_refused(struct p11_slot *s, int sk_err);

/* p11_objects.c */
CK_RV p11_objects_load(struct p11_slot *s);
void p11_objects_free(struct p11_slot *s);
void p11_obj_free(struct p11_obj *o);
int p11_obj_add_attr(struct p11_obj *o, CK_ATTRIBUTE_TYPE t, const void *v, CK_ULONG len);
int p11_obj_add_bool(struct p11_obj *o, CK_ATTRIBUTE_TYPE t, int v);
int p11_obj_add_ulong(struct p11_obj *o, CK_ATTRIBUTE_TYPE t, CK_ULONG v);
const struct p11_attr *p11_obj_attr(const struct p11_obj *o, CK_ATTRIBUTE_TYPE t);
int p11_obj_visible(const struct p11_slot *s, const struct p11_obj *o);
/* (slot index + 1) << 12 | ref << 4 | what */
CK_OBJECT_HANDLE p11_token_handle(const struct p11_slot *s, int ref, int what);
struct p11_obj *p11_obj_find(struct p11_slot *s, CK_OBJECT_HANDLE h);
CK_RV p11_obj_get_attrs(const struct p11_obj *o, CK_ATTRIBUTE_PTR t, CK_ULONG n);
int p11_obj_match(const struct p11_obj *o, const CK_ATTRIBUTE *t, CK_ULONG n);
CK_RV p11_obj_build_key(struct p11_slot *s, int ref, const struct p11_pubkey *k,
    struct p11_obj **priv, struct p11_obj **pub);
CK_RV p11_obj_build_cert(struct p11_slot *s, int ref, const uint8_t *der, size_t len,
    struct p11_obj **out);
CK_RV p11_obj_append(struct p11_slot *s, struct p11_obj *o);

/* p11_session.c */
CK_RV p11_session_open(CK_SLOT_ID slot, CK_FLAGS flags, CK_SESSION_HANDLE *out);
CK_RV p11_session_close(CK_SESSION_HANDLE h);
CK_RV p11_session_close_all(CK_SLOT_ID slot);
CK_RV p11_session_get(CK_SESSION_HANDLE h, struct p11_session **s, struct p11_slot **slot);
void p11_session_op_reset(struct p11_session *s);       /* both of the below */
void p11_session_crypto_reset(struct p11_session *s);   /* sign/decrypt state */
void p11_session_find_reset(struct p11_session *s);     /* search state */
CK_STATE p11_session_state(const struct p11_session *s, struct p11_slot *slot);
int p11_slot_has_ro_session(size_t idx);   /* a read-only session of this slot is open */
CK_ULONG p11_slot_rw_sessions(const struct p11_slot *sl);

/* p11_auth.c: login, PINs */
CK_RV p11_login(struct p11_session *s, struct p11_slot *slot, CK_USER_TYPE who,
    const CK_UTF8CHAR *pin, CK_ULONG len);
CK_RV p11_logout(struct p11_slot *slot);
CK_RV p11_setpin(struct p11_session *s, struct p11_slot *slot, const CK_UTF8CHAR *o,
    CK_ULONG olen, const CK_UTF8CHAR *n, CK_ULONG nlen);
CK_RV p11_initpin(struct p11_session *s, struct p11_slot *slot, const CK_UTF8CHAR *pin,
    CK_ULONG len);

/* p11_mech.c: mechanism table and encodings */
CK_RV p11_mech_list(const struct p11_slot *s, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR n);
CK_RV p11_mech_info(const struct p11_slot *s, CK_MECHANISM_TYPE m, CK_MECHANISM_INFO_PTR info);
/* The hash a mechanism runs on the host (NULL for none); *rsa set for RSA DigestInfo. */
int p11_mech_hash(CK_MECHANISM_TYPE m, const char **md, int *rsa);
int p11_digestinfo(const char *md, const uint8_t *in, size_t len, uint8_t **out,
    size_t *out_len);
int p11_hash(const char *md, const uint8_t *in, size_t len, uint8_t *out, size_t *out_len);
int p11_ecdsa_raw(const uint8_t *sig, size_t len, size_t half, uint8_t **out, size_t *out_len);
int p11_left_pad(const uint8_t *in, size_t len, size_t want, uint8_t **out, size_t *out_len);

/* p11_crypto.c: sign / decrypt / derive workers */
CK_RV p11_sign_init(struct p11_session *s, struct p11_slot *slot, CK_MECHANISM_PTR m,
    CK_OBJECT_HANDLE key);
CK_RV p11_sign_update(struct p11_session *s, const CK_BYTE *p, CK_ULONG n);
CK_RV p11_sign_final(struct p11_session *s, struct p11_slot *slot, CK_BYTE_PTR sig,
    CK_ULONG_PTR len);
CK_RV p11_decrypt_init(struct p11_session *s, struct p11_slot *slot, CK_MECHANISM_PTR m,
    CK_OBJECT_HANDLE key);
CK_RV p11_decrypt(struct p11_session *s, struct p11_slot *slot, const CK_BYTE *in, CK_ULONG n,
    CK_BYTE_PTR out, CK_ULONG_PTR out_len);
CK_RV p11_derive(struct p11_session *s, struct p11_slot *slot, CK_MECHANISM_PTR m,
    CK_OBJECT_HANDLE key, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR out);

/* p11_create.c: key generation, certificates and HMAC keys onto the card */
CK_RV p11_genkey(struct p11_session *s, struct p11_slot *slot, CK_MECHANISM_PTR m,
    CK_ATTRIBUTE_PTR pubt, CK_ULONG npub, CK_ATTRIBUTE_PTR privt, CK_ULONG npriv,
    CK_OBJECT_HANDLE_PTR pub, CK_OBJECT_HANDLE_PTR priv);
CK_RV p11_create(struct p11_session *s, struct p11_slot *slot, CK_ATTRIBUTE_PTR t, CK_ULONG n,
    CK_OBJECT_HANDLE_PTR out);
CK_RV p11_destroy(struct p11_session *s, struct p11_slot *slot, CK_OBJECT_HANDLE h);

/* p11_vault.c: the Vault slot (CKO_DATA credentials of the DESFire vault) */
int p11_vault_primary(char chip[P11_CHIPID_MAX]);   /* 0 when the daemon has a vault */
CK_RV p11_vault_load(struct p11_slot *s, void *h);
CK_RV p11_vault_get_attrs(struct p11_session *ss, struct p11_obj *o, CK_ATTRIBUTE_PTR t,
    CK_ULONG n);
CK_RV p11_vault_create(struct p11_slot *s, CK_ATTRIBUTE_PTR t, CK_ULONG n,
    CK_OBJECT_HANDLE_PTR out);
CK_RV p11_vault_destroy(struct p11_slot *s, size_t idx);
CK_RV p11_vault_set_attrs(struct p11_session *ss, struct p11_obj *o, CK_ATTRIBUTE_PTR t,
    CK_ULONG n);
void p11_vault_pending_wipe(struct p11_session *ss);

/* p11_vault_proto.c: skinkeyd's vault lines (untrusted) and command arguments */
int p11_vault_parse_cred(const char *line, struct p11_vcred *out);   /* "VAULT_CRED ..." */
int p11_vault_parse_id(const char *line, uint64_t *id);              /* "VAULT_ID <id>" */
int p11_vault_escape(const char *s, char *dst, size_t n);            /* Assuan %XX; "" as %00 */

/* p11_sexp.c: canonical S-expression public keys (READKEY format) */
int p11_sexp_pubkey(const uint8_t *p, size_t len, struct p11_pubkey *out);

/* Template helpers (p11_util.c) */
const CK_ATTRIBUTE *p11_tmpl_find(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type);
int p11_tmpl_ulong(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type, CK_ULONG *v);
int p11_tmpl_bool(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type, int *v);

#endif
