/* pcsc_int.h — common/ internal: the PC/SC context shared by pcsc.c and pcsc_watch.c. */
#ifndef SK_PCSC_INT_H
#define SK_PCSC_INT_H

#include <PCSC/winscard.h>
#include <pthread.h>

#include "pcsc.h"

/* What the watcher knows about one reader. */
struct watch_reader {
	char *name;
	DWORD cur;     /* state last seen (event counter in the high 16 bits) */
	int present;   /* what we reported */
};

struct sk_pcsc {
	pthread_mutex_t ctxlock;   /* guards ctx, which is re-established when pcscd restarts */
	SCARDCONTEXT ctx;          /* cards, listing */
	int ctx_ok;
	pthread_mutex_t wlock;     /* guards wctx creation against sk_pcsc_cancel */
	SCARDCONTEXT wctx;         /* the watcher's own context */
	int have_wctx;
	int cancel;                /* sticky cancel request (atomic builtins) */
	struct watch_reader *wr;
	size_t nwr;
	DWORD pnp_cur;
	int pnp_ok;                /* pcscd supports \\?PnP?\Notification */
	int watch_started;
	int refresh_pending;       /* the reader list still needs comparing (fn stopped us) */
	int lost_logged;           /* "cannot reach pcscd" already logged */
};

/* pcscd went away (or restarted): contexts must be established anew. */
#define SK_PCSC_SERVICE_LOST(rv) \
	((rv) == SCARD_E_NO_SERVICE || (rv) == SCARD_E_SERVICE_STOPPED || \
	 (rv) == SCARD_E_INVALID_HANDLE || (rv) == SCARD_F_COMM_ERROR)

/* SCARD_* → SK_ERR_* (0 for SCARD_S_SUCCESS). */
int sk_pcsc_map_error(LONG rv);
/* Reader names of context ctx as a NULL-terminated array. */
int sk_pcsc_list_ctx(SCARDCONTEXT ctx, char ***readers);

#endif
