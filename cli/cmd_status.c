/* cmd_status.c — `skinkey status [--json]`: readers, known chips, which is in the field, applets,
 * PIN retry counters. Listing comes from skinkeyd's cache: no tap needed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "doctor.h"

struct reader {
	char name[128];
	int card;
	char chip[48];
};

struct chip {
	char id[48];
	int present;
	char applets[96];
	char reader[128];
	char label[64];
	int tries[3];          /* PW1, RC, PW3; -1 unknown */
	char sn[40];
	char data_error[300];  /* "the card's application data could not be read: ..." */
};

static void dash_empty(char *s)
{
	if (strcmp(s, "-") == 0)
		s[0] = '\0';
}

static int parse_reader(const char *line, struct reader *r)
{
	char name[128], chip[48];

	if (sscanf(line, "READER %127s %d %47s", name, &r->card, chip) != 3)
		return -1;
	cli_unescape(name);
	dash_empty(chip);
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->chip, sizeof(r->chip), "%s", chip);
	return 0;
}

static int parse_chip(const char *line, struct chip *c)
{
	char reader[128] = "", label[64] = "";

	memset(c, 0, sizeof(*c));
	c->tries[0] = c->tries[1] = c->tries[2] = -1;
	if (sscanf(line, "CHIP %47s %d %95s %127s %63s", c->id, &c->present, c->applets, reader,
	    label) < 4)
		return -1;
	dash_empty(c->applets);
	dash_empty(reader);
	dash_empty(label);
	cli_unescape(reader);
	cli_unescape(label);
	snprintf(c->reader, sizeof(c->reader), "%s", reader);
	snprintf(c->label, sizeof(c->label), "%s", label);
	return 0;
}

static void chip_details(assuan_context_t ctx, struct chip *c)
{
	struct cli_lines l = { NULL, 0 };
	char cmd[80];
	int m, a, b, d, e, f, g;

	if (strstr(c->applets, "openpgp") == NULL)
		return;
	snprintf(cmd, sizeof(cmd), "CHIPSTATUS %s", c->id);
	/* a chip without cached OpenPGP data is listed without counters, and with the reason when
	 * its data could not be read */
	(void)cli_transact_quiet(ctx, cmd, &l);
	for (size_t i = 0; i < l.n; i++) {
		if (strncmp(l.v[i], "CARD-DATA-ERROR ", 16) == 0) {
			snprintf(c->data_error, sizeof(c->data_error), "%s", l.v[i] + 16);
			cli_unescape(c->data_error);
			continue;
		}
		if (sscanf(l.v[i], "CHV-STATUS +%d+%d+%d+%d+%d+%d+%d", &m, &a, &b, &d, &e, &f, &g) == 7) {
			c->tries[0] = e;
			c->tries[1] = f;
			c->tries[2] = g;
		} else if (strncmp(l.v[i], "SERIALNO ", 9) == 0) {
			snprintf(c->sn, sizeof(c->sn), "%s", l.v[i] + 9);
		}
	}
	cli_lines_free(&l);
}

static void print_json(const struct reader *rd, size_t nr, const struct chip *ch, size_t nc)
{
	printf("{\"readers\":[");
	for (size_t i = 0; i < nr; i++) {
		printf("%s{\"name\":", i ? "," : "");
		cli_json_str(rd[i].name);
		printf(",\"card\":%s,\"chip\":", rd[i].card ? "true" : "false");
		if (rd[i].chip[0])
			cli_json_str(rd[i].chip);
		else
			printf("null");
		printf("}");
	}
	printf("],\"chips\":[");
	for (size_t i = 0; i < nc; i++) {
		printf("%s{\"id\":", i ? "," : "");
		cli_json_str(ch[i].id);
		printf(",\"present\":%s,\"applets\":", ch[i].present ? "true" : "false");
		cli_json_str(ch[i].applets);
		printf(",\"reader\":");
		cli_json_str(ch[i].reader);
		printf(",\"label\":");
		cli_json_str(ch[i].label);
		printf(",\"serialno\":");
		cli_json_str(ch[i].sn);
		if (ch[i].tries[0] >= 0)
			printf(",\"pin_retries\":{\"pw1\":%d,\"rc\":%d,\"pw3\":%d}", ch[i].tries[0],
			    ch[i].tries[1], ch[i].tries[2]);
		if (ch[i].data_error[0]) {
			printf(",\"error\":");
			cli_json_str(ch[i].data_error);
		}
		printf("}");
	}
	printf("]}\n");
}

static void print_table(const struct reader *rd, size_t nr, const struct chip *ch, size_t nc)
{
	printf("Readers:\n");
	if (nr == 0)   /* why: pcscd gone, refusing this user (polkit), or really no reader */
		printf("  (none: %s; `skinkey doctor` shows the fix)\n", doctor_no_reader_reason());
	for (size_t i = 0; i < nr; i++)
		printf("  %-28s %-8s %s\n", rd[i].name, rd[i].card ? "card" : "empty",
		    rd[i].chip[0] ? rd[i].chip : rd[i].card ? "(not identified)" : "");
	printf("Chips:\n");
	if (nc == 0) {
		printf("  (none known yet: tap your chip on a reader)\n");
		return;
	}
	printf("  %-18s %-9s %-26s %-13s %s\n", "CHIP", "IN FIELD", "APPLETS", "PW1 RC PW3",
	    "READER");
	for (size_t i = 0; i < nc; i++) {
		char tries[32] = "-";
		if (ch[i].tries[0] >= 0)
			snprintf(tries, sizeof(tries), "%d   %d  %d", ch[i].tries[0], ch[i].tries[1],
			    ch[i].tries[2]);
		printf("  %-18s %-9s %-26s %-13s %s%s%s%s%s%s\n", ch[i].id, ch[i].present ? "yes" : "no",
		    ch[i].applets[0] ? ch[i].applets : "-", tries,
		    ch[i].present ? ch[i].reader : "-", ch[i].label[0] ? "  \"" : "", ch[i].label,
		    ch[i].label[0] ? "\"" : "", ch[i].data_error[0] ? "  error: " : "",
		    ch[i].data_error);
	}
}

static int run_status(const struct cli_opts *o, int argc, char **argv)
{
	assuan_context_t ctx = NULL;
	struct cli_lines lr = { NULL, 0 }, lc = { NULL, 0 };
	struct reader *rd = NULL;
	struct chip *ch = NULL;
	size_t nr = 0, nc = 0;
	int r;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: skinkey status [--json]\n");
		return CLI_USAGE;
	}
	if ((r = cli_connect(&ctx)) != 0)
		return r;
	if ((r = cli_transact(ctx, "READERS", &lr)) != 0 ||
	    (r = cli_transact(ctx, "CHIPS", &lc)) != 0)
		goto out;
	rd = calloc(lr.n + 1, sizeof(*rd));
	ch = calloc(lc.n + 1, sizeof(*ch));
	if (rd == NULL || ch == NULL) {
		r = CLI_ERR;
		goto out;
	}
	for (size_t i = 0; i < lr.n; i++)
		if (parse_reader(lr.v[i], &rd[nr]) == 0)
			nr++;
	for (size_t i = 0; i < lc.n; i++)
		if (parse_chip(lc.v[i], &ch[nc]) == 0)
			chip_details(ctx, &ch[nc++]);
	if (o->json)
		print_json(rd, nr, ch, nc);
	else
		print_table(rd, nr, ch, nc);
	r = CLI_OK;
out:
	cli_lines_free(&lr);
	cli_lines_free(&lc);
	free(rd);
	free(ch);
	assuan_release(ctx);
	return r;
}

const struct cli_cmd cli_cmd_status = { "status", run_status, "status [--json]" };
