/* test_pincache.c — the PIN cache policy: never / presence / minutes, drop rules. The card manager
 * is not running: presence and the clock are test hooks. */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/secmem.h"
#include "skd_int.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s)\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static int got(const char *chip, int ref, const char *want)
{
	char *p = skd_pincache_get(chip, ref);
	int ok = want == NULL ? p == NULL : (p != NULL && strcmp(p, want) == 0);

	sk_secure_free(p);
	return ok;
}

static int present_flag;
static time_t clock_now = 1000;

static int fake_present(const char *chip)
{
	(void)chip;
	return present_flag;
}

static time_t fake_clock(void)
{
	return clock_now;
}

static void quiet(int level, const char *line, void *arg)
{
	(void)level; (void)line; (void)arg;
}

int main(void)
{
	sk_log_set_sink(quiet, NULL);
	skd_conf_defaults(&skd_config);
	skd_pincache_set_hooks(fake_present, fake_clock);

	/* not in the field: presence policy refuses to cache */
	skd_pin_cache_put("fs-a", 0x81, "123456");
	CHECK(got("fs-a", 0x81, NULL));

	present_flag = 1;
	skd_pin_cache_put("fs-a", 0x81, "123456");
	skd_pin_cache_put("fs-a", 0x83, "12345678");
	skd_pin_cache_put("fs-b", 0x81, "654321");
	CHECK(got("fs-a", 0x81, "123456"));
	CHECK(got("fs-a", 0x83, "12345678"));
	CHECK(got("fs-a", 0x82, NULL));
	CHECK(got("fs-b", 0x81, "654321"));
	CHECK(skd_pincache_count() == 3);

	skd_pin_cache_drop("fs-a", 0x83);           /* refused or changed: that one only */
	CHECK(got("fs-a", 0x83, NULL) && got("fs-a", 0x81, "123456"));
	skd_pincache_on_chip_gone("fs-a");          /* left the field: every PIN of the chip */
	CHECK(got("fs-a", 0x81, NULL) && got("fs-b", 0x81, "654321"));

	skd_pin_cache_put("fs-b", 0x81, "111111");  /* replaced, not duplicated */
	CHECK(got("fs-b", 0x81, "111111") && skd_pincache_count() == 1);

	skd_config.pin_policy = SKD_PIN_NEVER;      /* never: nothing stored, nothing served */
	skd_pin_cache_put("fs-c", 0x81, "123456");
	CHECK(got("fs-c", 0x81, NULL) && got("fs-b", 0x81, NULL));

	skd_config.pin_policy = SKD_PIN_MINUTES;
	skd_config.pin_minutes = 1;
	skd_pin_cache_put("fs-d", 0x81, "123456");
	CHECK(got("fs-d", 0x81, "123456"));
	clock_now += 61;                            /* a minute later */
	CHECK(got("fs-d", 0x81, NULL));

	skd_config.pin_policy = SKD_PIN_PRESENCE;
	skd_config.pin_minutes = 0;
	for (int i = 0; i < 40; i++) {              /* full cache: refuses, no crash */
		char chip[16];
		snprintf(chip, sizeof(chip), "fs-%d", i);
		skd_pin_cache_put(chip, 0x81, "123456");
	}
	CHECK(skd_pincache_count() == 16);
	skd_pincache_clear_all();
	CHECK(skd_pincache_count() == 0);
	CHECK(got("fs-1", 0x81, NULL));

	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
