/* sshag.h — the ssh-agent protocol (draft-miller-ssh-agent) as skinkeyd serves it.
 *
 * The protocol layer parses frames, answers REQUEST_IDENTITIES from the backend's key list,
 * turns a SIGN_REQUEST into exactly the input the card's INTERNAL AUTHENTICATE wants (the
 * message for EdDSA, a hash for ECDSA, a DigestInfo for RSA), and wraps the card's answer in an
 * ssh signature blob. It refuses key management (add/remove) with SSH_AGENT_FAILURE: the keys
 * live on the chip. LOCK/UNLOCK hide the keys behind a passphrase. */
#ifndef SSHAG_H
#define SSHAG_H

#include <stddef.h>
#include <stdint.h>

struct sk_buf;
struct evp_pkey_st;

/* OpenSSH caps agent messages at 256 KiB; so do we, before buffering a byte more. */
#define SSHAG_MAX_FRAME (256u * 1024u)

enum sshag_keytype {
	SSHAG_KEY_ED25519 = 1,
	SSHAG_KEY_ECDSA_P256,
	SSHAG_KEY_ECDSA_P384,
	SSHAG_KEY_RSA,
};

struct sshag_key {
	enum sshag_keytype type;
	uint8_t *blob;        /* ssh wire public key blob */
	size_t blob_len;
	char *comment;        /* e.g. "cardno:000612345678" */
	char chip[48];        /* chip id the key lives on */
	int keyref;           /* backend's reference (OpenPGP: 3 = AUT) */
};

struct sshag_backend {
	/* Current keys (from the daemon's cache: no tap needed). The protocol layer frees the
	 * array with sshag_keys_free(). */
	int (*list)(void *arg, struct sshag_key **keys, size_t *n);
	/* Run the card's authentication operation for `key` over `in` (the message for EdDSA, the
	 * hash for ECDSA, a DigestInfo for RSA). *sig is malloc'ed raw output: 64 bytes for
	 * Ed25519, r||s for ECDSA, the modulus-sized block for RSA. Returns 0 or SK_ERR_*. */
	int (*auth)(void *arg, const struct sshag_key *key, const uint8_t *in, size_t inlen,
	    uint8_t **sig, size_t *siglen);
};

/* Agent-wide state shared by every connection (the lock). */
struct sshag_state;
int sshag_state_new(struct sshag_state **out);
void sshag_state_free(struct sshag_state **st);
int sshag_locked(const struct sshag_state *st);

/* Handle one message body (type byte first, without the length prefix); the complete reply
 * frame (length prefix included) is appended to `reply`. Returns 0, or SK_ERR_PROTO when the
 * message is malformed (a FAILURE reply is still appended; the caller may end the connection). */
int sshag_handle(struct sshag_state *st, const struct sshag_backend *be, void *arg,
    const uint8_t *msg, size_t len, struct sk_buf *reply);

/* Serve one connected socket until EOF, a malformed or oversized frame (that connection ends;
 * nothing else is affected) or an I/O error. */
int sshag_serve_fd(int fd, struct sshag_state *st, const struct sshag_backend *be, void *arg);

/* Public key blob of an OpenSSL key (Ed25519, P-256, P-384, RSA). */
int sshag_pubkey_blob(struct evp_pkey_st *pk, struct sk_buf *out, enum sshag_keytype *type);
/* gpg's public-key S-expression -> OpenSSL key (sshag_card.c); NULL for what it cannot use. */
struct evp_pkey_st *skd_pkey_from_sexp(const uint8_t *sx, size_t len);

void sshag_keys_free(struct sshag_key **keys, size_t n);

/* skinkeyd: listen on $XDG_RUNTIME_DIR/skinkey/S.ssh and serve the chips' AUT keys
 * (sshag_card.c). Call once, after the daemon holds its lock and the card manager runs. */
int sshag_card_start(void);
/* Remove S.ssh (at exit: no socket left behind). */
void sshag_card_unlink(void);

#endif
