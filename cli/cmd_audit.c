/* cmd_audit.c — `skinkey audit init|tail|show|export|verify`: the audit chain that skinkey-guard
 * writes (audit.db). Everything here reads the file read-only: the guard is its only writer, so
 * `init` runs `skinkey-guard init` (which prints the recovery code once). Verification needs no
 * daemon; `verify --chip` asks skinkeyd for the chip's signature counter. */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "audit_view.h"
#include "cli.h"
#include "xact.h"
#include "common/sk_err.h"

struct audit_opts {
	const char *db;          /* NULL = the default audit.db */
	const char *key_text;    /* --key CODE */
	const char *key_file;    /* --key-file FILE ('-' = stdin) */
	const char *chip;        /* --chip ID: compare signature counters */
	int chip_given;
	int key_from_chip;       /* verify --key-from-chip */
	uint64_t n;              /* tail -n */
};

static void usage(void)
{
	fprintf(stderr,
	    "usage: skinkey audit init                       print the recovery code (once)\n"
	    "       skinkey audit tail [-n N]                the last N rows (default 20)\n"
	    "       skinkey audit show SEQ                   one row with every detail\n"
	    "       skinkey audit export [--json]            every row\n"
	    "       skinkey audit verify [--key CODE | --key-file FILE] [--chip [ID]]\n"
	    "       skinkey audit anchor request|verify|sign|check ...\n"
	    "       skinkey audit key-to-chip [--chip ID] (--key CODE | --key-file FILE)\n"
	    "       skinkey audit verify --key-from-chip [--chip ID]   (the implant and its PIN)\n"
	    "common: --db FILE (a copy of audit.db)\n");
}

static int open_db(const struct audit_opts *ao, struct audit_log **l)
{
	int r;

	if ((r = audit_open_ro(ao->db, l)) != 0) {
		fprintf(stderr, "skinkey audit: no audit chain at %s (%s)\n",
		    ao->db != NULL ? ao->db : "the default place", sk_strerror(r));
		return CLI_ERR;
	}
	return CLI_OK;
}

static void when(int64_t ts, char *buf, size_t n)
{
	time_t t = (time_t)ts;
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL || strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, n, "%" PRId64, ts);
}

/* One line a person can scan: seq, when, what, who, chip, key, result. */
static int print_row(const struct audit_row *row, void *arg)
{
	char t[32], chip[48], obj[96], res[160], reader[96], retries[16], pin[8], sha[72], ctr[24];

	(void)arg;
	when(row->ts, t, sizeof(t));
	audit_detail(row->details, "chip", chip, sizeof(chip));
	audit_detail(row->details, "object", obj, sizeof(obj));
	audit_detail(row->details, "result", res, sizeof(res));
	audit_detail(row->details, "reader", reader, sizeof(reader));
	audit_detail(row->details, "retries", retries, sizeof(retries));
	audit_detail(row->details, "pin", pin, sizeof(pin));
	audit_detail(row->details, "sha256", sha, sizeof(sha));
	audit_detail(row->details, "counter", ctr, sizeof(ctr));
	printf("%6" PRIu64 "  %s  %-16s %-28s %s", row->seq, t, row->action, row->actor,
	    chip[0] ? chip : "-");
	if (obj[0])
		printf("  key %s", obj);
	if (pin[0])
		printf("  PIN %s", pin);
	if (retries[0])
		printf("  %s tries left", retries);
	if (ctr[0])
		printf("  counter %s", ctr);
	if (sha[0])
		printf("  data %.16s…", sha);
	if (reader[0])
		printf("  in \"%s\"", reader);
	if (res[0])
		printf("  %s", strcmp(res, "ok") == 0 ? "ok" : "FAILED: ");
	if (res[0] && strcmp(res, "ok") != 0)
		printf("%s", res);
	putchar('\n');
	return 0;
}

static void hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static int print_json(const struct audit_row *row, void *arg)
{
	int *first = arg;
	const char *cur = row->details;
	char k[64], v[AUDIT_FIELD_MAX + 1];
	int n = 0;

	printf("%s\n  {\"seq\": %" PRIu64 ", \"ts\": %" PRId64 ", \"actor\": ", *first ? "" : ",",
	    row->seq, row->ts);
	*first = 0;
	cli_json_str(row->actor);
	printf(", \"action\": ");
	cli_json_str(row->action);
	printf(", \"details\": {");
	while (audit_detail_next(&cur, k, sizeof(k), v, sizeof(v))) {
		printf("%s", n++ ? ", " : "");
		cli_json_str(k);
		printf(": ");
		cli_json_str(v);
	}
	printf("}, \"hash\": \"");
	hex(row->hash, AUDIT_HASH_LEN);
	printf("\"}");
	return 0;
}

static int print_full(const struct audit_row *row, void *arg)
{
	const char *cur = row->details;
	char k[64], v[AUDIT_FIELD_MAX + 1], t[32];

	*(int *)arg = 1;
	when(row->ts, t, sizeof(t));
	printf("row     %" PRIu64 "\nwhen    %s\naction  %s\nactor   %s\n", row->seq, t, row->action,
	    row->actor);
	while (audit_detail_next(&cur, k, sizeof(k), v, sizeof(v)))
		printf("%-7s %s\n", k, v);
	printf("hash    ");
	hex(row->hash, AUDIT_HASH_LEN);
	putchar('\n');
	return 1;   /* one row */
}

/* tail's first pass: the seqs of the last n rows shown (a ring). */
struct last_seqs {
	uint64_t *seq, n, count;
};

static int note_seq(const struct audit_row *row, void *arg)
{
	struct last_seqs *ls = arg;

	ls->seq[ls->count++ % ls->n] = row->seq;
	return 0;
}

static int run_tail(const struct audit_opts *ao)
{
	struct audit_log *l = NULL;
	struct audit_view v;
	struct last_seqs ls = { NULL, 0, 0 };
	uint64_t total, first;
	int r;

	if ((r = open_db(ao, &l)) != CLI_OK)
		return r;
	total = audit_count(l);
	ls.n = ao->n < total ? ao->n : total;
	if (ls.n == 0 || (ls.seq = calloc(ls.n, sizeof(*ls.seq))) == NULL) {
		if (ls.n != 0)
			r = CLI_ERR;
		else
			printf("(the audit chain is empty)\n");
		audit_close(&l);
		return r;
	}
	/* rows of other duress contexts are left out: the last n of the rows shown */
	cli_audit_view_open(&v, note_seq, &ls);
	r = audit_foreach(l, 1, 0, cli_audit_view_row, &v) == 0 ? CLI_OK : CLI_ERR;
	v.fn = print_row;
	v.arg = NULL;
	first = ls.count > ls.n ? ls.count - ls.n : 0;
	for (uint64_t i = first; r == CLI_OK && i < ls.count; i++)
		if (audit_foreach(l, ls.seq[i % ls.n], 1, cli_audit_view_row, &v) != 0)
			r = CLI_ERR;
	if (r == CLI_OK && ls.count == 0)
		printf("(the audit chain is empty)\n");
	cli_audit_view_close(&v);
	free(ls.seq);
	audit_close(&l);
	return r;
}

static int run_show(const struct audit_opts *ao, const char *arg)
{
	struct audit_log *l = NULL;
	struct audit_view v;
	char *end;
	uint64_t seq = strtoull(arg, &end, 10);
	int r, found = 0;

	if (*arg == '\0' || *end != '\0' || seq == 0) {
		usage();
		return CLI_USAGE;
	}
	if ((r = open_db(ao, &l)) != CLI_OK)
		return r;
	cli_audit_view_open(&v, print_full, &found);
	audit_foreach(l, seq, 1, cli_audit_view_row, &v);
	cli_audit_view_close(&v);
	audit_close(&l);
	if (!found) {
		fprintf(stderr, "skinkey audit: no row %" PRIu64 "\n", seq);
		return CLI_ERR;
	}
	return CLI_OK;
}

static int run_export(const struct cli_opts *o, const struct audit_opts *ao)
{
	struct audit_log *l = NULL;
	struct audit_view v;
	int r, first = 1;

	if ((r = open_db(ao, &l)) != CLI_OK)
		return r;
	if (o->json) {
		printf("[");
		cli_audit_view_open(&v, print_json, &first);
		r = audit_foreach(l, 1, 0, cli_audit_view_row, &v);
		printf("%s]\n", first ? "" : "\n");
	} else {
		cli_audit_view_open(&v, print_row, NULL);
		r = audit_foreach(l, 1, 0, cli_audit_view_row, &v);
	}
	cli_audit_view_close(&v);
	audit_close(&l);
	return r == 0 ? CLI_OK : CLI_ERR;
}

/* The recovery code from --key or --key-file; 0 = none given, 1 = key, <0 error printed. */
static int load_key(const struct audit_opts *ao, uint8_t key[AUDIT_KEY_LEN])
{
	char buf[256] = "";
	FILE *fp;
	int r;

	if (ao->key_text == NULL && ao->key_file == NULL)
		return 0;
	if (ao->key_file != NULL) {
		fp = strcmp(ao->key_file, "-") == 0 ? stdin : fopen(ao->key_file, "r");
		if (fp == NULL || fgets(buf, sizeof(buf), fp) == NULL) {
			fprintf(stderr, "skinkey audit: cannot read the recovery code from %s\n",
			    ao->key_file);
			if (fp != NULL && fp != stdin)
				fclose(fp);
			return -1;
		}
		if (fp != stdin)
			fclose(fp);
	}
	r = audit_code_parse(ao->key_file != NULL ? buf : ao->key_text, key);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (r != 0) {
		fprintf(stderr, "skinkey audit: the recovery code is 64 hex digits (dashes and spaces "
		    "are ignored)\n");
		return -1;
	}
	return 1;
}

/* The last signature counter the chain recorded for chip ("" = any chip). */
struct last_ctr {
	const char *chip;
	char seen_chip[48];
	int64_t counter;
	uint64_t seq;
};

static int note_counter(const struct audit_row *row, void *arg)
{
	struct last_ctr *lc = arg;
	char chip[48], ctr[24];

	audit_detail(row->details, "counter", ctr, sizeof(ctr));
	audit_detail(row->details, "chip", chip, sizeof(chip));
	if (ctr[0] == '\0' || (lc->chip[0] != '\0' && strcmp(chip, lc->chip) != 0))
		return 0;
	lc->counter = strtoll(ctr, NULL, 10);
	lc->seq = row->seq;
	snprintf(lc->seen_chip, sizeof(lc->seen_chip), "%s", chip);
	return 0;
}

/* The chip's own counter, through skinkeyd (it reads it when the chip is tapped). */
static int chip_counter(const char *chip, int64_t *out)
{
	assuan_context_t ctx = NULL;
	struct cli_lines st = { NULL, 0 };
	char cmd[128];
	int r;

	*out = -1;
	if ((r = cli_connect(&ctx)) != CLI_OK)
		return r;
	snprintf(cmd, sizeof(cmd), "SERIALNO %s", chip);
	if ((r = cli_transact(ctx, chip[0] ? cmd : "SERIALNO", NULL)) == CLI_OK &&
	    (r = cli_transact(ctx, "GETATTR SIG-COUNTER", &st)) == CLI_OK) {
		for (size_t i = 0; i < st.n; i++)
			if (strncmp(st.v[i], "SIG-COUNTER ", 12) == 0)
				*out = strtoll(st.v[i] + 12, NULL, 10);
		if (*out < 0) {
			fprintf(stderr, "skinkey audit: skinkeyd did not tell the signature counter\n");
			r = CLI_ERR;
		}
	}
	cli_lines_free(&st);
	assuan_release(ctx);
	return r;
}

static int check_chip(struct audit_log *l, const struct audit_opts *ao)
{
	struct last_ctr lc = { ao->chip != NULL ? ao->chip : "", "", -1, 0 };
	struct audit_view v;
	int64_t now;
	int r;

	/* the active duress context's signatures are in its sealed rows */
	cli_audit_view_open(&v, note_counter, &lc);
	audit_foreach(l, 1, 0, cli_audit_view_row, &v);
	cli_audit_view_close(&v);
	if (lc.counter < 0) {
		printf("chip: the chain records no signature%s%s: nothing to compare\n",
		    lc.chip[0] ? " by " : "", lc.chip);
		return CLI_OK;
	}
	if ((r = chip_counter(lc.chip[0] ? lc.chip : lc.seen_chip, &now)) != CLI_OK)
		return r;
	if (now == lc.counter) {
		printf("chip %s: signature counter %" PRId64 " = the last recorded (row %" PRIu64
		    "): every signature it made is in the chain\n", lc.seen_chip, now, lc.seq);
		return CLI_OK;
	}
	if (now > lc.counter)
		printf("chip %s: FAILED: signature counter %" PRId64 ", the chain's last is %" PRId64
		    " (row %" PRIu64 "): %" PRId64 " signature(s) not recorded (a truncated tail, or "
		    "the chip was used elsewhere)\n", lc.seen_chip, now, lc.counter, lc.seq,
		    now - lc.counter);
	else
		printf("chip %s: FAILED: signature counter %" PRId64 " is below the chain's %" PRId64
		    " (row %" PRIu64 "): another chip, or its applet was reset\n", lc.seen_chip, now,
		    lc.counter, lc.seq);
	return CLI_ERR;
}

/* ---- the verification key in the chip's DO 0103 (AUDITKEY, PW1 to read and write) ---- */

struct chipkey {
	const uint8_t *key;   /* PUT */
};

static int answer(void *arg, const char *line, uint8_t **buf, size_t *n)
{
	struct chipkey *ck = arg;
	char pin[128];
	size_t len = 0;

	if (strncmp(line, "AUDITKEY", 8) == 0 && ck->key != NULL) {
		if ((*buf = malloc(AUDIT_KEY_LEN)) == NULL)
			return SK_ERR_NOMEM;
		memcpy(*buf, ck->key, AUDIT_KEY_LEN);
		*n = AUDIT_KEY_LEN;
		return 0;
	}
	if (strncmp(line, "NEEDPIN", 7) != 0 || cli_read_secret("PIN: ", pin, sizeof(pin), &len) != 0)
		return SK_ERR_CANCELED;
	*buf = (uint8_t *)strdup(pin);
	*n = len;
	OPENSSL_cleanse(pin, sizeof(pin));
	return *buf != NULL ? 0 : SK_ERR_NOMEM;
}

/* PUT (key given) or GET (key filled) through skinkeyd. */
static int chip_key(const char *want, const uint8_t *put, uint8_t get[AUDIT_KEY_LEN])
{
	assuan_context_t ctx = NULL;
	struct chipkey ck = { put };
	uint8_t data[AUDIT_KEY_LEN];
	struct cli_xact x;
	char chip[64], cmd[128];
	int r;

	if ((r = cli_connect(&ctx)) != CLI_OK)
		return r;
	if ((r = cli_pick_chip(ctx, want, "openpgp", chip, sizeof(chip))) != 0)
		goto out;
	memset(&x, 0, sizeof(x));
	x.ctx = ctx;
	x.what = put != NULL ? "storing the key on the chip" : "reading the key from the chip";
	x.data = data;
	x.data_cap = sizeof(data);
	x.inquire = answer;
	x.arg = &ck;
	snprintf(cmd, sizeof(cmd), "AUDITKEY %s %s", put != NULL ? "PUT" : "GET", chip);
	if ((r = cli_xact_run(&x, cmd)) == 0 && put == NULL) {
		if (x.data_len != AUDIT_KEY_LEN) {
			fprintf(stderr, "skinkey audit: the chip's key has the wrong length\n");
			r = CLI_ERR;
		} else {
			memcpy(get, data, AUDIT_KEY_LEN);
		}
	}
	if (r == 0 && put != NULL)
		printf("the verification key is stored on %s (DO 0103: reading it needs the PIN)\n", chip);
	OPENSSL_cleanse(data, sizeof(data));
out:
	assuan_release(ctx);
	return r == 0 ? CLI_OK : CLI_ERR;
}

static int load_key(const struct audit_opts *ao, uint8_t key[AUDIT_KEY_LEN]);

static int run_key_to_chip(const struct audit_opts *ao)
{
	uint8_t key[AUDIT_KEY_LEN];
	int r, k;

	if ((k = load_key(ao, key)) <= 0) {
		if (k == 0)
			usage();
		return CLI_USAGE;
	}
	r = chip_key(ao->chip, key, NULL);
	OPENSSL_cleanse(key, sizeof(key));
	return r;
}

static int run_verify(const struct audit_opts *ao)
{
	struct audit_log *l = NULL;
	struct audit_report rep;
	uint8_t key[AUDIT_KEY_LEN];
	int r, k;

	if ((k = load_key(ao, key)) < 0)
		return CLI_USAGE;
	if (k == 0 && ao->key_from_chip) {
		if ((r = chip_key(ao->chip, NULL, key)) != CLI_OK)
			return r;
		k = 1;
	}
	if ((r = open_db(ao, &l)) != CLI_OK)
		goto out;
	r = audit_verify_full(l, k ? key : NULL, &rep);
	if (r == 0) {
		printf("audit chain: %" PRIu64 " rows, hash chain intact, %s\n", rep.rows,
		    rep.sealed ? "every seal verified with the recovery code" :
		    "seals not checked (give --key or --key-file for that)");
		r = CLI_OK;
	} else if (r == SK_ERR_CRYPTO) {
		printf("audit chain: FAILED at row %" PRIu64 ": %s\n  %s\n  rows 1..%" PRIu64
		    " verified before it\n", rep.first_bad, audit_fault_name(rep.fault), rep.why,
		    rep.rows);
		r = CLI_ERR;
	} else {
		fprintf(stderr, "skinkey audit: cannot read the chain: %s\n", sk_strerror(r));
		r = CLI_ERR;
	}
	if (ao->chip_given && check_chip(l, ao) != CLI_OK)
		r = CLI_ERR;
out:
	OPENSSL_cleanse(key, sizeof(key));
	audit_close(&l);
	return r;
}

/* skinkey-guard beside us (installed), in ../guard (build tree), else on PATH. */
static int run_init(void)
{
	char self[PATH_MAX], prog[PATH_MAX + 32], *slash;
	ssize_t n;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			snprintf(prog, sizeof(prog), "%s/skinkey-guard", self);
			if (access(prog, X_OK) == 0)
				execl(prog, "skinkey-guard", "init", (char *)NULL);
			snprintf(prog, sizeof(prog), "%s/../guard/skinkey-guard", self);
			if (access(prog, X_OK) == 0)
				execl(prog, "skinkey-guard", "init", (char *)NULL);
		}
	}
	execlp("skinkey-guard", "skinkey-guard", "init", (char *)NULL);
	fprintf(stderr, "skinkey audit: cannot run skinkey-guard init\n");
	return CLI_ERR;
}

static int run(const struct cli_opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "key-file", required_argument, NULL, 'K' },
		{ "chip", optional_argument, NULL, 'c' },
		{ "key-from-chip", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 }
	};
	struct audit_opts ao = { NULL, NULL, NULL, NULL, 0, 0, 20 };
	const char *sub;
	char *end;
	int ch;

	if (argc < 2) {
		usage();
		return CLI_USAGE;
	}
	sub = argv[1];
	argc--;
	argv++;
	if (strcmp(sub, "anchor") == 0)
		return cli_audit_anchor(NULL, argc, argv);   /* its own options (cmd_audit_anchor.c) */
	optind = 0;   /* 0: GNU getopt re-reads the ordering (main parsed with "+") */
	while ((ch = getopt_long(argc, argv, "n:", lo, NULL)) != -1) {
		switch (ch) {
		case 'd': ao.db = optarg; break;
		case 'k': ao.key_text = optarg; break;
		case 'K': ao.key_file = optarg; break;
		case 'c': ao.chip = optarg; ao.chip_given = 1; break;
		case 'F': ao.key_from_chip = 1; break;
		case 'n':
			ao.n = strtoull(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || ao.n == 0) {
				usage();
				return CLI_USAGE;
			}
			break;
		default: usage(); return CLI_USAGE;
		}
	}
	if (strcmp(sub, "init") == 0 && optind == argc)
		return run_init();
	if (strcmp(sub, "tail") == 0 && optind == argc)
		return run_tail(&ao);
	if (strcmp(sub, "show") == 0 && optind == argc - 1)
		return run_show(&ao, argv[optind]);
	if (strcmp(sub, "export") == 0 && optind == argc)
		return run_export(o, &ao);
	if (strcmp(sub, "verify") == 0 && optind == argc)
		return run_verify(&ao);
	if (strcmp(sub, "key-to-chip") == 0 && optind == argc)
		return run_key_to_chip(&ao);
	usage();
	return CLI_USAGE;
}

const struct cli_cmd cli_cmd_audit = {
	"audit", run, "audit init|tail|show SEQ|export [--json]|verify [--key CODE] [--chip]|anchor ...",
};
