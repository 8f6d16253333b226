/* cmd_hmac.c — `skinkey hmac program|calculate`: the implant's two HMAC-SHA1 challenge-response
 * slots (YubiKey compatible: KeePassXC, ykman, pam_yubico) through skinkeyd (HMAC, HMACSLOTS,
 * HMACPROGRAM). Programming writes the chip's EEPROM: it happens only here, on the user's
 * explicit command, and a programmed slot is overwritten only with --force and the slot number
 * both given (the emptiness check and the write happen in one transaction in skinkeyd). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "cli.h"
#include "client.h"
#include "common/secmem.h"
#include "xact.h"

#define HMAC_KEY_LEN 20

struct hmac_opts {
	const char *chip;
	int force, generate, slot_given, slot;
};

static void usage(void)
{
	fprintf(stderr,
	    "usage: skinkey hmac [--chip ID] program [--generate] [--force SLOT | SLOT]  < 40 hex key\n"
	    "       skinkey hmac [--chip ID] calculate [SLOT] CHALLENGE_HEX\n"
	    "SLOT is 1 or 2 (default 2, where KeePassXC and ykman look first).\n");
}

static int unhex(const char *s, uint8_t *out, size_t cap, size_t *n)
{
	unsigned v;

	*n = 0;
	if (strlen(s) % 2 != 0)
		return -1;
	for (; *s; s += 2) {
		if (*n >= cap || sscanf(s, "%2x", &v) != 1)
			return -1;
		out[(*n)++] = (uint8_t)v;
	}
	return 0;
}

struct key_ans {
	const uint8_t *key;
};

static int answer_key(void *arg, const char *line, uint8_t **buf, size_t *n)
{
	const struct key_ans *k = arg;

	if (strncmp(line, "KEY", 3) != 0 || (*buf = malloc(HMAC_KEY_LEN)) == NULL)
		return -1;
	memcpy(*buf, k->key, HMAC_KEY_LEN);
	*n = HMAC_KEY_LEN;
	return 0;
}

static int read_key(const struct hmac_opts *o, uint8_t key[HMAC_KEY_LEN])
{
	char text[128];
	size_t len = 0, n = 0;
	int r = -1;

	if (o->generate) {
		if (RAND_bytes(key, HMAC_KEY_LEN) == 1)
			r = 0;
		goto out;
	}
	if (cli_read_secret("HMAC key (40 hex digits): ", text, sizeof(text), &len) == 0 &&
	    unhex(text, key, HMAC_KEY_LEN, &n) == 0 && n == HMAC_KEY_LEN)
		r = 0;
	else
		fprintf(stderr, "skinkey: hmac program: expected 40 hex digits on stdin (or --generate)\n");
out:
	sk_wipe(text, sizeof(text));
	return r;
}

static int do_program(assuan_context_t ctx, const struct hmac_opts *o, const char *chip)
{
	uint8_t key[HMAC_KEY_LEN];
	struct key_ans ka = { key };
	struct cli_xact x = { .ctx = ctx, .quiet = 1, .inquire = answer_key, .arg = &ka };
	int overwrite = o->force && o->slot_given, r = CLI_ERR;
	char cmd[128];

	if (o->force && !o->slot_given) {
		fprintf(stderr, "skinkey: hmac program --force needs the slot number (1 or 2): the "
		    "key in a programmed slot is lost for good\n");
		return CLI_USAGE;
	}
	if (read_key(o, key) != 0)
		goto out;
	snprintf(cmd, sizeof(cmd), "HMACPROGRAM%s %s %d", overwrite ? "" : " --if-empty", chip,
	    o->slot);
	if ((r = cli_xact_run(&x, cmd)) != 0) {
		if (gpg_err_code(x.err) == GPG_ERR_EEXIST)
			fprintf(stderr, "skinkey: slot %d is already programmed; not overwritten (its "
			    "key would be lost: give --force %d to replace it)\n", o->slot, o->slot);
		else
			fprintf(stderr, "skinkey: hmac program: %s\n", skc_gpg_strerror(x.err));
		goto out;
	}
	if (o->generate) {
		/* the only copy outside the chip: the user keeps it to program a backup */
		printf("key ");
		for (size_t i = 0; i < sizeof(key); i++)
			printf("%02x", key[i]);
		printf("\n");
	}
	printf("slot %d programmed on %s\n", o->slot, chip);
out:
	sk_wipe(key, sizeof(key));
	return r;
}

struct chal_ans {
	const uint8_t *p;
	size_t n;
};

/* the challenge is not secret; the daemon asks for it by INQUIRE CHALLENGE */
static int answer_chal(void *arg, const char *line, uint8_t **buf, size_t *n)
{
	const struct chal_ans *c = arg;

	if (strncmp(line, "CHALLENGE", 9) != 0 || (*buf = malloc(c->n)) == NULL)
		return -1;
	memcpy(*buf, c->p, c->n);
	*n = c->n;
	return 0;
}

static int do_calculate(assuan_context_t ctx, const struct cli_opts *co, const struct hmac_opts *o,
    const char *chip, const char *chal_hex)
{
	uint8_t chal[64], mac[HMAC_KEY_LEN + 1];
	struct chal_ans ca = { chal, 0 };
	struct cli_xact x = { .ctx = ctx, .quiet = 1, .data = mac,
		.data_cap = sizeof(mac), .inquire = answer_chal, .arg = &ca };
	char cmd[128];
	int r = CLI_ERR;

	if (unhex(chal_hex, chal, sizeof(chal), &ca.n) != 0 || ca.n == 0) {
		fprintf(stderr, "skinkey: hmac calculate: the challenge is 1 to 64 bytes in hex\n");
		return CLI_USAGE;
	}
	snprintf(cmd, sizeof(cmd), "HMAC %s %d", chip, o->slot);
	if (cli_xact_run(&x, cmd) != 0) {
		if (gpg_err_code(x.err) == GPG_ERR_NOT_FOUND)
			fprintf(stderr, "skinkey: hmac calculate: slot %d is not programmed "
			    "(skinkey hmac program %d)\n", o->slot, o->slot);
		else
			fprintf(stderr, "skinkey: hmac calculate: %s\n", skc_gpg_strerror(x.err));
		goto out;
	}
	if (x.data_len != HMAC_KEY_LEN) {
		fprintf(stderr, "skinkey: hmac calculate: slot %d answered no HMAC (not programmed?)\n",
		    o->slot);
		goto out;
	}
	if (co->json)
		printf("{\"slot\":%d,\"hmac\":\"", o->slot);
	for (size_t i = 0; i < HMAC_KEY_LEN; i++)
		printf("%02x", mac[i]);
	printf(co->json ? "\"}\n" : "\n");
	r = 0;
out:
	sk_wipe(mac, sizeof(mac));
	return r;
}

static int parse_slot(const char *s, int *slot)
{
	if (strcmp(s, "1") != 0 && strcmp(s, "2") != 0)
		return -1;
	*slot = s[0] - '0';
	return 0;
}

static int run_hmac(const struct cli_opts *co, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "chip", required_argument, NULL, 'c' },
		{ "force", no_argument, NULL, 'f' },
		{ "generate", no_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 }
	};
	struct hmac_opts o = { .slot = 2 };
	assuan_context_t ctx = NULL;
	const char *sub, *chal = NULL;
	char chip[64];
	int ch, r, nargs;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': o.chip = optarg; break;
		case 'f': o.force = 1; break;
		case 'g': o.generate = 1; break;
		default: usage(); return CLI_USAGE;
		}
	}
	if (optind >= argc) {
		usage();
		return CLI_USAGE;
	}
	sub = argv[optind++];
	nargs = argc - optind;
	if (strcmp(sub, "program") == 0 && nargs <= 1) {
		if (nargs == 1 && parse_slot(argv[optind], &o.slot) != 0)
			nargs = -1;
		o.slot_given = nargs == 1;
	} else if (strcmp(sub, "calculate") == 0 && (nargs == 1 || nargs == 2)) {
		if (nargs == 2 && parse_slot(argv[optind++], &o.slot) != 0)
			nargs = -1;
		chal = argv[optind];
	} else {
		nargs = -1;
	}
	if (nargs < 0) {
		usage();
		return CLI_USAGE;
	}
	if ((r = cli_connect(&ctx)) != 0)
		return r;
	if ((r = cli_pick_chip(ctx, o.chip, "ykhmac", chip, sizeof(chip))) == 0)
		r = chal != NULL ? do_calculate(ctx, co, &o, chip, chal) : do_program(ctx, &o, chip);
	assuan_release(ctx);
	return r;
}

const struct cli_cmd cli_cmd_hmac = { "hmac", run_hmac,
	"hmac program [--generate] [--force SLOT|SLOT] | calculate [SLOT] CHALLENGE_HEX" };
