/* vault.c — `skinkey vault …`: the DESFire credential vault through skinkeyd (VAULT_* commands,
 * see doc/PROTOCOL.md). Secrets are read without echo from a terminal (or from stdin when it is
 * not one) and handed over by INQUIRE, never on a command line; `get` writes the bare secret to
 * stdout for scripts. */
#include <assuan.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "client.h"
#include "common/secmem.h"
#include "common/sk_err.h"

int cli_vault(int argc, char **argv);

#define SECRET_MAX 65536
#define EXPORT_MAX (256u << 20)

static const char usage[] =
	"usage: skinkey vault COMMAND [ARGS]\n"
	"  init                         provision the DESFire chip in the field as the vault\n"
	"  backup                       provision a second chip with the same vault key\n"
	"  add [--type T] SITE USER     store a secret (prompted, or read from stdin)\n"
	"  update ID                    replace a secret\n"
	"  get ID | get SITE USER       print the secret (tap the chip)\n"
	"  list [SITE|- [USER|-]]       list credentials ('*' suffix = prefix); no tap\n"
	"  rm ID                        remove a credential\n"
	"  export                       every credential (one tap) as TSV: id type site user secret\n"
	"  chips                        chips holding the vault key\n"
	"  split                        print 5 new recovery shares (any 3 recover)\n"
	"  recover --shares             rebuild from 3 shares onto the chip in the field\n"
	"  recover --backup [--chip ID] make the backup chip the primary\n"
	"types: password (default), note, fido, totp\n";

/* ---- talking to skinkeyd ---------------------------------------------------------------- */

struct reply {
	uint8_t *data;            /* secure memory */
	size_t len, cap;
	int overflow;
	const char *inq_name;     /* INQUIRE keyword we answer */
	const uint8_t *inq_data[3];
	size_t inq_len[3];
	int inq_next, inq_count;
	int big;                  /* export: up to EXPORT_MAX bytes */
	void (*on_status)(const char *line);
};

static gpg_error_t on_data(void *arg, const void *p, size_t n)
{
	struct reply *r = arg;
	size_t max = r->big ? EXPORT_MAX : SECRET_MAX, ncap;
	uint8_t *nd;

	if (n > max - r->len) {
		r->overflow = 1;
		return gpg_error(GPG_ERR_TOO_LARGE);
	}
	if (r->len + n > r->cap) {
		ncap = r->big ? (r->cap == 0 ? 65536 : r->cap * 2) : SECRET_MAX;
		while (ncap < r->len + n)
			ncap *= 2;
		if (ncap > max)
			ncap = max;
		if ((nd = sk_secure_alloc(ncap)) == NULL)
			return gpg_error(GPG_ERR_ENOMEM);
		if (r->data != NULL)
			memcpy(nd, r->data, r->len);
		sk_secure_free(r->data);
		r->data = nd;
		r->cap = ncap;
	}
	memcpy(r->data + r->len, p, n);
	r->len += n;
	return 0;
}

static gpg_error_t on_status(void *arg, const char *line)
{
	struct reply *r = arg;

	if (r->on_status != NULL)
		r->on_status(line);
	return 0;
}

static assuan_context_t conn;

static gpg_error_t on_inquire_real(void *arg, const char *line)
{
	struct reply *r = arg;
	size_t kl = r->inq_name != NULL ? strlen(r->inq_name) : 0;
	gpg_error_t e;
	int i;

	if (r->inq_name == NULL || strncmp(line, r->inq_name, kl) != 0 ||
	    (line[kl] != '\0' && line[kl] != ' ') || r->inq_next >= r->inq_count)
		return gpg_error(GPG_ERR_ASS_UNKNOWN_INQUIRE);
	i = r->inq_next++;
	if (r->inq_len[i] > 0 && (e = assuan_send_data(conn, r->inq_data[i], r->inq_len[i])) != 0)
		return e;
	return 0;
}

static void reply_clear(struct reply *r)
{
	sk_secure_free(r->data);
	memset(r, 0, sizeof(*r));
}

static int transact(const char *cmd, struct reply *r)
{
	gpg_error_t e;
	int err;

	e = assuan_transact(conn, cmd, on_data, r, on_inquire_real, r, on_status, r);
	if (e == 0)
		return 0;
	if (skc_conn_lost(e)) {
		fprintf(stderr, "skinkey vault: %.*s: skinkeyd stopped (the connection ended: %s)\n",
		    (int)strcspn(cmd, " "), cmd, skc_gpg_strerror(e));
		return SK_ERR_IO;
	}
	err = skc_err_from_gpg(e);
	if (err == 0)
		err = SK_ERR_PROTO;
	/* the verb only: the arguments may name a site the user would rather not see in logs */
	fprintf(stderr, "skinkey vault: %.*s: %s%s\n", (int)strcspn(cmd, " "), cmd,
	    r->overflow ? "answer too large" : sk_strerror(err),
	    err == SK_ERR_CARD_REMOVED ? " (nothing was changed; tap again)" : "");
	return err;
}

/* Percent-escape a command argument (space, %, +, controls, non-ASCII left as is). */
static char *esc_arg(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *out = malloc(3 * n + 1);

	if (out == NULL)
		return NULL;
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch <= 0x20 || ch == '%' || ch == '+' || ch == 0x7f) {
			snprintf(out + o, 4, "%%%02X", ch);
			o += 3;
		} else
			out[o++] = (char)ch;
	}
	out[o] = '\0';
	return out;
}

/* ---- secrets from the user ---------------------------------------------------------------- */

/* One line without echo from the terminal, or all of stdin when it is not a terminal. */
static int read_secret(const char *prompt, uint8_t *buf, size_t cap, size_t *len)
{
	struct termios old, raw;
	int tty = isatty(STDIN_FILENO), c;
	size_t n = 0;

	*len = 0;
	if (tty) {
		fprintf(stderr, "%s", prompt);
		if (tcgetattr(STDIN_FILENO, &old) != 0)
			return SK_ERR_IO;
		raw = old;
		raw.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
	}
	while ((c = getchar()) != EOF) {
		if (tty && c == '\n')
			break;
		if (n >= cap) {
			n = cap + 1;
			break;
		}
		buf[n++] = (uint8_t)c;
	}
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (n > cap) {
		sk_wipe(buf, cap);
		fprintf(stderr, "skinkey vault: secret longer than %zu bytes\n", cap);
		return SK_ERR_TOOBIG;
	}
	/* from a pipe, a single trailing newline is the line end, not part of the secret */
	if (!tty && n > 0 && buf[n - 1] == '\n')
		n--;
	*len = n;
	return 0;
}

static int secret_twice(uint8_t *buf, size_t *len)
{
	uint8_t *again = NULL;
	size_t n2 = 0;
	int r;

	if ((r = read_secret("Secret: ", buf, SECRET_MAX, len)) != 0 || !isatty(STDIN_FILENO))
		return r;
	if ((again = sk_secure_alloc(SECRET_MAX)) == NULL)
		return SK_ERR_NOMEM;
	r = read_secret("Again: ", again, SECRET_MAX, &n2);
	if (r == 0 && (n2 != *len || !sk_ct_eq(again, buf, n2))) {
		fprintf(stderr, "skinkey vault: the two entries differ\n");
		r = SK_ERR_ARG;
	}
	sk_secure_free(again);
	return r;
}

/* ---- commands ------------------------------------------------------------------------------ */

static void print_status(const char *line)
{
	if (strncmp(line, "VAULT_", 6) == 0)
		printf("%s\n", line + 6);
	else if (strncmp(line, "PROGRESS tap", 12) == 0)
		fprintf(stderr, "skinkey vault: tap the chip\n");
}

static int simple(const char *cmd)
{
	struct reply r;
	int e;

	memset(&r, 0, sizeof(r));
	r.on_status = print_status;
	e = transact(cmd, &r);
	reply_clear(&r);
	return e;
}

static int cmd_with_secret(const char *cmd)
{
	uint8_t *sec = sk_secure_alloc(SECRET_MAX);
	size_t len = 0;
	struct reply r;
	int e;

	memset(&r, 0, sizeof(r));
	if (sec == NULL)
		return SK_ERR_NOMEM;
	if ((e = secret_twice(sec, &len)) == 0) {
		r.inq_name = "VAULT_SECRET";
		r.inq_data[0] = sec;
		r.inq_len[0] = len;
		r.inq_count = 1;
		r.on_status = print_status;
		e = transact(cmd, &r);
	}
	reply_clear(&r);
	sk_secure_free(sec);
	return e;
}

static int build_cmd(char *out, size_t cap, const char *verb, int argc, char **argv)
{
	size_t o = (size_t)snprintf(out, cap, "%s", verb);
	int i;

	for (i = 0; i < argc; i++) {
		char *e = esc_arg(argv[i]);

		if (e == NULL)
			return SK_ERR_NOMEM;
		if (o + 1 + strlen(e) >= cap) {
			free(e);
			return SK_ERR_TOOBIG;
		}
		o += (size_t)snprintf(out + o, cap - o, " %s", e);
		free(e);
	}
	return 0;
}

static int do_get(int argc, char **argv)
{
	char cmd[4200];
	struct reply r;
	int e;

	if (argc != 1 && argc != 2) {
		fputs(usage, stderr);
		return SK_ERR_ARG;
	}
	if ((e = build_cmd(cmd, sizeof(cmd), "VAULT_GET", argc, argv)) != 0)
		return e;
	memset(&r, 0, sizeof(r));
	r.on_status = print_status;
	if ((e = transact(cmd, &r)) == 0) {
		if (r.len > 0 && fwrite(r.data, 1, r.len, stdout) != r.len)
			e = SK_ERR_IO;
		if (isatty(STDOUT_FILENO))
			fputc('\n', stdout);
		if (fflush(stdout) != 0)
			e = SK_ERR_IO;
	}
	reply_clear(&r);
	return e;
}

static int do_add(int argc, char **argv)
{
	const char *type = "password";
	char cmd[4200], *args[3];

	if (argc >= 2 && strcmp(argv[0], "--type") == 0) {
		type = argv[1];
		argc -= 2;
		argv += 2;
	}
	if (argc != 2) {
		fputs(usage, stderr);
		return SK_ERR_ARG;
	}
	args[0] = (char *)type;
	args[1] = argv[0];
	args[2] = argv[1];
	if (build_cmd(cmd, sizeof(cmd), "VAULT_ADD", 3, args) != 0)
		return SK_ERR_TOOBIG;
	return cmd_with_secret(cmd);
}

/* ---- list and export: parse S VAULT_CRED lines ---------------------------------------------- */

struct cred_line {
	unsigned long long id;
	char type[16], site[1100], user[1100];
};
static struct cred_line *creds;
static size_t ncreds, capcreds;

static void unescape(char *s)
{
	char *o = s;
	unsigned v;

	for (; *s != '\0'; s++) {
		if (*s == '%' && s[1] && s[2] && sscanf(s + 1, "%2x", &v) == 1) {
			*o++ = (char)v;
			s += 2;
		} else
			*o++ = *s == '+' ? ' ' : *s;
	}
	*o = '\0';
}

static void collect_cred(const char *line)
{
	struct cred_line c, *nv;

	if (strncmp(line, "VAULT_CRED ", 11) != 0)
		return;
	memset(&c, 0, sizeof(c));
	if (sscanf(line + 11, "%llu %15s %1099s %1099s", &c.id, c.type, c.site, c.user) != 4)
		return;
	unescape(c.site);
	unescape(c.user);
	if (ncreds == capcreds) {
		capcreds = capcreds ? capcreds * 2 : 256;
		if ((nv = realloc(creds, capcreds * sizeof(*creds))) == NULL)
			return;
		creds = nv;
	}
	creds[ncreds++] = c;
}

static int fetch_list(int argc, char **argv)
{
	char cmd[4200];
	struct reply r;
	int e;

	if ((e = build_cmd(cmd, sizeof(cmd), "VAULT_LIST", argc, argv)) != 0)
		return e;
	memset(&r, 0, sizeof(r));
	r.on_status = collect_cred;
	e = transact(cmd, &r);
	reply_clear(&r);
	return e;
}

static int do_list(int argc, char **argv)
{
	int e;

	if (argc > 2) {
		fputs(usage, stderr);
		return SK_ERR_ARG;
	}
	if ((e = fetch_list(argc, argv)) != 0)
		return e;
	for (size_t i = 0; i < ncreds; i++)
		printf("%llu\t%s\t%s\t%s\n", creds[i].id, creds[i].type, creds[i].site,
		    creds[i].user);
	return 0;
}

/* The daemon sends escaped TSV lines; print them with tabs, newlines and '%' in fields kept
 * escaped (%09, %0A, %25) so every credential stays one line, other bytes as they are. */
static void export_line(const uint8_t *p, size_t n)
{
	size_t i;
	unsigned v;

	for (i = 0; i < n; i++) {
		if (p[i] == '%' && i + 2 < n && sscanf((const char *)p + i + 1, "%2x", &v) == 1 &&
		    v != '\t' && v != '\n' && v != '%' && v != '\r') {
			putchar((int)v);
			i += 2;
		} else
			putchar(p[i]);
	}
}

static int do_export(void)
{
	struct reply r;
	int e;

	memset(&r, 0, sizeof(r));
	r.on_status = print_status;
	r.big = 1;
	if ((e = transact("VAULT_EXPORT", &r)) == 0)
		export_line(r.data, r.len);
	reply_clear(&r);
	return fflush(stdout) == 0 ? e : SK_ERR_IO;
}

static int do_recover_shares(void)
{
	uint8_t *sh[3] = { NULL, NULL, NULL };
	size_t len[3] = { 0, 0, 0 };
	struct reply r;
	char prompt[32];
	int i, e = SK_ERR_NOMEM;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < 3; i++) {
		if ((sh[i] = sk_secure_alloc(256)) == NULL)
			goto out;
		snprintf(prompt, sizeof(prompt), "Share %d of 3: ", i + 1);
		if (isatty(STDIN_FILENO))
			e = read_secret(prompt, sh[i], 255, &len[i]);
		else {
			e = fgets((char *)sh[i], 256, stdin) != NULL ? 0 : SK_ERR_ARG;
			len[i] = strcspn((char *)sh[i], "\r\n");
		}
		if (e != 0)
			goto out;
		r.inq_data[i] = sh[i];
		r.inq_len[i] = len[i];
	}
	r.inq_name = "VAULT_SHARE";
	r.inq_count = 3;
	r.on_status = print_status;
	e = transact("VAULT_RECOVER_SHARES", &r);
out:
	reply_clear(&r);
	for (i = 0; i < 3; i++)
		sk_secure_free(sh[i]);
	return e;
}

static int do_recover(int argc, char **argv)
{
	char cmd[200];

	if (argc == 1 && strcmp(argv[0], "--shares") == 0)
		return do_recover_shares();
	if (argc >= 1 && strcmp(argv[0], "--backup") == 0) {
		if (argc == 3 && strcmp(argv[1], "--chip") == 0 && strlen(argv[2]) < 100 &&
		    strchr(argv[2], ' ') == NULL) {
			snprintf(cmd, sizeof(cmd), "VAULT_RECOVER_BACKUP --chip=%s", argv[2]);
			return simple(cmd);
		}
		if (argc == 1)
			return simple("VAULT_RECOVER_BACKUP");
	}
	fputs(usage, stderr);
	return SK_ERR_ARG;
}

static int one_id(const char *verb, int argc, char **argv, int with_secret)
{
	char cmd[200];
	char *end = NULL;

	if (argc != 1 || strtoull(argv[0], &end, 10) == 0 || *end != '\0') {
		fputs(usage, stderr);
		return SK_ERR_ARG;
	}
	snprintf(cmd, sizeof(cmd), "%s %s", verb, argv[0]);
	return with_secret ? cmd_with_secret(cmd) : simple(cmd);
}

static int dispatch(const char *sub, int argc, char **argv)
{
	if (strcmp(sub, "init") == 0 && argc == 0)
		return simple("VAULT_INIT");
	if (strcmp(sub, "backup") == 0 && argc == 0)
		return simple("VAULT_BACKUP");
	if (strcmp(sub, "chips") == 0 && argc == 0)
		return simple("VAULT_CHIPS");
	if (strcmp(sub, "split") == 0 && argc == 0)
		return simple("VAULT_SPLIT");
	if (strcmp(sub, "add") == 0)
		return do_add(argc, argv);
	if (strcmp(sub, "update") == 0)
		return one_id("VAULT_UPDATE", argc, argv, 1);
	if (strcmp(sub, "get") == 0)
		return do_get(argc, argv);
	if (strcmp(sub, "list") == 0)
		return do_list(argc, argv);
	if (strcmp(sub, "rm") == 0)
		return one_id("VAULT_RM", argc, argv, 0);
	if (strcmp(sub, "export") == 0 && argc == 0)
		return do_export();
	if (strcmp(sub, "recover") == 0)
		return do_recover(argc, argv);
	fputs(usage, stderr);
	return SK_ERR_ARG;
}

/* argv[0] is "vault"; returns a process exit code: 0 ok, 1 failure, 2 usage. */
int cli_vault(int argc, char **argv)
{
	int e;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if ((e = skc_connect(&conn)) != 0) {
		fprintf(stderr, "skinkey vault: cannot reach skinkeyd: %s\n", skc_strerror(e));
		return 1;
	}
	e = dispatch(argv[1], argc - 2, argv + 2);
	assuan_release(conn);
	conn = NULL;
	free(creds);
	creds = NULL;
	ncreds = capcreds = 0;
	return e == 0 ? 0 : e == SK_ERR_ARG ? 2 : 1;
}
