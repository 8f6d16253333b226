/* notify.c — "Tap your implant" as a desktop notification when the waiting client cannot show it.
 *
 * A client in a terminal sees skinkey's tap prompt (or its own); one without a terminal (ssh
 * started from a desktop launcher, Firefox, git inside an editor, gpg through gpg-agent) shows
 * nothing while skinkeyd waits for the chip. So each connection thread records who its client
 * is: the peer's pid (SO_PEERCRED; the parent for --server pipes) and whether that process has
 * a controlling terminal (tty_nr in /proc/PID/stat). A client may decide for itself with
 * `OPTION skinkey-notify=auto|always|never` (the PKCS#11 module or a GUI knows better than a
 * guess). While a tap is awaited for a client without a terminal, skinkeyd sends a freedesktop
 * notification (org.freedesktop.Notifications.Notify on the user's session bus, sd-bus) and
 * withdraws it (CloseNotification) when the chip came or the wait ended. No session bus, no
 * notification service: nothing is shown and nothing fails. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "notify.h"
#include "skd.h"

#ifdef SKD_HAVE_SDBUS
#include <systemd/sd-bus.h>
#endif

#define NOTIFY_BUS_TIMEOUT_US (2u * 1000u * 1000u)

static __thread struct {
	int known;
	pid_t pid;
	int has_tty;
	int mode;              /* SKD_NOTIFY_AUTO / ALWAYS / NEVER */
	char comm[64];
} client;

/* /proc/PID/stat: "pid (comm) state ppid pgrp session tty_nr ..."; comm may hold spaces and
 * parentheses, so parse from the last ')'. */
static int read_stat(pid_t pid, char *comm, size_t clen, int *tty)
{
	char path[64], buf[512], *open_p, *close_p;
	int ppid = 0, pgrp = 0, sess = 0, tty_nr = 0;
	char state = 0;
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	if ((open_p = strchr(buf, '(')) == NULL || (close_p = strrchr(buf, ')')) == NULL ||
	    close_p < open_p ||
	    sscanf(close_p + 1, " %c %d %d %d %d", &state, &ppid, &pgrp, &sess, &tty_nr) != 5)
		return -1;
	snprintf(comm, clen, "%.*s", (int)(close_p - open_p - 1), open_p + 1);
	*tty = tty_nr != 0;
	return 0;
}

/* The program's name from argv[0] (comm is cut at 15 characters). */
static void read_name(pid_t pid, char *name, size_t n)
{
	char path[64], buf[256], *base;
	FILE *fp;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return;
	len = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[len] = '\0';
	base = strrchr(buf, '/');
	base = base != NULL ? base + 1 : buf;
	if (*base != '\0')
		snprintf(name, n, "%.63s", base);
}

void skd_notify_client(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	memset(&client, 0, sizeof(client));
	client.mode = SKD_NOTIFY_AUTO;
	if (fd >= 0) {
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || len != sizeof(cr))
			return;
		client.pid = cr.pid;
	} else {
		client.pid = getppid();   /* --server: gpg-agent (or whoever) runs us on a pipe */
	}
	if (client.pid > 0 && read_stat(client.pid, client.comm, sizeof(client.comm),
	    &client.has_tty) == 0) {
		client.known = 1;
		read_name(client.pid, client.comm, sizeof(client.comm));
	}
	sk_debug("client pid %ld (%s): %s", (long)client.pid, client.known ? client.comm : "?",
	    client.known ? (client.has_tty ? "has a terminal" : "no terminal") : "unknown");
}

int skd_notify_option(const char *value)
{
	if (strcmp(value, "auto") == 0)
		client.mode = SKD_NOTIFY_AUTO;
	else if (strcmp(value, "always") == 0)
		client.mode = SKD_NOTIFY_ALWAYS;
	else if (strcmp(value, "never") == 0)
		client.mode = SKD_NOTIFY_NEVER;
	else
		return -1;
	return 0;
}

static int wanted(void)
{
	if (client.mode != SKD_NOTIFY_AUTO)
		return client.mode == SKD_NOTIFY_ALWAYS;
	return client.known && !client.has_tty;
}

/* Who waits, in words a person knows: skinkey-scd works for gpg. */
static const char *who(void)
{
	if (!client.known)
		return "A program";
	if (strcmp(client.comm, "skinkey-scd") == 0 || strcmp(client.comm, "gpg-agent") == 0)
		return "gpg";
	return client.comm;
}

struct skd_notice {
#ifdef SKD_HAVE_SDBUS
	sd_bus *bus;
#endif
	uint32_t id;
};

#ifdef SKD_HAVE_SDBUS
static int notify_send(sd_bus *bus, const char *summary, const char *body, int timeout_ms,
    uint32_t *id)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int r;

	r = sd_bus_call_method(bus, "org.freedesktop.Notifications", "/org/freedesktop/Notifications",
	    "org.freedesktop.Notifications", "Notify", &err, &reply, "susssasa{sv}i", "skinkey",
	    (uint32_t)0, "security-high", summary, body, 0, 1, "urgency", "y", (uint8_t)2,
	    (int32_t)timeout_ms);
	if (r >= 0)
		r = sd_bus_message_read(reply, "u", id);
	if (r < 0)
		sk_debug("no desktop notification: %s", err.message ? err.message : strerror(-r));
	sd_bus_error_free(&err);
	sd_bus_message_unref(reply);
	return r;
}
#endif

int skd_notify_tap(const char *chip, const char *label, int timeout_ms, struct skd_notice **out)
{
	*out = NULL;
	if (!wanted())
		return 0;
#ifdef SKD_HAVE_SDBUS
	struct skd_notice *n = calloc(1, sizeof(*n));
	char body[256];
	int r;

	if (n == NULL)
		return 0;
	if ((r = sd_bus_open_user(&n->bus)) < 0) {
		sk_debug("no desktop notification: no session bus (%s)", strerror(-r));
		free(n);
		return 0;
	}
	(void)sd_bus_set_method_call_timeout(n->bus, NOTIFY_BUS_TIMEOUT_US);
	snprintf(body, sizeof(body), "%s is waiting for your implant%s%s%s (%s). Hold it to the "
	    "reader within %d s.", who(), label && *label ? " \xe2\x80\x9c" : "",
	    label && *label ? label : "", label && *label ? "\xe2\x80\x9d" : "",
	    chip && *chip ? chip : "any chip", timeout_ms / 1000);
	if (notify_send(n->bus, "Tap your implant", body, timeout_ms, &n->id) < 0) {
		sd_bus_flush_close_unref(n->bus);
		free(n);
		return 0;
	}
	sk_info("desktop notification %u: tap for %s", n->id, who());
	*out = n;
#else
	(void)chip;
	(void)label;
	(void)timeout_ms;
	sk_debug("no desktop notification: built without libsystemd");
#endif
	return 0;
}

void skd_notify_close(struct skd_notice **np)
{
	struct skd_notice *n = *np;

	if (n == NULL)
		return;
#ifdef SKD_HAVE_SDBUS
	sd_bus_error err = SD_BUS_ERROR_NULL;
	int r = sd_bus_call_method(n->bus, "org.freedesktop.Notifications",
	    "/org/freedesktop/Notifications", "org.freedesktop.Notifications", "CloseNotification",
	    &err, NULL, "u", n->id);

	if (r < 0)
		sk_debug("closing notification %u: %s", n->id, err.message ? err.message : strerror(-r));
	sd_bus_error_free(&err);
	sd_bus_flush_close_unref(n->bus);
#endif
	free(n);
	*np = NULL;
}
