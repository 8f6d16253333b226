/* opgp_ops.c — private key operations (PSO:CDS, PSO:DECIPHER, INTERNAL AUTHENTICATE),
 * GET CHALLENGE, certificates via SELECT DATA, private DOs. These assume the applet is selected
 * and the PIN verified by the caller (a SELECT here would drop the PIN state). */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "card.h"
#include "log.h"
#include "opgp_int.h"
#include "secmem.h"
#include "sk_err.h"
#include "tlv.h"

#define OPGP_IN_MAX 4096u

/* Sends one command whose answer is returned in a malloc'ed block. */
static int cmd_out(struct sk_card *card, const char *what, uint8_t ins, uint8_t p1, uint8_t p2,
    const uint8_t *in, size_t in_len, unsigned flags, uint8_t **out, size_t *out_len)
{
	struct sk_buf *b = NULL;
	int r;

	if (out != NULL)
		*out = NULL;
	if (out_len != NULL)
		*out_len = 0;
	if (card == NULL || out == NULL || out_len == NULL || (in == NULL && in_len != 0) ||
	    in_len > OPGP_IN_MAX)
		return SK_ERR_ARG;
	if ((b = sk_buf_new(OPGP_RSP_MAX)) == NULL)
		return SK_ERR_NOMEM;
	if ((r = opgp_cmd(card, what, ins, p1, p2, in, in_len, SK_LE_MAX, flags, b, NULL)) != 0)
		goto out;
	if (sk_buf_len(b) == 0) {
		sk_debug("openpgp: %s answered no data", what);
		r = SK_ERR_BAD_RESPONSE;
		goto out;
	}
	r = opgp_buf_dup(b, out, out_len);
out:
	sk_buf_free(&b);   /* wipes */
	return r;
}

int opgp_sign(struct sk_card *card, const uint8_t *in, size_t in_len, uint8_t **sig,
    size_t *sig_len)
{
	if (in_len == 0)
		return SK_ERR_ARG;
	return cmd_out(card, "PSO:CDS", 0x2A, 0x9E, 0x9A, in, in_len, 0, sig, sig_len);
}

int opgp_internal_auth(struct sk_card *card, const uint8_t *in, size_t in_len, uint8_t **sig,
    size_t *sig_len)
{
	if (in_len == 0)
		return SK_ERR_ARG;
	return cmd_out(card, "INTERNAL AUTHENTICATE", 0x88, 0x00, 0x00, in, in_len, 0, sig, sig_len);
}

int opgp_decipher_rsa(struct sk_card *card, const uint8_t *in, size_t in_len, uint8_t **out,
    size_t *out_len)
{
	uint8_t *blk = NULL;
	int r;

	if (in == NULL || in_len == 0 || in_len > 512)
		return SK_ERR_ARG;
	if ((blk = malloc(in_len + 1)) == NULL)
		return SK_ERR_NOMEM;
	blk[0] = 0x00;   /* padding indicator */
	memcpy(blk + 1, in, in_len);
	r = cmd_out(card, "PSO:DECIPHER", 0x2A, 0x80, 0x86, blk, in_len + 1, SK_APDU_SECRET, out,
	    out_len);
	free(blk);
	return r;
}

int opgp_decipher_ecdh(struct sk_card *card, const uint8_t *point, size_t point_len,
    uint8_t **out, size_t *out_len)
{
	struct sk_buf *b = NULL;
	size_t m1, m2;
	int r;

	if (point == NULL || point_len == 0 || point_len > 133)
		return SK_ERR_ARG;
	if (point_len == 33 && point[0] == 0x40) {   /* gpg's native-point MPI prefix (X25519) */
		point++;
		point_len--;
	}
	if ((b = sk_buf_new(256)) == NULL)
		return SK_ERR_NOMEM;
	if ((r = sk_tlv_begin(b, 0xA6, &m1)) != 0 || (r = sk_tlv_begin(b, 0x7F49, &m2)) != 0 ||
	    (r = sk_tlv_put(b, 0x86, point, point_len)) != 0 || (r = sk_tlv_end(b, m2)) != 0 ||
	    (r = sk_tlv_end(b, m1)) != 0)
		goto out;
	r = cmd_out(card, "PSO:DECIPHER (ECDH)", 0x2A, 0x80, 0x86, sk_buf_ptr(b), sk_buf_len(b),
	    SK_APDU_SECRET, out, out_len);
out:
	sk_buf_free(&b);
	return r;
}

int opgp_get_challenge(struct sk_card *card, uint8_t *buf, size_t n)
{
	struct sk_buf *b = NULL;
	int r;

	if (card == NULL || buf == NULL || n == 0 || n > SK_LE_MAX)
		return SK_ERR_ARG;
	if ((b = sk_buf_new(n)) == NULL)
		return SK_ERR_NOMEM;
	if ((r = opgp_cmd(card, "GET CHALLENGE", 0x84, 0, 0, NULL, 0, n, 0, b, NULL)) != 0)
		goto out;
	if (sk_buf_len(b) != n) {
		sk_debug("openpgp: GET CHALLENGE gave %zu bytes, not %zu", sk_buf_len(b), n);
		r = SK_ERR_BAD_RESPONSE;
		goto out;
	}
	memcpy(buf, sk_buf_ptr(b), n);
out:
	sk_buf_free(&b);
	return r;
}

/* 7F21 occurs three times: AUT first, then DEC, then SIG. */
static int select_cert(struct sk_card *card, enum opgp_key key)
{
	static const uint8_t sel[] = { 0x60, 0x04, 0x5C, 0x02, 0x7F, 0x21 };
	uint8_t occ;

	switch (key) {
	case OPGP_KEY_AUT: occ = 0; break;
	case OPGP_KEY_DEC: occ = 1; break;
	case OPGP_KEY_SIG: occ = 2; break;
	default: return SK_ERR_ARG;
	}
	return opgp_cmd(card, "SELECT DATA", 0xA5, occ, 0x04, sel, sizeof(sel), 0, 0, NULL, NULL);
}

int opgp_read_cert(struct sk_card *card, enum opgp_key key, uint8_t **out, size_t *out_len)
{
	int r;

	if (out != NULL)
		*out = NULL;
	if (out_len != NULL)
		*out_len = 0;
	if (card == NULL || out == NULL || out_len == NULL)
		return SK_ERR_ARG;
	if ((r = sk_card_begin(card)) != 0)
		return r;
	if ((r = select_cert(card, key)) == 0)
		r = opgp_get_data(card, 0x7F21, out, out_len);
	(void)sk_card_end(card);
	return r;
}

int opgp_write_cert(struct sk_card *card, enum opgp_key key, const uint8_t *p, size_t n)
{
	int r;

	if (card == NULL || (p == NULL && n != 0))
		return SK_ERR_ARG;
	if ((r = sk_card_begin(card)) != 0)
		return r;
	if ((r = select_cert(card, key)) == 0)
		r = opgp_put_data(card, 0x7F21, p, n);
	(void)sk_card_end(card);
	return r;
}

static int private_tag(int num, uint16_t *tag)
{
	if (num < 1 || num > 4)
		return SK_ERR_ARG;
	*tag = (uint16_t)(0x0100 + num);
	return 0;
}

int opgp_read_private_do(struct sk_card *card, int num, uint8_t **out, size_t *out_len)
{
	uint16_t tag;
	int r;

	if (out != NULL)
		*out = NULL;
	if (out_len != NULL)
		*out_len = 0;
	if ((r = private_tag(num, &tag)) != 0)
		return r;
	return opgp_get_data(card, tag, out, out_len);
}

int opgp_write_private_do(struct sk_card *card, int num, const uint8_t *p, size_t n)
{
	uint16_t tag;
	int r;

	if ((r = private_tag(num, &tag)) != 0)
		return r;
	return opgp_put_data(card, tag, p, n);
}
