/* fuzz_oath_args.c — the OATH* commands' arguments as a client sends them: option scanning,
 * percent unescaping, word bounds, OATHADD's fields, TOTP periods in names. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "oath_args.h"
#include "otp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(int level, const char *line, void *arg)
{
	(void)level; (void)line; (void)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct skd_oath_args a;
	struct skd_oath_add q;
	char *line;

	sk_log_set_sink(quiet, NULL);
	if (size > 2 * SKD_OATH_LINE_MAX || (line = malloc(size + 1)) == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (skd_oath_parse_args(line, &a) == 0) {
		(void)skd_oath_parse_add(&a, &q);
		for (int i = 0; i < a.n; i++) {
			(void)skd_oath_period(a.v[i], OATH_TYPE_TOTP);
			(void)skd_oath_display_name(a.v[i]);
		}
	}
	free(line);
	return 0;
}
