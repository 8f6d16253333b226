/* transport.c — libfido2's custom transport over skinkeyd (fido_dev_set_transport_functions):
 * tx() keeps the message, rx() makes the CTAP transaction and hands the answer back, so the
 * whole exchange (tap wait included) happens under rx's caller. CTAPHID INIT has no NFC
 * equivalent: it is answered from the applet's SELECT answer as libfido2's own NFC transport
 * does (FIDO_2_0 -> CBOR without MSG, U2F_V2 -> MSG only). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "common/sk_err.h"
#include "fido/fido.h"

#include <fido/param.h>

#define NONCE_LEN 8
#define INIT_LEN 17      /* nonce 8, cid 4, protocol, major, minor, build, flags */

struct dev_io {
	struct skfido_conn *conn;
	uint8_t nonce[NONCE_LEN];
	uint8_t cmd;             /* the pending command (0 = none) */
	uint8_t *msg;
	size_t len;
	volatile sig_atomic_t busy;
	int last_err;
	skfido_status_fn *status;
	void *status_arg;
};

/* why the last io_open of this thread failed (a dev without handle cannot keep it) */
static __thread int open_err;

static void clear_msg(struct dev_io *h)
{
	if (h->msg != NULL) {
		explicit_bzero(h->msg, h->len);   /* clientPIN messages carry encrypted PINs */
		free(h->msg);
	}
	h->msg = NULL;
	h->len = 0;
	h->cmd = 0;
}

static void *io_open(const char *path)
{
	struct dev_io *h;
	size_t k = strlen(SKFIDO_PATH_PREFIX);

	if (path == NULL || strncmp(path, SKFIDO_PATH_PREFIX, k) != 0)
		return NULL;
	open_err = SK_ERR_NOMEM;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	if ((open_err = skfido_conn_open(&h->conn, path + k)) != 0) {
		free(h);
		return NULL;
	}
	return h;
}

static void io_close(void *arg)
{
	struct dev_io *h = arg;

	if (h == NULL)
		return;
	clear_msg(h);
	skfido_conn_free(&h->conn);
	free(h);
}

/* the transport functions replace these; libfido2 wants them set all the same */
static int io_read(void *h, unsigned char *p, size_t n, int ms)
{
	(void)h; (void)p; (void)n; (void)ms;
	return -1;
}

static int io_write(void *h, const unsigned char *p, size_t n)
{
	(void)h; (void)p; (void)n;
	return -1;
}

static int tx(fido_dev_t *d, uint8_t cmd, const unsigned char *buf, size_t n)
{
	struct dev_io *h = fido_dev_io_handle(d);

	if (h == NULL)
		return -1;
	if (cmd == CTAP_CMD_CANCEL) {
		if (h->busy)
			skfido_conn_cancel(h->conn);
		return 0;
	}
	clear_msg(h);
	if (cmd == CTAP_CMD_INIT) {
		if (n != NONCE_LEN)
			return -1;
		memcpy(h->nonce, buf, NONCE_LEN);
	} else if (cmd == CTAP_CMD_CBOR || cmd == CTAP_CMD_MSG) {
		if (n == 0 || n > SKFIDO_MSG_MAX || (h->msg = malloc(n)) == NULL)
			return -1;
		memcpy(h->msg, buf, n);
		h->len = n;
	} else {
		return -1;     /* PING, WINK, LOCK: nothing to relay them to */
	}
	h->cmd = cmd;
	return 0;
}

static int rx_init(struct dev_io *h, unsigned char *buf, size_t n)
{
	char ver[16];
	uint8_t flags;

	if (n != INIT_LEN)
		return -1;
	if ((h->last_err = skfido_conn_version(h->conn, ver, sizeof(ver))) != 0)
		return -1;
	if (strcmp(ver, "FIDO_2_0") == 0)
		flags = FIDO_CAP_CBOR | FIDO_CAP_NMSG;
	else if (strcmp(ver, "U2F_V2") == 0)
		flags = 0;
	else
		return -1;
	memset(buf, 0, n);
	memcpy(buf, h->nonce, NONCE_LEN);
	buf[NONCE_LEN + 3] = 1;     /* any non-broadcast channel id */
	buf[NONCE_LEN + 4] = 2;     /* CTAPHID protocol version */
	buf[INIT_LEN - 1] = flags;
	return (int)n;
}

static void on_status(void *arg, const char *kw, const char *rest)
{
	struct dev_io *h = arg;

	if (h->status != NULL)
		h->status(h->status_arg, kw, rest);
}

static int rx(fido_dev_t *d, uint8_t cmd, unsigned char *buf, size_t n, int ms)
{
	struct dev_io *h = fido_dev_io_handle(d);
	size_t got = 0;
	int r = -1;

	(void)ms;   /* skinkeyd's tap-timeout bounds the wait */
	if (h == NULL || cmd != h->cmd)
		goto out;
	if (cmd == CTAP_CMD_INIT) {
		r = rx_init(h, buf, n);
		goto out;
	}
	skfido_conn_set_status(h->conn, on_status, h);
	h->busy = 1;
	h->last_err = skfido_conn_xfer(h->conn, cmd == CTAP_CMD_MSG ? SKFIDO_U2F : SKFIDO_CBOR,
	    h->msg, h->len, buf, n, &got);
	h->busy = 0;
	if (h->last_err == 0 && got <= INT32_MAX)
		r = (int)got;
out:
	if (h != NULL)
		clear_msg(h);
	return r;
}

static const fido_dev_io_t skfido_io = { io_open, io_close, io_read, io_write };
static const fido_dev_transport_t skfido_transport = { rx, tx };

int skfido_dev_setup(fido_dev_t *dev)
{
	int r;

	if ((r = fido_dev_set_io_functions(dev, &skfido_io)) != FIDO_OK)
		return r;
	return fido_dev_set_transport_functions(dev, &skfido_transport);
}

fido_dev_t *skfido_dev_new(void)
{
	fido_dev_t *dev = fido_dev_new();

	if (dev != NULL && skfido_dev_setup(dev) != FIDO_OK)
		fido_dev_free(&dev);
	return dev;
}

void skfido_dev_cancel(fido_dev_t *dev)
{
	struct dev_io *h = dev != NULL ? fido_dev_io_handle(dev) : NULL;

	if (h != NULL)
		skfido_conn_cancel(h->conn);
}

void skfido_dev_set_status(fido_dev_t *dev, skfido_status_fn *fn, void *arg)
{
	struct dev_io *h = dev != NULL ? fido_dev_io_handle(dev) : NULL;

	if (h == NULL)
		return;
	h->status = fn;
	h->status_arg = arg;
}

int skfido_dev_last_error(const fido_dev_t *dev)
{
	const struct dev_io *h = dev != NULL ? fido_dev_io_handle(dev) : NULL;

	return h != NULL ? h->last_err : open_err;
}
