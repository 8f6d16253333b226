/* setup.h — `skinkey setup`: what each door's configuration file must hold, written with a
 * backup of the file as it was before skinkey first touched it, so `setup --undo` restores it
 * byte for byte. Private to cli/ (cmd_setup.c, setup_files.c). */
#ifndef SK_CLI_SETUP_H
#define SK_CLI_SETUP_H

#include <stddef.h>

struct setup_ctx {
	int dry_run;
	int changed;          /* files that were (or, dry run, would be) changed */
	char state[512];      /* $XDG_DATA_HOME/skinkey/setup: manifest + backups */
};

int setup_ctx_init(struct setup_ctx *s, int dry_run);

/* Read a whole file (NUL-terminated; *len without the NUL). A missing file is an empty buffer
 * with *exists = 0. 0 or SK_ERR_*. */
int setup_read(const char *path, char **buf, size_t *len, int *exists);
/* A private temporary file holding buf; *tmp is malloc'ed. */
int setup_tmp_write(const char *buf, size_t len, char **tmp);
/* Copy path to a fresh temporary file (empty when path is missing). */
int setup_tmp_copy(const char *path, char **tmp);

/* path shall hold what tmp holds. Unchanged: says so. Dry run: prints the diff. Otherwise
 * backs path up (first time only), writes it atomically (mode kept, 0600 for a new file),
 * creating missing parent directories (recorded for undo). tmp is removed in every case. */
int setup_commit(struct setup_ctx *s, const char *path, const char *tmp);
/* A symlink path -> target (for enabling a user unit). */
int setup_symlink(struct setup_ctx *s, const char *path, const char *target);

/* Restore every recorded file and remove what setup created. */
int setup_undo(struct setup_ctx *s);

/* Run argv (PATH lookup) with an optional extra "NAME=value" in its environment; its output
 * goes to stderr only when it fails. 0 when it exited 0. */
int setup_run(char *const argv[], const char *env);

/* Replace the skinkey block of a text config (lines between the markers) with block, and
 * comment out other lines whose first word is one of keys (NULL-terminated, may be NULL).
 * comment is the file's comment prefix ("#"). Result malloc'ed. */
char *setup_edit_block(const char *old, const char *block, const char *const *keys);

#endif
