/* oath_args.h — the OATH* commands' arguments as a client sends them (agent/oath_args.c):
 * untrusted socket input, parsed into a copy (libassuan reuses its line buffer). */
#ifndef SKD_OATH_ARGS_H
#define SKD_OATH_ARGS_H

#include <stdint.h>

#define SKD_OATH_MAX_ARGS 8
#define SKD_OATH_LINE_MAX 1024

struct skd_oath_args {
	char buf[SKD_OATH_LINE_MAX];
	char *v[SKD_OATH_MAX_ARGS];     /* unescaped words (into buf) */
	int n;
	long long time;                 /* --time=EPOCH, -1 when absent */
	unsigned long counter;          /* --counter=N (HOTP start), 0 when absent */
	int force;                      /* --force */
};

/* Options (--time=, --counter=, --force) before the first word, then up to 8 percent-escaped
 * words separated by spaces. 0, SK_ERR_TOOBIG (line too long) or SK_ERR_ARG. */
int skd_oath_parse_args(const char *line, struct skd_oath_args *a);

/* OATHADD's words: <chip> <totp|hotp> <sha1|sha256|sha512> <6-8> <name>. */
struct skd_oath_add {
	uint8_t type, algo, digits;
};
int skd_oath_parse_add(const struct skd_oath_args *a, struct skd_oath_add *q);

/* "60/name" -> 60 for TOTP; 30 otherwise. */
unsigned skd_oath_period(const char *name, uint8_t type);
/* The name without a "<period>/" prefix. */
const char *skd_oath_display_name(const char *name);

#endif
