/* vault_cloak.c — the index of a duress context's vault credentials, in its record, and the
 * choice of the row a new credential takes (vault_cloak.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "skd.h"
#include "vault_cloak.h"

#define PREFIX "v."

void cloak_free(struct cloak_ent *e, size_t n)
{
	for (size_t i = 0; e != NULL && i < n; i++) {
		if (e[i].site != NULL)
			sk_freezero(e[i].site, strlen(e[i].site));
		if (e[i].user != NULL)
			sk_freezero(e[i].user, strlen(e[i].user));
	}
	free(e);
}

static int parse_ent(const char *key, const uint8_t *v, size_t len, struct cloak_ent *out)
{
	char *end = NULL;
	size_t sl;

	memset(out, 0, sizeof(*out));
	out->id = strtoull(key + strlen(PREFIX), &end, 10);
	if (end == NULL || *end != '\0' || out->id == 0 || len < 3)
		return SK_ERR_FORMAT;
	sl = (size_t)v[1] << 8 | v[2];
	if (sl > len - 3 || vault_type_name(v[0]) == NULL)
		return SK_ERR_FORMAT;
	out->type = v[0];
	out->site = strndup((const char *)v + 3, sl);
	out->user = strndup((const char *)v + 3 + sl, len - 3 - sl);
	return out->site != NULL && out->user != NULL ? 0 : SK_ERR_NOMEM;
}

int cloak_load(struct cloak_ent **out, size_t *cnt)
{
	char **keys = NULL;
	uint8_t **vals = NULL;
	size_t *lens = NULL, n = 0, k = 0;
	struct cloak_ent *e = NULL;
	int r;

	*out = NULL;
	*cnt = 0;
	if ((r = skd_ctxrec_entries(PREFIX, &keys, &vals, &lens, &n)) != 0)
		return r;
	if ((e = calloc(n + 1, sizeof(*e))) == NULL) {
		r = SK_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if ((r = parse_ent(keys[i], vals[i], lens[i], &e[k])) == SK_ERR_NOMEM)
			goto out;
		if (r != 0) {
			sk_warn("vault: an index entry of the context's record does not parse: skipped");
			free(e[k].site);
			free(e[k].user);
			memset(&e[k], 0, sizeof(e[k]));
			continue;
		}
		k++;
	}
	*out = e;
	*cnt = k;
	e = NULL;
	r = 0;
out:
	cloak_free(e, k + 1);
	skd_ctxrec_entries_free(keys, vals, lens, n);
	return r;
}

const struct cloak_ent *cloak_by_id(const struct cloak_ent *e, size_t n, uint64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (e[i].id == id)
			return &e[i];
	return NULL;
}

int cloak_lookup(const struct cloak_ent *e, size_t n, const char *site, const char *user,
    uint64_t *id)
{
	int found = 0;

	for (size_t i = 0; i < n; i++)
		if (strcmp(e[i].site, site) == 0 && strcmp(e[i].user, user) == 0) {
			*id = e[i].id;
			found++;
		}
	return found == 0 ? SK_ERR_NOT_FOUND : found > 1 ? SK_ERR_EXISTS : 0;
}

int cloak_match(const char *pattern, const char *s)
{
	size_t pl;

	if (pattern == NULL)
		return 1;
	pl = strlen(pattern);
	if (pl > 0 && pattern[pl - 1] == '*')
		return strncmp(pattern, s, pl - 1) == 0;
	return strcmp(pattern, s) == 0;
}

static int free_in(const uint64_t *ids, size_t nids, int ctx, const struct cloak_ent *e,
    size_t n, uint64_t *id)
{
	for (size_t i = (size_t)ctx; i < nids; i += 3)
		if (cloak_by_id(e, n, ids[i]) == NULL) {
			*id = ids[i];
			return 0;
		}
	return SK_ERR_NOT_FOUND;
}

int cloak_pick_row(struct vault_store *st, int ctx, const struct cloak_ent *e, size_t n,
    uint64_t *id)
{
	uint64_t *ids = NULL;
	size_t nids = 0;
	int r;

	if (ctx < 0 || ctx > 2)
		return SK_ERR_ARG;
	if ((r = vault_cloak_ids(st, &ids, &nids)) != 0)
		return r;
	if (nids % 3 != 0)
		sk_warn("vault: %zu cloaked rows, not a multiple of 3: partitions shifted", nids);
	if ((r = free_in(ids, nids, ctx, e, n, id)) == SK_ERR_NOT_FOUND) {
		/* every partition grows together: the growth does not say whose was full */
		free(ids);
		ids = NULL;
		if ((r = vault_cloak_fill(st, 3 * CLOAK_PART)) != 0 ||
		    (r = vault_cloak_ids(st, &ids, &nids)) != 0)
			goto out;
		r = free_in(ids, nids, ctx, e, n, id);
	}
out:
	free(ids);
	return r;
}

int cloak_ensure(struct vault_store *st)
{
	uint64_t *ids = NULL;
	size_t nids = 0;
	int r;

	if ((r = vault_cloak_ids(st, &ids, &nids)) == 0 && nids == 0)
		r = vault_cloak_fill(st, 3 * CLOAK_PART);
	free(ids);
	return r;
}

int cloak_index_put(uint64_t id, int type, const char *site, const char *user)
{
	size_t sl = strlen(site), ul = strlen(user), len = 3 + sl + ul;
	uint8_t *v;
	char key[32];
	int r;

	if (sl > 0xffff || (v = malloc(len)) == NULL)
		return sl > 0xffff ? SK_ERR_TOOBIG : SK_ERR_NOMEM;
	v[0] = (uint8_t)type;
	v[1] = (uint8_t)(sl >> 8);
	v[2] = (uint8_t)sl;
	memcpy(v + 3, site, sl);
	memcpy(v + 3 + sl, user, ul);
	snprintf(key, sizeof(key), PREFIX "%llu", (unsigned long long)id);
	r = skd_ctxrec_entry_put(key, v, len);
	sk_freezero(v, len);
	return r;
}

int cloak_index_del(uint64_t id)
{
	char key[32];

	snprintf(key, sizeof(key), PREFIX "%llu", (unsigned long long)id);
	return skd_ctxrec_entry_del(key);
}
