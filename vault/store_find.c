/* Listing credentials by site and/or user, exact or prefix ("exa*"), through the indexes:
 * a prefix becomes the byte range [prefix, prefix+1) so sqlite walks the index, not the table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vault/vault_int.h"

struct pattern {
	const char *lo;      /* NULL = any */
	char *hi;            /* exclusive upper bound for a prefix, NULL = exact or unbounded */
	size_t lo_len, hi_len;
	int prefix;
};

static int pattern_make(const char *p, int allow_prefix, struct pattern *pt)
{
	size_t n;

	memset(pt, 0, sizeof(*pt));
	if (p == NULL)
		return 0;
	n = strlen(p);
	pt->lo = p;
	pt->lo_len = n;
	if (!allow_prefix || n == 0 || p[n - 1] != '*')
		return 0;
	pt->prefix = 1;
	pt->lo_len = n - 1;
	/* upper bound: drop trailing 0xFF bytes, increment the last one; none left = unbounded */
	for (n = pt->lo_len; n > 0 && (unsigned char)p[n - 1] == 0xFF; n--)
		;
	if (n == 0)
		return 0;
	if ((pt->hi = malloc(n)) == NULL)
		return SK_ERR_NOMEM;
	memcpy(pt->hi, p, n);
	pt->hi[n - 1] = (char)((unsigned char)pt->hi[n - 1] + 1);
	pt->hi_len = n;
	return 0;
}

static void where_clause(char *w, size_t cap, const char *col, const struct pattern *pt)
{
	size_t o = strlen(w);

	if (pt->lo == NULL)
		return;
	o += (size_t)snprintf(w + o, cap - o, o == 0 ? " WHERE " : " AND ");
	if (!pt->prefix)
		snprintf(w + o, cap - o, "%s = ?", col);
	else if (pt->hi != NULL)
		snprintf(w + o, cap - o, "%s >= ? AND %s < ?", col, col);
	else
		snprintf(w + o, cap - o, "%s >= ?", col);
}

static int bind_pattern(sqlite3_stmt *st, int *i, const struct pattern *pt)
{
	if (pt->lo == NULL)
		return 0;
	if (sqlite3_bind_text(st, (*i)++, pt->lo, (int)pt->lo_len, SQLITE_STATIC) != SQLITE_OK)
		return SK_ERR_DB;
	if (pt->hi != NULL &&
	    sqlite3_bind_text(st, (*i)++, pt->hi, (int)pt->hi_len, SQLITE_STATIC) !=
	    SQLITE_OK)
		return SK_ERR_DB;
	return 0;
}

static int list_push(struct vault_cred_list *l, size_t *cap, sqlite3_stmt *st)
{
	struct vault_cred *v;
	size_t ncap;
	int r;

	if (l->n == *cap) {
		ncap = *cap == 0 ? 64 : *cap * 2;
		if ((v = realloc(l->v, ncap * sizeof(*v))) == NULL)
			return SK_ERR_NOMEM;
		l->v = v;
		*cap = ncap;
	}
	if ((r = vault_row_to_cred(st, &l->v[l->n])) != 0)
		return r;
	l->n++;
	return 0;
}

static int run_query(struct vault_store *s, const struct pattern *ps, const struct pattern *pu,
    size_t limit, struct vault_cred_list *l)
{
	char sql[512], w[256] = "";
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int i = 1, r, rc;

	where_clause(w, sizeof(w), "site", ps);
	where_clause(w, sizeof(w), "user", pu);
	snprintf(sql, sizeof(sql), "SELECT id, site, user, type, created, updated FROM credentials"
	    " INDEXED BY %s%s ORDER BY %s LIMIT ?",
	    ps->lo == NULL && pu->lo != NULL ? "cred_user" : "cred_site_user", w,
	    ps->lo == NULL && pu->lo != NULL ? "user, site, id" : "site, user, id");
	if ((r = vault_db_prepare(s->db, sql, &st)) != 0)
		return r;
	if ((r = bind_pattern(st, &i, ps)) != 0 || (r = bind_pattern(st, &i, pu)) != 0)
		goto out;
	sqlite3_bind_int64(st, i, limit == 0 ? -1 : (sqlite3_int64)limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((r = list_push(l, &cap, st)) != 0)
			goto out;
	if (rc != SQLITE_DONE) {
		vault_log("sqlite: %s", sqlite3_errmsg(s->db));
		r = vault_db_err(s->db);
	}
out:
	sqlite3_finalize(st);
	return r;
}

static int find(struct vault_store *s, const char *site, const char *user, size_t limit,
    int allow_prefix, struct vault_cred_list **out)
{
	struct pattern ps, pu;
	struct vault_cred_list *l = NULL;
	int r;

	if (out == NULL)
		return SK_ERR_ARG;
	*out = NULL;
	memset(&ps, 0, sizeof(ps));
	memset(&pu, 0, sizeof(pu));
	if (s == NULL)
		return SK_ERR_ARG;
	r = SK_ERR_NOMEM;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		goto out;
	if ((r = pattern_make(site, allow_prefix, &ps)) != 0 ||
	    (r = pattern_make(user, allow_prefix, &pu)) != 0 ||
	    (r = run_query(s, &ps, &pu, limit, l)) != 0)
		goto out;
	*out = l;
	l = NULL;
out:
	free(ps.hi);
	free(pu.hi);
	vault_cred_list_free(&l);
	return r;
}

int vault_cred_find(struct vault_store *s, const char *site, const char *user, size_t limit,
    struct vault_cred_list **out)
{
	return find(s, site, user, limit, 1, out);
}

int vault_cred_lookup(struct vault_store *s, const char *site, const char *user, uint64_t *id)
{
	struct vault_cred_list *l = NULL;
	int r;

	*id = 0;
	if (site == NULL || user == NULL)
		return SK_ERR_ARG;
	if ((r = find(s, site, user, 2, 0, &l)) != 0)
		return r;
	if (l->n == 0)
		r = SK_ERR_NOT_FOUND;
	else if (l->n > 1)
		r = SK_ERR_EXISTS;
	else
		*id = l->v[0].id;
	vault_cred_list_free(&l);
	return r;
}

void vault_cred_list_free(struct vault_cred_list **lp)
{
	struct vault_cred_list *l;
	size_t i;

	if (lp == NULL || (l = *lp) == NULL)
		return;
	for (i = 0; i < l->n; i++)
		vault_cred_clear(&l->v[i]);
	free(l->v);
	free(l);
	*lp = NULL;
}
