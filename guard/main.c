/* main.c — skinkey-guard, the side daemon (DESIGN.md): one per user, started by skinkeyd
 * (or a systemd user unit). No PC/SC, no card data, no PINs: it reads skinkeyd's event stream
 * and writes the audit chain.
 *   skinkey-guard --daemon      fork; the parent returns once the child holds the guard lock
 *   skinkey-guard --foreground  log to stderr (systemd)
 *   skinkey-guard init          start the sealed chain if none and print its recovery code once
 * One guard per user: a POSIX write lock on <socket dir>/guard.lock, which skinkeyd tests
 * with F_GETLK (a guard that dies releases it at once). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "common/log.h"
#include "common/logmask.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "guard.h"
#include "sk_config.h"

const struct guard_consumer *const guard_consumers[] = {
	&guard_record,
	&guard_presence,
	&guard_burn,
	NULL
};

static int lock_fd = -1;

static void usage(FILE *fp)
{
	fprintf(fp,
	    "usage: skinkey-guard --daemon | --foreground [--log-file FILE] [-v]\n"
	    "       skinkey-guard init     print the audit chain's recovery code (once)\n");
}

/* 0 = we hold it; SK_ERR_EXISTS = another guard does. */
static int take_lock(void)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	struct flock fl;

	if (skc_socket_dir_make() != 0 || skc_socket_dir(dir, sizeof(dir)) != 0)
		return SK_ERR_IO;
	snprintf(path, sizeof(path), "%s/guard.lock", dir);
	if ((lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		sk_error("cannot open %s: %s", path, strerror(errno));
		return SK_ERR_IO;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(lock_fd, F_SETLK, &fl) != 0) {
		close(lock_fd);
		lock_fd = -1;
		return SK_ERR_EXISTS;
	}
	return 0;
}

/* The parent waits for one byte: the child holds the lock (1) or another guard runs (0). */
static int daemonize(const char *log_file)
{
	int p[2], fd;
	char c = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) != 0 || (pid = fork()) < 0)
		return SK_ERR_INTERNAL;
	if (pid > 0) {
		close(p[1]);
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		if (c == 0)   /* another guard runs: return once this child is gone too */
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
		_exit(0);
	}
	close(p[0]);
	setsid();
	c = take_lock() == 0;
	if (write(p[1], &c, 1) != 1)
		sk_debug("parent gone");
	close(p[1]);
	if (!c)
		_exit(0);
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (log_file == NULL)
			dup2(fd, STDERR_FILENO);
		close(fd);
	}
	if (log_file == NULL)
		sk_log_use_syslog(1);
	return chdir("/") == 0 ? 0 : SK_ERR_IO;
}

static void redirect_log(const char *file)
{
	int fd;

	if (file == NULL)
		return;
	if ((fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return;
	dup2(fd, STDERR_FILENO);
	close(fd);
}

static int run(void)
{
	int r = 0;
	size_t started = 0;

	for (; guard_consumers[started] != NULL; started++)
		if ((r = guard_consumers[started]->start()) != 0)
			goto out;
	r = guard_stream_run();
out:
	while (started-- > 0)
		guard_consumers[started]->stop();
	return r;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "daemon", no_argument, NULL, 'd' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "log-file", required_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *log_file = NULL;
	int mode = 0, verbose = 0, ch, r;
	struct sigaction sa;

	/* nothing of the starter's but stdio: skinkeyd's start-up pipe must not stay open here */
	close_range(3, ~0u, 0);
	umask(077);
	sk_log_set_ident("skinkey-guard");
	sk_logmask_install();   /* the chip ids of duress contexts' events (context.c) */
	while ((ch = getopt_long(argc, argv, "v", lo, NULL)) != -1) {
		switch (ch) {
		case 'd': mode = 'd'; break;
		case 'f': mode = 'f'; break;
		case 'l': log_file = optarg; break;
		case 'v': verbose = 1; break;
		case 'V': printf("skinkey-guard (skinkey) %s\n", SK_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (sk_process_harden() != 0)
		return 1;
	sk_log_set_level(verbose ? SK_LOG_DEBUG : SK_LOG_INFO);
	if (mode == 0 && optind == argc - 1 && strcmp(argv[optind], "init") == 0)
		return guard_record_init(0) == 0 ? 0 : 1;
	if (mode == 0 || optind != argc) {
		usage(stderr);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);   /* anchor-command children reap themselves */
	redirect_log(log_file);
	if (mode == 'd' && log_file == NULL)
		sk_log_use_syslog(1);
	if (guard_conf_load(NULL) != 0)
		sk_warn("skinkey.conf: anchor-command and presence settings not used");
	if (mode == 'd') {
		if ((r = daemonize(log_file)) != 0)
			return 1;
	} else if ((r = take_lock()) != 0) {
		if (r == SK_ERR_EXISTS)
			sk_info("another skinkey-guard runs for this user");
		return r == SK_ERR_EXISTS ? 0 : 1;
	}
	sk_info("running (pid %ld)", (long)getpid());
	return run() == 0 ? 0 : 1;
}
