/* esc.c — Assuan percent escaping for status lines and command arguments. */
#include <stdlib.h>
#include <string.h>

#include "skd.h"

static int needs_escape(unsigned char ch)
{
	return ch < 0x20 || ch == 0x7f || ch == '%' || ch == '+' || ch == ' ' || ch == '"';
}

char *skd_escape(const void *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = p;
	char *out, *o;

	if (n > (SIZE_MAX - 1) / 3)
		return NULL;
	if ((out = malloc(n * 3 + 1)) == NULL)
		return NULL;
	o = out;
	for (size_t i = 0; i < n; i++) {
		if (needs_escape(s[i])) {
			*o++ = '%';
			*o++ = hex[s[i] >> 4];
			*o++ = hex[s[i] & 0x0f];
		} else {
			*o++ = (char)s[i];
		}
	}
	*o = '\0';
	return out;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t skd_unescape(char *s, int plus)
{
	size_t r = 0, w = 0;
	int hi, lo;

	while (s[r] != '\0') {
		if (s[r] == '%' && (hi = hexval(s[r + 1])) >= 0 && (lo = hexval(s[r + 2])) >= 0) {
			s[w++] = (char)(hi << 4 | lo);
			r += 3;
		} else if (plus && s[r] == '+') {
			s[w++] = ' ';
			r++;
		} else {
			s[w++] = s[r++];
		}
	}
	s[w] = '\0';
	return w;
}
