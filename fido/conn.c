/* conn.c — libskfido's connection to skinkeyd's CTAP command (doc/PROTOCOL.md, FIDO2): the
 * message goes out as the answer to INQUIRE CTAPMSG, the chip's answer comes back as D lines.
 * Cancel = shutting our sending side down: skinkeyd notices it while it waits for the tap or
 * polls 9100 and gives up. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <assuan.h>

#include "client.h"
#include "common/sk_err.h"
#include "fido/fido.h"

struct skfido_conn {
	assuan_context_t ctx;
	int fd;
	volatile sig_atomic_t cancelled;
	int broken;            /* an answer was cut short: the stream holds its rest, never reused */
	char chip[64];
	skfido_status_fn *status;
	void *status_arg;
};

/* one transaction's state: the message to hand over and the answer being gathered */
struct xfer {
	struct skfido_conn *c;
	const uint8_t *msg;
	size_t len;
	uint8_t *rsp;
	size_t max, got;
	int overflow;
};

int skfido_conn_open(struct skfido_conn **out, const char *chipid)
{
	struct skfido_conn *c = NULL;
	assuan_fd_t fds[2];
	int r = SK_ERR_NOMEM;

	*out = NULL;
	if (chipid != NULL && strlen(chipid) >= sizeof(c->chip))
		return SK_ERR_ARG;
	if (chipid != NULL && strpbrk(chipid, " \t\r\n%") != NULL)
		return SK_ERR_ARG;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto out;
	c->fd = -1;
	snprintf(c->chip, sizeof(c->chip), "%s", chipid != NULL ? chipid : "");
	if ((r = skc_connect(&c->ctx)) != 0)
		goto out;
	if (assuan_get_active_fds(c->ctx, 0, fds, 2) >= 1)
		c->fd = (int)fds[0];
	*out = c;
	c = NULL;
	r = 0;
out:
	skfido_conn_free(&c);
	return r;
}

void skfido_conn_free(struct skfido_conn **c)
{
	if (c == NULL || *c == NULL)
		return;
	if ((*c)->ctx != NULL)
		assuan_release((*c)->ctx);
	free(*c);
	*c = NULL;
}

void skfido_conn_set_status(struct skfido_conn *c, skfido_status_fn *fn, void *arg)
{
	c->status = fn;
	c->status_arg = arg;
}

void skfido_conn_cancel(struct skfido_conn *c)
{
	if (c == NULL || c->fd < 0)
		return;
	c->cancelled = 1;
	shutdown(c->fd, SHUT_WR);
}

static gpg_error_t on_data(void *arg, const void *p, size_t n)
{
	struct xfer *x = arg;

	if (n > x->max - x->got) {
		x->overflow = 1;
		return gpg_error(GPG_ERR_TOO_LARGE);
	}
	memcpy(x->rsp + x->got, p, n);
	x->got += n;
	return 0;
}

static gpg_error_t on_inquire(void *arg, const char *line)
{
	struct xfer *x = arg;

	if (strncmp(line, "CTAPMSG", 7) != 0 || x->msg == NULL)
		return gpg_error(GPG_ERR_ASS_UNKNOWN_INQUIRE);
	return assuan_send_data(x->c->ctx, x->msg, x->len);
}

static gpg_error_t on_status(void *arg, const char *line)
{
	struct xfer *x = arg;
	char kw[32];
	size_t k = strcspn(line, " ");

	if (x->c->status == NULL || k == 0 || k >= sizeof(kw))
		return 0;
	memcpy(kw, line, k);
	kw[k] = '\0';
	x->c->status(x->c->status_arg, kw, line[k] ? line + k + 1 : "");
	return 0;
}

static int transact(struct skfido_conn *c, const char *opt, struct xfer *x)
{
	char cmd[128];
	gpg_error_t e;
	int r;

	if (c->broken || c->cancelled)
		return c->cancelled ? SK_ERR_CANCELED : SK_ERR_PROTO;
	snprintf(cmd, sizeof(cmd), "CTAP%s%s%s", opt, c->chip[0] ? " " : "", c->chip);
	e = assuan_transact(c->ctx, cmd, on_data, x, on_inquire, x, on_status, x);
	if (x->overflow) {
		c->broken = 1;     /* the rest of that answer is still on its way */
		return SK_ERR_TOOBIG;
	}
	if (e == 0)
		return 0;
	r = skc_err_from_gpg(e);
	/* after our own shutdown the exchange may also end as a broken connection */
	return c->cancelled ? SK_ERR_CANCELED : r;
}

int skfido_conn_version(struct skfido_conn *c, char *ver, size_t n)
{
	struct xfer x = { c, NULL, 0, (uint8_t *)ver, n > 0 ? n - 1 : 0, 0, 0 };
	int r;

	if (n == 0)
		return SK_ERR_ARG;
	ver[0] = '\0';
	if ((r = transact(c, " --select", &x)) != 0)
		return r;
	ver[x.got] = '\0';
	return 0;
}

int skfido_conn_xfer(struct skfido_conn *c, enum skfido_kind kind, const uint8_t *msg, size_t len,
    uint8_t *rsp, size_t max, size_t *rlen)
{
	struct xfer x = { c, msg, len, rsp, max, 0, 0 };
	int r;

	*rlen = 0;
	if (msg == NULL || len == 0 || len > SKFIDO_MSG_MAX)
		return SK_ERR_ARG;
	if ((r = transact(c, kind == SKFIDO_U2F ? " --u2f" : "", &x)) != 0)
		return r;
	*rlen = x.got;
	return 0;
}
