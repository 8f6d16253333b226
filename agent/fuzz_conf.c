/* fuzz_conf.c — skinkey.conf text (untrusted: a user may hand-edit it) through skd_conf_parse. */
#include <stddef.h>
#include <stdint.h>

#include "common/log.h"
#include "skd_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(int level, const char *line, void *arg)
{
	(void)level; (void)line; (void)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct skd_conf c;

	sk_log_set_sink(quiet, NULL);
	if (skd_conf_parse(&c, "fuzz", (const char *)data, size) == 0)
		(void)skd_conf_reader_allowed(&c, "Virtual PCD 00 00");
	return 0;
}
