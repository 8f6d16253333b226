/* scd.h — shared pieces of the scdaemon-compatible OpenPGP commands (cmd_scd*.c, scd_*.c). */
#ifndef SKD_SCD_H
#define SKD_SCD_H

#include "pgp.h"
#include "skd_int.h"

/* The chip this connection talks about: SERIALNO's choice, else the chip in the field, else
 * the only known one. */
int scd_chip(struct skd_conn *c, char *chip, size_t n);
/* Chip + its cached info (no card needed). */
int scd_chip_info(struct skd_conn *c, char *chip, size_t n, struct opgp_info *info);
/* skd_fail, except that a chip whose application data could not be read (no cached data,
 * skd_pgp_unreadable) answers SK_ERR_BAD_RESPONSE with "the card's application data could not be
 * read: ..." as the error text. */
gpg_error_t scd_fail(assuan_context_t ctx, const char *chip, int r, const char *what);
/* Wait for the chip, hold it, select the OpenPGP applet. */
int scd_hold(struct skd_conn *c, const char *chip, struct skd_card **h);
/* Release; on SK_ERR_CARD_REMOVED mark it gone first. Returns r. */
int scd_release(struct skd_card **h, int r);
/* "OPENPGP.n", "<serialno>/OPENPGP.n", a 40-hex fingerprint or keygrip -> slot 0..2. */
int scd_keyslot(const char *chip, const struct opgp_info *info, const char *keyid, int *slot);
/* Has the option "--name" (or "--name=...") before the first non-option word. */
int scd_has_option(const char *line, const char *name);
/* Value of "--name=VALUE" (copied, NUL-terminated) or NULL. */
const char *scd_option_value(const char *line, const char *name, char *buf, size_t n);
/* Skip leading options: pointer to the first non-option word. */
char *scd_skip_options(char *line);

/* Status lines of LEARN / GETATTR. name NULL = everything LEARN --force sends. */
gpg_error_t scd_send_attr(assuan_context_t ctx, const char *chip, const struct opgp_info *info,
    const char *name);
gpg_error_t scd_send_keypairinfo(assuan_context_t ctx, const char *chip,
    const struct opgp_info *info);

/* INTERNAL AUTHENTICATE with the AUT key of chip (PW1/82 from the cache or pinentry), the same
 * path as PKAUTH, for callers without an Assuan client (the ssh-agent socket). *out malloc'ed. */
int scd_pgp_auth(const char *chip, const uint8_t *in, size_t inlen, uint8_t **out,
    size_t *outlen);

extern const struct skd_cmd skd_cmds_scd_ops[];
extern const struct skd_cmd skd_cmds_scd_admin[];
extern const struct skd_cmd skd_cmds_scd_writekey[];

#endif
