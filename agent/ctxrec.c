/* ctxrec.c — a per-context record: its entries, their encoding, and sealing with AES-256-GCM
 * under a key derived from the context's chip answer (format in ctxrec.h). */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "common/hkdf.h"
#include "common/log.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "ctxrec.h"

#define FORMAT_V1 0x01

struct ctxrec_entry {
	char key[CTXREC_KEY_MAX + 1];
	uint8_t *val;
	size_t len;
};

struct ctxrec {
	struct ctxrec_entry e[CTXREC_MAX_ENTRIES];
	size_t n;
};

struct ctxrec *ctxrec_new(void)
{
	return calloc(1, sizeof(struct ctxrec));
}

static void entry_clear(struct ctxrec_entry *e)
{
	sk_freezero(e->val, e->len);
	memset(e, 0, sizeof(*e));
}

static void clear_all(struct ctxrec *rec)
{
	for (size_t i = 0; i < rec->n; i++)
		entry_clear(&rec->e[i]);
	rec->n = 0;
}

void ctxrec_free(struct ctxrec **rec)
{
	if (rec == NULL || *rec == NULL)
		return;
	clear_all(*rec);
	free(*rec);
	*rec = NULL;
}

size_t ctxrec_count(const struct ctxrec *rec)
{
	return rec->n;
}

int ctxrec_entry_at(const struct ctxrec *rec, size_t i, const char **key, const uint8_t **val,
    size_t *len)
{
	if (i >= rec->n)
		return SK_ERR_NOT_FOUND;
	*key = rec->e[i].key;
	*val = rec->e[i].val;
	*len = rec->e[i].len;
	return 0;
}

static int key_ok(const char *key, size_t klen)
{
	if (klen == 0 || klen > CTXREC_KEY_MAX)
		return 0;
	for (size_t i = 0; i < klen; i++)
		if ((unsigned char)key[i] < 0x21 || (unsigned char)key[i] > 0x7e)
			return 0;
	return 1;
}

static long find(const struct ctxrec *rec, const char *key)
{
	for (size_t i = 0; i < rec->n; i++)
		if (strcmp(rec->e[i].key, key) == 0)
			return (long)i;
	return -1;
}

int ctxrec_get(const struct ctxrec *rec, const char *key, const uint8_t **val, size_t *len)
{
	long i = find(rec, key);

	*val = NULL;
	*len = 0;
	if (i < 0)
		return SK_ERR_NOT_FOUND;
	*val = rec->e[i].val;
	*len = rec->e[i].len;
	return 0;
}

size_t ctxrec_encoded_len(const struct ctxrec *rec)
{
	size_t n = 1 + 1;   /* format byte, end mark */

	for (size_t i = 0; i < rec->n; i++)
		n += 1 + strlen(rec->e[i].key) + 2 + rec->e[i].len;
	return n;
}

int ctxrec_put(struct ctxrec *rec, const char *key, const uint8_t *val, size_t len)
{
	size_t klen = strlen(key), now = ctxrec_encoded_len(rec), need;
	long i = find(rec, key);
	uint8_t *copy;

	if (!key_ok(key, klen))
		return SK_ERR_ARG;
	if (len > CTXREC_PT_LEN)
		return SK_ERR_TOOBIG;
	need = now + len - (i >= 0 ? rec->e[i].len : 0) + (i >= 0 ? 0 : 1 + klen + 2);
	if (need > CTXREC_PT_LEN || (i < 0 && rec->n >= CTXREC_MAX_ENTRIES))
		return SK_ERR_TOOBIG;
	if ((copy = malloc(len > 0 ? len : 1)) == NULL)
		return SK_ERR_NOMEM;
	if (len > 0)
		memcpy(copy, val, len);
	if (i < 0) {
		i = (long)rec->n++;
		memcpy(rec->e[i].key, key, klen + 1);
	} else {
		sk_freezero(rec->e[i].val, rec->e[i].len);
	}
	rec->e[i].val = copy;
	rec->e[i].len = len;
	return 0;
}

int ctxrec_del(struct ctxrec *rec, const char *key)
{
	long i = find(rec, key);

	if (i < 0)
		return SK_ERR_NOT_FOUND;
	entry_clear(&rec->e[i]);
	memmove(&rec->e[i], &rec->e[i + 1], (rec->n - (size_t)i - 1) * sizeof(rec->e[0]));
	memset(&rec->e[rec->n - 1], 0, sizeof(rec->e[0]));
	rec->n--;
	return 0;
}

size_t ctxrec_del_prefix(struct ctxrec *rec, const char *prefix)
{
	size_t pl = strlen(prefix), gone = 0, j = 0;

	for (size_t i = 0; i < rec->n; i++) {
		if (strncmp(rec->e[i].key, prefix, pl) == 0) {
			entry_clear(&rec->e[i]);
			gone++;
			continue;
		}
		if (j != i) {
			rec->e[j] = rec->e[i];
			memset(&rec->e[i], 0, sizeof(rec->e[i]));
		}
		j++;
	}
	rec->n = j;
	return gone;
}

int ctxrec_encode(const struct ctxrec *rec, uint8_t *pt)
{
	size_t o = 0;

	if (ctxrec_encoded_len(rec) > CTXREC_PT_LEN)
		return SK_ERR_TOOBIG;
	memset(pt, 0, CTXREC_PT_LEN);
	pt[o++] = FORMAT_V1;
	for (size_t i = 0; i < rec->n; i++) {
		size_t kl = strlen(rec->e[i].key), vl = rec->e[i].len;

		pt[o++] = (uint8_t)kl;
		memcpy(pt + o, rec->e[i].key, kl);
		o += kl;
		pt[o++] = (uint8_t)(vl >> 8);
		pt[o++] = (uint8_t)vl;
		if (vl > 0)
			memcpy(pt + o, rec->e[i].val, vl);
		o += vl;
	}
	pt[o] = 0;   /* end mark (already zero) */
	return 0;
}

int ctxrec_parse(const uint8_t *pt, size_t len, struct ctxrec *rec)
{
	struct ctxrec *tmp = NULL;
	size_t o = 1;
	int r = SK_ERR_FORMAT;

	if (len < 2 || len > CTXREC_PT_LEN || pt[0] != FORMAT_V1) {
		sk_debug("ctxrec: not a version-1 record (%zu bytes)", len);
		goto out;
	}
	if ((tmp = ctxrec_new()) == NULL) {
		r = SK_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		char key[CTXREC_KEY_MAX + 1];
		size_t kl, vl;
		int pr;

		if (o >= len) {
			sk_debug("ctxrec: no end mark");
			goto out;
		}
		if ((kl = pt[o++]) == 0)
			break;
		if (kl > CTXREC_KEY_MAX || len - o < kl + 2) {
			sk_debug("ctxrec: entry key of %zu bytes does not fit", kl);
			goto out;
		}
		memcpy(key, pt + o, kl);
		key[kl] = '\0';
		o += kl;
		vl = (size_t)pt[o] << 8 | pt[o + 1];
		o += 2;
		if (!key_ok(key, kl) || len - o < vl || find(tmp, key) >= 0) {
			sk_debug("ctxrec: bad, truncated or repeated entry");
			goto out;
		}
		if ((pr = ctxrec_put(tmp, key, pt + o, vl)) != 0) {
			r = pr == SK_ERR_NOMEM ? pr : SK_ERR_FORMAT;
			goto out;
		}
		o += vl;
	}
	clear_all(rec);
	*rec = *tmp;
	tmp->n = 0;
	r = 0;
out:
	ctxrec_free(&tmp);
	return r;
}

int ctxrec_hkdf(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt, size_t salt_len,
    const void *info, size_t info_len, uint8_t out[CTXREC_KEY_LEN])
{
	if (salt == NULL || salt_len == 0)
		return SK_ERR_ARG;   /* a record key always has its salt */
	return sk_hkdf_sha256(ikm, ikm_len, salt, salt_len, info, info_len, out, CTXREC_KEY_LEN);
}

int ctxrec_derive(const uint8_t *secret, size_t secret_len, const uint8_t salt[CTXREC_SALT_LEN],
    int slot, uint8_t key[CTXREC_KEY_LEN])
{
	char info[] = "skinkey-ctxrec-v1 ";

	if (secret == NULL || secret_len == 0 || slot < 0 || slot >= CTXREC_SLOTS)
		return SK_ERR_ARG;
	info[sizeof(info) - 2] = (char)('0' + slot);
	return ctxrec_hkdf(secret, secret_len, salt, CTXREC_SALT_LEN, info, sizeof(info) - 1, key);
}

/* AES-256-GCM one shot: enc 1 seals pt into ct (tag written), enc 0 opens (tag checked). */
static int gcm(int enc, const uint8_t key[CTXREC_KEY_LEN], const uint8_t *nonce,
    const uint8_t hdr[CTXREC_HDR_LEN], int slot, const uint8_t *in, uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t sl = (uint8_t)slot;
	int n = 0, r = SK_ERR_CRYPTO;

	if (c == NULL)
		return SK_ERR_NOMEM;
	if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, CTXREC_NONCE_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) != 1 ||
	    EVP_CipherUpdate(c, NULL, &n, hdr, CTXREC_HDR_LEN) != 1 ||
	    EVP_CipherUpdate(c, NULL, &n, &sl, 1) != 1 ||
	    EVP_CipherUpdate(c, out, &n, in, CTXREC_PT_LEN) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, CTXREC_TAG_LEN, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, out + n, &n) != 1)
		goto out;   /* opening: the tag did not verify */
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, CTXREC_TAG_LEN, tag) != 1)
		goto out;
	r = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return r;
}

int ctxrec_seal(const uint8_t key[CTXREC_KEY_LEN], const uint8_t hdr[CTXREC_HDR_LEN], int slot,
    const struct ctxrec *rec, uint8_t *out)
{
	uint8_t *pt = sk_secure_alloc(CTXREC_PT_LEN);
	int r = SK_ERR_NOMEM;

	if (slot < 0 || slot >= CTXREC_SLOTS) {
		r = SK_ERR_ARG;
		goto out;
	}
	if (pt == NULL || (r = ctxrec_encode(rec, pt)) != 0)
		goto out;
	if (RAND_bytes(out, CTXREC_NONCE_LEN) != 1) {
		sk_error("ctxrec: no random nonce");
		r = SK_ERR_CRYPTO;
		goto out;
	}
	r = gcm(1, key, out, hdr, slot, pt, out + CTXREC_NONCE_LEN,
	    out + CTXREC_NONCE_LEN + CTXREC_PT_LEN);
out:
	sk_secure_free(pt);
	return r;
}

int ctxrec_unseal(const uint8_t key[CTXREC_KEY_LEN], const uint8_t hdr[CTXREC_HDR_LEN], int slot,
    const uint8_t *in, struct ctxrec *rec)
{
	uint8_t *pt = sk_secure_alloc(CTXREC_PT_LEN), tag[CTXREC_TAG_LEN];
	int r = SK_ERR_NOMEM;

	if (slot < 0 || slot >= CTXREC_SLOTS) {
		r = SK_ERR_ARG;
		goto out;
	}
	if (pt == NULL)
		goto out;
	memcpy(tag, in + CTXREC_NONCE_LEN + CTXREC_PT_LEN, sizeof(tag));
	if ((r = gcm(0, key, in, hdr, slot, in + CTXREC_NONCE_LEN, pt, tag)) != 0)
		goto out;   /* random, another key's, or altered: not an error worth a line */
	r = ctxrec_parse(pt, CTXREC_PT_LEN, rec);
	if (r != 0)
		sk_warn("ctxrec: slot %d opened but its contents do not parse", slot);
out:
	sk_secure_free(pt);
	return r;
}
