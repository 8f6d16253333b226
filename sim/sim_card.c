/* sim_card.c — the card framework: applet registry, SELECT by (partial) AID, command chaining
 * assembly, 61xx / GET RESPONSE for long answers, and the malformed-answer hooks. Everything the
 * reader sends is untrusted; the applets see only decoded, bounds-checked commands. */
#include <stdlib.h>
#include <string.h>

#include "sim_applet.h"
#include "sim_core.h"

#define SW_OK          0x9000u
#define SW_WRONG_LEN   0x6700u
#define SW_CHAIN_LAST  0x6883u
#define SW_NO_CHAIN    0x6884u
#define SW_COND        0x6985u
#define SW_NOT_FOUND   0x6A82u
#define SW_INS         0x6D00u
#define SW_CLA         0x6E00u
#define SW_INTERNAL    0x6F00u

struct sim_slot {
	const struct sim_applet_ops *ops;
	void *st;
};

struct sim_card {
	const struct sim_personality *pers;
	struct sim_slot *slots;
	size_t n;
	long selected;                /* index into slots, -1 when none */
	uint8_t duress_ctx;           /* context the DuressApplet last chose this field session
	                                 (0xFF none): picks the default OpenPGP instance */
	int dirty;
	/* command chaining in progress */
	int chaining;
	uint8_t chain_ins, chain_p1, chain_p2;
	struct sim_rbuf chain;
	/* answer waiting for GET RESPONSE */
	int pending;
	int pending_cut;              /* malformed "chain": power goes at the next GET RESPONSE */
	struct sim_rbuf pend;
	size_t pend_off;
	uint16_t pend_sw;
	/* malformed answers */
	enum sim_malformed mal;
	unsigned mal_rot, mal_counter;
	/* random UID of this field session (JCOP-style, 08 xx xx xx) */
	uint8_t rand_uid[4];
	int rand_uid_valid;
};

int sim_card_new(const struct sim_personality *pers, struct sim_card **out)
{
	struct sim_card *c = NULL;
	size_t i;
	int r = -1;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto out;
	c->pers = pers;
	c->selected = -1;
	c->duress_ctx = 0xFF;
	if ((c->slots = calloc(pers->napplets ? pers->napplets : 1, sizeof(*c->slots))) == NULL)
		goto out;
	for (i = 0; i < pers->napplets; i++) {
		c->slots[i].ops = pers->applets[i];
		if ((c->slots[i].st = c->slots[i].ops->create()) == NULL) {
			sim_log("applet %s: create failed", c->slots[i].ops->name);
			goto out;
		}
		c->n++;
	}
	*out = c;
	c = NULL;
	r = 0;
out:
	sim_card_free(&c);
	return r;
}

void sim_card_free(struct sim_card **cp)
{
	struct sim_card *c;
	size_t i;

	if (cp == NULL || (c = *cp) == NULL)
		return;
	for (i = 0; i < c->n; i++)
		c->slots[i].ops->destroy(c->slots[i].st);
	free(c->slots);
	sim_rbuf_free(&c->chain);
	sim_rbuf_free(&c->pend);
	free(c);
	*cp = NULL;
}

static void drop_chain(struct sim_card *c)
{
	c->chaining = 0;
	sim_rbuf_clear(&c->chain);
}

static void drop_pending(struct sim_card *c)
{
	c->pending = 0;
	c->pending_cut = 0;
	c->pend_off = 0;
	sim_rbuf_clear(&c->pend);
}

static void deselect_all(struct sim_card *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->slots[i].ops->deselect != NULL)
			c->slots[i].ops->deselect(c->slots[i].st);
	c->selected = -1;
}

void sim_card_power_loss(struct sim_card *c)
{
	c->rand_uid_valid = 0;
	c->duress_ctx = 0xFF;
	deselect_all(c);
	drop_chain(c);
	drop_pending(c);
}

int sim_card_take_dirty(struct sim_card *c)
{
	int d = c->dirty;

	c->dirty = 0;
	return d;
}

void sim_card_set_malformed(struct sim_card *c, enum sim_malformed m)
{
	c->mal = m;
	c->mal_rot = 0;
}

enum sim_malformed sim_card_malformed(const struct sim_card *c)
{
	return c->mal;
}

const struct sim_personality *sim_card_personality(const struct sim_card *c)
{
	return c->pers;
}

const char *sim_card_selected_name(const struct sim_card *c)
{
	return c->selected >= 0 ? c->slots[c->selected].ops->name : "none";
}

size_t sim_card_napplets(const struct sim_card *c)
{
	return c->n;
}

const struct sim_applet_ops *sim_card_applet(const struct sim_card *c, size_t i, void **st)
{
	if (i >= c->n)
		return NULL;
	if (st != NULL)
		*st = c->slots[i].st;
	return c->slots[i].ops;
}

static int put_sw(struct sim_rbuf *resp, uint16_t sw)
{
	return sim_rbuf_u16(resp, sw);
}

/* Partial-AID matching: the host may send a prefix of the instance AID (its full AID when the
 * applet has one that depends on state, such as the OpenPGP serial). When the prefix matches
 * several instances (the partial OpenPGP AID and three OpenPGP instances), the instance of the
 * context the DuressApplet last chose in this field session wins, the primary's (context 0)
 * when none was chosen or the last SELECT_CONTEXT failed. A real chip has no such link between
 * applets: there the partial AID selects whatever instance the provisioning installed first,
 * and skinkeyd selects a context's instance by its full AID. */
static long find_applet(const struct sim_card *c, const uint8_t *aid, size_t len)
{
	uint8_t want = c->duress_ctx < 3 ? c->duress_ctx : 0;
	long first = -1;
	size_t i;

	if (len == 0)
		return -1;
	for (i = 0; i < c->n; i++) {
		const struct sim_applet_ops *o = c->slots[i].ops;
		uint8_t full[32];
		const uint8_t *a = o->aid;
		size_t alen = o->aid_len;
		int n;

		if (o->flags & SIM_APPLET_RAW || o->aid == NULL)
			continue;
		if (o->instance_aid != NULL &&
		    (n = o->instance_aid(c->slots[i].st, full, sizeof(full))) > 0) {
			a = full;
			alen = (size_t)n;
		}
		if (len > alen || memcmp(a, aid, len) != 0)
			continue;
		if (o->context == want)
			return (long)i;
		if (first < 0)
			first = (long)i;
	}
	return first;
}

static uint16_t do_select(struct sim_card *c, const struct sim_apdu *a, struct sim_rbuf *data)
{
	struct sim_env env = { .dirty = 0, .random = sim_random };
	long idx = find_applet(c, a->data, a->lc);
	struct sim_slot *s;
	uint16_t sw;

	if (idx < 0) {
		sim_log("SELECT: no applet matches the AID (%zu bytes)", a->lc);
		return SW_NOT_FOUND;
	}
	if (c->selected >= 0 && c->slots[c->selected].ops->deselect != NULL)
		c->slots[c->selected].ops->deselect(c->slots[c->selected].st);
	c->selected = -1;
	s = &c->slots[idx];
	sw = s->ops->select != NULL ? s->ops->select(s->st, data, &env) : SW_OK;
	if (env.dirty)
		c->dirty = 1;
	if (sw == SW_OK)
		c->selected = idx;
	else
		sim_log("SELECT %s refused with %04X", s->ops->name, sw);
	return sw;
}

static uint16_t call_process(struct sim_card *c, struct sim_slot *s, const struct sim_apdu *a,
    struct sim_rbuf *data)
{
	struct sim_env env = { .dirty = 0, .random = sim_random };
	uint16_t sw = s->ops->process(s->st, a, data, &env);

	if (env.dirty)
		c->dirty = 1;
	if (env.ctx_set)
		c->duress_ctx = env.ctx;
	return sw;
}

/* Command chaining (CLA bit 0x10). Returns 1 when the block was consumed (sw set), 0 when a
 * complete command is ready in *a (possibly pointing into c->chain). */
static int chain_step(struct sim_card *c, struct sim_slot *s, struct sim_apdu *a, uint16_t *sw)
{
	int more = (a->cla & 0x10) != 0;

	if (c->chaining && (a->ins != c->chain_ins || a->p1 != c->chain_p1 || a->p2 != c->chain_p2)) {
		sim_log("chain: command %02X %02X %02X breaks the chain, dropped", a->ins, a->p1, a->p2);
		drop_chain(c);
	}
	if (!more && !c->chaining)
		return 0;
	if (!(s->ops->flags & SIM_APPLET_CHAINING)) {
		*sw = SW_NO_CHAIN;
		return 1;
	}
	if (a->lc > SIM_CHAIN_MAX - c->chain.len || sim_rbuf_put(&c->chain, a->data, a->lc) != 0) {
		sim_log("chain: assembled command over %u bytes, dropped", SIM_CHAIN_MAX);
		drop_chain(c);
		*sw = SW_WRONG_LEN;
		return 1;
	}
	if (more) {
		c->chaining = 1;
		c->chain_ins = a->ins;
		c->chain_p1 = a->p1;
		c->chain_p2 = a->p2;
		*sw = SW_OK;
		return 1;
	}
	c->chaining = 0;
	a->data = c->chain.p;
	a->lc = c->chain.len;
	return 0;
}

/* How much data one answer may carry before the rest goes through GET RESPONSE. */
static size_t answer_limit(const struct sim_apdu *a)
{
	if (a->extended)
		return a->le ? a->le : 65536;
	return (a->le && a->le < 256) ? a->le : 256;
}

static uint16_t more_sw(size_t remaining)
{
	return (uint16_t)(0x6100u | (remaining >= 256 ? 0 : remaining));
}

/* Send up to limit bytes of data; keep the rest for GET RESPONSE. */
static int emit(struct sim_card *c, const uint8_t *data, size_t len, uint16_t sw, size_t limit,
    struct sim_rbuf *resp)
{
	if (len <= limit)
		return sim_rbuf_put(resp, data, len) || put_sw(resp, sw);
	drop_pending(c);
	if (sim_rbuf_put(&c->pend, data + limit, len - limit) != 0)
		return -1;
	c->pending = 1;
	c->pend_sw = sw;
	return sim_rbuf_put(resp, data, limit) || put_sw(resp, more_sw(len - limit));
}

static int get_response(struct sim_card *c, const struct sim_apdu *a, struct sim_rbuf *resp)
{
	size_t left = c->pend.len - c->pend_off, lim = answer_limit(a), n = left < lim ? left : lim;
	uint16_t sw = c->pend_sw;

	if (sim_rbuf_put(resp, c->pend.p + c->pend_off, n) != 0)
		return -1;
	c->pend_off += n;
	left -= n;
	if (left > 0)
		sw = more_sw(left);
	else
		drop_pending(c);
	return put_sw(resp, sw);
}

static enum sim_malformed pick_malformed(struct sim_card *c)
{
	enum sim_malformed k = c->mal;

	if (k == SIM_MAL_ON) {
		k = (enum sim_malformed)(SIM_MAL_TRUNCATE + c->mal_rot % 4);
		c->mal_rot++;
	}
	return k;
}

/* Deliver an applet's answer: malformed hooks first, then 61xx splitting. */
static int deliver(struct sim_card *c, const struct sim_apdu *a, struct sim_rbuf *data,
    uint16_t sw, int raw, struct sim_rbuf *resp)
{
	enum sim_malformed k = SIM_MAL_OFF;

	if (data->len > 0 && c->mal != SIM_MAL_OFF)
		k = pick_malformed(c);
	if (k == SIM_MAL_CHAIN) {
		size_t half = data->len / 2;

		sim_log("malformed: chain (61xx, power cut at GET RESPONSE)");
		if (emit(c, data->p, data->len, sw, half, resp) != 0)
			return -1;
		if (!c->pending) {  /* one-byte answer: nothing left to split, cut at the next APDU */
			c->pending = 1;
			c->pend_sw = sw;
		}
		c->pending_cut = 1;
		return 0;
	}
	if (k != SIM_MAL_OFF && sim_malformed_apply(k, data, &sw, &c->mal_counter) != 0)
		return -1;
	if (raw)
		return sim_rbuf_put(resp, data->p, data->len) || put_sw(resp, sw);
	return emit(c, data->p, data->len, sw, answer_limit(a), resp);
}

static uint16_t dispatch(struct sim_card *c, struct sim_apdu *a, struct sim_rbuf *data)
{
	struct sim_slot *s;
	uint16_t sw = SW_OK;

	if ((a->cla & 0xFC) == 0 && a->ins == 0xA4 && a->p1 == 0x04) {
		drop_chain(c);
		return do_select(c, a, data);
	}
	if (a->cla == 0xFF)
		return SW_CLA;
	if (c->selected < 0) {
		drop_chain(c);
		return SW_INS;
	}
	s = &c->slots[c->selected];
	if (chain_step(c, s, a, &sw))
		return sw;
	sw = call_process(c, s, a, data);
	if (a->data == c->chain.p && a->data != NULL)
		sim_rbuf_clear(&c->chain);
	return sw;
}

static struct sim_slot *raw_slot(struct sim_card *c)
{
	if (c->n == 1 && (c->slots[0].ops->flags & SIM_APPLET_RAW))
		return &c->slots[0];
	return NULL;
}

/* PC/SC pseudo-APDU FF CA (GET DATA): answered by the reader, not the chip, so it leaves the
 * card's state (selection, pending answer, chaining) alone. P1 00 = UID. */
static void reader_get_data(struct sim_card *c, const struct sim_apdu *a, struct sim_rbuf *resp)
{
	uint8_t uid[10];
	int n = -1;
	size_t i;

	if (a->p1 != 0x00 || a->p2 != 0x00) {
		put_sw(resp, 0x6A81);
		return;
	}
	for (i = 0; i < c->n && n < 0; i++)
		if (c->slots[i].ops->uid != NULL)
			n = c->slots[i].ops->uid(c->slots[i].st, uid, sizeof(uid));
	if (n < 0) {
		if (!c->rand_uid_valid) {
			c->rand_uid[0] = 0x08;
			sim_random(c->rand_uid + 1, 3);
			c->rand_uid_valid = 1;
		}
		memcpy(uid, c->rand_uid, 4);
		n = 4;
	}
	if (a->le != 0 && a->le < (size_t)n) {
		put_sw(resp, (uint16_t)(0x6C00 | (unsigned)n));
		return;
	}
	if (sim_rbuf_put(resp, uid, (size_t)n) != 0)
		sim_rbuf_clear(resp);
	put_sw(resp, 0x9000);
}

static int has_uid_op(const struct sim_card *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->slots[i].ops->uid != NULL)
			return 1;
	return 0;
}

static int selected_sends_remaining(const struct sim_card *c)
{
	return c->selected >= 0 && (c->slots[c->selected].ops->flags & SIM_APPLET_SEND_REMAINING);
}

enum sim_tx_result sim_card_transmit(struct sim_card *c, const uint8_t *cmd, size_t n,
    struct sim_rbuf *resp)
{
	struct sim_rbuf data = { NULL, 0, 0 };
	struct sim_slot *raw = raw_slot(c);
	struct sim_apdu a;
	enum sim_tx_result res = SIM_TX_ANSWER;
	uint16_t sw;

	sim_rbuf_clear(resp);
	if (sim_apdu_parse(cmd, n, &a) != 0) {
		sim_log("malformed command APDU (%zu bytes): 6700", n);
		drop_chain(c);
		put_sw(resp, SW_WRONG_LEN);
		goto out;
	}
	if (a.cla == 0xFF && a.ins == 0xCA && (raw == NULL || has_uid_op(c))) {
		reader_get_data(c, &a, resp);
		goto out;
	}
	if (c->pending && (a.cla & 0x80) == 0 && (a.ins == 0xC0 || (a.ins == 0xA5 && selected_sends_remaining(c)))) {
		if (c->pending_cut) {
			sim_log("malformed chain: power cut in the middle of GET RESPONSE");
			res = SIM_TX_CUT;
		} else if (get_response(c, &a, resp) != 0) {
			sim_rbuf_clear(resp);
			put_sw(resp, SW_INTERNAL);
		}
		goto out;
	}
	if (c->pending_cut) {
		res = SIM_TX_CUT;
		goto out;
	}
	drop_pending(c);
	if (raw != NULL)
		sw = call_process(c, raw, &a, &data);
	else
		sw = dispatch(c, &a, &data);
	if (deliver(c, &a, &data, sw, raw != NULL, resp) != 0) {
		sim_log("out of memory building the answer");
		sim_rbuf_clear(resp);
		put_sw(resp, SW_INTERNAL);
	}
out:
	sim_rbuf_free(&data);
	return res;
}
