/* pcsc.c — pcsc-lite backend: context, reader list, connect, and the sk_card_ops table. */
#include "pcsc.h"

#include <stdlib.h>
#include <string.h>

#include "card.h"
#include "log.h"
#include "pcsc_int.h"
#include "secmem.h"
#include "sk_err.h"

#define READER_LIST_MAX (64 * 1024)
#define GONE_WAIT_MS 1000

/* One connected card: the io behind struct sk_card. */
struct pcsc_io {
	SCARDCONTEXT ctx;
	SCARDHANDLE h;
	DWORD proto;
	char *reader;
	int in_tx;
};

int sk_pcsc_map_error(LONG rv)
{
	switch (rv) {
	case SCARD_S_SUCCESS: return 0;
	case SCARD_W_RESET_CARD: return SK_ERR_CARD_RESET;
	case SCARD_W_REMOVED_CARD: case SCARD_E_NO_SMARTCARD: case SCARD_E_READER_UNAVAILABLE:
	case SCARD_W_UNPOWERED_CARD: case SCARD_W_UNRESPONSIVE_CARD:
		return SK_ERR_CARD_REMOVED;
	case SCARD_E_TIMEOUT: return SK_ERR_TIMEOUT;
	case SCARD_E_NO_SERVICE: case SCARD_E_SERVICE_STOPPED: case SCARD_E_NO_READERS_AVAILABLE:
		return SK_ERR_NO_READER;
	case SCARD_E_UNKNOWN_READER: return SK_ERR_NOT_FOUND;
	case SCARD_E_SHARING_VIOLATION: return SK_ERR_BUSY;
	case SCARD_E_CANCELLED: return SK_ERR_CANCELED;
	case SCARD_E_NO_MEMORY: return SK_ERR_NOMEM;
	case SCARD_E_INSUFFICIENT_BUFFER: return SK_ERR_TOOBIG;
	case SCARD_E_INVALID_PARAMETER: case SCARD_E_INVALID_VALUE: return SK_ERR_ARG;
	default: return SK_ERR_IO;
	}
}

int sk_pcsc_open(struct sk_pcsc **out)
{
	struct sk_pcsc *p;
	LONG rv;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return SK_ERR_NOMEM;
	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &p->ctx);
	if (rv != SCARD_S_SUCCESS) {
		sk_log(SK_LOG_ERROR, "pcsc: cannot reach pcscd (%s): is pcscd running?",
		    pcsc_stringify_error(rv));
		free(p);
		return SK_ERR_NO_READER;
	}
	p->ctx_ok = 1;
	pthread_mutex_init(&p->ctxlock, NULL);
	pthread_mutex_init(&p->wlock, NULL);
	*out = p;
	return 0;
}

/* With ctxlock held: a fresh context after pcscd restarted. Cards of the old one are dead. */
static int pcsc_revive(struct sk_pcsc *p)
{
	LONG rv;

	if (p->ctx_ok)
		(void)SCardReleaseContext(p->ctx);
	p->ctx_ok = 0;
	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &p->ctx);
	if (rv != SCARD_S_SUCCESS) {
		sk_log(SK_LOG_WARN, "pcsc: pcscd is gone (%s)", pcsc_stringify_error(rv));
		return SK_ERR_NO_READER;
	}
	sk_log(SK_LOG_INFO, "pcsc: connected to pcscd again");
	p->ctx_ok = 1;
	return 0;
}

void sk_pcsc_close(struct sk_pcsc **pp)
{
	struct sk_pcsc *p;
	size_t i;

	if (pp == NULL || (p = *pp) == NULL)
		return;
	if (p->have_wctx)
		(void)SCardReleaseContext(p->wctx);
	if (p->ctx_ok)
		(void)SCardReleaseContext(p->ctx);
	for (i = 0; i < p->nwr; i++)
		free(p->wr[i].name);
	free(p->wr);
	pthread_mutex_destroy(&p->wlock);
	pthread_mutex_destroy(&p->ctxlock);
	free(p);
	*pp = NULL;
}

void sk_pcsc_readers_free(char ***rp)
{
	char **r;
	size_t i;

	if (rp == NULL || (r = *rp) == NULL)
		return;
	for (i = 0; r[i] != NULL; i++)
		free(r[i]);
	free(r);
	*rp = NULL;
}

/* Splits a PC/SC multi-string ("a\0b\0\0") into a NULL-terminated array. */
static int split_multistring(const char *m, size_t len, char ***out)
{
	size_t n = 0, i, k = 0;
	char **r;

	for (i = 0; i < len && m[i] != '\0'; i += strlen(m + i) + 1)
		n++;
	if ((r = calloc(n + 1, sizeof(*r))) == NULL)
		return SK_ERR_NOMEM;
	for (i = 0; k < n; i += strlen(m + i) + 1) {
		if ((r[k++] = strdup(m + i)) == NULL) {
			sk_pcsc_readers_free(&r);
			return SK_ERR_NOMEM;
		}
	}
	*out = r;
	return 0;
}

int sk_pcsc_list_ctx(SCARDCONTEXT ctx, char ***readers)
{
	DWORD len = 0;
	char *m = NULL;
	LONG rv;
	int r;

	*readers = NULL;
	rv = SCardListReaders(ctx, NULL, NULL, &len);
	if (rv == SCARD_E_NO_READERS_AVAILABLE || (rv == SCARD_S_SUCCESS && len <= 1))
		return split_multistring("", 1, readers);
	if (rv != SCARD_S_SUCCESS || len > READER_LIST_MAX) {
		sk_log(SK_LOG_WARN, "pcsc: cannot list readers: %s", pcsc_stringify_error(rv));
		return rv != SCARD_S_SUCCESS ? sk_pcsc_map_error(rv) : SK_ERR_TOOBIG;
	}
	if ((m = calloc(1, (size_t)len + 1)) == NULL)
		return SK_ERR_NOMEM;
	rv = SCardListReaders(ctx, NULL, m, &len);
	if (rv == SCARD_E_NO_READERS_AVAILABLE)
		r = split_multistring("", 1, readers);
	else if (rv != SCARD_S_SUCCESS)
		r = sk_pcsc_map_error(rv);
	else
		r = split_multistring(m, len, readers);
	free(m);
	return r;
}

int sk_pcsc_list_readers(struct sk_pcsc *p, char ***readers)
{
	int r = SK_ERR_NO_READER;

	pthread_mutex_lock(&p->ctxlock);
	if (p->ctx_ok)
		r = sk_pcsc_list_ctx(p->ctx, readers);
	/* no service, or a dead context (pcscd restarted): try once with a fresh one */
	if ((r == SK_ERR_NO_READER || r == SK_ERR_IO) && pcsc_revive(p) == 0)
		r = sk_pcsc_list_ctx(p->ctx, readers);
	pthread_mutex_unlock(&p->ctxlock);
	return r;
}

static int pcsc_powered(struct pcsc_io *io)
{
	BYTE atr[MAX_ATR_SIZE];
	DWORD state = 0, proto = 0, atrlen = sizeof(atr), rlen = 0;

	if (SCardStatus(io->h, NULL, &rlen, &state, &proto, atr, &atrlen) != SCARD_S_SUCCESS)
		return 1;   /* cannot tell: leave it as it is */
	return (state & SCARD_POWERED) != 0;
}

/* After SCARD_W_RESET_CARD: pick the card up again and restore our transaction. */
static int pcsc_reconnect(struct pcsc_io *io)
{
	LONG rv;

	sk_log(SK_LOG_INFO, "pcsc: card in '%s' was reset by someone else; reconnecting",
	    io->reader);
	rv = SCardReconnect(io->h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
	    SCARD_LEAVE_CARD, &io->proto);
	if (rv != SCARD_S_SUCCESS) {
		sk_log(SK_LOG_WARN, "pcsc: reconnect failed: %s", pcsc_stringify_error(rv));
		return rv == SCARD_W_RESET_CARD ? SK_ERR_CARD_RESET : sk_pcsc_map_error(rv);
	}
	/* A client that left with SCARD_UNPOWER_CARD (pyscard's default: ykman) powered the chip
	 * down under our handle; pcscd does not power it up again for a LEAVE_CARD reconnect, and
	 * until someone does, every new SCardConnect fails "Card Not Powered". Its state is gone
	 * anyway: power it up. */
	if (!pcsc_powered(io)) {
		sk_log(SK_LOG_INFO, "pcsc: card in '%s' was powered down by someone else; powering up",
		    io->reader);
		rv = SCardReconnect(io->h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
		    SCARD_RESET_CARD, &io->proto);
		if (rv != SCARD_S_SUCCESS) {
			sk_log(SK_LOG_WARN, "pcsc: power-up failed: %s", pcsc_stringify_error(rv));
			return sk_pcsc_map_error(rv);
		}
	}
	if (io->in_tx && (rv = SCardBeginTransaction(io->h)) != SCARD_S_SUCCESS) {
		sk_log(SK_LOG_WARN, "pcsc: transaction lost on reset: %s", pcsc_stringify_error(rv));
		io->in_tx = 0;
	}
	return SK_ERR_CARD_RESET;
}

/* Maps rv, reconnecting first on a reset. */
static int pcsc_fail(struct pcsc_io *io, LONG rv, const char *what)
{
	if (rv == SCARD_W_RESET_CARD)
		return pcsc_reconnect(io);
	sk_log(SK_LOG_DEBUG, "pcsc: %s on '%s': %s", what, io->reader, pcsc_stringify_error(rv));
	return sk_pcsc_map_error(rv);
}

/* A transmit that returned no status word: did the chip just leave the field? Some drivers
 * (vpcd among them) answer nothing instead of an error; pcscd may notice the removal a moment
 * later, so wait for it briefly. */
static int pcsc_card_gone(struct pcsc_io *io)
{
	SCARD_READERSTATE st;
	LONG rv;

	memset(&st, 0, sizeof(st));
	st.szReader = io->reader;
	st.dwCurrentState = SCARD_STATE_UNAWARE;
	if (SCardGetStatusChange(io->ctx, 0, &st, 1) != SCARD_S_SUCCESS)
		return 0;
	if (!(st.dwEventState & SCARD_STATE_PRESENT))
		return 1;
	st.dwCurrentState = st.dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
	rv = SCardGetStatusChange(io->ctx, GONE_WAIT_MS, &st, 1);
	return rv == SCARD_S_SUCCESS && !(st.dwEventState & SCARD_STATE_PRESENT);
}

static int pcsc_transmit(void *arg, const uint8_t *cmd, size_t cmdlen, uint8_t *rsp,
    size_t *rsplen)
{
	struct pcsc_io *io = arg;
	const SCARD_IO_REQUEST *pci = io->proto == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
	DWORD rlen = (DWORD)*rsplen;
	LONG rv;

	*rsplen = 0;
	rv = SCardTransmit(io->h, pci, cmd, (DWORD)cmdlen, NULL, rsp, &rlen);
	if (rv != SCARD_S_SUCCESS) {
		/* a chip that just left shows as "not transacted" (or a comm error) until pcscd
		 * notices the removal: callers must see CARD_REMOVED, not an I/O error */
		if ((rv == SCARD_E_NOT_TRANSACTED || rv == SCARD_F_COMM_ERROR) && pcsc_card_gone(io)) {
			sk_log(SK_LOG_DEBUG, "pcsc: card left '%s' during transmit", io->reader);
			return SK_ERR_CARD_REMOVED;
		}
		return pcsc_fail(io, rv, "transmit");
	}
	if (rlen < 2 && pcsc_card_gone(io)) {
		sk_log(SK_LOG_DEBUG, "pcsc: card left '%s' during transmit", io->reader);
		return SK_ERR_CARD_REMOVED;
	}
	*rsplen = (size_t)rlen;
	return 0;
}

static int pcsc_begin(void *arg)
{
	struct pcsc_io *io = arg;
	LONG rv = SCardBeginTransaction(io->h);

	if (rv != SCARD_S_SUCCESS)
		return pcsc_fail(io, rv, "begin transaction");
	io->in_tx = 1;
	return 0;
}

static int pcsc_end(void *arg)
{
	struct pcsc_io *io = arg;
	LONG rv;

	if (!io->in_tx)
		return 0;
	io->in_tx = 0;
	rv = SCardEndTransaction(io->h, SCARD_LEAVE_CARD);
	if (rv != SCARD_S_SUCCESS)
		return pcsc_fail(io, rv, "end transaction");
	return 0;
}

static void pcsc_release(void *arg)
{
	struct pcsc_io *io = arg;

	if (io == NULL)
		return;
	if (io->in_tx)
		(void)SCardEndTransaction(io->h, SCARD_LEAVE_CARD);
	(void)SCardDisconnect(io->h, SCARD_LEAVE_CARD);
	free(io->reader);
	free(io);
}

static const struct sk_card_ops pcsc_ops = {
	.transmit = pcsc_transmit,
	.begin = pcsc_begin,
	.end = pcsc_end,
	.release = pcsc_release,
};

static struct pcsc_io *pcsc_io_of(const struct sk_card *c)
{
	return c != NULL && sk_card_ops(c) == &pcsc_ops ? sk_card_io(c) : NULL;
}

/* T=1 alone first (preferred), then whatever the card and other users allow. */
static LONG pcsc_connect_proto(SCARDCONTEXT ctx, const char *reader, SCARDHANDLE *h, DWORD *proto)
{
	LONG rv = SCardConnect(ctx, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, h, proto);

	if (rv == SCARD_E_PROTO_MISMATCH)
		rv = SCardConnect(ctx, reader, SCARD_SHARE_SHARED,
		    SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, h, proto);
	return rv;
}

int sk_pcsc_connect(struct sk_pcsc *p, const char *reader, struct sk_card **out)
{
	struct pcsc_io *io = NULL;
	LONG rv;
	int r = SK_ERR_NOMEM;

	*out = NULL;
	if (reader == NULL)
		return SK_ERR_ARG;
	if ((io = calloc(1, sizeof(*io))) == NULL || (io->reader = strdup(reader)) == NULL)
		goto out;
	pthread_mutex_lock(&p->ctxlock);
	rv = p->ctx_ok ? pcsc_connect_proto(p->ctx, reader, &io->h, &io->proto) : SCARD_E_NO_SERVICE;
	if (SK_PCSC_SERVICE_LOST(rv) && pcsc_revive(p) == 0)
		rv = pcsc_connect_proto(p->ctx, reader, &io->h, &io->proto);
	io->ctx = p->ctx;
	pthread_mutex_unlock(&p->ctxlock);
	if (rv != SCARD_S_SUCCESS) {
		sk_log(SK_LOG_DEBUG, "pcsc: connect to '%s': %s", reader, pcsc_stringify_error(rv));
		r = sk_pcsc_map_error(rv);
		if (r == SK_ERR_CARD_REMOVED)
			r = SK_ERR_NO_CARD;
		goto out;
	}
	if ((r = sk_card_new(&pcsc_ops, io, out)) != 0) {
		(void)SCardDisconnect(io->h, SCARD_LEAVE_CARD);
		goto out;
	}
	sk_log(SK_LOG_DEBUG, "pcsc: connected to '%s' (T=%d)", reader,
	    io->proto == SCARD_PROTOCOL_T1 ? 1 : 0);
	io = NULL;  /* owned by the card now */
out:
	if (io != NULL) {
		free(io->reader);
		free(io);
	}
	return r;
}

int sk_pcsc_card_atr(struct sk_card *c, uint8_t *atr, size_t *len)
{
	struct pcsc_io *io = pcsc_io_of(c);
	char name[MAX_READERNAME + 1];
	DWORD nlen = sizeof(name), state = 0, proto = 0, alen = MAX_ATR_SIZE;
	uint8_t buf[MAX_ATR_SIZE];
	LONG rv;

	if (io == NULL)
		return SK_ERR_ARG;
	rv = SCardStatus(io->h, name, &nlen, &state, &proto, buf, &alen);
	if (rv != SCARD_S_SUCCESS)
		return pcsc_fail(io, rv, "status");
	if (alen > *len)
		return SK_ERR_TOOBIG;
	memcpy(atr, buf, alen);
	*len = alen;
	return 0;
}

const char *sk_pcsc_card_reader(const struct sk_card *c)
{
	struct pcsc_io *io = pcsc_io_of(c);

	return io != NULL ? io->reader : NULL;
}

int sk_pcsc_card_protocol(const struct sk_card *c)
{
	struct pcsc_io *io = pcsc_io_of(c);

	if (io == NULL)
		return -1;
	return io->proto == SCARD_PROTOCOL_T1 ? 1 : 0;
}
