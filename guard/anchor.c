/* anchor.c — `anchor-command` (skinkey.conf): after each recorded batch the new head goes to
 * the user's own transport on stdin, one line:
 *     skinkey-audit-head v1 seq=<n> hash=<64 hex> ts=<unix seconds>
 * run by /bin/sh -c, not waited for (SIGCHLD is ignored, so it is reaped by the kernel);
 * skinkey itself never opens a network connection. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "guard.h"

extern char **environ;

int guard_anchor_notify(struct audit_log *l);

int guard_anchor_notify(struct audit_log *l)
{
	posix_spawn_file_actions_t fa;
	uint8_t hash[AUDIT_HASH_LEN];
	char line[160], *argv[4];
	uint64_t seq = 0;
	int fds[2] = { -1, -1 }, r, n;
	pid_t pid;

	if (guard_config.anchor_command[0] == '\0')
		return 0;
	if ((r = audit_head(l, &seq, hash)) != 0)
		return r;
	n = snprintf(line, sizeof(line), "skinkey-audit-head v1 seq=%" PRIu64 " hash=", seq);
	for (int i = 0; i < AUDIT_HASH_LEN; i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%02x", hash[i]);
	n += snprintf(line + n, sizeof(line) - (size_t)n, " ts=%lld\n", (long long)time(NULL));
	if (pipe2(fds, O_CLOEXEC) != 0)
		return SK_ERR_IO;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], STDIN_FILENO);
	argv[0] = (char *)"/bin/sh";
	argv[1] = (char *)"-c";
	argv[2] = guard_config.anchor_command;
	argv[3] = NULL;
	r = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ) == 0 ? 0 : SK_ERR_IO;
	posix_spawn_file_actions_destroy(&fa);
	close(fds[0]);
	if (r == 0 && write(fds[1], line, (size_t)n) != n)
		sk_warn("anchor-command did not take the head: %s", strerror(errno));
	if (r != 0)
		sk_warn("anchor-command could not be started");
	close(fds[1]);
	return r;
}
