/* hex.c — hex encoding and strict decoding. */
#include "hex.h"

#include <stdlib.h>

#include "buf.h"
#include "sk_err.h"

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int sk_hex_encode(const uint8_t *p, size_t n, char *out, size_t room, unsigned flags)
{
	const char *digits = (flags & SK_HEX_UPPER) ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t i;

	if (room == 0 || n > (room - 1) / 2)
		return SK_ERR_TOOBIG;
	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0x0F];
	}
	out[2 * n] = '\0';
	return 0;
}

char *sk_hex_dup(const uint8_t *p, size_t n, unsigned flags)
{
	char *s;

	if (n > (SIZE_MAX - 1) / 2 || (s = malloc(2 * n + 1)) == NULL)
		return NULL;
	(void)sk_hex_encode(p, n, s, 2 * n + 1, flags);
	return s;
}

/* Checks every digit first so that nothing is written for bad input. */
static int hex_check(const char *s, size_t len)
{
	size_t i;

	if (len % 2 != 0)
		return SK_ERR_FORMAT;
	for (i = 0; i < len; i++)
		if (hex_digit(s[i]) < 0)
			return SK_ERR_FORMAT;
	return 0;
}

static void hex_unpack(const char *s, size_t len, uint8_t *out)
{
	size_t i;

	for (i = 0; i < len / 2; i++)
		out[i] = (uint8_t)((hex_digit(s[2 * i]) << 4) | hex_digit(s[2 * i + 1]));
}

int sk_hex_decode(const char *s, size_t len, struct sk_buf *out)
{
	uint8_t *dst;
	int r;

	if ((r = hex_check(s, len)) != 0 || (r = sk_buf_reserve(out, len / 2, &dst)) != 0)
		return r;
	hex_unpack(s, len, dst);
	return 0;
}

int sk_hex_decode_exact(const char *s, size_t len, uint8_t *out, size_t room)
{
	int r;

	if ((r = hex_check(s, len)) != 0)
		return r;
	if (len / 2 != room)
		return SK_ERR_FORMAT;
	hex_unpack(s, len, out);
	return 0;
}
