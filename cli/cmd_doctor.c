/* cmd_doctor.c — `skinkey doctor`: finds what stops each door (pcscd, reader, skinkeyd, gpg,
 * ssh, PKCS#11 registration, browsers, FIDO bridge, guard) and prints the fix. Exit 0 when
 * nothing stops a door, 1 when something does. PC/SC checks are in doctor_pcsc.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "common/sk_err.h"
#include "doctor.h"
#include "sk_config.h"

__attribute__((format(printf, 3, 0)))
static void say(const char *tag, const char *door, const char *fmt, va_list ap)
{
	printf("%-4s %s: ", tag, door);
	vprintf(fmt, ap);
	putchar('\n');
}

void doc_ok(struct doctor *d, const char *door, const char *fmt, ...)
{
	va_list ap;

	(void)d;
	va_start(ap, fmt);
	say("ok", door, fmt, ap);
	va_end(ap);
}

void doc_note(struct doctor *d, const char *door, const char *fmt, ...)
{
	va_list ap;

	(void)d;
	va_start(ap, fmt);
	say("--", door, fmt, ap);
	va_end(ap);
}

void doc_fail(struct doctor *d, const char *door, const char *fix, const char *fmt, ...)
{
	va_list ap;

	d->problems++;
	va_start(ap, fmt);
	say("FAIL", door, fmt, ap);
	va_end(ap);
	printf("     fix: %s\n", fix);
}

/* First line of a config file whose first word is key: its value, or "" (returns 1 if found). */
static int conf_value(const char *path, const char *key, char *val, size_t n)
{
	FILE *fp = fopen(path, "r");
	char line[1024];
	size_t k = strlen(key);
	int found = 0;

	val[0] = '\0';
	if (fp == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, key, k) != 0 || (p[k] != ' ' && p[k] != '\t'))
			continue;
		p += k;
		while (*p == ' ' || *p == '\t')
			p++;
		p[strcspn(p, "\r\n")] = '\0';
		snprintf(val, n, "%s", p);
		found = 1;   /* gpg-agent takes the last one */
	}
	fclose(fp);
	return found;
}

static void check_daemon(struct doctor *d, int pcsc_ok)
{
	assuan_context_t ctx = NULL;
	struct cli_lines l = { NULL, 0 };
	int r, chips = 0, present = 0;

	if ((r = skc_connect(&ctx)) != 0) {
		doc_fail(d, "skinkeyd", "run `skinkeyd --foreground -v` to see why, or "
		    "`journalctl --user -u skinkeyd`", "skinkeyd cannot be reached or started: %s",
		    sk_strerror(r));
		return;
	}
	if (skc_transact(ctx, "CHIPS", NULL, NULL, NULL, NULL) == 0 &&
	    cli_transact(ctx, "CHIPS", &l) == 0)
		for (size_t i = 0; i < l.n; i++) {
			int p = 0;
			char id[64];
			if (sscanf(l.v[i], "CHIP %63s %d", id, &p) == 2) {
				chips++;
				present += p;
			}
		}
	if (chips == 0)
		doc_note(d, "skinkeyd", "running; no chip known yet%s", pcsc_ok ?
		    ": tap your implant on the reader" : "");
	else
		doc_ok(d, "skinkeyd", "running; %d chip(s) known, %d in the field", chips, present);
	cli_lines_free(&l);
	assuan_release(ctx);
}

static void check_gpg(struct doctor *d)
{
	char path[PATH_MAX], val[PATH_MAX];
	const char *g = getenv("GNUPGHOME"), *h = getenv("HOME");

	if (g != NULL && g[0] == '/')
		snprintf(path, sizeof(path), "%s/gpg-agent.conf", g);
	else
		snprintf(path, sizeof(path), "%s/.gnupg/gpg-agent.conf", h ? h : "");
	if (!conf_value(path, "scdaemon-program", val, sizeof(val)) || strstr(val, "skinkey-scd") == NULL) {
		doc_fail(d, "gpg", "skinkey setup gpg && gpgconf --kill gpg-agent",
		    "gpg-agent does not use skinkey-scd (%s: scdaemon-program %s)", path,
		    val[0] ? val : "not set, so GnuPG's own scdaemon");
		return;
	}
	if (access(val, X_OK) != 0) {
		doc_fail(d, "gpg", "skinkey setup gpg && gpgconf --kill gpg-agent",
		    "gpg-agent.conf names %s, which is not an executable (%s)", val, strerror(errno));
		return;
	}
	if (doctor_find_process("scdaemon") != 0) {
		doc_fail(d, "gpg", "gpgconf --kill gpg-agent",
		    "gpg-agent.conf names skinkey-scd but GnuPG's scdaemon is still running for this user");
		return;
	}
	doc_ok(d, "gpg", "gpg-agent uses %s", val);
}

static void check_ssh(struct doctor *d)
{
	char dir[PATH_MAX], want[PATH_MAX + 8];
	const char *s = getenv("SSH_AUTH_SOCK");
	struct stat st;

	if (skc_socket_dir(dir, sizeof(dir)) != 0) {
		doc_fail(d, "ssh", "set XDG_RUNTIME_DIR (log in through your display manager or pam_systemd)",
		    "skinkeyd's socket directory cannot be named");
		return;
	}
	snprintf(want, sizeof(want), "%s/S.ssh", dir);
	if (s == NULL || s[0] == '\0') {
		doc_fail(d, "ssh", "skinkey setup ssh, then log in again (or: export SSH_AUTH_SOCK=$XDG_RUNTIME_DIR/skinkey/S.ssh)",
		    "SSH_AUTH_SOCK is not set: ssh does not ask skinkeyd for keys");
		return;
	}
	if (strcmp(s, want) != 0) {
		doc_fail(d, "ssh", "skinkey setup ssh, then log in again; an agent of the desktop (gnome-keyring, "
		    "ssh-agent) that sets SSH_AUTH_SOCK after it must be turned off",
		    "SSH_AUTH_SOCK points to %s, not skinkeyd's %s", s, want);
		return;
	}
	if (stat(want, &st) != 0 || !S_ISSOCK(st.st_mode)) {
		doc_fail(d, "ssh", "systemctl --user enable --now skinkeyd.service",
		    "SSH_AUTH_SOCK is skinkeyd's, but nothing listens there (skinkeyd not running)");
		return;
	}
	doc_ok(d, "ssh", "SSH_AUTH_SOCK is skinkeyd's agent");
}

/* A *.module file in dir naming skinkey's module. */
static int dir_registers(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *e;
	int found = 0;

	if (dp == NULL)
		return 0;
	while (!found && (e = readdir(dp)) != NULL) {
		char path[PATH_MAX], val[PATH_MAX];
		size_t n = strlen(e->d_name);
		if (n < 8 || strcmp(e->d_name + n - 7, ".module") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (conf_value(path, "module:", val, sizeof(val)) &&
		    (strcmp(val, "skinkey-pkcs11.so") == 0 || strcmp(val, SK_P11_MODULE) == 0))
			found = 1;
	}
	closedir(dp);
	return found;
}

static int nss_has_module(const char *dir)
{
	char path[PATH_MAX], line[1024];
	FILE *fp;
	int found = 0;

	snprintf(path, sizeof(path), "%s/pkcs11.txt", dir);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), fp) != NULL)
		found = strncmp(line, "library=", 8) == 0 && strstr(line, "skinkey-pkcs11") != NULL;
	fclose(fp);
	return found;
}

static void check_pkcs11(struct doctor *d)
{
	char user[PATH_MAX], fix[3 * PATH_MAX + 128];
	const char *x = getenv("XDG_CONFIG_HOME"), *h = getenv("HOME");

	if (access(SK_P11_MODULE, R_OK) != 0) {
		doc_fail(d, "pkcs11", "install skinkey (or meson install)", "%s is missing", SK_P11_MODULE);
		return;
	}
	if (x != NULL && x[0] == '/')
		snprintf(user, sizeof(user), "%s/pkcs11/modules", x);
	else
		snprintf(user, sizeof(user), "%s/.config/pkcs11/modules", h ? h : "");
	if (dir_registers(SK_P11_MODULE_CONFIGS) || dir_registers("/etc/pkcs11/modules") ||
	    dir_registers(user))
		doc_ok(d, "pkcs11", "p11-kit knows skinkey's module (p11tool, p11-kit-proxy)");
	else {
		snprintf(fix, sizeof(fix), "mkdir -p %s && echo 'module: %s' > %s/skinkey-pkcs11.module",
		    user, SK_P11_MODULE, user);
		doc_fail(d, "pkcs11", fix, "no p11-kit module file names skinkey's module");
	}
}

static void check_browsers(struct doctor *d)
{
	char base[PATH_MAX], p[PATH_MAX + 64];
	const char *h = getenv("HOME");
	DIR *dp;
	struct dirent *e;
	int profiles = 0, missing = 0;

	snprintf(base, sizeof(base), "%s/.mozilla/firefox", h ? h : "");
	if ((dp = opendir(base)) != NULL) {
		while ((e = readdir(dp)) != NULL) {
			if (e->d_name[0] == '.' ||
			    snprintf(p, sizeof(p), "%s/%s/cert9.db", base, e->d_name) >= (int)sizeof(p) ||
			    access(p, F_OK) != 0)
				continue;
			profiles++;
			p[strlen(p) - strlen("/cert9.db")] = '\0';
			missing += !nss_has_module(p);
		}
		closedir(dp);
	}
	if (profiles == 0)
		doc_note(d, "firefox", "no Firefox profile yet");
	else if (missing)
		doc_fail(d, "firefox", "skinkey setup firefox (with Firefox closed)",
		    "%d of %d Firefox profile(s) do not load skinkey's module", missing, profiles);
	else
		doc_ok(d, "firefox", "every profile loads skinkey's module");
	snprintf(p, sizeof(p), "%s/.pki/nssdb", h ? h : "");
	if (nss_has_module(p))
		doc_ok(d, "chromium", "the NSS database in %s loads skinkey's module", p);
	else if (access("/usr/bin/chromium", X_OK) == 0 || access(p, F_OK) == 0)
		doc_fail(d, "chromium", "skinkey setup chromium (with Chromium closed)",
		    "the NSS database in %s does not load skinkey's module", p);
	else
		doc_note(d, "chromium", "Chromium is not installed");
}

/* The bridge is wanted when its user unit is enabled or it runs. */
static int hidbridge_wanted(void)
{
	char p[PATH_MAX];
	const char *x = getenv("XDG_CONFIG_HOME"), *h = getenv("HOME");
	int k;

	if (x != NULL && x[0] == '/')
		k = snprintf(p, sizeof(p), "%s/systemd/user/default.target.wants/skinkey-hidbridge.service", x);
	else
		k = snprintf(p, sizeof(p), "%s/.config/systemd/user/default.target.wants/skinkey-hidbridge.service",
		    h ? h : "");
	if (k > 0 && (size_t)k < sizeof(p) && access(p, F_OK) == 0)
		return 1;
	return doctor_find_process("skinkey-hidbrid") != 0;   /* comm: 15 characters */
}

/* Only the FIDO bridge needs /dev/uhid: a fault while the bridge is wanted, a note otherwise. */
static void check_fido(struct doctor *d)
{
	const char *fix = NULL;
	char what[256];
	int fd;

	if (access(SK_BINDIR "/skinkey-hidbridge", X_OK) != 0) {
		doc_note(d, "fido", "skinkey-hidbridge is not installed: /dev/uhid not checked");
		return;
	}
	if (access("/dev/uhid", F_OK) != 0) {
		fix = "sudo modprobe uhid (and add uhid to /etc/modules to keep it)";
		snprintf(what, sizeof(what), "/dev/uhid does not exist: this kernel has not loaded uhid");
	} else if ((fd = open("/dev/uhid", O_RDWR | O_CLOEXEC)) < 0) {
		if (errno == EACCES || errno == EPERM) {
			fix = "the skinkey package's udev rule (70-skinkey-uhid.rules) gives /dev/uhid to the "
			    "user at the seat: sudo udevadm trigger --name-match=uhid, then log in at the machine "
			    "itself (an ssh login gets no seat)";
			snprintf(what, sizeof(what), "/dev/uhid is not accessible to this user: the FIDO bridge "
			    "cannot create its device");
		} else {
			fix = "sudo modprobe uhid";
			snprintf(what, sizeof(what), "/dev/uhid cannot be opened: %s", strerror(errno));
		}
	} else
		close(fd);
	if (fix == NULL)
		doc_ok(d, "fido", "/dev/uhid is accessible");
	else if (hidbridge_wanted())
		doc_fail(d, "fido", fix, "%s", what);
	else
		doc_note(d, "fido", "%s (only for the FIDO bridge, which is not enabled; fix: %s)", what, fix);
}

static void check_guard(struct doctor *d)
{
	if (access(SK_BINDIR "/skinkey-guard", X_OK) != 0) {
		doc_note(d, "guard", "skinkey-guard is not installed");
		return;
	}
	if (!skc_guard_running())   /* its lock beside skinkeyd's socket */
		doc_fail(d, "guard", "systemctl --user enable --now skinkey-guard.service (or: skinkey-guard --daemon)",
		    "skinkey-guard is not running: operations are not recorded, and with audit = required "
		    "skinkeyd refuses key operations until it starts one");
	else
		doc_ok(d, "guard", "skinkey-guard is running (holds its lock)");
}

static int run_doctor(const struct cli_opts *o, int argc, char **argv)
{
	struct doctor d = { 0 };
	int pcsc_ok;

	(void)o;
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: skinkey doctor\n");
		return CLI_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);   /* a daemon that dies while asked is a finding, not our death */
	pcsc_ok = doctor_pcsc(&d);
	check_daemon(&d, pcsc_ok);
	check_gpg(&d);
	check_ssh(&d);
	check_pkcs11(&d);
	check_browsers(&d);
	check_fido(&d);
	check_guard(&d);
	if (d.problems)
		printf("doctor: %d problem(s) found\n", d.problems);
	else
		printf("doctor: nothing stops a door\n");
	return d.problems ? CLI_ERR : CLI_OK;
}

const struct cli_cmd cli_cmd_doctor = { "doctor", run_doctor,
	"doctor        find what stops a door (pcscd, reader, gpg, ssh, browsers) and say the fix" };
