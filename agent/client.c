/* client.c — libskclient: socket location, connect, autostart of skinkeyd. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "common/sk_err.h"
#include "sk_config.h"

extern char **environ;

#define SKC_START_WAIT_MS 10000
#define SKC_GREETING_MS 10000
#define SKC_DYING_TRIES 4

int skc_socket_dir(char *buf, size_t n)
{
	const char *rt = getenv("XDG_RUNTIME_DIR");
	int k;

	if (rt != NULL && rt[0] == '/')
		k = snprintf(buf, n, "%s/skinkey", rt);
	else
		k = snprintf(buf, n, "/tmp/skinkey-%u", (unsigned)getuid());
	if (k < 0)
		return SK_ERR_IO;
	return (size_t)k >= n ? SK_ERR_TOOBIG : 0;
}

int skc_socket_path(char *buf, size_t n)
{
	char dir[PATH_MAX];
	int r, k;

	if ((r = skc_socket_dir(dir, sizeof(dir))) != 0)
		return r;
	k = snprintf(buf, n, "%s/S.skinkeyd", dir);
	if (k < 0)
		return SK_ERR_IO;
	return (size_t)k >= n ? SK_ERR_TOOBIG : 0;
}

/* Why the last skc_* call of this thread failed, in a sentence ("" when it did not say). */
static __thread char why[640];

static void set_why(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void set_why(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
}

const char *skc_why(void)
{
	return why;
}

const char *skc_strerror(int err)
{
	return why[0] != '\0' ? why : sk_strerror(err);
}

/* The directory must be a real directory of ours that nobody else can write into: otherwise
 * whoever owns it decides what listens on S.skinkeyd. SK_ERR_NOT_FOUND when it does not exist. */
static int check_dir(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) != 0) {
		if (errno == ENOENT)
			return SK_ERR_NOT_FOUND;
		set_why("cannot inspect the socket directory %s: %s", dir, strerror(errno));
		return SK_ERR_IO;
	}
	if (!S_ISDIR(st.st_mode)) {
		set_why("refusing the socket directory %s: it is not a directory (a symlink or a file "
		    "put there by someone else?)", dir);
		return SK_ERR_DENIED;
	}
	if (st.st_uid != getuid()) {
		set_why("refusing the socket directory %s: it belongs to uid %u, not to you (uid %u); "
		    "another user may be impersonating skinkeyd", dir, (unsigned)st.st_uid,
		    (unsigned)getuid());
		return SK_ERR_DENIED;
	}
	if ((st.st_mode & 022) != 0) {
		set_why("refusing the socket directory %s: group or others may write into it (mode %04o; "
		    "it must be 0700)", dir, (unsigned)(st.st_mode & 07777));
		return SK_ERR_DENIED;
	}
	return 0;
}

/* The socket itself: ours, a socket, not writable by others. SK_ERR_NOT_FOUND when absent. */
static int check_sock(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return SK_ERR_NOT_FOUND;
		set_why("cannot inspect %s: %s", path, strerror(errno));
		return SK_ERR_IO;
	}
	if (!S_ISSOCK(st.st_mode)) {
		set_why("refusing %s: it is not a socket", path);
		return SK_ERR_DENIED;
	}
	if (st.st_uid != getuid()) {
		set_why("refusing %s: the socket belongs to uid %u, not to you (uid %u)", path,
		    (unsigned)st.st_uid, (unsigned)getuid());
		return SK_ERR_DENIED;
	}
	if ((st.st_mode & 022) != 0) {
		set_why("refusing %s: group or others may write to the socket (mode %04o; it must be "
		    "0600)", path, (unsigned)(st.st_mode & 07777));
		return SK_ERR_DENIED;
	}
	return 0;
}

/* The process that listens must run as our uid: checked before we send a single byte. */
static int check_peer(int fd, const char *path)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || len != sizeof(cr)) {
		set_why("refusing %s: cannot read the server's credentials (%s)", path, strerror(errno));
		return SK_ERR_DENIED;
	}
	if (cr.uid != getuid()) {
		set_why("refusing %s: the process listening there (pid %ld) runs as uid %u, not as you "
		    "(uid %u); nothing was sent to it", path, (long)cr.pid, (unsigned)cr.uid,
		    (unsigned)getuid());
		return SK_ERR_DENIED;
	}
	return 0;
}

static int set_timeo(int fd, int which, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	return setsockopt(fd, SOL_SOCKET, which, &tv, sizeof(tv));
}

/* SK_ERR_NOT_FOUND / SK_ERR_IO: nobody listens (autostart may help); SK_ERR_DENIED: refuse;
 * SK_ERR_BUSY: a daemon listens but does not take connections. */
static int raw_connect(const char *path, int *out)
{
	struct sockaddr_un sa;
	int fd = -1, r;

	*out = -1;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		set_why("the socket path %s is too long", path);
		return SK_ERR_TOOBIG;
	}
	if ((r = check_sock(path)) != 0)
		return r;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		set_why("cannot create a socket: %s", strerror(errno));
		return SK_ERR_IO;
	}
	/* a daemon whose accept queue is full (out of descriptors) would block connect() forever */
	if (set_timeo(fd, SO_SNDTIMEO, SKC_GREETING_MS) != 0) {
		set_why("cannot set a deadline on the socket: %s", strerror(errno));
		close(fd);
		return SK_ERR_IO;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;
		close(fd);
		if (e == EAGAIN || e == ETIMEDOUT) {
			set_why("skinkeyd did not take the connection within %d s (its queue is full: out "
			    "of descriptors?)", SKC_GREETING_MS / 1000);
			return SK_ERR_BUSY;
		}
		set_why("nobody listens on %s (%s)", path, strerror(e));
		return SK_ERR_IO;
	}
	if (set_timeo(fd, SO_SNDTIMEO, 0) != 0) {
		set_why("cannot clear the socket deadline: %s", strerror(errno));
		close(fd);
		return SK_ERR_IO;
	}
	if ((r = check_peer(fd, path)) != 0) {
		close(fd);
		return r;
	}
	*out = fd;
	return 0;
}

int skc_socket_dir_make(void)
{
	char dir[PATH_MAX];
	struct stat st;
	int r;

	if ((r = skc_socket_dir(dir, sizeof(dir))) != 0) {
		set_why("the socket directory's path is too long");
		return r;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		set_why("cannot create the socket directory %s: %s", dir, strerror(errno));
		return SK_ERR_IO;
	}
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		set_why("refusing the socket directory %s: it is not a directory", dir);
		return SK_ERR_DENIED;
	}
	if (st.st_uid != getuid()) {
		set_why("refusing the socket directory %s: it belongs to uid %u, not to you (uid %u); "
		    "another user may be impersonating skinkeyd", dir, (unsigned)st.st_uid,
		    (unsigned)getuid());
		return SK_ERR_DENIED;
	}
	if ((st.st_mode & 0077) != 0) {
		set_why("refusing the socket directory %s: others may enter it (mode %04o; it must be "
		    "0700)", dir, (unsigned)(st.st_mode & 07777));
		return SK_ERR_DENIED;
	}
	return 0;
}

static int is_exec(const char *p)
{
	return access(p, X_OK) == 0;
}

/* Next to our own program (build tree: agent/ beside cli/), then PATH, then the install dir. */
static int find_daemon(char *buf, size_t n)
{
	char self[PATH_MAX];
	const char *env = getenv("SKINKEYD_PROGRAM");
	const char *path = getenv("PATH");
	ssize_t k;
	char *slash;

	if (env != NULL && env[0] == '/' && snprintf(buf, n, "%s", env) < (int)n && is_exec(buf))
		return 0;
	if ((k = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[k] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			if (snprintf(buf, n, "%s/skinkeyd", self) < (int)n && is_exec(buf))
				return 0;
			if (snprintf(buf, n, "%s/../agent/skinkeyd", self) < (int)n && is_exec(buf))
				return 0;
		}
	}
	while (path != NULL && *path != '\0') {
		const char *end = strchr(path, ':');
		size_t len = end != NULL ? (size_t)(end - path) : strlen(path);
		if (len > 0 && len < n - 10 && path[0] == '/') {
			snprintf(buf, n, "%.*s/skinkeyd", (int)len, path);
			if (is_exec(buf))
				return 0;
		}
		path = end != NULL ? end + 1 : NULL;
	}
	if (snprintf(buf, n, "%s/skinkeyd", SK_BINDIR) < (int)n && is_exec(buf))
		return 0;
	return SK_ERR_NOT_FOUND;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* What a daemon that failed to start said: its first error line (the cause; later ones say
 * what it gave up), else its last line. */
static void why_line(int fd, char *out, size_t n)
{
	char buf[4096];
	size_t len = 0;
	ssize_t k;
	char *line, *err, *save = NULL, *last = NULL;

	out[0] = '\0';
	while (len < sizeof(buf) - 1 && (k = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)k;
	buf[len] = '\0';
	for (line = strtok_r(buf, "\r\n", &save); line != NULL; line = strtok_r(NULL, "\r\n", &save)) {
		if ((err = strstr(line, "error: ")) != NULL) {
			snprintf(out, n, "%s", err + 7);
			return;
		}
		last = line;
	}
	if (last != NULL)
		snprintf(out, n, "%s", strncmp(last, "skinkeyd: ", 10) == 0 ? last + 10 : last);
}

static int spawn_daemon(void)
{
	posix_spawn_file_actions_t fa;
	char prog[PATH_MAX], said[300];
	char *argv[3];
	int pfd[2] = { -1, -1 };
	pid_t pid;
	int st = 0, r;

	if (find_daemon(prog, sizeof(prog)) != 0) {
		set_why("skinkeyd is not running and its program was not found (next to this program, "
		    "on PATH, in %s)", SK_BINDIR);
		return SK_ERR_NOT_FOUND;
	}
	argv[0] = prog;
	argv[1] = (char *)"--daemon";
	argv[2] = NULL;
	/* its stderr comes to us until it serves: why it could not start */
	if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK) != 0) {
		set_why("cannot start %s: %s", prog, strerror(errno));
		return SK_ERR_IO;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], STDERR_FILENO);
	r = posix_spawn(&pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (r != 0) {
		close(pfd[0]);
		set_why("cannot start %s: %s", prog, strerror(r));
		return SK_ERR_IO;
	}
	/* --daemon returns once it serves (0) or has failed (1); a caller ignoring SIGCHLD gets
	 * ECHILD, and then finds out by connecting. */
	while ((r = (int)waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	if (r == pid && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		why_line(pfd[0], said, sizeof(said));
		close(pfd[0]);
		set_why("skinkeyd could not start: %s (%s --foreground shows its whole log; "
		    "started by clients it logs to syslog: journalctl -t skinkeyd)",
		    said[0] != '\0' ? said : "it said nothing", prog);
		return SK_ERR_IO;
	}
	close(pfd[0]);
	return 0;
}

static int lock_open(const char *dir, int *out)
{
	char path[PATH_MAX + 32];
	int fd;

	*out = -1;
	snprintf(path, sizeof(path), "%s/autostart.lock", dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		set_why("cannot open %s: %s", path, strerror(errno));
		return SK_ERR_IO;
	}
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			set_why("cannot lock %s: %s", path, strerror(errno));
			close(fd);
			return SK_ERR_IO;
		}
	}
	*out = fd;
	return 0;
}

static int connect_or_start(int *out, int autostart)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int r, lock = -1;

	*out = -1;
	why[0] = '\0';
	if ((r = skc_socket_dir(dir, sizeof(dir))) != 0 ||
	    (r = skc_socket_path(path, sizeof(path))) != 0) {
		set_why("the socket path is too long");
		return r;
	}
	/* Nothing is sent, nothing is started before the directory is known to be ours. */
	r = check_dir(dir);
	if (r != 0 && r != SK_ERR_NOT_FOUND)
		return r;
	if (r == 0) {
		r = raw_connect(path, out);
		if (r == 0 || r == SK_ERR_DENIED || r == SK_ERR_TOOBIG || r == SK_ERR_BUSY)
			return r;
	}
	if (!autostart) {
		if (why[0] == '\0')
			set_why("skinkeyd is not running (no socket at %s)", path);
		return SK_ERR_IO;
	}
	if ((r = skc_socket_dir_make()) != 0)
		return r;
	if ((r = lock_open(dir, &lock)) != 0)
		return r;
	/* Somebody may have started it while we waited for the lock. */
	r = raw_connect(path, out);
	if (r == 0 || r == SK_ERR_DENIED || r == SK_ERR_BUSY)
		goto out;
	if ((r = spawn_daemon()) != 0)
		goto out;
	r = SK_ERR_TIMEOUT;
	for (int waited = 0; waited < SKC_START_WAIT_MS; waited += 20) {
		int c = raw_connect(path, out);

		if (c == 0 || c == SK_ERR_DENIED || c == SK_ERR_BUSY) {
			r = c;
			goto out;
		}
		sleep_ms(20);
	}
	set_why("skinkeyd was started but did not listen on %s within %d s", path,
	    SKC_START_WAIT_MS / 1000);
out:
	if (lock >= 0)
		close(lock);
	return r;
}

int skc_connect_fd(int *fd)
{
	return connect_or_start(fd, 1);
}

/* Writes never raise SIGPIPE: a library must not kill its host program (Firefox, ssh) when
 * skinkeyd goes away, nor change the program's signal dispositions. EPIPE is an error. */
static ssize_t nosig_write(assuan_context_t ctx, assuan_fd_t fd, const void *p, size_t n)
{
	ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

	if (k < 0 && errno == ENOTSOCK)
		return __assuan_write(ctx, fd, p, n);
	return k;
}

static int nosig_sendmsg(assuan_context_t ctx, assuan_fd_t fd, const assuan_msghdr_t msg,
    int flags)
{
	return __assuan_sendmsg(ctx, fd, msg, flags | MSG_NOSIGNAL);
}

static struct assuan_system_hooks nosig_hooks = {
	ASSUAN_SYSTEM_HOOKS_VERSION, __assuan_usleep, __assuan_pipe, __assuan_close,
	__assuan_read, nosig_write, __assuan_recvmsg, nosig_sendmsg, __assuan_spawn,
	__assuan_waitpid, __assuan_socketpair, __assuan_socket, __assuan_connect
};

/* skinkeyd answers a connection over its bound with an ERR line instead of a greeting (libassuan
 * would only say "IPC connect call failed"): look at the first line without taking it. */
static int refused_greeting(int fd)
{
	char line[200];
	ssize_t n;
	unsigned code = 0;

	do
		n = recv(fd, line, sizeof(line) - 1, MSG_PEEK);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		set_why("skinkeyd accepted the connection but did not greet within %d s (too many "
		    "connections, or stuck)", SKC_GREETING_MS / 1000);
		return SK_ERR_TIMEOUT;
	}
	if (n < 4 || memcmp(line, "ERR ", 4) != 0)
		return 0;   /* a greeting, or nothing yet: libassuan reads it and says what it got */
	line[n] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (sscanf(line, "ERR %u", &code) == 1 && gpg_err_code(code) == GPG_ERR_LIMIT_REACHED) {
		set_why("skinkeyd refused the connection: it serves as many connections as its "
		    "descriptor limit allows; try again later");
		return SK_ERR_BUSY;
	}
	set_why("skinkeyd refused the connection: %.150s", line + 4);
	return SK_ERR_IO;
}

/* *dying: the connection was accepted but closed before the greeting (a daemon that was exiting:
 * idle exit, SIGTERM, killed) -- worth a new attempt, which then starts a fresh daemon. */
static int wrap_fd(int fd, assuan_context_t *out, int *dying)
{
	assuan_context_t ctx = NULL;
	gpg_error_t e;
	int sfd = fd, r = SK_ERR_IO;

	*dying = 0;
	if (assuan_new(&ctx) != 0) {
		set_why("out of memory");
		r = SK_ERR_NOMEM;
		goto out;
	}
	assuan_ctx_set_system_hooks(ctx, &nosig_hooks);
	/* The greeting has a deadline (a daemon at its connection limit, or stuck, must not hang
	 * us); later answers may take as long as a tap does. */
	if (set_timeo(fd, SO_RCVTIMEO, SKC_GREETING_MS) != 0) {
		set_why("cannot set a deadline on the socket: %s", strerror(errno));
		goto out;
	}
	if ((r = refused_greeting(fd)) != 0)
		goto out;
	r = SK_ERR_IO;
	if ((e = assuan_socket_connect_fd(ctx, fd, 0)) != 0) {
		fd = -1;   /* owned by ctx now, closed by assuan_release */
		if (gpg_err_code(e) == GPG_ERR_EAGAIN || gpg_err_code(e) == GPG_ERR_ETIMEDOUT) {
			set_why("skinkeyd accepted the connection but did not greet within %d s (too many "
			    "connections, or stuck)", SKC_GREETING_MS / 1000);
			r = SK_ERR_TIMEOUT;
		} else {
			set_why("skinkeyd closed the connection before greeting (%s)", gpg_strerror(e));
			*dying = skc_conn_lost(e);
		}
		goto out;
	}
	fd = -1;
	if (set_timeo(sfd, SO_RCVTIMEO, 0) != 0) {
		set_why("cannot clear the socket deadline: %s", strerror(errno));
		goto out;
	}
	*out = ctx;
	ctx = NULL;
	r = 0;
out:
	if (ctx != NULL)
		assuan_release(ctx);
	if (fd >= 0)
		close(fd);
	return r;
}

static int connect_ctx(assuan_context_t *out, int autostart)
{
	int fd, r = SK_ERR_IO, dying = 0;

	*out = NULL;
	for (int attempt = 0; attempt < SKC_DYING_TRIES; attempt++) {
		if (dying)
			sleep_ms(50L << attempt);   /* let the old daemon finish closing its socket */
		if ((r = connect_or_start(&fd, autostart)) != 0)
			return r;
		if ((r = wrap_fd(fd, out, &dying)) == 0 || !dying)
			return r;
	}
	return r;
}

int skc_connect(assuan_context_t *out)
{
	return connect_ctx(out, 1);
}

int skc_connect_noautostart(assuan_context_t *out)
{
	return connect_ctx(out, 0);
}

int skc_conn_lost(gpg_error_t e)
{
	/* skinkeyd's own answers carry source SCD; what libassuan reports about the socket itself
	 * (EOF, EPIPE, reset, read/write failures) carries ours. A callback's error is neither. */
	if (e == 0 || gpg_err_source(e) == GPG_ERR_SOURCE_SCD)
		return 0;
	switch (gpg_err_code(e)) {
	case GPG_ERR_EOF:
	case GPG_ERR_EPIPE:
	case GPG_ERR_ECONNRESET:
	case GPG_ERR_ECONNABORTED:
	case GPG_ERR_ENOTCONN:
	case GPG_ERR_ASS_READ_ERROR:
	case GPG_ERR_ASS_WRITE_ERROR:
	case GPG_ERR_ASS_CONNECT_FAILED:
		return 1;
	default:
		return 0;
	}
}

int skc_transact(assuan_context_t ctx, const char *cmd,
    gpg_error_t (*data_cb)(void *, const void *, size_t),
    gpg_error_t (*status_cb)(void *, const char *), void *arg, gpg_error_t *gerr)
{
	gpg_error_t e;

	e = assuan_transact(ctx, cmd, data_cb, arg, NULL, NULL, status_cb, arg);
	if (gerr != NULL)
		*gerr = e;
	return skc_err_from_gpg(e);
}

int skc_guard_running(void)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	struct flock fl;
	int fd, held = 0;

	if (skc_socket_dir(dir, sizeof(dir)) != 0 ||
	    snprintf(path, sizeof(path), "%s/guard.lock", dir) >= (int)sizeof(path))
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return 0;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
		held = 1;
	close(fd);
	return held;
}
