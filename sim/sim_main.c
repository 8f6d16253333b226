/* sim_main.c — skinkey-sim command line (HACKING.md "skinkey-sim command line"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_core.h"
#include "sim_link.h"
#include "sim_run.h"

int main(int argc, char **argv);

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: skinkey-sim run [--card flexsecure|desfire] [--state FILE] [--vpcd HOST:PORT] [--ctl PATH]\n"
	    "                       [--encoding minimal|real|padded]\n"
	    "       skinkey-sim ctl [--card flexsecure|desfire] [--ctl PATH] COMMAND [ARG]\n"
	    "commands: tap, remove, status, stats, reset-stats, latency MS, trace on|off,\n"
	    "          cut-after N, malformed on|off|truncate|badlen|badsw|chain|template,\n"
	    "          encoding minimal|real|padded, quit\n"
	    "--encoding defaults to $SKINKEY_SIM_ENCODING, else minimal\n");
}

struct args {
	const char *card, *state, *vpcd, *ctl, *encoding;
	int first_cmd;   /* index of the first non-option argument */
};

static int parse_opts(int argc, char **argv, int run, struct args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	a->card = "flexsecure";
	for (i = 2; i < argc; i++) {
		const char **dst = NULL;

		if (strcmp(argv[i], "--card") == 0)
			dst = &a->card;
		else if (strcmp(argv[i], "--ctl") == 0)
			dst = &a->ctl;
		else if (run && strcmp(argv[i], "--state") == 0)
			dst = &a->state;
		else if (run && strcmp(argv[i], "--vpcd") == 0)
			dst = &a->vpcd;
		else if (run && strcmp(argv[i], "--encoding") == 0)
			dst = &a->encoding;
		else if (strncmp(argv[i], "--", 2) == 0) {
			fprintf(stderr, "skinkey-sim: unknown option %s\n", argv[i]);
			return -1;
		} else
			break;
		if (i + 1 >= argc) {
			fprintf(stderr, "skinkey-sim: %s needs a value\n", argv[i]);
			return -1;
		}
		*dst = argv[++i];
	}
	a->first_cmd = i;
	return 0;
}

static char *default_ctl(const char *card)
{
	const char *rt = getenv("XDG_RUNTIME_DIR");
	char *p = NULL;

	if (rt == NULL || *rt == '\0')
		rt = "/tmp";
	if (asprintf(&p, "%s/skinkey-sim-%s.ctl", rt, card) < 0)
		return NULL;
	return p;
}

static char *default_state(const char *card)
{
	const char *d = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	char *p = NULL;
	int k;

	if (d != NULL && *d != '\0')
		k = asprintf(&p, "%s/skinkey-sim/%s.state", d, card);
	else if (home != NULL && *home != '\0')
		k = asprintf(&p, "%s/.local/share/skinkey-sim/%s.state", home, card);
	else
		return NULL;
	return k < 0 ? NULL : p;
}

static int do_run(const struct args *a, const struct sim_personality *pers)
{
	struct sim_run_opts o;
	char *ctl = a->ctl ? NULL : default_ctl(a->card);
	char *state = a->state ? NULL : default_state(a->card);
	char *vpcd = NULL;
	const char *enc = a->encoding ? a->encoding : getenv("SKINKEY_SIM_ENCODING");
	enum sim_encoding e = SIM_ENC_MINIMAL;
	int rc = 1;

	if (enc != NULL && *enc != '\0' && sim_encoding_parse(enc, &e) != 0) {
		fprintf(stderr, "skinkey-sim: unknown encoding '%s' (minimal, real or padded)\n", enc);
		rc = 2;
		goto out;
	}
	sim_set_encoding(e);

	if ((!a->ctl && ctl == NULL) || (!a->state && state == NULL)) {
		fprintf(stderr, "skinkey-sim: cannot find a default path (set HOME or use --state/--ctl)\n");
		goto out;
	}
	if (!a->vpcd && asprintf(&vpcd, "127.0.0.1:%u", pers->default_port) < 0)
		goto out;
	o.pers = pers;
	o.state_path = a->state ? a->state : state;
	o.ctl_path = a->ctl ? a->ctl : ctl;
	o.vpcd_addr = a->vpcd ? a->vpcd : vpcd;
	rc = sim_run(&o);
out:
	free(ctl);
	free(state);
	free(vpcd);
	return rc;
}

static int do_ctl(const struct args *a, int argc, char **argv)
{
	char *ctl = a->ctl ? NULL : default_ctl(a->card), line[SIM_CTL_LINE_MAX] = "";
	size_t used = 0;
	int i, rc = 2;

	if (a->first_cmd >= argc) {
		usage(stderr);
		goto out;
	}
	for (i = a->first_cmd; i < argc; i++) {
		int k = snprintf(line + used, sizeof(line) - used, "%s%s", i > a->first_cmd ? " " : "", argv[i]);

		if (k < 0 || (size_t)k >= sizeof(line) - used || strchr(argv[i], '\n') != NULL) {
			fprintf(stderr, "skinkey-sim: command too long\n");
			goto out;
		}
		used += (size_t)k;
	}
	rc = sim_ctl_client(a->ctl ? a->ctl : ctl, line);
out:
	free(ctl);
	return rc;
}

int main(int argc, char **argv)
{
	const struct sim_personality *pers;
	struct args a;
	int run;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	run = strcmp(argv[1], "run") == 0;
	if (!run && strcmp(argv[1], "ctl") != 0) {
		usage(stderr);
		return 2;
	}
	if (parse_opts(argc, argv, run, &a) != 0)
		return 2;
	if ((pers = sim_personality_find(a.card)) == NULL) {
		fprintf(stderr, "skinkey-sim: unknown card '%s' (flexsecure or desfire)\n", a.card);
		return 2;
	}
	if (run) {
		if (a.first_cmd < argc) {
			fprintf(stderr, "skinkey-sim: unexpected argument %s\n", argv[a.first_cmd]);
			return 2;
		}
		if (pers->napplets == 0) {
			fprintf(stderr, "skinkey-sim: this build has no %s applet\n", pers->name);
			return 1;
		}
		return do_run(&a, pers);
	}
	return do_ctl(&a, argc, argv);
}
