/* cmd_duress.c — `skinkey duress status|setup|rotate`: the DuressApplet through skinkeyd
 * (DURESS). setup and rotate authenticate with the applet's admin key, read from stdin (no echo
 * on a terminal), sent to skinkeyd by INQUIRE and never stored. setup reads the three PINs as
 * the user will type them at unlock (primary, decoy, burn), one line each, and resets every
 * context (new random key on the chip) before giving it its PIN; --new-admin-key reads one more
 * line, the next admin key. rotate gives every context a new random key, PINs kept. Both write
 * the chip's EEPROM: only on this explicit command. setup also writes `duress = on` into
 * skinkey.conf (skinkeyd then unlocks through the applet: doc/DURESS.md).
 *   skinkey duress unlock   the chip in the field: one PIN picks the context (DURESS UNLOCK)
 *   skinkey duress lock     end the active context: the chip shows locked again */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"
#include "common/secmem.h"
#include "xact.h"

#define KEY_LEN 32
#define PIN_MAX 127

struct answers {
	uint8_t admin[KEY_LEN], next[KEY_LEN];
	int has_next;
	char pin[3][PIN_MAX + 1];
	size_t pin_len[3];
	uint8_t aid[3][16];             /* rotate --instances: each context's OpenPGP instance */
};

static void usage(void)
{
	fprintf(stderr,
	    "usage: skinkey duress [--chip ID] status\n"
	    "       skinkey duress [--chip ID] setup [--new-admin-key]   (stdin: admin key hex, then\n"
	    "                      the primary, decoy and burn PINs, [then the new admin key hex])\n"
	    "       skinkey duress [--chip ID] rotate [--instances]      (stdin: admin key hex, [then\n"
	    "                      the primary, decoy and burn OpenPGP instances' AIDs, 32 hex each])\n"
	    "       skinkey duress unlock                (stdin: the PIN; picks the context)\n"
	    "       skinkey duress lock                  (end the context: the chip shows locked)\n");
}

static int read_key(const char *prompt, uint8_t key[KEY_LEN])
{
	char text[160];
	size_t len = 0, n = 0;
	unsigned v;
	int r = -1;

	if (cli_read_secret(prompt, text, sizeof(text), &len) != 0 || len != 2 * KEY_LEN)
		goto out;
	for (n = 0; n < KEY_LEN; n++) {
		if (sscanf(text + 2 * n, "%2x", &v) != 1)
			goto out;
		key[n] = (uint8_t)v;
	}
	r = 0;
out:
	if (r != 0)
		fprintf(stderr, "skinkey: duress: %s expected 64 hex digits\n", prompt);
	sk_wipe(text, sizeof(text));
	return r;
}

static int answer(void *arg, const char *line, uint8_t **buf, size_t *n)
{
	const struct answers *a = arg;
	const void *p = NULL;
	size_t len = 0;

	if (strncmp(line, "ADMINKEY", 8) == 0) {
		p = a->admin;
		len = KEY_LEN;
	} else if (strncmp(line, "NEWADMIN", 8) == 0) {
		p = a->next;
		len = a->has_next ? KEY_LEN : 0;
	} else if (strncmp(line, "INSTANCE", 8) == 0 && line[8] >= '0' && line[8] <= '2') {
		p = a->aid[line[8] - '0'];
		len = sizeof(a->aid[0]);
	} else if (strncmp(line, "PIN", 3) == 0 && line[3] >= '0' && line[3] <= '2') {
		p = a->pin[line[3] - '0'];
		len = a->pin_len[line[3] - '0'];
	} else {
		return -1;
	}
	if ((*buf = malloc(len ? len : 1)) == NULL)
		return -1;
	memcpy(*buf, p, len);
	*n = len;
	return 0;
}

static int do_status(assuan_context_t ctx, const struct cli_opts *co, const char *chip)
{
	struct cli_lines st = { 0 };
	char ver[32] = "-", cmd[96];
	int present = 0, r;

	snprintf(cmd, sizeof(cmd), "DURESS STATUS %s", chip);
	if ((r = cli_transact(ctx, cmd, &st)) != 0)
		goto out;
	for (size_t i = 0; i < st.n; i++)
		if (sscanf(st.v[i], "DURESS %d %31s", &present, ver) >= 1)
			break;
	if (co->json)
		printf("{\"chip\":\"%s\",\"duress_applet\":%s,\"version\":\"%s\"}\n", chip,
		    present ? "true" : "false", ver);
	else if (present)
		printf("%s: DuressApplet %s present\n", chip, ver);
	else
		printf("%s: no DuressApplet\n", chip);
out:
	cli_lines_free(&st);
	return r;
}

/* setup turns duress on for skinkeyd (skinkey.conf `duress = on`), unless the file already
 * says duress = something: the line is the same whatever number of contexts was set up. */
static int conf_enable(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char path[4096], line[512];
	FILE *f;
	int have = 0;

	if (xdg != NULL && xdg[0] == '/')
		snprintf(path, sizeof(path), "%s/skinkey/skinkey.conf", xdg);
	else if (home != NULL && home[0] == '/')
		snprintf(path, sizeof(path), "%s/.config/skinkey/skinkey.conf", home);
	else
		return -1;
	if ((f = fopen(path, "r")) != NULL) {
		while (!have && fgets(line, sizeof(line), f) != NULL) {
			const char *p = line + strspn(line, " \t");
			if (strncmp(p, "duress", 6) == 0 && strchr(" \t=", p[6]) != NULL)
				have = 1;
		}
		fclose(f);
	}
	if (have)
		return 0;
	if ((f = fopen(path, "a")) == NULL) {
		fprintf(stderr, "skinkey: duress setup: cannot add 'duress = on' to %s\n", path);
		return -1;
	}
	fprintf(f, "duress = on\n");
	return fclose(f) == 0 ? 0 : -1;
}

/* An instance's full AID: 32 hex digits (spaces ignored). */
static int read_aid(const char *prompt, uint8_t aid[16])
{
	char text[160], hex[33];
	size_t len = 0, k = 0;
	unsigned v;

	if (cli_read_secret(prompt, text, sizeof(text), &len) != 0)
		return -1;
	for (size_t i = 0; i < len && k < 32; i++)
		if (text[i] != ' ')
			hex[k++] = text[i];
	hex[k] = '\0';
	for (size_t i = 0; k == 32 && i < 16; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			break;
		aid[i] = (uint8_t)v;
		if (i == 15)
			return 0;
	}
	fprintf(stderr, "skinkey: duress rotate: %s expected 32 hex digits\n", prompt);
	return -1;
}

static int do_admin(assuan_context_t ctx, const char *chip, int setup, int new_admin,
    int instances)
{
	static const char *const aid_prompts[3] = { "primary instance AID: ",
		"decoy instance AID: ", "burn instance AID: " };
	static const char *const prompts[3] = { "primary PIN: ", "decoy PIN: ", "burn PIN: " };
	struct answers *a = NULL;
	struct cli_xact x = { .ctx = ctx, .quiet = 1, .inquire = answer };
	char cmd[96];
	int r = CLI_ERR;

	if ((a = sk_secure_alloc(sizeof(*a))) == NULL)
		return CLI_ERR;
	memset(a, 0, sizeof(*a));
	x.arg = a;
	if (read_key("admin key (64 hex digits): ", a->admin) != 0)
		goto out;
	for (int i = 0; setup && i < 3; i++) {
		if (cli_read_secret(prompts[i], a->pin[i], sizeof(a->pin[i]), &a->pin_len[i]) != 0 ||
		    a->pin_len[i] == 0 || a->pin_len[i] > PIN_MAX) {
			fprintf(stderr, "skinkey: duress setup: %sexpected 1 to %d characters\n",
			    prompts[i], PIN_MAX);
			goto out;
		}
	}
	for (int i = 0; setup && i < 3; i++)
		for (int j = 0; j < i; j++)
			if (a->pin_len[i] == a->pin_len[j] &&
			    memcmp(a->pin[i], a->pin[j], a->pin_len[i]) == 0) {
				fprintf(stderr, "skinkey: duress setup: two contexts have the same PIN\n");
				goto out;
			}
	if (new_admin) {
		if (read_key("new admin key (64 hex digits): ", a->next) != 0)
			goto out;
		a->has_next = 1;
	}
	for (int i = 0; !setup && instances && i < 3; i++)
		if (read_aid(aid_prompts[i], a->aid[i]) != 0)
			goto out;
	snprintf(cmd, sizeof(cmd), "DURESS %s %s%s", setup ? "SETUP" : "ROTATE", chip,
	    !setup && instances ? " --instances" : "");
	if (cli_xact_run(&x, cmd) != 0) {
		fprintf(stderr, "skinkey: duress %s: %s\n", setup ? "setup" : "rotate",
		    skc_gpg_strerror(x.err));
		goto out;
	}
	printf(setup ? "duress contexts set up on %s\n" : "duress context keys rotated on %s\n",
	    chip);
	if (setup && conf_enable() != 0)
		goto out;
	r = 0;
out:
	sk_wipe(a, sizeof(*a));
	sk_secure_free(a);
	return r;
}

/* INQUIRE NEEDPIN of DURESS UNLOCK: one line from stdin (no echo on a terminal). */
static int answer_pin(void *arg, const char *line, uint8_t **buf, size_t *n)
{
	char pin[PIN_MAX + 2];
	size_t len = 0;

	(void)arg;
	if (strncmp(line, "NEEDPIN", 7) != 0 || cli_read_secret("PIN: ", pin, sizeof(pin), &len) != 0 ||
	    len == 0 || len > PIN_MAX) {
		sk_wipe(pin, sizeof(pin));
		return -1;
	}
	if ((*buf = malloc(len)) != NULL)
		memcpy(*buf, pin, len);
	*n = len;
	sk_wipe(pin, sizeof(pin));
	return *buf != NULL ? 0 : -1;
}

static int do_unlock(assuan_context_t ctx, int lock)
{
	struct cli_lines st = { 0 };
	struct cli_xact x = { .ctx = ctx, .inquire = answer_pin, .status = &st,
		.what = lock ? "duress lock" : "duress unlock" };
	int r = CLI_ERR;

	if (cli_xact_run(&x, lock ? "DURESS LOCK" : "DURESS UNLOCK") != 0)
		goto out;
	for (size_t i = 0; i < st.n; i++)
		if (strncmp(st.v[i], "DURESS-CHIP ", 12) == 0)
			printf("%s: unlocked\n", st.v[i] + 12);
	if (lock)
		printf("locked: the next PIN goes to the DuressApplet again\n");
	r = 0;
out:
	cli_lines_free(&st);
	return r;
}

static int run_duress(const struct cli_opts *co, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "chip", required_argument, NULL, 'c' },
		{ "new-admin-key", no_argument, NULL, 'n' },
		{ "instances", no_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 }
	};
	assuan_context_t ctx = NULL;
	const char *want = NULL, *sub;
	char chip[64];
	int ch, r, new_admin = 0, instances = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': want = optarg; break;
		case 'n': new_admin = 1; break;
		case 'i': instances = 1; break;
		default: usage(); return CLI_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage();
		return CLI_USAGE;
	}
	sub = argv[optind];
	if (strcmp(sub, "status") != 0 && strcmp(sub, "setup") != 0 && strcmp(sub, "rotate") != 0 &&
	    strcmp(sub, "unlock") != 0 && strcmp(sub, "lock") != 0) {
		usage();
		return CLI_USAGE;
	}
	if ((r = cli_connect(&ctx)) != 0)
		return r;
	if (strcmp(sub, "unlock") == 0 || strcmp(sub, "lock") == 0)
		r = do_unlock(ctx, strcmp(sub, "lock") == 0);
	else if ((r = cli_pick_chip(ctx, want, "openpgp", chip, sizeof(chip))) == 0) {
		if (strcmp(sub, "status") == 0)
			r = do_status(ctx, co, chip);
		else
			r = do_admin(ctx, chip, strcmp(sub, "setup") == 0, new_admin, instances);
	}
	assuan_release(ctx);
	return r;
}

const struct cli_cmd cli_cmd_duress = { "duress", run_duress,
	"duress status | setup [--new-admin-key] | rotate | unlock | lock   (the DuressApplet)" };
