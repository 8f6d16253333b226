/* ctaphid.h — the CTAPHID protocol engine of skinkey-hidbridge (CTAP 2.1 §11.2, USB HID).
 * Pure: no I/O, no clock, no threads. The caller feeds it the host's 64-byte output reports and
 * the time, takes the reports it wants sent to the host, hands the complete CBOR/MSG requests to
 * the backend (skinkeyd's CTAP command) and reports back the backend's answers.
 *
 * One transaction at a time (as a USB key): while a message is being assembled or a request is
 * with the backend, every other channel is answered ERR_CHANNEL_BUSY. While a request waits, a
 * KEEPALIVE (status PROCESSING or UPNEEDED) goes out every keepalive_ms. CANCEL on the busy
 * channel answers at once (CBOR: CTAP2_ERR_KEEPALIVE_CANCEL; MSG: SW 6985) and asks the backend
 * to abort; whatever the backend still answers for it is dropped, and a request that arrives
 * meanwhile waits (with keepalives) until the backend is free. Spurious continuation packets
 * (no initialisation packet before them on that channel) are ignored, as the spec says. */
#ifndef SK_CTAPHID_H
#define SK_CTAPHID_H

#include <stddef.h>
#include <stdint.h>

#define CTAPHID_REPORT 64
#define CTAPHID_INIT_DATA 57                                    /* payload of an init packet */
#define CTAPHID_CONT_DATA 59                                    /* payload of a continuation */
#define CTAPHID_MAX_PAYLOAD (CTAPHID_INIT_DATA + 128 * CTAPHID_CONT_DATA)  /* 7609 */
#define CTAPHID_BROADCAST 0xffffffffu

/* Commands (without the init-packet bit 0x80). */
#define CTAPHID_PING 0x01
#define CTAPHID_MSG 0x03
#define CTAPHID_LOCK 0x04
#define CTAPHID_INIT 0x06
#define CTAPHID_WINK 0x08
#define CTAPHID_CBOR 0x10
#define CTAPHID_CANCEL 0x11
#define CTAPHID_KEEPALIVE 0x3b
#define CTAPHID_ERROR 0x3f

/* CTAPHID_ERROR codes. */
#define CTAPHID_ERR_INVALID_CMD 0x01
#define CTAPHID_ERR_INVALID_PAR 0x02
#define CTAPHID_ERR_INVALID_LEN 0x03
#define CTAPHID_ERR_INVALID_SEQ 0x04
#define CTAPHID_ERR_MSG_TIMEOUT 0x05
#define CTAPHID_ERR_CHANNEL_BUSY 0x06
#define CTAPHID_ERR_LOCK_REQUIRED 0x0a
#define CTAPHID_ERR_INVALID_CHANNEL 0x0b
#define CTAPHID_ERR_OTHER 0x7f

/* KEEPALIVE status. */
#define CTAPHID_STATUS_PROCESSING 1
#define CTAPHID_STATUS_UPNEEDED 2

/* INIT capability flags. */
#define CTAPHID_CAP_WINK 0x01
#define CTAPHID_CAP_CBOR 0x04
#define CTAPHID_CAP_NMSG 0x08

#define CTAP2_ERR_KEEPALIVE_CANCEL 0x2d

struct ctaphid;

struct ctaphid_cfg {
	uint32_t keepalive_ms;       /* 1..100; 0 = 80 */
	uint32_t frame_timeout_ms;   /* longest gap between packets of one message; 0 = 500 */
	uint8_t version[3];          /* device version major, minor, build (INIT answer) */
	uint8_t caps;                /* CTAPHID_CAP_* */
	/* Source of new channel ids (never 0 or ffffffff; retried when taken). NULL: a counter. */
	uint32_t (*random_u32)(void *arg);
	void *random_arg;
};

/* A request for the backend: cmd is CTAPHID_CBOR (data = CTAP2 command byte + CBOR) or
 * CTAPHID_MSG (data = a CTAP1/U2F APDU). data belongs to the engine and stays valid until the
 * backend's answer for this tag is reported (or the engine is freed). */
struct ctaphid_req {
	uint32_t tag;
	uint32_t cid;
	uint8_t cmd;
	const uint8_t *data;
	size_t len;
};

/* 0, SK_ERR_ARG (bad cfg) or SK_ERR_NOMEM. */
int ctaphid_new(struct ctaphid **out, const struct ctaphid_cfg *cfg);
void ctaphid_free(struct ctaphid **e);

/* One report from the host at time now (ms, any monotonic origin). A report shorter than 64
 * bytes is taken as zero-padded; bytes past 64 are ignored; an empty one is ignored. */
void ctaphid_input(struct ctaphid *e, const uint8_t *rep, size_t len, uint64_t now);
/* Lets time pass: message timeouts and keepalives. Call at ctaphid_deadline() at the latest. */
void ctaphid_tick(struct ctaphid *e, uint64_t now);
/* The time at which ctaphid_tick() must next run (UINT64_MAX: nothing pending). */
uint64_t ctaphid_deadline(const struct ctaphid *e);

/* Next report for the host: 1 (copied to rep) or 0 (none queued). */
int ctaphid_output(struct ctaphid *e, uint8_t rep[CTAPHID_REPORT]);
/* Reports dropped because the host did not read them (the queue is bounded). */
uint64_t ctaphid_dropped(const struct ctaphid *e);

/* Backend side. ctaphid_take_request: 1 when a request is handed over (the backend is then
 * busy until ctaphid_backend_done for its tag), 0 when there is none or the backend is busy. */
int ctaphid_take_request(struct ctaphid *e, struct ctaphid_req *req);
/* 1 (and *tag) once when the host cancelled the request the backend holds. */
int ctaphid_take_cancel(struct ctaphid *e, uint32_t *tag);
/* The backend waits for the user (the tap): status CTAPHID_STATUS_UPNEEDED or _PROCESSING. */
void ctaphid_backend_status(struct ctaphid *e, uint32_t tag, uint8_t status);
/* The backend's answer (CBOR: CTAP status byte + CBOR; MSG: response APDU with SW), at most
 * CTAPHID_MAX_PAYLOAD bytes (longer: ERR_OTHER). Dropped when the request was cancelled. */
void ctaphid_backend_done(struct ctaphid *e, uint32_t tag, const uint8_t *rsp, size_t len);
/* The backend failed without an answer: the host gets CTAPHID_ERROR err (CTAPHID_ERR_*). */
void ctaphid_backend_fail(struct ctaphid *e, uint32_t tag, uint8_t err);

/* Counters for logs and tests. */
struct ctaphid_stats {
	uint64_t reports_in, reports_out, errors_sent, keepalives, requests, cancels, ignored;
};
void ctaphid_get_stats(const struct ctaphid *e, struct ctaphid_stats *st);

#endif
