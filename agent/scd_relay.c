/* scd_relay.c — skinkey-scd: what gpg-agent runs as scdaemon-program (`--multi-server`).
 * Connects to skinkeyd (starting it when needed) and copies the Assuan byte stream both ways
 * between stdin/stdout and the socket, so every gpg-agent shares the one daemon that owns the
 * card. GETINFO socket_name therefore names skinkeyd's socket. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "sk_config.h"

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* 1 when data was copied, 0 at EOF, -1 on error. */
static int copy_once(int from, int to)
{
	char buf[8192];   /* carries PINs (NEEDPIN answers) and session keys (PKDECRYPT) */
	ssize_t k;
	int r;

	do
		k = read(from, buf, sizeof(buf));
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return -1;
	if (k == 0)
		return 0;
	r = write_all(to, buf, (size_t)k) == 0 ? 1 : -1;
	sk_wipe(buf, (size_t)k);
	return r;
}

static int relay(int sock)
{
	struct pollfd p[2] = { { STDIN_FILENO, POLLIN, 0 }, { sock, POLLIN, 0 } };

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (copy_once(STDIN_FILENO, sock) <= 0) {
				shutdown(sock, SHUT_WR);
				/* drain the daemon's last answer, then stop */
				while (copy_once(sock, STDOUT_FILENO) > 0)
					;
				return 0;
			}
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (copy_once(sock, STDOUT_FILENO) <= 0)
				return 0;
		}
	}
}

int main(int argc, char **argv)
{
	int sock = -1, r;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--version") == 0) {
			printf("skinkey-scd (skinkey) %s\n", SK_VERSION);
			return 0;
		}
		/* --multi-server, --server, --daemon and scdaemon's other options: the relay behaves
		 * the same for all of them (gpg-agent talks on stdin/stdout). */
	}
	if (sk_process_harden() != 0)   /* no core dump, no ptrace: PINs pass through here */
		return 1;
	signal(SIGPIPE, SIG_IGN);
	if ((r = skc_connect_fd(&sock)) != 0) {
		fprintf(stderr, "skinkey-scd: cannot reach skinkeyd: %s\n", skc_strerror(r));
		/* speak Assuan so gpg-agent shows a reason instead of a broken pipe */
		printf("ERR %u skinkeyd not reachable <SCD>\n",
		    (unsigned)gpg_err_make(GPG_ERR_SOURCE_SCD, GPG_ERR_NO_SCDAEMON));
		return 1;
	}
	r = relay(sock);
	close(sock);
	return r == 0 ? 0 : 1;
}
