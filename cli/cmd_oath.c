/* cmd_oath.c — `skinkey oath list|code|add|delete|rename`: TOTP/HOTP codes computed on the
 * implant's OATH applet through skinkeyd (OATH* commands, doc/PROTOCOL.md). Secrets are read
 * from stdin (base32 as services show them, or --hex), never from the command line; an applet
 * password is asked on the terminal or read from --password-file. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "common/secmem.h"
#include "xact.h"

#define SECRET_TEXT_MAX 256

struct oath_opts {
	const char *chip, *password_file, *algo, *time;
	unsigned digits, period;
	unsigned long counter;
	int hotp, hex, force;
};

static void usage(void)
{
	fprintf(stderr,
	    "usage: skinkey oath [--chip ID] [--password-file FILE] list\n"
	    "       skinkey oath code [--time EPOCH] [NAME]\n"
	    "       skinkey oath add [--hotp] [--algo sha1|sha256|sha512] [--digits 6-8]\n"
	    "                        [--period S] [--counter N] [--hex] [--force] NAME  < secret\n"
	    "       skinkey oath delete NAME\n"
	    "       skinkey oath rename OLD NEW\n");
}

/* INQUIRE NEEDPIN: the applet has a password. */
static int answer_password(void *arg, const char *line, uint8_t **buf, size_t *n)
{
	const struct oath_opts *o = arg;
	char *pw = NULL;
	size_t len = 0;
	FILE *fp = NULL;
	int r = -1;

	*buf = NULL;
	*n = 0;
	if (strncmp(line, "NEEDPIN", 7) != 0 || (pw = calloc(1, 256)) == NULL)
		goto out;
	if (o->password_file != NULL) {
		if ((fp = fopen(o->password_file, "r")) == NULL) {
			fprintf(stderr, "skinkey: cannot read %s\n", o->password_file);
			goto out;
		}
		if (fgets(pw, 256, fp) == NULL)
			goto out;
		len = strcspn(pw, "\r\n");
		pw[len] = '\0';
	} else if (isatty(STDIN_FILENO)) {
		if (cli_read_secret("OATH password: ", pw, 256, &len) != 0)
			goto out;
	} else {
		fprintf(stderr, "skinkey: the OATH applet has a password: give --password-file\n");
		goto out;
	}
	*buf = (uint8_t *)pw;
	*n = len;
	pw = NULL;
	r = 0;
out:
	if (fp != NULL)
		fclose(fp);
	if (pw != NULL) {
		sk_wipe(pw, 256);
		free(pw);
	}
	return r;
}

static int run_cmd(assuan_context_t ctx, struct oath_opts *o, const char *cmd,
    struct cli_lines *st, const char *what)
{
	struct cli_xact x = { .ctx = ctx, .what = what, .status = st, .inquire = answer_password,
		.arg = o };

	return cli_xact_run(&x, cmd);
}

/* Split "KEYWORD a b c" status lines into at most max fields (in place). */
static int fields(char *line, char **f, int max)
{
	int n = 0;
	char *save = NULL;

	for (char *t = strtok_r(line, " ", &save); t != NULL && n < max; t = strtok_r(NULL, " ", &save))
		f[n++] = t;
	return n;
}

static int do_list(assuan_context_t ctx, const struct cli_opts *co, struct oath_opts *o,
    const char *chip)
{
	struct cli_lines st = { NULL, 0 };
	char cmd[128], *f[5];
	int r, first = 1;

	snprintf(cmd, sizeof(cmd), "OATHLIST %s", chip);
	if ((r = run_cmd(ctx, o, cmd, &st, "oath list")) != 0)
		goto out;
	if (co->json)
		printf("[");
	for (size_t i = 0; i < st.n; i++) {
		if (fields(st.v[i], f, 5) != 5 || strcmp(f[0], "OATHCRED") != 0)
			continue;
		cli_unescape(f[4]);
		if (co->json) {
			printf("%s{\"name\":", first ? "" : ",");
			cli_json_str(f[4]);
			printf(",\"type\":\"%s\",\"algorithm\":\"%s\",\"period\":%s}", f[1], f[2], f[3]);
		} else if (strcmp(f[1], "totp") == 0) {
			printf("%s\t%s %s %ss\n", f[4], f[1], f[2], f[3]);
		} else {
			printf("%s\t%s %s\n", f[4], f[1], f[2]);
		}
		first = 0;
	}
	if (co->json)
		printf("]\n");
out:
	cli_lines_free(&st);
	return r;
}

static int do_code(assuan_context_t ctx, const struct cli_opts *co, struct oath_opts *o,
    const char *chip, const char *name)
{
	struct cli_lines st = { NULL, 0 };
	char *cmd = NULL, *esc = NULL, *f[6];
	int r = CLI_ERR, first = 1;

	if ((name != NULL && (esc = cli_escape_arg(name)) == NULL) ||
	    asprintf(&cmd, "OATHCODE%s%s %s%s%s", o->time ? " --time=" : "", o->time ? o->time : "",
	    chip, esc ? " " : "", esc ? esc : "") < 0) {
		cmd = NULL;
		goto out;
	}
	if ((r = run_cmd(ctx, o, cmd, &st, "oath code")) != 0)
		goto out;
	if (co->json)
		printf("[");
	for (size_t i = 0; i < st.n; i++) {
		if (fields(st.v[i], f, 6) != 6 || strcmp(f[0], "OATHCODE") != 0)
			continue;
		cli_unescape(f[1]);
		if (co->json) {
			printf("%s{\"name\":", first ? "" : ",");
			cli_json_str(f[1]);
			printf(",\"type\":\"%s\",\"code\":", f[2]);
			if (strcmp(f[3], "-") == 0)
				printf("null");
			else
				printf("\"%s\"", f[3]);
			if (strcmp(f[4], "-") != 0)
				printf(",\"valid_from\":%s,\"valid_until\":%s", f[4], f[5]);
			printf("}");
		} else if (name != NULL) {
			printf("%s\n", f[3]);
		} else if (strcmp(f[3], "-") == 0) {
			printf("%s\t(%s: skinkey oath code '%s')\n", f[1],
			    strcmp(f[2], "hotp") == 0 ? "HOTP, counts up" : "touch", f[1]);
		} else {
			printf("%s\t%s\n", f[1], f[3]);
		}
		first = 0;
	}
	if (co->json)
		printf("]\n");
out:
	cli_lines_free(&st);
	free(cmd);
	free(esc);
	return r;
}

static int b32val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/* RFC 4648 base32 as services print it: any case, spaces and padding ignored. */
static int base32_decode(const char *s, uint8_t *out, size_t cap, size_t *n)
{
	unsigned acc = 0, bits = 0;
	int v;

	*n = 0;
	for (; *s; s++) {
		if (*s == ' ' || *s == '=' || *s == '-')
			continue;
		if ((v = b32val((unsigned char)*s)) < 0)
			return -1;
		acc = (acc << 5 | (unsigned)v) & 0xFFFu;
		if ((bits += 5) >= 8) {
			if (*n >= cap)
				return -1;
			bits -= 8;
			out[(*n)++] = (uint8_t)(acc >> bits);
		}
	}
	return *n > 0 ? 0 : -1;
}

static int hex_decode(const char *s, uint8_t *out, size_t cap, size_t *n)
{
	unsigned v;

	*n = 0;
	for (; s[0] && s[1]; s += 2) {
		if (*n >= cap || sscanf(s, "%2x", &v) != 1)
			return -1;
		out[(*n)++] = (uint8_t)v;
	}
	return (*s == '\0' && *n > 0) ? 0 : -1;
}

struct add_ctx {
	struct oath_opts *o;
	uint8_t *key;
	size_t klen;
};

static int answer_add(void *arg, const char *line, uint8_t **buf, size_t *n)
{
	struct add_ctx *a = arg;

	if (strncmp(line, "OATHSECRET", 10) != 0)
		return answer_password(a->o, line, buf, n);
	if ((*buf = malloc(a->klen)) == NULL)
		return -1;
	memcpy(*buf, a->key, a->klen);
	*n = a->klen;
	return 0;
}

static int do_add(assuan_context_t ctx, struct oath_opts *o, const char *chip, const char *name)
{
	char *text = NULL, *full = NULL, *esc = NULL, *cmd = NULL;
	uint8_t key[64];
	size_t tlen = 0;
	struct add_ctx ac = { o, key, 0 };
	struct cli_xact x = { .ctx = ctx, .what = "oath add", .inquire = answer_add, .arg = &ac };
	int r = CLI_ERR;

	if ((text = calloc(1, SECRET_TEXT_MAX)) == NULL)
		goto out;
	if (cli_read_secret(o->hex ? "Secret (hex): " : "Secret (base32): ", text, SECRET_TEXT_MAX,
	    &tlen) != 0 || (o->hex ? hex_decode(text, key, sizeof(key), &ac.klen) :
	    base32_decode(text, key, sizeof(key), &ac.klen)) != 0) {
		fprintf(stderr, "skinkey: oath add: the secret on stdin is not %s (at most 64 bytes)\n",
		    o->hex ? "hex" : "base32");
		goto out;
	}
	if (!o->hotp && o->period != 30 ? asprintf(&full, "%u/%s", o->period, name) < 0 :
	    (full = strdup(name)) == NULL) {
		full = NULL;
		goto out;
	}
	if ((esc = cli_escape_arg(full)) == NULL ||
	    asprintf(&cmd, "OATHADD --counter=%lu%s %s %s %s %u %s", o->counter,
	    o->force ? " --force" : "", chip, o->hotp ? "hotp" : "totp", o->algo, o->digits, esc) < 0) {
		cmd = NULL;
		goto out;
	}
	if ((r = cli_xact_run(&x, cmd)) != 0 && gpg_err_code(x.err) == GPG_ERR_EEXIST)
		fprintf(stderr, "skinkey: %s exists on the chip; --force replaces it\n", full);
out:
	sk_wipe(key, sizeof(key));
	if (text != NULL) {
		sk_wipe(text, SECRET_TEXT_MAX);
		free(text);
	}
	free(full);
	free(esc);
	free(cmd);
	return r;
}

static int do_simple(assuan_context_t ctx, struct oath_opts *o, const char *verb,
    const char *chip, const char *a, const char *b)
{
	char *ea = cli_escape_arg(a), *eb = b ? cli_escape_arg(b) : NULL, *cmd = NULL;
	int r = CLI_ERR;

	if (ea == NULL || (b != NULL && eb == NULL) ||
	    asprintf(&cmd, "%s %s %s%s%s", verb, chip, ea, eb ? " " : "", eb ? eb : "") < 0)
		cmd = NULL;
	else
		r = run_cmd(ctx, o, cmd, NULL, strcmp(verb, "OATHDELETE") == 0 ? "oath delete" :
		    "oath rename");
	free(ea);
	free(eb);
	free(cmd);
	return r;
}

static int parse_opts(int argc, char **argv, struct oath_opts *o)
{
	static const struct option lo[] = {
		{ "chip", required_argument, NULL, 'c' },
		{ "password-file", required_argument, NULL, 'p' },
		{ "time", required_argument, NULL, 't' },
		{ "hotp", no_argument, NULL, 'H' },
		{ "totp", no_argument, NULL, 'T' },
		{ "algo", required_argument, NULL, 'a' },
		{ "digits", required_argument, NULL, 'd' },
		{ "period", required_argument, NULL, 'P' },
		{ "counter", required_argument, NULL, 'n' },
		{ "hex", no_argument, NULL, 'x' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	char *end = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': o->chip = optarg; break;
		case 'p': o->password_file = optarg; break;
		case 't': o->time = optarg; break;
		case 'H': o->hotp = 1; break;
		case 'T': o->hotp = 0; break;
		case 'a': o->algo = optarg; break;
		case 'd': o->digits = (unsigned)strtoul(optarg, &end, 10); break;
		case 'P': o->period = (unsigned)strtoul(optarg, &end, 10); break;
		case 'n': o->counter = strtoul(optarg, &end, 10); break;
		case 'x': o->hex = 1; break;
		case 'f': o->force = 1; break;
		default: return -1;
		}
		if (end != NULL && *end != '\0')
			return -1;
		end = NULL;
	}
	if (o->digits < 6 || o->digits > 8 || o->period == 0 || o->period > 86400 ||
	    (strcmp(o->algo, "sha1") != 0 && strcmp(o->algo, "sha256") != 0 &&
	    strcmp(o->algo, "sha512") != 0) || o->counter > 0xFFFFFFFFul ||
	    (o->time != NULL && strspn(o->time, "0123456789") != strlen(o->time)))
		return -1;
	return 0;
}

static int run_oath(const struct cli_opts *co, int argc, char **argv)
{
	struct oath_opts o = { .algo = "sha1", .digits = 6, .period = 30 };
	assuan_context_t ctx = NULL;
	char chip[64];
	const char *sub;
	int r, nargs;

	optind = 0;   /* full getopt re-initialisation (main parsed with "+") */
	if (parse_opts(argc, argv, &o) != 0 || optind >= argc) {
		usage();
		return CLI_USAGE;
	}
	sub = argv[optind++];
	nargs = argc - optind;
	if (!((strcmp(sub, "list") == 0 && nargs == 0) || (strcmp(sub, "code") == 0 && nargs <= 1) ||
	    ((strcmp(sub, "add") == 0 || strcmp(sub, "delete") == 0) && nargs == 1) ||
	    (strcmp(sub, "rename") == 0 && nargs == 2))) {
		usage();
		return CLI_USAGE;
	}
	if ((r = cli_connect(&ctx)) != 0)
		return r;
	if ((r = cli_pick_chip(ctx, o.chip, "oath", chip, sizeof(chip))) != 0)
		goto out;
	if (strcmp(sub, "list") == 0)
		r = do_list(ctx, co, &o, chip);
	else if (strcmp(sub, "code") == 0)
		r = do_code(ctx, co, &o, chip, nargs ? argv[optind] : NULL);
	else if (strcmp(sub, "add") == 0)
		r = do_add(ctx, &o, chip, argv[optind]);
	else if (strcmp(sub, "delete") == 0)
		r = do_simple(ctx, &o, "OATHDELETE", chip, argv[optind], NULL);
	else
		r = do_simple(ctx, &o, "OATHRENAME", chip, argv[optind], argv[optind + 1]);
out:
	assuan_release(ctx);
	return r;
}

const struct cli_cmd cli_cmd_oath = { "oath", run_oath,
	"oath list|code [NAME]|add NAME|delete NAME|rename OLD NEW   (TOTP/HOTP on the implant)" };
