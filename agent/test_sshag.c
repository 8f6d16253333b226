/* test_sshag.c — ssh-agent protocol layer against a mock card backend that signs with real
 * OpenSSL keys; every signature blob is parsed back and verified independently. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "buf.h"
#include "cursor.h"
#include "sk_err.h"
#include "sshag.h"

int main(void);

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

struct mock {
	EVP_PKEY *pk[3];
	enum sshag_keytype type[3];
	struct sk_buf *blob[3];
	int auth_calls;
};

static int mock_list(void *arg, struct sshag_key **keys, size_t *n)
{
	struct mock *m = arg;
	struct sshag_key *k = calloc(3, sizeof(*k));

	if (k == NULL)
		return SK_ERR_NOMEM;
	for (int i = 0; i < 3; i++) {
		k[i].type = m->type[i];
		k[i].blob_len = sk_buf_len(m->blob[i]);
		k[i].blob = malloc(k[i].blob_len);
		memcpy(k[i].blob, sk_buf_ptr(m->blob[i]), k[i].blob_len);
		k[i].comment = strdup("cardno:test");
		k[i].keyref = i;
	}
	*keys = k;
	*n = 3;
	return 0;
}

/* Plays the card: INTERNAL AUTHENTICATE over exactly what the protocol layer prepared. */
static int mock_auth(void *arg, const struct sshag_key *key, const uint8_t *in, size_t inlen,
    uint8_t **sig, size_t *siglen)
{
	struct mock *m = arg;
	EVP_PKEY *pk = m->pk[key->keyref];
	EVP_PKEY_CTX *ctx = NULL;
	EVP_MD_CTX *md = NULL;
	uint8_t der[512];
	size_t derlen = sizeof(der);
	int r = SK_ERR_CRYPTO;

	m->auth_calls++;
	*sig = malloc(1024);
	*siglen = 1024;
	if (key->type == SSHAG_KEY_ED25519) {
		md = EVP_MD_CTX_new();
		if (EVP_DigestSignInit(md, NULL, NULL, NULL, pk) == 1 &&
		    EVP_DigestSign(md, *sig, siglen, in, inlen) == 1)
			r = 0;
	} else if (key->type == SSHAG_KEY_RSA) {
		ctx = EVP_PKEY_CTX_new(pk, NULL);
		if (EVP_PKEY_sign_init(ctx) == 1 &&
		    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
		    EVP_PKEY_sign(ctx, *sig, siglen, in, inlen) == 1)
			r = 0;
	} else {
		ctx = EVP_PKEY_CTX_new(pk, NULL);
		if (EVP_PKEY_sign_init(ctx) == 1 && EVP_PKEY_sign(ctx, der, &derlen, in, inlen) == 1) {
			const uint8_t *p = der;
			ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
			const BIGNUM *br, *bs;
			ECDSA_SIG_get0(es, &br, &bs);
			BN_bn2binpad(br, *sig, 32);
			BN_bn2binpad(bs, *sig + 32, 32);
			*siglen = 64;
			ECDSA_SIG_free(es);
			r = 0;
		}
	}
	EVP_PKEY_CTX_free(ctx);
	EVP_MD_CTX_free(md);
	return r;
}

static const struct sshag_backend mock_be = { mock_list, mock_auth };

static size_t frame_body(const struct sk_buf *reply, struct sk_cur *c)
{
	uint32_t len = 0;

	sk_buf_cur(reply, c);
	CHECK(sk_cur_u32be(c, &len) == 0);
	CHECK(len == sk_cur_left(c));
	return len;
}

static int get_str(struct sk_cur *c, const uint8_t **p, size_t *n)
{
	uint32_t l;

	if (sk_cur_u32be(c, &l) != 0 || sk_cur_bytes(c, l, p) != 0)
		return -1;
	*n = l;
	return 0;
}

static void put_str(struct sk_buf *b, const void *p, size_t n)
{
	sk_buf_put_u32be(b, (uint32_t)n);
	sk_buf_put(b, p, n);
}

static int verify_sig(EVP_PKEY *pk, const char *want_name, const uint8_t *blob, size_t blen,
    const uint8_t *data, size_t dlen)
{
	struct sk_cur c, inner;
	const uint8_t *name, *sig, *rp, *sp;
	size_t nlen, slen, rl, sl;
	const EVP_MD *mdt = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t der[256];
	int derlen, ok = 0;

	sk_cur_init(&c, blob, blen);
	if (get_str(&c, &name, &nlen) != 0 || get_str(&c, &sig, &slen) != 0 || sk_cur_end(&c) != 0)
		goto out;
	if (nlen != strlen(want_name) || memcmp(name, want_name, nlen) != 0)
		goto out;
	if (strcmp(want_name, "rsa-sha2-256") == 0 || strncmp(want_name, "ecdsa-sha2-nistp256", 19) == 0)
		mdt = EVP_sha256();
	else if (strcmp(want_name, "rsa-sha2-512") == 0)
		mdt = EVP_sha512();
	else if (strcmp(want_name, "ssh-rsa") == 0)
		mdt = EVP_sha1();
	if (strncmp(want_name, "ecdsa", 5) == 0) {
		ECDSA_SIG *es = ECDSA_SIG_new();
		uint8_t *dp = der;
		sk_cur_init(&inner, sig, slen);
		if (get_str(&inner, &rp, &rl) != 0 || get_str(&inner, &sp, &sl) != 0 ||
		    sk_cur_end(&inner) != 0)
			goto out;
		ECDSA_SIG_set0(es, BN_bin2bn(rp, (int)rl, NULL), BN_bin2bn(sp, (int)sl, NULL));
		derlen = i2d_ECDSA_SIG(es, &dp);
		ECDSA_SIG_free(es);
		sig = der;
		slen = (size_t)derlen;
	}
	ok = EVP_DigestVerifyInit(md, NULL, mdt, NULL, pk) == 1 &&
	    EVP_DigestVerify(md, sig, slen, data, dlen) == 1;
out:
	EVP_MD_CTX_free(md);
	return ok;
}

static int sign_req(struct sshag_state *st, struct mock *m, int i, uint32_t flags,
    const char *want, int expect_ok)
{
	struct sk_buf *req = sk_buf_new(0), *reply = sk_buf_new(0);
	const uint8_t data[] = "session-id and userauth request bytes";
	struct sk_cur c;
	uint8_t type = 0;
	const uint8_t *sig;
	size_t slen;
	int ok = 0;

	sk_buf_put_u8(req, 13);
	put_str(req, sk_buf_ptr(m->blob[i]), sk_buf_len(m->blob[i]));
	put_str(req, data, sizeof(data));
	sk_buf_put_u32be(req, flags);
	CHECK(sshag_handle(st, &mock_be, m, sk_buf_ptr(req), sk_buf_len(req), reply) == 0);
	frame_body(reply, &c);
	sk_cur_u8(&c, &type);
	if (!expect_ok) {
		ok = type == 5;
	} else if (type == 14 && get_str(&c, &sig, &slen) == 0 && sk_cur_end(&c) == 0) {
		ok = verify_sig(m->pk[i], want, sig, slen, data, sizeof(data));
	}
	sk_buf_free(&req);
	sk_buf_free(&reply);
	return ok;
}

static uint32_t count_identities(struct sshag_state *st, struct mock *m)
{
	const uint8_t req[] = { 11 };
	struct sk_buf *reply = sk_buf_new(0);
	struct sk_cur c;
	uint8_t type = 0;
	uint32_t n = 0xffffffff;

	CHECK(sshag_handle(st, &mock_be, m, req, sizeof(req), reply) == 0);
	frame_body(reply, &c);
	CHECK(sk_cur_u8(&c, &type) == 0 && type == 12);
	CHECK(sk_cur_u32be(&c, &n) == 0);
	for (uint32_t i = 0; i < n && i < 3; i++) {
		const uint8_t *b, *cm;
		size_t bl = 0, cl = 0;
		CHECK(get_str(&c, &b, &bl) == 0 && get_str(&c, &cm, &cl) == 0);
		CHECK(bl == sk_buf_len(m->blob[i]) && memcmp(b, sk_buf_ptr(m->blob[i]), bl) == 0);
	}
	CHECK(sk_cur_end(&c) == 0);
	sk_buf_free(&reply);
	return n;
}

static uint8_t simple(struct sshag_state *st, struct mock *m, const uint8_t *req, size_t n,
    int expect_rc)
{
	struct sk_buf *reply = sk_buf_new(0);
	struct sk_cur c;
	uint8_t type = 0;

	CHECK(sshag_handle(st, &mock_be, m, req, n, reply) == expect_rc);
	frame_body(reply, &c);
	sk_cur_u8(&c, &type);
	sk_buf_free(&reply);
	return type;
}

static void lock_msg(struct sk_buf *b, uint8_t type, const char *pw)
{
	sk_buf_reset(b);
	sk_buf_put_u8(b, type);
	put_str(b, pw, strlen(pw));
}

struct serve_arg {
	int fd;
	struct sshag_state *st;
	struct mock *m;
	int rc;
};

static void *serve_thread(void *p)
{
	struct serve_arg *a = p;

	a->rc = sshag_serve_fd(a->fd, a->st, &mock_be, a->m);
	close(a->fd);
	return NULL;
}

/* Over a socket: a good request is answered, then an oversized frame ends the connection. */
static void test_serve(struct sshag_state *st, struct mock *m)
{
	int sv[2];
	pthread_t th;
	struct serve_arg a;
	const uint8_t good[] = { 0, 0, 0, 1, 11 };
	const uint8_t huge[] = { 0, 0x10, 0, 0, 11 };
	uint8_t buf[4096];
	ssize_t k;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	a.fd = sv[1];
	a.st = st;
	a.m = m;
	a.rc = 99;
	pthread_create(&th, NULL, serve_thread, &a);
	CHECK(write(sv[0], good, sizeof(good)) == (ssize_t)sizeof(good));
	k = read(sv[0], buf, sizeof(buf));
	CHECK(k > 5 && buf[4] == 12);
	CHECK(write(sv[0], huge, sizeof(huge)) == (ssize_t)sizeof(huge));
	k = read(sv[0], buf, sizeof(buf));
	CHECK(k <= 0);   /* closed (EOF or reset: unread bytes were discarded), no reply */
	pthread_join(th, NULL);
	CHECK(a.rc == SK_ERR_TOOBIG);
	close(sv[0]);
}

int main(void)
{
	struct mock m;
	struct sshag_state *st = NULL;
	struct sk_buf *b = sk_buf_new(0);
	const char *types[3] = { "ED25519", "EC", "RSA" };

	memset(&m, 0, sizeof(m));
	m.pk[0] = EVP_PKEY_Q_keygen(NULL, NULL, types[0]);
	m.pk[1] = EVP_PKEY_Q_keygen(NULL, NULL, types[1], "P-256");
	m.pk[2] = EVP_PKEY_Q_keygen(NULL, NULL, types[2], (size_t)2048);
	for (int i = 0; i < 3; i++) {
		m.blob[i] = sk_buf_new(0);
		CHECK(m.pk[i] != NULL);
		CHECK(sshag_pubkey_blob(m.pk[i], m.blob[i], &m.type[i]) == 0);
	}
	CHECK(m.type[0] == SSHAG_KEY_ED25519 && m.type[1] == SSHAG_KEY_ECDSA_P256 &&
	    m.type[2] == SSHAG_KEY_RSA);
	CHECK(sk_buf_len(m.blob[0]) == 4 + 11 + 4 + 32);
	CHECK(sshag_state_new(&st) == 0);

	CHECK(count_identities(st, &m) == 3);
	CHECK(sign_req(st, &m, 0, 0, "ssh-ed25519", 1));
	CHECK(sign_req(st, &m, 1, 0, "ecdsa-sha2-nistp256", 1));
	CHECK(sign_req(st, &m, 2, 0, "ssh-rsa", 1));
	CHECK(sign_req(st, &m, 2, 2, "rsa-sha2-256", 1));
	CHECK(sign_req(st, &m, 2, 4, "rsa-sha2-512", 1));
	/* a signature made for one name must not verify under another */
	CHECK(!sign_req(st, &m, 2, 4, "rsa-sha2-256", 1));

	/* an unknown key is refused without touching the card */
	{
		int calls = m.auth_calls;
		sk_buf_reset(b);
		sk_buf_put_u8(b, 13);
		put_str(b, "bogus", 5);
		put_str(b, "x", 1);
		sk_buf_put_u32be(b, 0);
		CHECK(simple(st, &m, sk_buf_ptr(b), sk_buf_len(b), 0) == 5);
		CHECK(m.auth_calls == calls);
	}

	/* lock hides keys and refuses signing; wrong passphrase does not unlock */
	lock_msg(b, 22, "hunter2");
	CHECK(simple(st, &m, sk_buf_ptr(b), sk_buf_len(b), 0) == 6);
	CHECK(sshag_locked(st));
	CHECK(simple(st, &m, sk_buf_ptr(b), sk_buf_len(b), 0) == 5);   /* locking twice fails */
	CHECK(count_identities(st, &m) == 0);
	CHECK(sign_req(st, &m, 0, 0, NULL, 0));
	lock_msg(b, 23, "hunter3");
	CHECK(simple(st, &m, sk_buf_ptr(b), sk_buf_len(b), 0) == 5);
	CHECK(sshag_locked(st));
	lock_msg(b, 23, "hunter2");
	CHECK(simple(st, &m, sk_buf_ptr(b), sk_buf_len(b), 0) == 6);
	CHECK(!sshag_locked(st));
	CHECK(count_identities(st, &m) == 3);

	/* key management is refused: the keys live on the chip */
	{
		const uint8_t add[] = { 17, 0, 0, 0, 0 }, rmall[] = { 19 }, ext[] = { 27, 0, 0, 0, 1, 'x' };
		const uint8_t sc[] = { 20, 0, 0, 0, 0, 0, 0, 0, 0 };
		CHECK(simple(st, &m, add, sizeof(add), 0) == 5);
		CHECK(simple(st, &m, rmall, sizeof(rmall), 0) == 5);
		CHECK(simple(st, &m, ext, sizeof(ext), 0) == 5);
		CHECK(simple(st, &m, sc, sizeof(sc), 0) == 5);
	}

	/* malformed messages: failure reply and SK_ERR_PROTO so the connection ends */
	{
		const uint8_t trail[] = { 11, 0 };
		const uint8_t trunc[] = { 13, 0, 0, 0, 40, 1, 2 };
		const uint8_t lockshort[] = { 22, 0, 0 };
		CHECK(simple(st, &m, trail, sizeof(trail), SK_ERR_PROTO) == 5);
		CHECK(simple(st, &m, trunc, sizeof(trunc), SK_ERR_PROTO) == 5);
		CHECK(simple(st, &m, lockshort, sizeof(lockshort), SK_ERR_PROTO) == 5);
		CHECK(!sshag_locked(st));
	}

	test_serve(st, &m);

	sshag_state_free(&st);
	CHECK(st == NULL);
	for (int i = 0; i < 3; i++) {
		EVP_PKEY_free(m.pk[i]);
		sk_buf_free(&m.blob[i]);
	}
	sk_buf_free(&b);
	if (failures) {
		fprintf(stderr, "test_sshag: %d failure(s)\n", failures);
		return 1;
	}
	printf("test_sshag: ok\n");
	return 0;
}
