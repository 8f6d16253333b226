/* card.c — APDU engine: encoding (short/extended), command chaining, 61xx GET RESPONSE, 6Cxx
 * resend, transactions, trace with redaction. Hardware is behind struct sk_card_ops. */
#include "card.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "secmem.h"
#include "sk_err.h"

#define CMD_ROOM (4 + 3 + 65535 + 3)
#define RSP_ROOM (65536 + 2)
#define SHORT_LC_MAX 255
#define GET_RESPONSE_ROUNDS_MAX 1024  /* a card answering 61xx forever must not hold us */

struct sk_card {
	const struct sk_card_ops *ops;
	void *io;
	unsigned caps;
	size_t max_cmd_ext;
	size_t max_rsp_ext;
	size_t rsp_cap;
	int tx_depth;
	unsigned long count;
	uint8_t *cmd;  /* secure: commands carry PINs */
	uint8_t *rsp;  /* secure: responses carry decrypted data */
	uint8_t sel_aid[16];  /* AID of the last SELECT by name through this handle */
	size_t sel_len;       /* 0: unknown (never selected, other SELECT, reset, removal) */
	int sel_fresh;        /* that SELECT was the last APDU */
	int sel_tx;           /* that SELECT was sent in the PC/SC transaction still open */
	uint8_t redir_from[16], redir_to[16];   /* sk_card_set_select_redirect */
	size_t redir_from_len, redir_to_len;    /* 0: no redirect */
};

/* One raw command being built or sent. */
struct raw_apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;
	size_t lc;
	size_t le;
	int ext;
};

/* What one exchange gathered so far. */
struct gather {
	struct sk_buf *out;  /* may be NULL */
	size_t total;
	unsigned secrecy;
};

int sk_card_new(const struct sk_card_ops *ops, void *io, struct sk_card **out)
{
	struct sk_card *c = NULL;
	int r = SK_ERR_NOMEM;

	*out = NULL;
	if (ops == NULL || ops->transmit == NULL)
		return SK_ERR_ARG;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto out;
	c->ops = ops;
	c->io = io;
	c->caps = SK_CAP_CHAINING;
	c->max_cmd_ext = 65535;
	c->max_rsp_ext = 65536;
	c->rsp_cap = SK_CARD_DEFAULT_RSP_CAP;
	if ((c->cmd = sk_secure_alloc(CMD_ROOM)) == NULL ||
	    (c->rsp = sk_secure_alloc(RSP_ROOM)) == NULL)
		goto out;
	*out = c;
	c = NULL;
	r = 0;
out:
	if (c != NULL) {
		c->ops = NULL;  /* io stays the caller's when we fail */
		sk_card_free(&c);
	}
	return r;
}

void sk_card_free(struct sk_card **cp)
{
	struct sk_card *c;

	if (cp == NULL || (c = *cp) == NULL)
		return;
	if (c->ops != NULL && c->tx_depth > 0 && c->ops->end != NULL)
		(void)c->ops->end(c->io);
	if (c->ops != NULL && c->ops->release != NULL)
		c->ops->release(c->io);
	sk_secure_free(c->cmd);
	sk_secure_free(c->rsp);
	sk_freezero(c, sizeof(*c));
	*cp = NULL;
}

void sk_card_set_caps(struct sk_card *c, unsigned caps, size_t max_cmd_ext, size_t max_rsp_ext)
{
	c->caps = caps;
	c->max_cmd_ext = max_cmd_ext == 0 || max_cmd_ext > 65535 ? 65535 : max_cmd_ext;
	c->max_rsp_ext = max_rsp_ext == 0 || max_rsp_ext > 65536 ? 65536 : max_rsp_ext;
}

unsigned sk_card_caps(const struct sk_card *c)
{
	return c->caps;
}

void sk_card_set_rsp_cap(struct sk_card *c, size_t cap)
{
	c->rsp_cap = cap;
}

void *sk_card_io(const struct sk_card *c)
{
	return c->io;
}

const struct sk_card_ops *sk_card_ops(const struct sk_card *c)
{
	return c->ops;
}

unsigned long sk_card_apdu_count(const struct sk_card *c)
{
	return c->count;
}

int sk_card_in_transaction(const struct sk_card *c)
{
	return c->tx_depth > 0;
}

int sk_card_begin(struct sk_card *c)
{
	int r;

	if (c->tx_depth == 0 && c->ops->begin != NULL && (r = c->ops->begin(c->io)) != 0) {
		sk_log(SK_LOG_DEBUG, "card: begin transaction failed: %s", sk_strerror(r));
		return r;
	}
	c->tx_depth++;
	return 0;
}

int sk_card_end(struct sk_card *c)
{
	int r;

	if (c->tx_depth <= 0) {
		sk_log(SK_LOG_ERROR, "card: end without begin");
		return SK_ERR_ARG;
	}
	if (c->tx_depth == 1)
		c->sel_tx = 0;   /* other programs may select other applets from now on */
	if (--c->tx_depth == 0 && c->ops->end != NULL && (r = c->ops->end(c->io)) != 0) {
		sk_log(SK_LOG_DEBUG, "card: end transaction failed: %s", sk_strerror(r));
		return r;
	}
	return 0;
}

int sk_sw_to_err(uint16_t sw)
{
	if (sw == 0x9000)
		return 0;
	if ((sw & 0xFFF0) == 0x63C0)
		return SK_ERR_PIN_WRONG;
	switch (sw) {
	case 0x6983: return SK_ERR_PIN_BLOCKED;
	case 0x6982: return SK_ERR_DENIED;
	case 0x6A82: case 0x6A88: return SK_ERR_NOT_FOUND;
	case 0x6D00: case 0x6E00: case 0x6A81: return SK_ERR_UNSUPPORTED;
	case 0x6700: return SK_ERR_FORMAT;
	default: return SK_ERR_SW;
	}
}

/* Serializes a into c->cmd. Short: Lc 1-255, Le 1-256 (00); extended: Lc 1-65535, Le 1-65536. */
static size_t encode(struct sk_card *c, const struct raw_apdu *a)
{
	uint8_t *p = c->cmd;
	size_t n = 4;

	p[0] = a->cla; p[1] = a->ins; p[2] = a->p1; p[3] = a->p2;
	if (a->lc > 0) {
		if (a->ext) {
			p[n++] = 0;
			p[n++] = (uint8_t)(a->lc >> 8);
		}
		p[n++] = (uint8_t)a->lc;
		memcpy(p + n, a->data, a->lc);
		n += a->lc;
	}
	if (a->le > 0) {
		if (a->ext && a->lc == 0)
			p[n++] = 0;
		if (a->ext)
			p[n++] = (uint8_t)(a->le >> 8);  /* 65536: 00 00 */
		p[n++] = (uint8_t)a->le;           /* 256 encodes as 00 */
	}
	return n;
}

/* Sends a; on success data and dlen hold the response data (in c->rsp) and sw the status. */
static int transmit(struct sk_card *c, const struct raw_apdu *a, unsigned secrecy,
    const uint8_t **data, size_t *dlen, uint16_t *sw)
{
	size_t cmdlen = encode(c, a), rlen = RSP_ROOM;
	int r;

	sk_log_apdu(SK_APDU_CMD, c->cmd, cmdlen, (secrecy & SK_REDACT_CMD) != 0);
	c->count++;
	r = c->ops->transmit(c->io, c->cmd, cmdlen, c->rsp, &rlen);
	sk_wipe(c->cmd, cmdlen);
	if (r != 0) {
		sk_log(SK_LOG_DEBUG, "card: transmit failed: %s", sk_strerror(r));
		return r;
	}
	if (rlen < 2 || rlen > RSP_ROOM) {
		sk_log(SK_LOG_DEBUG, "card: response of %zu bytes is no APDU response", rlen);
		return SK_ERR_BAD_RESPONSE;
	}
	sk_log_apdu(SK_APDU_RSP, c->rsp, rlen, (secrecy & SK_REDACT_RSP) != 0);
	*data = c->rsp;
	*dlen = rlen - 2;
	*sw = (uint16_t)((c->rsp[rlen - 2] << 8) | c->rsp[rlen - 1]);
	return 0;
}

/* Sends a, and once more with Le = SW2 when the card answers 6Cxx. Appends the data to g. */
static int exchange(struct sk_card *c, struct raw_apdu *a, struct gather *g, uint16_t *sw)
{
	const uint8_t *data;
	size_t dlen;
	int r;

	if ((r = transmit(c, a, g->secrecy, &data, &dlen, sw)) != 0)
		return r;
	/* 6Cxx: wrong Le. Only a command that asked for data is sent again: one without Le (VERIFY,
	 * CHANGE REFERENCE DATA, ...) must never be repeated (HACKING.md safety rule 2). */
	if ((*sw & 0xFF00) == 0x6C00 && a->le > 0) {
		sk_wipe(c->rsp, dlen + 2);
		a->le = (*sw & 0xFF) == 0 ? 256 : (*sw & 0xFF);
		a->ext = a->ext && a->lc > SHORT_LC_MAX;
		if ((r = transmit(c, a, g->secrecy, &data, &dlen, sw)) != 0)
			return r;
	}
	if (dlen > c->rsp_cap - g->total) {
		sk_log(SK_LOG_WARN, "card: response longer than %zu bytes", c->rsp_cap);
		r = SK_ERR_TOOBIG;
	} else {
		g->total += dlen;
		r = g->out == NULL ? 0 : sk_buf_put(g->out, data, dlen);
	}
	sk_wipe(c->rsp, dlen + 2);
	return r;
}

/* Follows 61xx with GET RESPONSE until the card has said everything. */
static int get_responses(struct sk_card *c, struct gather *g, uint16_t *sw)
{
	struct raw_apdu gr = { 0x00, 0xC0, 0x00, 0x00, NULL, 0, 0, 0 };
	unsigned rounds = 0;
	int r;

	while ((*sw & 0xFF00) == 0x6100) {
		if (++rounds > GET_RESPONSE_ROUNDS_MAX) {
			sk_log(SK_LOG_WARN, "card: endless 61xx chain");
			return SK_ERR_BAD_RESPONSE;
		}
		gr.le = (*sw & 0xFF) == 0 ? 256 : (*sw & 0xFF);
		if ((r = exchange(c, &gr, g, sw)) != 0)
			return r;
	}
	return 0;
}

/* Sends all but the last chunk with CLA|0x10; each must answer 9000. *done when a block did not. */
static int send_chain(struct sk_card *c, const struct sk_apdu *a, struct gather *g,
    size_t *off, uint16_t *sw, int *done)
{
	struct raw_apdu b = { (uint8_t)(a->cla | 0x10), a->ins, a->p1, a->p2, NULL, 0, 0, 0 };
	int r;

	*done = 0;
	while (a->lc - *off > SHORT_LC_MAX) {
		b.data = a->data + *off;
		b.lc = SHORT_LC_MAX;
		if ((r = exchange(c, &b, g, sw)) != 0)
			return r;
		*off += SHORT_LC_MAX;
		if (*sw != 0x9000) {
			sk_log(SK_LOG_DEBUG, "card: chained block answered %04X", *sw);
			*done = 1;
			return 0;
		}
		if (g->out != NULL)
			sk_buf_reset(g->out);  /* intermediate blocks carry no data */
		g->total = 0;
	}
	return 0;
}

static int check_apdu(const struct sk_card *c, const struct sk_apdu *a, int ext)
{
	if ((a->lc > 0 && a->data == NULL) || a->lc > 65535 || a->le > SK_LE_MAX)
		return SK_ERR_ARG;
	if (ext || a->lc <= SHORT_LC_MAX)
		return 0;
	if ((a->flags & SK_APDU_NO_CHAIN) || !(c->caps & SK_CAP_CHAINING)) {
		sk_log(SK_LOG_DEBUG, "card: %zu data bytes and no way to send them", a->lc);
		return SK_ERR_TOOBIG;
	}
	return 0;
}

static int use_extended(const struct sk_card *c, const struct sk_apdu *a)
{
	int allowed = (a->flags & SK_APDU_EXTENDED_ALWAYS) ||
	    ((a->flags & SK_APDU_EXTENDED_OK) && (c->caps & SK_CAP_EXTENDED));

	return allowed && (a->lc > SHORT_LC_MAX || a->le > 256) && a->lc <= c->max_cmd_ext;
}

static int apdu_send(struct sk_card *c, const struct sk_apdu *a, struct gather *g, uint16_t *sw)
{
	struct raw_apdu last = { a->cla, a->ins, a->p1, a->p2, a->data, a->lc, a->le, 0 };
	size_t off = 0;
	int r, done;

	last.ext = use_extended(c, a);
	if ((r = check_apdu(c, a, last.ext)) != 0)
		return r;
	if (last.ext) {
		if (last.le > c->max_rsp_ext)
			last.le = c->max_rsp_ext;
	} else {
		if (last.le > 256)
			last.le = 256;
		if ((r = send_chain(c, a, g, &off, sw, &done)) != 0 || done)
			return r;
		last.data = a->lc > 0 ? a->data + off : NULL;
		last.lc = a->lc - off;
	}
	if ((r = exchange(c, &last, g, sw)) != 0)
		return r;
	return get_responses(c, g, sw);
}

/* Which applet this handle last selected by name: a successful SELECT (00 A4 04 xx) records its
 * AID; any other SELECT, a failed one, a reset or a removal makes it unknown. (Another program
 * may still select something else in between: callers treat this as a hint and recover.) */
static void note_selection(struct sk_card *c, const struct sk_apdu *a, int r, uint16_t sw)
{
	int is_select = (a->cla & 0x80) == 0 && a->ins == 0xA4;

	if (r == SK_ERR_CARD_RESET || r == SK_ERR_CARD_REMOVED) {
		sk_card_forget_selection(c);
		return;
	}
	if (!is_select) {
		c->sel_fresh = 0;
		return;
	}
	if (r == 0 && sw == 0x9000 && a->p1 == 0x04 && a->lc > 0 && a->lc <= sizeof(c->sel_aid)) {
		memcpy(c->sel_aid, a->data, a->lc);
		c->sel_len = a->lc;
		c->sel_fresh = 1;
		c->sel_tx = c->tx_depth > 0;
	} else {
		sk_card_forget_selection(c);
	}
}

int sk_card_set_select_redirect(struct sk_card *c, const uint8_t *from, size_t from_len,
    const uint8_t *to, size_t to_len)
{
	if (c == NULL)
		return SK_ERR_ARG;
	c->redir_from_len = c->redir_to_len = 0;
	if (from == NULL || to == NULL || from_len == 0 || to_len == 0)
		return 0;
	if (from_len > sizeof(c->redir_from) || to_len > sizeof(c->redir_to))
		return SK_ERR_ARG;
	memcpy(c->redir_from, from, from_len);
	memcpy(c->redir_to, to, to_len);
	c->redir_from_len = from_len;
	c->redir_to_len = to_len;
	sk_card_forget_selection(c);
	return 0;
}

int sk_card_select_redirect(const struct sk_card *c, uint8_t *to, size_t cap, size_t *to_len)
{
	if (c == NULL || to_len == NULL)
		return SK_ERR_ARG;
	*to_len = 0;
	if (c->redir_to_len == 0)
		return SK_ERR_NOT_FOUND;
	if (to == NULL || cap < c->redir_to_len)
		return SK_ERR_TOOBIG;
	memcpy(to, c->redir_to, c->redir_to_len);
	*to_len = c->redir_to_len;
	return 0;
}

static int redirected(const struct sk_card *c, const struct sk_apdu *a)
{
	return c->redir_from_len != 0 && (a->cla & 0x80) == 0 && a->ins == 0xA4 && a->p1 == 0x04 &&
	    a->lc == c->redir_from_len && a->data != NULL &&
	    memcmp(a->data, c->redir_from, a->lc) == 0;
}

int sk_card_apdu(struct sk_card *c, const struct sk_apdu *a, struct sk_buf *rsp, uint16_t *sw)
{
	uint8_t hdr[4];
	struct gather g = { rsp, 0, 0 };
	struct sk_apdu sel;
	int r;

	if (c == NULL || a == NULL || sw == NULL)
		return SK_ERR_ARG;
	*sw = 0;
	hdr[0] = a->cla; hdr[1] = a->ins; hdr[2] = a->p1; hdr[3] = a->p2;
	g.secrecy = sk_apdu_secrecy(hdr, sizeof(hdr));
	if (rsp != NULL)
		sk_buf_reset(rsp);
	if (a->flags & SK_APDU_SECRET)
		g.secrecy |= SK_REDACT_CMD | SK_REDACT_RSP;
	if ((r = sk_card_begin(c)) != 0)
		return r;
	if (redirected(c, a)) {
		sel = *a;
		sel.data = c->redir_to;
		sel.lc = c->redir_to_len;
		r = apdu_send(c, &sel, &g, sw);
	} else {
		r = apdu_send(c, a, &g, sw);
	}
	if (r == SK_ERR_CARD_REMOVED)
		c->redir_from_len = c->redir_to_len = 0;   /* the chip left: its context is gone */
	if (r != 0) {
		*sw = 0;
		if (rsp != NULL)
			sk_buf_reset(rsp);
	}
	note_selection(c, a, r, *sw);
	(void)sk_card_end(c);
	return r;
}

int sk_card_is_selected(const struct sk_card *c, const uint8_t *aid, size_t len)
{
	return c != NULL && c->sel_len != 0 && c->sel_len == len && memcmp(c->sel_aid, aid, len) == 0;
}

int sk_card_just_selected(const struct sk_card *c, const uint8_t *aid, size_t len)
{
	return sk_card_is_selected(c, aid, len) && c->sel_fresh;
}

int sk_card_selected_in_tx(const struct sk_card *c, const uint8_t *aid, size_t len)
{
	return sk_card_is_selected(c, aid, len) && c->sel_tx && c->tx_depth > 0;
}

void sk_card_forget_selection(struct sk_card *c)
{
	if (c != NULL) {
		c->sel_len = 0;
		c->sel_fresh = 0;
		c->sel_tx = 0;
	}
}
