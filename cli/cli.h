/* cli.h — the skinkey command: one file per subcommand (cli/cmd_*.c), shared helpers here. */
#ifndef SK_CLI_H
#define SK_CLI_H

#include <assuan.h>
#include <stddef.h>

/* Exit codes. */
#define CLI_OK 0
#define CLI_ERR 1        /* the operation failed (message on stderr) */
#define CLI_USAGE 2      /* bad command line */
#define CLI_NODAEMON 3   /* skinkeyd could not be reached or started */

struct cli_opts {
	int json;
	int verbose;
};

/* A subcommand: argv[0] is its name. Returns an exit code. */
struct cli_cmd {
	const char *name;
	int (*run)(const struct cli_opts *o, int argc, char **argv);
	const char *usage;
};

/* Connect to skinkeyd (autostart); prints the reason and returns CLI_NODAEMON on failure. */
int cli_connect(assuan_context_t *ctx);
/* Send a command and collect its status lines ("KEYWORD rest", unescaped is up to the caller).
 * Returns 0 or an exit code after printing the daemon's error. */
struct cli_lines {
	char **v;
	size_t n;
};
int cli_transact(assuan_context_t ctx, const char *cmd, struct cli_lines *status);
/* The same without the message on stderr: status lines sent before an error are kept. */
int cli_transact_quiet(assuan_context_t ctx, const char *cmd, struct cli_lines *status);
void cli_lines_free(struct cli_lines *l);
/* Percent-unescape in place. */
void cli_unescape(char *s);
/* JSON string (quoted, escaped) to stdout. */
void cli_json_str(const char *s);

extern const struct cli_cmd cli_cmd_status, cli_cmd_chips, cli_cmd_label;
extern const struct cli_cmd cli_cmd_oath, cli_cmd_hmac;   /* cmd_oath.c, cmd_hmac.c */
extern const struct cli_cmd cli_cmd_duress;                /* cmd_duress.c */
extern const struct cli_cmd cli_cmd_audit;                 /* cmd_audit.c */
/* `skinkey audit anchor ...` (cmd_audit_anchor.c): argv[0] = "anchor"; db NULL = default. */
int cli_audit_anchor(const char *db, int argc, char **argv);
extern const struct cli_cmd cli_cmd_fido;                  /* cmd_fido.c */
extern const struct cli_cmd cli_cmd_setup, cli_cmd_doctor;
extern const struct cli_cmd cli_cmd_presence;               /* cmd_presence.c */

#endif
