/* card.h — the host-side APDU engine over a table of hardware functions (PC/SC or a mock).
 * Not thread-safe: one thread uses a card at a time (skinkeyd serializes). */
#ifndef SK_CARD_H
#define SK_CARD_H

#include <stddef.h>
#include <stdint.h>

struct sk_buf;
struct sk_card;

struct sk_card_ops {
	/* Sends one raw APDU; *rsplen holds the room in rsp on entry and the received length on
	 * return. 0 or SK_ERR_* (SK_ERR_CARD_RESET, SK_ERR_CARD_REMOVED, SK_ERR_TIMEOUT, ...). */
	int (*transmit)(void *io, const uint8_t *cmd, size_t cmdlen, uint8_t *rsp, size_t *rsplen);
	int (*begin)(void *io);      /* start an exclusive transaction; may be NULL */
	int (*end)(void *io);        /* end it; may be NULL */
	void (*release)(void *io);   /* called by sk_card_free; may be NULL */
};

/* struct sk_apdu.le: expected response length. 0 = no Le field; 1..256 short (256 encodes 00);
 * more than 256 needs extended length, else short Le 00 is sent and 61xx does the rest. */
#define SK_LE_MAX 65536u

#define SK_APDU_SECRET      0x1u  /* redact command and response data in the trace */
#define SK_APDU_EXTENDED_OK 0x2u  /* extended length may be used (when the card has SK_CAP_EXTENDED) */
#define SK_APDU_NO_CHAIN    0x4u  /* never chain: lc over what one APDU carries is SK_ERR_TOOBIG */
#define SK_APDU_EXTENDED_ALWAYS 0x8u /* extended length whatever the caps say: the applet is known to
                                      * take it (the FIDO2 applet; an error SW lets the caller fall back) */

struct sk_apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;
	size_t lc;
	size_t le;
	unsigned flags;
};

#define SK_CAP_EXTENDED 0x1u  /* card accepts extended length APDUs */
#define SK_CAP_CHAINING 0x2u  /* card accepts command chaining (default) */

#define SK_CARD_DEFAULT_RSP_CAP (64u * 1024u)  /* bytes gathered through GET RESPONSE */

/* io belongs to the caller unless ops->release is set (then sk_card_free releases it). */
int sk_card_new(const struct sk_card_ops *ops, void *io, struct sk_card **out);
void sk_card_free(struct sk_card **c);
/* caps: SK_CAP_*; max_cmd_ext / max_rsp_ext: the card's limits for extended APDUs (0 = 65535 /
 * 65536). Default: SK_CAP_CHAINING only. */
void sk_card_set_caps(struct sk_card *c, unsigned caps, size_t max_cmd_ext, size_t max_rsp_ext);
unsigned sk_card_caps(const struct sk_card *c);
/* Cap on a whole response (first answer + GET RESPONSE rounds); default SK_CARD_DEFAULT_RSP_CAP. */
void sk_card_set_rsp_cap(struct sk_card *c, size_t cap);

/* Transactions nest: only the outermost begin/end reach ops->begin / ops->end. */
int sk_card_begin(struct sk_card *c);
int sk_card_end(struct sk_card *c);
int sk_card_in_transaction(const struct sk_card *c);

/* Sends one logical command and gathers the whole response. rsp (may be NULL) is emptied first
 * and receives the response data without SW; *sw the final status word. Returns 0 whenever a
 * status word was obtained (whatever it says; see sk_sw_to_err), else SK_ERR_* (transport,
 * SK_ERR_BAD_RESPONSE for an answer under 2 bytes, SK_ERR_TOOBIG over the response cap or when
 * the command cannot be encoded). A chained command stops at the first block not answered 9000 and
 * returns that SW. 61xx → GET RESPONSE (00 C0 00 00 xx); 6Cxx → resent once with Le = xx. */
/* The applet this handle last selected by name (SELECT 00 A4 04 with exactly this AID), with no
 * other SELECT, reset or removal seen since. A hint only: another program sharing the reader may
 * have selected something else; a caller skipping a SELECT must recover from an error SW. */
int sk_card_is_selected(const struct sk_card *c, const uint8_t *aid, size_t len);
/* ... and that SELECT was the last APDU sent through this handle. */
int sk_card_just_selected(const struct sk_card *c, const uint8_t *aid, size_t len);
/* ... and that SELECT went in the PC/SC transaction still open (no other program can have
 * selected anything since): a PIN-bearing APDU may follow without another SELECT (HACKING.md
 * rule 1). Not a hint: exact, as long as every APDU goes through this handle. */
int sk_card_selected_in_tx(const struct sk_card *c, const uint8_t *aid, size_t len);
void sk_card_forget_selection(struct sk_card *c);
/* SELECT redirect (duress contexts): from now on a SELECT by name (00 A4 04) whose AID is exactly
 * `from` goes to the card with `to` instead (each up to 16 bytes), so every caller selecting the
 * partial OpenPGP AID reaches one context's own instance by its full AID. Selection tracking
 * records `from` (what the caller asked). from/to NULL or empty clears it; a removal
 * (SK_ERR_CARD_REMOVED) clears it too. sk_card_select_redirect: the current `to`
 * (SK_ERR_NOT_FOUND when none). */
int sk_card_set_select_redirect(struct sk_card *c, const uint8_t *from, size_t from_len,
    const uint8_t *to, size_t to_len);
int sk_card_select_redirect(const struct sk_card *c, uint8_t *to, size_t cap, size_t *to_len);
int sk_card_apdu(struct sk_card *c, const struct sk_apdu *a, struct sk_buf *rsp, uint16_t *sw);
/* Raw APDUs actually handed to ops->transmit (including chain blocks and GET RESPONSE). */
unsigned long sk_card_apdu_count(const struct sk_card *c);

/* The io pointer and ops table given to sk_card_new (backends use these to find their state). */
void *sk_card_io(const struct sk_card *c);
const struct sk_card_ops *sk_card_ops(const struct sk_card *c);

/* 9000→0, 63Cx→SK_ERR_PIN_WRONG, 6983→SK_ERR_PIN_BLOCKED, 6982→SK_ERR_DENIED,
 * 6A82/6A88→SK_ERR_NOT_FOUND, 6D00/6E00/6A81→SK_ERR_UNSUPPORTED, 6700→SK_ERR_FORMAT,
 * anything else SK_ERR_SW. */
int sk_sw_to_err(uint16_t sw);

#endif
