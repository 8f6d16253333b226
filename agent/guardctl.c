/* guardctl.c — skinkeyd's side of skinkey-guard: is it running (it holds a POSIX write lock on
 * <socket dir>/guard.lock, which F_GETLK sees without taking it), start it when it is not, and
 * the gate that every key operation passes while `audit = required`. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "common/sk_err.h"
#include "event.h"
#include "skd_int.h"

extern char **environ;

static pthread_mutex_t spawn_mu = PTHREAD_MUTEX_INITIALIZER;

int skd_guard_running(void)
{
	return skc_guard_running();
}

int skd_guard_pid(void)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	struct flock fl;
	int fd, pid = 0;

	if (skc_socket_dir(dir, sizeof(dir)) != 0 ||
	    snprintf(path, sizeof(path), "%s/guard.lock", dir) >= (int)sizeof(path) ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return 0;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
		pid = (int)fl.l_pid;
	close(fd);
	return pid;
}

static int is_exec(const char *p)
{
	return access(p, X_OK) == 0;
}

/* Beside skinkeyd (installed), ../guard/ (build tree), then PATH, then the install dir. */
static int find_guard(char *buf, size_t n)
{
	const char *env = getenv("SKINKEY_GUARD_PROGRAM"), *path = getenv("PATH");
	char self[PATH_MAX], *slash;
	ssize_t k;

	if (env != NULL && env[0] == '/' && snprintf(buf, n, "%s", env) < (int)n)
		return is_exec(buf) ? 0 : SK_ERR_NOT_FOUND;
	if ((k = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[k] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			if (snprintf(buf, n, "%s/skinkey-guard", self) < (int)n && is_exec(buf))
				return 0;
			if (snprintf(buf, n, "%s/../guard/skinkey-guard", self) < (int)n && is_exec(buf))
				return 0;
		}
	}
	while (path != NULL && *path != '\0') {
		const char *end = strchr(path, ':');
		size_t len = end != NULL ? (size_t)(end - path) : strlen(path);
		if (len > 0 && len < n - 16 && path[0] == '/') {
			snprintf(buf, n, "%.*s/skinkey-guard", (int)len, path);
			if (is_exec(buf))
				return 0;
		}
		path = end != NULL ? end + 1 : NULL;
	}
	return SK_ERR_NOT_FOUND;
}

int skd_guard_spawn(void)
{
	char prog[PATH_MAX];
	char *argv[3];
	pid_t pid;
	int st, r = 0;

	pthread_mutex_lock(&spawn_mu);
	if (skd_guard_running())
		goto out;
	if ((r = find_guard(prog, sizeof(prog))) != 0) {
		sk_error("skinkey-guard not found: key operations are refused (audit = required)");
		goto out;
	}
	argv[0] = prog;
	argv[1] = (char *)"--daemon";
	argv[2] = NULL;
	if (posix_spawn(&pid, prog, NULL, NULL, argv, environ) != 0) {
		sk_error("cannot start %s: %s", prog, strerror(errno));
		r = SK_ERR_IO;
		goto out;
	}
	/* --daemon returns once it holds its lock (or found another guard) */
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	sk_info("started %s", prog);
out:
	pthread_mutex_unlock(&spawn_mu);
	return r;
}

int skd_guard_gate(void)
{
	if (skd_config.audit == SKD_AUDIT_OFF)
		return 0;
	if (!skd_guard_running())
		skd_guard_spawn();   /* --daemon returns once the new guard holds its lock */
	if (skd_guard_running() && skd_outbox_wait_acked(skd_config.audit_deadline_ms) == 0)
		return 0;
	sk_warn("skinkey-guard is not running or does not acknowledge events within %d ms: key "
	    "operation refused (audit = required)", skd_config.audit_deadline_ms);
	return SK_ERR_UNRECORDED;
}

#define CONFIRM_SLICE_MS 200

/* The answer of an operation whose event was just written waits for the guard's receipt of that
 * event (SEEN, sent as soon as it read the batch; the event is durable in the outbox already and
 * leaves it only with the ACK after the guard's commit): a guard that is stopped (SIGSTOP), hung
 * or gone refuses this operation, not only the next one. The guard's own fsync stays off the
 * client's path; the next operation's gate waits for the ACK. While it waits, a guard that died
 * is started again (once per slice). */
int skd_guard_confirm(int r, int kind, const char *chip, const char *op, const char *object)
{
	struct skd_event ev = { .kind = (enum skd_ev_kind)kind, .chip = chip, .op = op,
		.object = object, .result = SK_ERR_UNRECORDED, .retries = -1, .counter = -1,
		.detail = "answer withheld: skinkey-guard did not acknowledge" };
	uint64_t seq;
	int left = skd_config.audit_deadline_ms, e = SK_ERR_TIMEOUT, slice;

	if (r != 0 || skd_config.audit == SKD_AUDIT_OFF)
		return r;
	if ((seq = skd_outbox_last_seq()) == 0) {
		sk_warn("%s: no event of this operation in the outbox: answer withheld",
		    op != NULL ? op : "operation");
		return SK_ERR_UNRECORDED;
	}
	while (left > 0) {
		slice = left < CONFIRM_SLICE_MS ? left : CONFIRM_SLICE_MS;
		if ((e = skd_outbox_wait_seq_seen(seq, slice)) != SK_ERR_TIMEOUT)
			break;
		left -= slice;
		if (left > 0 && !skd_guard_running())
			skd_guard_spawn();
	}
	if (e == 0)
		return 0;
	sk_warn("skinkey-guard is not running or does not acknowledge events within %d ms: %s "
	    "answer withheld (audit = required)", skd_config.audit_deadline_ms,
	    op != NULL ? op : "operation");
	/* the chip did it; the chain says so (the row above) and that its answer was withheld */
	if (skd_event_publish(&ev) != 0)
		sk_warn("the withheld answer's event was not written");
	return SK_ERR_UNRECORDED;
}

int skd_guard_record(int kind, const char *chip, const char *op, const char *object, int r)
{
	int e = skd_event_note((enum skd_ev_kind)kind, chip, op, object, 0, -1, r);

	if (e != 0 && r == 0 && skd_config.audit != SKD_AUDIT_OFF) {
		sk_warn("%s %s: the event was not recorded (%s): result withheld",
		    skd_event_kind_name((enum skd_ev_kind)kind), op != NULL ? op : "", sk_strerror(e));
		return SK_ERR_UNRECORDED;
	}
	return skd_guard_confirm(r, kind, chip, op, object);
}
