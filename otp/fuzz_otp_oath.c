/* fuzz_otp_oath.c — the YKOATH answer parsers (SELECT, LIST, CALCULATE ALL). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "otp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct oath_cred *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (memchr(c[i].name, 0, sizeof(c[i].name)) == NULL || c[i].name[0] == '\0' ||
		    (c[i].has_code && c[i].code >= 100000000u))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oath_cred *c = NULL;
	struct oath_info info;
	size_t n = 0;

	(void)oath_parse_select(data, size, &info);
	if (oath_parse_list(data, size, &c, &n) == 0)
		check(c, n);
	else if (c != NULL || n != 0)
		abort();
	free(c);
	c = NULL;
	if (oath_parse_calc_all(data, size, &c, &n) == 0)
		check(c, n);
	else if (c != NULL || n != 0)
		abort();
	free(c);
	return 0;
}
