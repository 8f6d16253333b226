/* test_sim_util.h — tiny helpers shared by the simulator's unit tests. */
#ifndef TEST_SIM_UTIL_H
#define TEST_SIM_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_core.h"

static int test_failures;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		test_failures++; \
	} \
} while (0)

static inline size_t test_unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;

	while (*hex) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		if (n >= cap || sscanf(hex, "%2x", &v) != 1)
			abort();
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

static inline uint16_t test_sw(const struct sim_rbuf *r)
{
	if (r->len < 2)
		return 0;
	return (uint16_t)(r->p[r->len - 2] << 8 | r->p[r->len - 1]);
}

/* send hex APDU, return SW; resp keeps data+SW */
static inline uint16_t test_tx(struct sim_card *c, const char *hex, struct sim_rbuf *resp)
{
	static uint8_t buf[70000];
	size_t n = test_unhex(hex, buf, sizeof(buf));

	if (sim_card_transmit(c, buf, n, resp) != SIM_TX_ANSWER)
		return 0xFFFF;
	return test_sw(resp);
}

#endif
