/* server.c — one Assuan server per connection: socket peers (a thread each) or stdin/stdout
 * (--server, --multi-server). Registers every command table and offers the reply helpers. */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "event.h"
#include "sk_config.h"
#include "skd_int.h"
#include "notify.h"
#include "pinentry.h"

#define SKD_PIN_MAXLEN 100

static atomic_int n_conns;
static atomic_ulong conn_ids;

int skd_conn_count(void)
{
	return atomic_load(&n_conns);
}

struct skd_conn *skd_conn_get(assuan_context_t ctx)
{
	return assuan_get_pointer(ctx);
}

assuan_context_t skd_conn_ctx(struct skd_conn *c)
{
	return c->ctx;
}

const char *skd_conn_chip(const struct skd_conn *c)
{
	return c->chip;
}

void skd_conn_set_chip(struct skd_conn *c, const char *chipid)
{
	snprintf(c->chip, sizeof(c->chip), "%s", chipid ? chipid : "");
}

void skd_conn_not_idle_counted(struct skd_conn *c)
{
	if (c == NULL || c->uncounted || c->pipe_mode)
		return;
	c->uncounted = 1;
	skd_clients_left(atomic_fetch_sub(&n_conns, 1) - 1);
}

int skd_conn_hungup(struct skd_conn *c)
{
	struct pollfd p = { c->peer_fd, POLLIN | POLLRDHUP, 0 };
	char b;

	if (c->peer_fd < 0 || poll(&p, 1, 0) <= 0)
		return 0;
	if (p.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL))
		return 1;
	if (c->pipe_mode)
		return 0;
	/* readable: either a pipelined command (not a cancel) or the end of the stream */
	return recv(c->peer_fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

int skd_conn_setdata(struct skd_conn *c, const uint8_t *p, size_t n)
{
	uint8_t *d;

	if (n > SIZE_MAX - c->datalen || c->datalen + n > 65536)
		return SK_ERR_TOOBIG;
	if ((d = malloc(c->datalen + n + 1)) == NULL)
		return SK_ERR_NOMEM;
	if (c->datalen)
		memcpy(d, c->data, c->datalen);
	memcpy(d + c->datalen, p, n);
	sk_freezero(c->data, c->datalen);
	c->data = d;
	c->datalen += n;
	return 0;
}

void skd_conn_cleardata(struct skd_conn *c)
{
	sk_freezero(c->data, c->datalen);
	c->data = NULL;
	c->datalen = 0;
}

gpg_error_t skd_gpg_err(int sk_err)
{
	return skc_err_to_gpg(sk_err);
}

gpg_error_t skd_fail(assuan_context_t ctx, int sk_err, const char *what)
{
	struct skd_conn *c = ctx ? skd_conn_get(ctx) : NULL;

	sk_info("conn %lu: %s: %s", c ? c->id : 0ul, what, sk_strerror(sk_err));
	if (ctx == NULL)
		return skd_gpg_err(sk_err);
	/* the refusal says why in the ERR line: "Not operational" alone would not */
	return assuan_set_error(ctx, skd_gpg_err(sk_err),
	    sk_err == SK_ERR_UNRECORDED ? sk_strerror(sk_err) : what);
}

gpg_error_t skd_status(assuan_context_t ctx, const char *keyword, const char *fmt, ...)
{
	char text[1000];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(text))
		return gpg_error(GPG_ERR_TOO_LARGE);
	return assuan_write_status(ctx, keyword, text);
}

gpg_error_t skd_send_data(assuan_context_t ctx, const void *p, size_t n)
{
	gpg_error_t e;

	if ((e = assuan_send_data(ctx, p, n)) != 0)
		return e;
	return assuan_send_data(ctx, NULL, 0);   /* flush */
}

void skd_pin_free(char **pin)
{
	if (pin == NULL || *pin == NULL)
		return;
	sk_secure_free(*pin);
	*pin = NULL;
}

static int inquire_pin(struct skd_conn *c, const char *prompt, char **pin)
{
	unsigned char *val = NULL;
	size_t len = 0;
	char *line = NULL;
	gpg_error_t e;
	int r = SK_ERR_NOMEM;

	if (asprintf(&line, "NEEDPIN %s", prompt) < 0) {
		line = NULL;
		goto out;
	}
	assuan_begin_confidential(c->ctx);
	e = skd_inquire(c->ctx, line, &val, &len, SKD_PIN_MAXLEN);
	assuan_end_confidential(c->ctx);
	if (e != 0) {
		r = gpg_err_code(e) == GPG_ERR_ASS_TOO_MUCH_DATA ? SK_ERR_PIN_FORMAT :
		    gpg_err_code(e) == GPG_ERR_TIMEOUT ? SK_ERR_TIMEOUT :
		    gpg_err_code(e) == GPG_ERR_CARD_REMOVED ? SK_ERR_CARD_REMOVED : SK_ERR_CANCELED;
		sk_info("conn %lu: the client gave no PIN (%s)", c->id, gpg_strerror(e));
		goto out;
	}
	/* gpg-agent sends the PIN with a trailing NUL and padding (scdaemon requires the NUL);
	 * other clients may send the bare PIN: the PIN ends at the first NUL either way. */
	len = strnlen((const char *)val, len);
	if (len == 0) {
		r = SK_ERR_CANCELED;
		goto out;
	}
	if ((*pin = sk_secure_alloc(len + 1)) == NULL)
		goto out;
	memcpy(*pin, val, len);
	r = 0;
out:
	if (val != NULL) {
		sk_wipe(val, len);
		free(val);
	}
	free(line);
	return r;
}

static const char *pinentry_desc(const char *chipid, int pinref)
{
	static __thread char desc[160];

	snprintf(desc, sizeof(desc), "skinkey: enter the %s of chip %s (tap the chip first)",
	    pinref == 0x83 ? "Admin PIN" : "PIN", chipid);
	return desc;
}

int skd_pin_obtain(struct skd_conn *c, const char *chipid, int pinref, const char *prompt,
    char **pin, int *cached)
{
	*pin = NULL;
	*cached = 0;
	if ((*pin = skd_pincache_get(chipid, pinref)) != NULL) {
		*cached = 1;
		return 0;
	}
	if (c == NULL) {   /* no client to INQUIRE (the ssh-agent socket): ask pinentry */
		struct skd_card *held = skd_card_suspend();   /* others go on meanwhile */
		int r = skd_pinentry_getpin(skd_config.pinentry_program,
		    pinentry_desc(chipid, pinref), "PIN:", skd_config.tap_timeout_ms / 1000 > 0 ?
		    skd_config.tap_timeout_ms / 1000 : 60, pin);
		int back = skd_card_resume(held);

		if (r == 0 && back != 0) {
			skd_pin_free(pin);
			r = back;
		}
		return r;
	}
	return inquire_pin(c, prompt, pin);
}

/* A connection waiting for a tap is told so (gpg-agent shows it; scdaemon's PROGRESS form). */
static int on_tap_wanted(const struct skd_event *ev, void *arg)
{
	(void)arg;
	if (ev->conn != NULL)
		skd_status(skd_conn_ctx(ev->conn), "PROGRESS", "tap ? 0 %d", ev->tap_timeout_s);
	return 0;
}

int skd_server_events_init(void)
{
	return skd_event_subscribe(SKD_EV_MASK(SKD_EV_TAP_WANTED), on_tap_wanted, NULL);
}

static gpg_error_t option_handler(assuan_context_t ctx, const char *key, const char *value)
{
	(void)ctx;
	sk_debug("OPTION %s=%s", key, value);
	if (strcmp(key, "skinkey-notify") == 0 && skd_notify_option(value) != 0)
		return gpg_error(GPG_ERR_INV_VALUE);
	return 0;   /* scdaemon accepts and ignores options it does not know (event-signal, ...) */
}

static gpg_error_t reset_notify(assuan_context_t ctx, char *line)
{
	(void)line;
	skd_conn_cleardata(skd_conn_get(ctx));
	return 0;
}

static int register_all(assuan_context_t ctx)
{
	for (size_t t = 0; skd_cmd_tables[t] != NULL; t++)
		for (const struct skd_cmd *cmd = skd_cmd_tables[t]; cmd->name != NULL; cmd++)
			if (assuan_register_command(ctx, cmd->name, cmd->handler, cmd->help) != 0) {
				sk_error("cannot register command %s", cmd->name);
				return SK_ERR_INTERNAL;
			}
	if (assuan_register_option_handler(ctx, option_handler) != 0 ||
	    assuan_register_reset_notify(ctx, reset_notify) != 0)
		return SK_ERR_INTERNAL;
	return 0;
}

/* A socket peer must start its first command within this time (clients send theirs at once):
 * connections that never say anything would otherwise hold descriptors forever. A poll() on
 * the fresh connection only: no timer exists once something has arrived. */
#define SKD_FIRST_CMD_MS 10000

/* 1 when the peer sent something (or hung up) within the first-command deadline. */
static int first_bytes(struct skd_conn *c)
{
	struct pollfd p = { c->peer_fd, POLLIN, 0 };
	int n;

	while ((n = poll(&p, 1, SKD_FIRST_CMD_MS)) < 0 && errno == EINTR)
		;
	return n != 0;
}

static int serve_loop(struct skd_conn *c)
{
	static struct skd_ratelimit rl_accept = SKD_RATELIMIT_INIT, rl_idle = SKD_RATELIMIT_INIT;
	unsigned dropped;
	gpg_error_t e;

	for (;;) {
		if ((e = assuan_accept(c->ctx)) == (gpg_error_t)-1)
			break;
		if (e != 0) {
			/* a peer that connects and leaves at once: 10,000 of them must not be 10,000
			 * lines */
			if (skd_ratelimit(&rl_accept, &dropped))
				sk_info("conn %lu: accept: %s%s", c->id, gpg_strerror(e),
				    dropped ? " (more such connections not logged)" : "");
			break;
		}
		if (!c->pipe_mode && !first_bytes(c)) {
			if (skd_ratelimit(&rl_idle, &dropped))
				sk_info("conn %lu: no command within %d s: closed%s", c->id,
				    SKD_FIRST_CMD_MS / 1000,
				    dropped ? " (more such connections not logged)" : "");
			break;
		}
		if ((e = assuan_process(c->ctx)) != 0) {
			sk_debug("conn %lu: ended: %s", c->id, gpg_strerror(e));
			break;
		}
	}
	return 0;
}

/* libassuan 2.5.5 (Debian 12) grows a context's command table by 10 entries but records 50
 * more (assuan_register_command; fixed upstream later), so past 60 commands (ours plus its own
 * NOP, BYE, HELP, ...) it writes beyond the block. Every realloc it makes gets five times the
 * room asked for, which covers the size it records. */
static void *assuan_realloc_roomy(void *p, size_t n)
{
	return realloc(p, n > SIZE_MAX / 5 ? n : n * 5);
}

static struct assuan_malloc_hooks assuan_hooks = { malloc, assuan_realloc_roomy, free };

static gpg_error_t new_ctx(assuan_context_t *ctx)
{
	assuan_log_cb_t cb = NULL;
	void *cb_data = NULL;

	assuan_get_log_cb(&cb, &cb_data);
	return assuan_new_ext(ctx, assuan_get_gpg_err_source(), &assuan_hooks, cb, cb_data);
}

static int serve(int fd)
{
	assuan_fd_t stdio_fds[2] = { STDIN_FILENO, STDOUT_FILENO };
	struct skd_conn c;
	gpg_error_t e;
	int r = SK_ERR_INTERNAL;

	memset(&c, 0, sizeof(c));
	c.id = atomic_fetch_add(&conn_ids, 1) + 1;
	c.pipe_mode = fd < 0;
	c.peer_fd = fd < 0 ? STDIN_FILENO : fd;
	atomic_fetch_add(&n_conns, 1);
	skd_notify_client(fd);   /* who the client is, for "tap your implant" notifications */
	if (new_ctx(&c.ctx) != 0) {
		r = SK_ERR_NOMEM;
		goto out;
	}
	if (fd < 0)
		e = assuan_init_pipe_server(c.ctx, stdio_fds);
	else
		e = assuan_init_socket_server(c.ctx, fd, ASSUAN_SOCKET_SERVER_ACCEPTED);
	if (e != 0) {
		sk_error("cannot start an Assuan server: %s", gpg_strerror(e));
		goto out;
	}
	if (fd >= 0) {
		struct ucred cr;
		socklen_t crlen = sizeof(cr);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) == 0 && crlen == sizeof(cr))
			skd_event_set_peer((int)cr.pid);   /* the client named in this thread's events */
	}
	fd = -1;   /* owned by the context now */
	assuan_set_pointer(c.ctx, &c);
	assuan_set_hello_line(c.ctx, "skinkeyd " SK_VERSION " ready");
	if ((r = register_all(c.ctx)) != 0)
		goto out;
	sk_debug("conn %lu: open", c.id);
	r = serve_loop(&c);
out:
	skd_conn_cleardata(&c);
	if (c.ctx != NULL)
		assuan_release(c.ctx);
	if (fd >= 0)
		close(fd);
	if (!c.uncounted)
		skd_clients_left(atomic_fetch_sub(&n_conns, 1) - 1);
	return r;
}

int skd_serve_fd(int fd)
{
	return serve(fd);
}

int skd_serve_pipe(void)
{
	return serve(-1);
}
