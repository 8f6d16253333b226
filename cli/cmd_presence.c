/* cmd_presence.c — `skinkey presence status|test [CHIP]|enroll [CHIP] [--slot N]` (issue 12):
 * what skinkey-guard's presence watch says now (its state file), one liveness check through
 * skinkeyd, and the enrolment of the PIN-free proof (an empty HMAC-SHA1 slot programmed with a
 * secret the host keeps: the one EEPROM write, on the user's command; --again: a new secret). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "xact.h"

static int state_file(char *path, size_t n)
{
	char dir[PATH_MAX];

	if (skc_socket_dir(dir, sizeof(dir)) != 0)
		return -1;
	snprintf(path, n, "%s/presence.state", dir);
	return 0;
}

/* value of key in the state file, "" when absent */
static void state_get(const char *key, char *out, size_t n)
{
	char path[PATH_MAX + 32], line[256];
	size_t kl = strlen(key);
	FILE *fp;

	out[0] = '\0';
	if (state_file(path, sizeof(path)) != 0 || (fp = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, key, kl) == 0 && line[kl] == '=') {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, n, "%s", line + kl + 1);
			break;
		}
	fclose(fp);
}

static int run_status(void)
{
	char st[32], chip[64], reason[96], iv[32], gr[32];

	state_get("state", st, sizeof(st));
	if (st[0] == '\0') {
		printf("presence: no watch has run (presence-interval unset in skinkey.conf, or no "
		    "session unlocked since skinkey-guard started)\n");
		return CLI_OK;
	}
	state_get("chip", chip, sizeof(chip));
	state_get("reason", reason, sizeof(reason));
	state_get("interval_ms", iv, sizeof(iv));
	state_get("grace_ms", gr, sizeof(gr));
	printf("presence: %s%s%s%s\nchip: %s\ninterval: %s ms\ngrace: %s ms\n", st,
	    reason[0] ? " (" : "", reason, reason[0] ? ")" : "", chip[0] ? chip : "-", iv, gr);
	return CLI_OK;
}

static int run_test(const char *want)
{
	assuan_context_t ctx = NULL;
	struct cli_lines st = { NULL, 0 };
	char chip[64], cmd[128], why[32] = "", proof[16] = "-";
	long long us = 0;
	int apdus = 0, r;

	if (want != NULL)
		snprintf(chip, sizeof(chip), "%s", want);
	else
		state_get("chip", chip, sizeof(chip));
	if (chip[0] == '\0' || strlen(chip) > 47 || strchr(chip, ' ') != NULL) {
		fprintf(stderr, "skinkey presence test: no chip (no session unlocked yet): name one\n");
		return CLI_USAGE;
	}
	snprintf(cmd, sizeof(cmd), "LIVENESS %s", chip);
	if ((r = cli_connect(&ctx)) != 0)
		return r;
	r = cli_transact_quiet(ctx, cmd, &st);
	for (size_t i = 0; i < st.n; i++)
		if (strncmp(st.v[i], "LIVENESS ", 9) == 0)
			sscanf(st.v[i] + 9, "%31s %lld %d %15s", why, &us, &apdus, proof);
	if (r == 0)
		printf("chip %s proved itself: %d APDU, %.1f ms on the chip (%s)\n", chip, apdus,
		    (double)us / 1000.0, strcmp(proof, "hmac") == 0 ? "enrolled HMAC proof" :
		    "INTERNAL AUTHENTICATE");
	else
		printf("chip %s: liveness check failed: %s\n", chip, why[0] ? why : "error");
	cli_lines_free(&st);
	assuan_release(ctx);
	return r == 0 ? CLI_OK : CLI_ERR;
}

static int run_enroll(int argc, char **argv)
{
	assuan_context_t ctx = NULL;
	struct cli_lines st = { NULL, 0 };
	const char *want = NULL;
	char chip[64], cmd[128];
	int slot = 0, got = 0, again = 0, r;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--again") == 0)
			again = 1;
		else if (strcmp(argv[i], "--slot") == 0 && i + 1 < argc &&
		    (strcmp(argv[i + 1], "1") == 0 || strcmp(argv[i + 1], "2") == 0))
			slot = argv[++i][0] - '0';
		else if (argv[i][0] != '-' && want == NULL && strlen(argv[i]) < 48 &&
		    strchr(argv[i], ' ') == NULL)
			want = argv[i];
		else
			return CLI_USAGE;
	}
	if ((r = cli_connect(&ctx)) != 0)
		return r;
	if ((r = cli_pick_chip(ctx, want, "ykhmac", chip, sizeof(chip))) != 0)
		goto out;
	snprintf(cmd, sizeof(cmd), "PRESENCEENROLL %s%s %d", again ? "--again " : "", chip, slot);
	if (slot == 0)
		snprintf(cmd, sizeof(cmd), "PRESENCEENROLL %s%s", again ? "--again " : "", chip);
	if ((r = cli_transact_quiet(ctx, cmd, &st)) != 0) {
		fprintf(stderr, "skinkey presence enroll: %s: not enrolled. Already enrolled (--again "
		    "puts a new secret in the enrolled slot), or the HMAC slot is programmed "
		    "(KeePassXC, a disk key, ...): name the empty one with --slot; skinkeyd's log "
		    "says which\n", chip);
		r = CLI_ERR;
		goto out;
	}
	for (size_t i = 0; i < st.n; i++)
		if (strncmp(st.v[i], "PRESENCEENROLL ", 15) == 0)
			got = atoi(st.v[i] + 15);
	printf("chip %s enrolled for PIN-free liveness checks: HMAC slot %d (the host keeps the "
	    "secret in ~/.local/share/skinkey/presence/, 0600)\n", chip, got);
	r = CLI_OK;
out:
	cli_lines_free(&st);
	assuan_release(ctx);
	return r;
}

static int run_presence(const struct cli_opts *o, int argc, char **argv)
{
	int r;

	(void)o;
	if (argc == 2 && strcmp(argv[1], "status") == 0)
		return run_status();
	if ((argc == 2 || argc == 3) && strcmp(argv[1], "test") == 0)
		return run_test(argc == 3 ? argv[2] : NULL);
	if (argc >= 2 && strcmp(argv[1], "enroll") == 0 && (r = run_enroll(argc, argv)) != CLI_USAGE)
		return r;
	fprintf(stderr, "usage: skinkey presence status | test [CHIP] | "
	    "enroll [CHIP] [--slot 1|2] [--again]\n");
	return CLI_USAGE;
}

const struct cli_cmd cli_cmd_presence = { "presence", run_presence,
	"presence status|test [CHIP]|enroll [CHIP] [--slot 1|2] [--again]" };
