/* sim_core.h — the simulator core's internal face (framework, state file, vpcd link, control
 * socket). Applets only need sim_applet.h. Card-side code: never include a host header here. */
#ifndef SIM_CORE_H
#define SIM_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "sim_applet.h"

/* sim_rbuf.c (extra helpers beside those in sim_applet.h) */
int sim_rbuf_u16(struct sim_rbuf *r, uint16_t v);
void sim_rbuf_clear(struct sim_rbuf *r);          /* wipe, keep the allocation */
void sim_rbuf_free(struct sim_rbuf *r);           /* wipe and free (the struct itself is not freed) */

/* sim_apdu.c: decode one command APDU; 0, or -1 for a malformed encoding (answer 6700). */
int sim_apdu_parse(const uint8_t *p, size_t n, struct sim_apdu *a);

/* sim_registry.c: the card personalities. */
struct sim_personality {
	const char *name;                          /* "flexsecure", "desfire" */
	uint16_t default_port;                     /* vpcd port */
	const uint8_t *atr;
	size_t atr_len;
	const struct sim_applet_ops *const *applets;
	size_t napplets;
};
const struct sim_personality *sim_personality_find(const char *name);

/* sim_malformed.c: deliberately broken answers for the host's bad-input tests. */
enum sim_malformed {
	SIM_MAL_OFF = 0, SIM_MAL_TRUNCATE, SIM_MAL_BADLEN, SIM_MAL_BADSW, SIM_MAL_CHAIN,
	SIM_MAL_ON,  /* rotate through TRUNCATE..CHAIN, one kind per data-bearing answer */
	SIM_MAL_TEMPLATE   /* only templates (6E, 65, 7A, 7F49...): an indefinite length inside */
};
int sim_malformed_parse(const char *s, enum sim_malformed *out);   /* 0 or -1 */
const char *sim_malformed_name(enum sim_malformed m);
/* Rewrite data+SW of one data-bearing answer in place for kind (not CHAIN / ON). */
int sim_malformed_apply(enum sim_malformed kind, struct sim_rbuf *data, uint16_t *sw,
    unsigned *counter);

/* sim_card.c: the card framework. */
struct sim_card;
#define SIM_CHAIN_MAX 65536u   /* cap of an assembled command chain */

enum sim_tx_result {
	SIM_TX_ANSWER = 0,   /* resp holds response data + SW */
	SIM_TX_CUT = 1       /* the chip leaves the field now: no answer, close the link */
};

int sim_card_new(const struct sim_personality *pers, struct sim_card **out);
void sim_card_free(struct sim_card **c);
/* One APDU from the reader. resp is cleared first. */
enum sim_tx_result sim_card_transmit(struct sim_card *c, const uint8_t *cmd, size_t n,
    struct sim_rbuf *resp);
void sim_card_power_loss(struct sim_card *c);      /* power off, reset, leaving the field */
int sim_card_take_dirty(struct sim_card *c);       /* 1 when a persistent change happened; clears */
void sim_card_set_malformed(struct sim_card *c, enum sim_malformed m);
enum sim_malformed sim_card_malformed(const struct sim_card *c);
const struct sim_personality *sim_card_personality(const struct sim_card *c);
size_t sim_card_napplets(const struct sim_card *c);
/* The applet selected now ("fido", "openpgp", ...), "none" when none (for per-applet stats). */
const char *sim_card_selected_name(const struct sim_card *c);
const struct sim_applet_ops *sim_card_applet(const struct sim_card *c, size_t i, void **st);

/* sim_state.c: the "EEPROM" file. */
/* Load path into card. 1 = file absent (factory-fresh card), 0 = loaded, -1 = corrupt or
 * unreadable (a message was written to stderr; the caller must refuse to start). */
int sim_state_load(const char *path, struct sim_card *c);
/* Atomic rewrite (temp file, fsync, rename, fsync of the directory). 0 or -1. */
int sim_state_save(const char *path, struct sim_card *c);
/* Serialization alone (also used by tests and the fuzzer). */
int sim_state_encode(struct sim_card *c, struct sim_rbuf *out);
int sim_state_decode(const uint8_t *p, size_t n, struct sim_card *c, char *why, size_t whylen);

/* sim_util.c */
void sim_random(uint8_t *buf, size_t n);
void sim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sim_hexdump(const char *prefix, const uint8_t *p, size_t n);

#endif
