/* doctor_pcsc.c — `skinkey doctor`'s PC/SC checks: pcscd listening (and socket-activated),
 * polkit letting this user in, readers present, no program holding a reader exclusively. */
#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "doctor.h"

#define PCSCD_SOCKET "/run/pcscd/pcscd.comm"
#define MAX_READERS_LEN 8192

static const char *pcscd_socket(void)
{
	const char *s = getenv("PCSCLITE_CSOCK_NAME");   /* what libpcsclite itself honours */
	return s != NULL && s[0] == '/' ? s : PCSCD_SOCKET;
}

/* 0 connected, else errno. */
static int socket_connects(const char *path)
{
	struct sockaddr_un a;
	int fd, e = 0;

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(a.sun_path))
		return ENAMETOOLONG;
	memcpy(a.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		e = errno;
	close(fd);
	return e;
}

/* systemd ships pcscd.socket; enabled means a link in sockets.target.wants. */
static void check_socket_activation(struct doctor *d)
{
	static const char *const units[] = { "/lib/systemd/system/pcscd.socket",
		"/usr/lib/systemd/system/pcscd.socket", NULL };
	static const char *const wants[] = { "/etc/systemd/system/sockets.target.wants/pcscd.socket",
		"/lib/systemd/system/sockets.target.wants/pcscd.socket",
		"/usr/lib/systemd/system/sockets.target.wants/pcscd.socket", NULL };
	int have = 0, on = 0;

	for (int i = 0; units[i] != NULL; i++)
		have |= access(units[i], F_OK) == 0;
	for (int i = 0; wants[i] != NULL; i++)
		on |= access(wants[i], F_OK) == 0;
	if (!have)
		doc_note(d, "pcscd", "no pcscd.socket unit on this system: pcscd must be started by hand");
	else if (!on)
		doc_fail(d, "pcscd", "sudo systemctl enable --now pcscd.socket",
		    "pcscd.socket is not enabled: when pcscd exits, nothing starts it again");
	else
		doc_ok(d, "pcscd", "socket-activated (pcscd.socket enabled)");
}

static void polkit_refused(struct doctor *d, LONG rv)
{
	struct passwd *pw = getpwuid(getuid());
	char fix[1024];
	const char *user = pw != NULL ? pw->pw_name : "YOUR-USER";

	snprintf(fix, sizeof(fix),
	    "run skinkey from your desktop session, or let %s use PC/SC from anywhere with a polkit rule:\n"
	    "  sudo tee /etc/polkit-1/rules.d/50-skinkey-pcscd.rules <<'EOF'\n"
	    "  polkit.addRule(function(action, subject) {\n"
	    "      if ((action.id == \"org.debian.pcsc-lite.access_pcsc\" ||\n"
	    "           action.id == \"org.debian.pcsc-lite.access_card\") && subject.user == \"%s\")\n"
	    "          return polkit.Result.YES;\n"
	    "  });\n"
	    "  EOF", user, user);
	doc_fail(d, "pcscd", fix,
	    "pcscd accepted the connection and closed it (%s): pcscd's polkit policy refuses this user "
	    "(uid %u) — it lets in only users with an active local session, not an ssh login or a "
	    "system service", pcsc_stringify_error(rv), (unsigned)getuid());
}

static void exclusive_holder(struct doctor *d, const char *reader)
{
	char who[1024], fix[1024];
	int gnupg = 0, opensc = 0;

	doctor_pcsc_users(who, sizeof(who), &gnupg, &opensc);
	if (gnupg)
		snprintf(fix, sizeof(fix), "GnuPG's scdaemon opens readers exclusively: let skinkey be gpg's "
		    "scdaemon (skinkey setup gpg; gpgconf --kill scdaemon), or add the line pcsc-shared to "
		    "~/.gnupg/scdaemon.conf and run gpgconf --kill scdaemon");
	else if (opensc)
		snprintf(fix, sizeof(fix), "a program with OpenSC's module holds the card: close it, or in "
		    "/etc/opensc.conf (reader_driver pcsc) set connect_exclusive = false and "
		    "lock_login = false");
	else
		snprintf(fix, sizeof(fix), "close the program that holds it, or configure it to share the reader");
	doc_fail(d, "reader", fix, "'%s' is held exclusively by another program; PC/SC clients now: %s",
	    reader, who[0] ? who : "none visible to this user");
}

static void check_readers(struct doctor *d, SCARDCONTEXT ctx)
{
	char *buf = NULL;
	DWORD len = 0;
	LONG rv;
	int n = 0;

	rv = SCardListReaders(ctx, NULL, NULL, &len);
	if (rv == SCARD_S_SUCCESS && len > 1 && len < MAX_READERS_LEN && (buf = calloc(1, len + 1)) != NULL)
		rv = SCardListReaders(ctx, NULL, buf, &len);
	if (rv == SCARD_E_NO_READERS_AVAILABLE || (rv == SCARD_S_SUCCESS && buf == NULL)) {
		doc_fail(d, "reader", "plug in a PC/SC NFC reader (an ACR1252U works as is; an ACR122U needs "
		    "the kernel's NFC driver kept off: echo 'blacklist pn533_usb' | sudo tee "
		    "/etc/modprobe.d/skinkey-nfc.conf, then replug it)", "pcscd sees no reader");
		goto out;
	}
	if (rv != SCARD_S_SUCCESS) {
		doc_fail(d, "reader", "see pcscd's log: journalctl -u pcscd", "listing readers failed: %s",
		    pcsc_stringify_error(rv));
		goto out;
	}
	for (char *r = buf; *r != '\0'; r += strlen(r) + 1, n++) {
		SCARDHANDLE h;
		DWORD proto;
		rv = SCardConnect(ctx, r, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h, &proto);
		if (rv == SCARD_S_SUCCESS) {
			(void)SCardDisconnect(h, SCARD_LEAVE_CARD);
			doc_ok(d, "reader", "'%s': a card is in the field and can be shared", r);
		} else if (rv == SCARD_E_SHARING_VIOLATION)
			exclusive_holder(d, r);
		else if (rv == SCARD_E_NO_SMARTCARD || rv == SCARD_W_REMOVED_CARD)
			doc_ok(d, "reader", "'%s': ready (no chip in the field now)", r);
		else
			doc_note(d, "reader", "'%s': %s", r, pcsc_stringify_error(rv));
	}
out:
	free(buf);
}

int doctor_pcsc(struct doctor *d)
{
	const char *sock = pcscd_socket();
	SCARDCONTEXT ctx;
	struct stat st;
	LONG rv;
	int e;

	if (stat(sock, &st) != 0) {
		doc_fail(d, "pcscd", "sudo apt install pcscd && sudo systemctl enable --now pcscd.socket",
		    "pcscd is not running and nothing listens on %s", sock);
		check_socket_activation(d);
		return 0;
	}
	if ((e = socket_connects(sock)) != 0) {
		doc_fail(d, "pcscd", "sudo systemctl restart pcscd.socket pcscd",
		    "%s exists but no pcscd answers on it (%s)", sock, strerror(e));
		return 0;
	}
	doc_ok(d, "pcscd", "listening on %s", sock);
	check_socket_activation(d);
	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	if (rv != SCARD_S_SUCCESS) {
		/* the socket answered a plain connect: a refusal after accept is polkit's */
		polkit_refused(d, rv);
		return 0;
	}
	doc_ok(d, "pcscd", "lets this user in");
	check_readers(d, ctx);
	(void)SCardReleaseContext(ctx);
	return 1;
}

const char *doctor_no_reader_reason(void)
{
	const char *sock = pcscd_socket();
	SCARDCONTEXT ctx;

	if (access(sock, F_OK) != 0 || socket_connects(sock) != 0)
		return "pcscd is not running";
	if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS)
		return "pcscd refuses this user: its polkit policy admits only an active local session";
	(void)SCardReleaseContext(ctx);
	return "pcscd sees no reader: plug one in";
}

/* ---- processes ---- */

static int read_small(const char *path, char *buf, size_t n)
{
	FILE *fp = fopen(path, "r");
	size_t got;

	if (fp == NULL)
		return -1;
	got = fread(buf, 1, n - 1, fp);
	fclose(fp);
	buf[got] = '\0';
	if (got > 0 && buf[got - 1] == '\n')
		buf[got - 1] = '\0';
	return 0;
}

/* Does /proc/PID/maps mention needle? */
static int maps_has(const char *pid, const char *needle)
{
	char path[300], line[512];
	FILE *fp;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%s/maps", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), fp) != NULL)
		found = strstr(line, needle) != NULL;
	fclose(fp);
	return found;
}

static int pid_dir(const struct dirent *e)
{
	return e->d_name[0] >= '1' && e->d_name[0] <= '9';
}

void doctor_pcsc_users(char *buf, size_t n, int *gnupg, int *opensc)
{
	DIR *dp = opendir("/proc");
	struct dirent *e;
	size_t o = 0;
	char self[16];

	buf[0] = '\0';
	*gnupg = *opensc = 0;
	snprintf(self, sizeof(self), "%ld", (long)getpid());
	if (dp == NULL)
		return;
	while ((e = readdir(dp)) != NULL) {
		char path[300], comm[64];
		int osc;
		if (!pid_dir(e) || strcmp(e->d_name, self) == 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		if (read_small(path, comm, sizeof(comm)) != 0 || strcmp(comm, "skinkeyd") == 0 ||
		    strcmp(comm, "pcscd") == 0)
			continue;
		osc = maps_has(e->d_name, "opensc-pkcs11");
		if (!osc && !maps_has(e->d_name, "libpcsclite"))
			continue;
		if (strcmp(comm, "scdaemon") == 0)
			*gnupg = 1;
		*opensc |= osc;
		if (o < n) {
			int k = snprintf(buf + o, n - o, "%s%s (pid %s%s)", o ? ", " : "", comm, e->d_name,
			    strcmp(comm, "scdaemon") == 0 ? ", GnuPG's scdaemon" : osc ? ", OpenSC" : "");
			o = k < 0 ? n : o + (size_t)k;
		}
	}
	closedir(dp);
}

int doctor_find_process(const char *name)
{
	DIR *dp = opendir("/proc");
	struct dirent *e;
	int found = 0;

	if (dp == NULL)
		return 0;
	while (found == 0 && (e = readdir(dp)) != NULL) {
		char path[300], comm[64];
		struct stat st;
		if (!pid_dir(e))
			continue;
		snprintf(path, sizeof(path), "/proc/%s", e->d_name);
		if (stat(path, &st) != 0 || st.st_uid != getuid())
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		if (read_small(path, comm, sizeof(comm)) == 0 && strcmp(comm, name) == 0)
			found = atoi(e->d_name);
	}
	closedir(dp);
	return found;
}
