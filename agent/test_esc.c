/* test_esc.c — Assuan escaping round trips and the SK_ERR <-> gpg-error map. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "common/sk_err.h"
#include "skd.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s)\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static void test_escape(void)
{
	const char raw[] = "a b+c%d\ne\"\x01\x7f";
	char *e = skd_escape(raw, sizeof(raw) - 1);

	CHECK(e != NULL);
	CHECK(strcmp(e, "a%20b%2Bc%25d%0Ae%22%01%7F") == 0);
	CHECK(skd_unescape(e, 0) == sizeof(raw) - 1);
	CHECK(memcmp(e, raw, sizeof(raw) - 1) == 0);
	free(e);
}

static void test_unescape_edge(void)
{
	char a[] = "x%4", b[] = "%zz%41", c[] = "a+b", d[] = "a+b", z[] = "%00x";

	CHECK(skd_unescape(a, 0) == 3 && strcmp(a, "x%4") == 0);   /* truncated escape kept */
	CHECK(skd_unescape(b, 0) == 4 && strcmp(b, "%zzA") == 0);
	CHECK(skd_unescape(c, 1) == 3 && strcmp(c, "a b") == 0);
	CHECK(skd_unescape(d, 0) == 3 && strcmp(d, "a+b") == 0);
	CHECK(skd_unescape(z, 0) == 2 && z[0] == '\0' && z[1] == 'x');
}

static void test_errmap(void)
{
	for (int e = SK_ERR_INTERNAL; e > SK_ERR__LAST; e--)
		CHECK(skc_err_from_gpg(skc_err_to_gpg(e)) == e);
	CHECK(skc_err_to_gpg(0) == 0);
	CHECK(gpg_err_code(skc_err_to_gpg(SK_ERR_PIN_WRONG)) == GPG_ERR_BAD_PIN);
	CHECK(gpg_err_source(skc_err_to_gpg(SK_ERR_PIN_WRONG)) == GPG_ERR_SOURCE_SCD);
	CHECK(gpg_err_code(skc_err_to_gpg(SK_ERR_PIN_FORMAT)) != GPG_ERR_BAD_PIN);
	CHECK(skc_err_from_gpg(gpg_error(GPG_ERR_ASS_CONNECT_FAILED)) == SK_ERR_IO);
}

int main(void)
{
	test_escape();
	test_unescape_edge();
	test_errmap();
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
