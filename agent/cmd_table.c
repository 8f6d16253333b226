/* cmd_table.c — every command table the dispatcher registers. An area adds its file to
 * agent/meson.build and one line here. */
#include <stddef.h>

#include "scd.h"
#include "skd_int.h"

#ifdef SKD_HAVE_CMD_P11
extern const struct skd_cmd skd_cmds_p11[];
#endif
#ifdef SKD_HAVE_CMD_OTP
extern const struct skd_cmd skd_cmds_otp[];
#endif
#ifdef SKD_HAVE_CMD_OATH
extern const struct skd_cmd skd_cmds_oath[];
#endif
#ifdef SKD_HAVE_CMD_VAULT
extern const struct skd_cmd skd_cmds_vault[];
#endif
#ifdef SKD_HAVE_CMD_CTAP
extern const struct skd_cmd skd_cmds_ctap[];
#endif
#ifdef SKD_HAVE_CMD_DURESS
extern const struct skd_cmd skd_cmds_duress[];
#endif

const struct skd_cmd *const skd_cmd_tables[] = {
	skd_cmds_core,
	skd_cmds_scd,
	skd_cmds_scd_ops,
	skd_cmds_scd_admin,
	skd_cmds_scd_writekey,
	skd_cmds_events,
	skd_cmds_audit,
	skd_cmds_presence,
#ifdef SKD_HAVE_CMD_P11
	skd_cmds_p11,
#endif
#ifdef SKD_HAVE_CMD_OTP
	skd_cmds_otp,
#endif
#ifdef SKD_HAVE_CMD_OATH
	skd_cmds_oath,
#endif
#ifdef SKD_HAVE_CMD_VAULT
	skd_cmds_vault,
#endif
#ifdef SKD_HAVE_CMD_CTAP
	skd_cmds_ctap,
#endif
#ifdef SKD_HAVE_CMD_DURESS
	skd_cmds_duress,
#endif
	NULL
};
