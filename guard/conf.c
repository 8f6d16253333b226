/* conf.c — what skinkey-guard reads from skinkey.conf (the file skinkeyd reads; keys the guard
 * does not use are skinkeyd's and not checked here). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "guard.h"

struct guard_conf guard_config;

int guard_conf_parse_actions(const char *what, const char *s, unsigned *acts, char *exec,
    size_t exec_len)
{
	static const struct { const char *name; unsigned bit; } names[] = {
		{ "lock-session", GUARD_ACT_LOCK_SESSION }, { "drop-pins", GUARD_ACT_DROP_PINS },
		{ "lock-agents", GUARD_ACT_LOCK_AGENTS }, { "end-ssh", GUARD_ACT_END_SSH },
	};
	char w[32];
	size_t n;

	*acts = 0;
	exec[0] = '\0';
	for (;;) {
		s += strspn(s, " \t,");
		if (*s == '\0')
			break;
		n = strcspn(s, " \t,");
		if (n >= sizeof(w))
			goto bad;
		memcpy(w, s, n);
		w[n] = '\0';
		s += n;
		if (strcmp(w, "exec") == 0) {
			s += strspn(s, " \t");
			if (*s == '\0' || strlen(s) >= exec_len)
				goto bad;
			snprintf(exec, exec_len, "%s", s);
			*acts |= GUARD_ACT_EXEC;
			break;
		}
		for (n = 0; n < sizeof(names) / sizeof(names[0]); n++)
			if (strcmp(w, names[n].name) == 0)
				break;
		if (n == sizeof(names) / sizeof(names[0]))
			goto bad;
		*acts |= names[n].bit;
	}
	return 0;
bad:
	sk_error("skinkey.conf: %s: expected lock-session, drop-pins, lock-agents, end-ssh, "
	    "exec PROGRAM", what);
	return SK_ERR_CONFIG;
}

/* The setting being read when loading failed: the guard records it (config-error). */
static void refused(const char *what)
{
	snprintf(guard_config.refused, sizeof(guard_config.refused), "%s", what);
}

int guard_conf_load(const char *path)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME"), *s = NULL;
	struct sk_config *cf = NULL;
	char def[PATH_MAX];
	int r;

	memset(&guard_config, 0, sizeof(guard_config));
	if (path == NULL) {
		if (xdg != NULL && xdg[0] == '/')
			snprintf(def, sizeof(def), "%s/skinkey/skinkey.conf", xdg);
		else
			snprintf(def, sizeof(def), "%s/.config/skinkey/skinkey.conf", home ? home : "");
		path = def;
	}
	if ((r = sk_config_load(path, &cf)) == SK_ERR_NOT_FOUND)
		return 0;
	refused("skinkey.conf");
	if (r != 0)
		goto out;
	refused("anchor-command");
	if ((r = sk_config_get_string(cf, NULL, "anchor-command", "", &s)) != 0)
		goto out;
	if (strlen(s) >= sizeof(guard_config.anchor_command)) {
		sk_error("skinkey.conf: anchor-command is too long");
		r = SK_ERR_CONFIG;
		goto out;
	}
	snprintf(guard_config.anchor_command, sizeof(guard_config.anchor_command), "%s", s);
	refused("presence-interval");
	if ((r = sk_config_get_duration(cf, NULL, "presence-interval", 0, 0, 3600000,
	    &guard_config.presence_interval_ms)) != 0)
		goto out;
	if (guard_config.presence_interval_ms != 0 && guard_config.presence_interval_ms < 200) {
		sk_error("skinkey.conf: presence-interval below 200ms");
		r = SK_ERR_CONFIG;
		goto out;
	}
	refused("presence-grace");
	if ((r = sk_config_get_duration(cf, NULL, "presence-grace", 2000, 0, 3600000,
	    &guard_config.presence_grace_ms)) != 0)
		goto out;
	refused("presence-actions");
	if ((r = sk_config_get_string(cf, NULL, "presence-actions", "lock-session drop-pins", &s)) != 0)
		goto out;
	if ((r = guard_conf_parse_actions("presence-actions", s, &guard_config.presence_actions,
	    guard_config.presence_exec, sizeof(guard_config.presence_exec))) != 0) {
		guard_config.presence_interval_ms = 0;   /* no half-configured presence */
		goto out;
	}
	refused("burn-actions");
	if ((r = sk_config_get_string(cf, NULL, "burn-actions", "", &s)) != 0 ||
	    (r = guard_conf_parse_actions("burn-actions", s, &guard_config.burn_actions,
	    guard_config.burn_exec, sizeof(guard_config.burn_exec))) != 0)
		goto out;
out:
	if (r == 0)
		guard_config.refused[0] = '\0';
	sk_config_free(&cf);
	return r;
}
