/* p11_sexp.c — parser for the canonical S-expression public keys that scdaemon's READKEY (and
 * skinkeyd's P11READKEY / P11GENKEY) answer:
 *   (10:public-key(3:rsa(1:n<N>:...)(1:e<N>:...)))
 *   (10:public-key(3:ecc(5:curve10:NIST P-256)[(5:flags5:eddsa)](1:q<N>:...)))
 * Untrusted daemon bytes: read through the bounds-checked cursor, trailing bytes rejected. */
#include <stdlib.h>
#include <string.h>

#include "common/cursor.h"
#include "common/sk_err.h"
#include "p11.h"

#define ATOM_MAX 4096   /* RSA-4096 modulus is 513 bytes; anything near this is hostile */

struct atom {
	const uint8_t *p;
	size_t len;
};

static int
peek(const struct sk_cur *c, uint8_t want)
{
	return sk_cur_left(c) > 0 && sk_cur_ptr(c)[0] == want;
}

static int
expect(struct sk_cur *c, uint8_t want)
{
	uint8_t b;

	if (sk_cur_u8(c, &b) != 0 || b != want)
		return SK_ERR_FORMAT;
	return 0;
}

/* <decimal length>:<bytes>; no leading zeros, no empty length. */
static int
read_atom(struct sk_cur *c, struct atom *a)
{
	size_t n = 0, digits = 0;
	uint8_t b;

	for (;;) {
		if (sk_cur_u8(c, &b) != 0)
			return SK_ERR_FORMAT;
		if (b == ':')
			break;
		if (b < '0' || b > '9' || (digits == 1 && n == 0) || ++digits > 5)
			return SK_ERR_FORMAT;
		n = n * 10 + (size_t)(b - '0');
	}
	if (digits == 0 || n > ATOM_MAX)
		return SK_ERR_FORMAT;
	a->len = n;
	return sk_cur_bytes(c, n, &a->p);
}

static int
atom_is(const struct atom *a, const char *s)
{
	return a->len == strlen(s) && memcmp(a->p, s, a->len) == 0;
}

static int
dup_atom(const struct atom *a, uint8_t **out, size_t *len)
{
	free(*out);
	*out = NULL;
	*len = 0;
	if (a->len == 0 || (*out = malloc(a->len)) == NULL)
		return a->len == 0 ? SK_ERR_FORMAT : SK_ERR_NOMEM;
	memcpy(*out, a->p, a->len);
	*len = a->len;
	return 0;
}

static int
set_curve(const struct atom *a, struct p11_pubkey *k)
{
	if (atom_is(a, "NIST P-256") || atom_is(a, "nistp256") || atom_is(a, "prime256v1")) {
		k->kty = P11_KTY_EC;
		k->curve = P11_CURVE_P256;
	} else if (atom_is(a, "NIST P-384") || atom_is(a, "nistp384") ||
	    atom_is(a, "secp384r1")) {
		k->kty = P11_KTY_EC;
		k->curve = P11_CURVE_P384;
	} else if (atom_is(a, "Ed25519")) {
		k->kty = P11_KTY_ED25519;
	} else if (atom_is(a, "Curve25519") || atom_is(a, "cv25519") || atom_is(a, "X25519")) {
		k->kty = P11_KTY_X25519;
	} else {
		return SK_ERR_UNSUPPORTED;
	}
	return 0;
}

/* One (name value) element inside the algorithm list. */
static int
read_param(struct sk_cur *c, int rsa, struct p11_pubkey *k)
{
	struct atom name, val;
	int r;

	if ((r = expect(c, '(')) != 0 || (r = read_atom(c, &name)) != 0 ||
	    (r = read_atom(c, &val)) != 0)
		return r;
	while (!peek(c, ')')) {   /* (flags eddsa djb-tweak ...) has several values */
		if ((r = read_atom(c, &val)) != 0)
			return r;
	}
	if ((r = expect(c, ')')) != 0)
		return r;
	if (rsa && atom_is(&name, "n"))
		return dup_atom(&val, &k->n, &k->n_len);
	if (rsa && atom_is(&name, "e"))
		return dup_atom(&val, &k->e, &k->e_len);
	if (!rsa && atom_is(&name, "curve"))
		return set_curve(&val, k);
	if (!rsa && atom_is(&name, "q"))
		return dup_atom(&val, &k->q, &k->q_len);
	return 0;   /* unknown parameters are ignored */
}

/* Strips GnuPG's 0x40 native-point prefix; checks the point length for the curve. */
static int
check_point(struct p11_pubkey *k)
{
	size_t want;

	if (k->q == NULL)
		return SK_ERR_FORMAT;
	if (k->kty == P11_KTY_ED25519 || k->kty == P11_KTY_X25519) {
		if (k->q_len == 33 && k->q[0] == 0x40) {
			memmove(k->q, k->q + 1, 32);
			k->q_len = 32;
		}
		return k->q_len == 32 ? 0 : SK_ERR_FORMAT;
	}
	want = k->curve == P11_CURVE_P384 ? 97 : 65;
	return k->q_len == want && k->q[0] == 0x04 ? 0 : SK_ERR_FORMAT;
}

static int
strip_zeros(uint8_t *p, size_t *len)
{
	size_t i = 0;

	while (i + 1 < *len && p[i] == 0)
		i++;
	memmove(p, p + i, *len - i);
	*len -= i;
	return 0;
}

int
p11_sexp_pubkey(const uint8_t *p, size_t len, struct p11_pubkey *out)
{
	struct sk_cur c;
	struct atom a;
	int r, rsa;

	memset(out, 0, sizeof(*out));
	sk_cur_init(&c, p, len);
	if ((r = expect(&c, '(')) != 0 || (r = read_atom(&c, &a)) != 0)
		goto out;
	if (!atom_is(&a, "public-key")) {
		r = SK_ERR_FORMAT;
		goto out;
	}
	if ((r = expect(&c, '(')) != 0 || (r = read_atom(&c, &a)) != 0)
		goto out;
	if (!(rsa = atom_is(&a, "rsa")) && !atom_is(&a, "ecc") && !atom_is(&a, "ecdsa") &&
	    !atom_is(&a, "eddsa") && !atom_is(&a, "ecdh")) {
		r = SK_ERR_UNSUPPORTED;
		goto out;
	}
	out->kty = rsa ? P11_KTY_RSA : P11_KTY_NONE;
	while (!peek(&c, ')'))
		if ((r = read_param(&c, rsa, out)) != 0)
			goto out;
	if ((r = expect(&c, ')')) != 0 || (r = expect(&c, ')')) != 0 || (r = sk_cur_end(&c)) != 0)
		goto out;
	if (rsa)
		r = out->n != NULL && out->e != NULL ? strip_zeros(out->n, &out->n_len) : SK_ERR_FORMAT;
	else
		r = out->kty != P11_KTY_NONE ? check_point(out) : SK_ERR_FORMAT;
out:
	if (r != 0)
		p11_pubkey_clear(out);
	return r;
}
