/* openpgp.h — host-side client of the OpenPGP card application 3.4 (the flexSecure's
 * SmartPGP-like applet). Every call takes a `struct sk_card *` (common/card.h) and returns 0 or a
 * negative SK_ERR_* (common/sk_err.h). Card answers are parsed only through bounds-checked
 * cursors; anything that does not parse is SK_ERR_BAD_RESPONSE, an unexpected status word
 * SK_ERR_SW (the SW is logged). Calls that send a PIN SELECT the applet first in the same card
 * transaction and never re-send a refused VERIFY. */
#ifndef SK_OPENPGP_H
#define SK_OPENPGP_H

#include <stddef.h>
#include <stdint.h>

struct sk_card;
typedef struct evp_pkey_st EVP_PKEY;

/* Key slots (control reference templates B6 / B8 / A4). */
enum opgp_key {
	OPGP_KEY_SIG = 0,
	OPGP_KEY_DEC = 1,
	OPGP_KEY_AUT = 2,
};
#define OPGP_NKEYS 3

/* PIN references for VERIFY. */
#define OPGP_PW1_SIGN  0x81 /* PW1 for PSO:CDS */
#define OPGP_PW1_OTHER 0x82 /* PW1 for DECIPHER / INTERNAL AUTHENTICATE / private DOs */
#define OPGP_PW3       0x83 /* admin PIN */
#define OPGP_RC        0x84 /* resetting code (only as a selector for the KDF salt) */

/* Spec minimum PIN lengths (checked before anything reaches the card). */
#define OPGP_PW1_MIN 6
#define OPGP_PW3_MIN 8
#define OPGP_RC_MIN  8
#define OPGP_PIN_MAX 127

/* Algorithm ids of the algorithm attributes (C1..C3) and of OpenPGP public key packets. */
#define OPGP_ALGO_ID_RSA   0x01
#define OPGP_ALGO_ID_ECDH  0x12
#define OPGP_ALGO_ID_ECDSA 0x13
#define OPGP_ALGO_ID_EDDSA 0x16

enum opgp_curve {
	OPGP_CURVE_NONE = 0,   /* RSA or unset */
	OPGP_CURVE_P256,
	OPGP_CURVE_P384,
	OPGP_CURVE_ED25519,
	OPGP_CURVE_X25519,
	OPGP_CURVE_OTHER,      /* an OID skinkey does not know (kept raw) */
};

/* What opgp_set_algo_attr() can ask for. P-256/P-384 become ECDH on DEC, ECDSA elsewhere. */
enum opgp_algo {
	OPGP_ALGO_RSA2048 = 1,
	OPGP_ALGO_RSA4096,
	OPGP_ALGO_P256,
	OPGP_ALGO_P384,
	OPGP_ALGO_ED25519,     /* SIG / AUT only */
	OPGP_ALGO_X25519,      /* DEC only */
};

struct opgp_algo_attr {
	uint8_t id;            /* OPGP_ALGO_ID_*; 0 when the card did not say */
	uint16_t rsa_bits;     /* RSA modulus length in bits */
	uint16_t rsa_e_bits;   /* RSA public exponent length in bits */
	uint8_t import_format; /* RSA: 00..03; ECC: 00 or FF (public key included) */
	enum opgp_curve curve;
	uint8_t oid[16];       /* ECC curve OID without tag and length */
	size_t oid_len;
};

struct opgp_ext_caps {
	uint8_t flags;         /* byte 1 of C0 (OPGP_CAP_*) */
	uint8_t sm_algo;
	uint16_t max_challenge;
	uint16_t max_cert;
	uint16_t max_special;  /* max length of special DOs (private, login, URL, KDF) */
	uint8_t pin_block2;
	uint8_t mse;
};
#define OPGP_CAP_KDF        0x01
#define OPGP_CAP_AES        0x02
#define OPGP_CAP_ALGO_CHG   0x04
#define OPGP_CAP_PRIVATE_DO 0x08
#define OPGP_CAP_PW_STATUS  0x10
#define OPGP_CAP_KEY_IMPORT 0x20
#define OPGP_CAP_CHALLENGE  0x40
#define OPGP_CAP_SM         0x80

struct opgp_pw_status {
	uint8_t pw1_multi;     /* 1: PW1 stays valid for several PSO:CDS */
	uint8_t pw1_max, rc_max, pw3_max;     /* max lengths (format bit 0x80 stripped) */
	uint8_t pw1_tries, rc_tries, pw3_tries;
};

/* KDF-DO F9 (only iterated+salted S2K is defined). */
#define OPGP_KDF_NONE 0x00
#define OPGP_KDF_ITERSALTED_S2K 0x03
#define OPGP_KDF_HASH_SHA256 0x08
#define OPGP_KDF_HASH_SHA512 0x0A
struct opgp_kdf {
	uint8_t algo;          /* OPGP_KDF_* */
	uint8_t hash;          /* OPGP_KDF_HASH_* */
	uint32_t iterations;   /* byte count for the S2K */
	uint8_t salt_pw1[8], salt_rc[8], salt_pw3[8];
	uint8_t has_salt_pw1, has_salt_rc, has_salt_pw3;
};

struct opgp_info {
	uint8_t aid[16];
	size_t aid_len;
	uint8_t version_major, version_minor;
	uint16_t manufacturer;
	uint32_t serial;
	uint8_t hist[32];
	size_t hist_len;
	struct opgp_ext_caps caps;
	struct opgp_algo_attr algo[OPGP_NKEYS];
	struct opgp_pw_status pw;
	uint8_t fpr[OPGP_NKEYS][20];    /* all zero: no key */
	uint8_t ca_fpr[OPGP_NKEYS][20];
	uint32_t gen_time[OPGP_NKEYS];
	uint8_t key_status[OPGP_NKEYS]; /* DE: 0 none, 1 generated, 2 imported (0 when absent) */
	int has_key_info;
	uint16_t max_cmd, max_rsp;      /* 7F66; 0 when absent */
	/* cardholder data 65 and friends (NUL-terminated; empty when absent) */
	char name[40];
	char lang[9];
	uint8_t sex;                    /* ISO 5218: '0','1','2','9' (0 when absent) */
	char url[256];
	char login[256];
	uint32_t sig_counter;           /* 7A / 93 */
	struct opgp_kdf kdf;
	uint8_t kdf_do[256];            /* F9 as the card sent it (scdaemon's KDF attribute) */
	size_t kdf_do_len;              /* 0 when absent or longer than kdf_do */
};

/* ---- parsers (exported for tests and fuzzers; no card needed) ---- */
int opgp_parse_app_data(const uint8_t *p, size_t n, struct opgp_info *info); /* 6E (with/without tag) */
int opgp_parse_cardholder(const uint8_t *p, size_t n, struct opgp_info *info); /* 65 */
int opgp_parse_pw_status(const uint8_t *p, size_t n, struct opgp_pw_status *pw); /* C4 value */
int opgp_parse_algo_attr(const uint8_t *p, size_t n, struct opgp_algo_attr *a);  /* C1..C3 value */
int opgp_parse_kdf(const uint8_t *p, size_t n, struct opgp_kdf *kdf);            /* F9 */
int opgp_parse_sst(const uint8_t *p, size_t n, uint32_t *sig_counter);          /* 7A */

/* ---- application ---- */
int opgp_select(struct sk_card *card);
/* SELECT unless this handle selected the applet in the transaction still open (call inside one):
 * what HACKING.md rule 1 asks before a PIN-bearing APDU, without a second SELECT. */
int opgp_select_in_tx(struct sk_card *card);
int opgp_read_info(struct sk_card *card, struct opgp_info *info);
/* The same with choices, for a caller that already holds part of the data:
 * app/app_len: the answer to GET DATA 6E read in this transaction (not read again);
 * no_static: skip the DOs only an admin write changes (65, 5F50, 5E): the caller has them;
 * app_only: read 6E and 7A alone (after a write that changed keys, attributes or PINs): the
 * caller keeps the rest, the KDF-DO included. */
struct opgp_read_opts {
	const uint8_t *app;
	size_t app_len;
	int no_static;
	int app_only;
};
int opgp_read_info_ex(struct sk_card *card, const struct opgp_read_opts *o,
    struct opgp_info *info);
/* Why the last opgp_read_info of this thread failed, for the user ("DO 6E: AID is not ...",
 * "GET DATA 65: the card answered 6F00"); "" after a success. */
const char *opgp_read_info_error(void);
/* GET DATA / PUT DATA of any DO (tag up to 2 bytes). *out is malloc'ed; free() it. */
int opgp_get_data(struct sk_card *card, uint16_t tag, uint8_t **out, size_t *out_len);
int opgp_put_data(struct sk_card *card, uint16_t tag, const uint8_t *p, size_t n);
/* TERMINATE DF + ACTIVATE FILE: wipes keys and PINs back to factory (PW1 123456, PW3 12345678).
 * The card terminates only with PW3 verified or blocked: pass the admin PIN (verified here, in
 * the same transaction) or NULL when PW3 is blocked. A card left terminated by an interrupted
 * reset (SELECT answers 6285) is simply activated. */
int opgp_factory_reset(struct sk_card *card, const char *pw3, size_t pw3_len);

/* ---- PINs ---- */
/* Verify ref 0x81/0x82/0x83. Reads C4 (and F9 when KDF is supported) first, in the same
 * transaction after a SELECT; refuses locally a wrong-length PIN (SK_ERR_PIN_FORMAT) and a
 * blocked counter (SK_ERR_PIN_BLOCKED). A refusal by the card is SK_ERR_PIN_WRONG with
 * *tries_left (may be NULL) set to what the card answered; never retried. On success
 * *tries_left is the counter read just before the VERIFY (the card has now reset it). */
int opgp_verify(struct sk_card *card, uint8_t ref, const char *pin, size_t len, int *tries_left);
/* The same, with the PW status the caller knows (skinkeyd's cache: maximum lengths, the counter
 * for the prompt) and a fresh read of the KDF-DO alone, whose form a PIN must take (a stale one
 * would cost a retry). A counter known as 0 is read again (opgp_verify). The SELECT is skipped
 * when this handle made it in the transaction still open (opgp_select_in_tx). */
int opgp_verify_known_pw(struct sk_card *card, uint8_t ref, const char *pin, size_t len,
    const struct opgp_pw_status *pw, int *tries_left);
/* The same VERIFY without the SELECT and the C4/F9 reads, for a caller that (1) selected the
 * OpenPGP applet itself in the PC/SC transaction it holds and (2) knows the card's current PW
 * status and KDF-DO (skinkeyd's cache, for a PIN this chip already accepted). Same local
 * refusals (length, blocked counter), same results. */
int opgp_verify_selected(struct sk_card *card, uint8_t ref, const char *pin, size_t len,
    const struct opgp_pw_status *pw, const struct opgp_kdf *kdf, int *tries_left);
/* Empty VERIFY: 0 = verified now, else *tries_left holds the counter (SK_ERR_PIN_REQUIRED). */
int opgp_verify_status(struct sk_card *card, uint8_t ref, int *tries_left);
int opgp_unverify(struct sk_card *card, uint8_t ref);
/* ref 0x81 (PW1) or 0x83 (PW3). */
int opgp_change_pin(struct sk_card *card, uint8_t ref, const char *old_pin, size_t old_len,
    const char *new_pin, size_t new_len);
/* With a resetting code (rc != NULL) or, when rc == NULL, after PW3 was verified. */
int opgp_reset_retry_counter(struct sk_card *card, const char *rc, size_t rc_len,
    const char *new_pin, size_t new_len);
/* Set the resetting code (PUT DATA D3, KDF applied when active). PW3 must have been verified
 * in the caller's transaction (no SELECT here). */
int opgp_set_resetting_code(struct sk_card *card, const char *rc, size_t rc_len);
/* Apply the KDF-DO to a PIN (no card involved). out must hold 64 bytes; *out_len is set. With
 * kdf NULL or algo NONE the PIN is copied verbatim (if it fits in out_cap). */
int opgp_kdf_apply(const struct opgp_kdf *kdf, uint8_t ref, const char *pin, size_t len,
    uint8_t *out, size_t out_cap, size_t *out_len);

/* ---- keys ---- */
struct opgp_pubkey {
	uint8_t algo_id;          /* OPGP_ALGO_ID_* (from the algorithm attributes) */
	enum opgp_curve curve;
	uint8_t n[512];           /* RSA modulus */
	size_t n_len;
	uint8_t e[8];             /* RSA exponent */
	size_t e_len;
	uint8_t point[133];       /* EC: 04||X||Y; Ed25519 / X25519: 32 raw bytes */
	size_t point_len;
};
/* Parse a 7F49 template (with or without its tag) given the slot's algorithm. */
int opgp_parse_pubkey(const uint8_t *p, size_t n, const struct opgp_algo_attr *a,
    struct opgp_pubkey *pk);
/* Read the public key of a slot (GENERATE ASYMMETRIC KEY PAIR P1 81); reads C1..C3 itself. */
int opgp_read_pubkey(struct sk_card *card, enum opgp_key key, struct opgp_pubkey *pk);
int opgp_pubkey_to_evp(const struct opgp_pubkey *pk, EVP_PKEY **out);
int opgp_set_algo_attr(struct sk_card *card, enum opgp_key key, enum opgp_algo algo);
/* Generate on card (PW3 must be verified), then write fingerprint (C7..C9) and generation time
 * (CE..D0) computed as gpg does. created 0 means now. */
int opgp_generate(struct sk_card *card, enum opgp_key key, uint32_t created,
    struct opgp_pubkey *pk);
/* Writes a fingerprint (C7..C9) and its creation time (CE..D0); PW3 verified. */
int opgp_write_fpr(struct sk_card *card, enum opgp_key key, const uint8_t fpr[20],
    uint32_t created);
/* RFC 4880 v4 fingerprint of the public key packet (ECDH includes gpg's KDF parameters). */
int opgp_fingerprint_v4(const struct opgp_pubkey *pk, uint32_t created, uint8_t fpr[20]);

/* Private key for import (PW3 verified). RSA: e, p, q (standard format). ECC: tag 92 = the
 * private value (P-256/384: big-endian scalar; Ed25519: the 32-byte seed; X25519: the 32-byte
 * key in native RFC 7748 byte order, as OpenSSL holds it), tag 99 = public key (optional). */
struct opgp_privkey {
	uint8_t algo_id;
	enum opgp_curve curve;
	const uint8_t *e, *p, *q;
	size_t e_len, p_len, q_len;
	const uint8_t *scalar;
	size_t scalar_len;
	const uint8_t *pub;       /* optional (tag 99) */
	size_t pub_len;
};
int opgp_import_key(struct sk_card *card, enum opgp_key key, const struct opgp_privkey *k);

/* ---- operations ---- */
/* PSO:CDS. RSA: DigestInfo; ECDSA: the hash (answer r||s); EdDSA: the message (answer R||S).
 * *sig is malloc'ed. */
int opgp_sign(struct sk_card *card, const uint8_t *in, size_t in_len, uint8_t **sig,
    size_t *sig_len);
/* r||s (2n bytes) to a DER ECDSA-Sig-Value. *der is malloc'ed. */
int opgp_ecdsa_sig_to_der(const uint8_t *rs, size_t rs_len, uint8_t **der, size_t *der_len);
/* PSO:DECIPHER. RSA: cryptogram (the 00 padding indicator is added here). ECDH (P-256/P-384
 * uncompressed point, X25519 32 bytes, or 33 with gpg's 0x40 prefix, which is dropped):
 * ephemeral public key -> shared secret. *out is
 * malloc'ed and should be wiped by the caller. */
int opgp_decipher_rsa(struct sk_card *card, const uint8_t *in, size_t in_len, uint8_t **out,
    size_t *out_len);
int opgp_decipher_ecdh(struct sk_card *card, const uint8_t *point, size_t point_len,
    uint8_t **out, size_t *out_len);
int opgp_internal_auth(struct sk_card *card, const uint8_t *in, size_t in_len, uint8_t **sig,
    size_t *sig_len);
int opgp_get_challenge(struct sk_card *card, uint8_t *buf, size_t n);
/* Cardholder certificates (DO 7F21) via SELECT DATA. *out malloc'ed; empty cert = len 0. */
int opgp_read_cert(struct sk_card *card, enum opgp_key key, uint8_t **out, size_t *out_len);
int opgp_write_cert(struct sk_card *card, enum opgp_key key, const uint8_t *p, size_t n);
/* Private DOs 1..4 (0101..0104). */
int opgp_read_private_do(struct sk_card *card, int num, uint8_t **out, size_t *out_len);
int opgp_write_private_do(struct sk_card *card, int num, const uint8_t *p, size_t n);

#endif
