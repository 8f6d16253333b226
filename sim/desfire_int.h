/* desfire_int.h — the simulated DESFire EV3's internals (card side: an independent
 * implementation from the NXP documents, sharing nothing with the host's desfire/). */
#ifndef SIM_DESFIRE_INT_H
#define SIM_DESFIRE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "sim_applet.h"

#define SDF_MAX_APPS   8
#define SDF_MAX_FILES  8
#define SDF_MAX_KEYS   14
#define SDF_EEPROM     8192   /* bytes of file data the chip holds (8 KB part) */
#define SDF_FRAME      59     /* data bytes per answer frame before 91 AF */

#define SDF_KEY_DES  0x00     /* 2TDEA (a DES key as two equal halves) */
#define SDF_KEY_AES  0x80

/* status bytes after 91 */
#define SDF_OK           0x00
#define SDF_OUT_OF_EEPROM 0x0E
#define SDF_ILLEGAL_CMD  0x1C
#define SDF_INTEGRITY    0x1E
#define SDF_NO_SUCH_KEY  0x40
#define SDF_LENGTH       0x7E
#define SDF_SIGNATURE    0x90
#define SDF_PERMISSION   0x9D
#define SDF_PARAMETER    0x9E
#define SDF_APP_NOT_FOUND 0xA0
#define SDF_AUTH_ERROR   0xAE
#define SDF_MORE         0xAF
#define SDF_BOUNDARY     0xBE
#define SDF_ABORTED      0xCA
#define SDF_DUPLICATE    0xDE
#define SDF_FILE_NOT_FOUND 0xF0

struct sdf_file {
	uint8_t used, no, comm;
	uint16_t access;          /* read<<12 | write<<8 | rw<<4 | change */
	uint32_t size;
	uint8_t *data;
};

struct sdf_app {
	uint8_t used;
	uint8_t aid[3];
	uint8_t settings;
	uint8_t nkeys;
	uint8_t keys[SDF_MAX_KEYS][16];
	uint8_t kver[SDF_MAX_KEYS];
	struct sdf_file files[SDF_MAX_FILES];
};

enum sdf_auth { SDF_AUTH_NONE = 0, SDF_AUTH_ISO = 1, SDF_AUTH_EV2 = 2 };

struct sdf_card {
	/* persistent */
	uint8_t uid[7];
	uint8_t picc_type;
	uint8_t picc_key[16];
	uint8_t picc_ver;
	uint8_t picc_settings;
	struct sdf_app apps[SDF_MAX_APPS];
	/* volatile: selection, session, a pending authentication step, pending answer frames */
	int sel;                  /* -1 = PICC level, else index into apps */
	enum sdf_auth auth;
	uint8_t keyno;
	uint8_t kenc[16], kmac[16], ti[4];
	uint16_t ctr;
	uint8_t iv8[8];
	int astep;                /* 0 none, 0x71 / 0x1A: waiting for the second frame */
	uint8_t akeyno, akey[16], rndb[16];
	uint8_t *pend;
	size_t pend_len, pend_off;
	uint8_t pend_st;
	int pend_small;           /* GetVersion style 7 / 7 / rest frames */
	/* one command's context (set by the dispatcher) */
	struct sim_env *env;
};

/* desfire_crypto.c */
int sdf_aes_cbc(int enc, const uint8_t key[16], const uint8_t iv[16], const uint8_t *in,
    size_t n, uint8_t *out);
int sdf_tdes_cbc(int enc, const uint8_t key[16], uint8_t iv[8], const uint8_t *in, size_t n,
    uint8_t *out);
int sdf_cmac(const uint8_t key[16], const uint8_t *in, size_t n, uint8_t out[16]);
uint32_t sdf_crc32(const uint8_t *p, size_t n);
void sdf_rotl(const uint8_t *in, uint8_t *out, size_t n);
int sdf_session_keys(const uint8_t key[16], const uint8_t rnda[16], const uint8_t rndb[16],
    uint8_t kenc[16], uint8_t kmac[16]);
int sdf_iv(const struct sdf_card *c, int resp, uint16_t ctr, uint8_t iv[16]);
int sdf_mac(const struct sdf_card *c, uint8_t code, uint16_t ctr, const uint8_t *p, size_t n,
    uint8_t mact[8]);
int sdf_sign_uid(const uint8_t uid[7], uint8_t sig[56]);
void sdf_wipe(void *p, size_t n);

/* desfire_auth.c */
uint8_t sdf_auth_ev2_first(struct sdf_card *c, const uint8_t *d, size_t n, struct sim_rbuf *r);
uint8_t sdf_auth_iso_first(struct sdf_card *c, const uint8_t *d, size_t n, struct sim_rbuf *r);
uint8_t sdf_auth_second(struct sdf_card *c, const uint8_t *d, size_t n, struct sim_rbuf *r);
void sdf_drop_session(struct sdf_card *c);
/* Key lookup at the current level: key bytes, type, version pointer; SDF_NO_SUCH_KEY. */
uint8_t sdf_key_at(struct sdf_card *c, uint8_t keyno, uint8_t **key, uint8_t *type,
    uint8_t **ver);

/* desfire_cmds.c: one command with the secure messaging already removed; answers plain
 * data into r and returns the status byte. */
struct sdf_cmd {
	uint8_t ins;
	const uint8_t *hdr;       /* header (clear) */
	size_t hlen;
	const uint8_t *data;      /* data (decrypted for FULL) */
	size_t dlen;
};
uint8_t sdf_run(struct sdf_card *c, const struct sdf_cmd *cmd, struct sim_rbuf *r,
    int *rmode);
/* How a command is protected under EV2: header length, command mode, response mode
 * (0 plain, 1 MAC, 3 FULL, -1 none). 0, or the error status for the command. */
uint8_t sdf_modes(struct sdf_card *c, uint8_t ins, const uint8_t *p, size_t n, size_t *hlen,
    int *cmode, int *rmode);
size_t sdf_eeprom_used(const struct sdf_card *c);

/* desfire_store.c */
int sdf_save(const struct sdf_card *c, struct sim_rbuf *out);
int sdf_load(struct sdf_card *c, const uint8_t *p, size_t n);
void sdf_free_files(struct sdf_card *c);

#endif
