/* p11_util.c — the one NULL-buffer / CKR_BUFFER_TOO_SMALL helper, space-padded strings, PIN
 * copies, template lookups. */
#include <stdlib.h>
#include <string.h>

#include "common/secmem.h"
#include "p11.h"

/* PKCS#11 size-query convention: dst NULL -> report the size; too small -> report the size
 * and CKR_BUFFER_TOO_SMALL; else copy. */
CK_RV
p11_out_bytes(const void *src, size_t len, CK_BYTE_PTR dst, CK_ULONG_PTR dst_len)
{
	if (dst_len == NULL)
		return CKR_ARGUMENTS_BAD;
	if (dst == NULL) {
		*dst_len = len;
		return CKR_OK;
	}
	if (*dst_len < len) {
		*dst_len = len;
		return CKR_BUFFER_TOO_SMALL;
	}
	if (len > 0)
		memcpy(dst, src, len);
	*dst_len = len;
	return CKR_OK;
}

void
p11_pad_string(CK_UTF8CHAR *dst, size_t n, const char *src)
{
	size_t l = strlen(src);

	memset(dst, ' ', n);
	memcpy(dst, src, l < n ? l : n);
}

char *
p11_pin_dup(const CK_UTF8CHAR *pin, CK_ULONG len)
{
	char *p;

	if (pin == NULL || len > P11_PIN_MAX)
		return NULL;
	if ((p = sk_secure_alloc(len + 1)) == NULL)
		return NULL;
	memcpy(p, pin, len);
	p[len] = '\0';
	if (strlen(p) != len) {   /* an embedded NUL can never be a valid PIN */
		sk_secure_free(p);
		return NULL;
	}
	return p;
}

void
p11_pin_free(char **pin)
{
	if (pin == NULL || *pin == NULL)
		return;
	sk_secure_free(*pin);
	*pin = NULL;
}

const CK_ATTRIBUTE *
p11_tmpl_find(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type)
{
	CK_ULONG i;

	if (t == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (t[i].type == type)
			return &t[i];
	return NULL;
}

/* 1 found, 0 absent, -1 malformed */
int
p11_tmpl_ulong(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type, CK_ULONG *v)
{
	const CK_ATTRIBUTE *a = p11_tmpl_find(t, n, type);

	if (a == NULL)
		return 0;
	if (a->pValue == NULL || a->ulValueLen != sizeof(CK_ULONG))
		return -1;
	memcpy(v, a->pValue, sizeof(CK_ULONG));
	return 1;
}

int
p11_tmpl_bool(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type, int *v)
{
	const CK_ATTRIBUTE *a = p11_tmpl_find(t, n, type);

	if (a == NULL)
		return 0;
	if (a->pValue == NULL || a->ulValueLen != sizeof(CK_BBOOL))
		return -1;
	*v = *(const CK_BBOOL *)a->pValue != CK_FALSE;
	return 1;
}

void
p11_pubkey_clear(struct p11_pubkey *k)
{
	if (k == NULL)
		return;
	free(k->n);
	free(k->e);
	free(k->q);
	memset(k, 0, sizeof(*k));
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-unescapes a field of a skinkeyd status line into dst (NUL-terminated, truncated to n);
 * a field equal to `empty` ("-", "%00") is the empty string; control bytes, DEL and embedded NULs
 * become '?' so a label can never be cut short or span lines. */
void
p11_unescape_field(char *dst, size_t n, const char *src, const char *empty)
{
	size_t o = 0;
	int hi, lo;
	char ch;

	if (n == 0)
		return;
	if (empty != NULL && strcmp(src, empty) == 0)
		src = "";
	for (; *src != '\0' && o + 1 < n; src++) {
		ch = *src;
		if (ch == '%' && (hi = hexval(src[1])) >= 0 && (lo = hexval(src[2])) >= 0) {
			ch = (char)(hi * 16 + lo);
			src += 2;
		}
		dst[o++] = (unsigned char)ch < 0x20 || ch == 0x7f ? '?' : ch;
	}
	dst[o] = '\0';
}
