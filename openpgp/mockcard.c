/* mockcard.c — scripted APDU exchanges for unit tests. */
#include "mockcard.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card.h"
#include "sk_err.h"

size_t mock_hex(const char *hex, unsigned char *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex != '\0'; hex++) {
		int v;

		if (isspace((unsigned char)*hex))
			continue;
		v = isdigit((unsigned char)*hex) ? *hex - '0' : (tolower((unsigned char)*hex) - 'a' + 10);
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n < cap)
			out[n] = (unsigned char)(hi << 4 | v);
		n++;
		hi = -1;
	}
	return n;
}

static void dump(const char *what, const unsigned char *p, size_t n)
{
	fprintf(stderr, "  %s:", what);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %02X", p[i]);
	fprintf(stderr, "\n");
}

static int mock_transmit(void *io, const uint8_t *cmd, size_t cmdlen, uint8_t *rsp, size_t *rsplen)
{
	struct mock *m = io;
	unsigned char want[8192];
	size_t wn, rn;

	if (m->pos >= m->n) {
		fprintf(stderr, "mock: unexpected extra APDU #%zu\n", m->pos);
		dump("got", cmd, cmdlen);
		m->failed = 1;
		return m->transport_err != 0 ? m->transport_err : SK_ERR_CARD_REMOVED;
	}
	if (strcmp(m->steps[m->pos].cmd, "*") != 0) {
		wn = mock_hex(m->steps[m->pos].cmd, want, sizeof(want));
		if (wn != cmdlen || memcmp(want, cmd, cmdlen) != 0) {
			fprintf(stderr, "mock: APDU #%zu differs\n", m->pos);
			dump("want", want, wn);
			dump("got ", cmd, cmdlen);
			m->failed = 1;
		}
	}
	rn = mock_hex(m->steps[m->pos].rsp, rsp, *rsplen);
	if (rn > *rsplen)
		return SK_ERR_TOOBIG;
	*rsplen = rn;
	m->pos++;
	return 0;
}

static const struct sk_card_ops mock_ops = { mock_transmit, NULL, NULL, NULL };

struct sk_card *mock_card(struct mock *m, const struct mock_step *steps, size_t n)
{
	struct sk_card *c = NULL;

	memset(m, 0, sizeof(*m));
	m->steps = steps;
	m->n = n;
	if (sk_card_new(&mock_ops, m, &c) != 0)
		return NULL;
	return c;
}

int mock_done(const struct mock *m)
{
	if (m->pos != m->n)
		fprintf(stderr, "mock: %zu of %zu steps used\n", m->pos, m->n);
	return !m->failed && m->pos == m->n;
}
