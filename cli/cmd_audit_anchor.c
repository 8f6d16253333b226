/* cmd_audit_anchor.c — `skinkey audit anchor ...`: the head of the chain leaves the host, all
 * offline (skinkey never opens a connection; the user carries the files):
 *   request [-o FILE]       an RFC 3161 TimeStampReq (DER) whose message imprint is the head
 *                           row's hash (SHA-256), for any timestamp authority
 *   verify REPLY --ca FILE [--untrusted FILE]
 *                           check a TimeStampResp with OpenSSL's TS API against the chain: the
 *                           stamped hash must be a row's hash in an intact chain
 *   sign [-o FILE] [-u KEY] the head as a text line, signed by gpg (with the key on the chip:
 *                           gpg-agent -> skinkey-scd -> skinkeyd); check with plain gpg --verify
 *   check FILE              is the head in FILE (a signed head or an anchor-command line) still
 *                           in the chain? */
#include <getopt.h>
#include <inttypes.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "cli.h"
#include "common/sk_err.h"

struct anchor_opts {
	const char *db, *out, *ca, *untrusted, *user;
};

static void usage(void)
{
	fprintf(stderr,
	    "usage: skinkey audit anchor request [-o FILE.tsq]\n"
	    "       skinkey audit anchor verify REPLY.tsr --ca CA.pem [--untrusted TSA.pem]\n"
	    "       skinkey audit anchor sign [-o FILE.asc] [-u KEY]\n"
	    "       skinkey audit anchor check FILE\n"
	    "common: --db FILE\n");
}

static int open_chain(const struct anchor_opts *ao, struct audit_log **l)
{
	int r;

	if ((r = audit_open_ro(ao->db, l)) != 0) {
		fprintf(stderr, "skinkey audit: no audit chain (%s)\n", sk_strerror(r));
		return CLI_ERR;
	}
	return CLI_OK;
}

static void ssl_err(const char *what)
{
	unsigned long e = ERR_get_error();

	fprintf(stderr, "skinkey audit: %s: %s\n", what,
	    e != 0 ? ERR_reason_error_string(e) : "failed");
}

static void head_line(uint64_t seq, const uint8_t h[AUDIT_HASH_LEN], char *buf, size_t n)
{
	int o = snprintf(buf, n, "skinkey-audit-head v1 seq=%" PRIu64 " hash=", seq);

	for (int i = 0; i < AUDIT_HASH_LEN && o > 0 && (size_t)o + 3 < n; i++)
		o += snprintf(buf + o, n - (size_t)o, "%02x", h[i]);
	snprintf(buf + o, n - (size_t)o, " ts=%lld\n", (long long)time(NULL));
}

static int get_head(const struct anchor_opts *ao, uint64_t *seq, uint8_t h[AUDIT_HASH_LEN])
{
	struct audit_log *l = NULL;
	int r;

	if ((r = open_chain(ao, &l)) != CLI_OK)
		return r;
	r = audit_head(l, seq, h) == 0 && *seq > 0 ? CLI_OK : CLI_ERR;
	if (r != CLI_OK)
		fprintf(stderr, "skinkey audit: the chain is empty: nothing to anchor\n");
	audit_close(&l);
	return r;
}

static int run_request(const struct anchor_opts *ao)
{
	uint8_t h[AUDIT_HASH_LEN];
	uint64_t seq = 0;
	TS_REQ *req = NULL;
	TS_MSG_IMPRINT *mi = NULL;
	X509_ALGOR *alg = NULL;
	BIO *out = NULL;
	int r;

	if ((r = get_head(ao, &seq, h)) != CLI_OK)
		return r;
	r = CLI_ERR;
	if ((req = TS_REQ_new()) == NULL || TS_REQ_set_version(req, 1) != 1 ||
	    (mi = TS_MSG_IMPRINT_new()) == NULL || (alg = X509_ALGOR_new()) == NULL ||
	    X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) != 1 ||
	    TS_MSG_IMPRINT_set_algo(mi, alg) != 1 || TS_MSG_IMPRINT_set_msg(mi, h, sizeof(h)) != 1 ||
	    TS_REQ_set_msg_imprint(req, mi) != 1 || TS_REQ_set_cert_req(req, 1) != 1) {
		ssl_err("building the TimeStampReq");
		goto out;
	}
	out = ao->out != NULL ? BIO_new_file(ao->out, "wb") : BIO_new_fp(stdout, BIO_NOCLOSE);
	if (out == NULL || i2d_TS_REQ_bio(out, req) != 1) {
		ssl_err(ao->out != NULL ? ao->out : "stdout");
		goto out;
	}
	if (ao->out != NULL)
		fprintf(stderr, "TimeStampReq for row %" PRIu64 " (its hash is the message imprint) "
		    "written to %s: send it to a timestamp authority (e.g. openssl ts / curl "
		    "-H 'Content-Type: application/timestamp-query'), keep the reply\n", seq, ao->out);
	r = CLI_OK;
out:
	BIO_free(out);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(mi);
	TS_REQ_free(req);
	return r;
}

struct find_hash {
	const uint8_t *h;
	uint64_t seq;
};

static int match_hash(const struct audit_row *row, void *arg)
{
	struct find_hash *f = arg;

	if (CRYPTO_memcmp(row->hash, f->h, AUDIT_HASH_LEN) == 0) {
		f->seq = row->seq;
		return 1;
	}
	return 0;
}

/* The chain must verify (hashes) through the anchored row, and hold a row with that hash. */
static int anchored_row(const struct anchor_opts *ao, const uint8_t h[AUDIT_HASH_LEN],
    uint64_t *seq)
{
	struct audit_log *l = NULL;
	struct audit_report rep;
	struct find_hash f = { h, 0 };
	int r, v;

	*seq = 0;
	if ((r = open_chain(ao, &l)) != CLI_OK)
		return r;
	v = audit_verify_full(l, NULL, &rep);
	audit_foreach(l, 1, 0, match_hash, &f);
	audit_close(&l);
	if (f.seq == 0) {
		printf("anchor: FAILED: no row of the chain has the anchored hash: the chain was "
		    "truncated or rewritten after the anchor (%s)\n",
		    v == 0 ? "what is left verifies" : rep.why);
		return CLI_ERR;
	}
	if (v != 0 && rep.first_bad <= f.seq) {
		printf("anchor: FAILED: the anchored row %" PRIu64 " is there but the chain breaks "
		    "before it, at row %" PRIu64 ": %s\n", f.seq, rep.first_bad, rep.why);
		return CLI_ERR;
	}
	*seq = f.seq;
	return CLI_OK;
}

static X509_STORE *load_store(const char *ca)
{
	X509_STORE *st = X509_STORE_new();

	if (st == NULL || X509_STORE_load_file(st, ca) != 1) {
		X509_STORE_free(st);
		return NULL;
	}
	return st;
}

static STACK_OF(X509) *load_certs(const char *file)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	BIO *b = BIO_new_file(file, "r");
	X509 *x;

	if (sk == NULL || b == NULL) {
		BIO_free(b);
		sk_X509_free(sk);
		return NULL;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(sk, x) == 0)
			X509_free(x);
	ERR_clear_error();
	BIO_free(b);
	return sk;
}

static int run_verify(const struct anchor_opts *ao, const char *reply)
{
	TS_RESP *resp = NULL;
	TS_VERIFY_CTX *vc = NULL;
	X509_STORE *store = NULL;
	STACK_OF(X509) *untrusted = NULL;
	const ASN1_OCTET_STRING *msg;
	const ASN1_GENERALIZEDTIME *gt;
	uint8_t h[AUDIT_HASH_LEN];
	unsigned char *imp = NULL;
	uint64_t seq = 0;
	BIO *in = NULL;
	int r = CLI_ERR;

	if (ao->ca == NULL) {
		usage();
		return CLI_USAGE;
	}
	if ((in = BIO_new_file(reply, "rb")) == NULL || (resp = d2i_TS_RESP_bio(in, NULL)) == NULL ||
	    TS_RESP_get_tst_info(resp) == NULL) {
		ssl_err(reply);
		goto out;
	}
	msg = TS_MSG_IMPRINT_get_msg(TS_TST_INFO_get_msg_imprint(TS_RESP_get_tst_info(resp)));
	if (ASN1_STRING_length(msg) != AUDIT_HASH_LEN) {
		printf("anchor: FAILED: the stamped imprint is not a SHA-256 hash\n");
		goto out;
	}
	memcpy(h, ASN1_STRING_get0_data(msg), AUDIT_HASH_LEN);
	if ((store = load_store(ao->ca)) == NULL) {
		ssl_err(ao->ca);
		goto out;
	}
	if (ao->untrusted != NULL && (untrusted = load_certs(ao->untrusted)) == NULL) {
		ssl_err(ao->untrusted);
		goto out;
	}
	if ((imp = OPENSSL_memdup(h, sizeof(h))) == NULL || (vc = TS_VERIFY_CTX_new()) == NULL)
		goto out;
	TS_VERIFY_CTX_set_flags(vc, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_IMPRINT);
	TS_VERIFY_CTX_set_imprint(vc, imp, sizeof(h));
	imp = NULL;
	TS_VERIFY_CTX_set_store(vc, store);
	store = NULL;
	if (untrusted != NULL) {
		TS_VERIFY_CTX_set_certs(vc, untrusted);
		untrusted = NULL;
	}
	if (TS_RESP_verify_response(vc, resp) != 1) {
		ssl_err("the timestamp reply does not verify");
		printf("anchor: FAILED: the timestamp reply does not verify against %s\n", ao->ca);
		goto out;
	}
	if ((r = anchored_row(ao, h, &seq)) != CLI_OK)
		goto out;
	gt = TS_TST_INFO_get_time(TS_RESP_get_tst_info(resp));
	printf("anchor: row %" PRIu64 " and every row before it existed at %.*s (timestamp "
	    "authority's time, verified against %s); the chain through it is intact\n", seq,
	    ASN1_STRING_length(gt), (const char *)ASN1_STRING_get0_data(gt), ao->ca);
	r = CLI_OK;
out:
	OPENSSL_free(imp);
	TS_VERIFY_CTX_free(vc);
	X509_STORE_free(store);
	sk_X509_pop_free(untrusted, X509_free);
	TS_RESP_free(resp);
	BIO_free(in);
	return r;
}

/* gpg --clearsign of the head line: the key is the user's default (or -u), on the chip. */
static int run_sign(const struct anchor_opts *ao)
{
	uint8_t h[AUDIT_HASH_LEN];
	uint64_t seq = 0;
	char line[200], tmpl[] = "/tmp/skinkey-head-XXXXXX";
	const char *argv[10];
	int fd, st, r, n = 0;
	pid_t pid;

	if ((r = get_head(ao, &seq, h)) != CLI_OK)
		return r;
	head_line(seq, h, line, sizeof(line));
	if ((fd = mkstemp(tmpl)) < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		fprintf(stderr, "skinkey audit: cannot write a temporary file\n");
		if (fd >= 0) {
			close(fd);
			unlink(tmpl);
		}
		return CLI_ERR;
	}
	close(fd);
	argv[n++] = "gpg";
	argv[n++] = "--batch";
	argv[n++] = "--yes";
	if (ao->user != NULL) {
		argv[n++] = "-u";
		argv[n++] = ao->user;
	}
	argv[n++] = "--clearsign";
	argv[n++] = "-o";
	argv[n++] = ao->out != NULL ? ao->out : "-";
	argv[n++] = tmpl;
	argv[n] = NULL;
	if ((pid = fork()) == 0) {
		execvp("gpg", (char *const *)argv);
		_exit(127);
	}
	while (pid > 0 && waitpid(pid, &st, 0) < 0)
		;
	unlink(tmpl);
	if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "skinkey audit: gpg could not sign the head\n");
		return CLI_ERR;
	}
	if (ao->out != NULL)
		fprintf(stderr, "row %" PRIu64 " signed into %s: check it with gpg --verify, and "
		    "against the chain with skinkey audit anchor check\n", seq, ao->out);
	return CLI_OK;
}

/* The first "skinkey-audit-head v1 seq=N hash=H" line of FILE against the chain. */
static int run_check(const struct anchor_opts *ao, const char *file)
{
	char buf[512], hex[65];
	unsigned long long seq;
	uint8_t h[AUDIT_HASH_LEN];
	uint64_t found = 0;
	FILE *fp = fopen(file, "r");
	int got = 0, r;

	if (fp == NULL) {
		fprintf(stderr, "skinkey audit: cannot read %s\n", file);
		return CLI_ERR;
	}
	while (!got && fgets(buf, sizeof(buf), fp) != NULL)
		got = sscanf(buf, "skinkey-audit-head v1 seq=%llu hash=%64[0-9a-f]", &seq, hex) == 2 &&
		    strlen(hex) == 64;
	fclose(fp);
	if (!got) {
		fprintf(stderr, "skinkey audit: no skinkey-audit-head line in %s\n", file);
		return CLI_ERR;
	}
	for (int i = 0; i < AUDIT_HASH_LEN; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		h[i] = (uint8_t)v;
	}
	if ((r = anchored_row(ao, h, &found)) != CLI_OK)
		return r;
	if (found != seq) {
		printf("anchor: FAILED: the head names row %llu but its hash is row %" PRIu64 "'s\n",
		    seq, found);
		return CLI_ERR;
	}
	printf("anchor: row %llu is in the chain with the anchored hash; the chain through it is "
	    "intact\n", seq);
	return CLI_OK;
}

int cli_audit_anchor(const char *db, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "ca", required_argument, NULL, 'c' },
		{ "untrusted", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	struct anchor_opts ao = { db, NULL, NULL, NULL, NULL };
	const char *sub;
	int ch;

	if (argc < 2) {
		usage();
		return CLI_USAGE;
	}
	sub = argv[1];
	argc--;
	argv++;
	optind = 0;   /* 0: GNU getopt re-reads the ordering (main parsed with "+") */
	while ((ch = getopt_long(argc, argv, "o:u:", lo, NULL)) != -1) {
		switch (ch) {
		case 'd': ao.db = optarg; break;
		case 'c': ao.ca = optarg; break;
		case 't': ao.untrusted = optarg; break;
		case 'o': ao.out = optarg; break;
		case 'u': ao.user = optarg; break;
		default: usage(); return CLI_USAGE;
		}
	}
	if (strcmp(sub, "request") == 0 && optind == argc)
		return run_request(&ao);
	if (strcmp(sub, "verify") == 0 && optind == argc - 1)
		return run_verify(&ao, argv[optind]);
	if (strcmp(sub, "sign") == 0 && optind == argc)
		return run_sign(&ao);
	if (strcmp(sub, "check") == 0 && optind == argc - 1)
		return run_check(&ao, argv[optind]);
	usage();
	return CLI_USAGE;
}
