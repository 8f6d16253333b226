/* fuzz_scd_args.c — command-line arguments of the scdaemon commands as a client sends them:
 * option scanning, key ids, Assuan unescaping. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "scd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(int level, const char *line, void *arg)
{
	(void)level; (void)line; (void)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct opgp_info info;
	char *line, buf[64];
	int slot;

	sk_log_set_sink(quiet, NULL);
	if (size > 4096 || (line = malloc(size + 1)) == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	memset(&info, 0, sizeof(info));
	(void)scd_has_option(line, "--force");
	(void)scd_option_value(line, "--hash", buf, sizeof(buf));
	(void)scd_option_value(line, "--timestamp", buf, 4);
	(void)scd_keyslot("fs-000000000000", &info, scd_skip_options(line), &slot);
	(void)skd_unescape(line, 1);
	free(line);
	return 0;
}
