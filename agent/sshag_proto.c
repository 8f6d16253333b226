/* sshag_proto.c — ssh-agent protocol messages: identities, signing, lock/unlock, refusals. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "buf.h"
#include "cursor.h"
#include "digestinfo.h"
#include "log.h"
#include "sk_err.h"
#include "sshag.h"

#define MSG_FAILURE                 5
#define MSG_SUCCESS                 6
#define MSG_REQUEST_IDENTITIES      11
#define MSG_IDENTITIES_ANSWER       12
#define MSG_SIGN_REQUEST            13
#define MSG_SIGN_RESPONSE           14
#define MSG_LOCK                    22
#define MSG_UNLOCK                  23

#define FLAG_RSA_SHA2_256           0x02u
#define FLAG_RSA_SHA2_512           0x04u

#define LOCK_SALT_LEN 16
#define LOCK_HASH_LEN 32

struct sshag_state {
	pthread_mutex_t mu;
	int locked;
	uint8_t salt[LOCK_SALT_LEN];
	uint8_t hash[LOCK_HASH_LEN];
};

int sshag_state_new(struct sshag_state **out)
{
	struct sshag_state *st;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return SK_ERR_NOMEM;
	pthread_mutex_init(&st->mu, NULL);
	*out = st;
	return 0;
}

void sshag_state_free(struct sshag_state **st)
{
	if (st == NULL || *st == NULL)
		return;
	pthread_mutex_destroy(&(*st)->mu);
	OPENSSL_cleanse(*st, sizeof(**st));
	free(*st);
	*st = NULL;
}

int sshag_locked(const struct sshag_state *st)
{
	int l;

	pthread_mutex_lock((pthread_mutex_t *)&st->mu);
	l = st->locked;
	pthread_mutex_unlock((pthread_mutex_t *)&st->mu);
	return l;
}

void sshag_keys_free(struct sshag_key **keys, size_t n)
{
	if (keys == NULL || *keys == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free((*keys)[i].blob);
		free((*keys)[i].comment);
	}
	free(*keys);
	*keys = NULL;
}

/* ---- wire encoding ---- */

static int put_string(struct sk_buf *b, const void *p, size_t n)
{
	int r;

	if (n > UINT32_MAX)
		return SK_ERR_TOOBIG;
	if ((r = sk_buf_put_u32be(b, (uint32_t)n)) != 0)
		return r;
	return sk_buf_put(b, p, n);
}

static int put_cstring(struct sk_buf *b, const char *s)
{
	return put_string(b, s, strlen(s));
}

/* An unsigned big-endian integer as an ssh mpint: no leading zeros, a 0x00 when the top bit
 * is set, zero as the empty string. */
static int put_mpint(struct sk_buf *b, const uint8_t *p, size_t n)
{
	int r;
	int pad;

	while (n > 0 && p[0] == 0) {
		p++;
		n--;
	}
	pad = n > 0 && (p[0] & 0x80) != 0;
	if (n + (size_t)pad > UINT32_MAX)
		return SK_ERR_TOOBIG;
	if ((r = sk_buf_put_u32be(b, (uint32_t)(n + (size_t)pad))) != 0)
		return r;
	if (pad && (r = sk_buf_put_u8(b, 0)) != 0)
		return r;
	return sk_buf_put(b, p, n);
}

static int get_string(struct sk_cur *c, const uint8_t **p, size_t *n)
{
	uint32_t len;
	int r;

	if ((r = sk_cur_u32be(c, &len)) != 0)
		return r;
	if ((r = sk_cur_bytes(c, len, p)) != 0)
		return r;
	*n = len;
	return 0;
}

/* Wraps a finished message body into a frame: u32 length, then the body. */
static int frame_begin(struct sk_buf *reply, size_t *start)
{
	*start = sk_buf_len(reply);
	return sk_buf_put_u32be(reply, 0);
}

static void frame_end(struct sk_buf *reply, size_t start)
{
	uint8_t *p = sk_buf_mutable_ptr(reply) + start;
	size_t n = sk_buf_len(reply) - start - 4;

	p[0] = (uint8_t)(n >> 24);
	p[1] = (uint8_t)(n >> 16);
	p[2] = (uint8_t)(n >> 8);
	p[3] = (uint8_t)n;
}

static int reply_code(struct sk_buf *reply, uint8_t code)
{
	int r;

	if ((r = sk_buf_put_u32be(reply, 1)) != 0)
		return r;
	return sk_buf_put_u8(reply, code);
}

/* ---- public keys ---- */

static int blob_ed25519(EVP_PKEY *pk, struct sk_buf *out)
{
	uint8_t pub[32];
	size_t n = sizeof(pub);
	int r;

	if (EVP_PKEY_get_raw_public_key(pk, pub, &n) != 1 || n != sizeof(pub))
		return SK_ERR_CRYPTO;
	if ((r = put_cstring(out, "ssh-ed25519")) != 0)
		return r;
	return put_string(out, pub, n);
}

static int blob_ecdsa(EVP_PKEY *pk, struct sk_buf *out, enum sshag_keytype *type)
{
	char group[64];
	uint8_t pt[133];
	size_t ptlen = 0;
	const char *name, *curve;
	int r;

	if (EVP_PKEY_get_utf8_string_param(pk, "group", group, sizeof(group), NULL) != 1)
		return SK_ERR_CRYPTO;
	if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) {
		name = "ecdsa-sha2-nistp256";
		curve = "nistp256";
		*type = SSHAG_KEY_ECDSA_P256;
	} else if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0) {
		name = "ecdsa-sha2-nistp384";
		curve = "nistp384";
		*type = SSHAG_KEY_ECDSA_P384;
	} else {
		sk_log(SK_LOG_WARN, "ssh-agent: EC curve %s has no ssh key type", group);
		return SK_ERR_UNSUPPORTED;
	}
	if (EVP_PKEY_get_octet_string_param(pk, "encoded-pub-key", pt, sizeof(pt), &ptlen) != 1)
		return SK_ERR_CRYPTO;
	if ((r = put_cstring(out, name)) != 0 || (r = put_cstring(out, curve)) != 0)
		return r;
	return put_string(out, pt, ptlen);
}

static int bn_param(EVP_PKEY *pk, const char *name, uint8_t **p, size_t *n)
{
	BIGNUM *bn = NULL;
	int len;

	*p = NULL;
	if (EVP_PKEY_get_bn_param(pk, name, &bn) != 1)
		return SK_ERR_CRYPTO;
	len = BN_num_bytes(bn);
	if ((*p = malloc((size_t)len + 1)) == NULL) {
		BN_free(bn);
		return SK_ERR_NOMEM;
	}
	*n = (size_t)BN_bn2bin(bn, *p);
	BN_free(bn);
	return 0;
}

static int blob_rsa(EVP_PKEY *pk, struct sk_buf *out)
{
	uint8_t *e = NULL, *n = NULL;
	size_t elen = 0, nlen = 0;
	int r;

	if ((r = bn_param(pk, "e", &e, &elen)) != 0 || (r = bn_param(pk, "n", &n, &nlen)) != 0)
		goto out;
	if ((r = put_cstring(out, "ssh-rsa")) != 0 || (r = put_mpint(out, e, elen)) != 0)
		goto out;
	r = put_mpint(out, n, nlen);
out:
	free(e);
	free(n);
	return r;
}

int sshag_pubkey_blob(EVP_PKEY *pk, struct sk_buf *out, enum sshag_keytype *type)
{
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_ED25519:
		*type = SSHAG_KEY_ED25519;
		return blob_ed25519(pk, out);
	case EVP_PKEY_EC:
		return blob_ecdsa(pk, out, type);
	case EVP_PKEY_RSA:
		*type = SSHAG_KEY_RSA;
		return blob_rsa(pk, out);
	default:
		sk_log(SK_LOG_WARN, "ssh-agent: key type %d cannot be offered to ssh",
		    EVP_PKEY_get_base_id(pk));
		return SK_ERR_UNSUPPORTED;
	}
}

/* ---- identities ---- */

static int do_identities(struct sshag_state *st, const struct sshag_backend *be, void *arg,
    struct sk_buf *reply)
{
	struct sshag_key *keys = NULL;
	size_t n = 0, start;
	int r;

	if (!sshag_locked(st) && (r = be->list(arg, &keys, &n)) != 0) {
		/* No key is better than a broken agent: ssh then tries its other methods. */
		sk_log(SK_LOG_WARN, "ssh-agent: listing keys failed: %s", sk_strerror(r));
		n = 0;
	}
	if ((r = frame_begin(reply, &start)) != 0 ||
	    (r = sk_buf_put_u8(reply, MSG_IDENTITIES_ANSWER)) != 0 ||
	    (r = sk_buf_put_u32be(reply, (uint32_t)n)) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if ((r = put_string(reply, keys[i].blob, keys[i].blob_len)) != 0 ||
		    (r = put_cstring(reply, keys[i].comment ? keys[i].comment : "")) != 0)
			goto out;
	}
	frame_end(reply, start);
out:
	sshag_keys_free(&keys, n);
	return r;
}

/* ---- signing ---- */

struct sign_plan {
	const char *sig_name;      /* ssh signature algorithm name */
	const EVP_MD *md;          /* NULL for EdDSA: the card signs the message */
	const struct sk_digestinfo *di;   /* DigestInfo prefix for RSA, else NULL */
};

static int plan_for(const struct sshag_key *k, uint32_t flags, struct sign_plan *p)
{
	memset(p, 0, sizeof(*p));
	switch (k->type) {
	case SSHAG_KEY_ED25519:
		p->sig_name = "ssh-ed25519";
		return 0;
	case SSHAG_KEY_ECDSA_P256:
		p->sig_name = "ecdsa-sha2-nistp256";
		p->md = EVP_sha256();
		return 0;
	case SSHAG_KEY_ECDSA_P384:
		p->sig_name = "ecdsa-sha2-nistp384";
		p->md = EVP_sha384();
		return 0;
	case SSHAG_KEY_RSA:
		if (flags & FLAG_RSA_SHA2_512) {
			p->sig_name = "rsa-sha2-512";
			p->md = EVP_sha512();
			p->di = sk_digestinfo_by_name("sha512");
		} else if (flags & FLAG_RSA_SHA2_256) {
			p->sig_name = "rsa-sha2-256";
			p->md = EVP_sha256();
			p->di = sk_digestinfo_by_name("sha256");
		} else {
			p->sig_name = "ssh-rsa";
			p->md = EVP_sha1();
			p->di = sk_digestinfo_by_name("sha1");
		}
		return 0;
	}
	return SK_ERR_UNSUPPORTED;
}

/* The bytes the card must process: message, hash, or DigestInfo || hash. */
static int card_input(const struct sign_plan *p, const uint8_t *data, size_t dlen,
    struct sk_buf *in)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int r;

	if (p->md == NULL)
		return sk_buf_put(in, data, dlen);
	if (EVP_Digest(data, dlen, md, &mdlen, p->md, NULL) != 1)
		return SK_ERR_CRYPTO;
	if (p->di != NULL && (r = sk_buf_put(in, p->di->prefix, p->di->plen)) != 0)
		return r;
	return sk_buf_put(in, md, mdlen);
}

static int sig_blob(const struct sshag_key *k, const struct sign_plan *p, const uint8_t *sig,
    size_t siglen, struct sk_buf *out)
{
	struct sk_buf *rs = NULL;
	size_t half;
	int r;

	if ((r = put_cstring(out, p->sig_name)) != 0)
		return r;
	if (k->type == SSHAG_KEY_ED25519) {
		if (siglen != 64)
			return SK_ERR_BAD_RESPONSE;
		return put_string(out, sig, siglen);
	}
	if (k->type == SSHAG_KEY_RSA)
		return put_string(out, sig, siglen);
	half = k->type == SSHAG_KEY_ECDSA_P256 ? 32 : 48;
	if (siglen != 2 * half)
		return SK_ERR_BAD_RESPONSE;
	if ((rs = sk_buf_new(256)) == NULL)
		return SK_ERR_NOMEM;
	if ((r = put_mpint(rs, sig, half)) == 0 && (r = put_mpint(rs, sig + half, half)) == 0)
		r = put_string(out, sk_buf_ptr(rs), sk_buf_len(rs));
	sk_buf_free(&rs);
	return r;
}

static const struct sshag_key *find_key(const struct sshag_key *keys, size_t n,
    const uint8_t *blob, size_t blen)
{
	for (size_t i = 0; i < n; i++)
		if (keys[i].blob_len == blen && memcmp(keys[i].blob, blob, blen) == 0)
			return &keys[i];
	return NULL;
}

static int do_sign(struct sshag_state *st, const struct sshag_backend *be, void *arg,
    struct sk_cur *c, struct sk_buf *reply)
{
	const uint8_t *blob, *data;
	size_t blen, dlen, n = 0, siglen = 0, start;
	uint32_t flags;
	struct sshag_key *keys = NULL;
	const struct sshag_key *k;
	struct sign_plan plan;
	struct sk_buf *in = NULL, *sigb = NULL;
	uint8_t *sig = NULL;
	int r;

	if ((r = get_string(c, &blob, &blen)) != 0 || (r = get_string(c, &data, &dlen)) != 0 ||
	    (r = sk_cur_u32be(c, &flags)) != 0 || (r = sk_cur_end(c)) != 0) {
		r = SK_ERR_PROTO;
		goto refuse;
	}
	if (sshag_locked(st)) {
		sk_log(SK_LOG_INFO, "ssh-agent: sign refused: agent is locked");
		goto refuse;
	}
	if ((r = be->list(arg, &keys, &n)) != 0)
		goto refuse;
	if ((k = find_key(keys, n, blob, blen)) == NULL) {
		sk_log(SK_LOG_INFO, "ssh-agent: sign refused: key is not on a known chip");
		goto refuse;
	}
	if ((r = plan_for(k, flags, &plan)) != 0)
		goto refuse;
	if ((in = sk_buf_new(dlen + 128)) == NULL || (sigb = sk_buf_new(2048)) == NULL) {
		r = SK_ERR_NOMEM;
		goto refuse;
	}
	if ((r = card_input(&plan, data, dlen, in)) != 0)
		goto refuse;
	if ((r = be->auth(arg, k, sk_buf_ptr(in), sk_buf_len(in), &sig, &siglen)) != 0) {
		sk_log(SK_LOG_WARN, "ssh-agent: card signature failed: %s", sk_strerror(r));
		goto refuse;
	}
	if ((r = sig_blob(k, &plan, sig, siglen, sigb)) != 0) {
		sk_log(SK_LOG_WARN, "ssh-agent: card answered a signature of the wrong size");
		goto refuse;
	}
	if ((r = frame_begin(reply, &start)) != 0 ||
	    (r = sk_buf_put_u8(reply, MSG_SIGN_RESPONSE)) != 0 ||
	    (r = put_string(reply, sk_buf_ptr(sigb), sk_buf_len(sigb))) != 0)
		goto out;
	frame_end(reply, start);
	goto out;
refuse:
	{
		int r2 = reply_code(reply, MSG_FAILURE);
		r = r == SK_ERR_PROTO ? SK_ERR_PROTO : r2;
	}
out:
	free(sig);
	sk_buf_free(&in);
	sk_buf_free(&sigb);
	sshag_keys_free(&keys, n);
	return r;
}

/* ---- lock / unlock ---- */

static void pass_hash(const uint8_t salt[LOCK_SALT_LEN], const uint8_t *pw, size_t n,
    uint8_t out[LOCK_HASH_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 0;

	memset(out, 0, LOCK_HASH_LEN);
	if (ctx == NULL)
		return;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, salt, LOCK_SALT_LEN) == 1 && EVP_DigestUpdate(ctx, pw, n) == 1)
		EVP_DigestFinal_ex(ctx, out, &len);
	EVP_MD_CTX_free(ctx);
}

static int do_lock(struct sshag_state *st, struct sk_cur *c, int lock, struct sk_buf *reply)
{
	const uint8_t *pw;
	size_t n;
	uint8_t h[LOCK_HASH_LEN];
	int ok = 0;

	if (get_string(c, &pw, &n) != 0 || sk_cur_end(c) != 0) {
		reply_code(reply, MSG_FAILURE);
		return SK_ERR_PROTO;
	}
	pthread_mutex_lock(&st->mu);
	if (lock && !st->locked) {
		if (RAND_bytes(st->salt, LOCK_SALT_LEN) == 1) {
			pass_hash(st->salt, pw, n, st->hash);
			st->locked = 1;
			ok = 1;
		}
	} else if (!lock && st->locked) {
		pass_hash(st->salt, pw, n, h);
		if (CRYPTO_memcmp(h, st->hash, LOCK_HASH_LEN) == 0) {
			st->locked = 0;
			OPENSSL_cleanse(st->hash, LOCK_HASH_LEN);
			ok = 1;
		}
		OPENSSL_cleanse(h, sizeof(h));
	}
	pthread_mutex_unlock(&st->mu);
	if (!lock && !ok)
		usleep(100 * 1000);   /* slow down guessing, as ssh-agent does */
	sk_log(SK_LOG_INFO, "ssh-agent: %s %s", lock ? "lock" : "unlock", ok ? "done" : "refused");
	return reply_code(reply, ok ? MSG_SUCCESS : MSG_FAILURE);
}

int sshag_handle(struct sshag_state *st, const struct sshag_backend *be, void *arg,
    const uint8_t *msg, size_t len, struct sk_buf *reply)
{
	struct sk_cur c;
	uint8_t type;

	sk_cur_init(&c, msg, len);
	if (sk_cur_u8(&c, &type) != 0) {
		reply_code(reply, MSG_FAILURE);
		return SK_ERR_PROTO;
	}
	switch (type) {
	case MSG_REQUEST_IDENTITIES:
		if (sk_cur_end(&c) != 0) {
			reply_code(reply, MSG_FAILURE);
			return SK_ERR_PROTO;
		}
		return do_identities(st, be, arg, reply);
	case MSG_SIGN_REQUEST:
		return do_sign(st, be, arg, &c, reply);
	case MSG_LOCK:
	case MSG_UNLOCK:
		return do_lock(st, &c, type == MSG_LOCK, reply);
	case 27:   /* extensions (ssh sends session-bind@openssh.com on every connection) */
		sk_log(SK_LOG_DEBUG, "ssh-agent: extension request refused (none supported)");
		return reply_code(reply, MSG_FAILURE);
	default:
		/* add/remove identities, smartcard keys, constraints: the keys live on the chip
		 * and cannot be added, removed or exported here. */
		sk_log(SK_LOG_INFO, "ssh-agent: request type %u refused (keys live on the chip)",
		    (unsigned)type);
		return reply_code(reply, MSG_FAILURE);
	}
}
