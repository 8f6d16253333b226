/* sim_applet.h — the simulator's internal face between the card framework (sim core) and the
 * applets / card personalities. Card-side code only: never include a host header here. */
#ifndef SIM_APPLET_H
#define SIM_APPLET_H

#include <stddef.h>
#include <stdint.h>

/* One logical command, after the framework has assembled command chaining (when the applet
 * asked for it) and decoded short or extended length. */
struct sim_apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;
	size_t lc;
	size_t le;     /* 0 when absent; 256 for short Le=00, 65536 for extended 0000 */
	int extended;  /* the command used extended length encoding */
};

/* Response data (without the status word). The framework sends it back, using 61xx and
 * GET RESPONSE when it is longer than Le allows. */
struct sim_rbuf {
	uint8_t *p;
	size_t len, cap;
};
int sim_rbuf_put(struct sim_rbuf *r, const void *data, size_t n);  /* 0 or -1 (no memory) */
int sim_rbuf_u8(struct sim_rbuf *r, uint8_t v);

/* What the framework offers an applet during one command. */
struct sim_env {
	int dirty;                                   /* set to 1 after a persistent change */
	void (*random)(uint8_t *buf, size_t n);      /* the card's RNG (RAND_bytes) */
	int ctx_set;         /* 1: this command (DuressApplet SELECT_CONTEXT) set the card's
	                        duress context to ctx (0..2, 0xFF none); see find_applet */
	uint8_t ctx;
};

#define SIM_APPLET_CHAINING 0x1u  /* framework assembles CLA|0x10 chains into one command */
#define SIM_APPLET_RAW      0x2u  /* card personality: gets every APDU, no SELECT by AID (DESFire) */
#define SIM_APPLET_SEND_REMAINING 0x4u  /* INS A5 continues a 61xx answer like GET RESPONSE (YKOATH) */

struct sim_applet_ops {
	const char *name;          /* key in the state file: "openpgp", "ykhmac", "desfire", ... */
	const uint8_t *aid;        /* full instance AID; a host SELECT may send a prefix of it */
	size_t aid_len;
	unsigned flags;
	void *(*create)(void);                 /* factory-fresh state */
	void (*destroy)(void *st);
	uint16_t (*select)(void *st, struct sim_rbuf *r, struct sim_env *env);  /* returns SW */
	void (*deselect)(void *st);           /* another applet selected, reset or power loss:
	                                         drop volatile state (verified PINs, sessions) */
	uint16_t (*process)(void *st, const struct sim_apdu *a, struct sim_rbuf *r,
	    struct sim_env *env);             /* returns SW */
	int (*save)(void *st, struct sim_rbuf *out);                  /* persistent state -> bytes */
	int (*load)(void *st, const uint8_t *p, size_t n);            /* bytes -> state, 0 or -1 */
	/* optional (may be NULL): the chip's UID as a PC/SC reader reports it for the pseudo-APDU
	 * FF CA 00 00 (up to 10 bytes); returns the length, or -1. Without it the framework answers
	 * a random 4-byte UID (08 xx xx xx, new each time the chip enters the field) like a JCOP. */
	int (*uid)(void *st, uint8_t *out, size_t cap);
	/* optional: this instance's full AID when it depends on its state (the OpenPGP serial);
	 * returns the length, or -1. Without it `aid` is the full AID. */
	int (*instance_aid)(void *st, uint8_t *out, size_t cap);
	/* duress context this instance serves (OpenPGP instances 0, 1, 2): when a SELECT's AID
	 * prefix matches several instances, the one of the card's duress context wins. */
	uint8_t context;
};

/* How answers are encoded (sim_encoding.c; `run --encoding`, `ctl encoding`). ISO 7816-4 BER-TLV
 * allows more than one encoding of the same data, and real cards use them:
 *   MINIMAL  shortest length fields, the order OpenPGP card 3.4 lists (the default)
 *   REAL     long-form lengths where short ones would do (81 xx for primitives, 82 xx xx for
 *            templates: 6E 82 00 FF ... 73 82 00 CB), templates' children in another order
 *   PADDED   REAL, and 00/FF padding between the objects inside templates (ISO 7816-4 5.2.2)
 * Process-wide: one card per process. */
/* FIDO applet (fido.c; `ctl keepalive N`): answer each NFCCTAP_MSG with N `01 9100` keep-alives,
 * polled with NFCCTAP_GETRESPONSE (80 11 00 00), before the answer, as some FIDO2 applets do.
 * 0 (the default, the flexSecure applet): answer at once, INS 11 is 6D00. */
void sim_fido_set_keepalive(int n);
int sim_fido_keepalive(void);
/* credProtect (`ctl credprotect applet|spec`): the flexSecure applet (the default) gives level 3
 * to every credential made with the extension, whatever level was asked; `spec` keeps the level
 * asked for, as CTAP 2.1 describes and other authenticators do. */
void sim_fido_set_credprotect_spec(int spec);
int sim_fido_credprotect_spec(void);

enum sim_encoding { SIM_ENC_MINIMAL = 0, SIM_ENC_REAL, SIM_ENC_PADDED };
enum sim_encoding sim_encoding(void);
void sim_set_encoding(enum sim_encoding e);
int sim_encoding_parse(const char *s, enum sim_encoding *out);   /* 0 or -1 */
const char *sim_encoding_name(enum sim_encoding e);

/* Applets and personalities, each defined in its own file. */
extern const struct sim_applet_ops sim_openpgp_applet;   /* sim/openpgp_*.c (context 0) */
extern const struct sim_applet_ops sim_openpgp_applet1;  /* the decoy context's instance */
extern const struct sim_applet_ops sim_openpgp_applet2;  /* the burn context's instance */
extern const struct sim_applet_ops sim_ykhmac_applet;    /* sim/ykhmac.c */
extern const struct sim_applet_ops sim_fido_applet;      /* sim/fido*.c (CTAP2 over ISO 7816) */
extern const struct sim_applet_ops sim_oath_applet;      /* sim/oath.c (YKOATH) */
extern const struct sim_applet_ops sim_duress_applet;    /* sim/duress.c (AID F0 44 55 52 45 53 53 01) */
extern const struct sim_applet_ops sim_desfire_card;     /* sim/desfire_*.c (SIM_APPLET_RAW) */

#endif
