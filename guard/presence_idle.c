/* presence_idle.c — logind says the session is idle: PINs are dropped (issue 12).
 *
 * With the presence watch on (presence-interval set), a thread listens on the system bus for
 * PropertiesChanged of the user's logind session (/org/freedesktop/login1/session/auto names
 * it; the signals come from its own path, /org/freedesktop/login1/session/<escaped id>). When
 * IdleHint turns true, presence.c ends the watched session quietly (no grace, no actions: idle is
 * not absence) and skinkeyd drops every cached PIN and the chip's PIN state (DROPPINS). The next
 * PIN starts a session again. The thread blocks in poll() with no timeout: no timer, no wake-up
 * but the bus's own messages. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef GUARD_HAVE_SDBUS
#include <systemd/sd-bus.h>
#endif

#include "client.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "guard.h"

#ifdef GUARD_HAVE_SDBUS

#define SESSION_IFACE "org.freedesktop.login1.Session"

static pthread_t thr;
static int started;
static int quit_pipe[2] = { -1, -1 };
static sd_bus *bus;

/* DROPPINS and the audit row, on this thread's own connection to skinkeyd. */
static void drop_pins(const char *chip)
{
	assuan_context_t ctx = NULL;
	char line[160];
	int r;

	if ((r = skc_connect_noautostart(&ctx)) != 0) {
		sk_warn("presence: session idle: skinkeyd does not answer: PINs not dropped (%s)",
		    sk_strerror(r));
		return;
	}
	if ((r = skc_transact(ctx, "DROPPINS", NULL, NULL, NULL, NULL)) != 0)
		sk_warn("presence: session idle: DROPPINS: %s", sk_strerror(r));
	else
		sk_info("presence: session idle (logind IdleHint): PINs dropped");
	snprintf(line, sizeof(line), "PRESENCE idle %s reason=session-idle%%20pins-dropped=%s",
	    chip[0] ? chip : "-", r == 0 ? "yes" : "no");
	if (skc_transact(ctx, line, NULL, NULL, NULL, NULL) != 0)
		sk_warn("presence: the idle change was not recorded");
	assuan_release(ctx);
}

/* PropertiesChanged(s interface, a{sv} changed, as invalidated): IdleHint true? */
static int on_props(sd_bus_message *m, void *userdata, sd_bus_error *err)
{
	const char *iface = NULL, *name = NULL;
	int idle = -1, r;
	char chip[64];

	(void)userdata;
	(void)err;
	if ((r = sd_bus_message_read(m, "s", &iface)) < 0 || strcmp(iface, SESSION_IFACE) != 0)
		return 0;
	if ((r = sd_bus_message_enter_container(m, 'a', "{sv}")) < 0)
		goto bad;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		if ((r = sd_bus_message_read(m, "s", &name)) < 0)
			goto bad;
		if (strcmp(name, "IdleHint") == 0) {
			int b = 0;

			if ((r = sd_bus_message_read(m, "v", "b", &b)) < 0)
				goto bad;
			idle = b != 0;
		} else if ((r = sd_bus_message_skip(m, "v")) < 0) {
			goto bad;
		}
		if ((r = sd_bus_message_exit_container(m)) < 0)
			goto bad;
	}
	if (r < 0)
		goto bad;
	if (idle == 1 && guard_presence_idle(chip, sizeof(chip)) == 0)
		drop_pins(chip);
	else if (idle == 0)
		sk_info("presence: session active (logind IdleHint false): nothing to do");
	return 0;
bad:
	sk_debug("presence: a PropertiesChanged of the session that does not parse: %s",
	    strerror(-r));
	return 0;
}

/* The session's own object path, from the Id of session/auto. */
static int session_path(char **path)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	char *id = NULL;
	int r;

	r = sd_bus_get_property_string(bus, "org.freedesktop.login1",
	    "/org/freedesktop/login1/session/auto", SESSION_IFACE, "Id", &e, &id);
	if (r < 0) {
		sk_info("presence: no logind session to watch for idleness: %s",
		    e.message ? e.message : strerror(-r));
		goto out;
	}
	if ((r = sd_bus_path_encode("/org/freedesktop/login1/session", id, path)) < 0)
		goto out;
	r = 0;
out:
	sd_bus_error_free(&e);
	free(id);
	return r;
}

static void *idle_thread(void *arg)
{
	struct pollfd p[2];
	int r;

	(void)arg;
	for (;;) {
		while ((r = sd_bus_process(bus, NULL)) > 0)
			;
		if (r < 0) {
			sk_warn("presence: the system bus connection broke (%s): idle no longer watched",
			    strerror(-r));
			break;
		}
		p[0].fd = sd_bus_get_fd(bus);
		p[0].events = (short)sd_bus_get_events(bus);
		p[1].fd = quit_pipe[0];
		p[1].events = POLLIN;
		p[0].revents = p[1].revents = 0;
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents != 0)
			break;
	}
	return NULL;
}

int guard_presence_idle_start(void)
{
	char *path = NULL;
	int r;

	if ((r = sd_bus_open_system(&bus)) < 0) {
		sk_info("presence: no system bus (%s): idle not watched", strerror(-r));
		return 0;
	}
	if (session_path(&path) != 0)
		goto fail;
	if ((r = sd_bus_match_signal(bus, NULL, "org.freedesktop.login1", path,
	    "org.freedesktop.DBus.Properties", "PropertiesChanged", on_props, NULL)) < 0) {
		sk_warn("presence: cannot watch %s: %s", path, strerror(-r));
		goto fail;
	}
	if (pipe2(quit_pipe, O_CLOEXEC) != 0 || pthread_create(&thr, NULL, idle_thread, NULL) != 0) {
		sk_warn("presence: no idle watch thread");
		goto fail;
	}
	started = 1;
	sk_info("presence: watching %s for IdleHint", path);
	free(path);
	return 0;
fail:
	free(path);
	for (int i = 0; i < 2; i++)
		if (quit_pipe[i] >= 0)
			close(quit_pipe[i]);
	quit_pipe[0] = quit_pipe[1] = -1;
	bus = sd_bus_flush_close_unref(bus);
	return 0;   /* the rest of presence works without it */
}

void guard_presence_idle_stop(void)
{
	if (!started)
		return;
	if (write(quit_pipe[1], "q", 1) != 1)
		sk_warn("presence: idle watch: %s", strerror(errno));
	pthread_join(thr, NULL);
	close(quit_pipe[0]);
	close(quit_pipe[1]);
	quit_pipe[0] = quit_pipe[1] = -1;
	bus = sd_bus_flush_close_unref(bus);
	started = 0;
}

#else

int guard_presence_idle_start(void)
{
	sk_info("presence: built without libsystemd: logind's idle hint is not watched");
	return 0;
}

void guard_presence_idle_stop(void)
{
}

#endif
