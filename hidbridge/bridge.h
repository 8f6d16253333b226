/* bridge.h — skinkey-hidbridge's core: the CTAPHID engine (ctaphid.h) wired to skinkeyd through
 * the relay (relay.h), independent of where the HID reports come from (/dev/uhid in the program,
 * libfido2's io callbacks in the tests). Single-threaded: the caller polls bridge_fd() with
 * bridge_timeout_ms() and calls bridge_step() after each wake-up and each host report. */
#ifndef SK_HID_BRIDGE_H
#define SK_HID_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

#include "ctaphid.h"

struct bridge;

/* keepalive_ms 0 = the engine's default. 0 or SK_ERR_*. */
int bridge_new(struct bridge **out, uint32_t keepalive_ms);
void bridge_free(struct bridge **b);

/* Monotonic milliseconds (the engine's clock). */
uint64_t bridge_now_ms(void);

/* One output report from the host. 65 bytes whose first is 0 (the report number hidraw and
 * libfido2 put in front of an unnumbered report) are taken as the 64 that follow. */
void bridge_host_report(struct bridge *b, const uint8_t *p, size_t n);
/* Next report for the host: 1 (copied) or 0. */
int bridge_output(struct bridge *b, uint8_t rep[CTAPHID_REPORT]);
/* Relay events, requests, cancels, keepalives and timeouts. */
void bridge_step(struct bridge *b);
/* File descriptor to poll for input, and how long poll may sleep (-1: until an event). */
int bridge_fd(const struct bridge *b);
int bridge_timeout_ms(const struct bridge *b);

/* Asks skinkeyd whether it knows a FIDO-capable chip; the answer arrives through bridge_step().
 * 1 when asked, 0 when the relay is busy. bridge_fido_known(): -1 unknown yet, 0 no, 1 yes. */
int bridge_query_chips(struct bridge *b);
int bridge_fido_known(const struct bridge *b);

void bridge_stats(const struct bridge *b, struct ctaphid_stats *st);

#endif
