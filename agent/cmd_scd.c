/* cmd_scd.c — scdaemon's OpenPGP commands (GnuPG 2.2.40 semantics). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sk_err.h"
#include "skd_int.h"

static gpg_error_t cmd_serialno(assuan_context_t ctx, char *line)
{
	struct skd_chip_info ci;
	int r;

	(void)line;
	if ((r = skd_chip_find(NULL, &ci)) != 0)
		return skd_fail(ctx, r == SK_ERR_NOT_FOUND ? SK_ERR_NO_CARD : r, "SERIALNO");
	skd_conn_set_chip(skd_conn_get(ctx), ci.id);
	return skd_status(ctx, "SERIALNO", "%s", ci.id);
}

const struct skd_cmd skd_cmds_scd[] = {
	{ "SERIALNO", cmd_serialno, "SERIALNO [--demand=ID] [openpgp]" },
	{ NULL, NULL, NULL }
};
