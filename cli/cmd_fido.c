/* cmd_fido.c — `skinkey fido info|pin set|pin change|credentials list|credentials delete|reset`:
 * the implant's FIDO2 applet through stock libfido2 over skinkeyd's CTAP command (fido/fido.h).
 * PINs come from stdin (no echo on a terminal), never from the command line. A wrong PIN spends
 * one retry and is never retried. `reset` wipes every FIDO credential: it runs only after the
 * user typed the chip's label (or its id when it has none) back. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fido/credman.h>

#include "cli.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "fido/fido.h"
#include "xact.h"

#define PIN_CAP 128

struct fido_opts {
	const char *chip;
	int slots;
};

static void usage(void)
{
	fprintf(stderr,
	    "usage: skinkey fido [--chip ID] info [--slots]      (--slots: PIN on stdin)\n"
	    "       skinkey fido [--chip ID] pin set              (new PIN on stdin)\n"
	    "       skinkey fido [--chip ID] pin change           (old, then new PIN on stdin)\n"
	    "       skinkey fido [--chip ID] credentials list     (PIN on stdin)\n"
	    "       skinkey fido [--chip ID] credentials delete CREDENTIAL_ID_HEX  (PIN on stdin)\n"
	    "       skinkey fido [--chip ID] reset                (type the chip's label back)\n");
}

static int fido_fail(fido_dev_t *dev, const char *what, int rc)
{
	int te = skfido_dev_last_error(dev);

	if ((rc == FIDO_ERR_RX || rc == FIDO_ERR_TX || rc == FIDO_ERR_INTERNAL) && te != 0)
		fprintf(stderr, "skinkey: fido %s: %s\n", what, sk_strerror(te));
	else if (rc == FIDO_ERR_PIN_INVALID)
		fprintf(stderr, "skinkey: fido %s: wrong PIN (one retry spent)\n", what);
	else if (rc == FIDO_ERR_PIN_AUTH_BLOCKED)
		fprintf(stderr, "skinkey: fido %s: too many wrong PINs since the chip was powered: "
		    "take it away and tap again\n", what);
	else if (rc == FIDO_ERR_PIN_BLOCKED)
		fprintf(stderr, "skinkey: fido %s: the PIN is blocked; only `skinkey fido reset` helps\n",
		    what);
	else if (rc == FIDO_ERR_PIN_POLICY_VIOLATION)
		fprintf(stderr, "skinkey: fido %s: the chip refuses this PIN (4 to 63 bytes)\n", what);
	else
		fprintf(stderr, "skinkey: fido %s: %s\n", what, fido_strerr(rc));
	return CLI_ERR;
}

/* The chip to work on: --chip, else the known chip with the fido2 applet (in the field first). */
static int pick(const struct fido_opts *o, char *chip, size_t n, char *label, size_t ln)
{
	assuan_context_t ctx = NULL;
	struct cli_lines st = { NULL, 0 };
	char id[80], lab[128];
	size_t i;
	int r;

	if ((r = cli_connect(&ctx)) != 0)
		return r;
	if ((r = cli_pick_chip(ctx, o->chip, "fido2", chip, n)) != 0)
		goto out;
	if (label != NULL && (r = cli_transact(ctx, "CHIPS", &st)) == 0) {
		snprintf(label, ln, "%s", chip);
		for (i = 0; i < st.n; i++) {
			if (sscanf(st.v[i], "CHIP %79s %*s %*s %*s %127[^\n]", id, lab) == 2 &&
			    strcmp(id, chip) == 0 && strcmp(lab, "-") != 0) {
				cli_unescape(lab);
				snprintf(label, ln, "%s", lab);
			}
		}
	}
out:
	cli_lines_free(&st);
	assuan_release(ctx);
	return r;
}

static int open_dev(const char *chip, fido_dev_t **out)
{
	char path[128];
	fido_dev_t *dev;
	int rc;

	*out = NULL;
	fido_init(0);
	if ((dev = skfido_dev_new()) == NULL)
		return CLI_ERR;
	snprintf(path, sizeof(path), "%s%s", SKFIDO_PATH_PREFIX, chip);
	if ((rc = fido_dev_open(dev, path)) != FIDO_OK) {
		fido_fail(dev, "open", rc);
		fido_dev_free(&dev);
		return CLI_ERR;
	}
	*out = dev;
	return 0;
}

static void close_dev(fido_dev_t **dev)
{
	if (*dev == NULL)
		return;
	fido_dev_close(*dev);
	fido_dev_free(dev);
}

static int read_pin(const char *prompt, char *pin)
{
	size_t len = 0;

	if (cli_read_secret(prompt, pin, PIN_CAP, &len) != 0 || len == 0) {
		fprintf(stderr, "skinkey: fido: no PIN given on stdin\n");
		return CLI_USAGE;
	}
	return 0;
}

static int slots_left(fido_dev_t *dev, const fido_cbor_info_t *ci, int with_pin)
{
	fido_credman_metadata_t *md = NULL;
	char pin[PIN_CAP];
	int rc, r = CLI_ERR;

	if (fido_cbor_info_rk_remaining(ci) >= 0) {
		printf("resident slots left: %lld\n", (long long)fido_cbor_info_rk_remaining(ci));
		return 0;
	}
	if (!with_pin) {
		printf("resident slots left: unknown (info --slots asks the chip, with the PIN)\n");
		return 0;
	}
	if ((r = read_pin("FIDO PIN: ", pin)) != 0)
		return r;
	if ((md = fido_credman_metadata_new()) == NULL)
		goto out;
	if ((rc = fido_credman_get_dev_metadata(dev, md, pin)) != FIDO_OK) {
		r = fido_fail(dev, "info --slots", rc);
		goto out;
	}
	printf("resident credentials: %llu\nresident slots left: %llu\n",
	    (unsigned long long)fido_credman_rk_existing(md),
	    (unsigned long long)fido_credman_rk_remaining(md));
	r = 0;
out:
	sk_wipe(pin, sizeof(pin));
	fido_credman_metadata_free(&md);
	return r;
}

static void print_list(const char *what, char **v, size_t n)
{
	printf("%s:", what);
	for (size_t i = 0; i < n; i++)
		printf(" %s", v[i]);
	printf("\n");
}

static int do_info(const struct fido_opts *o, fido_dev_t *dev, const char *chip)
{
	fido_cbor_info_t *ci = fido_cbor_info_new();
	const unsigned char *ag;
	char **names;
	const bool *vals;
	size_t i;
	int rc, retries = -1, r = CLI_ERR;

	if (ci == NULL)
		goto out;
	if ((rc = fido_dev_get_cbor_info(dev, ci)) != FIDO_OK) {
		r = fido_fail(dev, "info", rc);
		goto out;
	}
	printf("chip: %s\n", chip);
	print_list("versions", fido_cbor_info_versions_ptr(ci), fido_cbor_info_versions_len(ci));
	print_list("extensions", fido_cbor_info_extensions_ptr(ci), fido_cbor_info_extensions_len(ci));
	printf("aaguid: ");
	ag = fido_cbor_info_aaguid_ptr(ci);
	for (i = 0; i < fido_cbor_info_aaguid_len(ci); i++)
		printf("%02x", ag[i]);
	printf("\noptions:");
	names = fido_cbor_info_options_name_ptr(ci);
	vals = fido_cbor_info_options_value_ptr(ci);
	for (i = 0; i < fido_cbor_info_options_len(ci); i++)
		printf(" %s=%s", names[i], vals[i] ? "true" : "false");
	printf("\nmax message: %llu\npin protocols:", (unsigned long long)fido_cbor_info_maxmsgsiz(ci));
	for (i = 0; i < fido_cbor_info_protocols_len(ci); i++)
		printf(" %u", fido_cbor_info_protocols_ptr(ci)[i]);
	printf("\npin: %s\n", fido_dev_has_pin(dev) ? "set" : "not set");
	if (fido_dev_has_pin(dev)) {
		if ((rc = fido_dev_get_retry_count(dev, &retries)) != FIDO_OK) {
			r = fido_fail(dev, "info (PIN retries)", rc);
			goto out;
		}
		printf("pin retries: %d\n", retries);
	}
	r = slots_left(dev, ci, o->slots);
out:
	fido_cbor_info_free(&ci);
	return r;
}

static int do_pin(fido_dev_t *dev, int argc, char **argv)
{
	char oldpin[PIN_CAP], newpin[PIN_CAP];
	int change, rc, r;

	oldpin[0] = '\0';
	if (argc != 2 || (strcmp(argv[1], "set") != 0 && strcmp(argv[1], "change") != 0)) {
		usage();
		return CLI_USAGE;
	}
	change = strcmp(argv[1], "change") == 0;
	if (!change && fido_dev_has_pin(dev)) {
		fprintf(stderr, "skinkey: fido pin set: the chip has a PIN already: use `pin change`\n");
		return CLI_ERR;
	}
	if ((change && (r = read_pin("Current FIDO PIN: ", oldpin)) != 0) ||
	    (r = read_pin("New FIDO PIN: ", newpin)) != 0)
		goto out;
	if ((rc = fido_dev_set_pin(dev, newpin, change ? oldpin : NULL)) != FIDO_OK) {
		r = fido_fail(dev, change ? "pin change" : "pin set", rc);
		goto out;
	}
	printf("FIDO PIN %s\n", change ? "changed" : "set");
	r = 0;
out:
	sk_wipe(oldpin, sizeof(oldpin));
	sk_wipe(newpin, sizeof(newpin));
	return r;
}

static void print_hex(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static int list_rp(fido_dev_t *dev, const char *rp_id, const char *pin, const char *del,
    int *found)
{
	fido_credman_rk_t *rk = fido_credman_rk_new();
	const fido_cred_t *c;
	char hex[1024];
	size_t i, j;
	int rc, r = CLI_ERR;

	if (rk == NULL)
		return CLI_ERR;
	if ((rc = fido_credman_get_dev_rk(dev, rp_id, rk, pin)) != FIDO_OK) {
		r = fido_fail(dev, "credentials", rc);
		goto out;
	}
	for (i = 0; i < fido_credman_rk_count(rk); i++) {
		c = fido_credman_rk(rk, i);
		for (j = 0; j < fido_cred_id_len(c) && j < sizeof(hex) / 2; j++)
			snprintf(hex + 2 * j, 3, "%02x", fido_cred_id_ptr(c)[j]);
		hex[2 * j] = '\0';
		if (del == NULL) {
			printf("%s\t%s\tuser-id=", rp_id, fido_cred_user_name(c) ? fido_cred_user_name(c) : "-");
			print_hex(fido_cred_user_id_ptr(c), fido_cred_user_id_len(c));
			printf("\tcredProtect=%d\tid=%s\n", fido_cred_prot(c), hex);
		} else if (strcmp(hex, del) == 0) {
			*found = 1;
			if ((rc = fido_credman_del_dev_rk(dev, fido_cred_id_ptr(c), fido_cred_id_len(c),
			    pin)) != FIDO_OK) {
				r = fido_fail(dev, "credentials delete", rc);
				goto out;
			}
			printf("deleted the credential of %s\n", rp_id);
			break;
		}
	}
	r = 0;
out:
	fido_credman_rk_free(&rk);
	return r;
}

static int do_creds(fido_dev_t *dev, int argc, char **argv)
{
	fido_credman_rp_t *rp = NULL;
	const char *del = NULL;
	char pin[PIN_CAP];
	size_t i;
	int rc, r, found = 0;

	if (argc == 2 && strcmp(argv[1], "list") == 0)
		del = NULL;
	else if (argc == 3 && strcmp(argv[1], "delete") == 0 && strlen(argv[2]) > 0)
		del = argv[2];
	else {
		usage();
		return CLI_USAGE;
	}
	if ((r = read_pin("FIDO PIN: ", pin)) != 0)
		return r;
	r = CLI_ERR;
	if ((rp = fido_credman_rp_new()) == NULL)
		goto out;
	rc = fido_credman_get_dev_rp(dev, rp, pin);
	if (rc != FIDO_OK && rc != FIDO_ERR_NO_CREDENTIALS) {
		r = fido_fail(dev, "credentials", rc);
		goto out;
	}
	for (i = 0; rc == FIDO_OK && i < fido_credman_rp_count(rp) && !found; i++)
		if ((r = list_rp(dev, fido_credman_rp_id(rp, i), pin, del, &found)) != 0)
			goto out;
	if (del != NULL && !found) {
		fprintf(stderr, "skinkey: fido credentials delete: no resident credential %s\n", del);
		r = CLI_ERR;
		goto out;
	}
	r = 0;
out:
	sk_wipe(pin, sizeof(pin));
	fido_credman_rp_free(&rp);
	return r;
}

static int do_reset(fido_dev_t *dev, const char *label)
{
	char typed[160];
	size_t len = 0;
	int rc;

	fprintf(stderr, "This erases every FIDO2 credential on the chip (ssh-sk keys, passkeys) and its "
	    "FIDO PIN.\nType the chip's label to confirm (%s): ", label);
	if (fgets(typed, sizeof(typed), stdin) == NULL)
		typed[0] = '\0';
	len = strcspn(typed, "\r\n");
	typed[len] = '\0';
	if (strcmp(typed, label) != 0) {
		fprintf(stderr, "skinkey: fido reset: the label typed does not match: nothing erased\n");
		return CLI_ERR;
	}
	if ((rc = fido_dev_reset(dev)) != FIDO_OK)
		return fido_fail(dev, "reset", rc);
	printf("FIDO2 applet reset: no credentials, no PIN\n");
	return 0;
}

static int run_fido(const struct cli_opts *co, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "chip", required_argument, NULL, 'c' }, { "slots", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	struct fido_opts o = { NULL, 0 };
	char chip[80], label[160];
	fido_dev_t *dev = NULL;
	int c, r;

	(void)co;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
		if (c == 'c')
			o.chip = optarg;
		else if (c == 's')
			o.slots = 1;
		else {
			usage();
			return CLI_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc >= 2 && strcmp(argv[0], "info") == 0 && strcmp(argv[1], "--slots") == 0) {
		o.slots = 1;
		argc = 1;
	}
	if (argc < 1) {
		usage();
		return CLI_USAGE;
	}
	if ((r = pick(&o, chip, sizeof(chip), label, sizeof(label))) != 0)
		return r;
	if ((r = open_dev(chip, &dev)) != 0)
		return r;
	if (strcmp(argv[0], "info") == 0 && argc == 1)
		r = do_info(&o, dev, chip);
	else if (strcmp(argv[0], "pin") == 0)
		r = do_pin(dev, argc, argv);
	else if (strcmp(argv[0], "credentials") == 0)
		r = do_creds(dev, argc, argv);
	else if (strcmp(argv[0], "reset") == 0 && argc == 1)
		r = do_reset(dev, label);
	else {
		usage();
		r = CLI_USAGE;
	}
	close_dev(&dev);
	return r;
}

const struct cli_cmd cli_cmd_fido = { "fido", run_fido,
	"fido [--chip ID] info [--slots] | pin set|change | credentials list|delete ID | reset" };
