/* cmd_core.c — daemon-level commands with scdaemon's semantics (GETINFO, RESTART, KILLSCD,
 * DISCONNECT) and skinkey's CHIPS and READERS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/sk_err.h"
#include "pgp.h"
#include "sk_config.h"
#include "skd_int.h"

#define SKD_SCD_COMPAT_VERSION "2.2.40"

static gpg_error_t send_text(assuan_context_t ctx, const char *s)
{
	return skd_send_data(ctx, s, strlen(s));
}

static gpg_error_t info_reader_list(assuan_context_t ctx)
{
	struct skd_reader_info *rd = NULL;
	size_t n = 0, used = 0;
	char buf[4096] = "";
	gpg_error_t e;
	int r;

	if ((r = skd_cardmgr_readers(&rd, &n)) != 0)
		return skd_fail(ctx, r, "reader list");
	for (size_t i = 0; i < n && used < sizeof(buf); i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s\n", rd[i].name);
	e = used ? send_text(ctx, buf) : 0;
	free(rd);
	return e;
}

static gpg_error_t info_card_list(assuan_context_t ctx)
{
	struct skd_chip_info *v = NULL;
	size_t n = 0;
	gpg_error_t e = 0;
	int r;

	struct opgp_info info;
	char sn[33];

	/* scdaemon's format: the OpenPGP serial number (gpg-agent's ssh support parses it and
	 * demands it back); every known OpenPGP chip, as listing needs no tap here */
	if ((r = skd_chip_list(&v, &n)) != 0)
		return skd_fail(ctx, r, "chip list");
	for (size_t i = 0; i < n && e == 0; i++) {
		if (strstr(v[i].applets, "openpgp") == NULL || skd_pgp_info(v[i].id, &info) != 0)
			continue;
		skd_pgp_serialno(&info, sn);
		e = skd_status(ctx, "SERIALNO", "%s", sn);
	}
	free(v);
	return e;
}

static gpg_error_t info_has_option(assuan_context_t ctx, const char *args)
{
	static const char *const have[] = {
		"SERIALNO demand", "LEARN force", "PKSIGN hash", "GENKEY timestamp", "PASSWD reset",
		"PASSWD nullpin", "READKEY advanced", "GETATTR ", NULL
	};
	char cmd[64] = "", opt[64] = "";

	if (sscanf(args, "%63s %63s", cmd, opt) != 2)
		return gpg_error(GPG_ERR_ASS_PARAMETER);
	for (size_t i = 0; have[i] != NULL; i++) {
		char want[130];
		snprintf(want, sizeof(want), "%s %s", cmd, opt);
		if (strcasecmp(have[i], want) == 0)
			return 0;
	}
	return gpg_error(GPG_ERR_FALSE);
}

static gpg_error_t cmd_getinfo(assuan_context_t ctx, char *line)
{
	char buf[64];

	/* gpg compares this with its own version and warns about an "outdated scdaemon": answer
	 * the scdaemon version whose protocol we implement; skinkey's own is skinkey_version. */
	if (strcmp(line, "version") == 0)
		return send_text(ctx, SKD_SCD_COMPAT_VERSION);
	if (strcmp(line, "skinkey_version") == 0)
		return send_text(ctx, SK_VERSION);
	if (strcmp(line, "pid") == 0) {
		snprintf(buf, sizeof(buf), "%ld", (long)getpid());
		return send_text(ctx, buf);
	}
	if (strcmp(line, "socket_name") == 0)
		return send_text(ctx, skd_socket_name());
	if (strcmp(line, "connections") == 0) {
		snprintf(buf, sizeof(buf), "%d", skd_conn_count());
		return send_text(ctx, buf);
	}
	if (strcmp(line, "status") == 0) {
		char cur[SKD_CHIPID_MAX];
		return send_text(ctx, skd_cardmgr_current(cur, sizeof(cur)) == 0 ? "u" : "r");
	}
	if (strcmp(line, "reader_list") == 0)
		return info_reader_list(ctx);
	if (strcmp(line, "deny_admin") == 0)
		return gpg_error(GPG_ERR_GENERAL);   /* admin commands are allowed */
	if (strcmp(line, "app_list") == 0)
		return send_text(ctx, "openpgp:OpenPGP card\nykhmac:HMAC-SHA1 challenge-response\n");
	if (strcmp(line, "card_list") == 0 || strcmp(line, "all_active_apps") == 0 ||
	    strcmp(line, "active_apps") == 0)
		return info_card_list(ctx);
	if (strncmp(line, "cmd_has_option ", 15) == 0)
		return info_has_option(ctx, line + 15);
	return assuan_set_error(ctx, gpg_error(GPG_ERR_ASS_PARAMETER), "unknown value for WHAT");
}

static gpg_error_t cmd_restart(assuan_context_t ctx, char *line)
{
	struct skd_conn *c = skd_conn_get(ctx);

	(void)line;
	skd_conn_set_chip(c, "");
	skd_conn_cleardata(c);
	return 0;
}

static gpg_error_t cmd_disconnect(assuan_context_t ctx, char *line)
{
	(void)line;
	skd_conn_set_chip(skd_conn_get(ctx), "");
	return 0;
}

/* Ends this connection; a pipe-mode daemon (started by gpg-agent) also exits. The socket daemon
 * keeps serving other clients: KILLSCD from one gpg-agent must not cut off the others. */
static gpg_error_t cmd_killscd(assuan_context_t ctx, char *line)
{
	struct skd_conn *c = skd_conn_get(ctx);

	(void)line;
	if (c->pipe_mode)
		skd_request_shutdown();
	assuan_set_flag(ctx, ASSUAN_FORCE_CLOSE, 1);
	return 0;
}

static const char *or_dash(const char *s)
{
	return s[0] != '\0' ? s : "-";
}

static gpg_error_t chip_line(assuan_context_t ctx, const struct skd_chip_info *ci)
{
	char *reader = skd_escape(ci->reader, strlen(ci->reader));
	char *label = skd_escape(ci->label, strlen(ci->label));
	gpg_error_t e;

	if (reader == NULL || label == NULL)
		e = gpg_error(GPG_ERR_ENOMEM);
	else
		e = skd_status(ctx, "CHIP", "%s %d %s %s %s", ci->id, ci->present,
		    or_dash(ci->applets), or_dash(reader), or_dash(label));
	free(reader);
	free(label);
	return e;
}

static gpg_error_t cmd_chips(assuan_context_t ctx, char *line)
{
	struct skd_chip_info *v = NULL;
	size_t n = 0;
	gpg_error_t e = 0;
	int r;

	(void)line;
	if ((r = skd_chip_list(&v, &n)) != 0)
		return skd_fail(ctx, r, "chip list");
	for (size_t i = 0; i < n && e == 0; i++)
		e = chip_line(ctx, &v[i]);
	free(v);
	return e;
}

static gpg_error_t cmd_readers(assuan_context_t ctx, char *line)
{
	struct skd_reader_info *v = NULL;
	size_t n = 0;
	gpg_error_t e = 0;
	int r;

	(void)line;
	if ((r = skd_cardmgr_readers(&v, &n)) != 0)
		return skd_fail(ctx, r, "reader list");
	for (size_t i = 0; i < n && e == 0; i++) {
		char *name = skd_escape(v[i].name, strlen(v[i].name));
		if (name == NULL) {
			e = gpg_error(GPG_ERR_ENOMEM);
			break;
		}
		e = skd_status(ctx, "READER", "%s %d %s", name, v[i].card, or_dash(v[i].chip));
		free(name);
	}
	free(v);
	return e;
}

/* CHIPLABEL <chipid> <label percent-escaped>: name a known chip ("" clears). */
static gpg_error_t cmd_chiplabel(assuan_context_t ctx, char *line)
{
	char chip[SKD_CHIPID_MAX], *label;
	size_t n;
	int r;

	while (*line == ' ')
		line++;
	n = strcspn(line, " ");
	if (n == 0 || n >= sizeof(chip))
		return assuan_set_error(ctx, gpg_error(GPG_ERR_ASS_PARAMETER), "CHIPLABEL CHIPID LABEL");
	memcpy(chip, line, n);
	chip[n] = '\0';
	label = line + n;
	while (*label == ' ')
		label++;
	if (skd_unescape(label, 1) >= 64 || strchr(label, '\n') != NULL)
		return assuan_set_error(ctx, gpg_error(GPG_ERR_TOO_LARGE), "label: at most 63 bytes, one line");
	if ((r = skd_state_chip_label(chip, label)) != 0)
		return skd_fail(ctx, r, "CHIPLABEL");
	return 0;
}

const struct skd_cmd skd_cmds_core[] = {
	{ "CHIPLABEL", cmd_chiplabel, "CHIPLABEL CHIPID LABEL: name a known chip" },
	{ "GETINFO", cmd_getinfo, "GETINFO WHAT: version skinkey_version pid socket_name connections status "
	    "reader_list deny_admin app_list card_list cmd_has_option" },
	{ "RESTART", cmd_restart, "RESTART: forget this connection's chip and data" },
	{ "DISCONNECT", cmd_disconnect, "DISCONNECT: release the chip (no-op: cards are shared)" },
	{ "KILLSCD", cmd_killscd, "KILLSCD: end this connection (pipe mode: exit)" },
	{ "CHIPS", cmd_chips, "CHIPS: S CHIP <id> <present> <applets> <reader> <label>" },
	{ "READERS", cmd_readers, "READERS: S READER <name> <card> <chip>" },
	{ NULL, NULL, NULL }
};
