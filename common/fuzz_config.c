/* fuzz_config.c — the config parser and every typed getter over whatever it accepted. */
#include <stdint.h>
#include <stdlib.h>

#include "config.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(int level, const char *line, void *arg)
{
}

static int visit(const char *section, const char *key, const char *value, unsigned line,
    void *arg)
{
	const struct sk_config *c = arg;
	const char *s;
	uint64_t ms;
	long v;
	int b;

	if (sk_config_get_string(c, section, key, NULL, &s) != 0 || s == NULL)
		abort();
	(void)sk_config_get_int(c, section, key, 0, -1000, 1000, &v);
	(void)sk_config_get_bool(c, section, key, 0, &b);
	(void)sk_config_get_duration(c, section, key, 0, 0, UINT64_MAX, &ms);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const known[] = { "a", "s.*", "x.y", NULL };
	struct sk_config *c = NULL;

	sk_log_set_sink(quiet, NULL);
	if (sk_config_parse("fuzz", (const char *)data, size, &c) == 0) {
		(void)sk_config_foreach(c, visit, c);
		(void)sk_config_check_known(c, known);
	}
	sk_config_free(&c);
	return 0;
}
