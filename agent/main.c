/* main.c — skinkeyd: options, hardening, the run modes.
 *   skinkeyd --daemon        fork, listen on the socket, print nothing (what clients autostart)
 *   skinkeyd --foreground    listen on the socket, log to stderr
 *   skinkeyd --server        one Assuan session on stdin/stdout
 *   skinkeyd --multi-server  scdaemon compatibility: stdin/stdout session (gpg-agent's
 *                            scdaemon-program) and the socket too when no daemon owns it */
#include <errno.h>
#include <fcntl.h>
#include <gcrypt.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/secmem.h"
#include "common/sk_err.h"
#include "sk_config.h"
#include "event.h"
#include "skd_int.h"
#include "sshag.h"

enum mode { MODE_NONE, MODE_DAEMON, MODE_FOREGROUND, MODE_SERVER, MODE_MULTI };

struct opts {
	enum mode mode;
	const char *log_file;
	const char *config;
	int verbose;
};

static void usage(FILE *fp)
{
	fprintf(fp,
	    "usage: skinkeyd --daemon | --foreground | --server | --multi-server [options]\n"
	    "  --log-file FILE   append the log to FILE\n"
	    "  --options FILE    configuration file (default $XDG_CONFIG_HOME/skinkey/skinkey.conf)\n"
	    "  -v, --verbose     debug logging\n"
	    "  --version         print the version\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "daemon", no_argument, NULL, 'd' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "server", no_argument, NULL, 's' },
		{ "multi-server", no_argument, NULL, 'm' },
		{ "log-file", required_argument, NULL, 'l' },
		{ "options", required_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt_long(argc, argv, "v", lo, NULL)) != -1) {
		switch (ch) {
		case 'd': o->mode = MODE_DAEMON; break;
		case 'f': o->mode = MODE_FOREGROUND; break;
		case 's': o->mode = MODE_SERVER; break;
		case 'm': o->mode = MODE_MULTI; break;
		case 'l': o->log_file = optarg; break;
		case 'o': o->config = optarg; break;
		case 'v': o->verbose = 1; break;
		case 'V': printf("skinkeyd (skinkey) %s\n", SK_VERSION); exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return SK_ERR_ARG;
		}
	}
	if (optind != argc || o->mode == MODE_NONE) {
		usage(stderr);
		return SK_ERR_ARG;
	}
	return 0;
}

/* Who listens to whom: the card manager and the operations publish, these subscribe. */
static int wire_events(void)
{
	int r;

	if ((r = skd_server_events_init()) != 0 || (r = skd_pincache_events_init()) != 0 ||
	    (r = skd_pgp_events_init()) != 0 || (r = skd_duress_events_init()) != 0 ||
	    (r = skd_ctxrec_events_init()) != 0 || (r = skd_ctxkey_events_init()) != 0)
		sk_error("cannot subscribe to events: %s", sk_strerror(r));
	return r;
}

/* A refused skinkey.conf is an event too: into the outbox before exiting, so that the guard the
 * next skinkeyd starts records it (the log line says what was wrong). */
static void record_config_error(void)
{
	struct skd_event ev = { .kind = SKD_EV_CONFIG_ERROR, .result = SK_ERR_CONFIG, .counter = -1,
		.retries = -1, .detail = "skinkey.conf refused: skinkeyd did not start" };

	if (skd_state_open(NULL) == 0 && skd_outbox_open() == 0 && skd_event_publish(&ev) != 0)
		sk_warn("the configuration error was not recorded");
	skd_outbox_close();
	skd_state_close();
}

/* After state.db: the outbox, and the guard when audit is required and none runs. */
static int start_audit(int spawn)
{
	int r;

	/* not fatal (a full disk): nothing is recorded then, and with audit = required key
	 * operations are refused by the guard gate */
	if (!skd_state_shareable())
		sk_error("the event outbox is not available: state.db is not shared");
	else if ((r = skd_outbox_open()) != 0)
		sk_error("the event outbox in state.db is not available: %s", sk_strerror(r));
	if (spawn && skd_config.audit == SKD_AUDIT_REQUIRED && !skd_guard_running())
		skd_guard_spawn();
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	skd_request_shutdown();
}

static void setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void redirect_log(const char *file)
{
	int fd;

	if (file == NULL)
		return;
	if ((fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		sk_error("cannot open log file %s", file);
		return;
	}
	dup2(fd, STDERR_FILENO);
	close(fd);
}

/* The parent stays until the child is ready (socket, state.db, card manager, ssh-agent socket)
 * or has failed, and exits 0 or 1 accordingly: an autostarting client learns at once whether a
 * daemon serves, and reads why not from the child's stderr (still the client's until ready). */
static int daemonize(int *ready_fd)
{
	int p[2], fd;
	pid_t pid;

	*ready_fd = -1;
	if (pipe2(p, O_CLOEXEC) != 0)
		return SK_ERR_INTERNAL;
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return SK_ERR_INTERNAL;
	}
	if (pid > 0) {
		char c = 0;
		ssize_t k;

		close(p[1]);
		do
			k = read(p[0], &c, 1);
		while (k < 0 && errno == EINTR);
		_exit(k == 1 && c == 'R' ? 0 : 1);
	}
	close(p[0]);
	setsid();
	skd_pidlock_refresh();
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		close(fd);
	}
	*ready_fd = p[1];
	return chdir("/") == 0 ? 0 : SK_ERR_IO;
}

/* Serving: the log leaves the starter's stderr (for syslog, unless --log-file), the parent
 * exits 0. */
static void daemon_ready(int *ready_fd, const char *log_file)
{
	int fd;

	if (*ready_fd < 0)
		return;
	if (log_file == NULL && (fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		sk_log_use_syslog(1);
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	if (write(*ready_fd, "R", 1) != 1)
		sk_warn("cannot tell the starting process that the daemon is ready");
	close(*ready_fd);
	*ready_fd = -1;
}

static void *listener_main(void *arg)
{
	int lfd = (int)(intptr_t)arg;

	skd_accept_loop(lfd);
	return NULL;
}

static int run_pipe(int multi)
{
	pthread_t t;
	int lfd = -1, have_thread = 0, r;

	/* --multi-server also serves the socket when no other daemon owns it, so that the
	 * socket_name gpg-agent learns from GETINFO reaches this process. */
	if (multi && skd_listen(&lfd) == 0) {
		if (sshag_card_start() != 0)
			sk_warn("the ssh-agent socket is not available");
		if (pthread_create(&t, NULL, listener_main, (void *)(intptr_t)lfd) == 0)
			have_thread = 1;
	}
	r = skd_serve_pipe();
	skd_request_shutdown();
	if (have_thread)
		pthread_join(t, NULL);
	sshag_card_unlink();
	skd_unlisten(&lfd);
	return r;
}

static int run_socket(const struct opts *o)
{
	int lfd = -1, ready = -1, r;

	if ((r = skd_listen(&lfd)) != 0) {
		if (r == SK_ERR_EXISTS)
			sk_info("another skinkeyd already serves this user");
		else
			sk_error("cannot start: no socket to listen on (%s)", sk_strerror(r));
		return r == SK_ERR_EXISTS && o->mode == MODE_DAEMON ? 0 : r;
	}
	if (o->mode == MODE_DAEMON && (r = daemonize(&ready)) != 0)
		goto out;
	/* state.db opened after the fork: an sqlite handle must not cross fork() */
	if ((r = skd_state_open(NULL)) != 0 || (r = skd_ctxrec_open(NULL)) != 0 ||
	    (r = start_audit(1)) != 0)
		goto out;
	if ((r = skd_cardmgr_start()) != 0)
		goto out;
	if (sshag_card_start() != 0)
		sk_warn("the ssh-agent socket is not available");
	daemon_ready(&ready, o->log_file);
	r = skd_accept_loop(lfd);
out:
	if (r != 0)
		sk_error("cannot start: %s", sk_strerror(r));
	/* no socket is left behind: a client must find nobody rather than a dead end */
	sshag_card_unlink();
	skd_unlisten(&lfd);
	if (ready >= 0)
		close(ready);
	return r;
}

int main(int argc, char **argv)
{
	struct opts o;
	int r;

	if (parse_args(argc, argv, &o) != 0)
		return 2;
	umask(077);   /* every file and directory skinkeyd makes is the user's alone */
	sk_log_set_ident("skinkeyd");
	redirect_log(o.log_file);
	/* --daemon logs to its stderr until it serves (the autostarting client shows why it could
	 * not start), then to syslog unless --log-file */
	if (sk_process_harden() != 0)
		return 1;
	setup_signals();
	if (skd_conf_load(o.config) != 0) {
		record_config_error();
		return 1;
	}
	sk_log_set_level(o.verbose ? SK_LOG_DEBUG :
	    skd_config.log_level >= 0 ? skd_config.log_level : SK_LOG_INFO);
	assuan_set_gpg_err_source(GPG_ERR_SOURCE_SCD);
	if (gcry_check_version(GCRYPT_VERSION) == NULL) {
		sk_error("libgcrypt too old");
		return 1;
	}
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	if (wire_events() != 0)
		return 1;
	if (o.mode == MODE_SERVER || o.mode == MODE_MULTI) {
		/* no guard started here: one starts with the socket daemon, or for a key operation */
		if ((r = skd_state_open(NULL)) == 0 && (r = skd_ctxrec_open(NULL)) == 0 &&
		    (r = start_audit(0)) == 0 &&
		    (r = skd_cardmgr_start()) == 0)
			r = run_pipe(o.mode == MODE_MULTI);
	} else {
		r = run_socket(&o);
	}
	skd_cardmgr_stop();
	skd_pincache_clear_all();
	skd_ctxrec_close();
	skd_outbox_close();
	skd_state_close();
	return r == 0 ? 0 : 1;
}
