/* conf.c — skinkeyd's settings from skinkey.conf (parsed by common/config.h).
 *   tap-timeout = 30s                 how long an operation waits for a tap
 *   inquire-timeout = 5m              how long a client may take to answer an INQUIRE (a PIN)
 *   pin-cache = presence | never | N minutes
 *   log-level = error | warn | info | debug | trace
 *   reader-allow = SUBSTRING[,SUBSTRING...]   (empty = every reader)
 *   reader-deny = SUBSTRING[,SUBSTRING...]
 *   pinentry-program = /usr/bin/pinentry   asks PINs no client can supply (ssh-agent socket)
 *   vault-originality = nxp | sim | off   DESFire chips the vault provisions (default nxp)
 *   idle-exit = 0                     exit after this long without clients (0 = never)
 *   duress = off | on                 the first PIN for a chip with a DuressApplet goes to the
 *                                     applet, whose context picks the OpenPGP instance
 *                                     (doc/DURESS.md; `skinkey duress setup` writes it) */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/sk_err.h"
#include "skd_int.h"

struct skd_conf skd_config = { .tap_timeout_ms = 30000, .inquire_timeout_ms = 300000,
	.log_level = -1,
	.audit_deadline_ms = 2000 };

static const char *const known_keys[] = {
	"tap-timeout", "inquire-timeout", "pin-cache", "log-level", "reader-allow", "reader-deny", "idle-exit", "pinentry-program", "vault-originality",
	"audit", "audit-deadline", "anchor-command",
	"presence-interval", "presence-grace", "presence-actions", "burn-actions", "duress", NULL
};

void skd_conf_defaults(struct skd_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->tap_timeout_ms = 30000;
	c->inquire_timeout_ms = 300000;
	c->pin_policy = SKD_PIN_PRESENCE;
	c->log_level = -1;
	c->audit = SKD_AUDIT_REQUIRED;
	c->audit_deadline_ms = 2000;
}

int skd_conf_tap_timeout_ms(void)
{
	return skd_config.tap_timeout_ms;
}

int skd_conf_duress(void)
{
	return skd_config.duress;
}

int skd_conf_vault_originality(void)
{
	return skd_config.vault_originality;
}

/* "presence", "never", "N", "N minutes", "N min". */
static int parse_pin_cache(struct skd_conf *c, const char *v)
{
	char *end;
	long n;

	if (strcmp(v, "presence") == 0) {
		c->pin_policy = SKD_PIN_PRESENCE;
		return 0;
	}
	if (strcmp(v, "never") == 0) {
		c->pin_policy = SKD_PIN_NEVER;
		return 0;
	}
	if (!isdigit((unsigned char)v[0]))
		return -1;
	n = strtol(v, &end, 10);
	while (*end == ' ')
		end++;
	if (n <= 0 || n > 24 * 60)
		return -1;
	if (*end != '\0' && strcmp(end, "minutes") != 0 && strcmp(end, "minute") != 0 &&
	    strcmp(end, "min") != 0 && strcmp(end, "m") != 0)
		return -1;
	c->pin_policy = SKD_PIN_MINUTES;
	c->pin_minutes = (int)n;
	return 0;
}

static int parse_readers(char list[8][128], int *n, const char *v)
{
	const char *p = v;

	while (*p != '\0') {
		size_t len = strcspn(p, ",");
		while (len > 0 && *p == ' ') {
			p++;
			len--;
		}
		if (len > 0) {
			if (*n >= 8 || len >= 128)
				return -1;
			snprintf(list[*n], 128, "%.*s", (int)len, p);
			(*n)++;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

static int from_config(struct skd_conf *c, const struct sk_config *cf)
{
	const char *s;
	uint64_t ms;
	int r;

	if ((r = sk_config_check_known(cf, known_keys)) != 0)
		return r;
	if ((r = sk_config_get_duration(cf, NULL, "tap-timeout", 30000, 0, 3600000, &ms)) != 0)
		return r;
	c->tap_timeout_ms = (int)ms;
	if ((r = sk_config_get_duration(cf, NULL, "inquire-timeout", 300000, 1000, 3600000, &ms)) != 0)
		return r;
	c->inquire_timeout_ms = (int)ms;
	if ((r = sk_config_get_duration(cf, NULL, "idle-exit", 0, 0, 7 * 86400000ull, &ms)) != 0)
		return r;
	c->idle_exit_s = (int)(ms / 1000);
	/* skinkey-guard owns presence-interval (and refuses a bad one); skinkeyd only needs to know
	 * whether checks run */
	c->presence_watch = sk_config_get_duration(cf, NULL, "presence-interval", 0, 0, 3600000,
	    &ms) == 0 && ms != 0;
	if ((r = sk_config_get_string(cf, NULL, "vault-originality", "nxp", &s)) != 0)
		return r;
	if (strcmp(s, "nxp") == 0)
		c->vault_originality = SKD_ORIG_NXP;
	else if (strcmp(s, "sim") == 0)
		c->vault_originality = SKD_ORIG_SIM;
	else if (strcmp(s, "off") == 0)
		c->vault_originality = SKD_ORIG_OFF;
	else {
		sk_error("skinkey.conf: vault-originality: expected nxp, sim or off, not '%s'", s);
		return SK_ERR_CONFIG;
	}
	if ((r = sk_config_get_string(cf, NULL, "duress", "off", &s)) != 0)
		return r;
	if (strcmp(s, "on") == 0) {
		c->duress = 1;
	} else if (strcmp(s, "off") != 0) {
		sk_error("skinkey.conf: duress: expected on or off, not '%s'", s);
		return SK_ERR_CONFIG;
	}
	if ((r = sk_config_get_string(cf, NULL, "audit", "required", &s)) != 0)
		return r;
	if (strcmp(s, "required") == 0)
		c->audit = SKD_AUDIT_REQUIRED;
	else if (strcmp(s, "off") == 0)
		c->audit = SKD_AUDIT_OFF;
	else {
		sk_error("skinkey.conf: audit: expected required or off, not '%s'", s);
		return SK_ERR_CONFIG;
	}
	if ((r = sk_config_get_duration(cf, NULL, "audit-deadline", 2000, 100, 60000, &ms)) != 0)
		return r;
	c->audit_deadline_ms = (int)ms;
	if ((r = sk_config_get_string(cf, NULL, "pinentry-program", "/usr/bin/pinentry", &s)) != 0)
		return r;
	if (strlen(s) >= sizeof(c->pinentry_program) || s[0] != '/') {
		sk_error("skinkey.conf: pinentry-program: expected an absolute path, not '%s'", s);
		return SK_ERR_CONFIG;
	}
	snprintf(c->pinentry_program, sizeof(c->pinentry_program), "%s", s);
	if ((r = sk_config_get_string(cf, NULL, "pin-cache", "presence", &s)) != 0)
		return r;
	if (parse_pin_cache(c, s) != 0) {
		sk_error("skinkey.conf: pin-cache: expected presence, never or N minutes, not '%s'", s);
		return SK_ERR_CONFIG;
	}
	if ((r = sk_config_get_string(cf, NULL, "log-level", NULL, &s)) != 0)
		return r;
	if (s != NULL && sk_log_parse_level(s, &c->log_level) != 0) {
		sk_error("skinkey.conf: log-level: unknown level '%s'", s);
		return SK_ERR_CONFIG;
	}
	if ((r = sk_config_get_string(cf, NULL, "reader-allow", "", &s)) != 0)
		return r;
	if (parse_readers(c->reader_allow, &c->n_allow, s) != 0) {
		sk_error("skinkey.conf: reader-allow: too many or too long names");
		return SK_ERR_CONFIG;
	}
	if ((r = sk_config_get_string(cf, NULL, "reader-deny", "", &s)) != 0)
		return r;
	if (parse_readers(c->reader_deny, &c->n_deny, s) != 0) {
		sk_error("skinkey.conf: reader-deny: too many or too long names");
		return SK_ERR_CONFIG;
	}
	return 0;
}

int skd_conf_parse(struct skd_conf *c, const char *name, const char *text, size_t len)
{
	struct sk_config *cf = NULL;
	int r;

	skd_conf_defaults(c);
	if ((r = sk_config_parse(name, text, len, &cf)) == 0)
		r = from_config(c, cf);
	sk_config_free(&cf);
	return r;
}

int skd_conf_load(const char *path)
{
	char def[PATH_MAX];
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	struct sk_config *cf = NULL;
	struct skd_conf c;
	int r;

	skd_conf_defaults(&c);
	if (path == NULL) {
		if (xdg != NULL && xdg[0] == '/')
			snprintf(def, sizeof(def), "%s/skinkey/skinkey.conf", xdg);
		else
			snprintf(def, sizeof(def), "%s/.config/skinkey/skinkey.conf", home ? home : "");
		path = def;
	}
	r = sk_config_load(path, &cf);
	if (r == SK_ERR_NOT_FOUND)
		r = 0;
	else if (r == 0)
		r = from_config(&c, cf);
	if (r == 0)
		skd_config = c;
	else
		sk_error("%s: not used (%s)", path, sk_strerror(r));
	sk_config_free(&cf);
	return r;
}

int skd_conf_reader_allowed(const struct skd_conf *c, const char *reader)
{
	for (int i = 0; i < c->n_deny; i++)
		if (strstr(reader, c->reader_deny[i]) != NULL)
			return 0;
	if (c->n_allow == 0)
		return 1;
	for (int i = 0; i < c->n_allow; i++)
		if (strstr(reader, c->reader_allow[i]) != NULL)
			return 1;
	return 0;
}
