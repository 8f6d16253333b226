/* desfire.h — MIFARE DESFire EV3 host driver: ISO 7816-4 wrapped native commands, legacy
 * (AuthenticateISO, 2TDEA) and AuthenticateEV2First (AES) authentication, EV2 secure messaging
 * (MAC and FULL), files, keys, originality signature, and crash-safe provisioning of the
 * skinkey vault application.
 *
 * Every function returns 0 or a negative SK_ERR_* (common/sk_err.h). A refused command
 * (status 91 xx other than 00/AF) gives SK_ERR_SW (or a more precise code, see
 * desfire_status_err()); desfire_last_status() tells which xx the card answered. */
#ifndef SK_DESFIRE_H
#define SK_DESFIRE_H

#include <stddef.h>
#include <stdint.h>

/* ---- transport ---------------------------------------------------------------------------- */

/* One raw APDU exchange. resp has room for *resp_len bytes; on success *resp_len is the length
 * of the answer including the two status bytes. Returns 0 or SK_ERR_* (SK_ERR_CARD_REMOVED when
 * the chip left the field). Unit tests and fuzzers plug a mock in here. */
struct desfire_io {
	void *ctx;
	int (*transmit)(void *ctx, const uint8_t *apdu, size_t apdu_len, uint8_t *resp,
	    size_t *resp_len);
	/* Random bytes for RndA and new keys; NULL = OpenSSL RAND_bytes. 0 or SK_ERR_*. */
	int (*random)(void *ctx, uint8_t *buf, size_t n);
};

struct desfire;
struct sk_card;

/* Transport over a common/card.h card (PC/SC in production, a mock in tests). The card must
 * outlive the desfire session. */
void desfire_io_from_card(struct sk_card *card, struct desfire_io *io);

/* The io table is copied. SK_ERR_NOMEM / SK_ERR_ARG. */
int desfire_new(const struct desfire_io *io, struct desfire **out);
/* Wipes session keys, frees, clears the pointer; NULL is fine. */
void desfire_free(struct desfire **df);

unsigned desfire_apdu_count(const struct desfire *df);   /* APDUs sent since desfire_new/reset */
void desfire_reset_apdu_count(struct desfire *df);
uint8_t desfire_last_status(const struct desfire *df);  /* xx of the last 91 xx */
int desfire_is_authenticated(const struct desfire *df);  /* 0 none, 1 legacy ISO, 2 EV2 */
/* Forget the authentication state (e.g. after a reset of the card). */
void desfire_clear_session(struct desfire *df);

/* DESFire status bytes (SW2 after 91). */
#define DESFIRE_ST_OK          0x00
#define DESFIRE_ST_NO_CHANGES  0x0C
#define DESFIRE_ST_OUT_OF_EEPROM 0x0E
#define DESFIRE_ST_ILLEGAL_CMD 0x1C
#define DESFIRE_ST_INTEGRITY   0x1E
#define DESFIRE_ST_NO_SUCH_KEY 0x40
#define DESFIRE_ST_LENGTH      0x7E
#define DESFIRE_ST_PERMISSION  0x9D
#define DESFIRE_ST_PARAMETER   0x9E
#define DESFIRE_ST_APP_NOT_FOUND 0xA0
#define DESFIRE_ST_AUTH_ERROR  0xAE
#define DESFIRE_ST_MORE        0xAF
#define DESFIRE_ST_BOUNDARY    0xBE
#define DESFIRE_ST_ABORTED     0xCA
#define DESFIRE_ST_DUPLICATE   0xDE
#define DESFIRE_ST_FILE_NOT_FOUND 0xF0
#define DESFIRE_ST_SIGNATURE   0x90   /* Read_Sig answers 91 90 */

/* SK_ERR_* for a status byte: AE -> SK_ERR_DENIED, 9D -> SK_ERR_DENIED, A0/F0/40 ->
 * SK_ERR_NOT_FOUND, DE -> SK_ERR_EXISTS, 1E -> SK_ERR_CRYPTO, others -> SK_ERR_SW. */
int desfire_status_err(uint8_t status);

/* ---- crypto helpers (exported for tests and for vault) -------------------------------------- */

/* DESFire CRC32: IEEE 802.3 polynomial, init 0xFFFFFFFF, no final inversion (little-endian on
 * the wire). */
uint32_t desfire_crc32(const uint8_t *p, size_t n);

/* ---- commands ------------------------------------------------------------------------------- */

struct desfire_version {
	uint8_t hw_vendor, hw_type, hw_subtype, hw_major, hw_minor, hw_storage, hw_protocol;
	uint8_t sw_vendor, sw_type, sw_subtype, sw_major, sw_minor, sw_storage, sw_protocol;
	uint8_t uid[7];
	uint8_t batch[5];
	uint8_t week, year;
};
#define DESFIRE_HW_MAJOR_EV3 0x33

/* GetVersion (60, three frames). Unauthenticated or under EV2 (MAC). */
int desfire_get_version(struct desfire *df, struct desfire_version *v);
/* SelectApplication (5A); 000000 is the PICC level. Drops authentication. */
int desfire_select_app(struct desfire *df, const uint8_t aid[3]);
extern const uint8_t desfire_picc_aid[3];

/* AuthenticateISO (1A) with a 2TDEA key (16 bytes; a DES key as two equal halves). The
 * resulting legacy session only supports desfire_change_key() of the same key (the factory
 * PICC master key conversion). */
int desfire_auth_iso(struct desfire *df, uint8_t keyno, const uint8_t key[16]);
/* AuthenticateEV2First (71, two frames) with an AES-128 key: EV2 secure messaging follows. */
int desfire_auth_ev2first(struct desfire *df, uint8_t keyno, const uint8_t key[16]);

/* GetKeyVersion (64). Works unauthenticated; under EV2 in MAC mode. */
int desfire_get_key_version(struct desfire *df, uint8_t keyno, uint8_t *ver);
/* GetCardUID (51): needs authentication; the answer is encrypted (FULL). */
int desfire_get_card_uid(struct desfire *df, uint8_t uid[7]);

/* ChangeKey (C4). keyno may carry the key type bits for the PICC master key (0x80 = AES).
 * old_key NULL: the key being changed is the one authenticated with (the session ends).
 * Otherwise old_key is its current value (XOR + CRC32 of the new key). new_key: 16 bytes AES. */
int desfire_change_key(struct desfire *df, uint8_t keyno, const uint8_t new_key[16],
    uint8_t new_version, const uint8_t *old_key);
/* FormatPICC (FC): deletes every application; needs the PICC master key (MAC under EV2). */
int desfire_format_picc(struct desfire *df);
/* ChangeKeySettings (54), FULL. */
int desfire_change_key_settings(struct desfire *df, uint8_t settings);

/* CreateApplication (CA) with nkeys AES keys (0x80 is added). Plain when unauthenticated,
 * MAC under EV2. */
int desfire_create_app(struct desfire *df, const uint8_t aid[3], uint8_t key_settings,
    uint8_t nkeys);

#define DESFIRE_COMM_PLAIN 0x00
#define DESFIRE_COMM_MAC   0x01
#define DESFIRE_COMM_FULL  0x03
/* Access rights value: read<<12 | write<<8 | readwrite<<4 | change (0xE free, 0xF never). */
#define DESFIRE_ACCESS(r, w, rw, ch) ((uint16_t)((r) << 12 | (w) << 8 | (rw) << 4 | (ch)))
/* CreateStdDataFile (CD). */
int desfire_create_std_file(struct desfire *df, uint8_t fileno, uint8_t comm, uint16_t access,
    uint32_t size);
/* ReadData (AD) / WriteData (3D) in the file's comm mode; long transfers are split into
 * several commands (DESFIRE_CHUNK bytes of data each). */
#define DESFIRE_CHUNK 32
int desfire_read_data(struct desfire *df, uint8_t fileno, uint8_t comm, uint32_t offset,
    uint8_t *buf, size_t len);
int desfire_write_data(struct desfire *df, uint8_t fileno, uint8_t comm, uint32_t offset,
    const uint8_t *buf, size_t len);

/* ---- originality ---------------------------------------------------------------------------- */

/* Read_Sig (3C 00), unauthenticated: 56 bytes r||s, answered with 91 90. */
int desfire_read_sig(struct desfire *df, uint8_t sig[56]);
/* NXP's published DESFire EV3 originality key (secp224r1, uncompressed, 57 bytes). */
extern const uint8_t desfire_nxp_ev3_pubkey[57];
/* skinkey-sim's fixed test key: accepted only when the caller passes DESFIRE_ORIG_ALLOW_SIM. */
extern const uint8_t desfire_sim_test_pubkey[57];
#define DESFIRE_ORIG_ALLOW_SIM 0x1u
/* ECDSA (no hash) over the raw 7-byte UID. 0 = genuine, SK_ERR_CRYPTO = no key accepts it.
 * *which (may be NULL) = "nxp-ev3" or "sim-test". */
int desfire_verify_originality(const uint8_t uid[7], const uint8_t sig[56], unsigned flags,
    const char **which);
/* Same against an explicit public key (57 bytes uncompressed). */
int desfire_verify_sig_with(const uint8_t *pub, size_t pub_len, const uint8_t uid[7],
    const uint8_t sig[56]);

/* ---- provisioning (provision.c) ------------------------------------------------------------- */

/* What a provisioning run must remember, written through the caller's journal BEFORE any key
 * is installed. The caller encrypts it at rest. */
struct desfire_prov_record {
	uint8_t state;            /* DESFIRE_PROV_* hint (the chip is always re-probed) */
	uint8_t runs;             /* provisioning attempts so far */
	uint8_t aid[3];
	uint8_t picc_key[16];     /* new AES PICC master key */
	uint8_t chip_key[16];     /* K_chip: application master key */
	uint8_t vault_key[32];    /* K_vault: the file content */
};
#define DESFIRE_PROV_KEYS      1   /* keys chosen and journaled, nothing known installed */
#define DESFIRE_PROV_PICC_DONE 2   /* PICC master key is the AES picc_key */
#define DESFIRE_PROV_APP_DONE  3   /* application created */
#define DESFIRE_PROV_DONE      4   /* K_chip installed, vault file written and verified */

struct desfire_journal {
	void *ctx;
	/* 0 and *rec filled, SK_ERR_NOT_FOUND when no record exists, or another SK_ERR_*. */
	int (*load)(void *ctx, struct desfire_prov_record *rec);
	/* Must be durable (fsync / sqlite synchronous=FULL) before returning 0. */
	int (*store)(void *ctx, const struct desfire_prov_record *rec);
};

/* File journal for tests and the CLI: one record, atomic rewrite, mode 0600, NOT encrypted. */
struct desfire_file_journal;
int desfire_file_journal_new(const char *path, struct desfire_file_journal **out,
    struct desfire_journal *j);
void desfire_file_journal_free(struct desfire_file_journal **fj);

struct desfire_prov_params {
	uint8_t aid[3];
	const uint8_t *vault_key;   /* 32 bytes to install (backup chip), or NULL = random */
};
/* The vault application's layout. */
#define DESFIRE_VAULT_FILE     0x01
#define DESFIRE_VAULT_KEY_LEN  32
#define DESFIRE_VAULT_APP_SETTINGS 0x0B  /* master key changeable, free dir list, config */
#define DESFIRE_PROV_KEY_VERSION 0x01

/* Brings a chip from factory state (or from any state a cut-off earlier run left) to a
 * provisioned vault chip. Re-running it after an interruption completes the job. The vault
 * key is copied to vault_out (32 bytes, caller's secure memory) when not NULL. */
int desfire_provision(struct desfire *df, const struct desfire_journal *j,
    const struct desfire_prov_params *p, uint8_t *vault_out);

/* Every-use path: SELECT application, AuthenticateEV2First (2 frames), ReadData FULL:
 * four APDUs. vault_out: 32 bytes of caller-provided (secure) memory. */
int desfire_vault_read(struct desfire *df, const uint8_t aid[3], const uint8_t chip_key[16],
    uint8_t *vault_out);

#endif
