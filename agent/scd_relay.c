/* scd_relay.c — skinkey-scd: what gpg-agent runs as scdaemon-program (`--multi-server`).
 * Connects to skinkeyd (starting it when needed) and relays the Assuan conversation line by line
 * between stdin/stdout and the socket, so every gpg-agent shares the one daemon that owns the
 * card. GETINFO socket_name therefore names skinkeyd's socket.
 *
 * gpg-agent keeps its scdaemon for its whole life, skinkeyd may not (restart, idle exit, crash):
 * when skinkeyd goes away the relay connects again (autostarting it) and replays what the
 * connection's state was made of (OPTIONs, the last SERIALNO, pending SETDATA), so gpg never sees
 * a broken pipe. A command in flight is sent again only when it is a read or a signature and
 * skinkeyd had answered nothing for it (no INQUIRE: no PIN was given, none is given twice);
 * otherwise gpg-agent gets an ERR that says skinkeyd stopped.
 *
 * gpg-agent opens more connections to its scdaemon while the first is busy (two gpg clients at
 * once, or the first one's cleanup not done yet): it asks GETINFO socket_name once and connects
 * there. That socket is the relay's own, S.scd.<pid> beside skinkeyd's, and each connection to
 * it is relayed by a forked copy of the relay with the same reconnect rules. Naming skinkeyd's
 * socket instead would fail those connections whenever skinkeyd is not running (idle exit, a
 * restart), since nothing would start it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "sk_config.h"

#define LINE_CAP (ASSUAN_LINELENGTH + 2)
#define REPLY_MS 10000         /* greeting and replayed commands of a fresh connection */
#define MAX_OPTS 16
#define MAX_SETDATA 8

struct lbuf {
	char b[LINE_CAP];
	size_t len;
};

struct relay {
	int in_fd, out_fd;         /* gpg-agent's side: stdin/stdout, or an extra connection */
	int sock;                  /* -1: no connection; the next command connects again */
	struct lbuf in, out;       /* partial lines from gpg-agent / from skinkeyd */
	char cmd[LINE_CAP];        /* the command in flight */
	size_t cmd_len;
	int pending;               /* cmd sent, its OK/ERR not seen yet */
	int answered;              /* skinkeyd sent INQUIRE or D for it: never sent twice */
	int inquiring;             /* an INQUIRE went to gpg-agent; its END/CAN not seen yet */
	int drop_inquiry;          /* skinkeyd died mid-inquiry: swallow gpg-agent's D/END */
	int closing;               /* BYE or KILLSCD sent: skinkeyd's EOF ends the relay */
	char *opts[MAX_OPTS];      /* state replayed on a new connection */
	int nopts;
	char *serialno;
	char *setdata[MAX_SETDATA];
	int nsetdata;
};

/* The extra-connection socket (GETINFO socket_name): its path ("" when there is none), and
 * the listening fd in the first relay (-1 in the forked ones). */
static char extra_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static struct relay primary;   /* gpg-agent's pipe (a forked relay drops its copy at once) */
static int extra_fd = -1;
static volatile sig_atomic_t child_exited;

static void line_free(char **p)
{
	if (*p != NULL) {
		sk_wipe(*p, strlen(*p));
		free(*p);
		*p = NULL;
	}
}

static void setdata_clear(struct relay *rl)
{
	for (int i = 0; i < rl->nsetdata; i++)
		line_free(&rl->setdata[i]);
	rl->nsetdata = 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		if (k < 0 && errno == ENOTSOCK)
			k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* "VERB" of an Assuan line, case-insensitively. */
static int is_verb(const char *line, size_t n, const char *verb)
{
	size_t k = strlen(verb);

	return n >= k && strncasecmp(line, verb, k) == 0 &&
	    (n == k || line[k] == ' ' || line[k] == '\n' || line[k] == '\r');
}

/* Commands that change nothing on the chip: safe to send again to a fresh skinkeyd when the
 * old one had answered nothing (a PKSIGN waiting for a tap, for instance). */
static int repeatable(const char *line, size_t n)
{
	static const char *const verbs[] = { "SERIALNO", "LEARN", "GETATTR", "GETINFO", "READKEY",
		"READCERT", "PKSIGN", "PKAUTH", "PKDECRYPT", "RESTART", "OPTION", "SETDATA", "NOP",
		"CHIPS", "READERS", "RANDOM", NULL };

	for (int i = 0; verbs[i] != NULL; i++)
		if (is_verb(line, n, verbs[i]))
			return 1;
	return 0;
}

static int ms_left(const struct timespec *t0, int total)
{
	struct timespec now;
	long el;

	clock_gettime(CLOCK_MONOTONIC, &now);
	el = (now.tv_sec - t0->tv_sec) * 1000L + (now.tv_nsec - t0->tv_nsec) / 1000000L;
	return el >= total ? 0 : (int)(total - el);
}

/* One line from a fresh connection, within the deadline. 0, or -1 (closed, too long, late). */
static int read_line(int fd, struct lbuf *lb, char *line, size_t cap, const struct timespec *t0)
{
	for (;;) {
		char *nl = memchr(lb->b, '\n', lb->len);
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t k;

		if (nl != NULL) {
			size_t n = (size_t)(nl - lb->b) + 1;
			if (n >= cap)
				return -1;
			memcpy(line, lb->b, n);
			line[n] = '\0';
			memmove(lb->b, lb->b + n, lb->len - n);
			lb->len -= n;
			return 0;
		}
		if (lb->len >= sizeof(lb->b) || poll(&p, 1, ms_left(t0, REPLY_MS)) <= 0)
			return -1;
		if ((k = read(fd, lb->b + lb->len, sizeof(lb->b) - lb->len)) <= 0)
			return -1;
		lb->len += (size_t)k;
	}
}

/* Send one replayed line and wait for its OK/ERR (status lines are dropped). */
static int replay_one(struct relay *rl, const char *line, const struct timespec *t0)
{
	char ans[LINE_CAP];

	if (write_all(rl->sock, line, strlen(line)) != 0)
		return -1;
	for (;;) {
		if (read_line(rl->sock, &rl->out, ans, sizeof(ans), t0) != 0)
			return -1;
		if (is_verb(ans, strlen(ans), "OK") || is_verb(ans, strlen(ans), "ERR"))
			return 0;   /* an ERR (the chip of SERIALNO --demand is gone) is the next
			             * command's business, as it would have been on the old connection */
		if (is_verb(ans, strlen(ans), "INQUIRE") && write_all(rl->sock, "CAN\n", 4) != 0)
			return -1;
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Connect (autostarting skinkeyd) and read its greeting into greet. A daemon that was exiting
 * (killed, idle exit) may accept and close without a greeting: then try again, which starts a
 * fresh one. 0, or -1 with rl->sock = -1. */
static int connect_greeted(struct relay *rl, char *greet, size_t cap)
{
	struct timespec t0;
	int fd = -1, r;

	for (int attempt = 0; attempt < 4; attempt++) {
		if (attempt > 0)
			sleep_ms(50L << attempt);
		if ((r = skc_connect_fd(&fd)) != 0) {
			fprintf(stderr, "skinkey-scd: cannot reach skinkeyd: %s\n", skc_strerror(r));
			return -1;
		}
		rl->sock = fd;
		rl->out.len = 0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do
			r = read_line(fd, &rl->out, greet, cap, &t0);
		while (r == 0 && greet[0] == '#');
		if (r == 0 && is_verb(greet, strlen(greet), "OK"))
			return 0;
		fprintf(stderr, "skinkey-scd: skinkeyd closed the connection before its greeting\n");
		close(fd);
		rl->sock = -1;
		rl->out.len = 0;
	}
	return -1;
}

/* A new connection to skinkeyd with the old one's state. 0 or -1 (rl->sock stays -1). */
static int reconnect(struct relay *rl)
{
	char greet[LINE_CAP];
	struct timespec t0;

	if (connect_greeted(rl, greet, sizeof(greet)) != 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < rl->nopts; i++)
		if (replay_one(rl, rl->opts[i], &t0) != 0)
			goto fail;
	if (rl->serialno != NULL && replay_one(rl, rl->serialno, &t0) != 0)
		goto fail;
	for (int i = 0; i < rl->nsetdata; i++)
		if (replay_one(rl, rl->setdata[i], &t0) != 0)
			goto fail;
	fprintf(stderr, "skinkey-scd: connected to skinkeyd again\n");
	return 0;
fail:
	fprintf(stderr, "skinkey-scd: the new skinkeyd connection failed while its state was replayed\n");
	close(rl->sock);
	rl->sock = -1;
	rl->out.len = 0;
	return -1;
}

static void say_err(int out_fd, const char *why)
{
	char line[200];

	snprintf(line, sizeof(line), "ERR %u %s <SCD>\n",
	    (unsigned)gpg_err_make(GPG_ERR_SOURCE_SCD, GPG_ERR_NO_SCDAEMON), why);
	write_all(out_fd, line, strlen(line));
}

/* GETINFO socket_name: answered here with the relay's own socket (see the top of the file). */
static int answer_socket_name(struct relay *rl)
{
	char line[sizeof(extra_path) * 3 + 8];
	size_t n = 0;

	n += (size_t)snprintf(line, sizeof(line), "D ");
	for (const char *c = extra_path; *c != '\0'; c++)   /* Assuan escapes %, CR and LF */
		n += (size_t)(*c == '%' || *c == '\r' || *c == '\n' ?
		    snprintf(line + n, sizeof(line) - n, "%%%02X", (unsigned char)*c) :
		    snprintf(line + n, sizeof(line) - n, "%c", *c));
	snprintf(line + n, sizeof(line) - n, "\nOK\n");
	return write_all(rl->out_fd, line, strlen(line)) != 0 ? 1 : 0;
}

static void end_cmd(struct relay *rl)
{
	sk_wipe(rl->cmd, rl->cmd_len);
	rl->cmd_len = 0;
	rl->pending = rl->answered = rl->inquiring = 0;
}

/* What the connection's state is made of, recorded when skinkeyd said OK to it. */
static void remember(struct relay *rl)
{
	const char *c = rl->cmd;
	size_t n = rl->cmd_len;
	char *dup;

	if (is_verb(c, n, "GETINFO") || is_verb(c, n, "NOP"))
		return;
	if (is_verb(c, n, "RESTART") || is_verb(c, n, "DISCONNECT")) {
		line_free(&rl->serialno);
		setdata_clear(rl);
		return;
	}
	if (!is_verb(c, n, "SETDATA") && !is_verb(c, n, "OPTION"))
		setdata_clear(rl);
	if ((dup = strndup(c, n)) == NULL)
		return;
	if (is_verb(c, n, "SERIALNO")) {
		line_free(&rl->serialno);
		rl->serialno = dup;
	} else if (is_verb(c, n, "OPTION") && rl->nopts < MAX_OPTS) {
		rl->opts[rl->nopts++] = dup;
	} else if (is_verb(c, n, "SETDATA") && rl->nsetdata < MAX_SETDATA) {
		if (strstr(dup, "--append") == NULL)
			setdata_clear(rl);
		rl->setdata[rl->nsetdata++] = dup;
	} else {
		line_free(&dup);
	}
}

/* skinkeyd closed the connection or failed. 1: the relay ends; 0: carry on. */
static int daemon_lost(struct relay *rl)
{
	close(rl->sock);
	rl->sock = -1;
	sk_wipe(rl->out.b, rl->out.len);
	rl->out.len = 0;   /* a partial line of the dead daemon's is dropped, never forwarded */
	if (rl->closing)
		return 1;
	if (!rl->pending) {
		fprintf(stderr, "skinkey-scd: skinkeyd stopped; connecting again at the next command\n");
		return 0;
	}
	if (!rl->answered && repeatable(rl->cmd, rl->cmd_len) && reconnect(rl) == 0 &&
	    write_all(rl->sock, rl->cmd, rl->cmd_len) == 0)
		return 0;
	if (rl->sock >= 0) {
		close(rl->sock);
		rl->sock = -1;
	}
	say_err(rl->out_fd, "skinkeyd stopped during this command");
	rl->drop_inquiry = rl->inquiring;
	end_cmd(rl);
	return 0;
}

/* One complete line from gpg-agent. 1: the relay ends. */
static int from_agent(struct relay *rl, const char *line, size_t n)
{
	if (rl->drop_inquiry) {
		if (is_verb(line, n, "END") || is_verb(line, n, "CAN"))
			rl->drop_inquiry = 0;
		return 0;
	}
	if (rl->inquiring) {
		if (is_verb(line, n, "END") || is_verb(line, n, "CAN"))
			rl->inquiring = 0;
		if (write_all(rl->sock, line, n) != 0)
			return daemon_lost(rl);
		return 0;
	}
	if (rl->sock < 0 && is_verb(line, n, "BYE")) {
		write_all(rl->out_fd, "OK closing connection\n", 22);
		return 1;
	}
	if (extra_path[0] != '\0' && is_verb(line, n, "GETINFO") && n >= 19 &&
	    memcmp(line + 8, "socket_name", 11) == 0 && (n == 19 || line[19] == '\n' || line[19] == '\r'))
		return answer_socket_name(rl);
	if (rl->sock < 0 && reconnect(rl) != 0) {
		say_err(rl->out_fd, "skinkeyd not reachable");
		return 0;
	}
	memcpy(rl->cmd, line, n);
	rl->cmd_len = n;
	rl->pending = 1;
	rl->answered = 0;
	if (is_verb(line, n, "BYE") || is_verb(line, n, "KILLSCD"))
		rl->closing = 1;
	if (write_all(rl->sock, line, n) != 0)
		return daemon_lost(rl);
	return 0;
}

/* One complete line from skinkeyd: forwarded, and the command's progress noted. */
static int from_daemon(struct relay *rl, const char *line, size_t n)
{
	if (is_verb(line, n, "INQUIRE")) {
		rl->answered = 1;
		rl->inquiring = 1;
	} else if (is_verb(line, n, "D")) {
		rl->answered = 1;
	} else if ((is_verb(line, n, "OK") || is_verb(line, n, "ERR")) && rl->pending) {
		if (is_verb(line, n, "OK"))
			remember(rl);
		end_cmd(rl);
	}
	return write_all(rl->out_fd, line, n) != 0 ? 1 : 0;
}

/* Read what is there and hand every complete line on. -1: fd at EOF or failed (or a line too
 * long); 1: the handler ends the relay; 0: carry on. */
static int take_lines(int fd, struct lbuf *lb, struct relay *rl,
    int (*fn)(struct relay *, const char *, size_t))
{
	ssize_t k;
	char *nl;
	int r = 0;

	do
		k = read(fd, lb->b + lb->len, sizeof(lb->b) - lb->len);
	while (k < 0 && errno == EINTR);
	if (k <= 0)
		return -1;
	lb->len += (size_t)k;
	while (r == 0 && (nl = memchr(lb->b, '\n', lb->len)) != NULL) {
		size_t n = (size_t)(nl - lb->b) + 1;
		r = fn(rl, lb->b, n);
		sk_wipe(lb->b, n);   /* D lines carry PINs and session keys */
		memmove(lb->b, lb->b + n, lb->len - n);
		lb->len -= n;
	}
	if (r == 0 && lb->len == sizeof(lb->b)) {
		fprintf(stderr, "skinkey-scd: an Assuan line longer than %d bytes\n", ASSUAN_LINELENGTH);
		return -1;
	}
	return r;
}

static void serve_extra(int conn);

/* Reap forked relays that ended (SIGCHLD only sets a flag). */
static void reap(void)
{
	child_exited = 0;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* A connection on the extra socket: refused unless it is our own uid's; else a forked relay. */
static void accept_extra(void)
{
	struct ucred cr;
	socklen_t cl = sizeof(cr);
	pid_t pid;
	int conn;

	if ((conn = accept4(extra_fd, NULL, NULL, SOCK_CLOEXEC)) < 0)
		return;
	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cr, &cl) != 0 || cr.uid != getuid()) {
		fprintf(stderr, "skinkey-scd: refused a connection from uid %ld on %s\n",
		    cl == sizeof(cr) ? (long)cr.uid : -1L, extra_path);
		close(conn);
		return;
	}
	if ((pid = fork()) < 0) {
		fprintf(stderr, "skinkey-scd: cannot fork for an extra connection: %s\n", strerror(errno));
		close(conn);
		return;
	}
	if (pid == 0)
		serve_extra(conn);   /* does not return */
	close(conn);
}

static int relay_run(struct relay *rl)
{
	for (;;) {
		struct pollfd p[3] = { { rl->in_fd, POLLIN, 0 }, { extra_fd, POLLIN, 0 },
			{ rl->sock, POLLIN, 0 } };
		nfds_t np = rl->sock >= 0 ? 3 : 2;

		if (child_exited)
			reap();
		if (poll(p, np, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (p[1].revents & POLLIN)
			accept_extra();
		if (np == 3 && (p[2].revents & (POLLIN | POLLHUP | POLLERR))) {
			int k = take_lines(rl->sock, &rl->out, rl, from_daemon);
			if (k > 0)
				return 0;   /* gpg-agent's end of the pipe is gone */
			if (k < 0 && daemon_lost(rl) != 0)
				return 0;
			continue;
		}
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    take_lines(rl->in_fd, &rl->in, rl, from_agent) != 0)
			break;
	}
	/* gpg-agent is gone (or said BYE): let skinkeyd finish its last answer, then stop */
	if (rl->sock >= 0) {
		shutdown(rl->sock, SHUT_WR);
		while (take_lines(rl->sock, &rl->out, rl, from_daemon) == 0)
			;
	}
	return 0;
}

static void relay_free(struct relay *rl)
{
	if (rl->sock >= 0)
		close(rl->sock);
	for (int i = 0; i < rl->nopts; i++)
		line_free(&rl->opts[i]);
	line_free(&rl->serialno);
	setdata_clear(rl);
	sk_wipe(rl, sizeof(*rl));
}

/* The forked relay of one extra connection: its own skinkeyd connection, the same rules. */
static void serve_extra(int conn)
{
	static struct relay x;
	char greet[LINE_CAP];
	int r = 1;

	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	/* the copy of the first relay: its skinkeyd connection and gpg-agent's pipe are not this
	 * process's, and its buffers may hold part of a PIN that was passing through */
	close(extra_fd);
	extra_fd = -1;
	if (primary.sock >= 0)
		close(primary.sock);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		close(null);
	}
	sk_wipe(primary.in.b, sizeof(primary.in.b));
	sk_wipe(primary.out.b, sizeof(primary.out.b));
	sk_wipe(primary.cmd, sizeof(primary.cmd));
	signal(SIGCHLD, SIG_DFL);
	x.in_fd = x.out_fd = conn;
	x.sock = -1;
	if (connect_greeted(&x, greet, sizeof(greet)) != 0)
		say_err(conn, "skinkeyd not reachable");
	else if (write_all(conn, greet, strlen(greet)) == 0)
		r = relay_run(&x) == 0 ? 0 : 1;
	relay_free(&x);
	close(conn);
	_exit(r);
}

static void on_sigchld(int sig)
{
	(void)sig;
	child_exited = 1;
}

/* Remove S.scd.<pid> sockets whose relay is gone (killed: it could not remove its own). */
static void sweep_stale(const char *dir)
{
	char path[PATH_MAX];
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char *end;
		long pid;

		if (strncmp(e->d_name, "S.scd.", 6) != 0)
			continue;
		pid = strtol(e->d_name + 6, &end, 10);
		if (*end != '\0' || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;   /* not ours, or its relay still runs */
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < sizeof(path))
			unlink(path);
	}
	closedir(d);
}

/* The extra-connection socket; without it (no directory, path too long) gpg-agent is told no
 * socket and uses the first connection only. */
static void extra_listen(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)];
	struct sigaction sc;
	int fd;

	if (skc_socket_dir(dir, sizeof(dir)) != 0 || skc_socket_dir_make() != 0)
		return;
	sweep_stale(dir);
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/S.scd.%ld", dir, (long)getpid()) >=
	    sizeof(sa.sun_path))
		return;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	unlink(sa.sun_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || chmod(sa.sun_path, 0600) != 0 ||
	    listen(fd, 16) != 0) {
		fprintf(stderr, "skinkey-scd: no socket for extra connections (%s): %s\n", sa.sun_path,
		    strerror(errno));
		unlink(sa.sun_path);
		close(fd);
		return;
	}
	memset(&sc, 0, sizeof(sc));
	sc.sa_handler = on_sigchld;
	sigemptyset(&sc.sa_mask);
	sc.sa_flags = SA_NOCLDSTOP;   /* no SA_RESTART: poll wakes up to reap */
	sigaction(SIGCHLD, &sc, NULL);
	memcpy(extra_path, sa.sun_path, sizeof(extra_path));
	extra_fd = fd;
}

int main(int argc, char **argv)
{
	struct relay *rl0 = &primary;
	char greet[LINE_CAP];
	int r;

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
	rl0->in_fd = STDIN_FILENO;
	rl0->out_fd = STDOUT_FILENO;
	rl0->sock = -1;
	if (connect_greeted(rl0, greet, sizeof(greet)) != 0) {
		/* speak Assuan so gpg-agent shows a reason instead of a broken pipe */
		say_err(STDOUT_FILENO, "skinkeyd not reachable");
		return 1;
	}
	if (write_all(STDOUT_FILENO, greet, strlen(greet)) != 0)
		return 1;
	extra_listen();
	r = relay_run(rl0);
	if (extra_fd >= 0) {
		close(extra_fd);
		unlink(extra_path);
	}
	relay_free(rl0);
	return r == 0 ? 0 : 1;
}
