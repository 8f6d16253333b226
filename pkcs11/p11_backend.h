/* p11_backend.h — what the module needs from skinkeyd, behind a table of function pointers so
 * unit tests swap in a mock (STYLE.md 8). The real table (p11_assuan.c) speaks Assuan to
 * skinkeyd; every function returns 0 or a negative SK_ERR_* (common/sk_err.h). */
#ifndef P11_BACKEND_H
#define P11_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#define P11_CHIPID_MAX 48

/* Applets a chip offers (bit mask); each becomes one slot. */
#define P11_APP_OPENPGP 0x1u
#define P11_APP_HMAC    0x2u
#define P11_APP_VAULT   0x4u   /* reserved for the vault slot (helper "vault") */

struct p11_chip {
	char id[P11_CHIPID_MAX];   /* "fs-0006a1b2c3d4" */
	char label[64];
	unsigned applets;          /* P11_APP_* */
	int present;               /* in the field right now */
};

enum p11_kty { P11_KTY_NONE = 0, P11_KTY_RSA, P11_KTY_EC, P11_KTY_ED25519, P11_KTY_X25519 };
enum p11_curve { P11_CURVE_NONE = 0, P11_CURVE_P256, P11_CURVE_P384 };

/* A public key as the card gives it (big-endian integers, raw points). */
struct p11_pubkey {
	int kty;                   /* enum p11_kty */
	int curve;                 /* enum p11_curve for P11_KTY_EC */
	uint8_t *n; size_t n_len;  /* RSA modulus */
	uint8_t *e; size_t e_len;  /* RSA public exponent */
	uint8_t *q; size_t q_len;  /* EC: 04||x||y; Ed25519/X25519: 32 bytes */
};
void p11_pubkey_clear(struct p11_pubkey *k);

/* Which PIN: OpenPGP PW1 (CKU_USER) or PW3 (CKU_SO). */
enum p11_who { P11_WHO_USER = 1, P11_WHO_SO = 3 };

struct p11_pinstatus {
	int user_verified, so_verified;   /* skinkeyd holds a verified PIN for this chip */
	int user_retries, so_retries;     /* -1 unknown */
};

struct p11_backend {
	int (*open)(void **h);                       /* connect (autostart skinkeyd) */
	void (*close)(void **h, int forked);         /* forked: only drop, never talk */
	int (*chips)(void *h, struct p11_chip **out, size_t *n);
	/* key ref 1 SIG, 2 DEC, 3 AUT; SK_ERR_NOT_FOUND when the slot is empty */
	int (*readkey)(void *h, const char *chip, int ref, struct p11_pubkey *out);
	int (*readcert)(void *h, const char *chip, int ref, uint8_t **der, size_t *len);
	/* live: read the retry counters from the chip when it is in the field */
	int (*pinstatus)(void *h, const char *chip, int live, struct p11_pinstatus *out);
	/* pin NULL: use what skinkeyd already holds (SK_ERR_PIN_REQUIRED when nothing) */
	int (*login)(void *h, const char *chip, int who, const char *pin);
	int (*logout)(void *h, const char *chip);
	int (*setpin)(void *h, const char *chip, int who, const char *oldpin, const char *newpin);
	int (*initpin)(void *h, const char *chip, const char *sopin, const char *newpin);
	/* RSA: DigestInfo (or any PKCS#1 v1.5 payload); ECDSA: the hash; EdDSA: the message */
	int (*sign)(void *h, const char *chip, int ref, const char *pin, const uint8_t *in,
	    size_t len, uint8_t **sig, size_t *siglen);
	/* RSA: PKCS#1 v1.5 ciphertext -> plaintext; ECC: peer point -> shared secret */
	int (*decrypt)(void *h, const char *chip, int ref, const char *pin, const uint8_t *in,
	    size_t len, uint8_t **out, size_t *outlen);
	/* algo: "rsa2048" "rsa4096" "nistp256" "nistp384" "ed25519" "cv25519" */
	int (*genkey)(void *h, const char *chip, int ref, const char *algo, const char *sopin,
	    struct p11_pubkey *out);
	int (*writecert)(void *h, const char *chip, int ref, const char *sopin, const uint8_t *der,
	    size_t len);
	int (*hmac_slots)(void *h, const char *chip, unsigned *mask);   /* bit 0 slot 1, bit 1 slot 2 */
	int (*hmac)(void *h, const char *chip, int slot, const uint8_t *chal, size_t len,
	    uint8_t out[20]);
	/* an empty slot only: SK_ERR_EXISTS when the chip shows it programmed */
	int (*hmac_program)(void *h, const char *chip, int slot, const uint8_t *key, size_t len);
	int (*hmac_delete)(void *h, const char *chip, int slot);   /* erases the slot */
	const struct p11_vault_backend *vault;       /* NULL: no Vault slot */
};

/* One vault credential as VAULT_LIST lists it (no secret). */
struct p11_vcred {
	uint64_t id;
	char site[256];
	char user[256];
	int corrupt;               /* the row does not decrypt: listed, never readable */
};

/* The vault calls (PROTOCOL.md "Vault"); NULL in a backend without a vault. */
struct p11_vault_backend {
	/* the primary DESFire chip id; SK_ERR_NOT_FOUND when the daemon has no vault */
	int (*primary)(void *h, char chip[P11_CHIPID_MAX]);
	int (*list)(void *h, struct p11_vcred **out, size_t *n);
	/* waits for the primary chip's tap (SK_ERR_TIMEOUT when it never comes) */
	int (*get)(void *h, uint64_t id, uint8_t **secret, size_t *len);
	int (*add)(void *h, const char *site, const char *user, const uint8_t *secret, size_t len,
	    uint64_t *id);
	int (*rm)(void *h, uint64_t id);
	int (*update)(void *h, uint64_t id, const uint8_t *secret, size_t len);   /* tap */
};

extern const struct p11_backend p11_backend_assuan;

#endif
