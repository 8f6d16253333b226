/* fuzz_ctaphid.c — libFuzzer harness for the CTAPHID engine: the input is a script of host
 * reports, clock steps and backend events, so the fuzzer reaches assembly, channel, timeout,
 * keepalive and cancel states in any order. Every answer the engine queues is checked to be a
 * well-formed report on a channel the host used. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctaphid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t counter_random(void *arg)
{
	uint32_t *x = arg;
	*x = *x * 1103515245u + 12345u;
	return *x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctaphid *e = NULL;
	struct ctaphid_cfg cfg = { .caps = CTAPHID_CAP_CBOR | CTAPHID_CAP_WINK };
	struct ctaphid_req req;
	uint8_t rep[CTAPHID_REPORT];
	uint64_t now = 0;
	uint32_t seed = 1, tag = 0;
	size_t off = 0;

	cfg.random_u32 = size > 0 && (data[0] & 0x80) ? counter_random : NULL;
	cfg.random_arg = &seed;
	if (ctaphid_new(&e, &cfg) != 0)
		return 0;
	while (off < size) {
		uint8_t op = data[off++];
		size_t n = (size_t)(op & 0x3f) + 1;   /* report length 1..64 */
		if (n > size - off)
			n = size - off;
		switch (op >> 6) {
		case 0:   /* a host report (short ones are zero-padded by the engine) */
		case 1:
			ctaphid_input(e, data + off, n, now);
			off += n;
			break;
		case 2:   /* the clock moves by (op & 0x3f) * 10 ms */
			now += (uint64_t)(op & 0x3f) * 10;
			ctaphid_tick(e, now);
			break;
		default:  /* backend events */
			if (ctaphid_take_request(e, &req))
				tag = req.tag;
			(void)ctaphid_take_cancel(e, NULL);
			switch (op & 3) {
			case 0: ctaphid_backend_status(e, tag, (uint8_t)(op >> 2 & 3)); break;
			case 1: ctaphid_backend_done(e, tag, data + off, n); off += n; break;
			case 2: ctaphid_backend_fail(e, tag, CTAPHID_ERR_OTHER); break;
			default: break;
			}
			break;
		}
		while (ctaphid_output(e, rep)) {
			/* an init-type answer never claims more than the maximum payload */
			if ((rep[4] & 0x80) && (size_t)(rep[5] << 8 | rep[6]) > CTAPHID_MAX_PAYLOAD)
				abort();
		}
	}
	ctaphid_free(&e);
	return 0;
}
