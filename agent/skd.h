/* skd.h — skinkeyd's internal face for command files (agent/cmd_*.c).
 *
 * A command file exports one table `const struct skd_cmd skd_cmds_<area>[]` ending with
 * { NULL, NULL, NULL }; cmd_table.c lists the tables and the dispatcher registers every entry
 * on each Assuan connection. Handlers are plain libassuan handlers:
 *     static gpg_error_t cmd_foo(assuan_context_t ctx, char *line);
 * They get their connection with skd_conn_get(ctx), report errors with skd_fail(), write status
 * lines with skd_status() and data with skd_send_data().
 *
 * Card access is serialized: skd_card_acquire() waits (up to tap-timeout) for the chip, takes the
 * daemon-wide card lock and opens a PC/SC transaction; skd_card_release() ends both. Never hold a
 * card across an INQUIRE: skd_pin_obtain() gives it back while the client answers
 * (skd_card_suspend/resume); ask other data before taking the card. */
#ifndef SKD_H
#define SKD_H

#include <assuan.h>
#include <gpg-error.h>
#include <stddef.h>
#include <stdint.h>

struct sk_card;     /* common/card.h: the APDU engine */

#define SKD_CHIPID_MAX 48   /* "fs-" + 12 hex, "df-" + up to 20 hex, NUL; with margin */

/* ---- command tables ---- */
struct skd_cmd {
	const char *name;            /* upper case, e.g. "P11OBJECTS" */
	assuan_handler_t handler;
	const char *help;            /* one line, or NULL */
};

/* ---- connections ---- */
struct skd_conn;

/* The connection behind an Assuan context (never NULL inside a handler). */
struct skd_conn *skd_conn_get(assuan_context_t ctx);
assuan_context_t skd_conn_ctx(struct skd_conn *c);
/* The chip this connection works on (set by SERIALNO or CHIP), "" when none yet. */
const char *skd_conn_chip(const struct skd_conn *c);
void skd_conn_set_chip(struct skd_conn *c, const char *chipid);
/* The client closed its connection or shut its sending side down (a way to cancel a wait:
 * skd_card_acquire gives up with SK_ERR_CANCELED). Never blocks. */
int skd_conn_hungup(struct skd_conn *c);

/* ---- errors and replies ---- */
/* SK_ERR_* -> gpg_error_t with source SCD (0 -> 0). */
gpg_error_t skd_gpg_err(int sk_err);
/* Log `what: <sk_strerror>` and return skd_gpg_err(sk_err) with `what` as the error text. */
gpg_error_t skd_fail(assuan_context_t ctx, int sk_err, const char *what);
/* assuan_inquire with a deadline (inquire-timeout: GPG_ERR_TIMEOUT, and the connection closes
 * after the command) that gives back the card this thread holds while the client answers. Every
 * INQUIRE goes through it. */
gpg_error_t skd_inquire(assuan_context_t ctx, const char *keyword, unsigned char **buf,
    size_t *len, size_t max);
/* `S KEYWORD text`; text printf-formatted (caller escapes). */
gpg_error_t skd_status(assuan_context_t ctx, const char *keyword, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* D lines (libassuan escapes and splits). */
gpg_error_t skd_send_data(assuan_context_t ctx, const void *p, size_t n);
/* Percent-escape bytes for a status line (%, +, space, CR, LF, control chars). Returns a
 * malloc'ed string or NULL on no memory. */
char *skd_escape(const void *p, size_t n);
/* Undo Assuan percent escaping in place (also '+' -> ' ' when plus is set); returns length. */
size_t skd_unescape(char *s, int plus);

/* ---- chips ---- */
struct skd_chip_info {
	char id[SKD_CHIPID_MAX];     /* "fs-0006a1b2c3d4" */
	char label[64];
	char applets[96];            /* "openpgp,ykhmac" */
	char reader[128];            /* reader where it is now, "" when away */
	int present;                 /* in the field right now */
	int64_t first_seen, last_seen;
};
/* Resolve a chip: want NULL or "" -> the chip in the field now, else the only known chip;
 * else a chip id. SK_ERR_NOT_FOUND when none matches. */
int skd_chip_find(const char *want, struct skd_chip_info *out);
/* Every known chip (from state.db, with presence from the card manager). free() the array. */
int skd_chip_list(struct skd_chip_info **out, size_t *n);

/* ---- card access ---- */
struct skd_card;
/* Wait for chip `chipid` (NULL/"" = whatever chip is in the field) up to tap-timeout, telling
 * the client `S PROGRESS tap ? 0 0` and the log to tap; then take the card lock and begin a
 * transaction. SK_ERR_TIMEOUT when no tap came, SK_ERR_NO_READER without pcscd/readers. */
int skd_card_acquire(struct skd_conn *c, const char *chipid, struct skd_card **out);
struct sk_card *skd_card_raw(struct skd_card *h);
const char *skd_card_chip(const struct skd_card *h);   /* chip id of the held card */
/* Mark the held card lost (after SK_ERR_CARD_REMOVED) so waiters see it gone at once. */
void skd_card_lost(struct skd_card *h);
void skd_card_release(struct skd_card **h);
/* While this thread waits for its client (INQUIRE, pinentry) it gives back the card it holds:
 * the lock and the PC/SC transaction (other clients and other PC/SC programs go on). suspend
 * returns the handle (NULL when none is held); resume takes both back for the same chip still in
 * the field (SK_ERR_CARD_REMOVED when it left meanwhile; skd_card_raw is NULL then) in a new
 * transaction: anything PIN-bearing after it needs its SELECT again (opgp_select_in_tx does). */
struct skd_card *skd_card_suspend(void);
int skd_card_resume(struct skd_card *h);

/* ---- PINs ----
 * pinref: OpenPGP references 0x81 (PW1 sign), 0x82 (PW1 other), 0x83 (PW3 admin); other areas
 * use their own numbers >= 0x100 (SKD_PIN_AREA_*). */
#define SKD_PIN_OTP_BASE   0x100
#define SKD_PIN_VAULT_BASE 0x200
/* A PIN from the cache (policy permitting) or asked from the client by
 * `INQUIRE NEEDPIN <prompt>` (prompt in scdaemon's "|FLAGS|text" form, already escaped).
 * *pin is NUL-terminated secure memory: free with skd_pin_free(). *cached says where it came
 * from (a cached PIN that the card refuses must not be asked again automatically). */
int skd_pin_obtain(struct skd_conn *c, const char *chipid, int pinref, const char *prompt,
    char **pin, int *cached);
void skd_pin_free(char **pin);
/* After a VERIFY the card accepted: remember (policy permitting). */
void skd_pin_cache_put(const char *chipid, int pinref, const char *pin);
/* After a refused VERIFY or a PIN change: forget. pinref 0 = every PIN of the chip. */
void skd_pin_cache_drop(const char *chipid, int pinref);

/* ---- public-data cache (state.db, keyed by chip id) ---- */
int skd_cache_get(const char *chipid, const char *key, uint8_t **val, size_t *len);
int skd_cache_put(const char *chipid, const char *key, const uint8_t *val, size_t len);
/* Delete every key of the chip starting with prefix ("" = all). */
int skd_cache_del(const char *chipid, const char *prefix);

/* ---- configuration ---- */
int skd_conf_tap_timeout_ms(void);
/* vault-originality: nxp = only chips whose NXP originality signature verifies (default);
 * sim = also skinkey-sim's test key; off = any chip (warned, shown unverified by CHIPS) */
enum skd_orig_policy { SKD_ORIG_NXP = 0, SKD_ORIG_SIM = 1, SKD_ORIG_OFF = 2 };
int skd_conf_vault_originality(void);
/* duress = on (skinkey.conf): doors keep each duress context's state apart (doc/DURESS.md). */
int skd_conf_duress(void);

/* ---- the active duress context's record (ctxrec_skd.c, doc/DURESS.md "Disk") ---- */
/* A key of the caller's for the active context: HKDF-SHA256(ikm, salt = the context's record
 * key, info). 0 and *ctx = the context id; SK_ERR_LOCKED when no context is active. */
int skd_ctxrec_derive(const uint8_t *ikm, size_t ikm_len, const char *info, uint8_t out[32],
    int *ctx);
/* Entries of the active context's record, keys of the caller's own prefix (the vault: "v.").
 * put and del seal the record before they return. SK_ERR_LOCKED: no context active;
 * SK_ERR_TOOBIG: the record is full. */
int skd_ctxrec_entry_put(const char *key, const uint8_t *val, size_t len);
int skd_ctxrec_entry_del(const char *key);
/* Copies of the entries under prefix: *keys[i] / *vals[i] / lens[i], n of them; free with
 * skd_ctxrec_entries_free. */
int skd_ctxrec_entries(const char *prefix, char ***keys, uint8_t ***vals, size_t **lens,
    size_t *n);
void skd_ctxrec_entries_free(char **keys, uint8_t **vals, size_t *lens, size_t n);

/* ---- audit (guardctl.c): a key operation passes the gate first and records its event (agent/
 * event.h kinds) before its answer ---- */
/* 0 when key operations may run: audit off, or a guard that runs (started when none does) and
 * acknowledges every event written so far within audit-deadline; SK_ERR_UNRECORDED otherwise. */
int skd_guard_gate(void);
/* Publish an operation's event (kind: enum skd_ev_kind) before its answer: r, or
 * SK_ERR_UNRECORDED when r == 0 but the event could not be written (audit = required). */
int skd_guard_record(int kind, const char *chip, const char *op, const char *object, int r);
/* After an operation's event was written (r == 0): its answer waits until skinkey-guard
 * acknowledged that event, at most audit-deadline; SK_ERR_UNRECORDED (and a row saying the
 * answer was withheld) when it did not. r unchanged when r != 0 or audit = off. */
int skd_guard_confirm(int r, int kind, const char *chip, const char *op, const char *object);

#endif
