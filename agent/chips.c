/* chips.c — the known chips: state.db's rows joined with the card manager's presence. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sk_err.h"
#include "skd_int.h"

static void add_presence(struct skd_chip_info *ci)
{
	ci->present = skd_cardmgr_present(ci->id, ci->reader, sizeof(ci->reader));
	if (!ci->present)
		ci->reader[0] = '\0';
}

/* A chip with a DuressApplet before its unlock (duress = on): listed while in the field, never
 * recorded, nothing of any context attached (doc/DURESS.md). */
static int locked_chip(struct skd_chip_info *ci)
{
	memset(ci, 0, sizeof(*ci));
	if (!skd_config.duress)
		return 0;
	snprintf(ci->id, sizeof(ci->id), "%s", SKD_LOCKED_CHIP);
	snprintf(ci->applets, sizeof(ci->applets), "%s", SKD_LOCKED_APPLETS);
	ci->present = skd_cardmgr_present(ci->id, ci->reader, sizeof(ci->reader));
	return ci->present;
}

int skd_chip_list(struct skd_chip_info **out, size_t *n)
{
	struct skd_chip_info lk, *v;
	int r;

	if ((r = skd_state_chip_list(out, n)) != 0)
		return r;
	for (size_t i = 0; i < *n; i++)
		add_presence(&(*out)[i]);
	if (locked_chip(&lk)) {
		if ((v = realloc(*out, (*n + 1) * sizeof(*v))) == NULL) {
			free(*out);
			*out = NULL;
			*n = 0;
			return SK_ERR_NOMEM;
		}
		v[(*n)++] = lk;
		*out = v;
	}
	return 0;
}

int skd_chip_find(const char *want, struct skd_chip_info *out)
{
	struct skd_chip_info *all = NULL;
	char cur[SKD_CHIPID_MAX];
	size_t n = 0;
	int r;

	memset(out, 0, sizeof(*out));
	if (want != NULL && want[0] != '\0') {
		if (strcmp(want, SKD_LOCKED_CHIP) == 0)
			return locked_chip(out) ? 0 : SK_ERR_NOT_FOUND;
		if ((r = skd_state_chip_get(want, out)) != 0)
			return r;
		add_presence(out);
		return 0;
	}
	if (skd_cardmgr_current(cur, sizeof(cur)) == 0)
		return skd_chip_find(cur, out);
	if ((r = skd_chip_list(&all, &n)) != 0)
		return r;
	r = SK_ERR_NOT_FOUND;
	if (n == 1) {   /* the only chip we know: answer from the cache */
		*out = all[0];
		r = 0;
	}
	free(all);
	return r;
}
