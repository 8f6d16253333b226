/* p11_mock.h — an in-memory stand-in for skinkeyd + card, for the module's unit tests. */
#ifndef P11_MOCK_H
#define P11_MOCK_H

#include "p11_backend.h"

extern const struct p11_backend p11_mock_backend;

struct p11_mock_stats {
	int verifies;         /* VERIFY attempts that reached the "card" */
	int user_retries, so_retries;
	int signs, opens, closes;
	int remove_next;      /* next card operation fails with SK_ERR_CARD_REMOVED */
	int daemon_has_pin;   /* skinkeyd holds a verified PW1 (pinentry unlock) */
	int hmac_writes;      /* HMAC slot programs and erases that reached the "chip" */
};
extern struct p11_mock_stats p11_mock;

/* Fresh card: SIG P-256, DEC RSA-2048, AUT Ed25519, HMAC slot 1 = 20 x 0x0b. */
void p11_mock_reset(void);
/* skinkeyd forgets every verified PIN (cache expiry). */
void p11_mock_forget(void);
/* The public key of a ref as an EVP_PKEY (borrowed), for verifying in tests. */
struct evp_pkey_st *p11_mock_key(int ref);

/* p11_mock_vault.c: the vault (none until p11_mock_vault_reset(1)). */
extern const struct p11_vault_backend p11_mock_vault;
struct p11_mock_vault_stats {
	int exists;           /* VAULT_CHIPS names a primary chip */
	int gets;             /* VAULT_GET fetches that reached the "chip" */
	int calls;            /* VAULT_GET commands that reached the "daemon" */
	int no_tap;           /* the chip never comes: VAULT_GET times out */
};
extern struct p11_mock_vault_stats p11_mock_vault_st;
void p11_mock_vault_reset(int exists);
void p11_mock_vault_corrupt(uint64_t id);

#endif
