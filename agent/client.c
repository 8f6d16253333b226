/* client.c — libskclient: socket location, connect, autostart of skinkeyd. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
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

int skc_socket_dir_make(void)
{
	char dir[PATH_MAX];
	struct stat st;
	int r;

	if ((r = skc_socket_dir(dir, sizeof(dir))) != 0)
		return r;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return SK_ERR_IO;
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return SK_ERR_IO;
	if (st.st_uid != getuid() || (st.st_mode & 0077) != 0)
		return SK_ERR_DENIED;
	return 0;
}

static int raw_connect(const char *path, int *out)
{
	struct sockaddr_un sa;
	int fd;

	*out = -1;
	if (strlen(path) >= sizeof(sa.sun_path))
		return SK_ERR_TOOBIG;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return SK_ERR_IO;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return SK_ERR_IO;
	}
	*out = fd;
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

static int spawn_daemon(void)
{
	char prog[PATH_MAX];
	char *argv[3];
	pid_t pid;
	int st;

	if (find_daemon(prog, sizeof(prog)) != 0)
		return SK_ERR_NOT_FOUND;
	argv[0] = prog;
	argv[1] = (char *)"--daemon";
	argv[2] = NULL;
	if (posix_spawn(&pid, prog, NULL, NULL, argv, environ) != 0)
		return SK_ERR_IO;
	/* --daemon returns once its socket listens; a caller ignoring SIGCHLD gets ECHILD. */
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return 0;
}

static int lock_open(int *out)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	int fd;

	*out = -1;
	if (skc_socket_dir(dir, sizeof(dir)) != 0)
		return SK_ERR_IO;
	snprintf(path, sizeof(path), "%s/autostart.lock", dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return SK_ERR_IO;
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			close(fd);
			return SK_ERR_IO;
		}
	}
	*out = fd;
	return 0;
}

static int connect_or_start(int *out)
{
	char path[PATH_MAX];
	int r, lock = -1;

	*out = -1;
	if ((r = skc_socket_path(path, sizeof(path))) != 0)
		return r;
	if (raw_connect(path, out) == 0)
		return 0;
	if ((r = skc_socket_dir_make()) != 0)
		return r;
	if ((r = lock_open(&lock)) != 0)
		return r;
	/* Somebody may have started it while we waited for the lock. */
	if (raw_connect(path, out) == 0) {
		r = 0;
		goto out;
	}
	if ((r = spawn_daemon()) != 0)
		goto out;
	r = SK_ERR_TIMEOUT;
	for (int waited = 0; waited < SKC_START_WAIT_MS; waited += 20) {
		if (raw_connect(path, out) == 0) {
			r = 0;
			break;
		}
		sleep_ms(20);
	}
out:
	if (lock >= 0)
		close(lock);
	return r;
}

int skc_connect_fd(int *fd)
{
	return connect_or_start(fd);
}

static int wrap_fd(int fd, assuan_context_t *out)
{
	assuan_context_t ctx = NULL;
	int r = SK_ERR_IO;

	if (assuan_new(&ctx) != 0) {
		r = SK_ERR_NOMEM;
		goto out;
	}
	if (assuan_socket_connect_fd(ctx, fd, 0) != 0) {
		fd = -1;   /* owned by ctx now, closed by assuan_release */
		goto out;
	}
	fd = -1;
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

int skc_connect(assuan_context_t *out)
{
	int fd, r;

	*out = NULL;
	if ((r = connect_or_start(&fd)) != 0)
		return r;
	return wrap_fd(fd, out);
}

int skc_connect_noautostart(assuan_context_t *out)
{
	char path[PATH_MAX];
	int fd, r;

	*out = NULL;
	if ((r = skc_socket_path(path, sizeof(path))) != 0)
		return r;
	if ((r = raw_connect(path, &fd)) != 0)
		return r;
	return wrap_fd(fd, out);
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
