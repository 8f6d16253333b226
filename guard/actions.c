/* actions.c — what skinkey-guard can do to end a session, shared by continuous presence
 * (presence-actions, when the chip is gone) and the burn context (burn-actions, when a duress
 * unlock chose it): lock-session (logind's Session.Lock), lock-agents and drop-pins (skinkeyd's
 * LOCKAGENTS and DROPPINS over the caller's connection), end-ssh (the ssh clients that used the
 * chip, while /proc still names them) and exec PROGRAM (/bin/sh -c, not waited for). */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef GUARD_HAVE_SDBUS
#include <systemd/sd-bus.h>
#endif

#include "audit/audit.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "guard.h"

extern char **environ;

static int act_lock_session(void)
{
#ifdef GUARD_HAVE_SDBUS
	sd_bus *bus = NULL;
	sd_bus_error err = SD_BUS_ERROR_NULL;
	int r;

	if ((r = sd_bus_open_system(&bus)) < 0) {
		sk_error("lock-session: no system bus: %s", strerror(-r));
		return SK_ERR_IO;
	}
	r = sd_bus_call_method(bus, "org.freedesktop.login1", "/org/freedesktop/login1/session/auto",
	    "org.freedesktop.login1.Session", "Lock", &err, NULL, "");
	if (r < 0)
		sk_error("lock-session: %s", err.message ? err.message : strerror(-r));
	sd_bus_error_free(&err);
	sd_bus_flush_close_unref(bus);
	return r < 0 ? SK_ERR_IO : 0;
#else
	sk_error("lock-session: built without libsystemd");
	return SK_ERR_UNSUPPORTED;
#endif
}

void guard_ssh_note(struct guard_ssh_pids *t, const char *details)
{
	char door[32], prog[32], pid[16], result[16];
	int p;

	audit_detail(details, "door", door, sizeof(door));
	audit_detail(details, "prog", prog, sizeof(prog));
	audit_detail(details, "pid", pid, sizeof(pid));
	audit_detail(details, "result", result, sizeof(result));
	if (strcmp(result, "ok") != 0 || strcmp(prog, "ssh") != 0 ||
	    (strcmp(door, "ssh-agent") != 0 && strcmp(door, "pkcs11") != 0 &&
	     strcmp(door, "fido") != 0))
		return;
	if ((p = atoi(pid)) <= 1)
		return;
	for (int i = 0; i < t->n; i++)
		if (t->pid[i] == p)
			return;
	if (t->n == GUARD_SSH_PIDS_MAX) {   /* the oldest first out: it most likely ended */
		memmove(&t->pid[0], &t->pid[1], sizeof(t->pid[0]) * (GUARD_SSH_PIDS_MAX - 1));
		memmove(&t->prog[0], &t->prog[1], sizeof(t->prog[0]) * (GUARD_SSH_PIDS_MAX - 1));
		t->n--;
	}
	t->pid[t->n] = p;
	snprintf(t->prog[t->n], sizeof(t->prog[t->n]), "%s", prog);
	t->n++;
}

/* A pid is ended only while /proc still names the program the event named. */
static int act_end_ssh(struct guard_ssh_pids *t)
{
	char path[64], comm[64];
	int ended = 0;
	FILE *fp;

	for (int i = 0; i < t->n; i++) {
		snprintf(path, sizeof(path), "/proc/%d/comm", t->pid[i]);
		comm[0] = '\0';
		if ((fp = fopen(path, "re")) != NULL) {
			if (fgets(comm, sizeof(comm), fp) == NULL)
				comm[0] = '\0';
			fclose(fp);
		}
		comm[strcspn(comm, "\n")] = '\0';
		if (comm[0] == '\0' || strcmp(comm, t->prog[i]) != 0)
			continue;
		if (kill(t->pid[i], SIGTERM) == 0)
			ended++;
		else
			sk_warn("end-ssh: pid %d: %s", t->pid[i], strerror(errno));
	}
	t->n = 0;
	sk_info("end-ssh: %d ssh client(s) ended", ended);
	return 0;
}

static int act_exec(const char *prog, const char *why_var, const char *why, const char *chip)
{
	char *argv[] = { "/bin/sh", "-c", (char *)prog, NULL };
	char envr[200], envc[96];
	char *envp[64];
	size_t n = 0;
	pid_t pid;
	int r;

	snprintf(envr, sizeof(envr), "%s=%s", why_var, why);
	snprintf(envc, sizeof(envc), "SKINKEY_CHIP=%s", chip);
	for (char **e = environ; e && *e && n < 60; e++)
		envp[n++] = *e;
	envp[n++] = envr;
	envp[n++] = envc;
	envp[n] = NULL;
	if ((r = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, envp)) != 0) {
		sk_error("exec %s: %s", prog, strerror(r));
		return SK_ERR_IO;
	}
	return 0;   /* SIGCHLD is ignored: the child reaps itself */
}

void guard_actions_run(unsigned acts, const char *exec, const char *why_var, const char *why,
    const char *chip, int (*skd_cmd)(const char *line), struct guard_ssh_pids *ssh,
    char *done, size_t n)
{
	done[0] = '\0';
	if (acts & GUARD_ACT_LOCK_SESSION && act_lock_session() == 0)
		snprintf(done + strlen(done), n - strlen(done), " lock-session");
	if (acts & GUARD_ACT_LOCK_AGENTS && skd_cmd("LOCKAGENTS") == 0)
		snprintf(done + strlen(done), n - strlen(done), " lock-agents");
	if (acts & GUARD_ACT_DROP_PINS && skd_cmd("DROPPINS") == 0)
		snprintf(done + strlen(done), n - strlen(done), " drop-pins");
	if (acts & GUARD_ACT_END_SSH && act_end_ssh(ssh) == 0)
		snprintf(done + strlen(done), n - strlen(done), " end-ssh");
	if (acts & GUARD_ACT_EXEC && act_exec(exec, why_var, why, chip) == 0)
		snprintf(done + strlen(done), n - strlen(done), " exec");
}
