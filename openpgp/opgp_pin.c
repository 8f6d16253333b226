/* opgp_pin.c — VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER. The retry counter of a chip
 * inside a body is precious: lengths are checked before the card sees a PIN, a blocked counter
 * is refused locally, the applet is SELECTed in the same transaction first, and a refused VERIFY
 * is never sent again. */
#include <string.h>

#include "buf.h"
#include "card.h"
#include "log.h"
#include "opgp_int.h"
#include "secmem.h"
#include "sk_err.h"

#define PIN_BLOCK_MAX (2 * OPGP_PIN_MAX + 2)   /* two PINs, or two KDF outputs */

static size_t pin_min(uint8_t ref)
{
	return ref == OPGP_PW3 ? OPGP_PW3_MIN : ref == OPGP_RC ? OPGP_RC_MIN : OPGP_PW1_MIN;
}

/* Raw PIN length, before anything is read from the card. */
static int check_len_raw(uint8_t ref, size_t len)
{
	if (len < pin_min(ref) || len > OPGP_PIN_MAX) {
		sk_info("openpgp: PIN of %zu characters for %02X refused before the card saw it",
		    len, ref);
		return SK_ERR_PIN_FORMAT;
	}
	return 0;
}

static uint8_t max_for(const struct opgp_pw_status *pw, uint8_t ref)
{
	return ref == OPGP_PW3 ? pw->pw3_max : ref == OPGP_RC ? pw->rc_max : pw->pw1_max;
}

static uint8_t tries_for(const struct opgp_pw_status *pw, uint8_t ref)
{
	return ref == OPGP_PW3 ? pw->pw3_tries : ref == OPGP_RC ? pw->rc_tries : pw->pw1_tries;
}

/* Against the card's state: counter not zero, length within the card's maximum (without KDF
 * the PIN itself is sent; with KDF the card stores a hash and the maximum does not apply). */
static int check_card_state(const struct opgp_pw_status *pw, const struct opgp_kdf *kdf,
    uint8_t ref, size_t len)
{
	if (tries_for(pw, ref) == 0) {
		sk_info("openpgp: PIN %02X is blocked; not sending it", ref);
		return SK_ERR_PIN_BLOCKED;
	}
	if (kdf->algo == OPGP_KDF_NONE && max_for(pw, ref) != 0 && len > max_for(pw, ref)) {
		sk_info("openpgp: PIN of %zu characters longer than the card's maximum %u", len,
		    max_for(pw, ref));
		return SK_ERR_PIN_FORMAT;
	}
	return 0;
}

/* Absent KDF-DO means plain PINs; any other failure stops here: sending a plain PIN to a card
 * that expects a hash would cost a retry. */
static int read_kdf(struct sk_card *card, struct sk_buf *b, struct opgp_kdf *kdf)
{
	int r = opgp_get_data_buf(card, 0xF9, b);

	if (r == SK_ERR_NOT_FOUND)
		return 0;
	if (r == 0)
		r = opgp_parse_kdf(sk_buf_ptr(b), sk_buf_len(b), kdf);
	return r;
}

int opgp_read_pin_state(struct sk_card *card, struct opgp_pw_status *pw, struct opgp_kdf *kdf)
{
	struct sk_buf *b = NULL;
	int r;

	memset(pw, 0, sizeof(*pw));
	memset(kdf, 0, sizeof(*kdf));
	if ((b = sk_buf_new(OPGP_RSP_MAX)) == NULL)
		return SK_ERR_NOMEM;
	if ((r = opgp_get_data_buf(card, 0xC4, b)) != 0 ||
	    (r = opgp_parse_pw_status(sk_buf_ptr(b), sk_buf_len(b), pw)) != 0)
		goto out;
	r = read_kdf(card, b, kdf);
out:
	sk_buf_free(&b);
	return r;
}

static int map_verify_sw(uint16_t sw, uint8_t ref, int *tries_left)
{
	if (sw == 0x9000)
		return 0;
	if ((sw & 0xFFF0) == 0x63C0) {
		*tries_left = sw & 0x0F;
		sk_info("openpgp: PIN %02X refused, %d tries left", ref, *tries_left);
		return *tries_left == 0 ? SK_ERR_PIN_BLOCKED : SK_ERR_PIN_WRONG;
	}
	if (sw == 0x6983) {
		*tries_left = 0;
		return SK_ERR_PIN_BLOCKED;
	}
	if (sw == 0x6982) {   /* some applets answer this for a wrong PIN */
		sk_info("openpgp: PIN %02X refused (6982)", ref);
		return SK_ERR_PIN_WRONG;
	}
	if (sw == 0x6700) {
		sk_info("openpgp: card refused the PIN length for %02X", ref);
		return SK_ERR_PIN_FORMAT;
	}
	sk_warn("openpgp: PIN command for %02X answered %04X", ref, sw);
	return sk_sw_to_err(sw);
}

/* One PIN-bearing command (already KDF-transformed data); no retry whatever it says. */
static int send_pin_cmd(struct sk_card *card, const char *what, uint8_t ins, uint8_t p1,
    uint8_t ref, const uint8_t *data, size_t n, int *tries_left)
{
	struct sk_apdu a = { 0x00, ins, p1, ref, data, n, 0, SK_APDU_SECRET };
	uint16_t sw = 0;
	int r;

	if ((r = sk_card_apdu(card, &a, NULL, &sw)) != 0) {
		sk_warn("openpgp: %s: transport failed: %s", what, sk_strerror(r));
		return r;
	}
	return map_verify_sw(sw, ref, tries_left);
}

/* Appends pin (transformed by the KDF for ref) to blk at *off. */
static int add_pin(const struct opgp_kdf *kdf, uint8_t ref, const char *pin, size_t len,
    uint8_t *blk, size_t *off)
{
	size_t n = 0;
	int r;

	if ((r = opgp_kdf_apply(kdf, ref, pin, len, blk + *off, PIN_BLOCK_MAX - *off, &n)) != 0)
		return r;
	*off += n;
	return 0;
}

static int begin_select(struct sk_card *card, int do_select)
{
	int r;

	if ((r = sk_card_begin(card)) != 0)
		return r;
	if (do_select && (r = opgp_select_in_tx(card)) != 0) {
		sk_warn("openpgp: SELECT before a PIN command failed: %s", sk_strerror(r));
		(void)sk_card_end(card);
	}
	return r;
}

/* The VERIFY itself, given the PW status and KDF-DO that hold on the card right now. */
static int verify_with_state(struct sk_card *card, uint8_t ref, const char *pin, size_t len,
    const struct opgp_pw_status *pw, const struct opgp_kdf *kdf, int *tries_left)
{
	uint8_t blk[PIN_BLOCK_MAX];
	size_t n = 0;
	int r;

	*tries_left = tries_for(pw, ref);
	if ((r = check_card_state(pw, kdf, ref, len)) != 0 ||
	    (r = add_pin(kdf, ref, pin, len, blk, &n)) != 0)
		goto out;
	r = send_pin_cmd(card, "VERIFY", 0x20, 0x00, ref, blk, n, tries_left);
	if (r == 0)
		*tries_left = tries_for(pw, ref);
out:
	sk_wipe(blk, sizeof(blk));
	return r;
}

static int verify_args(struct sk_card *card, uint8_t ref, const char *pin, size_t len,
    int **tries_left, int *dummy)
{
	if (*tries_left == NULL)
		*tries_left = dummy;
	**tries_left = -1;
	if (card == NULL || pin == NULL || (ref != OPGP_PW1_SIGN && ref != OPGP_PW1_OTHER &&
	    ref != OPGP_PW3))
		return SK_ERR_ARG;
	return check_len_raw(ref, len);
}

int opgp_verify(struct sk_card *card, uint8_t ref, const char *pin, size_t len, int *tries_left)
{
	struct opgp_pw_status pw;
	struct opgp_kdf kdf;
	int r, dummy = -1;

	if ((r = verify_args(card, ref, pin, len, &tries_left, &dummy)) != 0)
		return r;
	if ((r = begin_select(card, 1)) != 0)
		return r;
	if ((r = opgp_read_pin_state(card, &pw, &kdf)) == 0)
		r = verify_with_state(card, ref, pin, len, &pw, &kdf, tries_left);
	(void)sk_card_end(card);
	return r;
}

int opgp_verify_known_pw(struct sk_card *card, uint8_t ref, const char *pin, size_t len,
    const struct opgp_pw_status *pw, int *tries_left)
{
	struct opgp_kdf kdf;
	struct sk_buf *b = NULL;
	int r, dummy = -1;

	if ((r = verify_args(card, ref, pin, len, &tries_left, &dummy)) != 0)
		return r;
	if (pw == NULL || tries_for(pw, ref) == 0)
		return opgp_verify(card, ref, pin, len, tries_left);   /* unblocked since? ask */
	memset(&kdf, 0, sizeof(kdf));
	if ((b = sk_buf_new(OPGP_RSP_MAX)) == NULL)
		return SK_ERR_NOMEM;
	if ((r = begin_select(card, 1)) != 0)
		goto out;
	if ((r = read_kdf(card, b, &kdf)) == 0)
		r = verify_with_state(card, ref, pin, len, pw, &kdf, tries_left);
	(void)sk_card_end(card);
out:
	sk_buf_free(&b);
	return r;
}

int opgp_verify_selected(struct sk_card *card, uint8_t ref, const char *pin, size_t len,
    const struct opgp_pw_status *pw, const struct opgp_kdf *kdf, int *tries_left)
{
	int r, dummy = -1;

	if ((r = verify_args(card, ref, pin, len, &tries_left, &dummy)) != 0)
		return r;
	if (pw == NULL || kdf == NULL)
		return SK_ERR_ARG;
	if ((r = sk_card_begin(card)) != 0)
		return r;
	r = verify_with_state(card, ref, pin, len, pw, kdf, tries_left);
	(void)sk_card_end(card);
	return r;
}

int opgp_verify_status(struct sk_card *card, uint8_t ref, int *tries_left)
{
	uint16_t sw = 0;
	int r, dummy;

	if (tries_left == NULL)
		tries_left = &dummy;
	*tries_left = -1;
	if (card == NULL)
		return SK_ERR_ARG;
	r = opgp_cmd(card, "VERIFY status", 0x20, 0x00, ref, NULL, 0, 0, 0, NULL, &sw);
	if (r == 0 || sw == 0)
		return r;
	if ((sw & 0xFFF0) == 0x63C0) {
		*tries_left = sw & 0x0F;
		return *tries_left == 0 ? SK_ERR_PIN_BLOCKED : SK_ERR_PIN_REQUIRED;
	}
	if (sw == 0x6983) {
		*tries_left = 0;
		return SK_ERR_PIN_BLOCKED;
	}
	return r;
}

int opgp_unverify(struct sk_card *card, uint8_t ref)
{
	return opgp_cmd(card, "VERIFY reset", 0x20, 0xFF, ref, NULL, 0, 0, 0, NULL, NULL);
}

int opgp_change_pin(struct sk_card *card, uint8_t ref, const char *old_pin, size_t old_len,
    const char *new_pin, size_t new_len)
{
	struct opgp_pw_status pw;
	struct opgp_kdf kdf;
	uint8_t blk[PIN_BLOCK_MAX];
	size_t n = 0;
	int r, tries = -1;

	if (card == NULL || old_pin == NULL || new_pin == NULL ||
	    (ref != OPGP_PW1_SIGN && ref != OPGP_PW3))
		return SK_ERR_ARG;
	if ((r = check_len_raw(ref, old_len)) != 0 || (r = check_len_raw(ref, new_len)) != 0)
		return r;
	if ((r = begin_select(card, 1)) != 0)
		return r;
	if ((r = opgp_read_pin_state(card, &pw, &kdf)) != 0 ||
	    (r = check_card_state(&pw, &kdf, ref, old_len)) != 0 ||
	    (r = check_card_state(&pw, &kdf, ref, new_len)) != 0 ||
	    (r = add_pin(&kdf, ref, old_pin, old_len, blk, &n)) != 0 ||
	    (r = add_pin(&kdf, ref, new_pin, new_len, blk, &n)) != 0)
		goto out;
	r = send_pin_cmd(card, "CHANGE REFERENCE DATA", 0x24, 0x00, ref, blk, n, &tries);
out:
	sk_wipe(blk, sizeof(blk));
	(void)sk_card_end(card);
	return r;
}

/* With rc: SELECT first like every PIN command. Without: PW3 must have been verified in this
 * same transaction by the caller, and a SELECT here would drop that state, so none is sent. */
int opgp_reset_retry_counter(struct sk_card *card, const char *rc, size_t rc_len,
    const char *new_pin, size_t new_len)
{
	struct opgp_pw_status pw;
	struct opgp_kdf kdf;
	uint8_t blk[PIN_BLOCK_MAX];
	size_t n = 0;
	int r, tries = -1;

	if (card == NULL || new_pin == NULL)
		return SK_ERR_ARG;
	if ((r = check_len_raw(OPGP_PW1_SIGN, new_len)) != 0 ||
	    (rc != NULL && (r = check_len_raw(OPGP_RC, rc_len)) != 0))
		return r;
	if ((r = begin_select(card, rc != NULL)) != 0)
		return r;
	if ((r = opgp_read_pin_state(card, &pw, &kdf)) != 0 ||
	    (rc != NULL && (r = check_card_state(&pw, &kdf, OPGP_RC, rc_len)) != 0) ||
	    (kdf.algo == OPGP_KDF_NONE && pw.pw1_max != 0 && new_len > pw.pw1_max &&
	    (r = SK_ERR_PIN_FORMAT) != 0) ||
	    (rc != NULL && (r = add_pin(&kdf, OPGP_RC, rc, rc_len, blk, &n)) != 0) ||
	    (r = add_pin(&kdf, OPGP_PW1_SIGN, new_pin, new_len, blk, &n)) != 0)
		goto out;
	r = send_pin_cmd(card, "RESET RETRY COUNTER", 0x2C, rc != NULL ? 0x00 : 0x02, 0x81, blk,
	    n, &tries);
out:
	sk_wipe(blk, sizeof(blk));
	(void)sk_card_end(card);
	return r;
}

/* PUT DATA D3 with the resetting code (KDF-transformed when the card has a KDF-DO). PW3 must be
 * verified in the caller's transaction: no SELECT here. */
int opgp_set_resetting_code(struct sk_card *card, const char *rc, size_t rc_len)
{
	struct opgp_pw_status pw;
	struct opgp_kdf kdf;
	uint8_t blk[PIN_BLOCK_MAX];
	size_t n = 0;
	int r;

	if (card == NULL || rc == NULL)
		return SK_ERR_ARG;
	if ((r = check_len_raw(OPGP_RC, rc_len)) != 0)
		return r;
	if ((r = sk_card_begin(card)) != 0)
		return r;
	if ((r = opgp_read_pin_state(card, &pw, &kdf)) != 0)
		goto out;
	if (kdf.algo == OPGP_KDF_NONE && pw.rc_max != 0 && rc_len > pw.rc_max) {
		r = SK_ERR_PIN_FORMAT;
		goto out;
	}
	if ((r = add_pin(&kdf, OPGP_RC, rc, rc_len, blk, &n)) == 0)
		r = opgp_put_data(card, 0xD3, blk, n);
out:
	sk_wipe(blk, sizeof(blk));
	(void)sk_card_end(card);
	return r;
}
