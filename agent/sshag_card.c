/* sshag_card.c — skinkeyd's ssh-agent socket ($XDG_RUNTIME_DIR/skinkey/S.ssh): the AUT key of
 * every known chip, listed from the cache (no tap), used through the same OpenPGP operation
 * path as PKAUTH (select, verify PW1 once, INTERNAL AUTHENTICATE, retry once on lost state). */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gcrypt.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "event.h"
#include "buf.h"
#include "client.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "notify.h"
#include "pgp.h"
#include "scd.h"
#include "skd_int.h"
#include "sshag.h"

static struct sshag_state *agent_state;
static int listen_fd = -1;
static char ssh_sock_path[PATH_MAX];

/* ---- public keys from the cached S-expression ---- */

/* A copy of the value of (name value) anywhere in s; gcry_free() it. */
static uint8_t *sexp_value(gcry_sexp_t s, const char *name, size_t *n)
{
	gcry_sexp_t t = gcry_sexp_find_token(s, name, 0);
	uint8_t *p;

	*n = 0;
	if (t == NULL)
		return NULL;
	p = gcry_sexp_nth_buffer(t, 1, n);
	gcry_sexp_release(t);
	return p;
}

static EVP_PKEY *ec_from_point(const char *group, const uint8_t *q, size_t qlen)
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;

	if (b == NULL || !OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, q, qlen) ||
	    (params = OSSL_PARAM_BLD_to_param(b)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	return pk;
}

static EVP_PKEY *rsa_from_parts(const uint8_t *n, size_t nlen, const uint8_t *e, size_t elen)
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	BIGNUM *bn = BN_bin2bn(n, (int)nlen, NULL), *be = BN_bin2bn(e, (int)elen, NULL);

	if (b == NULL || bn == NULL || be == NULL ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, bn) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, be) ||
	    (params = OSSL_PARAM_BLD_to_param(b)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
	BN_free(bn);
	BN_free(be);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	return pk;
}

/* gpg's public-key S-expression -> OpenSSL key. NULL for what ssh cannot use (X25519...). */
EVP_PKEY *skd_pkey_from_sexp(const uint8_t *sx, size_t len)
{
	gcry_sexp_t s = NULL;
	uint8_t *q = NULL, *n = NULL, *e = NULL, *curve = NULL;
	size_t qlen, nlen, elen, clen;
	char cname[32];
	EVP_PKEY *pk = NULL;

	if (gcry_sexp_new(&s, sx, len, 0) != 0) {
		sk_warn("ssh-agent: cached public key does not parse");
		return NULL;
	}
	if ((n = sexp_value(s, "n", &nlen)) != NULL && (e = sexp_value(s, "e", &elen)) != NULL) {
		pk = rsa_from_parts(n, nlen, e, elen);
		goto out;
	}
	if ((curve = sexp_value(s, "curve", &clen)) == NULL || clen >= sizeof(cname) ||
	    (q = sexp_value(s, "q", &qlen)) == NULL)
		goto out;
	memcpy(cname, curve, clen);
	cname[clen] = '\0';
	if (strcmp(cname, "Ed25519") == 0) {
		/* gpg's native point carries a 0x40 prefix */
		const uint8_t *pt = qlen == 33 && q[0] == 0x40 ? q + 1 : q;
		if (qlen == 32 || qlen == 33)
			pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pt, 32);
	} else if (strcmp(cname, "NIST P-256") == 0) {
		pk = ec_from_point("P-256", q, qlen);
	} else if (strcmp(cname, "NIST P-384") == 0) {
		pk = ec_from_point("P-384", q, qlen);
	} else {
		sk_debug("ssh-agent: curve %s has no ssh key type", cname);
	}
out:
	gcry_free(q);
	gcry_free(n);
	gcry_free(e);
	gcry_free(curve);
	gcry_sexp_release(s);
	return pk;
}

/* ---- backend ---- */

static int key_of_chip(const struct skd_chip_info *ci, struct sshag_key *k)
{
	struct opgp_info info;
	uint8_t *sx = NULL;
	size_t sxlen = 0;
	EVP_PKEY *pk = NULL;
	struct sk_buf *blob = NULL;
	char comment[64];
	int r;

	memset(k, 0, sizeof(*k));
	if ((r = skd_pgp_info(ci->id, &info)) != 0) {
		sk_debug("ssh-agent: %s: no cached OpenPGP data: %s", ci->id, sk_strerror(r));
		return r;
	}
	if ((r = skd_pgp_cached_sexp(ci->id, OPGP_KEY_AUT, &sx, &sxlen)) != 0) {
		sk_debug("ssh-agent: %s: no authentication key", ci->id);
		return r;
	}
	r = SK_ERR_UNSUPPORTED;
	if ((pk = skd_pkey_from_sexp(sx, sxlen)) == NULL) {
		sk_info("ssh-agent: %s: its authentication key cannot be used by ssh", ci->id);
		goto out;
	}
	if ((blob = sk_buf_new(4096)) == NULL) {
		r = SK_ERR_NOMEM;
		goto out;
	}
	if ((r = sshag_pubkey_blob(pk, blob, &k->type)) != 0)
		goto out;
	snprintf(comment, sizeof(comment), "cardno:%04X%08X", info.manufacturer, info.serial);
	k->blob_len = sk_buf_len(blob);
	if ((k->blob = malloc(k->blob_len)) == NULL || (k->comment = strdup(comment)) == NULL) {
		free(k->blob);
		k->blob = NULL;
		r = SK_ERR_NOMEM;
		goto out;
	}
	memcpy(k->blob, sk_buf_ptr(blob), k->blob_len);
	snprintf(k->chip, sizeof(k->chip), "%s", ci->id);
	k->keyref = OPGP_KEY_AUT;
	r = 0;
out:
	free(sx);
	EVP_PKEY_free(pk);
	sk_buf_free(&blob);
	return r;
}

static int card_list(void *arg, struct sshag_key **keys, size_t *n)
{
	struct skd_chip_info *chips = NULL;
	struct sshag_key *out = NULL;
	size_t nchips = 0, got = 0;
	int r;

	(void)arg;
	*keys = NULL;
	*n = 0;
	/* a chip with a DuressApplet lists no key until its PIN picked a context (pinentry) */
	if (skd_duress_locked_present()) {
		char unlocked[SKD_CHIPID_MAX];

		if ((r = skd_duress_unlock(NULL, NULL, unlocked, sizeof(unlocked))) != 0)
			sk_info("ssh-agent: the chip stays locked (%s)", sk_strerror(r));
	}
	if ((r = skd_chip_list(&chips, &nchips)) != 0)
		return r;
	if (nchips > 0 && (out = calloc(nchips, sizeof(*out))) == NULL) {
		free(chips);
		return SK_ERR_NOMEM;
	}
	for (size_t i = 0; i < nchips; i++) {
		if (strstr(chips[i].applets, "openpgp") == NULL)
			continue;
		if (key_of_chip(&chips[i], &out[got]) == 0)
			got++;
	}
	free(chips);
	*keys = out;
	*n = got;
	return 0;
}

static int card_auth(void *arg, const struct sshag_key *key, const uint8_t *in, size_t inlen,
    uint8_t **sig, size_t *siglen)
{
	(void)arg;
	sk_info("ssh-agent: signing with the authentication key of %s", key->chip);
	return scd_pgp_auth(key->chip, in, inlen, sig, siglen);
}

static const struct sshag_backend card_backend = { card_list, card_auth };

/* ---- socket ---- */

static void *conn_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct ucred cr;
	socklen_t crlen = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) == 0 && crlen == sizeof(cr))
		skd_event_set_peer((int)cr.pid);   /* ssh, named in this thread's events */
	skd_event_set_door("ssh-agent");

	skd_notify_client(fd);   /* ssh from a desktop launcher: tell the user to tap */
	sshag_serve_fd(fd, agent_state, &card_backend, NULL);
	close(fd);
	skd_conn_slot_give();
	return NULL;
}

static void *accept_main(void *arg)
{
	struct pollfd pfd = { listen_fd, POLLIN, 0 };
	pthread_attr_t at;
	pthread_t t;
	int fd;

	(void)arg;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	while (!skd_shutdown_requested()) {
		/* no timeout: the process ends with the accept loop of the main socket */
		if (poll(&pfd, 1, -1) <= 0)
			continue;
		if ((fd = skd_accept(listen_fd, "ssh-agent", NULL)) < 0)
			continue;
		if (pthread_create(&t, &at, conn_main, (void *)(intptr_t)fd) != 0) {
			close(fd);
			skd_conn_slot_give();
		}
	}
	pthread_attr_destroy(&at);
	return NULL;
}

void sshag_card_unlink(void)
{
	struct stat st;

	if (listen_fd >= 0 && ssh_sock_path[0] != '\0' && lstat(ssh_sock_path, &st) == 0 &&
	    S_ISSOCK(st.st_mode))
		unlink(ssh_sock_path);
}

int sshag_card_start(void)
{
	struct sockaddr_un sa;
	char dir[PATH_MAX];
	pthread_t t;
	int r;

	if ((r = skc_socket_dir(dir, sizeof(dir))) != 0)
		return r;
	if ((size_t)snprintf(ssh_sock_path, sizeof(ssh_sock_path), "%s/S.ssh", dir) >=
	    sizeof(sa.sun_path))
		return SK_ERR_TOOBIG;
	if ((r = sshag_state_new(&agent_state)) != 0)
		return r;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, ssh_sock_path, strlen(ssh_sock_path) + 1);
	if ((listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return SK_ERR_IO;
	unlink(ssh_sock_path);   /* we hold the daemon lock: nobody else listens there */
	if (bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    chmod(ssh_sock_path, 0600) != 0 || listen(listen_fd, 32) != 0) {
		sk_error("ssh-agent: cannot listen on %s: %s", ssh_sock_path, strerror(errno));
		close(listen_fd);
		listen_fd = -1;
		return SK_ERR_IO;
	}
	if (pthread_create(&t, NULL, accept_main, NULL) != 0) {
		close(listen_fd);
		listen_fd = -1;
		return SK_ERR_INTERNAL;
	}
	pthread_detach(t);
	sk_info("ssh-agent socket: %s", ssh_sock_path);
	return 0;
}
