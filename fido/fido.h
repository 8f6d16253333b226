/* fido.h — libskfido: the client side of skinkeyd's CTAP command (doc/PROTOCOL.md, "FIDO2").
 *
 * Two layers:
 *  - skfido_conn_*: one connection to skinkeyd relaying raw CTAP2 messages (command byte + CBOR,
 *    answer = status byte + CBOR) or U2F APDUs to the chip's FIDO applet. This is what a relay
 *    such as skinkey-hidbridge uses: it forwards CTAPHID CBOR/MSG payloads unchanged, learns of
 *    the tap wait and of 9100 keep-alives through the status callback (send CTAPHID KEEPALIVE),
 *    and aborts a pending message with skfido_conn_cancel() (CTAPHID CANCEL).
 *  - skfido_dev_*: a stock libfido2 fido_dev_t driven over such a connection through libfido2's
 *    custom transport (fido_dev_set_transport_functions, libfido2 >= 1.12), so that every CTAP
 *    logic (PIN protocols, COSE, credential management, hmac-secret, attestation) is libfido2's.
 *
 * The applet selection, the tap wait, extended length/chaining, 61xx and 9100 are skinkeyd's. */
#ifndef SK_FIDO_H
#define SK_FIDO_H

#include <stddef.h>
#include <stdint.h>

#include <fido.h>

/* Path for fido_dev_open(): "skinkey:" (the chip in the field / the only known chip) or
 * "skinkey:<chipid>" (fs-...). */
#define SKFIDO_PATH_PREFIX "skinkey:"

/* Largest CTAP2 message skinkeyd accepts (CTAPHID's maximum) and largest answer. */
#define SKFIDO_MSG_MAX 7609u
#define SKFIDO_RSP_MAX 65538u

struct skfido_conn;

/* Status lines skinkeyd sends while a message is pending: kw "PROGRESS" with rest
 * "tap ? 0 <seconds>" while it waits for the chip to be tapped, "ctap <n>" while the chip
 * answers 9100 keep-alives (1 processing, 2 user presence needed); "CTAP_SELECTED" "1" when it
 * selected the applet for this message. Called on the thread of skfido_conn_xfer. */
typedef void skfido_status_fn(void *arg, const char *kw, const char *rest);

/* Connect to skinkeyd (autostarting it). chipid NULL or "" = any chip. 0 or SK_ERR_*. */
int skfido_conn_open(struct skfido_conn **out, const char *chipid);
void skfido_conn_free(struct skfido_conn **c);
void skfido_conn_set_status(struct skfido_conn *c, skfido_status_fn *fn, void *arg);

/* The FIDO applet's SELECT answer ("FIDO_2_0", "U2F_V2"), NUL-terminated (from skinkeyd's cache
 * when known: no tap). 0 or SK_ERR_*. */
int skfido_conn_version(struct skfido_conn *c, char *ver, size_t n);

enum skfido_kind { SKFIDO_CBOR = 0, SKFIDO_U2F = 1 };

/* One message -> its answer in rsp (capacity max, at most SKFIDO_RSP_MAX), *rlen set.
 * CBOR: msg = command byte + CBOR, answer = CTAP status byte + CBOR. U2F: msg = a command APDU,
 * answer = data + SW1 SW2. Blocks while skinkeyd waits for the tap (up to its tap-timeout).
 * 0 or SK_ERR_*: SK_ERR_TIMEOUT (no tap), SK_ERR_CANCELED (skfido_conn_cancel), SK_ERR_CARD_RESET
 * (the applet was deselected between the PIN key agreement and a PIN message: start the PIN
 * exchange over; no retry was spent), SK_ERR_CARD_REMOVED, SK_ERR_SW (the applet refused the APDU),
 * SK_ERR_TOOBIG (the answer is longer than max: the connection is unusable afterwards, later calls
 * fail with SK_ERR_PROTO). */
int skfido_conn_xfer(struct skfido_conn *c, enum skfido_kind kind, const uint8_t *msg, size_t len,
    uint8_t *rsp, size_t max, size_t *rlen);

/* Abort the pending skfido_conn_xfer (from any thread or a signal handler): skinkeyd stops waiting
 * for the tap / polling 9100 and the call returns SK_ERR_CANCELED. The connection is unusable
 * afterwards (free it, open another). */
void skfido_conn_cancel(struct skfido_conn *c);

/* A new fido_dev_t whose I/O goes through skinkeyd; open it with fido_dev_open(dev, path) where
 * path is SKFIDO_PATH_PREFIX [chipid]. NULL on allocation failure. Free with fido_dev_free. */
fido_dev_t *skfido_dev_new(void);
/* Install skinkeyd's transport on a dev made by fido_dev_new() (before fido_dev_open). FIDO_OK or
 * a FIDO_ERR_*. */
int skfido_dev_setup(fido_dev_t *dev);
/* Cancel the operation pending on an open skfido dev (any thread); later calls fail. */
void skfido_dev_cancel(fido_dev_t *dev);

/* Why the last exchange on dev (or the last failed fido_dev_open of this thread) failed at the
 * transport: SK_ERR_TIMEOUT (no tap within skinkeyd's tap-timeout), SK_ERR_CANCELED,
 * SK_ERR_CARD_REMOVED, SK_ERR_IO (no skinkeyd), ...; 0 when the transport did not fail. */
int skfido_dev_last_error(const fido_dev_t *dev);

/* skinkeyd's tap-timeout is the wait; status callback for an open dev (tap prompts). */
void skfido_dev_set_status(fido_dev_t *dev, skfido_status_fn *fn, void *arg);

#endif
