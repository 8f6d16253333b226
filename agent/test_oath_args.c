/* test_oath_args.c — the OATH* commands' argument parser: options, escaping, bounds, periods. */
#include <stdio.h>
#include <string.h>

#include "common/sk_err.h"
#include "oath_args.h"
#include "otp.h"

static int fails;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); fails++; } } while (0)

static void test_words(void)
{
	struct skd_oath_args a;

	CHECK(skd_oath_parse_args("fs-0001 Bank%3Abob%20smith", &a) == 0);
	CHECK(a.n == 2 && strcmp(a.v[0], "fs-0001") == 0 && strcmp(a.v[1], "Bank:bob smith") == 0);
	CHECK(a.time == -1 && a.counter == 0 && !a.force);
	CHECK(skd_oath_parse_args("--time=59 --force fs-1  x", &a) == 0);
	CHECK(a.time == 59 && a.force && a.n == 2 && strcmp(a.v[1], "x") == 0);
	CHECK(skd_oath_parse_args("--counter=4294967295 c", &a) == 0 && a.counter == 4294967295ul);
	CHECK(skd_oath_parse_args("", &a) == 0 && a.n == 0);
	/* options only before the words; a word starting with -- after them is a word */
	CHECK(skd_oath_parse_args("c --force", &a) == 0 && !a.force && a.n == 2);
}

static void test_refusals(void)
{
	struct skd_oath_args a;
	char big[SKD_OATH_LINE_MAX + 8];

	CHECK(skd_oath_parse_args("--time=-1 c", &a) == SK_ERR_ARG);
	CHECK(skd_oath_parse_args("--time= c", &a) == SK_ERR_ARG);
	CHECK(skd_oath_parse_args("--time=12x c", &a) == SK_ERR_ARG);
	CHECK(skd_oath_parse_args("--counter=4294967296 c", &a) == SK_ERR_ARG);
	CHECK(skd_oath_parse_args("--counter=-1 c", &a) == SK_ERR_ARG);
	CHECK(skd_oath_parse_args("--frobnicate c", &a) == SK_ERR_ARG);
	CHECK(skd_oath_parse_args("c na%00me", &a) == SK_ERR_ARG);   /* a NUL would cut the name */
	CHECK(skd_oath_parse_args("1 2 3 4 5 6 7 8 9", &a) == SK_ERR_ARG);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(skd_oath_parse_args(big, &a) == SK_ERR_TOOBIG);
}

static void test_add(void)
{
	struct skd_oath_args a;
	struct skd_oath_add q;
	char line[200];

	CHECK(skd_oath_parse_args("c hotp sha256 8 name", &a) == 0);
	CHECK(skd_oath_parse_add(&a, &q) == 0);
	CHECK(q.type == OATH_TYPE_HOTP && q.algo == OATH_ALG_SHA256 && q.digits == 8);
	CHECK(skd_oath_parse_args("c totp md5 6 name", &a) == 0 && skd_oath_parse_add(&a, &q) == SK_ERR_ARG);
	CHECK(skd_oath_parse_args("c totp sha1 9 name", &a) == 0 && skd_oath_parse_add(&a, &q) == SK_ERR_ARG);
	CHECK(skd_oath_parse_args("c totp sha1 6x name", &a) == 0 && skd_oath_parse_add(&a, &q) == SK_ERR_ARG);
	CHECK(skd_oath_parse_args("c totp sha1 6", &a) == 0 && skd_oath_parse_add(&a, &q) == SK_ERR_ARG);
	snprintf(line, sizeof(line), "c totp sha1 6 %065d", 0);   /* 65 characters: too long */
	CHECK(skd_oath_parse_args(line, &a) == 0 && skd_oath_parse_add(&a, &q) == SK_ERR_ARG);
}

static void test_period(void)
{
	CHECK(skd_oath_period("60/Bank:bob", OATH_TYPE_TOTP) == 60);
	CHECK(skd_oath_period("60/Bank:bob", OATH_TYPE_HOTP) == 30);
	CHECK(skd_oath_period("Bank:bob", OATH_TYPE_TOTP) == 30);
	CHECK(skd_oath_period("0/x", OATH_TYPE_TOTP) == 30);
	CHECK(skd_oath_period("99999999999999999999/x", OATH_TYPE_TOTP) == 30);
	CHECK(skd_oath_period("15x/y", OATH_TYPE_TOTP) == 30);
	CHECK(strcmp(skd_oath_display_name("60/Bank:bob"), "Bank:bob") == 0);
	CHECK(strcmp(skd_oath_display_name("60/"), "60/") == 0);
	CHECK(strcmp(skd_oath_display_name("a/b"), "a/b") == 0);
}

int main(void)
{
	test_words();
	test_refusals();
	test_add();
	test_period();
	if (fails == 0)
		printf("test_oath_args: ok\n");
	return fails != 0;
}
