/* opgp_import.c — key import with PUT DATA (odd INS DB, 3FFF) and the extended header list 4D:
 * CRT, 7F48 (tag + length list), 5F48 (the concatenated values). PW3 must be verified. */
#include <string.h>

#include "buf.h"
#include "card.h"
#include "log.h"
#include "opgp_int.h"
#include "sk_err.h"
#include "tlv.h"

struct part {
	uint32_t tag;
	const uint8_t *p;
	size_t n;
};

static size_t collect_parts(const struct opgp_privkey *k, struct part parts[3])
{
	if (k->algo_id == OPGP_ALGO_ID_RSA) {
		parts[0] = (struct part){ 0x91, k->e, k->e_len };
		parts[1] = (struct part){ 0x92, k->p, k->p_len };
		parts[2] = (struct part){ 0x93, k->q, k->q_len };
		return 3;
	}
	parts[0] = (struct part){ 0x92, k->scalar, k->scalar_len };
	if (k->pub == NULL || k->pub_len == 0)
		return 1;
	parts[1] = (struct part){ 0x99, k->pub, k->pub_len };
	return 2;
}

static int build_4d(enum opgp_key key, const struct part *parts, size_t np, struct sk_buf *b)
{
	uint8_t crt[2] = { opgp_crt_tag(key), 0x00 };
	size_t m4d, m, i;
	int r;

	if ((r = sk_tlv_begin(b, 0x4D, &m4d)) != 0 || (r = sk_buf_put(b, crt, sizeof(crt))) != 0 ||
	    (r = sk_tlv_begin(b, 0x7F48, &m)) != 0)
		return r;
	for (i = 0; i < np; i++)
		if ((r = sk_dol_put(b, parts[i].tag, parts[i].n)) != 0)
			return r;
	if ((r = sk_tlv_end(b, m)) != 0 || (r = sk_tlv_begin(b, 0x5F48, &m)) != 0)
		return r;
	for (i = 0; i < np; i++)
		if ((r = sk_buf_put(b, parts[i].p, parts[i].n)) != 0)
			return r;
	if ((r = sk_tlv_end(b, m)) != 0)
		return r;
	return sk_tlv_end(b, m4d);
}

static int check_privkey(const struct opgp_privkey *k)
{
	if (k->algo_id == OPGP_ALGO_ID_RSA)
		return k->e != NULL && k->p != NULL && k->q != NULL && k->e_len > 0 &&
		    k->p_len > 0 && k->q_len > 0 && k->p_len <= 256 && k->q_len <= 256 &&
		    k->e_len <= 8 ? 0 : SK_ERR_ARG;
	if (k->algo_id != OPGP_ALGO_ID_ECDH && k->algo_id != OPGP_ALGO_ID_ECDSA &&
	    k->algo_id != OPGP_ALGO_ID_EDDSA)
		return SK_ERR_ARG;
	return k->scalar != NULL && k->scalar_len > 0 && k->scalar_len <= 66 &&
	    k->pub_len <= 133 ? 0 : SK_ERR_ARG;
}

int opgp_import_key(struct sk_card *card, enum opgp_key key, const struct opgp_privkey *k)
{
	struct part parts[3];
	struct sk_buf *b = NULL;
	int r;

	if (card == NULL || k == NULL || opgp_crt_tag(key) == 0 || check_privkey(k) != 0)
		return SK_ERR_ARG;
	if ((b = sk_buf_new_secure(2048)) == NULL)
		return SK_ERR_NOMEM;
	if ((r = build_4d(key, parts, collect_parts(k, parts), b)) != 0) {
		sk_debug("openpgp: building the key import template failed: %s", sk_strerror(r));
		goto out;
	}
	r = opgp_cmd(card, "PUT DATA (key import)", 0xDB, 0x3F, 0xFF, sk_buf_ptr(b), sk_buf_len(b),
	    0, SK_APDU_SECRET, NULL, NULL);
out:
	sk_buf_free(&b);
	return r;
}
