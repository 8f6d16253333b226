/* test_util.h — tiny helpers shared by the desfire/ unit tests (hex, checks). */
#ifndef DF_TEST_UTIL_H
#define DF_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_failures;

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", \
	__FILE__, __LINE__, #cond); t_failures++; } } while (0)

static inline size_t t_unhex(const char *h, unsigned char *out, size_t cap)
{
	size_t n = 0;
	unsigned v;

	while (h[0] && h[1]) {
		if (n >= cap || sscanf(h, "%2x", &v) != 1) {
			fprintf(stderr, "bad hex in test\n");
			exit(2);
		}
		out[n++] = (unsigned char)v;
		h += 2;
	}
	return n;
}

static inline int t_eqhex(const unsigned char *p, size_t n, const char *h)
{
	unsigned char buf[512];
	size_t m = t_unhex(h, buf, sizeof(buf));

	if (m != n || memcmp(buf, p, n) != 0) {
		size_t i;
		fprintf(stderr, "  got  ");
		for (i = 0; i < n; i++)
			fprintf(stderr, "%02X", p[i]);
		fprintf(stderr, "\n  want %s\n", h);
		return 0;
	}
	return 1;
}

static inline int t_done(const char *name)
{
	if (t_failures) {
		fprintf(stderr, "%s: %d failure(s)\n", name, t_failures);
		return 1;
	}
	printf("%s: ok\n", name);
	return 0;
}

#endif
