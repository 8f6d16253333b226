/* oath_parse.c — parsers for YKOATH answers (SELECT, LIST, CALCULATE ALL) and RFC 4226
 * truncation. Card answers are untrusted: TLV reader only, sizes checked exactly. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "otp.h"
#include "sk_err.h"
#include "tlv.h"

#define OATH_LIST_MAX 256   /* credentials; more is garbage */

static int bad(const char *why)
{
	sk_debug("oath: malformed answer: %s", why);
	return SK_ERR_BAD_RESPONSE;
}

int oath_truncate(const uint8_t *hmac, size_t len, uint8_t digits, uint32_t *code)
{
	static const uint32_t mod[] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
		100000000 };
	size_t off;
	uint32_t v;

	*code = 0;
	if (hmac == NULL || len < 20 || digits < 6 || digits > 8)
		return SK_ERR_ARG;
	off = hmac[len - 1] & 0x0F;
	v = ((uint32_t)(hmac[off] & 0x7F) << 24) | (uint32_t)hmac[off + 1] << 16 |
	    (uint32_t)hmac[off + 2] << 8 | hmac[off + 3];
	*code = v % mod[digits];
	return 0;
}

static int copy_fixed(const struct sk_tlv *t, uint8_t *dst, size_t n, const char *what)
{
	if (t->len != n)
		return bad(what);
	memcpy(dst, t->value, n);
	return 0;
}

int oath_parse_select(const uint8_t *p, size_t n, struct oath_info *info)
{
	struct sk_tlv_iter it;
	struct sk_tlv t;
	int r, have_salt = 0;

	memset(info, 0, sizeof(*info));
	sk_tlv_iter_init(&it, p, n);
	while ((r = sk_tlv_iter_next(&it, &t)) == 1) {
		switch (t.tag) {
		case 0x79: r = copy_fixed(&t, info->version, 3, "version"); break;
		case 0x71: r = copy_fixed(&t, info->salt, 8, "salt"); have_salt = 1; break;
		case 0x74:
			r = copy_fixed(&t, info->challenge, 8, "challenge");
			info->has_challenge = 1;
			break;
		case 0x7B: r = copy_fixed(&t, &info->algo, 1, "algorithm"); break;
		default: r = 0; break;
		}
		if (r != 0)
			return r;
	}
	if (r != 0)
		return bad("SELECT TLV structure");
	return have_salt ? 0 : bad("SELECT without the applet id 71");
}

static int set_name(struct oath_cred *c, const uint8_t *p, size_t n)
{
	if (n == 0 || n > OATH_NAME_MAX || memchr(p, 0, n) != NULL)
		return bad("credential name");
	memcpy(c->name, p, n);
	c->name[n] = '\0';
	return 0;
}

/* Grows *arr by one zeroed entry. */
static int push(struct oath_cred **arr, size_t *count, struct oath_cred **out)
{
	struct oath_cred *a;

	if (*count >= OATH_LIST_MAX)
		return bad("too many credentials");
	if ((a = realloc(*arr, (*count + 1) * sizeof(**arr))) == NULL)
		return SK_ERR_NOMEM;
	*arr = a;
	*out = &a[*count];
	memset(*out, 0, sizeof(**out));
	(*count)++;
	return 0;
}

static void drop(struct oath_cred **arr, size_t *count)
{
	free(*arr);
	*arr = NULL;
	*count = 0;
}

int oath_parse_list(const uint8_t *p, size_t n, struct oath_cred **creds, size_t *count)
{
	struct sk_tlv_iter it;
	struct sk_tlv t;
	struct oath_cred *c;
	int r;

	*creds = NULL;
	*count = 0;
	sk_tlv_iter_init(&it, p, n);
	while ((r = sk_tlv_iter_next(&it, &t)) == 1) {
		if (t.tag != 0x72 || t.len < 2) {
			r = bad("LIST entry");
			break;
		}
		if ((r = push(creds, count, &c)) != 0 || (r = set_name(c, t.value + 1, t.len - 1)) != 0)
			break;
		c->type = t.value[0] & 0xF0;
		c->algo = t.value[0] & 0x0F;
	}
	if (r != 0) {
		drop(creds, count);
		return r == SK_ERR_NOMEM ? r : SK_ERR_BAD_RESPONSE;
	}
	return 0;
}

/* 76: digits + 4-byte truncated value; 77 (HOTP) / 7C (touch): no code. */
static int set_code(struct oath_cred *c, const struct sk_tlv *t)
{
	if (t->tag == 0x77 || t->tag == 0x7C) {
		c->type = t->tag == 0x77 ? OATH_TYPE_HOTP : OATH_TYPE_TOTP;
		if (t->len != 1)
			return bad("HOTP/touch entry");
		c->digits = t->value[0];
		return 0;
	}
	if (t->tag != 0x76 || t->len != 5 || t->value[0] < 6 || t->value[0] > 8)
		return bad("truncated response");
	c->type = OATH_TYPE_TOTP;
	c->digits = t->value[0];
	c->code = ((uint32_t)(t->value[1] & 0x7F) << 24 | (uint32_t)t->value[2] << 16 |
	    (uint32_t)t->value[3] << 8 | t->value[4]);
	c->code %= c->digits == 6 ? 1000000u : c->digits == 7 ? 10000000u : 100000000u;
	c->has_code = 1;
	return 0;
}

int oath_parse_calc_all(const uint8_t *p, size_t n, struct oath_cred **creds, size_t *count)
{
	struct sk_tlv_iter it;
	struct sk_tlv name, val;
	struct oath_cred *c;
	int r;

	*creds = NULL;
	*count = 0;
	sk_tlv_iter_init(&it, p, n);
	while ((r = sk_tlv_iter_next(&it, &name)) == 1) {
		if (name.tag != 0x71 || sk_tlv_iter_next(&it, &val) != 1) {
			r = bad("CALCULATE ALL entry");
			break;
		}
		if ((r = push(creds, count, &c)) != 0 || (r = set_name(c, name.value, name.len)) != 0 ||
		    (r = set_code(c, &val)) != 0)
			break;
	}
	if (r != 0) {
		drop(creds, count);
		return r == SK_ERR_NOMEM ? r : SK_ERR_BAD_RESPONSE;
	}
	return 0;
}
