/* ctap_iso.h — CTAP over ISO 7816-4 (the NFC binding of CTAP 2.1 §11.3), host side, for skinkeyd:
 * SELECT of the FIDO applet by its partial AID, CTAP2 messages in NFCCTAP_MSG (80 10 00 00) with
 * extended length (command chaining when the chip refuses it), 61xx GET RESPONSE (common/card.c),
 * the 9100 keep-alive answered with NFCCTAP_GETRESPONSE (80 11 00 00), and U2F (CTAP1) APDUs.
 * Knows nothing of Assuan or libfido2; clients reach it through skinkeyd's CTAP command
 * (fido/fido.h is the client side). */
#ifndef SK_CTAP_ISO_H
#define SK_CTAP_ISO_H

#include <stddef.h>
#include <stdint.h>

struct sk_card;
struct sk_buf;

#define CTAP_ISO_AID_LEN 8
extern const uint8_t ctap_iso_aid[CTAP_ISO_AID_LEN];    /* A0 00 00 06 47 2F 00 01 */

#define CTAP_ISO_MSG_MAX 7609u      /* largest CTAP2 message accepted from a client */
#define CTAP_ISO_RSP_MAX 65536u     /* largest answer gathered from the chip */

/* CTAP2 command bytes the relay looks at */
#define CTAPISO_CMD_MAKE_CREDENTIAL 0x01
#define CTAPISO_CMD_GET_ASSERTION   0x02
#define CTAPISO_CMD_GET_INFO        0x04
#define CTAPISO_CMD_CLIENT_PIN      0x06
#define CTAPISO_CMD_RESET           0x07
#define CTAPISO_CMD_CRED_MGMT       0x0A
#define CTAPISO_CMD_CONFIG          0x0D
#define CTAPISO_CMD_CRED_MGMT_PRE   0x41

/* Called while the chip answers 9100 (status 1 = processing, 2 = user presence needed) before
 * each NFCCTAP_GETRESPONSE; a non-zero return abandons the message (SK_ERR_CANCELED). */
struct ctap_iso_wait {
	int (*keepalive)(void *arg, uint8_t status);
	void *arg;
	unsigned max_polls;          /* 0 = 10000 */
};

/* SELECT the FIDO applet. ver (may be NULL) receives the answer ("FIDO_2_0", "U2F_V2"),
 * NUL-terminated and cut to vlen - 1. SK_ERR_NOT_FOUND without a FIDO applet. */
int ctap_iso_select(struct sk_card *c, char *ver, size_t vlen);

/* Whether the FIDO applet is still selected on this handle since our last SELECT (no other
 * SELECT through this handle, no reset, no removal seen). */
int ctap_iso_selected(const struct sk_card *c);

/* One CTAP2 message (command byte + CBOR) -> rsp = the CTAP2 answer (status byte + CBOR).
 * The applet must be selected. Returns 0 with *sw = 9000, or 0 with another *sw when the chip
 * refused the APDU (the message was not processed), or SK_ERR_* (transport, cancel). */
int ctap_iso_cbor(struct sk_card *c, const uint8_t *msg, size_t len, const struct ctap_iso_wait *w,
    struct sk_buf *rsp, uint16_t *sw);

/* One U2F (CTAP1) request APDU (short or extended encoding, as libfido2 builds it) -> rsp =
 * answer data followed by SW1 SW2. SK_ERR_FORMAT for bytes that are not an APDU. */
int ctap_iso_u2f(struct sk_card *c, const uint8_t *apdu, size_t len, struct sk_buf *rsp);

/* Parse a command APDU (for ctap_iso_u2f and its fuzzer): header, Lc/data, Le. */
struct ctap_iso_apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;
	size_t lc, le;
};
int ctap_iso_parse_apdu(const uint8_t *p, size_t n, struct ctap_iso_apdu *a);

/* ctap_msg.c: what the relay reads in a client's CTAP2 message (command byte + CBOR).
 * pin_subcommand: the clientPIN subCommand, -1 when not clientPIN or not in the usual form.
 * carries_pin: setPIN, changePIN, getPinToken, getPinUvAuthTokenUsingPinWithPermissions (and any
 * clientPIN message whose subCommand cannot be read). changes_info: reset, credential
 * management, config, setPIN/changePIN, a resident makeCredential. rp_id: the relying party id of
 * a getAssertion or makeCredential as libfido2 and browsers encode them, printable, cut to n - 1;
 * "" when not found. */
int ctap_msg_pin_subcommand(const uint8_t *m, size_t n);
int ctap_msg_carries_pin(const uint8_t *m, size_t n);
int ctap_msg_changes_info(const uint8_t *m, size_t n);
void ctap_msg_rp_id(const uint8_t *m, size_t len, char *out, size_t n);

#endif
