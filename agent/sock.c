/* sock.c — the listening socket: a 0700 directory of our own, a lock so one daemon runs per
 * user, same-uid peers only (SO_PEERCRED), a detached thread per connection. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "common/sk_err.h"
#include "skd_int.h"

#define SKD_LOCK_WAIT_MS 3000
#define SKD_CONN_CAP 1000    /* connections (both sockets) at most, whatever the fd limit */
#define SKD_CONN_MIN 8
#define SKD_FD_RESERVE 32

static atomic_int shutdown_flag;
static char sock_path[PATH_MAX];
static int pid_lock_fd = -1;
/* The accept loop sleeps in poll() without a timeout unless a deadline is due (idle-exit, PIN
 * cache expiry): whatever changes those deadlines wakes it through this pipe. */
static int wake_fd[2] = { -1, -1 };
static _Atomic long long idle_since_ms;

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Async-signal-safe. */
void skd_wake(void)
{
	int saved = errno;

	if (wake_fd[1] >= 0 && write(wake_fd[1], "w", 1) < 0) {
		/* full pipe: a wake-up is pending anyway */
	}
	errno = saved;
}

void skd_request_shutdown(void)
{
	atomic_store(&shutdown_flag, 1);
	skd_wake();
}

int skd_shutdown_requested(void)
{
	return atomic_load(&shutdown_flag);
}

const char *skd_socket_name(void)
{
	if (sock_path[0] == '\0')
		skc_socket_path(sock_path, sizeof(sock_path));
	return sock_path;
}

/* 1 when something accepts connections on path (nothing is sent). */
static int someone_listens(const char *path)
{
	struct sockaddr_un sa;
	int fd, ok;

	if (strlen(path) >= sizeof(sa.sun_path) ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/* Held for the daemon's life: a second skinkeyd for the same user sees it and leaves. A holder
 * that does not listen is exiting (or just starting): wait for it a little rather than leave the
 * user with no daemon at all. */
static int take_daemon_lock(const char *dir)
{
	char path[PATH_MAX + 16];
	char pid[32];
	int fd;

	snprintf(path, sizeof(path), "%s/skinkeyd.lock", dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		sk_error("cannot open %s: %s", path, strerror(errno));
		return SK_ERR_IO;
	}
	for (int waited = 0; flock(fd, LOCK_EX | LOCK_NB) != 0; waited += 20) {
		struct timespec ts = { 0, 20 * 1000000L };

		if (waited >= SKD_LOCK_WAIT_MS || someone_listens(sock_path)) {
			close(fd);
			return SK_ERR_EXISTS;
		}
		nanosleep(&ts, NULL);
	}
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || write(fd, pid, strlen(pid)) < 0)
		sk_debug("cannot write the pid into %s", path);
	pid_lock_fd = fd;
	return 0;
}

void skd_pidlock_refresh(void)
{
	char pid[32];

	if (pid_lock_fd < 0)
		return;
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(pid_lock_fd, 0) != 0 || pwrite(pid_lock_fd, pid, strlen(pid), 0) < 0)
		sk_debug("cannot update the pid file");
}

int skd_listen(int *out)
{
	char dir[PATH_MAX];
	struct sockaddr_un sa;
	int fd = -1, r;

	*out = -1;
	if ((r = skc_socket_dir(dir, sizeof(dir))) != 0 || (r = skc_socket_path(sock_path,
	    sizeof(sock_path))) != 0)
		return r;
	if ((r = skc_socket_dir_make()) != 0) {
		sk_error("socket directory %s is not ours or not private (0700): refusing", dir);
		return r;
	}
	if ((r = take_daemon_lock(dir)) != 0)
		return r;
	if (strlen(sock_path) >= sizeof(sa.sun_path))
		return SK_ERR_TOOBIG;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return SK_ERR_IO;
	unlink(sock_path);   /* stale: we hold the daemon lock, so nobody listens there */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || chmod(sock_path, 0600) != 0 ||
	    listen(fd, 64) != 0) {
		sk_error("cannot listen on %s: %s", sock_path, strerror(errno));
		close(fd);
		return SK_ERR_IO;
	}
	sk_info("listening on %s", sock_path);
	*out = fd;
	return 0;
}

int skd_peer_ok(int fd)
{
	static struct skd_ratelimit rl = SKD_RATELIMIT_INIT;
	struct ucred cr;
	socklen_t len = sizeof(cr);
	unsigned dropped;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || len != sizeof(cr)) {
		if (skd_ratelimit(&rl, &dropped))
			sk_warn("refusing a connection: no peer credentials (%s)%s", strerror(errno),
			    dropped ? " (and more refusals not logged)" : "");
		return 0;
	}
	if (cr.uid != getuid()) {
		if (skd_ratelimit(&rl, &dropped))
			sk_warn("refusing a connection from uid %u pid %ld: not our user (uid %u)%s",
			    (unsigned)cr.uid, (long)cr.pid, (unsigned)getuid(),
			    dropped ? " (and more refusals not logged)" : "");
		return 0;
	}
	return 1;
}

static atomic_int live_conns;
static int conn_max;
static pthread_once_t conn_max_once = PTHREAD_ONCE_INIT;

/* Room for what else holds descriptors: pcscd, state.db and its -wal/-shm, vault.db, the log,
 * both listeners, pinentry's pipes. */
static void conn_max_init(void)
{
	struct rlimit rl;
	long lim = SKD_CONN_CAP + SKD_FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)lim)
		lim = (long)rl.rlim_cur;
	lim -= SKD_FD_RESERVE;
	conn_max = lim < SKD_CONN_MIN ? SKD_CONN_MIN : (int)lim;
}

int skd_conn_max(void)
{
	pthread_once(&conn_max_once, conn_max_init);
	return conn_max;
}

void skd_conn_slot_give(void)
{
	atomic_fetch_sub(&live_conns, 1);
}

void skd_clients_left(int remaining)
{
	if (remaining == 0) {
		atomic_store(&idle_since_ms, mono_ms());
		skd_wake();   /* the accept loop's idle-exit deadline starts now */
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int skd_accept(int lfd, const char *door, const char *refuse_line)
{
	static struct skd_ratelimit rl_fail = SKD_RATELIMIT_INIT, rl_full = SKD_RATELIMIT_INIT;
	static __thread long backoff_ms;   /* one listener per thread */
	unsigned dropped;
	int fd, e;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
		e = errno;
		if (e != EMFILE && e != ENFILE && e != ENOBUFS && e != ENOMEM)
			return -1;   /* EAGAIN, ECONNABORTED, EINTR: nothing to wait for */
		/* out of descriptors or memory: the pending peer stays queued; accepting again at
		 * once would spin, so wait a little longer each time */
		backoff_ms = backoff_ms == 0 ? 10 : backoff_ms >= 500 ? 1000 : backoff_ms * 2;
		if (skd_ratelimit(&rl_fail, &dropped))
			sk_warn("%s: cannot accept a connection: %s (%d open); waiting %ld ms%s", door,
			    strerror(e), atomic_load(&live_conns), backoff_ms,
			    dropped ? " (repeated failures not logged)" : "");
		sleep_ms(backoff_ms);
		return -1;
	}
	backoff_ms = 0;
	if (!skd_peer_ok(fd)) {
		close(fd);
		return -1;
	}
	if (atomic_fetch_add(&live_conns, 1) >= skd_conn_max()) {
		atomic_fetch_sub(&live_conns, 1);
		if (refuse_line != NULL)
			(void)send(fd, refuse_line, strlen(refuse_line), MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		if (skd_ratelimit(&rl_full, &dropped))
			sk_warn("%s: %d connections open, the most this daemon serves: refusing new ones "
			    "until some end%s", door, skd_conn_max(),
			    dropped ? " (further refusals not logged)" : "");
		return -1;
	}
	return fd;
}

static void *conn_main(void *arg)
{
	int fd = (int)(intptr_t)arg;

	skd_serve_fd(fd);
	skd_conn_slot_give();
	return NULL;
}

static void spawn_conn(int fd)
{
	pthread_attr_t at;
	pthread_t t;

	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &at, conn_main, (void *)(intptr_t)fd) != 0) {
		sk_error("cannot start a connection thread");
		close(fd);
		skd_conn_slot_give();
	}
	pthread_attr_destroy(&at);
}

/* How long the accept loop may sleep: -1 (until something happens) unless idle-exit or a PIN
 * cache expiry is due. 0 when the idle-exit deadline has passed. */
static int loop_timeout(int *idle_exit)
{
	long long left = -1, pin_ms;

	*idle_exit = 0;
	if (skd_config.idle_exit_s > 0 && skd_conn_count() == 0) {
		left = (long long)skd_config.idle_exit_s * 1000 -
		    (mono_ms() - atomic_load(&idle_since_ms));
		if (left <= 0) {
			*idle_exit = 1;
			return 0;
		}
	}
	if ((pin_ms = skd_pincache_next_expiry_ms()) >= 0 && (left < 0 || pin_ms < left))
		left = pin_ms;
	return left < 0 ? -1 : (int)(left > INT_MAX - 1 ? INT_MAX - 1 : left + 1);
}

static void drain_wake(void)
{
	char buf[64];

	while (read(wake_fd[0], buf, sizeof(buf)) > 0)
		;
}

int skd_accept_loop(int lfd)
{
	struct pollfd pfd[2];
	char refuse[160];
	int fd, idle_exit, timeout;

	snprintf(refuse, sizeof(refuse), "ERR %u too many connections (%d): try again later <SCD>\n",
	    (unsigned)gpg_err_make(GPG_ERR_SOURCE_SCD, GPG_ERR_LIMIT_REACHED), skd_conn_max());
	if (wake_fd[0] < 0 && pipe2(wake_fd, O_CLOEXEC | O_NONBLOCK) != 0) {
		sk_error("cannot make the accept loop's wake-up pipe: %s", strerror(errno));
		return SK_ERR_IO;
	}
	atomic_store(&idle_since_ms, mono_ms());
	while (!skd_shutdown_requested()) {
		skd_pincache_expire();
		timeout = loop_timeout(&idle_exit);
		if (idle_exit) {
			sk_info("idle for %d s: exiting", skd_config.idle_exit_s);
			break;
		}
		pfd[0] = (struct pollfd){ lfd, POLLIN, 0 };
		pfd[1] = (struct pollfd){ wake_fd[0], POLLIN, 0 };
		if (poll(pfd, 2, timeout) <= 0)
			continue;
		if (pfd[1].revents & POLLIN)
			drain_wake();
		if (!(pfd[0].revents & POLLIN))
			continue;
		if ((fd = skd_accept(lfd, "skinkeyd", refuse)) >= 0) {
			/* a client: the idle clock starts again (before its thread counts it) */
			atomic_store(&idle_since_ms, mono_ms());
			spawn_conn(fd);
		}
	}
	return 0;
}

void skd_unlisten(int *lfd)
{
	struct stat st;

	if (*lfd < 0)
		return;
	close(*lfd);
	*lfd = -1;
	if (sock_path[0] != '\0' && lstat(sock_path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(sock_path);
}
