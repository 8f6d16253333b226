/* cmd_presence.c — the commands skinkey-guard's presence watch uses (doc/PROTOCOL.md,
 * "Presence"):
 *   LIVENESS <chip>            one liveness check (liveness.c):
 *                              S LIVENESS <why> <us> <apdus> <proof aut|hmac|->
 *   PRESENCEENROLL [--again] <chip> [<slot 1|2>]   program an empty HMAC slot for the PIN-free
 *                              proof (liveness_hmac.c; one EEPROM write): S PRESENCEENROLL <slot>;
 *                              --again: a new secret in the enrolled (or the named) slot
 *   PRESENCE <state> [<chip>] [<detail>]   record the guard's presence change (audit event)
 *   DROPPINS                   forget every cached PIN and pinned key; reset the chip's PIN state
 *   LOCKAGENTS                 the ssh-agent and PKCS#11 doors answer "locked" until an unlock */
#include <stdio.h>
#include <string.h>

#include "common/card.h"
#include "common/sk_err.h"
#include "event.h"
#include "openpgp.h"
#include "skd_int.h"

/* First word of line into w (NUL-terminated); returns the rest (spaces skipped). */
static char *word(char *line, char *w, size_t n)
{
	size_t i = 0;

	while (*line == ' ')
		line++;
	while (*line != '\0' && *line != ' ') {
		if (i + 1 < n)
			w[i++] = *line;
		line++;
	}
	w[i] = '\0';
	while (*line == ' ')
		line++;
	return line;
}

static int chip_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= SKD_CHIPID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

static gpg_error_t cmd_liveness(assuan_context_t ctx, char *line)
{
	struct skd_conn *c = skd_conn_get(ctx);
	char chip[SKD_CHIPID_MAX];
	const char *why = "", *proof = "-";
	long long us = 0;
	int r, apdus = 0;

	word(line, chip, sizeof(chip));
	if (!chip_ok(chip))
		return skd_fail(ctx, SK_ERR_ARG, "LIVENESS <chip>");
	skd_event_set_door("guard");
	r = skd_liveness_check(c, chip, &why, &proof, &us, &apdus);
	skd_status(ctx, "LIVENESS", "%s %lld %d %s", why, us, apdus, proof);
	return r == 0 ? 0 : skd_fail(ctx, r, "liveness");
}

static gpg_error_t cmd_presenceenroll(assuan_context_t ctx, char *line)
{
	char chip[SKD_CHIPID_MAX], sl[8];
	char *rest;
	int r, slot = 0, got = 0, again = 0;

	while (*line == ' ')
		line++;
	if (strncmp(line, "--again ", 8) == 0) {
		again = 1;
		line += 8;
	}
	rest = word(line, chip, sizeof(chip));
	word(rest, sl, sizeof(sl));
	if (strcmp(sl, "1") == 0 || strcmp(sl, "2") == 0)
		slot = sl[0] - '0';
	else if (sl[0] != '\0')
		return skd_fail(ctx, SK_ERR_ARG, "PRESENCEENROLL [--again] <chip> [1|2]");
	if (!chip_ok(chip))
		return skd_fail(ctx, SK_ERR_ARG, "PRESENCEENROLL [--again] <chip> [1|2]");
	if ((r = skd_guard_gate()) != 0)
		return skd_fail(ctx, r, "PRESENCEENROLL");
	if ((r = skd_presence_enroll(skd_conn_get(ctx), chip, slot, again, &got)) != 0)
		return skd_fail(ctx, r, "PRESENCEENROLL");
	return skd_status(ctx, "PRESENCEENROLL", "%d", got);
}

static gpg_error_t cmd_presence(assuan_context_t ctx, char *line)
{
	struct skd_event ev = { .kind = SKD_EV_PRESENCE, .counter = -1, .retries = -1 };
	char state[32], chip[SKD_CHIPID_MAX];
	char *rest;

	rest = word(line, state, sizeof(state));
	rest = word(rest, chip, sizeof(chip));
	if (state[0] == '\0' || (chip[0] != '\0' && strcmp(chip, "-") != 0 && !chip_ok(chip)))
		return skd_fail(ctx, SK_ERR_ARG, "PRESENCE <state> [<chip>|-] [<detail>]");
	for (const char *p = state; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || *p == '-'))
			return skd_fail(ctx, SK_ERR_ARG, "PRESENCE: state is lower-case words");
	skd_unescape(rest, 1);
	skd_event_set_door("guard");
	ev.op = state;
	ev.chip = chip[0] != '\0' && strcmp(chip, "-") != 0 ? chip : NULL;
	ev.detail = rest[0] != '\0' ? rest : NULL;
	return skd_event_publish(&ev) == 0 ? 0 : skd_fail(ctx, SK_ERR_UNRECORDED, "PRESENCE");
}

static gpg_error_t cmd_droppins(assuan_context_t ctx, char *line)
{
	struct skd_conn *c = skd_conn_get(ctx);
	struct skd_card *h = NULL;
	char chip[SKD_CHIPID_MAX];

	(void)line;
	skd_pincache_clear_all();
	skd_liveness_forget(NULL);
	skd_duress_lock("pins-dropped");   /* a duress context ends with its PIN */
	/* The chip's PIN state: a SELECT of the applet resets it (no PIN, no write). A chip that
	 * is away has lost it already. */
	if (skd_cardmgr_current(chip, sizeof(chip)) == 0 && skd_cardmgr_present(chip, NULL, 0) &&
	    skd_card_acquire(c, chip, &h) == 0) {
		sk_card_forget_selection(skd_card_raw(h));
		if (opgp_select(skd_card_raw(h)) != 0)
			sk_info("%s: DROPPINS: the applet did not answer its SELECT", chip);
		skd_card_release(&h);
	}
	sk_info("presence: cached PINs dropped");
	return 0;
}

static gpg_error_t cmd_lockagents(assuan_context_t ctx, char *line)
{
	(void)ctx;
	(void)line;
	skd_agents_lock(1);
	skd_pincache_clear_all();
	skd_duress_lock("lock");
	sk_info("presence: ssh-agent and PKCS#11 locked until the next PIN");
	return 0;
}

const struct skd_cmd skd_cmds_presence[] = {
	{ "LIVENESS", cmd_liveness, "LIVENESS <chip>: S LIVENESS <why> <us> <apdus> (skinkey-guard)" },
	{ "PRESENCEENROLL", cmd_presenceenroll,
	  "PRESENCEENROLL [--again] <chip> [1|2]: an HMAC slot for the PIN-free liveness proof" },
	{ "PRESENCE", cmd_presence, "PRESENCE <state> [<chip>|-] [<detail>]: record a presence change" },
	{ "DROPPINS", cmd_droppins, "DROPPINS: forget cached PINs and the chip's PIN state" },
	{ "LOCKAGENTS", cmd_lockagents, "LOCKAGENTS: ssh-agent and PKCS#11 locked until a PIN" },
	{ NULL, NULL, NULL }
};
