/* audit_detail.c — the "key=value key=value" details of a row (agent/event.c writes them: values
 * percent-escaped, so a value never holds a space or '='). Read with a bound, never past n. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"

static int hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Unescape one value [p, end) into buf (n > 0); a bad escape is copied as it is. */
static void unescape(const char *p, const char *end, char *buf, size_t n)
{
	size_t o = 0;

	for (; p < end && o + 1 < n; p++) {
		if (*p == '%' && end - p >= 3 && hexv(p[1]) >= 0 && hexv(p[2]) >= 0) {
			buf[o++] = (char)(hexv(p[1]) << 4 | hexv(p[2]));
			p += 2;
		} else {
			buf[o++] = *p;
		}
	}
	buf[o] = '\0';
}

const char *audit_detail(const char *details, const char *key, char *buf, size_t n)
{
	size_t klen = strlen(key);
	const char *p = details, *end;

	if (n == 0)
		return "";
	buf[0] = '\0';
	while (p != NULL && *p != '\0') {
		end = strchr(p, ' ');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			unescape(p + klen + 1, end, buf, n);
			return buf;
		}
		p = *end == ' ' ? end + 1 : NULL;
	}
	return buf;
}

int audit_detail_next(const char **cursor, char *key, size_t kn, char *val, size_t vn)
{
	const char *p = *cursor, *end, *eq;

	while (p != NULL && *p == ' ')
		p++;
	if (p == NULL || *p == '\0' || kn == 0 || vn == 0)
		return 0;
	end = strchr(p, ' ');
	if (end == NULL)
		end = p + strlen(p);
	eq = memchr(p, '=', (size_t)(end - p));
	if (eq == NULL)
		eq = end;
	unescape(p, p + ((size_t)(eq - p) < kn - 1 ? (size_t)(eq - p) : kn - 1), key, kn);
	unescape(eq < end ? eq + 1 : end, end, val, vn);
	*cursor = end;
	return 1;
}
