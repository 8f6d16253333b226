/* sim_apdu.c — ISO 7816-4 command APDU decoding (short and extended length, cases 1-4).
 * The bytes come from the host through vpcd: untrusted, every length checked by subtraction. */
#include <string.h>

#include "sim_applet.h"
#include "sim_core.h"

/* Short encodings: header, then nothing / Le / Lc data / Lc data Le. */
static int parse_short(const uint8_t *p, size_t n, struct sim_apdu *a)
{
	size_t lc;

	if (n == 5) {
		a->le = p[4] ? p[4] : 256;
		return 0;
	}
	lc = p[4];
	if (lc > n - 5)
		return -1;
	a->data = p + 5;
	a->lc = lc;
	if (n - 5 - lc == 0)
		return 0;
	if (n - 5 - lc == 1) {
		a->le = p[n - 1] ? p[n - 1] : 256;
		return 0;
	}
	return -1;
}

/* Extended encodings: 00 then two-byte Le, or two-byte Lc (not 0) data [two-byte Le]. */
static int parse_extended(const uint8_t *p, size_t n, struct sim_apdu *a)
{
	size_t lc, le;

	a->extended = 1;
	if (n == 7) {
		le = (size_t)p[5] << 8 | p[6];
		a->le = le ? le : 65536;
		return 0;
	}
	lc = (size_t)p[5] << 8 | p[6];
	if (lc == 0 || lc > n - 7)
		return -1;
	a->data = p + 7;
	a->lc = lc;
	if (n - 7 - lc == 0)
		return 0;
	if (n - 7 - lc == 2) {
		le = (size_t)p[n - 2] << 8 | p[n - 1];
		a->le = le ? le : 65536;
		return 0;
	}
	return -1;
}

int sim_apdu_parse(const uint8_t *p, size_t n, struct sim_apdu *a)
{
	memset(a, 0, sizeof(*a));
	if (p == NULL || n < 4)
		return -1;
	a->cla = p[0];
	a->ins = p[1];
	a->p1 = p[2];
	a->p2 = p[3];
	if (n == 4)
		return 0;
	if (n == 5 || p[4] != 0)
		return parse_short(p, n, a);
	if (n < 7)
		return -1;
	return parse_extended(p, n, a);
}
