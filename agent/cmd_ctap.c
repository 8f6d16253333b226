/* cmd_ctap.c — the CTAP relay (owner: fido): one CTAP2 or U2F message to the chip's FIDO applet
 * and its answer back, under the card lock, waiting for a tap like every operation. The CTAP
 * logic itself (PIN protocols, COSE, credential management) stays in the client's libfido2
 * (fido/fido.h); this file only frames (fido/ctap_iso.h) and guards the PIN protocol:
 *
 *   CTAP [--u2f | --select] [--fresh] [<chipid>]
 *
 * See doc/PROTOCOL.md. PIN integrity: the applet forgets its key agreement when it is selected
 * again, so a message carrying a PIN (clientPIN setPIN/changePIN/getPinToken) is never sent after
 * a re-SELECT (it would be judged against a new key: a wrong PIN, a retry spent) and never
 * re-sent; the client sees "Card reset" and must start the PIN exchange over. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/card.h"
#include "common/log.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "event.h"
#include "fido/ctap_iso.h"
#include "skd.h"
#include "skd_int.h"   /* skd_guard_gate: FIDO signatures are key operations for the audit */

#define INFO_KEY   "fido.info"
#define SELECT_KEY "fido.select"

enum ctap_mode { MODE_CBOR, MODE_U2F, MODE_SELECT };

struct ctap_req {
	enum ctap_mode mode;
	int fresh;
	char chip[SKD_CHIPID_MAX];
	uint8_t *msg;
	size_t len;
};

static int parse_line(const char *line, struct ctap_req *q)
{
	char buf[256], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", line);
	for (tok = strtok_r(buf, " \t", &save); tok != NULL; tok = strtok_r(NULL, " \t", &save)) {
		if (strcmp(tok, "--u2f") == 0)
			q->mode = MODE_U2F;
		else if (strcmp(tok, "--select") == 0)
			q->mode = MODE_SELECT;
		else if (strcmp(tok, "--fresh") == 0)
			q->fresh = 1;
		else if (tok[0] == '-' || q->chip[0] != '\0' || strlen(tok) >= sizeof(q->chip))
			return SK_ERR_ARG;
		else
			snprintf(q->chip, sizeof(q->chip), "%s", tok);
	}
	return 0;
}

struct ka_state {
	struct skd_conn *conn;
	struct timespec deadline;
	int last;
};

static int on_keepalive(void *arg, uint8_t status)
{
	struct ka_state *k = arg;
	struct timespec now;

	if (k->last != status) {
		k->last = status;
		skd_status(skd_conn_ctx(k->conn), "PROGRESS", "ctap %u", status);
	}
	if (skd_conn_hungup(k->conn))
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > k->deadline.tv_sec;
}

/* The applet selected on this handle; *did when this call selected it. */
static int ensure_selected(assuan_context_t ctx, struct sk_card *sc, const struct ctap_req *q,
    int *did)
{
	int r;

	*did = 0;
	if (ctap_iso_selected(sc))
		return 0;
	if (q->mode == MODE_CBOR && ctap_msg_carries_pin(q->msg, q->len)) {
		sk_warn("fido: the applet was deselected since the key agreement: PIN message not sent");
		return SK_ERR_CARD_RESET;
	}
	if ((r = ctap_iso_select(sc, NULL, 0)) != 0)
		return r;
	*did = 1;
	skd_status(ctx, "CTAP_SELECTED", "1");
	return 0;
}

static int send_once(struct skd_conn *conn, struct sk_card *sc, const struct ctap_req *q,
    struct sk_buf *rsp, uint16_t *sw)
{
	struct ka_state ka = { conn, { 0, 0 }, -1 };
	struct ctap_iso_wait w = { on_keepalive, &ka, 0 };

	clock_gettime(CLOCK_MONOTONIC, &ka.deadline);
	ka.deadline.tv_sec += skd_conf_tap_timeout_ms() / 1000 + 1;
	if (q->mode == MODE_U2F) {
		*sw = 0x9000;
		return ctap_iso_u2f(sc, q->msg, q->len, rsp);
	}
	return ctap_iso_cbor(sc, q->msg, q->len, &w, rsp, sw);
}

/* Select when needed, send; an answer 6D00/6E00 to a message we did not just select for means
 * another program selected another applet in between: select and send once more (the applet never
 * saw the first one), unless it carries a PIN. */
static int exchange(struct skd_conn *conn, struct sk_card *sc, const struct ctap_req *q,
    struct sk_buf *rsp)
{
	assuan_context_t ctx = skd_conn_ctx(conn);
	uint16_t sw = 0;
	int r, did;

	if ((r = ensure_selected(ctx, sc, q, &did)) != 0)
		return r;
	if ((r = send_once(conn, sc, q, rsp, &sw)) != 0)
		return r;
	if ((sw == 0x6D00 || sw == 0x6E00) && !did && q->mode == MODE_CBOR) {
		sk_card_forget_selection(sc);
		if (ctap_msg_carries_pin(q->msg, q->len)) {
			sk_warn("fido: applet not selected any more (%04X): PIN message not re-sent", sw);
			return SK_ERR_CARD_RESET;
		}
		sk_info("fido: applet not selected any more (%04X): selecting it again", sw);
		if ((r = ensure_selected(ctx, sc, q, &did)) != 0 ||
		    (r = send_once(conn, sc, q, rsp, &sw)) != 0)
			return r;
	}
	if (sw != 0x9000) {
		skd_status(ctx, "CTAP_SW", "%04X", sw);
		sk_info("fido: the chip refused the CTAP message with %04X", sw);
		return sw == 0x6A82 ? SK_ERR_NOT_FOUND : SK_ERR_SW;
	}
	return 0;
}

static int on_card(struct skd_conn *conn, struct ctap_req *q, struct sk_buf *rsp)
{
	struct skd_card *h = NULL;
	struct sk_card *sc;
	char ver[32];
	int r;

	if ((r = skd_card_acquire(conn, q->chip, &h)) != 0)
		return r;
	sc = skd_card_raw(h);
	snprintf(q->chip, sizeof(q->chip), "%s", skd_card_chip(h));
	if (skd_conn_chip(conn)[0] == '\0')
		skd_conn_set_chip(conn, q->chip);   /* the rest of this exchange stays on this chip */
	if (q->mode == MODE_SELECT) {
		if ((r = ctap_iso_select(sc, ver, sizeof(ver))) == 0) {
			r = sk_buf_put(rsp, ver, strlen(ver));
			skd_cache_put(q->chip, SELECT_KEY, (const uint8_t *)ver, strlen(ver));
		}
	} else {
		r = exchange(conn, sc, q, rsp);
	}
	if (r == SK_ERR_CARD_REMOVED)
		skd_card_lost(h);
	skd_card_release(&h);
	return r;
}

/* getInfo and the SELECT answer are public and change only through commands we relay: answered
 * from the cache (no tap, no APDU) unless --fresh. */
static int from_cache(const struct ctap_req *q, struct sk_buf *rsp)
{
	struct skd_chip_info ci;
	const char *key;
	uint8_t *v = NULL;
	size_t n = 0;
	int r;

	if (q->fresh)
		return SK_ERR_NOT_FOUND;
	if (q->mode == MODE_SELECT)
		key = SELECT_KEY;
	else if (q->mode == MODE_CBOR && q->len == 1 && q->msg[0] == CTAPISO_CMD_GET_INFO)
		key = INFO_KEY;
	else
		return SK_ERR_NOT_FOUND;
	if ((r = skd_chip_find(q->chip, &ci)) != 0)
		return r;
	if ((r = skd_cache_get(ci.id, key, &v, &n)) == 0)
		r = n == 0 ? SK_ERR_NOT_FOUND : sk_buf_put(rsp, v, n);
	free(v);
	return r;
}

/* makeCredential and getAssertion are private-key operations: they pass the audit gate first
 * and their event (the relying party, a hash of the message) is recorded before the answer. */
static const char *key_op(const struct ctap_req *q)
{
	if (q->mode == MODE_U2F && q->len >= 2 && (q->msg[1] == 0x01 || q->msg[1] == 0x02))
		return q->msg[1] == 0x01 ? "fido-register" : "fido-assert";
	if (q->mode != MODE_CBOR)
		return NULL;
	if (q->msg[0] == CTAPISO_CMD_MAKE_CREDENTIAL)
		return "fido-register";
	return q->msg[0] == CTAPISO_CMD_GET_ASSERTION ? "fido-assert" : NULL;
}

/* r: the relay's result; a CTAP error status counts as the operation's failure */
static int record_op(const struct ctap_req *q, const char *op, const struct sk_buf *rsp, int r)
{
	struct skd_event ev = { .kind = SKD_EV_KEY_OP, .chip = q->chip, .op = op, .counter = -1,
		.retries = -1, .signed_data = q->msg, .signed_len = q->len };
	char rp[64];
	int e;

	if (r == 0 && q->mode == MODE_CBOR && sk_buf_len(rsp) > 0 && sk_buf_ptr(rsp)[0] != 0)
		r = SK_ERR_DENIED;
	rp[0] = '\0';
	if (q->mode == MODE_CBOR)
		ctap_msg_rp_id(q->msg, q->len, rp, sizeof(rp));
	ev.object = rp[0] ? rp : NULL;
	ev.result = r;
	if ((e = skd_event_publish(&ev)) != 0 && r == 0) {
		sk_warn("fido: the operation's event was not recorded (%s): answer withheld", sk_strerror(e));
		return skd_config.audit == SKD_AUDIT_OFF ? 0 : SK_ERR_UNRECORDED;
	}
	return r == 0 ? skd_guard_confirm(0, SKD_EV_KEY_OP, q->chip, op, ev.object) : 0;
}

static void after_answer(const struct ctap_req *q, const struct sk_buf *rsp)
{
	const uint8_t *p = sk_buf_ptr(rsp);

	if (q->mode != MODE_CBOR || sk_buf_len(rsp) < 1 || p[0] != 0x00)
		return;
	if (q->msg[0] == CTAPISO_CMD_GET_INFO && q->len == 1)
		skd_cache_put(q->chip, INFO_KEY, p, sk_buf_len(rsp));
	else if (ctap_msg_changes_info(q->msg, q->len))
		skd_cache_del(q->chip, INFO_KEY);
}

static int inquire_msg(assuan_context_t ctx, struct ctap_req *q)
{
	unsigned char *buf = NULL;
	size_t n = 0;
	gpg_error_t e;

	if ((e = assuan_inquire(ctx, "CTAPMSG", &buf, &n, CTAP_ISO_MSG_MAX)) != 0)
		return (gpg_err_code(e) == GPG_ERR_ASS_TOO_MUCH_DATA ||
		    gpg_err_code(e) == GPG_ERR_TOO_LARGE) ? SK_ERR_TOOBIG : SK_ERR_CANCELED;
	if (n == 0) {
		free(buf);
		return SK_ERR_ARG;
	}
	q->msg = buf;
	q->len = n;
	return 0;
}

static gpg_error_t cmd_ctap(assuan_context_t ctx, char *line)
{
	struct skd_conn *conn = skd_conn_get(ctx);
	struct ctap_req q;
	struct sk_buf *rsp = NULL;
	const char *op;
	gpg_error_t e = 0;
	int r, e2;

	memset(&q, 0, sizeof(q));
	if ((r = parse_line(line, &q)) != 0)
		return skd_fail(ctx, r, "CTAP [--u2f|--select] [--fresh] [<chipid>]");
	if (q.chip[0] == '\0')
		snprintf(q.chip, sizeof(q.chip), "%s", skd_conn_chip(conn));
	if ((rsp = sk_buf_new(CTAP_ISO_RSP_MAX + 2)) == NULL) {
		r = SK_ERR_NOMEM;
		goto out;
	}
	if (q.mode != MODE_SELECT && (r = inquire_msg(ctx, &q)) != 0)
		goto out;
	if ((r = from_cache(&q, rsp)) == 0)
		goto send;
	skd_event_set_door("fido");
	op = key_op(&q);
	if (op != NULL && (r = skd_guard_gate()) != 0) {
		record_op(&q, op, rsp, r);
		goto out;
	}
	r = on_card(conn, &q, rsp);
	if (op != NULL && r != SK_ERR_CANCELED && (e2 = record_op(&q, op, rsp, r)) != 0 && r == 0)
		r = e2;
	if (r != 0)
		goto out;
	after_answer(&q, rsp);
send:
	e = skd_send_data(ctx, sk_buf_ptr(rsp), sk_buf_len(rsp));
out:
	if (q.msg != NULL) {
		sk_wipe(q.msg, q.len);   /* clientPIN messages carry encrypted PINs */
		free(q.msg);
	}
	sk_buf_free(&rsp);
	if (r != 0)
		return skd_fail(ctx, r, "CTAP");
	return e;
}

const struct skd_cmd skd_cmds_ctap[] = {
	{ "CTAP", cmd_ctap, "CTAP [--u2f|--select] [--fresh] [<chipid>]: INQUIRE CTAPMSG, D answer" },
	{ NULL, NULL, NULL }
};
