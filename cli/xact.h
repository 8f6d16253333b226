/* xact.h — CLI transactions with INQUIRE answers and D data (cli/xact.c). */
#ifndef SK_CLI_XACT_H
#define SK_CLI_XACT_H

#include <assuan.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"

struct cli_xact {
	assuan_context_t ctx;
	const char *what;                 /* for the error message (default: the command) */
	int quiet;                        /* no error message (the caller words it) */
	struct cli_lines *status;         /* status lines collected here (may be NULL) */
	uint8_t *data;                    /* D data collected here up to data_cap (may be NULL) */
	size_t data_cap, data_len;
	/* answer an INQUIRE: *buf malloc'ed (wiped and freed after sending); 0 or SK_ERR_* */
	int (*inquire)(void *arg, const char *line, uint8_t **buf, size_t *n);
	void *arg;
	gpg_error_t err;                  /* the daemon's error after cli_xact_run */
};

/* Runs cmd; 0 or CLI_ERR (message printed unless quiet). */
int cli_xact_run(struct cli_xact *x, const char *cmd);
/* A line from stdin (no echo on a terminal, prompt on stderr); the newline is cut. */
int cli_read_secret(const char *prompt, char *buf, size_t cap, size_t *len);
/* want NULL: the known chip with `applet`, one in the field first; else exactly `want`. */
int cli_pick_chip(assuan_context_t ctx, const char *want, const char *applet, char *out,
    size_t n);
/* Percent-escape a command argument (space, %, +, controls); malloc'ed or NULL. */
char *cli_escape_arg(const char *s);

#endif
