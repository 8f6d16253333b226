/* oath_args.c — parsing the OATH* commands' arguments (see oath_args.h); no card, no state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sk_err.h"
#include "oath_args.h"
#include "otp.h"
#include "skd.h"

static int parse_option(const char *tok, struct skd_oath_args *a)
{
	char *end = NULL;

	if (strncmp(tok, "--time=", 7) == 0) {
		if (tok[7] < '0' || tok[7] > '9')
			return SK_ERR_ARG;
		a->time = strtoll(tok + 7, &end, 10);
		return (*end != '\0' || a->time < 0) ? SK_ERR_ARG : 0;
	}
	if (strncmp(tok, "--counter=", 10) == 0) {
		if (tok[10] < '0' || tok[10] > '9')
			return SK_ERR_ARG;
		a->counter = strtoul(tok + 10, &end, 10);
		return (*end != '\0' || a->counter > 0xFFFFFFFFul) ? SK_ERR_ARG : 0;
	}
	if (strcmp(tok, "--force") == 0) {
		a->force = 1;
		return 0;
	}
	return SK_ERR_ARG;
}

int skd_oath_parse_args(const char *line, struct skd_oath_args *a)
{
	char *save = NULL, *tok;
	int r;

	memset(a, 0, sizeof(*a));
	a->time = -1;
	if (strlen(line) >= sizeof(a->buf))
		return SK_ERR_TOOBIG;
	snprintf(a->buf, sizeof(a->buf), "%s", line);
	for (tok = strtok_r(a->buf, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
		if (a->n == 0 && strncmp(tok, "--", 2) == 0) {
			if ((r = parse_option(tok, a)) != 0)
				return r;
		} else if (a->n < SKD_OATH_MAX_ARGS) {
			/* an escaped NUL (%00) would cut the word short: refuse it */
			if (skd_unescape(tok, 0) != strlen(tok))
				return SK_ERR_ARG;
			a->v[a->n++] = tok;
		} else {
			return SK_ERR_ARG;
		}
	}
	return 0;
}

int skd_oath_parse_add(const struct skd_oath_args *a, struct skd_oath_add *q)
{
	char *end = NULL;
	long d;

	memset(q, 0, sizeof(*q));
	if (a->n != 5)
		return SK_ERR_ARG;
	if (strcmp(a->v[1], "totp") == 0)
		q->type = OATH_TYPE_TOTP;
	else if (strcmp(a->v[1], "hotp") == 0)
		q->type = OATH_TYPE_HOTP;
	else
		return SK_ERR_ARG;
	if (strcmp(a->v[2], "sha1") == 0)
		q->algo = OATH_ALG_SHA1;
	else if (strcmp(a->v[2], "sha256") == 0)
		q->algo = OATH_ALG_SHA256;
	else if (strcmp(a->v[2], "sha512") == 0)
		q->algo = OATH_ALG_SHA512;
	else
		return SK_ERR_ARG;
	d = strtol(a->v[3], &end, 10);
	if (a->v[3][0] == '\0' || *end != '\0' || d < 6 || d > 8)
		return SK_ERR_ARG;
	q->digits = (uint8_t)d;
	if (a->v[4][0] == '\0' || strlen(a->v[4]) > OATH_NAME_MAX)
		return SK_ERR_ARG;
	return 0;
}

unsigned skd_oath_period(const char *name, uint8_t type)
{
	unsigned long p;
	char *end = NULL;

	if (type == OATH_TYPE_HOTP || name[0] < '1' || name[0] > '9')
		return 30;
	p = strtoul(name, &end, 10);
	return (*end == '/' && p > 0 && p <= 86400) ? (unsigned)p : 30;
}

const char *skd_oath_display_name(const char *name)
{
	const char *p = name + strspn(name, "0123456789");

	return (p != name && *p == '/' && p[1] != '\0') ? p + 1 : name;
}
