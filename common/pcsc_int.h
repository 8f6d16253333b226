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
	SCARDCONTEXT ctx;          /* cards, listing */
	pthread_mutex_t wlock;     /* guards wctx creation against sk_pcsc_cancel */
	SCARDCONTEXT wctx;         /* the watcher's own context */
	int have_wctx;
	int cancel;                /* sticky cancel request (atomic builtins) */
	struct watch_reader *wr;
	size_t nwr;
	DWORD pnp_cur;
	int pnp_ok;                /* pcscd supports \\?PnP?\Notification */
	int watch_started;
};

/* SCARD_* → SK_ERR_* (0 for SCARD_S_SUCCESS). */
int sk_pcsc_map_error(LONG rv);
/* Reader names of context ctx as a NULL-terminated array. */
int sk_pcsc_list_ctx(SCARDCONTEXT ctx, char ***readers);

#endif
