/* sshag_serve.c — one ssh-agent connection: length-prefixed frames in, replies out. A frame
 * over SSHAG_MAX_FRAME, a malformed message or a peer that stalls inside a frame ends this
 * connection only. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "sk_err.h"
#include "sshag.h"

/* Once a frame has started, the rest must arrive within this time. Between frames a client
 * may stay idle as long as it likes (ssh keeps its agent connection for the session), but its
 * first frame must come within SSHAG_FIRST_FRAME_MS: a connection that never asks for anything
 * would hold a descriptor forever (ssh asks at once). */
#define SSHAG_FRAME_TIMEOUT_MS 10000
#define SSHAG_FIRST_FRAME_MS 10000

/* Reads exactly n bytes. idle_ok: the first byte may take idle_ms (-1: forever; 0 = EOF is
 * clean). */
static int read_full(int fd, uint8_t *p, size_t n, int idle_ok, int idle_ms)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int timeout = (idle_ok && got == 0) ? idle_ms : SSHAG_FRAME_TIMEOUT_MS;
		int pr = poll(&pfd, 1, timeout);
		ssize_t k;

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return SK_ERR_IO;
		if (pr == 0) {
			/* debug: a peer can cause this at will, 10,000 times */
			sk_log(SK_LOG_DEBUG, "ssh-agent: client %s; closing", got == 0 ?
			    "sent no request in time" : "stalled inside a frame");
			return SK_ERR_TIMEOUT;
		}
		k = read(fd, p + got, n - got);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k < 0)
			return SK_ERR_IO;
		if (k == 0)
			return got == 0 && idle_ok ? SK_ERR_CANCELED : SK_ERR_PROTO;
		got += (size_t)k;
	}
	return 0;
}

static int write_full(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return SK_ERR_IO;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int sshag_serve_fd(int fd, struct sshag_state *st, const struct sshag_backend *be, void *arg)
{
	uint8_t hdr[4];
	uint8_t *msg = NULL;
	struct sk_buf *reply = NULL;
	uint32_t len;
	int r;

	if ((reply = sk_buf_new(SSHAG_MAX_FRAME + 4)) == NULL)
		return SK_ERR_NOMEM;
	for (int frames = 0;; frames++) {
		if ((r = read_full(fd, hdr, sizeof(hdr), 1, frames == 0 ? SSHAG_FIRST_FRAME_MS : -1)) != 0) {
			if (r == SK_ERR_CANCELED)
				r = 0;   /* clean EOF between frames */
			break;
		}
		len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
		if (len == 0 || len > SSHAG_MAX_FRAME) {
			sk_log(SK_LOG_WARN, "ssh-agent: frame of %u bytes refused (cap %u); closing",
			    len, SSHAG_MAX_FRAME);
			r = SK_ERR_TOOBIG;
			break;
		}
		if ((msg = malloc(len)) == NULL) {
			r = SK_ERR_NOMEM;
			break;
		}
		if ((r = read_full(fd, msg, len, 0, 0)) != 0)
			break;
		sk_buf_reset(reply);
		r = sshag_handle(st, be, arg, msg, len, reply);
		free(msg);
		msg = NULL;
		if (write_full(fd, sk_buf_ptr(reply), sk_buf_len(reply)) != 0) {
			r = SK_ERR_IO;
			break;
		}
		if (r == SK_ERR_PROTO) {
			sk_log(SK_LOG_WARN, "ssh-agent: malformed request; closing that connection");
			break;
		}
		r = 0;
	}
	free(msg);
	sk_buf_free(&reply);
	return r;
}
