/* opgp_key.c — public keys of the three slots: 7F49 parsing, reading, algorithm attributes,
 * on-card generation (with gpg-compatible fingerprint and timestamp written back). */
#include <string.h>
#include <time.h>

#include "buf.h"
#include "card.h"
#include "log.h"
#include "opgp_int.h"
#include "sk_err.h"
#include "tlv.h"

static int bad(const char *why)
{
	sk_debug("openpgp: malformed public key: %s", why);
	return SK_ERR_BAD_RESPONSE;
}

static int parse_rsa(const uint8_t *p, size_t n, struct opgp_pubkey *pk)
{
	struct sk_tlv tn, te;

	if (sk_tlv_find(p, n, 0x81, 0, &tn) != 0 || sk_tlv_find(p, n, 0x82, 0, &te) != 0)
		return bad("RSA modulus 81 or exponent 82 missing");
	if (tn.len == 0 || tn.len > sizeof(pk->n) || te.len == 0 || te.len > sizeof(pk->e))
		return bad("RSA value sizes");
	memcpy(pk->n, tn.value, tn.len);
	pk->n_len = tn.len;
	memcpy(pk->e, te.value, te.len);
	pk->e_len = te.len;
	return 0;
}

static size_t curve_point_len(enum opgp_curve curve)
{
	switch (curve) {
	case OPGP_CURVE_P256: return 65;
	case OPGP_CURVE_P384: return 97;
	case OPGP_CURVE_ED25519: case OPGP_CURVE_X25519: return 32;
	default: return 0;
	}
}

static int parse_ecc(const uint8_t *p, size_t n, struct opgp_pubkey *pk)
{
	struct sk_tlv t;
	const uint8_t *v;
	size_t len, want = curve_point_len(pk->curve);

	if (sk_tlv_find(p, n, 0x86, 0, &t) != 0)
		return bad("EC point 86 missing");
	v = t.value;
	len = t.len;
	if (want == 32 && len == 33 && v[0] == 0x40) {   /* native point with the MPI prefix */
		v++;
		len--;
	}
	if (want != 0 && len != want)
		return bad("EC point length does not fit the curve");
	if (want > 32 && v[0] != 0x04)
		return bad("EC point is not uncompressed");
	if (len == 0 || len > sizeof(pk->point))
		return bad("EC point size");
	memcpy(pk->point, v, len);
	pk->point_len = len;
	return 0;
}

int opgp_parse_pubkey(const uint8_t *p, size_t n, const struct opgp_algo_attr *a,
    struct opgp_pubkey *pk)
{
	struct sk_tlv outer;

	if (pk == NULL || a == NULL || (p == NULL && n != 0))
		return SK_ERR_ARG;
	memset(pk, 0, sizeof(*pk));
	if (sk_tlv_parse_one(p, n, &outer) != 0 || outer.tag != 0x7F49)
		return bad("not one 7F49 template");
	pk->algo_id = a->id;
	pk->curve = a->curve;
	switch (a->id) {
	case OPGP_ALGO_ID_RSA:
		return parse_rsa(outer.value, outer.len, pk);
	case OPGP_ALGO_ID_ECDH: case OPGP_ALGO_ID_ECDSA: case OPGP_ALGO_ID_EDDSA:
		return parse_ecc(outer.value, outer.len, pk);
	default:
		return SK_ERR_UNSUPPORTED;
	}
}

static int gen_cmd(struct sk_card *card, enum opgp_key key, uint8_t p1,
    const struct opgp_algo_attr *a, struct opgp_pubkey *pk)
{
	uint8_t crt[2] = { opgp_crt_tag(key), 0x00 };
	struct sk_buf *b = NULL;
	int r;

	if ((b = sk_buf_new(OPGP_RSP_MAX)) == NULL)
		return SK_ERR_NOMEM;
	r = opgp_cmd(card, p1 == 0x80 ? "GENERATE KEY" : "READ PUBLIC KEY", 0x47, p1, 0x00, crt,
	    sizeof(crt), SK_LE_MAX, 0, b, NULL);
	if (r == 0)
		r = opgp_parse_pubkey(sk_buf_ptr(b), sk_buf_len(b), a, pk);
	sk_buf_free(&b);
	return r;
}

static int check_key(enum opgp_key key)
{
	return key == OPGP_KEY_SIG || key == OPGP_KEY_DEC || key == OPGP_KEY_AUT ? 0 : SK_ERR_ARG;
}

int opgp_read_pubkey(struct sk_card *card, enum opgp_key key, struct opgp_pubkey *pk)
{
	struct opgp_algo_attr a;
	int r;

	if (pk != NULL)
		memset(pk, 0, sizeof(*pk));
	if (card == NULL || pk == NULL || check_key(key) != 0)
		return SK_ERR_ARG;
	if ((r = sk_card_begin(card)) != 0)
		return r;
	if ((r = opgp_read_algo_attr(card, key, &a)) == 0)
		r = gen_cmd(card, key, 0x81, &a, pk);
	(void)sk_card_end(card);
	return r;
}

/* Algorithm attribute bytes for a slot. */
static int algo_bytes(enum opgp_key key, enum opgp_algo algo, uint8_t *out, size_t *len)
{
	static const uint8_t rsa2048[] = { 0x01, 0x08, 0x00, 0x00, 0x20, 0x00 };
	static const uint8_t rsa4096[] = { 0x01, 0x10, 0x00, 0x00, 0x20, 0x00 };
	enum opgp_curve curve;
	const uint8_t *oid;
	size_t oid_len;

	switch (algo) {
	case OPGP_ALGO_RSA2048: memcpy(out, rsa2048, *len = sizeof(rsa2048)); return 0;
	case OPGP_ALGO_RSA4096: memcpy(out, rsa4096, *len = sizeof(rsa4096)); return 0;
	case OPGP_ALGO_P256: curve = OPGP_CURVE_P256; break;
	case OPGP_ALGO_P384: curve = OPGP_CURVE_P384; break;
	case OPGP_ALGO_ED25519: curve = OPGP_CURVE_ED25519; break;
	case OPGP_ALGO_X25519: curve = OPGP_CURVE_X25519; break;
	default: return SK_ERR_ARG;
	}
	if ((curve == OPGP_CURVE_ED25519 && key == OPGP_KEY_DEC) ||
	    (curve == OPGP_CURVE_X25519 && key != OPGP_KEY_DEC))
		return SK_ERR_UNSUPPORTED;
	oid = opgp_curve_oid(curve, &oid_len);
	if (key == OPGP_KEY_DEC)
		out[0] = OPGP_ALGO_ID_ECDH;
	else
		out[0] = curve == OPGP_CURVE_ED25519 ? OPGP_ALGO_ID_EDDSA : OPGP_ALGO_ID_ECDSA;
	memcpy(out + 1, oid, oid_len);
	*len = 1 + oid_len;
	return 0;
}

int opgp_set_algo_attr(struct sk_card *card, enum opgp_key key, enum opgp_algo algo)
{
	uint8_t attr[32];
	size_t len = 0;
	int r;

	if (card == NULL || check_key(key) != 0)
		return SK_ERR_ARG;
	if ((r = algo_bytes(key, algo, attr, &len)) != 0) {
		sk_info("openpgp: algorithm %d not possible in slot %d", (int)algo, (int)key);
		return r;
	}
	return opgp_put_data(card, (uint16_t)(0xC1 + key), attr, len);
}

int opgp_write_fpr(struct sk_card *card, enum opgp_key key, const uint8_t fpr[20],
    uint32_t created)
{
	uint8_t ts[4] = { (uint8_t)(created >> 24), (uint8_t)(created >> 16),
		(uint8_t)(created >> 8), (uint8_t)created };
	int r;

	if (card == NULL || fpr == NULL || check_key(key) != 0)
		return SK_ERR_ARG;
	if ((r = opgp_put_data(card, (uint16_t)(0xC7 + key), fpr, 20)) != 0)
		return r;
	return opgp_put_data(card, (uint16_t)(0xCE + key), ts, sizeof(ts));
}

/* PW3 must be verified (in the caller's transaction): no SELECT here, it would drop that. */
int opgp_generate(struct sk_card *card, enum opgp_key key, uint32_t created,
    struct opgp_pubkey *pk)
{
	struct opgp_algo_attr a;
	uint8_t fpr[20];
	int r;

	if (pk != NULL)
		memset(pk, 0, sizeof(*pk));
	if (card == NULL || pk == NULL || check_key(key) != 0)
		return SK_ERR_ARG;
	if (created == 0)
		created = (uint32_t)time(NULL);
	if ((r = sk_card_begin(card)) != 0)
		return r;
	if ((r = opgp_read_algo_attr(card, key, &a)) != 0 ||
	    (r = gen_cmd(card, key, 0x80, &a, pk)) != 0)
		goto out;
	if ((r = opgp_fingerprint_v4(pk, created, fpr)) != 0) {
		sk_warn("openpgp: generated key in slot %d has no computable fingerprint", (int)key);
		goto out;
	}
	r = opgp_write_fpr(card, key, fpr, created);
out:
	(void)sk_card_end(card);
	return r;
}
