/* xact.c — the CLI's transactions that need more than status lines: INQUIRE answers (secrets
 * from the terminal or a file), D data, and picking the chip an applet command works on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "xact.h"

static gpg_error_t on_status(void *arg, const char *line)
{
	struct cli_xact *x = arg;
	char **nv;

	if (x->status == NULL)
		return 0;
	if ((nv = realloc(x->status->v, (x->status->n + 1) * sizeof(*nv))) == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	x->status->v = nv;
	if ((nv[x->status->n] = strdup(line)) == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	x->status->n++;
	return 0;
}

static gpg_error_t on_data(void *arg, const void *p, size_t n)
{
	struct cli_xact *x = arg;

	if (x->data == NULL || n > x->data_cap - x->data_len)
		return gpg_error(GPG_ERR_TOO_LARGE);
	memcpy(x->data + x->data_len, p, n);
	x->data_len += n;
	return 0;
}

static gpg_error_t on_inquire(void *arg, const char *line)
{
	struct cli_xact *x = arg;
	uint8_t *buf = NULL;
	size_t n = 0;
	gpg_error_t e;

	if (x->inquire == NULL || x->inquire(x->arg, line, &buf, &n) != 0)
		return gpg_error(GPG_ERR_CANCELED);
	e = assuan_send_data(x->ctx, buf, n);
	if (buf != NULL) {
		sk_wipe(buf, n);
		free(buf);
	}
	return e;
}

int cli_xact_run(struct cli_xact *x, const char *cmd)
{
	gpg_error_t e;

	e = assuan_transact(x->ctx, cmd, on_data, x, on_inquire, x, on_status, x);
	x->err = e;
	if (e == 0)
		return 0;
	if (!x->quiet)
		fprintf(stderr, "skinkey: %s: %s\n", x->what ? x->what : cmd, skc_gpg_strerror(e));
	return CLI_ERR;
}

int cli_read_secret(const char *prompt, char *buf, size_t cap, size_t *len)
{
	struct termios old, quiet;
	FILE *in = stdin;
	int tty = isatty(STDIN_FILENO), r = SK_ERR_CANCELED;
	size_t n;

	*len = 0;
	if (tty) {
		fprintf(stderr, "%s", prompt);
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	if (fgets(buf, (int)cap, in) != NULL) {
		n = strcspn(buf, "\r\n");
		if (n == cap - 1 && buf[n] == '\0') {
			r = SK_ERR_TOOBIG;
		} else {
			buf[n] = '\0';
			*len = n;
			r = 0;
		}
	}
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (r != 0)
		sk_wipe(buf, cap);
	return r;
}

/* Chips from CHIPS: "S CHIP <id> <present> <applets> <reader> <label>" (after "CHIP "). */
int cli_pick_chip(assuan_context_t ctx, const char *want, const char *applet, char *out,
    size_t n)
{
	struct cli_lines st = { NULL, 0 };
	char id[64], apps[256], best[64] = "";
	int present, r, found = 0, best_present = -1;

	if ((r = cli_transact(ctx, "CHIPS", &st)) != 0)
		return r;
	for (size_t i = 0; i < st.n; i++) {
		if (sscanf(st.v[i], "CHIP %63s %d %255s", id, &present, apps) != 3)
			continue;
		if (want != NULL && strcmp(want, id) != 0)
			continue;
		if (want == NULL && (strstr(apps, applet) == NULL || present <= best_present))
			continue;
		snprintf(best, sizeof(best), "%s", id);
		best_present = present;
		found = 1;
	}
	cli_lines_free(&st);
	if (!found) {
		if (want != NULL)
			fprintf(stderr, "skinkey: no known chip %s (skinkey chips lists them)\n", want);
		else
			fprintf(stderr, "skinkey: no known chip with the %s applet: tap your implant "
			    "once (skinkey status) or name it with --chip\n", applet);
		return CLI_ERR;
	}
	snprintf(out, n, "%s", best);
	return 0;
}

char *cli_escape_arg(const char *s)
{
	char *out = malloc(strlen(s) * 3 + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch <= 0x20 || ch == '%' || ch == '+' || ch == 0x7f)
			o += sprintf(o, "%%%02X", ch);
		else
			*o++ = (char)ch;
	}
	*o = '\0';
	return out;
}
