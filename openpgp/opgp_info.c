/* opgp_info.c — reading everything a client wants to know about the OpenPGP application in one
 * transaction: 6E, 65, 5F50, 5E, 7A and (when supported) F9 and 7F66. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "card.h"
#include "log.h"
#include "opgp_int.h"
#include "sk_err.h"

typedef int (*do_parser)(const uint8_t *p, size_t n, struct opgp_info *info);

static __thread char read_error[160];

const char *opgp_read_info_error(void)
{
	return read_error;
}

/* Remembers why reading DO tag failed: a refused structure or the card's status. */
static int note_error(uint16_t tag, int r, int parsed)
{
	if (parsed && r == SK_ERR_BAD_RESPONSE && opgp_parse_why != NULL)
		snprintf(read_error, sizeof(read_error), "DO %02X: %s", tag, opgp_parse_why);
	else
		snprintf(read_error, sizeof(read_error), "GET DATA %02X: %s", tag, sk_strerror(r));
	return r;
}

/* GET DATA of an optional DO: absent (6A88 / 6A82) is fine and leaves info untouched. */
static int read_optional(struct sk_card *card, struct sk_buf *b, uint16_t tag, do_parser parse,
    struct opgp_info *info)
{
	int r = opgp_get_data_buf(card, tag, b);

	if (r == SK_ERR_NOT_FOUND) {
		sk_debug("openpgp: DO %04X absent", tag);
		return 0;
	}
	if (r != 0)
		return note_error(tag, r, 0);
	opgp_parse_why = NULL;
	if ((r = parse(sk_buf_ptr(b), sk_buf_len(b), info)) != 0)
		return note_error(tag, r, 1);
	return 0;
}

static int text_do(const uint8_t *p, size_t n, char *dst, size_t cap)
{
	if (n >= cap || memchr(p, 0, n) != NULL) {
		sk_debug("openpgp: text DO of %zu bytes rejected", n);
		return SK_ERR_BAD_RESPONSE;
	}
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 0;
}

static int parse_url(const uint8_t *p, size_t n, struct opgp_info *info)
{
	return text_do(p, n, info->url, sizeof(info->url));
}

static int parse_login(const uint8_t *p, size_t n, struct opgp_info *info)
{
	return text_do(p, n, info->login, sizeof(info->login));
}

static int parse_sst(const uint8_t *p, size_t n, struct opgp_info *info)
{
	return opgp_parse_sst(p, n, &info->sig_counter);
}

static int parse_kdf(const uint8_t *p, size_t n, struct opgp_info *info)
{
	int r = opgp_parse_kdf(p, n, &info->kdf);

	if (r == 0 && n <= sizeof(info->kdf_do)) {
		memcpy(info->kdf_do, p, n);
		info->kdf_do_len = n;
	}
	return r;
}

static int parse_ext_len(const uint8_t *p, size_t n, struct opgp_info *info)
{
	return opgp_parse_ext_len(p, n, &info->max_cmd, &info->max_rsp);
}

static void apply_ext_len(struct sk_card *card, const struct opgp_info *info)
{
	unsigned caps = SK_CAP_CHAINING;

	if (info->max_cmd == 0 || info->max_rsp == 0)
		return;
	caps |= SK_CAP_EXTENDED;
	sk_card_set_caps(card, caps, info->max_cmd, info->max_rsp);
}

static int read_app_data(struct sk_card *card, struct sk_buf *b,
    const struct opgp_read_opts *o, struct opgp_info *info)
{
	const uint8_t *p = o->app;
	size_t n = o->app_len;
	int r;

	if (p == NULL) {
		if ((r = opgp_get_data_buf(card, 0x6E, b)) != 0)
			return note_error(0x6E, r, 0);
		p = sk_buf_ptr(b);
		n = sk_buf_len(b);
	}
	opgp_parse_why = NULL;
	if ((r = opgp_parse_app_data(p, n, info)) != 0)
		return note_error(0x6E, r, 1);
	return 0;
}

static int read_all(struct sk_card *card, struct sk_buf *b, const struct opgp_read_opts *o,
    struct opgp_info *info)
{
	int r;

	/* one SELECT per transaction: identification may have made it already */
	if ((r = opgp_select_in_tx(card)) != 0) {
		snprintf(read_error, sizeof(read_error), "SELECT: %s", sk_strerror(r));
		return r;
	}
	if ((r = read_app_data(card, b, o, info)) != 0)
		return r;
	if (!o->no_static && !o->app_only &&
	    ((r = read_optional(card, b, 0x65, opgp_parse_cardholder, info)) != 0 ||
	    (r = read_optional(card, b, 0x5F50, parse_url, info)) != 0 ||
	    (r = read_optional(card, b, 0x5E, parse_login, info)) != 0))
		return r;
	if ((r = read_optional(card, b, 0x7A, parse_sst, info)) != 0 || o->app_only)
		return r;
	/* F9 whatever the capability bit says: skinkeyd verifies cached PINs with the KDF-DO read
	 * here, and a PIN sent in the wrong form costs a retry (opgp_read_pin_state reads it too) */
	if ((r = read_optional(card, b, 0xF9, parse_kdf, info)) != 0)
		return r;
	if (info->max_cmd == 0 && info->version_major >= 3 &&
	    (r = read_optional(card, b, 0x7F66, parse_ext_len, info)) != 0)
		return r;
	return 0;
}

int opgp_read_info_ex(struct sk_card *card, const struct opgp_read_opts *o,
    struct opgp_info *info)
{
	static const struct opgp_read_opts all = { NULL, 0, 0, 0 };
	struct sk_buf *b = NULL;
	int r = SK_ERR_INTERNAL, in_tx = 0;

	if (info == NULL)
		return SK_ERR_ARG;
	memset(info, 0, sizeof(*info));
	read_error[0] = '\0';
	if (card == NULL)
		return SK_ERR_ARG;
	if ((b = sk_buf_new(OPGP_RSP_MAX)) == NULL)
		return SK_ERR_NOMEM;
	if ((r = sk_card_begin(card)) != 0)
		goto out;
	in_tx = 1;
	if ((r = read_all(card, b, o != NULL ? o : &all, info)) != 0) {
		sk_debug("openpgp: reading application data failed: %s", sk_strerror(r));
		goto out;
	}
	apply_ext_len(card, info);
	r = 0;
out:
	if (in_tx)
		(void)sk_card_end(card);
	if (r != 0)
		memset(info, 0, sizeof(*info));
	sk_buf_free(&b);
	return r;
}

int opgp_read_info(struct sk_card *card, struct opgp_info *info)
{
	return opgp_read_info_ex(card, NULL, info);
}

int opgp_read_algo_attr(struct sk_card *card, enum opgp_key key, struct opgp_algo_attr *a)
{
	struct sk_buf *b = NULL;
	struct opgp_info *info = NULL;
	int r;

	memset(a, 0, sizeof(*a));
	if ((b = sk_buf_new(OPGP_RSP_MAX)) == NULL)
		return SK_ERR_NOMEM;
	r = opgp_get_data_buf(card, (uint16_t)(0xC1 + key), b);
	if (r == 0) {
		r = opgp_parse_algo_attr(sk_buf_ptr(b), sk_buf_len(b), a);
		goto out;
	}
	if (r != SK_ERR_NOT_FOUND)
		goto out;
	/* older cards only answer C1..C3 inside 6E */
	if ((info = calloc(1, sizeof(*info))) == NULL) {
		r = SK_ERR_NOMEM;
		goto out;
	}
	if ((r = opgp_get_data_buf(card, 0x6E, b)) != 0 ||
	    (r = opgp_parse_app_data(sk_buf_ptr(b), sk_buf_len(b), info)) != 0)
		goto out;
	*a = info->algo[key];
	r = a->id == 0 ? SK_ERR_BAD_RESPONSE : 0;
out:
	free(info);
	sk_buf_free(&b);
	return r;
}
