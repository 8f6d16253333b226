/* guard.h — skinkey-guard's parts. The stream (stream.c) reads skinkeyd's events in batches
 * and hands each batch to every consumer in guard_consumers[] (the audit writer now; presence
 * and duress later) before it acknowledges the batch: a consumer that fails leaves the batch
 * unacknowledged, and it comes again. Consumers must therefore be idempotent per event seq
 * (the audit writer remembers the last seq it applied, in audit.db, in the same transaction). */
#ifndef SK_GUARD_H
#define SK_GUARD_H

#include <stddef.h>
#include <stdint.h>

#define GUARD_BATCH_MAX 64

struct guard_event {
	uint64_t seq;             /* outbox sequence number (per stream) */
	int64_t ts_ms;            /* when skinkeyd wrote it */
	char kind[32];            /* "key-op", "chip-seen", ... (agent/event.h names) */
	char *details;            /* "key=value ..." as skinkeyd wrote it (percent-escaped values) */
	char *boxed;              /* a duress context's sealed event the guard opened (kind and
	                             details above are then its contents): what the chain stores */
};

struct guard_batch {
	char stream[33];          /* outbox stream id */
	struct guard_event ev[GUARD_BATCH_MAX];
	int n;
	/* S CONTEXT: the duress context moved (ctx_seen); the key is wiped with the batch */
	int ctx_seen, ctx_id, ctx_has_key;
	uint64_t ctx_gen, ctx_since;
	uint8_t ctx_key[32];
};

struct guard_consumer {
	const char *name;
	int (*start)(void);                              /* once, before the first batch */
	int (*apply)(const struct guard_batch *b);       /* 0 = done with the batch */
	void (*stop)(void);
};
extern const struct guard_consumer *const guard_consumers[];

/* The audit writer (record.c). */
extern const struct guard_consumer guard_record;
/* `skinkey-guard init`: start a sealed chain if none, print the recovery code once. */
int guard_record_init(int force_print);


/* Continuous presence (presence.c): liveness checks while a session is unlocked, the absence
 * actions after presence-grace. */
extern const struct guard_consumer guard_presence;
/* The stream lost skinkeyd (fail-closed: an unlocked session ends after grace). */
void guard_presence_stream_lost(void);
/* logind reports the session idle (presence_idle.c): the watched session ends without grace or
 * actions; chip receives its id ("" when none). 0: drop the PINs now. */
int guard_presence_idle(char *chip, size_t n);
/* presence_idle.c: watch the logind session's IdleHint (a thread blocked on the bus; no timer). */
int guard_presence_idle_start(void);
void guard_presence_idle_stop(void);

/* The duress context as skinkeyd tells it (context.c): its id (-1 none) and the guard's key
 * for it in locked memory, wiped when it ends; entering the burn context (id 2, the
 * DuressApplet's) runs burn-actions. The consumer notes the ssh clients for end-ssh. */
extern const struct guard_consumer guard_burn;
void guard_context_set(int id, uint64_t since, const uint8_t *key_or_null);
/* Open the sealed events of the active context in b (kind SK_AUDITBOX_KIND) for the consumers;
 * the rest, and everything when no context runs, stays as it came. */
void guard_context_open(struct guard_batch *b);
int guard_context_id(void);

/* Actions (actions.c), shared by presence and the burn context. */
#define GUARD_SSH_PIDS_MAX 64
struct guard_ssh_pids {
	int pid[GUARD_SSH_PIDS_MAX];
	char prog[GUARD_SSH_PIDS_MAX][32];
	int n;
};
/* Remember the ssh client of a successful key-op event (details) for end-ssh. */
void guard_ssh_note(struct guard_ssh_pids *t, const char *details);
/* Run acts (GUARD_ACT_*): exec runs with why_var=why and SKINKEY_CHIP=chip in its environment;
 * skd_cmd sends LOCKAGENTS/DROPPINS to skinkeyd (0 = done). done: " name" per action done. */
void guard_actions_run(unsigned acts, const char *exec, const char *why_var, const char *why,
    const char *chip, int (*skd_cmd)(const char *line), struct guard_ssh_pids *ssh,
    char *done, size_t n);

/* The stream (stream.c): connect, read, hand out, acknowledge; returns when skinkeyd is gone
 * and does not come back within a few seconds. */
int guard_stream_run(void);

/* Configuration the guard reads from skinkey.conf (conf.c). */
#define GUARD_ACT_LOCK_SESSION 0x01u
#define GUARD_ACT_DROP_PINS    0x02u
#define GUARD_ACT_LOCK_AGENTS  0x04u
#define GUARD_ACT_END_SSH      0x08u
#define GUARD_ACT_EXEC         0x10u
struct guard_conf {
	char anchor_command[1024];   /* "" = none */
	uint64_t presence_interval_ms;   /* 0 = presence off (the default) */
	uint64_t presence_grace_ms;
	unsigned presence_actions;       /* GUARD_ACT_* */
	char presence_exec[1024];        /* the PROGRAM of `exec PROGRAM` */
	unsigned burn_actions;           /* GUARD_ACT_*: when a duress unlock chose the burn context */
	char burn_exec[1024];
	char refused[64];                /* the setting that was refused ("" = none): recorded */
};
/* "lock-session drop-pins ... [exec PROGRAM...]" (exec takes the rest of the line); what names
 * the setting in the error message. */
int guard_conf_parse_actions(const char *what, const char *s, unsigned *acts, char *exec,
    size_t exec_len);
extern struct guard_conf guard_config;
int guard_conf_load(const char *path_or_null);

#endif
