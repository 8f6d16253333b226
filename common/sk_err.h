/* skinkey internal error codes: 0 is success, every failure a negative SK_ERR_*.
 * Converted only at the edges (pkcs11/ -> CK_RV, agent/ -> gpg-error, cli/ -> exit codes). */
#ifndef SK_ERR_H
#define SK_ERR_H

enum sk_err {
	SK_OK = 0,
	SK_ERR_INTERNAL = -1,      /* a bug or an impossible state */
	SK_ERR_NOMEM = -2,
	SK_ERR_ARG = -3,           /* caller passed something invalid */
	SK_ERR_FORMAT = -4,        /* malformed input: bad TLV, truncated, trailing bytes */
	SK_ERR_TOOBIG = -5,        /* a length over a cap */
	SK_ERR_IO = -6,            /* file or socket error */
	SK_ERR_NO_READER = -7,     /* no PC/SC reader / pcscd not running */
	SK_ERR_NO_CARD = -8,       /* no chip in the field */
	SK_ERR_CARD_REMOVED = -9,  /* chip left the field during an operation */
	SK_ERR_CARD_RESET = -10,   /* another program reset the card: state (selection, PIN) lost */
	SK_ERR_TIMEOUT = -11,      /* waited for a tap (or a peer) and gave up */
	SK_ERR_SW = -12,           /* the card answered an unexpected status word */
	SK_ERR_BAD_RESPONSE = -13, /* the card answered bytes that do not parse */
	SK_ERR_NOT_FOUND = -14,    /* applet, object, key, chip, credential not there */
	SK_ERR_PIN_WRONG = -15,    /* VERIFY said no (one retry used) */
	SK_ERR_PIN_BLOCKED = -16,  /* retry counter is zero */
	SK_ERR_PIN_REQUIRED = -17, /* operation needs a PIN that was not given */
	SK_ERR_PIN_FORMAT = -18,   /* PIN too short / too long: rejected before the card saw it */
	SK_ERR_DENIED = -19,       /* security status not satisfied / access refused */
	SK_ERR_UNSUPPORTED = -20,  /* algorithm or feature the card or skinkey lacks */
	SK_ERR_CRYPTO = -21,       /* a signature or MAC did not verify, decryption failed */
	SK_ERR_BUSY = -22,         /* resource held by another operation */
	SK_ERR_CANCELED = -23,     /* the user or the peer gave up */
	SK_ERR_EXISTS = -24,       /* object already present */
	SK_ERR_DB = -25,           /* sqlite failure */
	SK_ERR_CONFIG = -26,       /* bad configuration file */
	SK_ERR_PROTO = -27,        /* protocol violation by a peer (socket client, daemon) */
	SK_ERR_LOCKED = -28,       /* agent or vault locked */
	SK_ERR_UNRECORDED = -29,   /* audit required and skinkey-guard does not acknowledge */
	SK_ERR_FULL = -30,         /* the disk holding skinkey's data is full: nothing was written */
	SK_ERR__LAST = -31
};

/* A short English message for an SK_ERR_* (never NULL). */
const char *sk_strerror(int err);

#endif
