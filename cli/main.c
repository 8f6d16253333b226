/* main.c — `skinkey`: dispatch to one subcommand per file. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "sk_config.h"

#ifdef SK_CLI_HAVE_VAULT
extern const struct cli_cmd cli_cmd_vault;
#endif

static const struct cli_cmd *const cmds[] = {
	&cli_cmd_status,
	&cli_cmd_chips,
	&cli_cmd_label,
	&cli_cmd_presence,
	&cli_cmd_oath,
	&cli_cmd_hmac,
	&cli_cmd_duress,
	&cli_cmd_audit,
	&cli_cmd_fido,
	&cli_cmd_setup,
	&cli_cmd_doctor,
#ifdef SK_CLI_HAVE_VAULT
	&cli_cmd_vault,
#endif
	NULL
};

static void usage(FILE *fp)
{
	fprintf(fp, "usage: skinkey [--json] [-v] COMMAND [ARGS]\n       skinkey --version\ncommands:\n");
	for (size_t i = 0; cmds[i] != NULL; i++)
		fprintf(fp, "  %s\n", cmds[i]->usage);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_opts o = { 0, 0 };
	int ch;

	/* options before the subcommand; the subcommand parses the rest ("+": stop at it) */
	while ((ch = getopt_long(argc, argv, "+vh", lo, NULL)) != -1) {
		switch (ch) {
		case 'j': o.json = 1; break;
		case 'v': o.verbose = 1; break;
		case 'V': printf("skinkey %s\n", SK_VERSION); return CLI_OK;
		case 'h': usage(stdout); return CLI_OK;
		default: usage(stderr); return CLI_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CLI_USAGE;
	}
	argc -= optind;
	argv += optind;
	/* `skinkey status --json` works as well as `skinkey --json status` */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--json") == 0) {
			o.json = 1;
			for (int k = i; k < argc - 1; k++)
				argv[k] = argv[k + 1];
			argc--;
			i--;
		}
	for (size_t i = 0; cmds[i] != NULL; i++)
		if (strcmp(cmds[i]->name, argv[0]) == 0) {
			optind = 1;
			return cmds[i]->run(&o, argc, argv);
		}
	fprintf(stderr, "skinkey: unknown command '%s'\n", argv[0]);
	usage(stderr);
	return CLI_USAGE;
}
