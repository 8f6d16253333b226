/* cmd_vault_glue.c — `skinkey vault ...` runs cli_vault() from cli/vault.c (owner: vault). */
#include "cli.h"

int cli_vault(int argc, char **argv);

static int run_vault(const struct cli_opts *o, int argc, char **argv)
{
	(void)o;
	return cli_vault(argc, argv);
}

const struct cli_cmd cli_cmd_vault = { "vault", run_vault, "vault SUBCOMMAND ... (skinkey vault help)" };
