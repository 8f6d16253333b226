/* sim_util.c — the card's RNG and the simulator's log (stderr). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/rand.h>

#include "sim_core.h"

void sim_random(uint8_t *buf, size_t n)
{
	if (n > 0 && RAND_bytes(buf, (int)n) != 1) {
		/* a card without entropy must not answer with predictable "random" bytes */
		fprintf(stderr, "skinkey-sim: RAND_bytes failed, aborting\n");
		abort();
	}
}

void sim_log(const char *fmt, ...)
{
	va_list ap;

	fputs("skinkey-sim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void sim_hexdump(const char *prefix, const uint8_t *p, size_t n)
{
	size_t i;

	fprintf(stderr, "skinkey-sim: %s", prefix);
	for (i = 0; i < n; i++)
		fprintf(stderr, " %02X", p[i]);
	fputc('\n', stderr);
}
