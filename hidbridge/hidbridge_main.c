/* hidbridge_main.c — skinkey-hidbridge: presents the implant's FIDO2 applet as a CTAPHID device
 * through /dev/uhid while skinkeyd knows a FIDO-capable chip, and relays every CTAPHID request to
 * skinkeyd's CTAP command. Runs as the user (the udev rule gives the seat's user /dev/uhid). */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "bridge.h"
#include "log.h"
#include "sk_config.h"
#include "sk_err.h"
#include "uhid.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: skinkey-hidbridge [--uhid PATH] [--poll SECONDS] [--log-level LEVEL] [--syslog]\n"
	    "Presents the implant's FIDO2 applet as a CTAPHID (USB security key) device through\n"
	    "/dev/uhid and relays it to skinkeyd. See skinkey-hidbridge(8).\n");
}

struct opts {
	const char *uhid;
	int poll_s;
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "uhid", required_argument, NULL, 'u' },
		{ "poll", required_argument, NULL, 'p' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "syslog", no_argument, NULL, 's' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, lvl;
	char *end;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'u': o->uhid = optarg; break;
		case 'p':
			errno = 0;
			o->poll_s = (int)strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || o->poll_s < 1 || o->poll_s > 3600) {
				fprintf(stderr, "skinkey-hidbridge: --poll wants 1..3600 seconds\n");
				return 2;
			}
			break;
		case 'l':
			if (sk_log_parse_level(optarg, &lvl) != 0) {
				fprintf(stderr, "skinkey-hidbridge: unknown log level %s\n", optarg);
				return 2;
			}
			sk_log_set_level(lvl);
			break;
		case 's': sk_log_use_syslog(1); break;
		case 'V': printf("skinkey-hidbridge %s\n", SK_VERSION); return 1;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	return 0;
}

/* Sends every queued report to the kernel. */
static int flush_reports(struct bridge *b, struct uhiddev *dev)
{
	uint8_t rep[CTAPHID_REPORT];

	while (bridge_output(b, rep))
		if (dev != NULL && uhiddev_write(dev, rep) != 0)
			return SK_ERR_IO;
	return 0;
}

static int serve(const struct opts *o)
{
	struct bridge *b = NULL;
	struct uhiddev *dev = NULL;
	uint64_t next_query = 0;
	int rc;

	if ((rc = bridge_new(&b, 0)) != 0) {
		sk_error("hidbridge: %s", sk_strerror(rc));
		goto out;
	}
	while (!stop_flag) {
		struct pollfd pf[2] = { { bridge_fd(b), POLLIN, 0 }, { uhiddev_fd(dev), POLLIN, 0 } };
		uint64_t now = bridge_now_ms();
		int timeout = bridge_timeout_ms(b);

		/* Until skinkeyd knows a FIDO chip there is no device; once it does, the chip stays
		 * known (skinkeyd keeps it in its state), and so does the device. */
		if (dev == NULL) {
			if (bridge_fido_known(b) == 1) {
				if ((rc = uhiddev_open(&dev, o->uhid)) != 0)
					goto out;
				continue;
			}
			if (now >= next_query) {
				if (bridge_query_chips(b))
					next_query = now + (uint64_t)o->poll_s * 1000u;
				else
					next_query = now + 1000;
			}
			int until = (int)(next_query > now ? next_query - now : 0);
			if (timeout < 0 || until < timeout)
				timeout = until;
		}
		if (poll(pf, dev != NULL ? 2 : 1, timeout) < 0 && errno != EINTR) {
			sk_error("hidbridge: poll: %s", strerror(errno));
			rc = SK_ERR_IO;
			goto out;
		}
		if (dev != NULL && (pf[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			uint8_t rep[UHIDDEV_REPORT + 1];
			size_t n;
			while ((rc = uhiddev_read(dev, rep, sizeof(rep), &n)) == 1)
				bridge_host_report(b, rep, n);
			if (rc < 0)
				goto out;
		}
		bridge_step(b);
		if ((rc = flush_reports(b, dev)) != 0)
			goto out;
	}
	rc = 0;
out:
	if (b != NULL) {
		struct ctaphid_stats st;
		bridge_stats(b, &st);
		sk_info("hidbridge: %llu reports in, %llu out, %llu requests, %llu cancels, %llu errors",
		    (unsigned long long)st.reports_in, (unsigned long long)st.reports_out,
		    (unsigned long long)st.requests, (unsigned long long)st.cancels,
		    (unsigned long long)st.errors_sent);
	}
	uhiddev_close(&dev);
	bridge_free(&b);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = { .uhid = NULL, .poll_s = 10 };
	struct sigaction sa;
	struct rlimit nocore = { 0, 0 };
	int rc;

	sk_log_set_ident("skinkey-hidbridge");
	if ((rc = parse_args(argc, argv, &o)) != 0)
		return rc == 1 ? 0 : rc;
	/* CTAP messages carry PIN material (encrypted, but still): no core dumps, no ptrace. */
	(void)setrlimit(RLIMIT_CORE, &nocore);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	rc = serve(&o);
	return rc == 0 ? 0 : 1;
}
