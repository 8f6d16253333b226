/* skinkey-vault: `skinkey vault` as a program of its own (git-style), until the skinkey
 * dispatcher calls cli_vault() itself. */
#include <stdio.h>

#include "common/secmem.h"

int cli_vault(int argc, char **argv);

int main(int argc, char **argv)
{
	if (sk_process_harden() != 0)
		fprintf(stderr, "skinkey vault: warning: cannot disable core dumps\n");
	return cli_vault(argc, argv);
}
