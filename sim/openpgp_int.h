/* openpgp_int.h — internals shared by the simulator's OpenPGP card 3.4 applet (sim/openpgp_*.c).
 * Card-side code: OpenSSL only, never a host header. */
#ifndef SIM_OPENPGP_INT_H
#define SIM_OPENPGP_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "sim_applet.h"

/* Status words the applet answers. */
#define OPGP_SW_OK            0x9000u
#define OPGP_SW_TERMINATED    0x6285u
#define OPGP_SW_WRONG_LENGTH  0x6700u
#define OPGP_SW_SEC_STATUS    0x6982u
#define OPGP_SW_BLOCKED       0x6983u
#define OPGP_SW_COND_USE      0x6985u
#define OPGP_SW_WRONG_DATA    0x6A80u
#define OPGP_SW_FUNC_NOT_SUPP 0x6A81u
#define OPGP_SW_NOT_FOUND     0x6A88u
#define OPGP_SW_WRONG_P1P2    0x6B00u
#define OPGP_SW_INS_NOT_SUPP  0x6D00u
#define OPGP_SW_CLA_NOT_SUPP  0x6E00u
#define OPGP_SW_NO_MEMORY     0x6581u
#define OPGP_SW_UNKNOWN       0x6F00u

#define OPGP_PIN_MAX      127u   /* C4 announces it; a KDF hash (32/64 bytes) fits */
#define OPGP_PW1_MIN      6u
#define OPGP_PW3_MIN      8u
#define OPGP_RC_MIN       8u
#define OPGP_TRIES        3u
#define OPGP_ALGO_MAX     16u
#define OPGP_SPECIAL_MAX  255u   /* private DOs, login data, URL, KDF-DO */
#define OPGP_CERT_MAX     2048u
#define OPGP_NAME_MAX     39u
#define OPGP_MAX_CMD      2048u  /* 7F66 and C0 max lengths */
#define OPGP_MAX_RSP      2048u
#define OPGP_CHALLENGE_MAX 255u

enum opgp_key_ref { OPGP_KEY_SIG = 0, OPGP_KEY_DEC = 1, OPGP_KEY_AUT = 2, OPGP_NKEYS = 3 };
enum opgp_pw { OPGP_PW1 = 0, OPGP_RC = 1, OPGP_PW3 = 2, OPGP_NPW = 3 };

/* A variable-length data object value. */
struct opgp_blob {
	uint8_t *p;
	size_t len;
};

/* Decoded algorithm attributes (C1..C3). */
enum opgp_alg { OPGP_ALG_NONE = 0, OPGP_ALG_RSA, OPGP_ALG_P256, OPGP_ALG_P384, OPGP_ALG_ED25519,
	OPGP_ALG_X25519 };

struct opgp_pin {
	uint8_t v[OPGP_PIN_MAX];
	size_t len;       /* 0: not set (only the resetting code may be unset) */
	uint8_t tries;
};

struct opgp_state {
	/* persistent */
	uint8_t serial[4];
	struct opgp_pin pw[OPGP_NPW];
	uint8_t pw1_multi;                     /* C4 byte 1 */
	uint8_t algo[OPGP_NKEYS][OPGP_ALGO_MAX];
	size_t algo_len[OPGP_NKEYS];
	uint8_t fpr[OPGP_NKEYS][20];
	uint8_t cafpr[OPGP_NKEYS][20];
	uint8_t gentime[OPGP_NKEYS][4];
	uint8_t key_origin[OPGP_NKEYS];        /* DE: 0 none, 1 generated, 2 imported */
	EVP_PKEY *key[OPGP_NKEYS];
	uint32_t sig_count;
	struct opgp_blob name, lang, sex, login, url, kdf;
	struct opgp_blob priv[4];              /* 0101..0104 */
	struct opgp_blob cert[OPGP_NKEYS];     /* 7F21, indexed by key ref */
	int terminated;
	/* volatile (dropped by deselect) */
	int pw1_81, pw1_82, pw3_83;
	int cert_occurrence;                   /* SELECT DATA: 0 AUT, 1 DEC, 2 SIG */
};

/* Bounds-checked reader over untrusted command bytes. */
struct opgp_cur {
	const uint8_t *p;
	size_t len, off;
};
void opgp_cur_init(struct opgp_cur *c, const uint8_t *p, size_t len);
size_t opgp_cur_left(const struct opgp_cur *c);
/* Reads one BER-TLV (1- or 2-byte tag, definite minimal length); 0 or -1. */
int opgp_cur_tlv(struct opgp_cur *c, unsigned *tag, const uint8_t **val, size_t *vlen);
/* Reads a tag and a length only (extended header lists); 0 or -1. */
int opgp_cur_taglen(struct opgp_cur *c, unsigned *tag, size_t *len);
/* Takes the next N bytes; 0 or -1. */
int opgp_cur_take(struct opgp_cur *c, size_t n, const uint8_t **p);
/* Finds TAG at the top level of a TLV list; 0 or -1. */
int opgp_tlv_find(const uint8_t *p, size_t len, unsigned tag, const uint8_t **val, size_t *vlen);

/* TLV writers into a response buffer; 0 or -1. */
int opgp_put_tag(struct sim_rbuf *r, unsigned tag);
int opgp_put_len(struct sim_rbuf *r, size_t len);
int opgp_put_tlv(struct sim_rbuf *r, unsigned tag, const void *v, size_t len);
/* Wraps r->p[start..] as the value of TAG (moves bytes). */
int opgp_wrap(struct sim_rbuf *r, size_t start, unsigned tag);

int opgp_blob_set(struct opgp_blob *b, const uint8_t *p, size_t len);
void opgp_blob_clear(struct opgp_blob *b);

/* State lifecycle (openpgp_state.c). */
void opgp_state_factory(struct opgp_state *s, struct sim_env *env);
void opgp_state_wipe(struct opgp_state *s);
int opgp_state_save(const struct opgp_state *s, struct sim_rbuf *out);
int opgp_state_load(struct opgp_state *s, const uint8_t *p, size_t n);
void opgp_default_algo(uint8_t *a, size_t *len);

/* Data objects (openpgp_do.c). */
uint16_t opgp_get_data(struct opgp_state *s, unsigned tag, struct sim_rbuf *r);
uint16_t opgp_put_data(struct opgp_state *s, unsigned tag, const uint8_t *d, size_t n,
    struct sim_env *env);
uint16_t opgp_select_data(struct opgp_state *s, const struct sim_apdu *a);
int opgp_build_aid(const struct opgp_state *s, uint8_t aid[16]);

/* PINs (openpgp_pin.c). */
uint16_t opgp_verify(struct opgp_state *s, const struct sim_apdu *a, struct sim_env *env);
uint16_t opgp_change_ref(struct opgp_state *s, const struct sim_apdu *a, struct sim_env *env);
uint16_t opgp_reset_retry(struct opgp_state *s, const struct sim_apdu *a, struct sim_env *env);
void opgp_pin_set(struct opgp_pin *p, const uint8_t *v, size_t len);

/* Keys (openpgp_key.c). */
enum opgp_alg opgp_algo_kind(const uint8_t *a, size_t len);
int opgp_algo_valid(const uint8_t *a, size_t len);
uint16_t opgp_generate(struct opgp_state *s, const struct sim_apdu *a, struct sim_rbuf *r,
    struct sim_env *env);
uint16_t opgp_import(struct opgp_state *s, const uint8_t *d, size_t n, struct sim_env *env);
int opgp_put_pubkey(EVP_PKEY *k, struct sim_rbuf *r);
int opgp_crt_key_ref(const uint8_t *d, size_t n, int *ref);

/* Private-key operations (openpgp_pso.c). */
uint16_t opgp_pso(struct opgp_state *s, const struct sim_apdu *a, struct sim_rbuf *r,
    struct sim_env *env);
uint16_t opgp_internal_auth(struct opgp_state *s, const struct sim_apdu *a, struct sim_rbuf *r);

#endif
