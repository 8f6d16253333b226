/* duress.c — the DuressApplet client: probe, unlock (PIN → context), admin changes. Every
 * secret-bearing APDU goes right after its SELECT in one transaction (HACKING.md rule 1);
 * nothing refused is retried (rule 2). */
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"
#include "card.h"
#include "duress.h"
#include "log.h"
#include "secmem.h"
#include "sk_err.h"

const uint8_t duress_aid[8] = { 0xF0, 0x44, 0x55, 0x52, 0x45, 0x53, 0x53, 0x01 };

#define INS_SELECT_CONTEXT 0x20
#define INS_GET_CONTEXT_ID 0x21
#define INS_CHALLENGE      0x30
#define INS_SET_KEY        0x40
#define INS_SET_PIN        0x41
#define INS_RESET_CONTEXT  0x42
#define INS_ADMIN_AUTH     0x60
#define INS_VERSION        0xFF
#define P1_ADMIN_KEY       0xAD

static const char pin_label[] = "skinkey-duress-pin";

const char *duress_ctx_name(uint8_t ctx)
{
	switch (ctx) {
	case DURESS_CTX_PRIMARY: return "primary";
	case DURESS_CTX_DECOY: return "decoy";
	case DURESS_CTX_BURN: return "burn";
	default: return "none";
	}
}

/* Sends one APDU; 0 with *sw set, or a transport SK_ERR_*. */
static int du_cmd(struct sk_card *card, const char *what, uint8_t ins, uint8_t p1,
    const uint8_t *data, size_t lc, size_t le, unsigned flags, struct sk_buf *rsp, uint16_t *sw)
{
	struct sk_apdu a = { 0x00, ins, p1, 0x00, data, lc, le, flags | SK_APDU_NO_CHAIN };
	int r;

	*sw = 0;
	if ((r = sk_card_apdu(card, &a, rsp, sw)) != 0)
		sk_debug("duress: %s: transport failed: %s", what, sk_strerror(r));
	return r;
}

/* SW of a command that is not SELECT_CONTEXT / ADMIN_AUTH. */
static int du_sw(const char *what, uint16_t sw)
{
	int r;

	if (sw == 0x9000)
		return 0;
	if (sw == 0x6985)
		r = SK_ERR_PIN_REQUIRED;
	else
		r = sk_sw_to_err(sw);
	sk_debug("duress: %s: card answered %04X (%s)", what, sw, sk_strerror(r));
	return r;
}

static int du_select(struct sk_card *card, struct sk_buf *b)
{
	uint16_t sw;
	int r;

	if ((r = du_cmd(card, "SELECT", 0xA4, 0x04, duress_aid, sizeof(duress_aid), 0, 0, b,
	    &sw)) != 0)
		return r;
	if (sw == 0x6A82 || sw == 0x6A81 || sw == 0x6D00 || sw == 0x6E00) {
		sk_debug("duress: no DuressApplet (SELECT answered %04X)", sw);
		return SK_ERR_NOT_FOUND;
	}
	/* a SELECT answered 61xx/6Cxx was followed by sk_card_apdu; anything else is refusal */
	return du_sw("SELECT", sw);
}

int duress_parse_ctx_id(const uint8_t *p, size_t n, uint8_t *ctx)
{
	if (ctx == NULL)
		return SK_ERR_ARG;
	*ctx = DURESS_CTX_NONE;
	if (p == NULL || n != 1) {
		sk_debug("duress: context id answer of %zu bytes", n);
		return SK_ERR_BAD_RESPONSE;
	}
	if (p[0] >= DURESS_NCTX && p[0] != DURESS_CTX_NONE) {
		sk_debug("duress: context id %02X out of range", p[0]);
		return SK_ERR_BAD_RESPONSE;
	}
	*ctx = p[0];
	return 0;
}

int duress_parse_version(const uint8_t *p, size_t n, struct duress_version *v)
{
	if (v == NULL)
		return SK_ERR_ARG;
	memset(v, 0, sizeof(*v));
	if (p == NULL || (n != 2 && n != 3)) {
		sk_debug("duress: version answer of %zu bytes", n);
		return SK_ERR_BAD_RESPONSE;
	}
	v->major = p[0];
	v->minor = p[1];
	v->patch = n == 3 ? p[2] : 0;
	return 0;
}

int duress_parse_mac(const uint8_t *p, size_t n, uint8_t out[DURESS_MAC_LEN])
{
	if (out == NULL)
		return SK_ERR_ARG;
	sk_wipe(out, DURESS_MAC_LEN);
	if (p == NULL || n != DURESS_MAC_LEN) {
		sk_debug("duress: CHALLENGE answer of %zu bytes", n);
		return SK_ERR_BAD_RESPONSE;
	}
	memcpy(out, p, DURESS_MAC_LEN);
	return 0;
}

int duress_pin_derive(const char *typed, size_t len, uint8_t out[DURESS_PIN_LEN])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *h = NULL;
	int r = SK_ERR_CRYPTO;

	if (out == NULL)
		return SK_ERR_ARG;
	sk_wipe(out, DURESS_PIN_LEN);
	if (typed == NULL || len == 0 || len > DURESS_TYPED_PIN_MAX) {
		sk_debug("duress: typed PIN of %zu bytes refused before the chip", len);
		return SK_ERR_PIN_FORMAT;
	}
	if ((h = EVP_MD_CTX_new()) == NULL)
		return SK_ERR_NOMEM;
	if (EVP_DigestInit_ex(h, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(h, pin_label, sizeof(pin_label)) != 1 ||
	    EVP_DigestUpdate(h, typed, len) != 1 || EVP_DigestFinal_ex(h, md, &mdlen) != 1 ||
	    mdlen < DURESS_PIN_LEN) {
		sk_debug("duress: SHA-256 failed");
		goto out;
	}
	memcpy(out, md, DURESS_PIN_LEN);
	r = 0;
out:
	sk_wipe(md, sizeof(md));
	EVP_MD_CTX_free(h);
	return r;
}

int duress_probe(struct sk_card *card, struct duress_version *v)
{
	struct duress_version tmp;
	struct sk_buf *b = NULL;
	uint16_t sw;
	int r, began = 0;

	if (v == NULL)
		v = &tmp;
	memset(v, 0, sizeof(*v));
	if (card == NULL)
		return SK_ERR_ARG;
	if ((b = sk_buf_new(16)) == NULL)
		return SK_ERR_NOMEM;
	if ((r = sk_card_begin(card)) != 0)
		goto out;
	began = 1;
	if ((r = du_select(card, b)) != 0)
		goto out;
	if ((r = du_cmd(card, "VERSION", INS_VERSION, 0x00, NULL, 0, 256, 0, b, &sw)) != 0 ||
	    (r = du_sw("VERSION", sw)) != 0)
		goto out;
	r = duress_parse_version(sk_buf_ptr(b), sk_buf_len(b), v);
out:
	if (began)
		(void)sk_card_end(card);
	sk_buf_free(&b);
	return r;
}

int duress_unlock(struct sk_card *card, const uint8_t pin[DURESS_PIN_LEN], const uint8_t *chal,
    size_t chal_len, uint8_t mac[DURESS_MAC_LEN], uint8_t *ctx)
{
	struct sk_buf *b = NULL;
	uint16_t sw;
	int r, began = 0;

	if (ctx != NULL)
		*ctx = DURESS_CTX_NONE;
	if (mac != NULL)
		sk_wipe(mac, DURESS_MAC_LEN);
	if (card == NULL || pin == NULL || ctx == NULL ||
	    (chal != NULL && (chal_len == 0 || chal_len > DURESS_CHAL_MAX || mac == NULL)))
		return SK_ERR_ARG;
	if ((b = sk_buf_new(64)) == NULL)
		return SK_ERR_NOMEM;
	if ((r = sk_card_begin(card)) != 0)
		goto out;
	began = 1;
	if ((r = du_select(card, b)) != 0)
		goto out;
	if (!sk_card_selected_in_tx(card, duress_aid, sizeof(duress_aid)) ||
	    !sk_card_just_selected(card, duress_aid, sizeof(duress_aid))) {
		sk_warn("duress: applet not selected in this transaction: PIN not sent");
		r = SK_ERR_INTERNAL;
		goto out;
	}
	if ((r = du_cmd(card, "SELECT_CONTEXT", INS_SELECT_CONTEXT, 0x00, pin, DURESS_PIN_LEN, 0,
	    SK_APDU_SECRET, b, &sw)) != 0)
		goto out;
	if (sw == 0x6982) {
		sk_info("duress: PIN refused (every context's counter decremented)");
		r = SK_ERR_PIN_WRONG;
		goto out;
	}
	if (sw == 0x6983) {
		sk_info("duress: context blocked");
		r = SK_ERR_PIN_BLOCKED;
		goto out;
	}
	if ((r = du_sw("SELECT_CONTEXT", sw)) != 0)
		goto out;
	/* the answer is what a duress unlock must never show, in a trace least of all */
	if ((r = du_cmd(card, "GET_CONTEXT_ID", INS_GET_CONTEXT_ID, 0x00, NULL, 0, 256,
	    SK_APDU_SECRET, b, &sw)) != 0 || (r = du_sw("GET_CONTEXT_ID", sw)) != 0 ||
	    (r = duress_parse_ctx_id(sk_buf_ptr(b), sk_buf_len(b), ctx)) != 0)
		goto out;
	if (*ctx == DURESS_CTX_NONE) {
		sk_warn("duress: SELECT_CONTEXT said yes but no context is active");
		r = SK_ERR_BAD_RESPONSE;
		goto out;
	}
	if (chal != NULL) {
		if ((r = du_cmd(card, "CHALLENGE", INS_CHALLENGE, 0x00, chal, chal_len, 256,
		    SK_APDU_SECRET, b, &sw)) != 0 || (r = du_sw("CHALLENGE", sw)) != 0 ||
		    (r = duress_parse_mac(sk_buf_ptr(b), sk_buf_len(b), mac)) != 0)
			goto out;
	}
out:
	if (r != 0 && ctx != NULL)
		*ctx = DURESS_CTX_NONE;
	if (r != 0 && mac != NULL)
		sk_wipe(mac, DURESS_MAC_LEN);
	if (began)
		(void)sk_card_end(card);
	sk_buf_free(&b);
	return r;
}

static int admin_write(struct sk_card *card, struct sk_buf *b, const char *what, uint8_t ins,
    uint8_t p1, const uint8_t *data, size_t lc)
{
	uint16_t sw;
	int r;

	if ((r = du_cmd(card, what, ins, p1, data, lc, 0, data != NULL ? SK_APDU_SECRET : 0, b,
	    &sw)) != 0)
		return r;
	return du_sw(what, sw);
}

int duress_admin(struct sk_card *card, const uint8_t admin_key[DURESS_KEY_LEN],
    const struct duress_ctx_setup ctx[DURESS_NCTX], const uint8_t *new_admin)
{
	struct sk_buf *b = NULL;
	uint16_t sw;
	int r, began = 0;

	if (card == NULL || admin_key == NULL)
		return SK_ERR_ARG;
	if ((b = sk_buf_new(16)) == NULL)
		return SK_ERR_NOMEM;
	if ((r = sk_card_begin(card)) != 0)
		goto out;
	began = 1;
	if ((r = du_select(card, b)) != 0)
		goto out;
	if (!sk_card_selected_in_tx(card, duress_aid, sizeof(duress_aid)) ||
	    !sk_card_just_selected(card, duress_aid, sizeof(duress_aid))) {
		sk_warn("duress: applet not selected in this transaction: admin key not sent");
		r = SK_ERR_INTERNAL;
		goto out;
	}
	if ((r = du_cmd(card, "ADMIN_AUTH", INS_ADMIN_AUTH, 0x00, admin_key, DURESS_KEY_LEN, 0,
	    SK_APDU_SECRET, b, &sw)) != 0)
		goto out;
	if (sw == 0x6982) {
		sk_info("duress: admin key refused");
		r = SK_ERR_DENIED;
		goto out;
	}
	if ((r = du_sw("ADMIN_AUTH", sw)) != 0)
		goto out;
	for (uint8_t i = 0; ctx != NULL && i < DURESS_NCTX; i++) {
		if (ctx[i].reset && (r = admin_write(card, b, "RESET_CONTEXT", INS_RESET_CONTEXT, i,
		    NULL, 0)) != 0)
			goto out;
		if (ctx[i].pin != NULL && (r = admin_write(card, b, "SET_PIN", INS_SET_PIN, i,
		    ctx[i].pin, DURESS_PIN_LEN)) != 0)
			goto out;
		if (ctx[i].key != NULL && (r = admin_write(card, b, "SET_KEY", INS_SET_KEY, i,
		    ctx[i].key, DURESS_KEY_LEN)) != 0)
			goto out;
	}
	if (new_admin != NULL)
		r = admin_write(card, b, "SET_KEY admin", INS_SET_KEY, P1_ADMIN_KEY, new_admin,
		    DURESS_KEY_LEN);
out:
	if (began)
		(void)sk_card_end(card);
	sk_buf_free(&b);
	return r;
}
