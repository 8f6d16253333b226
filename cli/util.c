/* util.c — the CLI's daemon connection and output helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "common/sk_err.h"

int cli_connect(assuan_context_t *ctx)
{
	int r = skc_connect(ctx);

	if (r != 0) {
		fprintf(stderr, "skinkey: cannot reach skinkeyd: %s\n", skc_strerror(r));
		return CLI_NODAEMON;
	}
	return 0;
}

static gpg_error_t collect(void *arg, const char *line)
{
	struct cli_lines *l = arg;
	char **nv;

	if (l == NULL)
		return 0;
	if ((nv = realloc(l->v, (l->n + 1) * sizeof(*nv))) == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	l->v = nv;
	if ((l->v[l->n] = strdup(line)) == NULL)
		return gpg_error(GPG_ERR_ENOMEM);
	l->n++;
	return 0;
}

int cli_transact(assuan_context_t ctx, const char *cmd, struct cli_lines *status)
{
	gpg_error_t e = 0;
	int r;

	r = skc_transact(ctx, cmd, NULL, collect, status, &e);
	if (r == 0)
		return 0;
	if (skc_conn_lost(e)) {
		fprintf(stderr, "skinkey: %.*s: skinkeyd stopped (the connection ended: %s)\n",
		    (int)strcspn(cmd, " "), cmd, skc_gpg_strerror(e));
		return CLI_NODAEMON;
	}
	fprintf(stderr, "skinkey: %s: %s\n", cmd, e ? skc_gpg_strerror(e) : sk_strerror(r));
	return CLI_ERR;
}

int cli_transact_quiet(assuan_context_t ctx, const char *cmd, struct cli_lines *status)
{
	return skc_transact(ctx, cmd, NULL, collect, status, NULL) == 0 ? 0 : CLI_ERR;
}

void cli_lines_free(struct cli_lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void cli_unescape(char *s)
{
	char *w = s;
	int hi, lo;

	while (*s) {
		if (s[0] == '%' && (hi = hexv(s[1])) >= 0 && (lo = hexv(s[2])) >= 0) {
			*w++ = (char)(hi << 4 | lo);
			s += 3;
		} else {
			*w++ = *s++;
		}
	}
	*w = '\0';
}

void cli_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}
