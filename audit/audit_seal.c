/* audit_seal.c — forward-secure seals (audit.h): the sealing key of row i is key_i, it evolves
 * with every row and the old key is overwritten in audit.db (secure_delete) and wiped here.
 * HMAC is RFC 2104 over the log's SHA-256 context (one fetched digest, no per-row lookups). */
#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "audit_int.h"
#include "common/log.h"
#include "common/sk_err.h"

static const char evolve_label[] = "skinkey-audit-evolve";

static int digest2(struct audit_log *l, const uint8_t *a, size_t alen, const uint8_t *b,
    size_t blen, uint8_t out[32])
{
	return EVP_DigestInit_ex(l->md, l->sha256, NULL) == 1 &&
	    EVP_DigestUpdate(l->md, a, alen) == 1 && EVP_DigestUpdate(l->md, b, blen) == 1 &&
	    EVP_DigestFinal_ex(l->md, out, NULL) == 1 ? 0 : SK_ERR_CRYPTO;
}

int audit_hmac(struct audit_log *l, const uint8_t key[AUDIT_KEY_LEN],
    const uint8_t hash[AUDIT_HASH_LEN], uint8_t seal[AUDIT_HASH_LEN])
{
	uint8_t pad[64], inner[32];
	int r;

	memset(pad, 0x36, sizeof(pad));
	for (int i = 0; i < AUDIT_KEY_LEN; i++)
		pad[i] ^= key[i];
	if ((r = digest2(l, pad, sizeof(pad), hash, AUDIT_HASH_LEN, inner)) != 0)
		goto out;
	memset(pad, 0x5c, sizeof(pad));
	for (int i = 0; i < AUDIT_KEY_LEN; i++)
		pad[i] ^= key[i];
	r = digest2(l, pad, sizeof(pad), inner, sizeof(inner), seal);
out:
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(inner, sizeof(inner));
	return r;
}

int audit_evolve(struct audit_log *l, uint8_t key[AUDIT_KEY_LEN])
{
	uint8_t next[AUDIT_KEY_LEN];
	int r;

	if ((r = digest2(l, (const uint8_t *)evolve_label, sizeof(evolve_label) - 1, key,
	    AUDIT_KEY_LEN, next)) == 0)
		memcpy(key, next, AUDIT_KEY_LEN);
	OPENSSL_cleanse(next, sizeof(next));
	return r;
}

int audit_key_state(struct audit_log *l, uint64_t *kidx, uint8_t key[AUDIT_KEY_LEN])
{
	sqlite3_stmt *st = NULL;
	int r = SK_ERR_NOT_FOUND;

	*kidx = 0;
	if (sqlite3_prepare_v2(l->db, "SELECT kidx, key FROM seal_state WHERE id = 1", -1, &st,
	    NULL) != SQLITE_OK)
		return SK_ERR_DB;
	if (sqlite3_step(st) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 1) != AUDIT_KEY_LEN) {
			sk_warn("audit: the stored sealing key is malformed");
			r = SK_ERR_FORMAT;
		} else {
			*kidx = (uint64_t)sqlite3_column_int64(st, 0);
			if (key != NULL)
				memcpy(key, sqlite3_column_blob(st, 1), AUDIT_KEY_LEN);
			r = 0;
		}
	}
	sqlite3_finalize(st);
	return r;
}

static int store_key(struct audit_log *l, uint64_t kidx, const uint8_t key[AUDIT_KEY_LEN])
{
	sqlite3_stmt *st = NULL;
	int r = SK_ERR_DB;

	if (sqlite3_prepare_v2(l->db, "INSERT INTO seal_state(id, kidx, key) VALUES (1, ?, ?)"
	    " ON CONFLICT(id) DO UPDATE SET kidx = excluded.kidx, key = excluded.key", -1, &st,
	    NULL) != SQLITE_OK)
		return SK_ERR_DB;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)kidx);
	sqlite3_bind_blob(st, 2, key, AUDIT_KEY_LEN, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_DONE)
		r = 0;
	sqlite3_finalize(st);
	return r;
}

int audit_seal_row(struct audit_log *l, uint64_t seq, const uint8_t hash[AUDIT_HASH_LEN],
    uint8_t seal[AUDIT_HASH_LEN], int *sealed)
{
	uint8_t key[AUDIT_KEY_LEN];
	uint64_t kidx = 0;
	int r;

	*sealed = 0;
	if ((r = audit_key_state(l, &kidx, key)) == SK_ERR_NOT_FOUND)
		return 0;   /* an unsealed chain */
	if (r != 0)
		goto out;
	if (kidx != seq) {
		/* the key ran ahead of the rows (rows removed) or behind: never seal out of step */
		sk_error("audit: sealing key %llu does not fit row %llu: refusing to append",
		    (unsigned long long)kidx, (unsigned long long)seq);
		r = SK_ERR_CRYPTO;
		goto out;
	}
	if ((r = audit_hmac(l, key, hash, seal)) != 0 || (r = audit_evolve(l, key)) != 0 ||
	    (r = store_key(l, kidx + 1, key)) != 0)
		goto out;
	*sealed = 1;
out:
	OPENSSL_cleanse(key, sizeof(key));
	return r;
}

int audit_sealed(struct audit_log *l)
{
	uint64_t kidx;

	return audit_key_state(l, &kidx, NULL) == 0;
}

int audit_seal_start(struct audit_log *l)
{
	uint8_t key[AUDIT_KEY_LEN];
	sqlite3_stmt *st = NULL;
	int r;

	if (l->ro)
		return SK_ERR_ARG;
	if ((r = audit_begin(l)) != 0)
		return r;
	if (audit_sealed(l) || audit_count(l) != 0) {
		r = SK_ERR_EXISTS;
		goto out;
	}
	if (RAND_priv_bytes(key, sizeof(key)) != 1) {
		r = SK_ERR_CRYPTO;
		goto out;
	}
	if ((r = store_key(l, 1, key)) != 0)
		goto out;
	r = SK_ERR_DB;
	if (sqlite3_prepare_v2(l->db, "INSERT INTO recovery(id, key) VALUES (1, ?)", -1, &st,
	    NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_blob(st, 1, key, AUDIT_KEY_LEN, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto out;
	r = audit_commit(l);
out:
	sqlite3_finalize(st);
	if (r != 0)
		audit_rollback(l);
	OPENSSL_cleanse(key, sizeof(key));
	return r;
}

int audit_take_recovery(struct audit_log *l, uint8_t key[AUDIT_KEY_LEN])
{
	sqlite3_stmt *st = NULL;
	int r;

	if ((r = audit_begin(l)) != 0)
		return r;
	r = SK_ERR_DB;
	if (sqlite3_prepare_v2(l->db, "SELECT key FROM recovery WHERE id = 1", -1, &st, NULL) !=
	    SQLITE_OK)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_bytes(st, 0) != AUDIT_KEY_LEN) {
		r = SK_ERR_NOT_FOUND;
		goto out;
	}
	memcpy(key, sqlite3_column_blob(st, 0), AUDIT_KEY_LEN);
	sqlite3_finalize(st);
	st = NULL;
	if ((r = audit_exec(l->db, "DELETE FROM recovery")) == 0)
		r = audit_commit(l);
out:
	sqlite3_finalize(st);
	if (r != 0) {
		audit_rollback(l);
		OPENSSL_cleanse(key, AUDIT_KEY_LEN);
	}
	return r;
}

void audit_code_format(const uint8_t key[AUDIT_KEY_LEN], char out[AUDIT_CODE_LEN])
{
	size_t o = 0;

	for (int i = 0; i < AUDIT_KEY_LEN; i++) {
		if (i > 0 && i % 2 == 0)
			out[o++] = '-';
		snprintf(out + o, 3, "%02x", key[i]);
		o += 2;
	}
	out[o] = '\0';
}

int audit_code_parse(const char *text, uint8_t key[AUDIT_KEY_LEN])
{
	size_t n = 0;
	int hi = -1;

	for (const char *p = text; *p != '\0'; p++) {
		int v;
		if (*p == '-' || isspace((unsigned char)*p))
			continue;
		if (!isxdigit((unsigned char)*p) || n == AUDIT_KEY_LEN)
			return SK_ERR_FORMAT;
		v = isdigit((unsigned char)*p) ? *p - '0' : (tolower((unsigned char)*p) - 'a' + 10);
		if (hi < 0) {
			hi = v;
		} else {
			key[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n == AUDIT_KEY_LEN && hi < 0 ? 0 : SK_ERR_FORMAT;
}

void audit_key_evolve(uint8_t key[AUDIT_KEY_LEN])
{
	struct audit_log l = { NULL, NULL, NULL, 0 };

	if ((l.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) != NULL &&
	    (l.md = EVP_MD_CTX_new()) != NULL)
		audit_evolve(&l, key);
	EVP_MD_CTX_free(l.md);
	EVP_MD_free(l.sha256);
}

int audit_seal_of(const uint8_t key[AUDIT_KEY_LEN], const uint8_t hash[AUDIT_HASH_LEN],
    uint8_t seal[AUDIT_HASH_LEN])
{
	struct audit_log l = { NULL, NULL, NULL, 0 };
	int r = SK_ERR_CRYPTO;

	if ((l.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) != NULL &&
	    (l.md = EVP_MD_CTX_new()) != NULL)
		r = audit_hmac(&l, key, hash, seal);
	EVP_MD_CTX_free(l.md);
	EVP_MD_free(l.sha256);
	return r;
}
