/* p11_vault_proto.c — the vault's lines from skinkeyd (untrusted: parsed field by field with
 * bounded copies) and the escaping of site/user names on a VAULT_ADD command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sk_err.h"
#include "p11.h"

/* Copies the next space-separated field of *p into dst (at most n - 1 bytes); 0 when there is
 * none or it is too long. */
static int
next_field(const char **p, char *dst, size_t n)
{
	const char *s = *p, *e;
	size_t len;

	while (*s == ' ')
		s++;
	if (*s == '\0')
		return 0;
	for (e = s; *e != '\0' && *e != ' '; e++)
		;
	len = (size_t)(e - s);
	if (len >= n)
		return 0;
	memcpy(dst, s, len);
	dst[len] = '\0';
	*p = e;
	return 1;
}

static int
parse_u64(const char *s, uint64_t *v)
{
	char *end = NULL;
	unsigned long long u;

	if (*s < '0' || *s > '9' || strlen(s) > 20)
		return SK_ERR_PROTO;
	u = strtoull(s, &end, 10);
	if (end == NULL || *end != '\0')
		return SK_ERR_PROTO;
	*v = (uint64_t)u;
	return 0;
}



/* "VAULT_CRED <id> <type> <site> <user> <updated> [corrupt]" */
int
p11_vault_parse_cred(const char *line, struct p11_vcred *out)
{
	char id[24], type[16], site[3 * sizeof(out->site)], user[3 * sizeof(out->user)], upd[24];
	char flag[16] = "";
	const char *p = line;

	memset(out, 0, sizeof(*out));
	if (strncmp(p, "VAULT_CRED ", 11) != 0)
		return SK_ERR_PROTO;
	p += 11;
	if (!next_field(&p, id, sizeof(id)) || !next_field(&p, type, sizeof(type)) ||
	    !next_field(&p, site, sizeof(site)) || !next_field(&p, user, sizeof(user)) ||
	    !next_field(&p, upd, sizeof(upd)) || parse_u64(id, &out->id) != 0) {
		p11_log("unparsable VAULT_CRED line from skinkeyd");
		return SK_ERR_PROTO;
	}
	(void)next_field(&p, flag, sizeof(flag));
	out->corrupt = strcmp(flag, "corrupt") == 0;
	p11_unescape_field(out->site, sizeof(out->site), site, "%00");
	p11_unescape_field(out->user, sizeof(out->user), user, "%00");
	return 0;
}

/* "VAULT_ID <id>" */
int
p11_vault_parse_id(const char *line, uint64_t *id)
{
	const char *p = line;
	char f[24];

	*id = 0;
	if (strncmp(p, "VAULT_ID ", 9) != 0 || (p += 9, !next_field(&p, f, sizeof(f))) ||
	    parse_u64(f, id) != 0) {
		p11_log("unparsable VAULT_ID line from skinkeyd");
		return SK_ERR_PROTO;
	}
	return 0;
}

/* Assuan percent-escaping of a command argument: skinkeyd splits on spaces and also reads '+'
 * as a space; everything outside printable ASCII is escaped too. */
int
p11_vault_escape(const char *s, char *dst, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	if (n < 4)
		return SK_ERR_TOOBIG;
	if (*p == '\0') {
		memcpy(dst, "%00", 4);   /* empty, as VAULT_LIST shows it */
		return 0;
	}
	for (; *p != '\0'; p++) {
		if (n - o < 4)
			return SK_ERR_TOOBIG;
		if (*p <= ' ' || *p >= 0x7f || *p == '%' || *p == '+' || *p == '"') {
			dst[o++] = '%';
			dst[o++] = hex[*p >> 4];
			dst[o++] = hex[*p & 0x0f];
		} else {
			dst[o++] = (char)*p;
		}
	}
	dst[o] = '\0';
	return 0;
}
