/* oath.c — YKOATH commands. The applet continues long answers with SEND REMAINING (INS A5),
 * not GET RESPONSE, so these exchanges go straight to the card's transmit function (inside a
 * card transaction) instead of through sk_card_apdu's 61xx handling. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "buf.h"
#include "card.h"
#include "log.h"
#include "otp.h"
#include "secmem.h"
#include "sk_err.h"
#include "tlv.h"

static const uint8_t oath_aid[7] = { 0xA0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01 };

#define OATH_RSP_MAX 8192u
#define OATH_ROUNDS_MAX 64

static int raw_xfer(struct sk_card *card, const uint8_t *cmd, size_t n, struct sk_buf *rsp,
    uint16_t *sw)
{
	const struct sk_card_ops *ops = sk_card_ops(card);
	uint8_t buf[258];
	size_t len = sizeof(buf);
	int r;

	if ((r = ops->transmit(sk_card_io(card), cmd, n, buf, &len)) != 0)
		return r;
	if (len < 2 || len > sizeof(buf))
		return SK_ERR_BAD_RESPONSE;
	*sw = (uint16_t)(buf[len - 2] << 8 | buf[len - 1]);
	r = sk_buf_put(rsp, buf, len - 2);
	sk_wipe(buf, sizeof(buf));
	return r;
}

/* One command (short APDU, CLA 00) plus SEND REMAINING rounds. 0 only for 9000. */
static int oath_cmd(struct sk_card *card, const char *what, uint8_t ins, uint8_t p1, uint8_t p2,
    const uint8_t *data, size_t lc, struct sk_buf *rsp)
{
	static const uint8_t remaining[4] = { 0x00, 0xA5, 0x00, 0x00 };
	uint8_t cmd[5 + 255];
	uint16_t sw = 0;
	size_t n = 4;
	int r, rounds = 0;

	if (card == NULL || lc > 255 || (data == NULL && lc != 0))
		return SK_ERR_ARG;
	cmd[0] = 0x00;
	cmd[1] = ins;
	cmd[2] = p1;
	cmd[3] = p2;
	if (lc > 0) {
		cmd[4] = (uint8_t)lc;
		memcpy(cmd + 5, data, lc);
		n = 5 + lc;
	}
	sk_buf_reset(rsp);
	if ((r = sk_card_begin(card)) != 0)
		return r;
	r = raw_xfer(card, cmd, n, rsp, &sw);
	while (r == 0 && (sw >> 8) == 0x61 && ++rounds < OATH_ROUNDS_MAX)
		r = raw_xfer(card, remaining, sizeof(remaining), rsp, &sw);
	(void)sk_card_end(card);
	sk_wipe(cmd, sizeof(cmd));
	if (r != 0) {
		sk_debug("oath: %s: %s", what, sk_strerror(r));
		return r;
	}
	if (sw == 0x9000)
		return 0;
	sk_debug("oath: %s: card answered %04X", what, sw);
	return (sw >> 8) == 0x61 ? SK_ERR_TOOBIG : sk_sw_to_err(sw);
}

int oath_select(struct sk_card *card, struct oath_info *info)
{
	struct oath_info tmp;
	struct sk_buf *b = NULL;
	int r;

	if (info == NULL)
		info = &tmp;
	memset(info, 0, sizeof(*info));
	if ((b = sk_buf_new(OATH_RSP_MAX)) == NULL)
		return SK_ERR_NOMEM;
	if ((r = oath_cmd(card, "SELECT", 0xA4, 0x04, 0x00, oath_aid, sizeof(oath_aid), b)) == 0)
		r = oath_parse_select(sk_buf_ptr(b), sk_buf_len(b), info);
	sk_buf_free(&b);
	return r;
}

static int hmac_sha1(const uint8_t *key, size_t klen, const uint8_t *msg, size_t n,
    uint8_t out[20])
{
	unsigned int len = 0;

	if (HMAC(EVP_sha1(), key, (int)klen, msg, n, out, &len) == NULL || len != 20)
		return SK_ERR_CRYPTO;
	return 0;
}

static int validate_with_key(struct sk_card *card, const struct oath_info *info,
    const uint8_t key[16])
{
	uint8_t mine[8], resp[20], expect[20];
	struct sk_buf *b = NULL, *rsp = NULL;
	struct sk_tlv t;
	int r;

	if ((b = sk_buf_new(64)) == NULL || (rsp = sk_buf_new(OATH_RSP_MAX)) == NULL) {
		r = SK_ERR_NOMEM;
		goto out;
	}
	if (RAND_bytes(mine, sizeof(mine)) != 1 ||
	    (r = hmac_sha1(key, 16, info->challenge, 8, resp)) != 0 ||
	    (r = hmac_sha1(key, 16, mine, sizeof(mine), expect)) != 0) {
		r = SK_ERR_CRYPTO;
		goto out;
	}
	if ((r = sk_tlv_put(b, 0x75, resp, sizeof(resp))) != 0 ||
	    (r = sk_tlv_put(b, 0x74, mine, sizeof(mine))) != 0 ||
	    (r = oath_cmd(card, "VALIDATE", 0xA3, 0, 0, sk_buf_ptr(b), sk_buf_len(b), rsp)) != 0)
		goto out;
	if (sk_tlv_parse_one(sk_buf_ptr(rsp), sk_buf_len(rsp), &t) != 0 || t.tag != 0x75 ||
	    t.len != 20 || CRYPTO_memcmp(t.value, expect, 20) != 0) {
		sk_warn("oath: the applet's VALIDATE answer does not prove the key");
		r = SK_ERR_CRYPTO;
	}
out:
	sk_wipe(resp, sizeof(resp));
	sk_wipe(expect, sizeof(expect));
	sk_buf_free(&b);
	sk_buf_free(&rsp);
	return r;
}

int oath_validate(struct sk_card *card, const struct oath_info *info, const char *password,
    size_t len)
{
	uint8_t key[16];
	int r;

	if (card == NULL || info == NULL || password == NULL || !info->has_challenge)
		return SK_ERR_ARG;
	if (PKCS5_PBKDF2_HMAC_SHA1(password, (int)len, info->salt, sizeof(info->salt), 1000,
	    sizeof(key), key) != 1)
		return SK_ERR_CRYPTO;
	r = validate_with_key(card, info, key);
	sk_wipe(key, sizeof(key));
	return r;
}

static int put_name(struct sk_buf *b, const char *name)
{
	size_t n = name == NULL ? 0 : strlen(name);

	if (n == 0 || n > OATH_NAME_MAX)
		return SK_ERR_ARG;
	return sk_tlv_put(b, 0x71, name, n);
}

int oath_put(struct sk_card *card, const char *name, uint8_t type, uint8_t algo, uint8_t digits,
    const uint8_t *secret, size_t secret_len, uint32_t counter)
{
	struct sk_buf *b = NULL, *rsp = NULL;
	uint8_t key[2 + 64], imf[4];
	size_t klen = secret_len < 14 ? 14 : secret_len;
	int r;

	if (secret == NULL || secret_len == 0 || secret_len > 64 || digits < 6 || digits > 8 ||
	    (type != OATH_TYPE_HOTP && type != OATH_TYPE_TOTP) || algo < 1 || algo > 3)
		return SK_ERR_ARG;
	memset(key, 0, sizeof(key));
	key[0] = (uint8_t)(type | algo);
	key[1] = digits;
	memcpy(key + 2, secret, secret_len);
	if ((b = sk_buf_new_secure(256)) == NULL || (rsp = sk_buf_new(64)) == NULL) {
		r = SK_ERR_NOMEM;
		goto out;
	}
	imf[0] = (uint8_t)(counter >> 24);
	imf[1] = (uint8_t)(counter >> 16);
	imf[2] = (uint8_t)(counter >> 8);
	imf[3] = (uint8_t)counter;
	if ((r = put_name(b, name)) != 0 || (r = sk_tlv_put(b, 0x73, key, 2 + klen)) != 0 ||
	    (counter != 0 && (r = sk_tlv_put(b, 0x7A, imf, sizeof(imf))) != 0))
		goto out;
	r = oath_cmd(card, "PUT", 0x01, 0, 0, sk_buf_ptr(b), sk_buf_len(b), rsp);
out:
	sk_wipe(key, sizeof(key));
	sk_buf_free(&b);
	sk_buf_free(&rsp);
	return r;
}

int oath_delete(struct sk_card *card, const char *name)
{
	struct sk_buf *b = NULL;
	int r;

	if ((b = sk_buf_new(OATH_RSP_MAX)) == NULL)
		return SK_ERR_NOMEM;
	if ((r = put_name(b, name)) == 0) {
		uint8_t tmp[2 + OATH_NAME_MAX];
		size_t n = sk_buf_len(b);

		memcpy(tmp, sk_buf_ptr(b), n);
		r = oath_cmd(card, "DELETE", 0x02, 0, 0, tmp, n, b);
	}
	sk_buf_free(&b);
	return r;
}

int oath_rename(struct sk_card *card, const char *from, const char *to)
{
	struct sk_buf *b = NULL, *rsp = NULL;
	int r;

	if ((b = sk_buf_new(256)) == NULL || (rsp = sk_buf_new(64)) == NULL) {
		r = SK_ERR_NOMEM;
		goto out;
	}
	if ((r = put_name(b, from)) == 0 && (r = put_name(b, to)) == 0)
		r = oath_cmd(card, "RENAME", 0x05, 0, 0, sk_buf_ptr(b), sk_buf_len(b), rsp);
out:
	sk_buf_free(&b);
	sk_buf_free(&rsp);
	return r;
}

int oath_list(struct sk_card *card, struct oath_cred **creds, size_t *n)
{
	struct sk_buf *b = NULL;
	int r;

	*creds = NULL;
	*n = 0;
	if ((b = sk_buf_new(OATH_RSP_MAX)) == NULL)
		return SK_ERR_NOMEM;
	if ((r = oath_cmd(card, "LIST", 0xA1, 0, 0, NULL, 0, b)) == 0)
		r = oath_parse_list(sk_buf_ptr(b), sk_buf_len(b), creds, n);
	sk_buf_free(&b);
	return r;
}

static void be64(uint64_t v, uint8_t out[8])
{
	for (int i = 7; i >= 0; i--) {
		out[i] = (uint8_t)v;
		v >>= 8;
	}
}

static int parse_full(const struct sk_buf *rsp, uint32_t *code, uint8_t *digits)
{
	struct sk_tlv t;

	if (sk_tlv_parse_one(sk_buf_ptr(rsp), sk_buf_len(rsp), &t) != 0 || t.tag != 0x75 ||
	    t.len < 21) {
		sk_debug("oath: CALCULATE answer is not one 75 TLV");
		return SK_ERR_BAD_RESPONSE;
	}
	*digits = t.value[0];
	return oath_truncate(t.value + 1, t.len - 1, *digits, code) == 0 ? 0 : SK_ERR_BAD_RESPONSE;
}

int oath_calculate(struct sk_card *card, const char *name, uint8_t type, uint64_t counter,
    uint32_t *code, uint8_t *digits)
{
	struct sk_buf *b = NULL, *rsp = NULL;
	uint8_t chal[8];
	int r;

	*code = 0;
	*digits = 0;
	if ((b = sk_buf_new(256)) == NULL || (rsp = sk_buf_new(OATH_RSP_MAX)) == NULL) {
		r = SK_ERR_NOMEM;
		goto out;
	}
	be64(counter, chal);
	if ((r = put_name(b, name)) != 0 ||
	    (r = sk_tlv_put(b, 0x74, chal, type == OATH_TYPE_HOTP ? 0 : sizeof(chal))) != 0 ||
	    (r = oath_cmd(card, "CALCULATE", 0xA2, 0x00, 0x00, sk_buf_ptr(b), sk_buf_len(b),
	    rsp)) != 0)
		goto out;
	r = parse_full(rsp, code, digits);
out:
	sk_buf_free(&b);
	sk_buf_free(&rsp);
	return r;
}

int oath_calculate_all(struct sk_card *card, uint64_t step, struct oath_cred **creds, size_t *n)
{
	struct sk_buf *b = NULL;
	uint8_t cmd[10];
	int r;

	*creds = NULL;
	*n = 0;
	cmd[0] = 0x74;
	cmd[1] = 8;
	be64(step, cmd + 2);
	if ((b = sk_buf_new(OATH_RSP_MAX)) == NULL)
		return SK_ERR_NOMEM;
	if ((r = oath_cmd(card, "CALCULATE ALL", 0xA4, 0x00, 0x01, cmd, sizeof(cmd), b)) == 0)
		r = oath_parse_calc_all(sk_buf_ptr(b), sk_buf_len(b), creds, n);
	sk_buf_free(&b);
	return r;
}
