/* ctxkey.c — skinkey-guard's share of a duress context (issue 13). skinkeyd subscribes to
 * SKD_EV_CONTEXT and keeps, in locked memory, the active context's id and a key derived for the
 * guard alone: HKDF-SHA-256(ikm = the context's CHALLENGE answer, no salt, info
 * "skinkey-guard-context-v1"). Every start and end moves a generation number; the guard's event
 * stream (EVENTS --ctx=GEN, cmd_events.c) hands the new state to the guard, and only to the
 * process that holds the guard's lock. The key never goes into the outbox, state.db or a log
 * line; it is wiped when the context ends. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/hkdf.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "event.h"
#include "skd_int.h"

static const char ctx_info[] = "skinkey-guard-context-v1";

static pthread_mutex_t ck_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t ck_gen;          /* read without ck_mu by the stream's wait: atomics */
static int ck_context = -1;
static uint8_t *ck_key;          /* SKD_CTXKEY_LEN bytes of secure memory while a context runs */
static uint64_t ck_since;        /* the outbox's newest seq when the state changed */

static int derive(const uint8_t *secret, size_t len, uint8_t *out)
{
	int r = sk_hkdf_sha256(secret, len, NULL, 0, ctx_info, sizeof(ctx_info) - 1, out,
	    SKD_CTXKEY_LEN);

	if (r != 0)
		sk_error("context: HKDF failed");
	return r != 0 ? SK_ERR_CRYPTO : 0;
}

static int on_context(const struct skd_event *ev, void *arg)
{
	uint8_t *key = NULL;
	int r = 0;

	(void)arg;
	if (ev->ctx_secret != NULL && ev->ctx_secret_len > 0) {
		/* no key (no memory, or HKDF failed): the previous context's key is still
		 * wiped below, and the guard is told the context without a key */
		if ((key = sk_secure_alloc(SKD_CTXKEY_LEN)) == NULL)
			r = SK_ERR_NOMEM;
		else if ((r = derive(ev->ctx_secret, ev->ctx_secret_len, key)) != 0) {
			sk_secure_free(key);
			key = NULL;
		}
	}
	pthread_mutex_lock(&ck_mu);
	sk_secure_free(ck_key);   /* wipes */
	ck_key = key;
	ck_context = key != NULL || ev->ctx_secret != NULL ? ev->context : -1;
	ck_since = skd_outbox_newest();
	__atomic_add_fetch(&ck_gen, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&ck_mu);
	skd_outbox_wake();   /* the guard's EVENTS --wait --ctx returns with the news */
	return r;
}

int skd_ctxkey_events_init(void)
{
	return skd_event_subscribe(SKD_EV_MASK(SKD_EV_CONTEXT), on_context, NULL);
}

uint64_t skd_ctxkey_gen(void)
{
	return __atomic_load_n(&ck_gen, __ATOMIC_SEQ_CST);
}

int skd_ctxkey_get(struct skd_ctxkey *out)
{
	pthread_mutex_lock(&ck_mu);
	out->gen = ck_gen;
	out->context = ck_context;
	out->since = ck_since;
	out->has_key = ck_key != NULL;
	if (ck_key != NULL)
		memcpy(out->key, ck_key, SKD_CTXKEY_LEN);
	else
		memset(out->key, 0, SKD_CTXKEY_LEN);
	pthread_mutex_unlock(&ck_mu);
	return 0;
}
