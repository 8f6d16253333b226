/* skd_int.h — skinkeyd's private pieces (not for command files from other areas: use skd.h). */
#ifndef SKD_INT_H
#define SKD_INT_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "skd.h"

#include "common/log.h"
#include "common/logmask.h"

/* ---- configuration ($XDG_CONFIG_HOME/skinkey/skinkey.conf) ---- */
enum skd_pin_policy { SKD_PIN_PRESENCE = 0, SKD_PIN_NEVER = 1, SKD_PIN_MINUTES = 2 };
enum skd_audit_policy { SKD_AUDIT_REQUIRED = 0, SKD_AUDIT_OFF = 1 };
struct skd_conf {
	int tap_timeout_ms;
	int inquire_timeout_ms;         /* how long a client may take to answer an INQUIRE */
	enum skd_pin_policy pin_policy;
	int pin_minutes;                /* SKD_PIN_MINUTES; presence also caps at this when > 0 */
	int log_level;                  /* SK_LOG_*, -1 = not set */
	char reader_allow[8][128];      /* substrings; empty = all */
	char reader_deny[8][128];
	int n_allow, n_deny;
	int idle_exit_s;                /* 0 = never */
	char pinentry_program[256];     /* for PINs no client can be asked (ssh-agent) */
	int vault_originality;          /* SKD_ORIG_*: which DESFire chips the vault provisions */
	int audit;                      /* SKD_AUDIT_*: key operations need skinkey-guard */
	int audit_deadline_ms;          /* how long the guard may leave an event unacknowledged */
	int duress;                     /* duress = on: chips with a DuressApplet unlock through it */
	int presence_watch;             /* presence-interval set: skinkey-guard runs liveness checks */
};
extern struct skd_conf skd_config;
void skd_conf_defaults(struct skd_conf *c);
/* Parse text (a whole config file; name for messages). 0 or SK_ERR_CONFIG (logged). */
int skd_conf_parse(struct skd_conf *c, const char *name, const char *text, size_t len);
/* Load the user's file (missing file = defaults). */
int skd_conf_load(const char *path_or_null);
int skd_conf_reader_allowed(const struct skd_conf *c, const char *reader);

/* ---- state.db ---- */
/* buf = $XDG_DATA_HOME/skinkey/<name> (~/.local/share/skinkey without XDG_DATA_HOME), the
 * directory made (0700, with its parents) when missing. */
int skd_data_path(const char *name, char *buf, size_t n);
int skd_state_open(const char *path_or_null);
void skd_state_close(void);
const char *skd_state_path(void);        /* "" before skd_state_open() */
/* 0 when state.db is not open or open for this connection alone (a full disk): other
 * connections to it (the event outbox) would only wait for its lock. */
int skd_state_shareable(void);
int skd_state_chip_seen(const char *chipid, const char *applets, int64_t now);
int skd_state_chip_list(struct skd_chip_info **out, size_t *n);
int skd_state_chip_get(const char *chipid, struct skd_chip_info *out);
/* A name the user gives a chip (shown by CHIPS); SK_ERR_NOT_FOUND for an unknown chip. */
int skd_state_chip_label(const char *chipid, const char *label);
/* Delete a chip's row and every cached value of it (a duress context that ended). */
int skd_state_chip_forget(const char *chipid);

/* ---- per-context records (ctxrec_skd.c, ctxrec.h, doc/DURESS.md "Disk") ---- */
/* contexts.rec next to state.db (path NULL) made when missing, on every install. Never fatal. */
int skd_ctxrec_open(const char *path_or_null);
void skd_ctxrec_close(void);               /* the active context's record sealed, key wiped */
const char *skd_ctxrec_path(void);         /* "" when unusable */
int skd_ctxrec_events_init(void);          /* SKD_EV_CONTEXT: open / seal the context's record */
/* chip is the active context's, or a context's that ended in this daemon's life: state.c sends
 * its rows and cache here, never to state.db (for an ended one, reads find nothing and writes
 * are dropped). */
int skd_ctxrec_owns(const char *chip);
int skd_ctxrec_get(const char *chip, const char *key, uint8_t **val, size_t *len);
int skd_ctxrec_put(const char *chip, const char *key, const uint8_t *val, size_t len);
int skd_ctxrec_del(const char *chip, const char *prefix);
/* The chips row of the active context (chip NULL: whichever is active). SK_ERR_NOT_FOUND when
 * chip is not the active context's. */
int skd_ctxrec_chip_seen(const char *chip, const char *applets, int64_t now);
int skd_ctxrec_chip_get(const char *chip, struct skd_chip_info *out);
int skd_ctxrec_chip_label(const char *chip, const char *label);
/* The OpenPGP instance recorded in context ctx's record (opened with its CHALLENGE answer):
 * 0 and the full AID, or SK_ERR_NOT_FOUND. _store records it (written before it returns). */
int skd_ctxrec_instance(int ctx, const uint8_t *secret, size_t len, uint8_t aid[16]);
int skd_ctxrec_instance_store(int ctx, const uint8_t *secret, size_t len, const uint8_t aid[16]);
/* Context ctx has a new key (DURESS ROTATE), secret its new CHALLENGE answer: its slot is
 * written again under the new key — the active context's record with what it holds, any other
 * context's empty (its old key is gone) — with the instance AID when aid is not NULL. */
int skd_ctxrec_rekey(int ctx, const uint8_t *secret, size_t len, const uint8_t *aid);

/* ---- outbox (outbox.c): recorded events in state.db until skinkey-guard acknowledges ---- */
int skd_outbox_open(void);               /* after skd_state_open(); subscribes to the events */
void skd_outbox_close(void);
/* The stream id (32 hex digits, random per state.db): a new id means sequence numbers restart. */
const char *skd_outbox_stream(void);
typedef int (*skd_outbox_fn)(uint64_t seq, int64_t ts_ms, const char *kind, const char *details,
    void *arg);
/* Rows with seq > after, oldest first, at most max; *n = how many. */
int skd_outbox_fetch(uint64_t after, int max, skd_outbox_fn fn, void *arg, int *n);
/* Block until a row with seq > after exists (no timer: woken by the next event). */
int skd_outbox_wait(uint64_t after);
int skd_outbox_ack(uint64_t upto);
/* Wait up to ms until every event written so far is acknowledged: 0, or SK_ERR_TIMEOUT. */
int skd_outbox_wait_acked(int ms);
/* The seq of the newest event this thread wrote to the outbox (0: none). */
uint64_t skd_outbox_last_seq(void);
/* SEEN: the guard holds every event up to upto (in memory; they stay in the outbox until ACK). */
int skd_outbox_seen(uint64_t upto);
/* Wait up to ms until the guard received event seq (SEEN or ACK): 0, SK_ERR_TIMEOUT. */
int skd_outbox_wait_seq_seen(uint64_t seq, int ms);
int64_t skd_outbox_pending(void);

/* Every row up to the newest is older than what happens next (0: empty and never written). */
uint64_t skd_outbox_newest(void);
/* Wake the stream's waits (the guard's context changed). */
void skd_outbox_wake(void);
/* skd_outbox_wait, and also return when skd_ctxkey_gen() != ctx_gen. */
int skd_outbox_wait_ctx(uint64_t after, uint64_t ctx_gen);

/* ---- the guard's share of a duress context (ctxkey.c) ---- */
#define SKD_CTXKEY_LEN 32
struct skd_ctxkey {
	uint64_t gen;            /* moves at every context start and end */
	int context;             /* the DuressApplet's context id, -1: none */
	uint64_t since;          /* outbox events after this seq happened in this state */
	int has_key;
	uint8_t key[SKD_CTXKEY_LEN];   /* HKDF of the context secret for the guard; wipe it */
};
int skd_ctxkey_events_init(void);
uint64_t skd_ctxkey_gen(void);
int skd_ctxkey_get(struct skd_ctxkey *out);

/* ---- skinkey-guard (guardctl.c) ---- */
/* The pid that holds the guard's lock (0: none). */
int skd_guard_pid(void);
int skd_guard_running(void);             /* the guard holds its lock */
int skd_guard_spawn(void);               /* start `skinkey-guard --daemon` when none runs */

/* ---- card manager ---- */
int skd_cardmgr_start(void);
void skd_cardmgr_stop(void);
struct skd_reader_info {
	char name[128];
	int card;                       /* a card is in this reader */
	char chip[SKD_CHIPID_MAX];      /* identified chip or "" */
};
int skd_cardmgr_readers(struct skd_reader_info **out, size_t *n);
/* Presence of a chip right now (reader name copied when present). */
int skd_cardmgr_present(const char *chipid, char *reader, size_t rlen);
/* The chip currently in the field ("" and SK_ERR_NO_CARD when none). */
int skd_cardmgr_current(char *chipid, size_t n);
/* Bumped on every reader/card change. */
uint64_t skd_cardmgr_generation(void);

/* ---- duress contexts (duress_ctx.c, doc/DURESS.md) ---- */
/* The id of a chip whose DuressApplet has chosen no context yet (duress = on): it names no
 * context, and nothing of any OpenPGP instance is cached or listed under it. */
#define SKD_LOCKED_CHIP "fs-locked"
#define SKD_LOCKED_APPLETS "openpgp,duress"
/* The card manager at insertion (duress = on): 1 when the chip has a DuressApplet, 0 when not,
 * SK_ERR_CARD_REMOVED. */
int skd_duress_probe(struct sk_card *sc);
/* The held chip takes another id (a context's, or SKD_LOCKED_CHIP again): its reader lists it,
 * its applets are probed and recorded (not for the locked id) and chip-seen is published. */
int skd_card_become(struct skd_card *h, const char *chip);
/* A locked chip is in the field. */
int skd_duress_locked_present(void);
/* A context is active: 1 and its chip id in chip (may be NULL). */
int skd_duress_active(char *chip, size_t n);
/* A door met the locked chip: the PIN (given, else asked: INQUIRE NEEDPIN, or pinentry when c
 * is NULL) goes to the DuressApplet, the context's OpenPGP instance is taken and VERIFYs PW1
 * with the same PIN. chip receives the context's chip id. Never retried. 0 too when another
 * door unlocked it meanwhile (given is then not used). */
int skd_duress_unlock(struct skd_conn *c, const char *given, char *chip, size_t n);
/* PKCS#11 keeps naming the locked chip's slot SKD_LOCKED_CHIP: while a context is active that
 * name stands for the context's chip (chip rewritten in place). */
void skd_duress_alias(char *chip, size_t n);
/* 1 when chip was a context's chip id in this process (log lines and late audit events show
 * SKD_MASKED_CHIP instead). */
#define SKD_MASKED_CHIP SK_LOGMASK_AS
int skd_duress_masked(const char *chip);
/* The answer the DuressApplet's CHALLENGE over skinkey's fixed nonce gives under a context key
 * (DURESS ROTATE knows the new keys): out = the context's secret (SKD_EV_CONTEXT ctx_secret). */
int skd_duress_answer(const uint8_t key[32], uint8_t out[32]);
/* End the active context (why: "lock", "pins-dropped", ...): the chip shows locked again. */
void skd_duress_lock(const char *why);
int skd_duress_events_init(void);

/* ---- event subscribers (event.h), wired once at start-up by main.c ---- */
int skd_pincache_events_init(void);
int skd_pgp_events_init(void);
int skd_server_events_init(void);

/* ---- presence (liveness.c, cmd_presence.c) ---- */
/* PW1 (82) accepted: pin the chip's AUT public key for liveness checks, publish `unlock`, end
 * an agents lock. */
void skd_liveness_unlocked(const char *chip);
/* Forget the pinned key (NULL: every chip): checks fail until the next unlock. */
void skd_liveness_forget(const char *chip);
/* 1 while a session is unlocked for chip (PW1/82 accepted since the chip came, not dropped). */
int skd_liveness_session(const char *chip);
/* One check: 0 = the chip proved itself; why = ok, no-session, no-proof, absent,
 * pin-state-gone, refused, wrong-answer; proof = aut (INTERNAL AUTHENTICATE), hmac (the enrolled
 * HMAC slot) or -; us = chip time; apdus = APDUs sent. Failures are recorded. */
int skd_liveness_check(struct skd_conn *c, const char *chip, const char **why,
    const char **proof, long long *us, int *apdus);
/* liveness_hmac.c: the enrolled HMAC-SHA1 proof. key_load: SK_ERR_NOT_FOUND when the chip is
 * not enrolled. enroll: an empty slot (want 0: the first empty one) gets a fresh secret that the
 * host keeps 0600; SK_ERR_EXISTS when enrolled already or the slot is programmed. again: a new
 * secret in the enrolled slot (or in want, overwritten whatever it holds). */
struct sk_card;
int skd_presence_key_load(const char *chip, int *slot, uint8_t key[20]);
int skd_presence_enroll(struct skd_conn *c, const char *chip, int want, int again,
    int *slot_out);
int skd_liveness_hmac(struct sk_card *sc, int slot, const uint8_t key[20], int *apdus,
    const char **why);
/* lock-agents: the ssh-agent and PKCS#11 doors answer "locked" until the next unlock. */
void skd_agents_lock(int on);
int skd_agents_locked(void);

/* ---- PIN cache ---- */
void skd_pincache_on_chip_gone(const char *chipid);
void skd_pincache_expire(void);
long long skd_pincache_next_expiry_ms(void);   /* -1: nothing cached expires */
void skd_pincache_clear_all(void);
char *skd_pincache_get(const char *chipid, int pinref);   /* secure copy or NULL */
int skd_pincache_count(void);
/* Tests: replace presence and the monotonic clock (NULL restores the real ones). */
void skd_pincache_set_hooks(int (*present)(const char *chip), time_t (*clock_s)(void));

/* ---- connections (struct skd_conn is opaque in skd.h) ---- */
struct skd_conn {
	assuan_context_t ctx;
	char chip[SKD_CHIPID_MAX];
	int pipe_mode;                  /* --server / --multi-server on stdin/stdout */
	uint8_t *data;                  /* SETDATA buffer (wiped on free) */
	size_t datalen;
	unsigned long id;
	int uncounted;                  /* the guard's subscription: does not keep us from idle-exit */
	int peer_fd;                    /* the client's socket (stdin in pipe mode): hang-up checks */
};
int skd_conn_setdata(struct skd_conn *c, const uint8_t *p, size_t n);
void skd_conn_cleardata(struct skd_conn *c);
void skd_conn_not_idle_counted(struct skd_conn *c);

/* ---- server ---- */
int skd_serve_pipe(void);                /* --server / --multi-server on stdin/stdout */
int skd_serve_fd(int fd);                /* one accepted socket (runs in the caller's thread) */
int skd_listen(int *out_fd);             /* bind the socket; SK_ERR_EXISTS when a daemon runs */
int skd_accept_loop(int lfd);            /* until skd_shutdown_requested() */
void skd_unlisten(int *lfd);
void skd_pidlock_refresh(void);          /* after fork: our pid into the lock file */
void skd_request_shutdown(void);
void skd_wake(void);
void skd_clients_left(int remaining);   /* idle-exit: clients still served after one left */   /* wakes the accept loop to look at its deadlines again (signal-safe) */
int skd_shutdown_requested(void);
int skd_conn_count(void);
/* Same-uid peer (SO_PEERCRED); logs and returns 0 otherwise. */
int skd_peer_ok(int fd);

/* Log lines a peer can cause at will: at most SKD_RATELIMIT_BURST per SKD_RATELIMIT_INTERVAL_S
 * per limiter. skd_ratelimit(): 1 when this one may be logged; *dropped counts the lines held
 * back since the last one let through (say "N more like it" then). */
#define SKD_RATELIMIT_BURST 5u
#define SKD_RATELIMIT_INTERVAL_S 60
struct skd_ratelimit {
	pthread_mutex_t mu;
	long window;
	unsigned n, dropped;
};
#define SKD_RATELIMIT_INIT { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0 }
int skd_ratelimit(struct skd_ratelimit *rl, unsigned *dropped);

/* Connections that hold a descriptor (Assuan socket and ssh-agent socket), bounded by the
 * descriptor limit so that accept() never meets EMFILE in a loop. skd_accept(): one peer of our
 * uid from lfd, counted (release with skd_conn_slot_give()); -1 when there was none, after a
 * back-off when the process is out of descriptors. Over the bound the peer is told (refuse_line,
 * may be NULL) and closed. */
int skd_accept(int lfd, const char *door, const char *refuse_line);
void skd_conn_slot_give(void);
int skd_conn_max(void);
const char *skd_socket_name(void);

extern const struct skd_cmd *const skd_cmd_tables[];
extern const struct skd_cmd skd_cmds_core[];
extern const struct skd_cmd skd_cmds_scd[];
extern const struct skd_cmd skd_cmds_events[];
extern const struct skd_cmd skd_cmds_audit[];
extern const struct skd_cmd skd_cmds_presence[];

#endif
