/* vault_cloak.h — the vault per duress context (doc/DURESS.md, "The vault per context"): with
 * duress = on, a context's credentials are cloaked rows of vault.db (vault.h) sealed under a key
 * of that context, and their names live in the context's record as index entries
 * "v.<row id>" = type (1 byte) ‖ site length (2 bytes BE) ‖ site ‖ user. Each context owns a
 * partition of the cloaked rows (the rows at positions ≡ its id mod 3, in id order) and writes
 * nowhere else, since it cannot tell another context's rows from fillers. */
#ifndef SKD_VAULT_CLOAK_H
#define SKD_VAULT_CLOAK_H

#include <stddef.h>
#include <stdint.h>

#include "vault/vault.h"

#define CLOAK_PART 32                          /* rows per partition, added three at a time */
#define CLOAK_KEY_INFO "skinkey-vault-context-v1"

struct cloak_ent {
	uint64_t id;
	int type;
	char *site, *user;
};

/* The active context's index (SK_ERR_LOCKED when none is active). cloak_free(*e, n). */
int cloak_load(struct cloak_ent **e, size_t *n);
void cloak_free(struct cloak_ent *e, size_t n);
/* The entry of row id, or NULL. */
const struct cloak_ent *cloak_by_id(const struct cloak_ent *e, size_t n, uint64_t id);
/* The one entry with exactly site and user: 0, SK_ERR_NOT_FOUND, SK_ERR_EXISTS (several). */
int cloak_lookup(const struct cloak_ent *e, size_t n, const char *site, const char *user,
    uint64_t *id);
/* vault_cred_find's pattern: NULL = any, exact, or a prefix when it ends in '*'. */
int cloak_match(const char *pattern, const char *s);
/* A free row of context ctx's partition (filler rows made when there is none). */
int cloak_pick_row(struct vault_store *st, int ctx, const struct cloak_ent *e, size_t n,
    uint64_t *id);
/* The partitions exist (3 x CLOAK_PART filler rows at the first use, whoever uses it). */
int cloak_ensure(struct vault_store *st);
/* Index entries, sealed into the record before they return. */
int cloak_index_put(uint64_t id, int type, const char *site, const char *user);
int cloak_index_del(uint64_t id);

#endif
