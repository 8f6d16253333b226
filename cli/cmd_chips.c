/* cmd_chips.c — `skinkey chips [--json]`: the chips skinkeyd knows, one per line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int run_chips(const struct cli_opts *o, int argc, char **argv)
{
	assuan_context_t ctx = NULL;
	struct cli_lines l = { NULL, 0 };
	char id[48], applets[96];
	int r, present, first = 1;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: skinkey chips [--json]\n");
		return CLI_USAGE;
	}
	if ((r = cli_connect(&ctx)) != 0)
		return r;
	if ((r = cli_transact(ctx, "CHIPS", &l)) != 0)
		goto out;
	if (o->json)
		printf("[");
	for (size_t i = 0; i < l.n; i++) {
		if (sscanf(l.v[i], "CHIP %47s %d %95s", id, &present, applets) != 3)
			continue;
		if (o->json) {
			printf("%s{\"id\":", first ? "" : ",");
			cli_json_str(id);
			printf(",\"present\":%s,\"applets\":", present ? "true" : "false");
			cli_json_str(strcmp(applets, "-") ? applets : "");
			printf("}");
		} else {
			printf("%s\t%s\t%s\n", id, present ? "present" : "away", applets);
		}
		first = 0;
	}
	if (o->json)
		printf("]\n");
out:
	cli_lines_free(&l);
	assuan_release(ctx);
	return r;
}

const struct cli_cmd cli_cmd_chips = { "chips", run_chips, "chips [--json]" };
