/* cmd_label.c — `skinkey label CHIP [NAME]`: name a known chip (no NAME clears it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Assuan-escape for a command argument: %, control characters, + and space. */
static char *escape_arg(const char *s)
{
	char *out = malloc(strlen(s) * 3 + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch < 0x20 || ch == '%' || ch == '+' || ch == ' ' || ch == 0x7f)
			o += sprintf(o, "%%%02X", ch);
		else
			*o++ = (char)ch;
	}
	*o = '\0';
	return out;
}

static int run_label(const struct cli_opts *o, int argc, char **argv)
{
	assuan_context_t ctx = NULL;
	char *esc = NULL, *cmd = NULL;
	int r;

	(void)o;
	if (argc < 2 || argc > 3 || strlen(argv[1]) > 40) {
		fprintf(stderr, "usage: skinkey label CHIP [NAME]\n");
		return CLI_USAGE;
	}
	if ((esc = escape_arg(argc == 3 ? argv[2] : "")) == NULL ||
	    asprintf(&cmd, "CHIPLABEL %s %s", argv[1], esc) < 0) {
		free(esc);
		return CLI_ERR;
	}
	if ((r = cli_connect(&ctx)) == 0)
		r = cli_transact(ctx, cmd, NULL);
	assuan_release(ctx);
	free(cmd);
	free(esc);
	return r;
}

const struct cli_cmd cli_cmd_label = { "label", run_label, "label CHIP [NAME]" };
