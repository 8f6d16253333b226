/* test_conf.c — skinkey.conf handling: defaults, values, errors, reader filters. */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/sk_err.h"
#include "skd_int.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s)\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static int parse(struct skd_conf *c, const char *text)
{
	return skd_conf_parse(c, "test.conf", text, strlen(text));
}

static void quiet(int level, const char *line, void *arg)
{
	(void)level; (void)line; (void)arg;
}

int main(void)
{
	struct skd_conf c;

	sk_log_set_sink(quiet, NULL);
	CHECK(parse(&c, "") == 0);
	CHECK(c.tap_timeout_ms == 30000 && c.pin_policy == SKD_PIN_PRESENCE && c.pin_minutes == 0);
	CHECK(c.log_level == -1 && c.n_allow == 0 && c.n_deny == 0 && c.idle_exit_s == 0);
	CHECK(c.inquire_timeout_ms == 300000);
	CHECK(c.duress == 0);   /* never a PIN to a DuressApplet nobody set up */
	CHECK(parse(&c, "duress = on\n") == 0 && c.duress == 1);
	CHECK(parse(&c, "duress = off\n") == 0 && c.duress == 0);
	CHECK(parse(&c, "duress = yes\n") == SK_ERR_CONFIG);
	CHECK(parse(&c, "inquire-timeout = 6s\n") == 0 && c.inquire_timeout_ms == 6000);
	CHECK(parse(&c, "inquire-timeout = 10ms\n") == SK_ERR_CONFIG);   /* at least 1 s */
	CHECK(parse(&c, "inquire-timeout = 2h\n") == SK_ERR_CONFIG);

	CHECK(parse(&c, "tap-timeout = 5s\npin-cache = 10 minutes\nlog-level = debug\n") == 0);
	CHECK(c.tap_timeout_ms == 5000);
	CHECK(c.pin_policy == SKD_PIN_MINUTES && c.pin_minutes == 10);
	CHECK(c.log_level == SK_LOG_DEBUG);
	CHECK(parse(&c, "pin-cache = never\ntap-timeout = 1500ms\n") == 0);
	CHECK(c.pin_policy == SKD_PIN_NEVER && c.tap_timeout_ms == 1500);
	CHECK(parse(&c, "pin-cache = 3\n") == 0 && c.pin_minutes == 3);
	CHECK(parse(&c, "# comment\n\npin-cache = presence\nidle-exit = 2m\n") == 0);
	CHECK(c.pin_policy == SKD_PIN_PRESENCE && c.idle_exit_s == 120);

	/* errors */
	CHECK(parse(&c, "pin-cache = sometimes\n") == SK_ERR_CONFIG);
	CHECK(parse(&c, "pin-cache = 0 minutes\n") == SK_ERR_CONFIG);
	CHECK(parse(&c, "pin-cache = 5 hours\n") == SK_ERR_CONFIG);
	CHECK(parse(&c, "tap-timeout = forever\n") == SK_ERR_CONFIG);
	CHECK(parse(&c, "tap-timeout = 2h\n") == SK_ERR_CONFIG);   /* over 1 h */
	CHECK(parse(&c, "no-such-key = 1\n") == SK_ERR_CONFIG);
	CHECK(parse(&c, "log-level = loud\n") == SK_ERR_CONFIG);
	CHECK(parse(&c, "tap-timeout\n") == SK_ERR_CONFIG);

	/* reader filters */
	CHECK(parse(&c, "reader-allow = ACR1252, Virtual PCD 00 00\nreader-deny = SAM\n") == 0);
	CHECK(c.n_allow == 2 && c.n_deny == 1);
	CHECK(skd_conf_reader_allowed(&c, "ACS ACR1252 Dual Reader PICC 00 00"));
	CHECK(skd_conf_reader_allowed(&c, "Virtual PCD 00 00"));
	CHECK(!skd_conf_reader_allowed(&c, "Virtual PCD 00 01"));
	CHECK(!skd_conf_reader_allowed(&c, "ACS ACR1252 Dual Reader SAM 00 01"));
	CHECK(parse(&c, "reader-deny = 00 01\n") == 0);
	CHECK(skd_conf_reader_allowed(&c, "Virtual PCD 00 00"));
	CHECK(!skd_conf_reader_allowed(&c, "Virtual PCD 00 01"));

	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
