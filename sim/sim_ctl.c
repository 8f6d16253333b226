/* sim_ctl.c — the control socket (unix stream, one command line per connection, a text
 * answer, then close) and the `skinkey-sim ctl` client. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "sim_core.h"
#include "sim_link.h"

static int make_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -1;
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

/* 1 when another simulator answers on path */
static int someone_listens(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return 0;
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return r;
}

/* The socket is created 0600 through the umask: no chmod by path that a symlink could redirect. */
static int bind_private(int fd, const struct sockaddr_un *sa)
{
	mode_t old = umask(0177);
	int r = bind(fd, (const struct sockaddr *)sa, sizeof(*sa));

	umask(old);
	return r;
}

int sim_ctl_listen(const char *path)
{
	struct sockaddr_un sa;
	int fd = -1;

	if (make_addr(path, &sa) != 0) {
		fprintf(stderr, "skinkey-sim: control socket path too long: %s\n", path);
		return -1;
	}
	if (someone_listens(&sa)) {
		fprintf(stderr, "skinkey-sim: another simulator already runs on %s\n", path);
		return -1;
	}
	(void)unlink(path);   /* stale socket of a dead simulator */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 || bind_private(fd, &sa) != 0 ||
	    listen(fd, 8) != 0) {
		fprintf(stderr, "skinkey-sim: cannot listen on %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int read_line(int fd, char *line, size_t linelen)
{
	size_t got = 0;

	while (got + 1 < linelen) {
		ssize_t k = recv(fd, line + got, 1, 0);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		if (line[got] == '\n')
			break;
		got++;
	}
	line[got] = '\0';
	return got > 0 ? 0 : -1;
}

int sim_ctl_accept(int lfd, char *line, size_t linelen)
{
	struct timeval tv = { 2, 0 };
	int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (cfd < 0)
		return -1;
	(void)setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(cfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (read_line(cfd, line, linelen) != 0) {
		sim_log("ctl: client sent no command");
		close(cfd);
		return -1;
	}
	return cfd;
}

void sim_ctl_reply(int cfd, const char *text)
{
	size_t n = strlen(text);

	while (n > 0) {
		ssize_t k = send(cfd, text, n, MSG_NOSIGNAL);

		if (k <= 0)
			break;
		text += k;
		n -= (size_t)k;
	}
	close(cfd);
}

int sim_ctl_client(const char *path, const char *cmdline)
{
	struct sockaddr_un sa;
	char buf[4096];
	int fd = -1, rc = 1, err = 0, first = 1;
	ssize_t k;

	if (make_addr(path, &sa) != 0) {
		fprintf(stderr, "skinkey-sim: control socket path too long: %s\n", path);
		return 2;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "skinkey-sim: no simulator is running on %s (%s); start one with "
		    "`skinkey-sim run`\n", path, strerror(errno));
		goto out;
	}
	if (send(fd, cmdline, strlen(cmdline), MSG_NOSIGNAL) < 0 || send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "skinkey-sim: cannot send to %s: %s\n", path, strerror(errno));
		goto out;
	}
	rc = 0;
	while ((k = recv(fd, buf, sizeof(buf), 0)) > 0) {
		if (first && k >= 5 && memcmp(buf, "error", 5) == 0)
			err = 1;
		first = 0;
		fwrite(buf, 1, (size_t)k, err ? stderr : stdout);
	}
	if (err)
		rc = 1;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}
