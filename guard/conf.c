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
	if (r != 0)
		goto out;
	if ((r = sk_config_get_string(cf, NULL, "anchor-command", "", &s)) != 0)
		goto out;
	if (strlen(s) >= sizeof(guard_config.anchor_command)) {
		sk_error("skinkey.conf: anchor-command is too long");
		r = SK_ERR_CONFIG;
		goto out;
	}
	snprintf(guard_config.anchor_command, sizeof(guard_config.anchor_command), "%s", s);
out:
	sk_config_free(&cf);
	return r;
}
