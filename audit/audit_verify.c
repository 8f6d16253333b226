/* audit_verify.c — full verification of a chain: per row its position, content hash, link,
 * key index and seal (with the verification key), then the stored key state against the last
 * row. The first fault is reported with its kind and a sentence a person can act on. */
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "audit_int.h"
#include "common/log.h"
#include "common/sk_err.h"

/* Re-sealing is looked for at most this many keys ahead (the chain's own length bounds it). */
#define RESEAL_SEARCH_MAX 10000000ull

static const char *const fault_names[] = {
	"ok", "edited row", "deleted row", "reordered rows", "broken link", "re-sealed row",
	"gap in sealing epochs", "bad seal", "unsealed row", "truncated tail", "key state",
};

const char *audit_fault_name(enum audit_fault f)
{
	return (size_t)f < sizeof(fault_names) / sizeof(fault_names[0]) ? fault_names[f] : "?";
}

static int fault(struct audit_report *rep, enum audit_fault f, uint64_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fault(struct audit_report *rep, enum audit_fault f, uint64_t at, const char *fmt, ...)
{
	va_list ap;

	rep->fault = f;
	rep->first_bad = at;
	va_start(ap, fmt);
	vsnprintf(rep->why, sizeof(rep->why), fmt, ap);
	va_end(ap);
	sk_warn("audit: row %llu: %s", (unsigned long long)at, rep->why);
	return SK_ERR_CRYPTO;
}

struct walk {
	struct audit_log *l;
	struct audit_report *rep;
	int have_key, chain_sealed;
	uint64_t stored_kidx;
	uint8_t key[AUDIT_KEY_LEN];   /* key_expect while walking */
	uint8_t prev[AUDIT_HASH_LEN];
	uint64_t expect;
};

/* A seal that is not key_seq's: made with a later key (re-sealed), or with none. */
static int seal_fault(struct walk *w, uint64_t seq, const uint8_t *h, const uint8_t *seal)
{
	uint8_t k[AUDIT_KEY_LEN], s[AUDIT_HASH_LEN];
	uint64_t j, last = w->stored_kidx > seq ? w->stored_kidx : seq;
	int r;

	memcpy(k, w->key, sizeof(k));
	if (last - seq > RESEAL_SEARCH_MAX)
		last = seq + RESEAL_SEARCH_MAX;
	for (j = seq + 1; j <= last; j++) {
		if (audit_evolve(w->l, k) != 0 || audit_hmac(w->l, k, h, s) != 0)
			break;
		if (CRYPTO_memcmp(s, seal, AUDIT_HASH_LEN) == 0) {
			r = fault(w->rep, AUDIT_RESEALED, seq, "row %llu was re-sealed with the later "
			    "key %llu: it was changed after it had been written",
			    (unsigned long long)seq, (unsigned long long)j);
			OPENSSL_cleanse(k, sizeof(k));
			return r;
		}
	}
	OPENSSL_cleanse(k, sizeof(k));
	return fault(w->rep, AUDIT_BAD_SEAL, seq, "row %llu: the seal matches no sealing key",
	    (unsigned long long)seq);
}

static int check_seal(struct walk *w, sqlite3_stmt *st, uint64_t seq, const uint8_t *h)
{
	const uint8_t *seal = sqlite3_column_blob(st, 8);
	uint8_t s[AUDIT_HASH_LEN];
	uint64_t kidx;

	if (sqlite3_column_type(st, 7) != SQLITE_INTEGER ||
	    sqlite3_column_bytes(st, 8) != AUDIT_HASH_LEN)
		return fault(w->rep, AUDIT_UNSEALED, seq, "row %llu has no seal in a sealed chain",
		    (unsigned long long)seq);
	kidx = (uint64_t)sqlite3_column_int64(st, 7);
	if (kidx > seq)
		return fault(w->rep, AUDIT_EPOCH_GAP, seq, "row %llu is sealed with key %llu: sealing "
		    "epochs %llu..%llu are missing (rows removed and renumbered)",
		    (unsigned long long)seq, (unsigned long long)kidx, (unsigned long long)seq,
		    (unsigned long long)(kidx - 1));
	if (kidx < seq)
		return fault(w->rep, AUDIT_BAD_SEAL, seq, "row %llu claims the earlier key %llu",
		    (unsigned long long)seq, (unsigned long long)kidx);
	if (!w->have_key)
		return 0;
	if (audit_hmac(w->l, w->key, h, s) != 0)
		return SK_ERR_CRYPTO;
	if (CRYPTO_memcmp(s, seal, AUDIT_HASH_LEN) != 0)
		return seal_fault(w, seq, h, seal);
	return audit_evolve(w->l, w->key);
}

static int check_row(struct walk *w, sqlite3_stmt *st)
{
	uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
	const void *ph = sqlite3_column_blob(st, 5), *rh = sqlite3_column_blob(st, 6);
	const char *actor = (const char *)sqlite3_column_text(st, 2);
	const char *action = (const char *)sqlite3_column_text(st, 3);
	const char *details = (const char *)sqlite3_column_text(st, 4);
	int64_t ts = sqlite3_column_int64(st, 1);
	uint8_t h[AUDIT_HASH_LEN];

	if (seq != w->expect)
		return fault(w->rep, AUDIT_DELETED, w->expect, "row %llu is missing (the next row "
		    "is %llu): rows were deleted", (unsigned long long)w->expect,
		    (unsigned long long)seq);
	if (actor == NULL || action == NULL || details == NULL ||
	    sqlite3_column_bytes(st, 5) != AUDIT_HASH_LEN ||
	    sqlite3_column_bytes(st, 6) != AUDIT_HASH_LEN)
		return fault(w->rep, AUDIT_EDITED, seq, "row %llu is malformed", (unsigned long long)seq);
	{
		const char *f[3] = { actor, action, details };
		const size_t len[3] = { (size_t)sqlite3_column_bytes(st, 2),
			(size_t)sqlite3_column_bytes(st, 3), (size_t)sqlite3_column_bytes(st, 4) };
		if (audit_hash_fields(w->l, ph, seq, ts, f, len, h) != 0)
			return SK_ERR_CRYPTO;
	}
	/* row hashes are public: plain memcmp (seals below are compared in constant time) */
	if (memcmp(h, rh, AUDIT_HASH_LEN) != 0) {
		uint64_t kidx = sqlite3_column_type(st, 7) == SQLITE_INTEGER ?
		    (uint64_t)sqlite3_column_int64(st, 7) : 0;
		if (kidx != 0 && kidx != seq &&
		    audit_hash_row(w->l, ph, kidx, ts, actor, action, details, h) == 0 &&
		    CRYPTO_memcmp(h, rh, AUDIT_HASH_LEN) == 0)
			return fault(w->rep, AUDIT_REORDERED, seq, "position %llu holds row %llu: rows "
			    "were reordered", (unsigned long long)seq, (unsigned long long)kidx);
		return fault(w->rep, AUDIT_EDITED, seq, "row %llu was edited (its content does not "
		    "match its hash)", (unsigned long long)seq);
	}
	if (memcmp(ph, w->prev, AUDIT_HASH_LEN) != 0)
		return fault(w->rep, AUDIT_LINK, seq, "row %llu does not follow row %llu (a row was "
		    "replaced or inserted)", (unsigned long long)seq, (unsigned long long)(seq - 1));
	if (w->chain_sealed) {
		int r = check_seal(w, st, seq, h);
		if (r != 0)
			return r;
	}
	memcpy(w->prev, h, AUDIT_HASH_LEN);
	w->expect++;
	w->rep->rows++;
	return 0;
}

/* The stored key is not key_{last+1}: if it is a later key, rows were cut from the end and the
 * key index set back; else the key was replaced. */
static int key_ahead(struct walk *w, const uint8_t stored[AUDIT_KEY_LEN], uint64_t last)
{
	uint8_t k[AUDIT_KEY_LEN];
	uint64_t j;
	int r = 0, found = 0;

	memcpy(k, w->key, sizeof(k));
	for (j = 1; j <= RESEAL_SEARCH_MAX / 10 && !found; j++) {
		if (audit_evolve(w->l, k) != 0)
			break;
		if ((found = CRYPTO_memcmp(k, stored, AUDIT_KEY_LEN) == 0))
			r = fault(w->rep, AUDIT_TRUNCATED, last + 1, "the sealing key has evolved %llu "
			    "rows past the last row %llu: rows %llu..%llu were removed from the end",
			    (unsigned long long)j, (unsigned long long)last,
			    (unsigned long long)(last + 1), (unsigned long long)(last + j));
	}
	OPENSSL_cleanse(k, sizeof(k));
	if (!found)
		r = fault(w->rep, AUDIT_KEY_STATE, last, "the stored sealing key does not follow "
		    "from the verification key (wrong recovery code, or the key was replaced)");
	return r;
}

static int check_end(struct walk *w)
{
	uint8_t stored[AUDIT_KEY_LEN];
	uint64_t kidx = 0, last = w->expect - 1;
	int r;

	if (!w->chain_sealed)
		return 0;
	if ((r = audit_key_state(w->l, &kidx, stored)) == SK_ERR_NOT_FOUND)
		return fault(w->rep, AUDIT_KEY_STATE, last, "the sealing key state is missing: the "
		    "chain was sealed (rows carry seals) but its key was removed");
	if (r != 0)
		return r;
	if (kidx > w->expect)
		r = fault(w->rep, AUDIT_TRUNCATED, w->expect, "the sealing key has evolved to %llu "
		    "but the last row is %llu: rows %llu..%llu were removed from the end",
		    (unsigned long long)kidx, (unsigned long long)last, (unsigned long long)w->expect,
		    (unsigned long long)(kidx - 1));
	else if (kidx < w->expect)
		r = fault(w->rep, AUDIT_KEY_STATE, last, "the sealing key (%llu) is behind the last "
		    "row (%llu)", (unsigned long long)kidx, (unsigned long long)last);
	else if (w->have_key && CRYPTO_memcmp(stored, w->key, AUDIT_KEY_LEN) != 0)
		r = key_ahead(w, stored, last);
	OPENSSL_cleanse(stored, sizeof(stored));
	return r;
}

int audit_verify_full(struct audit_log *l, const uint8_t *key, struct audit_report *rep)
{
	struct walk w;
	sqlite3_stmt *st = NULL;
	int r = 0, rc;

	memset(rep, 0, sizeof(*rep));
	memset(&w, 0, sizeof(w));
	w.l = l;
	w.rep = rep;
	w.expect = 1;
	/* with the verification key the chain is sealed whatever the file says about itself */
	w.chain_sealed = audit_key_state(l, &w.stored_kidx, NULL) == 0 || key != NULL;
	if (key != NULL) {
		memcpy(w.key, key, AUDIT_KEY_LEN);
		w.have_key = 1;
	}
	rep->sealed = w.have_key;
	if (sqlite3_prepare_v2(l->db, "SELECT seq, ts, actor, action, details, prev_hash, row_hash,"
	    " kidx, seal FROM audit ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		return SK_ERR_DB;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((r = check_row(&w, st)) != 0)
			break;
	if (r == 0 && rc != SQLITE_DONE)
		r = SK_ERR_DB;
	sqlite3_finalize(st);
	if (r == 0)
		r = check_end(&w);
	OPENSSL_cleanse(w.key, sizeof(w.key));
	return r;
}
