/* event.h — skinkeyd's event bus: the card manager and the operations publish what happened,
 * the other parts subscribe (PIN cache, OpenPGP cache, connections, the outbox that feeds
 * skinkey-guard). Data flows one way: a publisher never calls its subscribers by name.
 *
 * Subscribers register at start-up (before any thread publishes) and are called synchronously,
 * in registration order, on the publishing thread. A subscriber must not publish the same kind
 * again and must not block on a client. skd_event_publish() returns the first error a
 * subscriber returned (the outbox returns one when an event that must be recorded was not).
 *
 * Never put a PIN or a secret in an event: recorded kinds end up in the outbox (state.db) and
 * in the audit chain. */
#ifndef SKD_EVENT_H
#define SKD_EVENT_H

#include <stddef.h>
#include <stdint.h>

struct sk_card;
struct skd_conn;

enum skd_ev_kind {
	SKD_EV_CHIP_SEEN = 0,   /* chip identified in a reader (card: open, transaction held) */
	SKD_EV_CHIP_LEFT,       /* chip left the field (or was lost mid-operation) */
	SKD_EV_TAP_WANTED,      /* an operation waits for a tap (conn: who waits; not recorded) */
	SKD_EV_KEY_OP,          /* a private-key operation ran (or was refused) */
	SKD_EV_PIN_FAIL,        /* the chip refused a PIN (retries: tries left) */
	SKD_EV_PIN_CHANGE,      /* a PIN was changed or reset */
	SKD_EV_KEYGEN,          /* a key was generated or written onto the chip */
	SKD_EV_VAULT,           /* a vault read or write */
	SKD_EV_PROVISION,       /* a provisioning step */
	SKD_EV_CONFIG_ERROR,    /* the configuration was refused */
	SKD_EV_UNLOCK,          /* the chip accepted PW1 for other uses (82): a session begins */
	SKD_EV_LIVENESS,        /* a liveness check failed (successes are not recorded) */
	SKD_EV_PRESENCE,        /* skinkey-guard's presence state changed (op: its new state) */
	SKD_EV_CONTEXT,         /* a duress context began (ctx_secret set) or ended (ctx_secret
	                           NULL: lock, removal, PIN drop). In memory only: never recorded,
	                           never serialized, never in a log line */
	SKD_EV__COUNT
};

#define SKD_EV_MASK(k) (1u << (k))
#define SKD_EV_ALL ((1u << SKD_EV__COUNT) - 1u)

/* Every field but kind may be NULL / 0. Strings are plain text (serialization escapes them). */
struct skd_event {
	enum skd_ev_kind kind;
	const char *chip;           /* chip id */
	const char *reader;         /* CHIP_SEEN: reader name */
	const char *applets;        /* CHIP_SEEN: applet list */
	struct sk_card *card;       /* CHIP_SEEN only: the chip, transaction open (never recorded) */
	const uint8_t *app;         /* CHIP_SEEN: the OpenPGP GET DATA 6E answer read to identify the
	                               chip in this transaction, or NULL (never recorded) */
	size_t app_len;
	struct skd_conn *conn;      /* TAP_WANTED: the waiting connection (never recorded) */
	int tap_timeout_s;          /* TAP_WANTED */
	const char *op;             /* KEY_OP: sign, auth, decrypt; VAULT: read, write, ... */
	const char *object;         /* key fingerprint, PKCS#11 object, vault entry id */
	int result;                 /* SK_ERR_* of the operation */
	int retries;                /* PIN_FAIL: tries left (-1 unknown) */
	int pinref;                 /* PIN events: 0x81/0x82/0x83 or an area's number */
	int64_t counter;            /* KEY_OP signatures: the chip's signature counter (-1 unknown) */
	const uint8_t *signed_data; /* KEY_OP: what went to the chip (its SHA-256 is recorded) */
	size_t signed_len;
	const char *detail;         /* free text, no secrets */
	int context;                /* CONTEXT: the DuressApplet's context id (-1: none) */
	const uint8_t *ctx_secret;  /* CONTEXT: the context's secret, the applet's CHALLENGE answer
	                               over skinkey's fixed nonce (32 bytes), or NULL when the context
	                               ended. Subscribers derive their own keys from it (HKDF with
	                               their own label) and wipe what they keep when it ends. */
	size_t ctx_secret_len;
};

typedef int (*skd_event_fn)(const struct skd_event *ev, void *arg);

/* Register fn for the kinds in mask. 0 or SK_ERR_TOOBIG (table full). */
int skd_event_subscribe(unsigned mask, skd_event_fn fn, void *arg);
/* Tests: forget every subscriber. */
void skd_event_reset(void);
/* Deliver ev to its subscribers; 0 or the first subscriber error. */
int skd_event_publish(const struct skd_event *ev);
/* The short form for the operations' events (no card, no counter, no data hash). */
int skd_event_note(enum skd_ev_kind kind, const char *chip, const char *op, const char *object,
    int pinref, int retries, int result);

/* The client behind the events this thread publishes: door ("gpg", "pkcs11", "ssh-agent",
 * "cli", "assuan") and peer pid (0 = unknown). Thread-local: a connection thread sets it once
 * (pid) and a command refines the door. prog is read from /proc/<pid>/comm when set. */
void skd_event_set_peer(int pid);
void skd_event_set_door(const char *door);
const char *skd_event_door(void);
int skd_event_peer_pid(void);
const char *skd_event_peer_prog(void);

/* Names and serialization (outbox.c, tests). */
const char *skd_event_kind_name(enum skd_ev_kind k);
int skd_event_recorded(enum skd_ev_kind k);
/* "key=value key=value ..." (values percent-escaped: space, %, =, control bytes, 0x7f+).
 * malloc'ed; NULL on no memory. Includes door/pid/prog from this thread. */
char *skd_event_details(const struct skd_event *ev);

#endif
