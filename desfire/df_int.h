/* df_int.h — internals shared by the desfire/ sources (not part of the library's face). */
#ifndef DF_INT_H
#define DF_INT_H

#include <stddef.h>
#include <stdint.h>

#include "desfire.h"

#define DF_MAX_RESP 1024   /* cap of one collected (multi-frame) answer */
#define DF_MAX_FRAMES 32

enum df_auth { DF_AUTH_NONE = 0, DF_AUTH_ISO = 1, DF_AUTH_EV2 = 2 };

struct desfire {
	struct desfire_io io;
	enum df_auth auth;
	uint8_t keyno;            /* key number authenticated with (low 4 bits) */
	uint8_t kenc[16];         /* EV2 SesAuthENCKey; legacy: 2TDEA session key */
	uint8_t kmac[16];         /* EV2 SesAuthMACKey */
	uint8_t ti[4];
	uint16_t ctr;             /* EV2 CmdCtr */
	uint8_t iv[8];            /* legacy session IV */
	unsigned apdus;
	uint8_t status;
};

/* df_crypto.c */
int df_aes_ecb_enc(const uint8_t key[16], const uint8_t in[16], uint8_t out[16]);
int df_aes_cbc(int enc, const uint8_t key[16], const uint8_t iv[16], const uint8_t *in,
    size_t n, uint8_t *out);
/* 2TDEA CBC; iv (8 bytes) is updated to the last ciphertext block. */
int df_tdes_cbc(int enc, const uint8_t key[16], uint8_t iv[8], const uint8_t *in, size_t n,
    uint8_t *out);
int df_cmac(const uint8_t key[16], const uint8_t *in, size_t n, uint8_t out[16]);
void df_mac_trunc(const uint8_t cmac[16], uint8_t mact[8]);
/* ISO/IEC 9797-1 method 2 padding (80 00..), always added, to a multiple of 16. Returns the
 * padded length or 0 when cap is too small. */
size_t df_pad(uint8_t *buf, size_t len, size_t cap);
/* Finds the 80 00.. padding: 0 and *len, or SK_ERR_CRYPTO. */
int df_unpad(const uint8_t *buf, size_t n, size_t *len);
void df_rotl(const uint8_t *in, uint8_t *out, size_t n);
void df_ev2_sv(uint8_t l0, uint8_t l1, const uint8_t rnda[16], const uint8_t rndb[16],
    uint8_t sv[32]);
int df_ev2_session_keys(const uint8_t key[16], const uint8_t rnda[16], const uint8_t rndb[16],
    uint8_t kenc[16], uint8_t kmac[16]);
/* IV for command (resp=0, label A5 5A) or response (resp=1, label 5A A5) encryption. */
int df_ev2_iv(const uint8_t kenc[16], int resp, const uint8_t ti[4], uint16_t ctr,
    uint8_t iv[16]);
void df_iso_session_key(const uint8_t key[16], const uint8_t rnda[8], const uint8_t rndb[8],
    uint8_t out[16]);
int df_random(struct desfire *df, uint8_t *buf, size_t n);
void df_wipe(void *p, size_t n);

/* df_transport.c */
/* One frame: 90 cmd 00 00 [Lc data] 00. *rlen in: capacity, out: data length (SW stripped).
 * *st gets the 91 xx status byte. SK_ERR_BAD_RESPONSE when the SW is not 91 xx. */
int df_frame(struct desfire *df, uint8_t cmd, const uint8_t *data, size_t len, uint8_t *resp,
    size_t *rlen, uint8_t *st);
/* Sends cmd, then 90 AF while the card answers 91 AF; the frames' data concatenated into resp.
 * *st is the final status (never AF). */
int df_exchange(struct desfire *df, uint8_t cmd, const uint8_t *data, size_t len,
    uint8_t *resp, size_t *rlen, uint8_t *st);

/* df_sm.c — a command under the current session. hdr is sent in clear (and MACed), data is
 * encrypted when cmode is FULL. rmode says how the answer is protected. out gets the plain
 * answer data. Under no authentication the command goes plain. */
int df_sm_cmd(struct desfire *df, uint8_t cmd, const uint8_t *hdr, size_t hlen,
    const uint8_t *data, size_t dlen, int cmode, int rmode, uint8_t *out, size_t cap,
    size_t *outlen);
/* Computes MACt over (code || ctr || ti || payload) with the session MAC key. */
int df_sm_mac(const struct desfire *df, uint8_t code, uint16_t ctr, const uint8_t *p, size_t n,
    uint8_t mact[8]);

#endif
