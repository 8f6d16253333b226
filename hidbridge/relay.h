/* relay.h — skinkey-hidbridge's side of skinkeyd: a worker thread that owns an Assuan connection
 * and runs one `CTAP` command at a time (doc/PROTOCOL.md), so the caller's loop keeps serving
 * HID reports and keepalives while the chip is waited for. A cancel hangs up the connection (the
 * way skinkeyd's CTAP is cancelled); the next request connects again. */
#ifndef SK_HID_RELAY_H
#define SK_HID_RELAY_H

#include <stddef.h>
#include <stdint.h>

struct relay;

enum relay_ev_kind {
	RELAY_EV_STATUS = 1,   /* status: CTAPHID_STATUS_UPNEEDED (tap wanted) or _PROCESSING */
	RELAY_EV_DONE,         /* data/len: the answer */
	RELAY_EV_FAIL,         /* err: SK_ERR_* */
	RELAY_EV_CHIPS         /* fido: 1 when skinkeyd knows a FIDO-capable chip (err on failure) */
};

struct relay_ev {
	enum relay_ev_kind kind;
	uint32_t tag;
	uint8_t status;
	int err;
	int fido;
	uint8_t *data;   /* owned by the event; release with relay_ev_clear() */
	size_t len;
};

/* Starts the worker. 0 or SK_ERR_*. */
int relay_new(struct relay **out);
/* Stops the worker (a running command is hung up) and frees. */
void relay_free(struct relay **r);
/* Readable when events are queued (the caller polls it). */
int relay_fd(const struct relay *r);
/* Queues a request: cmd is CTAPHID_CBOR or CTAPHID_MSG. SK_ERR_BUSY when one is queued or
 * running. The data is copied. */
int relay_submit(struct relay *r, uint32_t tag, uint8_t cmd, const uint8_t *data, size_t len);
/* Asks whether skinkeyd knows a FIDO-capable chip (answer: RELAY_EV_CHIPS). SK_ERR_BUSY when
 * the worker is busy. */
int relay_query_chips(struct relay *r);
/* Aborts request tag if it is queued or running (its answer is still reported: FAIL). */
void relay_cancel(struct relay *r, uint32_t tag);
/* 1 and *ev when an event is queued, else 0. */
int relay_next(struct relay *r, struct relay_ev *ev);
void relay_ev_clear(struct relay_ev *ev);

#endif
