/* opgp_parse.c — parsers for the OpenPGP card's data objects (6E and its children, 65, 7A, F9).
 * Card answers are untrusted: every read goes through the cursor / TLV reader, sizes are
 * checked exactly, and anything unexpected is SK_ERR_BAD_RESPONSE. */
#include <string.h>

#include "cursor.h"
#include "log.h"
#include "opgp_int.h"
#include "sk_err.h"
#include "tlv.h"

static const uint8_t opgp_rid_app[6] = { 0xD2, 0x76, 0x00, 0x01, 0x24, 0x01 };

/* The last reason a parser refused card data in this thread (opgp_read_info reports it). */
__thread const char *opgp_parse_why;

static int bad(const char *why)
{
	sk_debug("openpgp: malformed card data: %s", why);
	opgp_parse_why = why;
	return SK_ERR_BAD_RESPONSE;
}

static int parse_aid(const struct sk_tlv *t, struct opgp_info *info)
{
	struct sk_cur c;
	uint16_t ver;

	if (t->len != 16 || memcmp(t->value, opgp_rid_app, sizeof(opgp_rid_app)) != 0)
		return bad("AID is not an OpenPGP AID of 16 bytes");
	memcpy(info->aid, t->value, t->len);
	info->aid_len = t->len;
	sk_cur_init(&c, t->value + 6, t->len - 6);
	if (sk_cur_u16be(&c, &ver) != 0 || sk_cur_u16be(&c, &info->manufacturer) != 0 ||
	    sk_cur_u32be(&c, &info->serial) != 0)
		return bad("AID truncated");
	info->version_major = (uint8_t)(ver >> 8);
	info->version_minor = (uint8_t)(ver & 0xFF);
	return 0;
}

static int parse_caps(const struct sk_tlv *t, struct opgp_ext_caps *caps)
{
	struct sk_cur c;

	if (t->len != 10)
		return bad("extended capabilities C0 are not 10 bytes");
	sk_cur_init(&c, t->value, t->len);
	if (sk_cur_u8(&c, &caps->flags) != 0 || sk_cur_u8(&c, &caps->sm_algo) != 0 ||
	    sk_cur_u16be(&c, &caps->max_challenge) != 0 || sk_cur_u16be(&c, &caps->max_cert) != 0 ||
	    sk_cur_u16be(&c, &caps->max_special) != 0 || sk_cur_u8(&c, &caps->pin_block2) != 0 ||
	    sk_cur_u8(&c, &caps->mse) != 0 || sk_cur_end(&c) != 0)
		return bad("extended capabilities C0");
	return 0;
}

static int parse_ecc_attr(struct sk_cur *c, struct opgp_algo_attr *a)
{
	size_t n = sk_cur_left(c);
	const uint8_t *p = sk_cur_ptr(c);

	if (n > 0 && p[n - 1] == 0xFF) {   /* an OID never ends in FF: it is the import format */
		a->import_format = 0xFF;
		n--;
	}
	if (n == 0 || n > sizeof(a->oid))
		return bad("curve OID length");
	memcpy(a->oid, p, n);
	a->oid_len = n;
	a->curve = opgp_curve_from_oid(a->oid, n);
	return 0;
}

int opgp_parse_algo_attr(const uint8_t *p, size_t n, struct opgp_algo_attr *a)
{
	struct sk_cur c;

	memset(a, 0, sizeof(*a));
	sk_cur_init(&c, p, n);
	if (sk_cur_u8(&c, &a->id) != 0)
		return bad("empty algorithm attributes");
	switch (a->id) {
	case OPGP_ALGO_ID_RSA:
		if (sk_cur_u16be(&c, &a->rsa_bits) != 0 || sk_cur_u16be(&c, &a->rsa_e_bits) != 0)
			return bad("RSA algorithm attributes truncated");
		if (sk_cur_left(&c) == 1 && sk_cur_u8(&c, &a->import_format) != 0)
			return bad("RSA import format");
		if (sk_cur_end(&c) != 0 || a->rsa_bits < 1024 || a->rsa_bits > 4096 ||
		    a->rsa_e_bits == 0 || a->rsa_e_bits > 64)
			return bad("RSA algorithm attributes");
		return 0;
	case OPGP_ALGO_ID_ECDH:
	case OPGP_ALGO_ID_ECDSA:
	case OPGP_ALGO_ID_EDDSA:
		return parse_ecc_attr(&c, a);
	default:
		return bad("unknown algorithm id");
	}
}

int opgp_parse_pw_status(const uint8_t *p, size_t n, struct opgp_pw_status *pw)
{
	struct sk_cur c;

	memset(pw, 0, sizeof(*pw));
	sk_cur_init(&c, p, n);
	if (sk_cur_u8(&c, &pw->pw1_multi) != 0 || sk_cur_u8(&c, &pw->pw1_max) != 0 ||
	    sk_cur_u8(&c, &pw->rc_max) != 0 || sk_cur_u8(&c, &pw->pw3_max) != 0 ||
	    sk_cur_u8(&c, &pw->pw1_tries) != 0 || sk_cur_u8(&c, &pw->rc_tries) != 0 ||
	    sk_cur_u8(&c, &pw->pw3_tries) != 0 || sk_cur_end(&c) != 0)
		return bad("PW status bytes C4 are not 7 bytes");
	pw->pw1_max &= 0x7F;   /* bit 8: PIN block format 2 */
	pw->pw3_max &= 0x7F;
	if (pw->pw1_multi > 1 || pw->pw1_tries > 15 || pw->rc_tries > 15 || pw->pw3_tries > 15)
		return bad("PW status values out of range");
	return 0;
}

/* C5, C6: three 20-byte fingerprints (some cards append a fourth for an attestation key). */
static int parse_fprs(const struct sk_tlv *t, uint8_t out[OPGP_NKEYS][20])
{
	if (t->len < 60 || t->len % 20 != 0)
		return bad("fingerprint list length");
	memcpy(out, t->value, 60);
	return 0;
}

static int parse_times(const struct sk_tlv *t, uint32_t out[OPGP_NKEYS])
{
	struct sk_cur c;

	if (t->len < 12 || t->len % 4 != 0)
		return bad("generation times CD length");
	sk_cur_init(&c, t->value, t->len);
	for (size_t i = 0; i < OPGP_NKEYS; i++)
		if (sk_cur_u32be(&c, &out[i]) != 0)
			return bad("generation times CD");
	return 0;
}

static int parse_key_info(const struct sk_tlv *t, struct opgp_info *info)
{
	struct sk_cur c;
	uint8_t ref, st;

	if (t->len % 2 != 0)
		return bad("key information DE length");
	sk_cur_init(&c, t->value, t->len);
	while (sk_cur_left(&c) > 0) {
		if (sk_cur_u8(&c, &ref) != 0 || sk_cur_u8(&c, &st) != 0)
			return bad("key information DE");
		if (st > 2)
			return bad("key status value");
		if (ref >= 1 && ref <= OPGP_NKEYS)
			info->key_status[ref - 1] = st;
	}
	info->has_key_info = 1;
	return 0;
}

/* 7F66 value: two INTEGER (02) objects, max command and max response length, 2 bytes each. Read
 * through the TLV reader: a card may use long-form lengths here too. */
static int ext_len_int(struct sk_tlv_iter *it, uint16_t *v)
{
	struct sk_tlv t;

	if (sk_tlv_iter_next(it, &t) != 1 || t.tag != 0x02 || t.len != 2)
		return SK_ERR_FORMAT;
	*v = (uint16_t)(t.value[0] << 8 | t.value[1]);
	return 0;
}

static int ext_len_value(const uint8_t *p, size_t n, uint16_t *max_cmd, uint16_t *max_rsp)
{
	struct sk_tlv_iter it;
	struct sk_tlv t;

	sk_tlv_iter_init(&it, p, n);
	if (ext_len_int(&it, max_cmd) != 0 || ext_len_int(&it, max_rsp) != 0 ||
	    sk_tlv_iter_next(&it, &t) != 0)
		return bad("extended length information 7F66");
	return 0;
}

int opgp_parse_ext_len(const uint8_t *p, size_t n, uint16_t *max_cmd, uint16_t *max_rsp)
{
	struct sk_tlv t;

	*max_cmd = *max_rsp = 0;
	if (n > 0 && p[0] == 0x7F) {
		if (sk_tlv_parse_one(p, n, &t) != 0 || t.tag != 0x7F66)
			return bad("7F66 template");
		p = t.value;
		n = t.len;
	}
	return ext_len_value(p, n, max_cmd, max_rsp);
}

static int parse_ext_len(const struct sk_tlv *t, struct opgp_info *info)
{
	return ext_len_value(t->value, t->len, &info->max_cmd, &info->max_rsp);
}

static int parse_algo_slot(const struct sk_tlv *t, struct opgp_info *info)
{
	return opgp_parse_algo_attr(t->value, t->len, &info->algo[t->tag - 0xC1]);
}

static int parse_app_child(const struct sk_tlv *t, struct opgp_info *info, unsigned *seen);

static int parse_app_list(const uint8_t *p, size_t n, struct opgp_info *info, unsigned *seen,
    int depth)
{
	struct sk_tlv_iter it;
	struct sk_tlv t;
	int r;

	sk_tlv_iter_init(&it, p, n);
	while ((r = sk_tlv_iter_next(&it, &t)) == 1) {
		if (t.tag == 0x73 && depth == 0)
			r = parse_app_list(t.value, t.len, info, seen, 1);
		else
			r = parse_app_child(&t, info, seen);
		if (r != 0)
			return r;
	}
	return r == 0 ? 0 : bad("application related data TLV structure");
}

#define SEEN_AID 0x1u
#define SEEN_PW  0x2u

static int parse_app_child(const struct sk_tlv *t, struct opgp_info *info, unsigned *seen)
{
	switch (t->tag) {
	case 0x4F:
		*seen |= SEEN_AID;
		return parse_aid(t, info);
	case 0x5F52:
		if (t->len > sizeof(info->hist))
			return bad("historical bytes too long");
		memcpy(info->hist, t->value, t->len);
		info->hist_len = t->len;
		return 0;
	case 0x7F66: return parse_ext_len(t, info);
	case 0xC0: return parse_caps(t, &info->caps);
	case 0xC1: case 0xC2: case 0xC3: return parse_algo_slot(t, info);
	case 0xC4:
		*seen |= SEEN_PW;
		return opgp_parse_pw_status(t->value, t->len, &info->pw);
	case 0xC5: return parse_fprs(t, info->fpr);
	case 0xC6: return parse_fprs(t, info->ca_fpr);
	case 0xCD: return parse_times(t, info->gen_time);
	case 0xDE: return parse_key_info(t, info);
	default: return 0;   /* 7F74, UIF D6..D8, algorithm information FA, ...: not needed */
	}
}

int opgp_parse_app_data(const uint8_t *p, size_t n, struct opgp_info *info)
{
	struct sk_tlv outer;
	unsigned seen = 0;
	int r;

	if (n > 0 && p[0] == 0x6E) {
		if (sk_tlv_parse_one(p, n, &outer) != 0 || outer.tag != 0x6E)
			return bad("6E template");
		p = outer.value;
		n = outer.len;
	}
	if ((r = parse_app_list(p, n, info, &seen, 0)) != 0)
		return r;
	if ((seen & SEEN_AID) == 0 || (seen & SEEN_PW) == 0)
		return bad("application related data lacks the AID or PW status");
	return 0;
}

/* Text DOs: copied with a terminating NUL; embedded NULs and overlong values are rejected. */
static int copy_text(const struct sk_tlv *t, char *dst, size_t cap, const char *what)
{
	if (t->len >= cap || memchr(t->value, 0, t->len) != NULL)
		return bad(what);
	memcpy(dst, t->value, t->len);
	dst[t->len] = '\0';
	return 0;
}

static int parse_cardholder_child(const struct sk_tlv *t, struct opgp_info *info)
{
	switch (t->tag) {
	case 0x5B: return copy_text(t, info->name, sizeof(info->name), "cardholder name");
	case 0x5F2D: return copy_text(t, info->lang, sizeof(info->lang), "language preference");
	case 0x5F35:
		if (t->len > 1)
			return bad("sex DO length");
		info->sex = t->len == 1 ? t->value[0] : 0;
		return 0;
	default: return 0;
	}
}

int opgp_parse_cardholder(const uint8_t *p, size_t n, struct opgp_info *info)
{
	struct sk_tlv outer, t;
	struct sk_tlv_iter it;
	int r;

	if (n > 0 && p[0] == 0x65) {
		if (sk_tlv_parse_one(p, n, &outer) != 0)
			return bad("65 template");
		p = outer.value;
		n = outer.len;
	}
	sk_tlv_iter_init(&it, p, n);
	while ((r = sk_tlv_iter_next(&it, &t)) == 1)
		if ((r = parse_cardholder_child(&t, info)) != 0)
			return r;
	return r == 0 ? 0 : bad("cardholder data TLV structure");
}

int opgp_parse_sst(const uint8_t *p, size_t n, uint32_t *sig_counter)
{
	struct sk_tlv t;
	struct sk_cur c;
	const uint8_t *b;

	*sig_counter = 0;
	if (n > 0 && p[0] == 0x7A) {
		if (sk_tlv_parse_one(p, n, &t) != 0)
			return bad("7A template");
		p = t.value;
		n = t.len;
	}
	if (sk_tlv_find(p, n, 0x93, 0, &t) != 0 || t.len != 3)
		return bad("signature counter 93");
	sk_cur_init(&c, t.value, t.len);
	if (sk_cur_bytes(&c, 3, &b) != 0)
		return bad("signature counter 93");
	*sig_counter = (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];
	return 0;
}

static int kdf_salt(const struct sk_tlv *t, uint8_t salt[8], uint8_t *has)
{
	if (t->len != 8)
		return bad("KDF salt is not 8 bytes");
	memcpy(salt, t->value, 8);
	*has = 1;
	return 0;
}

static int kdf_byte(const struct sk_tlv *t, uint8_t *v)
{
	if (t->len != 1)
		return bad("KDF byte field");
	*v = t->value[0];
	return 0;
}

static int parse_kdf_child(const struct sk_tlv *t, struct opgp_kdf *kdf)
{
	struct sk_cur c;

	switch (t->tag) {
	case 0x81: return kdf_byte(t, &kdf->algo);
	case 0x82: return kdf_byte(t, &kdf->hash);
	case 0x83:
		sk_cur_init(&c, t->value, t->len);
		if (sk_cur_u32be(&c, &kdf->iterations) != 0 || sk_cur_end(&c) != 0)
			return bad("KDF iteration count");
		return 0;
	case 0x84: return kdf_salt(t, kdf->salt_pw1, &kdf->has_salt_pw1);
	case 0x85: return kdf_salt(t, kdf->salt_rc, &kdf->has_salt_rc);
	case 0x86: return kdf_salt(t, kdf->salt_pw3, &kdf->has_salt_pw3);
	default: return 0;   /* 87 / 88 initial hashes: not needed by a client */
	}
}

static int kdf_check(const struct opgp_kdf *kdf)
{
	if (kdf->algo == OPGP_KDF_NONE)
		return 0;
	if (kdf->algo != OPGP_KDF_ITERSALTED_S2K)
		return bad("unknown KDF algorithm");
	if (kdf->hash != OPGP_KDF_HASH_SHA256 && kdf->hash != OPGP_KDF_HASH_SHA512)
		return bad("unknown KDF hash");
	if (kdf->iterations == 0 || !kdf->has_salt_pw1)
		return bad("KDF without iteration count or PW1 salt");
	return 0;
}

int opgp_parse_kdf(const uint8_t *p, size_t n, struct opgp_kdf *kdf)
{
	struct sk_tlv outer, t;
	struct sk_tlv_iter it;
	int r;

	memset(kdf, 0, sizeof(*kdf));
	if (n > 0 && p[0] == 0xF9) {
		if (sk_tlv_parse_one(p, n, &outer) != 0)
			return bad("F9 template");
		p = outer.value;
		n = outer.len;
	}
	sk_tlv_iter_init(&it, p, n);
	while ((r = sk_tlv_iter_next(&it, &t)) == 1)
		if ((r = parse_kdf_child(&t, kdf)) != 0)
			return r;
	if (r != 0)
		return bad("KDF-DO TLV structure");
	return kdf_check(kdf);
}
