/* sim_vpcd.c — TCP client of vsmartcard's vpcd (pcscd's virtual reader driver). Frames are a
 * two-byte big-endian length then the payload. Connected = the chip is in the field. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "sim_core.h"
#include "sim_link.h"

int sim_vpcd_parse_addr(struct sim_vpcd *v, const char *hostport)
{
	const char *colon = strrchr(hostport, ':');
	size_t hl;

	if (colon == NULL || colon == hostport)
		return -1;
	hl = (size_t)(colon - hostport);
	if (hl >= sizeof(v->host) || strlen(colon + 1) == 0 || strlen(colon + 1) >= sizeof(v->port))
		return -1;
	memcpy(v->host, hostport, hl);
	v->host[hl] = '\0';
	snprintf(v->port, sizeof(v->port), "%s", colon + 1);
	return 0;
}

static void tune(int fd)
{
	struct timeval tv = { 5, 0 };
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* a half-written frame must not wedge the card forever */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int sim_vpcd_connect(struct sim_vpcd *v)
{
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1;

	if (v->fd >= 0)
		return 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(v->host, v->port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol)) < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);   /* vpcd not listening yet: the caller retries quietly */
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return -1;
	tune(fd);
	v->fd = fd;
	return 0;
}

void sim_vpcd_close(struct sim_vpcd *v)
{
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
}

static int read_full(int fd, uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = recv(fd, p, n, 0);
		int one = 1;

		/* vpcd writes a frame's length and its payload separately: with our ACK delayed,
		 * Nagle holds the payload back ~40 ms per APDU. Acknowledge at once (the option
		 * does not stick, so it is set again after every read). */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int sim_vpcd_recv(struct sim_vpcd *v, uint8_t *buf, size_t *len)
{
	uint8_t hdr[2];
	size_t n;

	*len = 0;
	if (v->fd < 0 || read_full(v->fd, hdr, 2) != 0)
		return -1;
	n = (size_t)hdr[0] << 8 | hdr[1];
	if (n == 0) {
		sim_log("vpcd: empty frame, dropping the link");
		return -1;
	}
	if (read_full(v->fd, buf, n) != 0) {
		sim_log("vpcd: frame of %zu bytes cut short", n);
		return -1;
	}
	*len = n;
	return 0;
}

int sim_vpcd_send(struct sim_vpcd *v, const uint8_t *p, size_t n)
{
	uint8_t hdr[2];

	if (v->fd < 0 || n > SIM_FRAME_MAX)
		return -1;
	hdr[0] = (uint8_t)(n >> 8);
	hdr[1] = (uint8_t)n;
	if (send(v->fd, hdr, 2, MSG_NOSIGNAL | MSG_MORE) != 2)
		return -1;
	while (n > 0) {
		ssize_t k = send(v->fd, p, n, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}
